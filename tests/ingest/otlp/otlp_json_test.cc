#include "ingest/otlp/otlp_json.h"

#include <gtest/gtest.h>

#include <cmath>

#include "ingest/otlp/otlp_proto.h"
#include "proto_builder.h"

namespace perfwatch::ingest::otlp {
namespace {

using testing::ProtoBuilder;
using testing::StringAttr;
using testing::Unhex;

std::string WrapSpan(std::string_view span_json) {
  return R"({"resourceSpans":[{"scopeSpans":[{"spans":[)" + std::string(span_json) + "]}]}]}";
}

Span DecodeOneSpan(std::string_view span_json) {
  JsonDecoder d;
  TracesRequest out;
  Status st = d.DecodeTraces(WrapSpan(span_json), &out);
  EXPECT_TRUE(st.ok()) << st.ToString();
  if (out.span_count() != 1) return {};
  return out.resource_spans[0].scope_spans[0].spans[0];
}

std::string SpanError(std::string_view span_json) {
  JsonDecoder d;
  TracesRequest out;
  Status st = d.DecodeTraces(WrapSpan(span_json), &out);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(out.resource_spans.empty());
  return st.message();
}

// A server span with everything the APM needs: attributes of every type, an exception
// event, a link, an error status, flags and dropped counts. The same in both encodings.
constexpr std::string_view kRichSpanJson = R"j({
  "traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"1112131415161718",
  "parentSpanId":"","traceState":"k=v","flags":769,"name":"GET /users/:id","kind":"SPAN_KIND_SERVER",
  "startTimeUnixNano":1700000000000000000,"endTimeUnixNano":"1700000000012345678",
  "attributes":[
    {"key":"http.request.method","value":{"stringValue":"GET"}},
    {"key":"http.response.status_code","value":{"intValue":500}},
    {"key":"sampled","value":{"boolValue":false}},
    {"key":"ratio","value":{"doubleValue":"NaN"}},
    {"key":"blob","value":{"bytesValue":"AP8-_w"}},
    {"key":"empty","value":{}},
    {"key":"nested","value":{"arrayValue":{"values":[{"intValue":"-1"},{"doubleValue":2.5},
      {"kvlistValue":{"values":[{"key":"a\"b","value":{"boolValue":true}},{"key":"n"}]}},
      {"bytesValue":"AQI="}]}}}],
  "droppedAttributesCount":1,
  "events":[{"timeUnixNano":"1700000000010000000","name":"exception","attributes":[
    {"key":"exception.type","value":{"stringValue":"TypeError"}},
    {"key":"exception.message","value":{"stringValue":"x is undefined"}},
    {"key":"exception.stacktrace","value":{"stringValue":"TypeError: x\n    at f (app.js:1:2)"}}]}],
  "droppedEventsCount":2,
  "links":[{"traceId":"A1A2A3A4A5A6A7A8A9AAABACADAEAFB0","spanId":"b1b2b3b4b5b6b7b8","flags":1,
    "attributes":[{"key":"l","value":{"stringValue":"v"}}]}],
  "droppedLinksCount":3,
  "status":{"code":2,"message":"Internal Server Error"},
  "unknownField":{"deep":[1,2,{"x":null}]}})j";

