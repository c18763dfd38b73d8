// The requests of opentelemetry-proto's examples/ (trace.json, metrics.json, logs.json),
// written here from their content: the JSON decodes to the expected model, and the same
// content built as protobuf decodes to an equal model.
#include <gtest/gtest.h>

#include "ingest/otlp/otlp_json.h"
#include "ingest/otlp/otlp_proto.h"
#include "proto_builder.h"

namespace perfwatch::ingest::otlp {
namespace {

using testing::ProtoBuilder;
using testing::StringAttr;
using testing::Unhex;

constexpr uint64_t kT0 = 1544712660000000000ULL;
constexpr uint64_t kT1 = 1544712661000000000ULL;
constexpr uint64_t kT3 = 1544712660300000000ULL;

// The resource and scope every example shares.
ProtoBuilder ExampleResource() {
  return ProtoBuilder().Message(1, StringAttr("service.name", "my.service"));
}
ProtoBuilder ExampleScope() {
  return ProtoBuilder()
      .Bytes(1, "my.library")
      .Bytes(2, "1.0.0")
      .Message(3, StringAttr("my.scope.attribute", "some scope attribute"));
}

void ExpectExampleResourceAndScope(const Resource& r, const InstrumentationScope& s) {
  EXPECT_EQ(r.service_name(), "my.service");
  ASSERT_EQ(r.attributes.size(), 1u);
  EXPECT_EQ(s.name, "my.library");
  EXPECT_EQ(s.version, "1.0.0");
  EXPECT_EQ(FindStringAttribute(s.attributes, "my.scope.attribute"), "some scope attribute");
}

constexpr std::string_view kTraceJson = R"({"resourceSpans":[{
  "resource":{"attributes":[{"key":"service.name","value":{"stringValue":"my.service"}}]},
  "scopeSpans":[{
    "scope":{"name":"my.library","version":"1.0.0","attributes":[
      {"key":"my.scope.attribute","value":{"stringValue":"some scope attribute"}}]},
    "spans":[{
      "traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174",
      "parentSpanId":"EEE19B7EC3C1B173","name":"I'm a server span",
      "startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"1544712661000000000",
      "kind":2,"attributes":[{"key":"my.span.attr","value":{"stringValue":"some value"}}]}]}]}]})";

TEST(OtlpExamplesTest, Trace) {
  JsonDecoder json;
  TracesRequest from_json;
  ASSERT_TRUE(json.DecodeTraces(kTraceJson, &from_json).ok());
  ASSERT_EQ(from_json.span_count(), 1u);
  const ResourceSpans& rs = from_json.resource_spans[0];
  ExpectExampleResourceAndScope(rs.resource, rs.scope_spans[0].scope);
  const Span& s = rs.scope_spans[0].spans[0];
  EXPECT_EQ(ToHex(s.trace_id), "5b8efff798038103d269b633813fc60c");
  EXPECT_EQ(ToHex(s.span_id), "eee19b7ec3c1b174");
  EXPECT_EQ(ToHex(s.parent_span_id), "eee19b7ec3c1b173");
  EXPECT_FALSE(s.is_root());
  EXPECT_EQ(s.name, "I'm a server span");
  EXPECT_EQ(s.start_time_unix_nano, kT0);
  EXPECT_EQ(s.end_time_unix_nano, kT1);
  EXPECT_EQ(s.kind, SpanKind::kServer);
  EXPECT_EQ(SpanKindName(s.kind), "SPAN_KIND_SERVER");
  EXPECT_EQ(s.status_code, SpanStatusCode::kUnset);
  EXPECT_EQ(FindStringAttribute(s.attributes, "my.span.attr"), "some value");

  ProtoBuilder span;
  span.Bytes(1, Unhex("5B8EFFF798038103D269B633813FC60C"))
      .Bytes(2, Unhex("EEE19B7EC3C1B174"))
      .Bytes(4, Unhex("EEE19B7EC3C1B173"))
      .Bytes(5, "I'm a server span")
      .Varint(6, 2)
      .Fixed64(7, kT0)
      .Fixed64(8, kT1)
      .Message(9, StringAttr("my.span.attr", "some value"));
  ProtoBuilder request;
  request.Message(1, ProtoBuilder()
                         .Message(1, ExampleResource())
                         .Message(2, ProtoBuilder().Message(1, ExampleScope()).Message(2, span)));
  TracesRequest from_proto;
  Status st = DecodeTracesProto(request.bytes(), &from_proto);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(from_proto, from_json);
}

