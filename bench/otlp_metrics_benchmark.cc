// OTLP metrics into the TSDB: data points/s through OtlpMetricsWriter::Write (mapping to
// Prometheus series + one durable AppendBatch), for a Node.js-like export: one resource,
// 200 gauges and cumulative counters with 3 attributes each and 20 explicit-bounds
// histograms (14 bounds), every iteration one export 10 s after the previous one.
// Delta: the same with delta sums (running totals on).
//
//   nice ninja -C build bench/otlp_metrics_benchmark && build/bench/otlp_metrics_benchmark
#include <benchmark/benchmark.h>

#include <string>

#include "common/time.h"
#include "ingest/otlp/metrics_mapping.h"
#include "../tests/support/temp_dir.h"

namespace {

using namespace perfwatch;
using namespace perfwatch::ingest::otlp;

KeyValue Str(std::string k, std::string v) {
  KeyValue kv;
  kv.key = std::move(k);
  kv.value.type = AnyValue::Type::kString;
  kv.value.string_value = std::move(v);
  return kv;
}

MetricsRequest MakeRequest(AggregationTemporality sums) {
  MetricsRequest r;
  auto& rm = r.resource_metrics.emplace_back();
  rm.resource.attributes = {Str("service.name", "checkout"), Str("service.instance.id", "pod-7f9c5d"),
                            Str("host.name", "web-1"), Str("process.runtime.name", "nodejs"),
                            Str("telemetry.sdk.language", "nodejs")};
  auto& sm = rm.scope_metrics.emplace_back();
  sm.scope.name = "@opentelemetry/instrumentation-http";
  sm.scope.version = "0.55.0";
  for (int i = 0; i < 200; ++i) {
    Metric m;
    m.name = "app.metric." + std::to_string(i % 20);
    m.unit = i % 2 ? "By" : "{request}";
    m.type = i % 2 ? Metric::Type::kGauge : Metric::Type::kSum;
    m.is_monotonic = true;
    m.aggregation_temporality = sums;
    NumberDataPoint p;
    p.attributes = {Str("http.route", "/api/r" + std::to_string(i)), Str("http.request.method", "GET"),
                    Str("http.response.status_code", "200")};
    p.value_type = NumberDataPoint::ValueType::kInt;
    p.as_int = i;
    m.number_points.push_back(p);
    sm.metrics.push_back(std::move(m));
  }
  for (int i = 0; i < 20; ++i) {
    Metric m;
    m.name = "http.server.request.duration";
    m.unit = "s";
    m.type = Metric::Type::kHistogram;
    m.aggregation_temporality = AggregationTemporality::kCumulative;
    HistogramDataPoint p;
    p.attributes = {Str("http.route", "/api/r" + std::to_string(i)), Str("http.request.method", "GET")};
    p.explicit_bounds = {0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10};
    p.bucket_counts.assign(15, 3);
    p.count = 45;
    p.sum = 12.5;
    m.histogram_points.push_back(p);
    sm.metrics.push_back(std::move(m));
  }
  return r;
}

void SetTime(MetricsRequest& r, uint64_t ns) {
  for (auto& sm : r.resource_metrics[0].scope_metrics)
    for (auto& m : sm.metrics) {
      for (auto& p : m.number_points) p.start_time_unix_nano = ns - 10'000'000'000ULL, p.time_unix_nano = ns;
      for (auto& p : m.histogram_points) p.time_unix_nano = ns;
    }
}

void Run(benchmark::State& state, AggregationTemporality sums) {
  perfwatch::testing::TempDir dir;
  tsdb::TsdbOptions o;
  o.dir = dir.path();
  o.maintenance_interval = std::chrono::milliseconds(0);
  auto db = tsdb::Tsdb::Open(o, nullptr);
  if (!db.ok()) return state.SkipWithError(db.status().ToString().c_str());
  ingest::MetadataStore metadata;
  OtlpMetricsWriter writer(db.value().get(), &metadata);
  MetricsRequest r = MakeRequest(sums);
  uint64_t t = static_cast<uint64_t>(NowMs() - 3'600'000) * 1'000'000;
  uint64_t points = 0, samples = 0;
  for (auto _ : state) {
    t += 10'000'000'000ULL;
    SetTime(r, t);
    MetricsWriteResult res;
    Status st = writer.Write(r, &res);
    if (!st.ok() || res.data_points_rejected) return state.SkipWithError((st.ToString() + res.message).c_str());
    points += res.data_points_accepted;
    samples += res.samples_appended;
  }
  state.counters["data_points/s"] = benchmark::Counter(static_cast<double>(points), benchmark::Counter::kIsRate);
  state.counters["samples/s"] = benchmark::Counter(static_cast<double>(samples), benchmark::Counter::kIsRate);
}

void BM_OtlpMetricsCumulative(benchmark::State& state) { Run(state, AggregationTemporality::kCumulative); }
void BM_OtlpMetricsDelta(benchmark::State& state) { Run(state, AggregationTemporality::kDelta); }
BENCHMARK(BM_OtlpMetricsCumulative)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_OtlpMetricsDelta)->Unit(benchmark::kMicrosecond);

}  // namespace