ProtoBuilder RichSpanProto() {
  auto kv = [](std::string_view key, const ProtoBuilder& value) {
    return ProtoBuilder().Bytes(1, key).Message(2, value);
  };
  ProtoBuilder nested;
  nested.Message(1, ProtoBuilder().Varint(3, uint64_t(-1)))
      .Message(1, ProtoBuilder().Double(4, 2.5))
      .Message(1, ProtoBuilder().Message(6, ProtoBuilder()
                                                .Message(1, kv("a\"b", ProtoBuilder().Varint(2, 1)))
                                                .Message(1, ProtoBuilder().Bytes(1, "n"))))
      .Message(1, ProtoBuilder().Bytes(7, std::string("\x01\x02", 2)));
  ProtoBuilder span;
  span.Bytes(1, Unhex("0102030405060708090a0b0c0d0e0f10"))
      .Bytes(2, Unhex("1112131415161718"))
      .Bytes(4, "")
      .Bytes(3, "k=v")
      .Fixed32(16, 769)
      .Bytes(5, "GET /users/:id")
      .Varint(6, 2)
      .Fixed64(7, 1700000000000000000ULL)
      .Fixed64(8, 1700000000012345678ULL)
      .Message(9, StringAttr("http.request.method", "GET"))
      .Message(9, kv("http.response.status_code", ProtoBuilder().Varint(3, 500)))
      .Message(9, kv("sampled", ProtoBuilder().Varint(2, 0)))
      .Message(9, kv("ratio", ProtoBuilder().Double(4, std::nan(""))))
      .Message(9, kv("blob", ProtoBuilder().Bytes(7, std::string("\x00\xff\x3e\xff", 4))))
      .Message(9, kv("empty", ProtoBuilder()))
      .Message(9, kv("nested", ProtoBuilder().Message(5, nested)))
      .Varint(10, 1)
      .Message(11, ProtoBuilder()
                       .Fixed64(1, 1700000000010000000ULL)
                       .Bytes(2, "exception")
                       .Message(3, StringAttr("exception.type", "TypeError"))
                       .Message(3, StringAttr("exception.message", "x is undefined"))
                       .Message(3, StringAttr("exception.stacktrace", "TypeError: x\n    at f (app.js:1:2)")))
      .Varint(12, 2)
      .Message(13, ProtoBuilder()
                       .Bytes(1, Unhex("A1A2A3A4A5A6A7A8A9AAABACADAEAFB0"))
                       .Bytes(2, Unhex("b1b2b3b4b5b6b7b8"))
                       .Fixed32(6, 1)
                       .Message(4, StringAttr("l", "v")))
      .Varint(14, 3)
      .Message(15, ProtoBuilder().Varint(3, 2).Bytes(2, "Internal Server Error"));
  return span;
}

TEST(OtlpJsonTest, RichSpanDecodesLikeProtobuf) {
  Span s = DecodeOneSpan(kRichSpanJson);
  EXPECT_EQ(s.kind, SpanKind::kServer);
  EXPECT_TRUE(s.is_root());
  EXPECT_EQ(s.flags, 769u);
  EXPECT_EQ(s.end_time_unix_nano - s.start_time_unix_nano, 12345678u);
  EXPECT_EQ(s.status_code, SpanStatusCode::kError);
  EXPECT_EQ(SpanStatusCodeName(s.status_code), "STATUS_CODE_ERROR");
  EXPECT_EQ(s.status_message, "Internal Server Error");
  ASSERT_EQ(s.attributes.size(), 7u);
  EXPECT_EQ(FindAttribute(s.attributes, "http.response.status_code")->int_value, 500);
  EXPECT_TRUE(std::isnan(FindAttribute(s.attributes, "ratio")->double_value));
  EXPECT_EQ(FindAttribute(s.attributes, "ratio")->ToString(), "NaN");
  EXPECT_EQ(FindAttribute(s.attributes, "blob")->string_value, std::string("\x00\xff\x3e\xff", 4));
  EXPECT_EQ(FindAttribute(s.attributes, "empty")->type, AnyValue::Type::kEmpty);
  EXPECT_EQ(FindAttribute(s.attributes, "nested")->string_value,
            R"([-1,2.5,{"a\"b":true,"n":null},"AQI="])");
  ASSERT_EQ(s.events.size(), 1u);
  EXPECT_EQ(FindStringAttribute(s.events[0].attributes, "exception.type"), "TypeError");
  EXPECT_EQ(FindStringAttribute(s.events[0].attributes, "exception.stacktrace"),
            "TypeError: x\n    at f (app.js:1:2)");
  ASSERT_EQ(s.links.size(), 1u);
  EXPECT_EQ(ToHex(s.links[0].trace_id), "a1a2a3a4a5a6a7a8a9aaabacadaeafb0");
  EXPECT_EQ(s.dropped_events_count, 2u);
  EXPECT_EQ(s.dropped_links_count, 3u);

  ProtoBuilder req;
  req.Message(1, ProtoBuilder().Message(2, ProtoBuilder().Message(2, RichSpanProto())));
  TracesRequest from_proto;
  Status st = DecodeTracesProto(req.bytes(), &from_proto);
  ASSERT_TRUE(st.ok()) << st.ToString();
  Span p = from_proto.resource_spans[0].scope_spans[0].spans[0];
  // NaN != NaN: compare the rest with the NaN attribute set aside.
  EXPECT_TRUE(std::isnan(p.attributes[3].value.double_value));
  p.attributes[3].value.double_value = s.attributes[3].value.double_value = 0;
  EXPECT_EQ(p, s);
}