constexpr std::string_view kMetricsJson = R"({"resourceMetrics":[{
  "resource":{"attributes":[{"key":"service.name","value":{"stringValue":"my.service"}}]},
  "scopeMetrics":[{
    "scope":{"name":"my.library","version":"1.0.0","attributes":[
      {"key":"my.scope.attribute","value":{"stringValue":"some scope attribute"}}]},
    "metrics":[
      {"name":"my.counter","unit":"1","description":"I am a Counter",
       "sum":{"aggregationTemporality":1,"isMonotonic":true,"dataPoints":[
         {"asDouble":5,"startTimeUnixNano":"1544712660300000000","timeUnixNano":"1544712660300000000",
          "attributes":[{"key":"my.counter.attr","value":{"stringValue":"some value"}}]}]}},
      {"name":"my.gauge","unit":"1","description":"I am a Gauge",
       "gauge":{"dataPoints":[{"asDouble":10,"timeUnixNano":"1544712660300000000",
          "attributes":[{"key":"my.gauge.attr","value":{"stringValue":"some value"}}]}]}},
      {"name":"my.histogram","unit":"1","description":"I am a Histogram",
       "histogram":{"aggregationTemporality":1,"dataPoints":[
         {"startTimeUnixNano":"1544712660300000000","timeUnixNano":"1544712660300000000",
          "count":"2","sum":2,"bucketCounts":["1","1"],"explicitBounds":[1],"min":0,"max":2,
          "attributes":[{"key":"my.histogram.attr","value":{"stringValue":"some value"}}]}]}},
      {"name":"my.exponential.histogram","unit":"1","description":"I am an Exponential Histogram",
       "exponentialHistogram":{"aggregationTemporality":1,"dataPoints":[
         {"startTimeUnixNano":"1544712660300000000","timeUnixNano":"1544712660300000000",
          "count":"3","sum":10,"scale":0,"zeroCount":"1",
          "positive":{"offset":1,"bucketCounts":["0","2"]},"min":0,"max":5,"zeroThreshold":0,
          "attributes":[{"key":"my.exponential.histogram.attr","value":{"stringValue":"some value"}}]}]}}
    ]}]}]})";

