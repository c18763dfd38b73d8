#include "ingest/otlp/metrics_mapping.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "common/time.h"
#include "tsdb/matcher.h"
#include "tsdb/stale.h"
#include "tsdb/tsdb_test_util.h"

namespace perfwatch::ingest::otlp {
namespace {

using tsdb::testing::TempDir;

// Recent (the store's retention is relative to the wall clock), whole seconds.
const uint64_t kT0Ms = static_cast<uint64_t>(NowMs() / 1000 * 1000 - 600'000);
// Nanoseconds of kT0Ms + ms.
uint64_t Ns(uint64_t ms) { return (kT0Ms + ms) * 1'000'000; }

KeyValue Str(std::string k, std::string v) {
  KeyValue kv;
  kv.key = std::move(k);
  kv.value.type = AnyValue::Type::kString;
  kv.value.string_value = std::move(v);
  return kv;
}
KeyValue Int(std::string k, int64_t v) {
  KeyValue kv;
  kv.key = std::move(k);
  kv.value.type = AnyValue::Type::kInt;
  kv.value.int_value = v;
  return kv;
}

NumberDataPoint Num(uint64_t t_ms, double v, Attributes attrs = {}) {
  NumberDataPoint p;
  p.attributes = std::move(attrs);
  p.time_unix_nano = Ns(t_ms);
  p.value_type = NumberDataPoint::ValueType::kDouble;
  p.as_double = v;
  return p;
}
NumberDataPoint IntNum(uint64_t t_ms, int64_t v, Attributes attrs = {}) {
  NumberDataPoint p = Num(t_ms, 0, std::move(attrs));
  p.value_type = NumberDataPoint::ValueType::kInt;
  p.as_int = v;
  return p;
}

Metric Gauge(std::string name, std::string unit, std::vector<NumberDataPoint> pts) {
  Metric m;
  m.name = std::move(name);
  m.unit = std::move(unit);
  m.type = Metric::Type::kGauge;
  m.number_points = std::move(pts);
  return m;
}
Metric Sum(std::string name, std::string unit, bool monotonic, AggregationTemporality t,
           std::vector<NumberDataPoint> pts) {
  Metric m = Gauge(std::move(name), std::move(unit), std::move(pts));
  m.type = Metric::Type::kSum;
  m.is_monotonic = monotonic;
  m.aggregation_temporality = t;
  return m;
}

MetricsRequest Request(std::vector<Metric> metrics, Attributes resource = {Str("service.name", "shop")},
                       std::string scope = "") {
  MetricsRequest r;
  auto& rm = r.resource_metrics.emplace_back();
  rm.resource.attributes = std::move(resource);
  auto& sm = rm.scope_metrics.emplace_back();
  sm.scope.name = std::move(scope);
  sm.metrics = std::move(metrics);
  return r;
}

class MetricsMappingTest : public ::testing::Test {
 protected:
  void SetUp() override { Open({}); }
  void Open(OtlpMetricsOptions options) {
    writer_.reset();
    db_.reset();
    tsdb::TsdbOptions o;
    o.dir = dir_.path();
    o.maintenance_interval = std::chrono::milliseconds(0);
    auto db = tsdb::Tsdb::Open(o, nullptr);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    writer_ = std::make_unique<OtlpMetricsWriter>(db_.get(), &metadata_, options);
  }
  MetricsWriteResult Write(const MetricsRequest& r) {
    MetricsWriteResult res;
    Status st = writer_->Write(r, &res);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return res;
  }
  // Every series: labels -> values (stale markers as "stale") at t - kT0Ms.
  std::map<std::string, std::vector<std::pair<int64_t, double>>> ReadAll() {
    auto m = tsdb::Matcher::Make(tsdb::MatchType::kRegexMatch, "__name__", ".+");
    EXPECT_TRUE(m.ok());
    auto q = db_->NewQuerier(0, INT64_MAX);
    auto set = q->Select(std::span(&*m, 1));
    std::map<std::string, std::vector<std::pair<int64_t, double>>> out;
    while (set->Next()) {
      auto it = set->At().Iterator();
      auto& v = out[set->At().labels().ToString()];
      while (it.Next()) v.emplace_back(it.t() - static_cast<int64_t>(kT0Ms), it.v());
    }
    return out;
  }
  using Points = std::vector<std::pair<int64_t, double>>;

  TempDir dir_;
  MetadataStore metadata_;
  std::unique_ptr<tsdb::Tsdb> db_;
  std::unique_ptr<OtlpMetricsWriter> writer_;
};

TEST(PrometheusNamesTest, MetricNamesFollowTheTranslator) {
  EXPECT_EQ(PrometheusMetricName("http.server.duration", "s", PromKind::kHistogram), "http_server_duration_seconds");
  EXPECT_EQ(PrometheusMetricName("db.latency", "ms", PromKind::kGauge), "db_latency_milliseconds");
  EXPECT_EQ(PrometheusMetricName("process.memory.usage", "By", PromKind::kGauge), "process_memory_usage_bytes");
  EXPECT_EQ(PrometheusMetricName("requests", "1", PromKind::kCounter), "requests_total");
  EXPECT_EQ(PrometheusMetricName("requests.total", "", PromKind::kCounter), "requests_total");
  EXPECT_EQ(PrometheusMetricName("cpu.utilization", "1", PromKind::kGauge), "cpu_utilization_ratio");
  EXPECT_EQ(PrometheusMetricName("queue.size", "1", PromKind::kNonMonotonicSum), "queue_size");
  EXPECT_EQ(PrometheusMetricName("http.requests", "{request}", PromKind::kCounter), "http_requests_total");
  EXPECT_EQ(PrometheusMetricName("net.io", "By/s", PromKind::kGauge), "net_io_bytes_per_second");
  EXPECT_EQ(PrometheusMetricName("jobs", "{job}/min", PromKind::kGauge), "jobs_per_min");
  EXPECT_EQ(PrometheusMetricName("2xx.count", "", PromKind::kGauge), "_2xx_count");
  EXPECT_EQ(PrometheusMetricName("a..b__c", "ms", PromKind::kGauge), "a_b_c_milliseconds");
  EXPECT_EQ(PrometheusMetricName("latency_seconds", "s", PromKind::kGauge), "latency_seconds");
  EXPECT_EQ(PrometheusMetricName("!!!", "", PromKind::kGauge), "");
  EXPECT_EQ(PrometheusUnit("By/s"), "bytes_per_second");
  EXPECT_EQ(PrometheusUnit("1"), "");
  EXPECT_EQ(PrometheusUnit("{request}"), "");
  EXPECT_EQ(PrometheusLabelName("http.method"), "http_method");
  EXPECT_EQ(PrometheusLabelName("1st"), "key_1st");
  EXPECT_EQ(PrometheusLabelName("_private"), "key_private");
  EXPECT_EQ(PrometheusLabelName("__meta"), "__meta");
  EXPECT_EQ(PrometheusLabelName(""), "");
  EXPECT_EQ(PrometheusLabelName("..."), "");
}

// The names the Node.js runtime and host metrics get (the table in docs/otlp.md).
TEST(PrometheusNamesTest, NodeRuntimeMetrics) {
  EXPECT_EQ(PrometheusMetricName("nodejs.eventloop.delay.p99", "s", PromKind::kGauge),
            "nodejs_eventloop_delay_p99_seconds");
  EXPECT_EQ(PrometheusMetricName("nodejs.eventloop.utilization", "1", PromKind::kGauge),
            "nodejs_eventloop_utilization_ratio");
  EXPECT_EQ(PrometheusMetricName("nodejs.eventloop.time", "s", PromKind::kCounter), "nodejs_eventloop_time_seconds_total");
  EXPECT_EQ(PrometheusMetricName("v8js.memory.heap.used", "By", PromKind::kGauge), "v8js_memory_heap_used_bytes");
  EXPECT_EQ(PrometheusMetricName("v8js.memory.heap.limit", "By", PromKind::kGauge), "v8js_memory_heap_limit_bytes");
  EXPECT_EQ(PrometheusMetricName("v8js.gc.duration", "s", PromKind::kHistogram), "v8js_gc_duration_seconds");
  EXPECT_EQ(PrometheusMetricName("process.memory.usage", "By", PromKind::kNonMonotonicSum), "process_memory_usage_bytes");
  EXPECT_EQ(PrometheusMetricName("process.cpu.time", "s", PromKind::kCounter), "process_cpu_time_seconds_total");
  EXPECT_EQ(PrometheusMetricName("process.runtime.nodejs.memory.heap.used", "By", PromKind::kGauge),
            "process_runtime_nodejs_memory_heap_used_bytes");
}

TEST_F(MetricsMappingTest, GaugesSumsResourceAndTargetInfo) {
  MetricsRequest r = Request(
      {Gauge("v8js.memory.heap.used", "By", {IntNum(1000, 5'000'000, {Str("v8js.heap.space.name", "new_space")})}),
       Gauge("nodejs.eventloop.utilization", "1", {Num(1000, 0.25)}),
       Sum("http.requests", "{request}", true, AggregationTemporality::kCumulative,
           {IntNum(1000, 7, {Str("http.route", "/a"), Int("http.status_code", 200)}), IntNum(2000, 9, {Str("http.route", "/a"), Int("http.status_code", 200)})}),
       Sum("process.memory.usage", "By", false, AggregationTemporality::kCumulative, {IntNum(2000, 123)})},
      {Str("service.name", "checkout"), Str("service.namespace", "shop"), Str("service.instance.id", "pod-1"),
       Str("host.name", "web-1"), Str("process.runtime.name", "nodejs")},
      "@opentelemetry/instrumentation-runtime-node");
  r.resource_metrics[0].scope_metrics[0].scope.version = "0.12.0";
  MetricsWriteResult res = Write(r);
  EXPECT_EQ(res.data_points_accepted, 5u);
  EXPECT_EQ(res.data_points_rejected, 0u);
  EXPECT_EQ(res.message, "");
  const std::string common =
      R"(instance="pod-1", job="shop/checkout", otel_scope_name="@opentelemetry/instrumentation-runtime-node", otel_scope_version="0.12.0")";
  std::map<std::string, Points> want = {
      {"v8js_memory_heap_used_bytes{" + common + R"(, v8js_heap_space_name="new_space"})", {{1000, 5e6}}},
      {"nodejs_eventloop_utilization_ratio{" + common + "}", {{1000, 0.25}}},
      {R"(http_requests_total{http_route="/a", http_status_code="200", )" + common + "}", {{1000, 7}, {2000, 9}}},
      {"process_memory_usage_bytes{" + common + "}", {{2000, 123}}},
      {R"(target_info{host_name="web-1", instance="pod-1", job="shop/checkout", process_runtime_name="nodejs"})",
       {{2000, 1}}},
  };
  EXPECT_EQ(ReadAll(), want);

  auto meta = metadata_.Query({});
  ASSERT_EQ(meta.count("http_requests_total"), 1u);
  EXPECT_EQ(meta["http_requests_total"], (std::vector<MetricMetadata>{{"counter", "", ""}}));
  EXPECT_EQ(meta["v8js_memory_heap_used_bytes"], (std::vector<MetricMetadata>{{"gauge", "", "bytes"}}));
  EXPECT_EQ(meta["process_memory_usage_bytes"], (std::vector<MetricMetadata>{{"gauge", "", "bytes"}}));
  EXPECT_EQ(meta["target_info"], (std::vector<MetricMetadata>{{"gauge", "Target metadata", ""}}));
}

TEST_F(MetricsMappingTest, HelpAndUnitInMetadata) {
  Metric m = Gauge("nodejs.eventloop.delay.p99", "s", {Num(1000, 0.012)});
  m.description = "Event loop 99 percentile delay.";
  Write(Request({m}));
  EXPECT_EQ(ReadAll(), (std::map<std::string, Points>{{R"(nodejs_eventloop_delay_p99_seconds{job="shop"})", {{1000, 0.012}}}}));
  EXPECT_EQ(metadata_.Query({})["nodejs_eventloop_delay_p99_seconds"],
            (std::vector<MetricMetadata>{{"gauge", "Event loop 99 percentile delay.", "seconds"}}));
}

TEST_F(MetricsMappingTest, LabelSanitizingCollisionsAndReservedLabels) {
  // "a.b" and "a_b" both become a_b: values joined in key order; an attribute "job" loses
  // to the resource's job; "1st" gets key_.
  Write(Request({Gauge("g", "", {Num(1000, 1, {Str("a_b", "y"), Str("a.b", "x"), Str("job", "mine"), Str("1st", "z")})})}));
  EXPECT_EQ(ReadAll(), (std::map<std::string, Points>{{R"(g{a_b="x;y", job="shop", key_1st="z"})", {{1000, 1}}}}));
}

TEST_F(MetricsMappingTest, NoRecordedValueWritesStaleMarkers) {
  NumberDataPoint gap = Num(2000, 0);
  gap.flags = kDataPointNoRecordedValue;
  gap.value_type = NumberDataPoint::ValueType::kNone;
  HistogramDataPoint h;
  h.time_unix_nano = Ns(2000);
  h.flags = kDataPointNoRecordedValue;
  h.explicit_bounds = {1};
  h.bucket_counts = {0, 0};
  Metric hm;
  hm.name = "lat";
  hm.unit = "s";
  hm.type = Metric::Type::kHistogram;
  hm.aggregation_temporality = AggregationTemporality::kCumulative;
  hm.histogram_points = {h};
  MetricsWriteResult res = Write(Request({Gauge("g", "", {Num(1000, 4), gap}), hm}));
  EXPECT_EQ(res.data_points_accepted, 3u);
  auto all = ReadAll();
  ASSERT_EQ(all[R"(g{job="shop"})"].size(), 2u);
  EXPECT_EQ(all[R"(g{job="shop"})"][0], (std::pair<int64_t, double>{1000, 4}));
  EXPECT_TRUE(tsdb::IsStaleNaN(all[R"(g{job="shop"})"][1].second));
  for (const char* s : {R"(lat_seconds_bucket{job="shop", le="1"})", R"(lat_seconds_bucket{job="shop", le="+Inf"})",
                        R"(lat_seconds_count{job="shop"})"}) {
    ASSERT_EQ(all[s].size(), 1u) << s;
    EXPECT_TRUE(tsdb::IsStaleNaN(all[s][0].second)) << s;
  }
  EXPECT_EQ(all.count(R"(lat_seconds_sum{job="shop"})"), 0u);  // no sum sent
}

TEST_F(MetricsMappingTest, DeltaSumsBecomeCumulativeAcrossRequests) {
  auto req = [](uint64_t start, uint64_t t, int64_t v) {
    NumberDataPoint p = IntNum(t, v, {Str("route", "/x")});
    p.start_time_unix_nano = start ? Ns(start) : 0;
    return Request({Sum("calls", "", true, AggregationTemporality::kDelta, {p})});
  };
  EXPECT_EQ(Write(req(0, 1000, 3)).data_points_accepted, 1u);
  EXPECT_EQ(Write(req(1000, 2000, 4)).data_points_accepted, 1u);
  EXPECT_EQ(writer_->delta_streams(), 1u);
  // The same delta again (a resend): refused, not counted twice.
  MetricsWriteResult again = Write(req(1000, 2000, 4));
  EXPECT_EQ(again.data_points_rejected, 1u);
  EXPECT_NE(again.message.find("not after the previous point"), std::string::npos) << again.message;
  EXPECT_EQ(Write(req(2000, 3000, 0)).data_points_accepted, 1u);
  EXPECT_EQ(ReadAll(), (std::map<std::string, Points>{{R"(calls_total{job="shop", route="/x"})", {{1000, 3}, {2000, 7}, {3000, 7}}}}));

  // A new writer (a restart) starts from zero: a counter reset.
  writer_ = std::make_unique<OtlpMetricsWriter>(db_.get(), &metadata_);
  EXPECT_EQ(Write(req(3000, 4000, 2)).data_points_accepted, 1u);
  EXPECT_EQ(ReadAll()[R"(calls_total{job="shop", route="/x"})"].back(), (std::pair<int64_t, double>{4000, 2}));
}

Metric Histogram(AggregationTemporality t, std::vector<HistogramDataPoint> pts) {
  Metric m;
  m.name = "http.server.duration";
  m.unit = "ms";
  m.type = Metric::Type::kHistogram;
  m.aggregation_temporality = t;
  m.histogram_points = std::move(pts);
  return m;
}
HistogramDataPoint HPoint(uint64_t t, std::vector<uint64_t> counts, double sum) {
  HistogramDataPoint p;
  p.time_unix_nano = Ns(t);
  p.explicit_bounds = {10, 100};
  p.bucket_counts = std::move(counts);
  for (uint64_t c : p.bucket_counts) p.count += c;
  p.sum = sum;
  return p;
}

TEST_F(MetricsMappingTest, HistogramsClassicAndDelta) {
  Write(Request({Histogram(AggregationTemporality::kCumulative, {HPoint(1000, {2, 3, 1}, 250.5)})}));
  Metric d = Histogram(AggregationTemporality::kDelta, {HPoint(1000, {1, 0, 0}, 5)});
  d.name = "rpc.duration";
  Write(Request({d}));
  d.histogram_points = {HPoint(2000, {0, 2, 1}, 300)};
  Write(Request({d}));
  std::map<std::string, Points> want = {
      {R"(http_server_duration_milliseconds_bucket{job="shop", le="10"})", {{1000, 2}}},
      {R"(http_server_duration_milliseconds_bucket{job="shop", le="100"})", {{1000, 5}}},
      {R"(http_server_duration_milliseconds_bucket{job="shop", le="+Inf"})", {{1000, 6}}},
      {R"(http_server_duration_milliseconds_sum{job="shop"})", {{1000, 250.5}}},
      {R"(http_server_duration_milliseconds_count{job="shop"})", {{1000, 6}}},
      {R"(rpc_duration_milliseconds_bucket{job="shop", le="10"})", {{1000, 1}, {2000, 1}}},
      {R"(rpc_duration_milliseconds_bucket{job="shop", le="100"})", {{1000, 1}, {2000, 3}}},
      {R"(rpc_duration_milliseconds_bucket{job="shop", le="+Inf"})", {{1000, 1}, {2000, 4}}},
      {R"(rpc_duration_milliseconds_sum{job="shop"})", {{1000, 5}, {2000, 305}}},
      {R"(rpc_duration_milliseconds_count{job="shop"})", {{1000, 1}, {2000, 4}}},
  };
  EXPECT_EQ(ReadAll(), want);
  EXPECT_EQ(metadata_.Query({})["rpc_duration_milliseconds"], (std::vector<MetricMetadata>{{"histogram", "", "milliseconds"}}));
}

Metric ExpHistogram(int32_t scale) {
  // Scale 1 (base sqrt 2): positive buckets 0..2 = (1, 1.414], (1.414, 2], (2, 2.828] with
  // 1, 2, 3; negative bucket 1 = [-2, -1.414) with 4; 1 zero (threshold 0). Count 11.
  ExponentialHistogramDataPoint p;
  p.time_unix_nano = Ns(1000);
  p.scale = scale;
  p.positive.offset = 0;
  p.positive.bucket_counts = {1, 2, 3};
  p.negative.offset = 1;
  p.negative.bucket_counts = {4};
  p.zero_count = 1;
  p.count = 11;
  p.sum = 7.5;
  Metric m;
  m.name = "size";
  m.type = Metric::Type::kExponentialHistogram;
  m.aggregation_temporality = AggregationTemporality::kCumulative;
  m.exponential_histogram_points = {p};
  return m;
}

TEST_F(MetricsMappingTest, ExponentialHistogramToClassicBuckets) {
  Write(Request({ExpHistogram(1)}));
  std::map<std::string, Points> want = {
      {R"(size_bucket{job="shop", le="-1.4142135623730951"})", {{1000, 4}}},
      {R"(size_bucket{job="shop", le="0"})", {{1000, 5}}},
      {R"(size_bucket{job="shop", le="1.4142135623730951"})", {{1000, 6}}},
      {R"(size_bucket{job="shop", le="2"})", {{1000, 8}}},
      {R"(size_bucket{job="shop", le="2.8284271247461903"})", {{1000, 11}}},
      {R"(size_bucket{job="shop", le="+Inf"})", {{1000, 11}}},
      {R"(size_sum{job="shop"})", {{1000, 7.5}}},
      {R"(size_count{job="shop"})", {{1000, 11}}},
  };
  EXPECT_EQ(ReadAll(), want);
}

TEST_F(MetricsMappingTest, ExponentialHistogramDownscaled) {
  Open({.max_exponential_scale = 0});
  // At scale 0 (base 2): positive 0,1,2 -> 0,0,1 = (1,2] 3, (2,4] 3; negative 1 -> 0 = [-2,-1) 4.
  Write(Request({ExpHistogram(1)}));
  std::map<std::string, Points> want = {
      {R"(size_bucket{job="shop", le="-1"})", {{1000, 4}}},
      {R"(size_bucket{job="shop", le="0"})", {{1000, 5}}},
      {R"(size_bucket{job="shop", le="2"})", {{1000, 8}}},
      {R"(size_bucket{job="shop", le="4"})", {{1000, 11}}},
      {R"(size_bucket{job="shop", le="+Inf"})", {{1000, 11}}},
      {R"(size_sum{job="shop"})", {{1000, 7.5}}},
      {R"(size_count{job="shop"})", {{1000, 11}}},
  };
  EXPECT_EQ(ReadAll(), want);
}

TEST_F(MetricsMappingTest, Summaries) {
  SummaryDataPoint p;
  p.time_unix_nano = Ns(1000);
  p.count = 10;
  p.sum = 42;
  p.quantile_values = {{0.5, 3}, {0.99, 9}};
  Metric m;
  m.name = "rpc.latency";
  m.unit = "s";
  m.type = Metric::Type::kSummary;
  m.summary_points = {p};
  Write(Request({m}));
  std::map<std::string, Points> want = {
      {R"(rpc_latency_seconds{job="shop", quantile="0.5"})", {{1000, 3}}},
      {R"(rpc_latency_seconds{job="shop", quantile="0.99"})", {{1000, 9}}},
      {R"(rpc_latency_seconds_sum{job="shop"})", {{1000, 42}}},
      {R"(rpc_latency_seconds_count{job="shop"})", {{1000, 10}}},
  };
  EXPECT_EQ(ReadAll(), want);
  EXPECT_EQ(metadata_.Query({})["rpc_latency_seconds"], (std::vector<MetricMetadata>{{"summary", "", "seconds"}}));
}

TEST_F(MetricsMappingTest, BadDataPointsRejectedOneByOneTheRestWritten) {
  NumberDataPoint no_time = Num(1000, 1);
  no_time.time_unix_nano = 0;
  NumberDataPoint no_value = Num(1000, 0);
  no_value.value_type = NumberDataPoint::ValueType::kNone;
  HistogramDataPoint bad_buckets = HPoint(1000, {1, 2}, 3);  // 2 counts for 2 bounds
  MetricsRequest r = Request({
      Gauge("good", "", {Num(1000, 1), no_time, no_value}),
      Histogram(AggregationTemporality::kCumulative, {bad_buckets}),
      Sum("updown", "", false, AggregationTemporality::kDelta, {Num(1000, 1)}),
      Sum("unspec", "", true, AggregationTemporality::kUnspecified, {Num(1000, 1), Num(2000, 1)}),
      Gauge("???", "", {Num(1000, 1)}),
      Gauge("bad.attr", "", {Num(1000, 1, {Str("", "x")})}),
      Gauge("also.good", "", {Num(1000, 2)}),
  });
  MetricsWriteResult res = Write(r);
  EXPECT_EQ(res.data_points_accepted, 2u);
  EXPECT_EQ(res.data_points_rejected, 8u);
  EXPECT_EQ(res.message, "8 data points rejected; first: metric \"good\": time_unix_nano is 0");
  EXPECT_EQ(ReadAll(), (std::map<std::string, Points>{{R"(also_good{job="shop"})", {{1000, 2}}},
                                                       {R"(good{job="shop"})", {{1000, 1}}}}));
}

TEST_F(MetricsMappingTest, PointsTheStoreRefusesAreCounted) {
  Write(Request({Gauge("g", "", {Num(5000, 1)})}));
  // g at 1000 is out of order for the store; h is new and written.
  MetricsWriteResult res = Write(Request({Gauge("g", "", {Num(1000, 2)}), Gauge("h", "", {Num(1000, 3)})}));
  EXPECT_EQ(res.data_points_accepted, 1u);
  EXPECT_EQ(res.data_points_rejected, 1u);
  EXPECT_NE(res.message.find("the store refused samples"), std::string::npos) << res.message;
  EXPECT_EQ(ReadAll(), (std::map<std::string, Points>{{R"(g{job="shop"})", {{5000, 1}}}, {R"(h{job="shop"})", {{1000, 3}}}}));
}

}  // namespace
}  // namespace perfwatch::ingest::otlp