TEST(OtlpJsonTest, SnakeCaseEnumNamesAndNumberForms) {
  Span a = DecodeOneSpan(R"({"trace_id":"0102030405060708090A0B0C0D0E0F10","span_id":"1112131415161718",
    "parent_span_id":"2122232425262728","kind":3,"start_time_unix_nano":"5","end_time_unix_nano":6e0,
    "status":{"code":"STATUS_CODE_OK"},"dropped_attributes_count":"4",
    "attributes":[{"key":"i","value":{"int_value":"-9223372036854775808"}},
                  {"key":"d","value":{"double_value":"1.5"}},{"key":"e","value":{"double_value":7}},
                  {"key":"big","value":{"intValue":9223372036854775807}}]})");
  EXPECT_EQ(ToHex(a.trace_id), "0102030405060708090a0b0c0d0e0f10");
  EXPECT_EQ(ToHex(a.parent_span_id), "2122232425262728");
  EXPECT_EQ(a.kind, SpanKind::kClient);
  EXPECT_EQ(a.start_time_unix_nano, 5u);
  EXPECT_EQ(a.end_time_unix_nano, 6u);
  EXPECT_EQ(a.status_code, SpanStatusCode::kOk);
  EXPECT_EQ(a.dropped_attributes_count, 4u);
  EXPECT_EQ(a.attributes[0].value.int_value, INT64_MIN);
  EXPECT_EQ(a.attributes[1].value.double_value, 1.5);
  EXPECT_EQ(a.attributes[2].value.type, AnyValue::Type::kDouble);
  EXPECT_EQ(a.attributes[2].value.double_value, 7);
  EXPECT_EQ(a.attributes[3].value.int_value, INT64_MAX);
}

TEST(OtlpJsonTest, NullsAndUnknownFieldsAreIgnored) {
  Span s = DecodeOneSpan(R"({"name":null,"kind":null,"attributes":null,"status":null,"x":[[[{}]]],
                             "spanId":"1112131415161718","traceId":"0102030405060708090a0b0c0d0e0f10"})");
  EXPECT_EQ(s.name, "");
  EXPECT_EQ(s.kind, SpanKind::kUnspecified);
  EXPECT_TRUE(s.attributes.empty());
}

TEST(OtlpJsonTest, ErrorsNameThePath) {
  EXPECT_EQ(SpanError(R"({"traceId":"0102"})"),
            "otlp json: resourceSpans[0].scopeSpans[0].spans[0].traceId: want 32 hex digits, got 4 characters");
  EXPECT_EQ(SpanError(R"({"spanId":"111213141516171g"})"),
            "otlp json: resourceSpans[0].scopeSpans[0].spans[0].spanId: not a hex digit at character 15");
  EXPECT_EQ(SpanError(R"({"kind":"SERVER"})"),
            "otlp json: resourceSpans[0].scopeSpans[0].spans[0].kind: unknown enum value \"SERVER\"");
  EXPECT_EQ(SpanError(R"({"attributes":[{"key":"a","value":{"intValue":"1x"}}]})"),
            "otlp json: resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.intValue: want a "
            "64-bit integer (number or decimal string), got the string \"1x\"");
  EXPECT_EQ(SpanError(R"({"startTimeUnixNano":-1})"),
            "otlp json: resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano: want an unsigned "
            "64-bit integer (number or decimal string), got a number");
  EXPECT_EQ(SpanError(R"({"flags":4294967296})"),
            "otlp json: resourceSpans[0].scopeSpans[0].spans[0].flags: value 4294967296 does not fit in 32 bits");
  EXPECT_EQ(SpanError(R"({"name":1})"),
            "otlp json: resourceSpans[0].scopeSpans[0].spans[0].name: want a string, got a number");
  EXPECT_EQ(SpanError(R"(7)"), "otlp json: resourceSpans[0].scopeSpans[0].spans[0]: want an object, got a number");
  EXPECT_EQ(SpanError(R"({"attributes":[{"value":{"bytesValue":"!!"}}]})"),
            "otlp json: resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.bytesValue: invalid base64");

  JsonDecoder d;
  TracesRequest out;
  Status st = d.DecodeTraces(R"({"resourceSpans":[)", &out);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message().rfind("otlp json: malformed JSON: ", 0), 0u) << st.message();
  st = d.DecodeTraces("[]", &out);
  EXPECT_EQ(st.message(), "otlp json: want an object, got an array");
}