TEST(OtlpExamplesTest, Metrics) {
  JsonDecoder json;
  MetricsRequest from_json;
  Status st = json.DecodeMetrics(kMetricsJson, &from_json);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(from_json.resource_metrics.size(), 1u);
  const ScopeMetrics& sm = from_json.resource_metrics[0].scope_metrics[0];
  ExpectExampleResourceAndScope(from_json.resource_metrics[0].resource, sm.scope);
  ASSERT_EQ(sm.metrics.size(), 4u);
  EXPECT_EQ(from_json.data_point_count(), 4u);

  const Metric& counter = sm.metrics[0];
  EXPECT_EQ(counter.name, "my.counter");
  EXPECT_EQ(counter.unit, "1");
  EXPECT_EQ(counter.description, "I am a Counter");
  EXPECT_EQ(counter.type, Metric::Type::kSum);
  EXPECT_EQ(counter.aggregation_temporality, AggregationTemporality::kDelta);
  EXPECT_TRUE(counter.is_monotonic);
  ASSERT_EQ(counter.number_points.size(), 1u);
  EXPECT_EQ(counter.number_points[0].value_type, NumberDataPoint::ValueType::kDouble);
  EXPECT_EQ(counter.number_points[0].value(), 5.0);
  EXPECT_EQ(counter.number_points[0].start_time_unix_nano, kT3);
  EXPECT_EQ(counter.number_points[0].time_unix_nano, kT3);
  EXPECT_EQ(FindStringAttribute(counter.number_points[0].attributes, "my.counter.attr"),
            "some value");

  const Metric& gauge = sm.metrics[1];
  EXPECT_EQ(gauge.type, Metric::Type::kGauge);
  ASSERT_EQ(gauge.number_points.size(), 1u);
  EXPECT_EQ(gauge.number_points[0].as_double, 10.0);
  EXPECT_EQ(gauge.number_points[0].start_time_unix_nano, 0u);

  const Metric& hist = sm.metrics[2];
  EXPECT_EQ(hist.type, Metric::Type::kHistogram);
  ASSERT_EQ(hist.histogram_points.size(), 1u);
  const HistogramDataPoint& h = hist.histogram_points[0];
  EXPECT_EQ(h.count, 2u);
  EXPECT_EQ(h.sum, 2.0);
  EXPECT_EQ(h.bucket_counts, (std::vector<uint64_t>{1, 1}));
  EXPECT_EQ(h.explicit_bounds, (std::vector<double>{1}));
  EXPECT_EQ(h.min, 0.0);
  EXPECT_EQ(h.max, 2.0);

  const Metric& exp = sm.metrics[3];
  EXPECT_EQ(exp.type, Metric::Type::kExponentialHistogram);
  EXPECT_EQ(exp.aggregation_temporality, AggregationTemporality::kDelta);
  ASSERT_EQ(exp.exponential_histogram_points.size(), 1u);
  const ExponentialHistogramDataPoint& e = exp.exponential_histogram_points[0];
  EXPECT_EQ(e.count, 3u);
  EXPECT_EQ(e.sum, 10.0);
  EXPECT_EQ(e.scale, 0);
  EXPECT_EQ(e.zero_count, 1u);
  EXPECT_EQ(e.positive.offset, 1);
  EXPECT_EQ(e.positive.bucket_counts, (std::vector<uint64_t>{0, 2}));
  EXPECT_TRUE(e.negative.bucket_counts.empty());
  EXPECT_EQ(e.min, 0.0);
  EXPECT_EQ(e.max, 5.0);

  // The same as protobuf (packed repeated fields, as the SDKs write them).
  auto point_attr = [](std::string_view key) { return StringAttr(key, "some value"); };
  std::string packed_counts(16, '\0');
  packed_counts[0] = 1;
  packed_counts[8] = 1;
  double one = 1;
  std::string packed_bounds(8, '\0');
  std::memcpy(packed_bounds.data(), &one, 8);
  ProtoBuilder scope_metrics;
  scope_metrics.Message(1, ExampleScope())
      .Message(2, ProtoBuilder()
                      .Bytes(1, "my.counter")
                      .Bytes(2, "I am a Counter")
                      .Bytes(3, "1")
                      .Message(7, ProtoBuilder()
                                      .Message(1, ProtoBuilder()
                                                      .Fixed64(2, kT3)
                                                      .Fixed64(3, kT3)
                                                      .Double(4, 5)
                                                      .Message(7, point_attr("my.counter.attr")))
                                      .Varint(2, 1)
                                      .Varint(3, 1)))
      .Message(2, ProtoBuilder()
                      .Bytes(1, "my.gauge")
                      .Bytes(2, "I am a Gauge")
                      .Bytes(3, "1")
                      .Message(5, ProtoBuilder().Message(
                                      1, ProtoBuilder()
                                             .Fixed64(3, kT3)
                                             .Double(4, 10)
                                             .Message(7, point_attr("my.gauge.attr")))))
      .Message(2, ProtoBuilder()
                      .Bytes(1, "my.histogram")
                      .Bytes(2, "I am a Histogram")
                      .Bytes(3, "1")
                      .Message(9, ProtoBuilder()
                                      .Message(1, ProtoBuilder()
                                                      .Fixed64(2, kT3)
                                                      .Fixed64(3, kT3)
                                                      .Fixed64(4, 2)
                                                      .Double(5, 2)
                                                      .Bytes(6, packed_counts)
                                                      .Bytes(7, packed_bounds)
                                                      .Double(11, 0)
                                                      .Double(12, 2)
                                                      .Message(9, point_attr("my.histogram.attr")))
                                      .Varint(2, 1)))
      .Message(
          2, ProtoBuilder()
                 .Bytes(1, "my.exponential.histogram")
                 .Bytes(2, "I am an Exponential Histogram")
                 .Bytes(3, "1")
                 .Message(10, ProtoBuilder()
                                  .Message(1, ProtoBuilder()
                                                  .Message(1, point_attr("my.exponential.histogram.attr"))
                                                  .Fixed64(2, kT3)
                                                  .Fixed64(3, kT3)
                                                  .Fixed64(4, 3)
                                                  .Double(5, 10)
                                                  .Sint(6, 0)
                                                  .Fixed64(7, 1)
                                                  .Message(8, ProtoBuilder().Sint(1, 1).Bytes(
                                                                  2, std::string("\x00\x02", 2)))
                                                  .Double(12, 0)
                                                  .Double(13, 5)
                                                  .Double(14, 0))
                                  .Varint(2, 1)));
  ProtoBuilder request;
  request.Message(1, ProtoBuilder().Message(1, ExampleResource()).Message(2, scope_metrics));
  MetricsRequest from_proto;
  st = DecodeMetricsProto(request.bytes(), &from_proto);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(from_proto, from_json);
}

