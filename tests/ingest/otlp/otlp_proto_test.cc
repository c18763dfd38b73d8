#include "ingest/otlp/otlp_proto.h"

#include <gtest/gtest.h>

#include <cmath>

#include "ingest/otlp/otlp_json.h"
#include "proto_builder.h"

namespace perfwatch::ingest::otlp {
namespace {

using testing::ProtoBuilder;
using testing::StringAttr;
using testing::Unhex;

const std::string kTraceId = Unhex("0102030405060708090a0b0c0d0e0f10");
const std::string kSpanId = Unhex("1112131415161718");

ProtoBuilder Traces(const ProtoBuilder& span) {
  ProtoBuilder req;
  req.Message(1, ProtoBuilder().Message(2, ProtoBuilder().Message(2, span)));
  return req;
}

ProtoBuilder MinimalSpan() {
  ProtoBuilder span;
  span.Bytes(1, kTraceId).Bytes(2, kSpanId).Bytes(5, "GET /x");
  return span;
}

// Every wire type of unknown field (varint, fixed64, length-delimited, group with nested
// content, fixed32), inserted at `field`.
ProtoBuilder& AddUnknownFields(ProtoBuilder& b, uint32_t field) {
  b.Varint(field, 0xffffffffffffffffULL)
      .Fixed64(field + 1, 42)
      .Bytes(field + 2, "ignored")
      .Group(field + 3, ProtoBuilder().Varint(1, 1).Group(2, ProtoBuilder().Fixed32(1, 7)))
      .Fixed32(field + 4, 9);
  return b;
}

TEST(OtlpProtoTest, EmptyBodyIsAnEmptyRequest) {
  TracesRequest out;
  ASSERT_TRUE(DecodeTracesProto("", &out).ok());
  EXPECT_EQ(out.span_count(), 0u);
}

TEST(OtlpProtoTest, SkipsUnknownFieldsOfEveryWireTypeAtEveryLevel) {
  ProtoBuilder span = MinimalSpan();
  AddUnknownFields(span, 100);
  ProtoBuilder attr_value;
  attr_value.Bytes(1, "v");
  AddUnknownFields(attr_value, 20);
  ProtoBuilder attr;
  attr.Bytes(1, "k").Message(2, attr_value);
  AddUnknownFields(attr, 30);
  span.Message(9, attr);
  ProtoBuilder scope_spans;
  scope_spans.Message(2, span);
  AddUnknownFields(scope_spans, 50);
  ProtoBuilder resource_spans;
  AddUnknownFields(resource_spans, 60);
  resource_spans.Message(2, scope_spans);
  ProtoBuilder req;
  AddUnknownFields(req, 2);
  req.Message(1, resource_spans);
  AddUnknownFields(req, 7);

  TracesRequest out;
  Status st = DecodeTracesProto(req.bytes(), &out);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(out.span_count(), 1u);
  const Span& s = out.resource_spans[0].scope_spans[0].spans[0];
  EXPECT_EQ(s.name, "GET /x");
  EXPECT_EQ(ToHex(s.trace_id), "0102030405060708090a0b0c0d0e0f10");
  EXPECT_TRUE(s.is_root());
  ASSERT_EQ(s.attributes.size(), 1u);
  EXPECT_EQ(FindStringAttribute(s.attributes, "k"), "v");
}

TEST(OtlpProtoTest, RepeatedScalarsPackedAndUnpacked) {
  ProtoBuilder point;
  std::string packed(8, '\0');
  packed[0] = 3;
  point.Fixed64(6, 1).Bytes(6, packed).Fixed64(6, 5);  // unpacked, packed, unpacked
  point.Double(7, 0.5).Double(7, 1.5);
  point.Bytes(6, "").Bytes(7, "");  // empty packed fields add nothing (a fuzzer finding)
  ProtoBuilder exp_point;
  exp_point.Message(8, ProtoBuilder()
                           .Sint(1, -3)
                           .Varint(2, 7)
                           .Bytes(2, std::string("\x01\x80\x01", 3))  // packed 1, 128
                           .Varint(2, 300));
  exp_point.Sint(6, -2);
  ProtoBuilder metrics;
  metrics.Message(
      1, ProtoBuilder().Message(
             2, ProtoBuilder()
                    .Message(2, ProtoBuilder().Bytes(1, "h").Message(9, ProtoBuilder().Message(1, point)))
                    .Message(2, ProtoBuilder().Bytes(1, "e").Message(
                                    10, ProtoBuilder().Message(1, exp_point)))));
  MetricsRequest out;
  Status st = DecodeMetricsProto(metrics.bytes(), &out);
  ASSERT_TRUE(st.ok()) << st.ToString();
  const auto& ms = out.resource_metrics[0].scope_metrics[0].metrics;
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_EQ(ms[0].histogram_points[0].bucket_counts, (std::vector<uint64_t>{1, 3, 5}));
  EXPECT_EQ(ms[0].histogram_points[0].explicit_bounds, (std::vector<double>{0.5, 1.5}));
  EXPECT_FALSE(ms[0].histogram_points[0].sum.has_value());
  const ExponentialHistogramDataPoint& e = ms[1].exponential_histogram_points[0];
  EXPECT_EQ(e.scale, -2);
  EXPECT_EQ(e.positive.offset, -3);
  EXPECT_EQ(e.positive.bucket_counts, (std::vector<uint64_t>{7, 1, 128, 300}));
}

TEST(OtlpProtoTest, MessageFieldsMergeAndOneofLastCaseWins) {
  // Two `resource` fields merge; a metric sent as gauge then sum is a sum.
  ProtoBuilder rm;
  rm.Message(1, ProtoBuilder().Message(1, StringAttr("a", "1")))
      .Message(1, ProtoBuilder().Message(1, StringAttr("b", "2")))
      .Message(2, ProtoBuilder().Message(
                      2, ProtoBuilder()
                             .Bytes(1, "m")
                             .Message(5, ProtoBuilder().Message(1, ProtoBuilder().Double(4, 1)))
                             .Message(7, ProtoBuilder()
                                             .Message(1, ProtoBuilder().Fixed64(6, uint64_t(-7)))
                                             .Varint(2, 2))));
  MetricsRequest out;
  ASSERT_TRUE(DecodeMetricsProto(ProtoBuilder().Message(1, rm).bytes(), &out).ok());
  EXPECT_EQ(out.resource_metrics[0].resource.attributes.size(), 2u);
  const Metric& m = out.resource_metrics[0].scope_metrics[0].metrics[0];
  EXPECT_EQ(m.type, Metric::Type::kSum);
  ASSERT_EQ(m.number_points.size(), 1u);
  EXPECT_EQ(m.number_points[0].value_type, NumberDataPoint::ValueType::kInt);
  EXPECT_EQ(m.number_points[0].as_int, -7);
  EXPECT_EQ(m.aggregation_temporality, AggregationTemporality::kCumulative);
}

TEST(OtlpProtoTest, ArrayOfHugeWholeDoubleIsValidJson) {
  // A fuzzer finding: -2.767e19 printed as bare digits is an integer beyond 64 bits.
  ProtoBuilder span = MinimalSpan();
  span.Message(9, ProtoBuilder().Bytes(1, "arr").Message(
                      2, ProtoBuilder().Message(
                             5, ProtoBuilder().Message(1, ProtoBuilder().Double(4, -27670116110564327424.0)))));
  TracesRequest out;
  ASSERT_TRUE(DecodeTracesProto(Traces(span).bytes(), &out).ok());
  EXPECT_EQ(out.resource_spans[0].scope_spans[0].spans[0].attributes[0].value.string_value,
            "[-2.7670116110564327e+19]");
}

TEST(OtlpProtoTest, UnknownEnumValuesAreKept) {
  ProtoBuilder span = MinimalSpan();
  span.Varint(6, 9).Message(15, ProtoBuilder().Varint(3, 7));
  TracesRequest out;
  ASSERT_TRUE(DecodeTracesProto(Traces(span).bytes(), &out).ok());
  const Span& s = out.resource_spans[0].scope_spans[0].spans[0];
  EXPECT_EQ(static_cast<int>(s.kind), 9);
  EXPECT_EQ(SpanKindName(s.kind), "");
  EXPECT_EQ(static_cast<int>(s.status_code), 7);
}

// Decodes a traces request that must fail; returns the message.
std::string TraceError(std::string_view body, const DecodeLimits& limits = {}) {
  TracesRequest out;
  Status st = DecodeTracesProto(body, &out, limits);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(out.resource_spans.empty());
  return st.message();
}

TEST(OtlpProtoTest, MalformedInputErrorsWithOffsets) {
  const std::string good = Traces(MinimalSpan()).bytes();
  // Truncated anywhere inside: the outer length runs past the end.
  EXPECT_EQ(TraceError(good.substr(0, good.size() - 1)),
            "otlp protobuf: length " + std::to_string(good.size() - 2) +
                " of field 1 runs past the end of its message (" + std::to_string(good.size() - 3) +
                " bytes left) at byte 0");
  EXPECT_EQ(TraceError("\x0a"), "otlp protobuf: truncated varint at byte 1");
  EXPECT_EQ(TraceError("\x0a\x80"), "otlp protobuf: truncated varint at byte 1");
  EXPECT_EQ(TraceError(std::string("\x0a\x01\x00", 3)),
            "otlp protobuf: invalid field number 0 at byte 2");
  EXPECT_EQ(TraceError("\x0e"), "otlp protobuf: invalid wire type 6 (field 1) at byte 0");
  EXPECT_EQ(TraceError("\x0c"), "otlp protobuf: end-group without a start-group at byte 0");
  EXPECT_EQ(TraceError("\x0b\x10\x01"), "otlp protobuf: unterminated group (field 1) at byte 0");
  EXPECT_EQ(TraceError("\x0b\x14"), "otlp protobuf: mismatched end-group at byte 1");
  EXPECT_EQ(TraceError("\x09\x01\x02"), "otlp protobuf: truncated fixed64 field 1 at byte 0");
  EXPECT_EQ(TraceError("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f"),
            "otlp protobuf: varint overflows 64 bits at byte 1");
  EXPECT_EQ(TraceError("\x08\x01"),
            "otlp protobuf: ExportTraceServiceRequest.resource_spans (field 1) has wire type 0 "
            "(varint), want 2 (length-delimited) at byte 0");

  // Errors deep inside carry the offset of the field from the start of the body.
  ProtoBuilder span = MinimalSpan();
  const size_t span_prefix = 6;  // 0a LEN 12 LEN 12 LEN
  span.Bytes(4, "short");
  EXPECT_EQ(TraceError(Traces(span).bytes()),
            "otlp protobuf: Span.parent_span_id has 5 bytes, want 8 (or none) at byte " +
                std::to_string(span_prefix + MinimalSpan().size()));
  ProtoBuilder bad_utf8 = MinimalSpan();
  bad_utf8.Bytes(5, "\xff\xfe");
  EXPECT_EQ(TraceError(Traces(bad_utf8).bytes()),
            "otlp protobuf: Span.name is not valid UTF-8 at byte " +
                std::to_string(span_prefix + MinimalSpan().size()));
  ProtoBuilder wrong_type = MinimalSpan();
  wrong_type.Varint(7, 1);
  EXPECT_NE(TraceError(Traces(wrong_type).bytes()).find("Span.start_time_unix_nano (field 7) has wire type 0"),
            std::string::npos);
}

TEST(OtlpProtoTest, LimitsOnNestingAndItems) {
  // An AnyValue array nested 17 deep (depth 1 is the attribute's own value).
  ProtoBuilder value = ProtoBuilder().Varint(3, 1);
  for (int i = 0; i < 16; ++i) value = ProtoBuilder().Message(5, ProtoBuilder().Message(1, value));
  ProtoBuilder span = MinimalSpan();
  span.Message(9, ProtoBuilder().Bytes(1, "deep").Message(2, value));
  DecodeLimits limits;
  limits.max_any_value_depth = 17;
  TracesRequest out;
  ASSERT_TRUE(DecodeTracesProto(Traces(span).bytes(), &out, limits).ok());
  EXPECT_EQ(out.resource_spans[0].scope_spans[0].spans[0].attributes[0].value.string_value,
            "[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]");
  limits.max_any_value_depth = 16;
  EXPECT_NE(TraceError(Traces(span).bytes(), limits).find("AnyValue nested more than 16 deep"),
            std::string::npos);

  // 1 resource + 1 scope + 1 span + 3 attributes = 6 items.
  ProtoBuilder three = MinimalSpan();
  three.Message(9, StringAttr("a", "1")).Message(9, StringAttr("b", "2")).Message(9, StringAttr("c", "3"));
  limits.max_items = 6;
  EXPECT_TRUE(DecodeTracesProto(Traces(three).bytes(), &out, limits).ok());
  limits.max_items = 5;
  EXPECT_NE(TraceError(Traces(three).bytes(), limits).find("more than 5 items"), std::string::npos);
}

TEST(OtlpProtoTest, EveryPrefixAndByteFlipIsHandled) {
  // Not a fuzzer, but runs every truncation and single-byte change of a rich request
  // under the test's sanitizers: each either decodes or fails with kInvalidArgument.
  ProtoBuilder span = MinimalSpan();
  span.Message(9, StringAttr("http.route", "/x"))
      .Message(11, ProtoBuilder().Fixed64(1, 5).Bytes(2, "exception").Message(3, StringAttr("exception.type", "E")))
      .Message(13, ProtoBuilder().Bytes(1, kTraceId).Bytes(2, kSpanId).Fixed32(6, 1))
      .Message(15, ProtoBuilder().Bytes(2, "boom").Varint(3, 2))
      .Fixed32(16, 0x301);
  const std::string body = Traces(span).bytes();
  TracesRequest out;
  for (size_t n = 0; n <= body.size(); ++n) {
    Status st = DecodeTracesProto(std::string_view(body).substr(0, n), &out);
    if (!st.ok()) {
      EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
    }
  }
  for (size_t i = 0; i < body.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string mutated = body;
      mutated[i] = static_cast<char>(mutated[i] ^ (1 << bit));
      Status st = DecodeTracesProto(mutated, &out);
      if (!st.ok()) {
      EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
    }
    }
  }
}

}  // namespace
}  // namespace perfwatch::ingest::otlp