TEST(OtlpJsonTest, LimitsOnNestingAndItems) {
  std::string value = R"({"intValue":1})";
  for (int i = 0; i < 16; ++i) value = R"({"arrayValue":{"values":[)" + value + "]}}";
  const std::string span = R"({"attributes":[{"key":"deep","value":)" + value + "}]}";
  DecodeLimits limits;
  limits.max_any_value_depth = 17;
  JsonDecoder ok_decoder(limits);
  TracesRequest out;
  ASSERT_TRUE(ok_decoder.DecodeTraces(WrapSpan(span), &out).ok());
  EXPECT_EQ(out.resource_spans[0].scope_spans[0].spans[0].attributes[0].value.string_value,
            "[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]");
  limits.max_any_value_depth = 16;
  JsonDecoder shallow(limits);
  Status st = shallow.DecodeTraces(WrapSpan(span), &out);
  EXPECT_NE(st.message().find("AnyValue nested more than 16 deep"), std::string::npos) << st.message();

  limits = {};
  limits.max_items = 5;  // resource, scope, span, 2 attributes
  JsonDecoder few(limits);
  const std::string two = R"({"attributes":[{"key":"a"},{"key":"b"}]})";
  EXPECT_TRUE(few.DecodeTraces(WrapSpan(two), &out).ok());
  const std::string three = R"({"attributes":[{"key":"a"},{"key":"b"},{"key":"c"}]})";
  st = few.DecodeTraces(WrapSpan(three), &out);
  EXPECT_NE(st.message().find("more than 5 items"), std::string::npos) << st.message();
}

TEST(OtlpJsonTest, MetricsSummaryAndIntPointsMatchProtobuf) {
  constexpr std::string_view json = R"({"resource_metrics":[{"scope_metrics":[{"metrics":[
    {"name":"rpc.duration","summary":{"dataPoints":[{"count":"10","sum":12.5,"flags":1,
      "quantileValues":[{"quantile":0.5,"value":1},{"quantile":0.99,"value":"2.5"}]}]}},
    {"name":"requests","sum":{"aggregationTemporality":"AGGREGATION_TEMPORALITY_CUMULATIVE",
      "isMonotonic":true,"dataPoints":[{"asInt":"-3","exemplars":[{},{"asDouble":1}]}]}}]}]}]})";
  JsonDecoder d;
  MetricsRequest from_json;
  Status st = d.DecodeMetrics(json, &from_json);
  ASSERT_TRUE(st.ok()) << st.ToString();
  const auto& ms = from_json.resource_metrics[0].scope_metrics[0].metrics;
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_EQ(ms[0].summary_points[0].quantile_values[1].value, 2.5);
  EXPECT_EQ(ms[0].summary_points[0].flags, kDataPointNoRecordedValue);
  EXPECT_EQ(ms[1].number_points[0].as_int, -3);
  EXPECT_EQ(ms[1].number_points[0].exemplar_count, 2u);

  ProtoBuilder req;
  req.Message(
      1, ProtoBuilder().Message(
             2, ProtoBuilder()
                    .Message(2, ProtoBuilder().Bytes(1, "rpc.duration").Message(
                                    11, ProtoBuilder().Message(
                                            1, ProtoBuilder()
                                                   .Fixed64(4, 10)
                                                   .Double(5, 12.5)
                                                   .Varint(8, 1)
                                                   .Message(6, ProtoBuilder().Double(1, 0.5).Double(2, 1))
                                                   .Message(6, ProtoBuilder().Double(1, 0.99).Double(2, 2.5)))))
                    .Message(2, ProtoBuilder().Bytes(1, "requests").Message(
                                    7, ProtoBuilder()
                                           .Varint(2, 2)
                                           .Varint(3, 1)
                                           .Message(1, ProtoBuilder()
                                                           .Fixed64(6, uint64_t(-3))
                                                           .Message(5, ProtoBuilder())
                                                           .Message(5, ProtoBuilder().Double(3, 1)))))));
  MetricsRequest from_proto;
  st = DecodeMetricsProto(req.bytes(), &from_proto);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(from_proto, from_json);
}

TEST(OtlpJsonTest, LogBodyKinds) {
  JsonDecoder d;
  LogsRequest out;
  Status st = d.DecodeLogs(R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[
    {"severityNumber":"SEVERITY_NUMBER_ERROR","body":{"kvlistValue":{"values":[{"key":"msg","value":{"stringValue":"x"}}]}}},
    {"body":{"intValue":"42"},"flags":1,"eventName":"e"}]}]}]})", &out);
  ASSERT_TRUE(st.ok()) << st.ToString();
  const auto& rs = out.resource_logs[0].scope_logs[0].log_records;
  EXPECT_EQ(rs[0].severity_number, 17);
  EXPECT_EQ(rs[0].body.ToString(), R"({"msg":"x"})");
  EXPECT_EQ(rs[1].body.ToString(), "42");
  EXPECT_EQ(rs[1].event_name, "e");
  EXPECT_TRUE(IsZero(rs[1].trace_id));
}

}  // namespace
}  // namespace perfwatch::ingest::otlp