constexpr std::string_view kLogsJson = R"({"resourceLogs":[{
  "resource":{"attributes":[{"key":"service.name","value":{"stringValue":"my.service"}}]},
  "scopeLogs":[{
    "scope":{"name":"my.library","version":"1.0.0","attributes":[
      {"key":"my.scope.attribute","value":{"stringValue":"some scope attribute"}}]},
    "logRecords":[{
      "timeUnixNano":"1544712660300000000","observedTimeUnixNano":"1544712660300000000",
      "severityNumber":10,"severityText":"Information",
      "traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174",
      "body":{"stringValue":"Example log record"},
      "attributes":[
        {"key":"string.attribute","value":{"stringValue":"some string"}},
        {"key":"boolean.attribute","value":{"boolValue":true}},
        {"key":"int.attribute","value":{"intValue":"10"}},
        {"key":"double.attribute","value":{"doubleValue":637.704}},
        {"key":"array.attribute","value":{"arrayValue":{"values":[
          {"stringValue":"many"},{"stringValue":"values"}]}}},
        {"key":"map.attribute","value":{"kvlistValue":{"values":[
          {"key":"some.map.key","value":{"stringValue":"some value"}}]}}}]}]}]}]})";

TEST(OtlpExamplesTest, Logs) {
  JsonDecoder json;
  LogsRequest from_json;
  Status st = json.DecodeLogs(kLogsJson, &from_json);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(from_json.log_record_count(), 1u);
  const ScopeLogs& sl = from_json.resource_logs[0].scope_logs[0];
  ExpectExampleResourceAndScope(from_json.resource_logs[0].resource, sl.scope);
  const LogRecord& r = sl.log_records[0];
  EXPECT_EQ(r.time_unix_nano, kT3);
  EXPECT_EQ(r.observed_time_unix_nano, kT3);
  EXPECT_EQ(r.severity_number, 10);
  EXPECT_EQ(r.severity_text, "Information");
  EXPECT_EQ(ToHex(r.trace_id), "5b8efff798038103d269b633813fc60c");
  EXPECT_EQ(ToHex(r.span_id), "eee19b7ec3c1b174");
  EXPECT_EQ(r.body.type, AnyValue::Type::kString);
  EXPECT_EQ(r.body.ToString(), "Example log record");
  ASSERT_EQ(r.attributes.size(), 6u);
  EXPECT_EQ(r.attributes[0].value.string_value, "some string");
  EXPECT_EQ(r.attributes[1].value.type, AnyValue::Type::kBool);
  EXPECT_TRUE(r.attributes[1].value.bool_value);
  EXPECT_EQ(r.attributes[2].value.type, AnyValue::Type::kInt);
  EXPECT_EQ(r.attributes[2].value.int_value, 10);
  EXPECT_EQ(r.attributes[3].value.type, AnyValue::Type::kDouble);
  EXPECT_EQ(r.attributes[3].value.double_value, 637.704);
  EXPECT_EQ(r.attributes[4].value.type, AnyValue::Type::kArray);
  EXPECT_EQ(r.attributes[4].value.string_value, R"(["many","values"])");
  EXPECT_EQ(r.attributes[5].value.type, AnyValue::Type::kKvlist);
  EXPECT_EQ(r.attributes[5].value.string_value, R"({"some.map.key":"some value"})");

  auto any = [](ProtoBuilder v) { return v; };
  auto kv = [](std::string_view key, const ProtoBuilder& value) {
    return ProtoBuilder().Bytes(1, key).Message(2, value);
  };
  ProtoBuilder record;
  record.Fixed64(1, kT3)
      .Fixed64(11, kT3)
      .Varint(2, 10)
      .Bytes(3, "Information")
      .Bytes(9, Unhex("5B8EFFF798038103D269B633813FC60C"))
      .Bytes(10, Unhex("EEE19B7EC3C1B174"))
      .Message(5, any(ProtoBuilder().Bytes(1, "Example log record")))
      .Message(6, StringAttr("string.attribute", "some string"))
      .Message(6, kv("boolean.attribute", ProtoBuilder().Varint(2, 1)))
      .Message(6, kv("int.attribute", ProtoBuilder().Varint(3, 10)))
      .Message(6, kv("double.attribute", ProtoBuilder().Double(4, 637.704)))
      .Message(6, kv("array.attribute",
                     ProtoBuilder().Message(5, ProtoBuilder()
                                                   .Message(1, ProtoBuilder().Bytes(1, "many"))
                                                   .Message(1, ProtoBuilder().Bytes(1, "values")))))
      .Message(6, kv("map.attribute",
                     ProtoBuilder().Message(
                         6, ProtoBuilder().Message(1, StringAttr("some.map.key", "some value")))));
  ProtoBuilder request;
  request.Message(1, ProtoBuilder()
                         .Message(1, ExampleResource())
                         .Message(2, ProtoBuilder().Message(1, ExampleScope()).Message(2, record)));
  LogsRequest from_proto;
  st = DecodeLogsProto(request.bytes(), &from_proto);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(from_proto, from_json);
}

}  // namespace
}  // namespace perfwatch::ingest::otlp
