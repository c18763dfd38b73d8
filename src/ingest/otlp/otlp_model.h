#pragma once
// The decoded form of an OTLP export request (opentelemetry-proto v1.x): what
// otlp_proto.h (application/x-protobuf) and otlp_json.h (application/json) produce and
// what the receiver, the span store, the RED metrics and the metrics mapping consume.
// Full description, limits and the JSON mapping: docs/otlp.md.
//
// Contract:
// - Plain owning structs (std::string, std::vector) that mirror the protobuf messages
//   field for field, with the same names in snake_case; both decoders give equal models
//   (operator==) for the same content. Nothing points into the request body.
// - Scalars absent on the wire keep their proto3 defaults (0, "", false); `optional`
//   fields of the proto (histogram sum/min/max) are std::optional here.
// - Enums keep the wire number, also for values this code does not name (proto3 open
//   enums): switch with a default branch.
// - Trace and span ids are fixed-size byte arrays; an id empty on the wire is all zeros
//   (IsZero()). Decoders reject ids of any other length.
// - Attribute values (AnyValue) are typed for the scalar kinds; arrays and key-value
//   lists are kept as their JSON text (see AnyValue).
// - Exemplars and the profiling-only fields (`*_strindex`, entity refs, metric metadata)
//   are not decoded: exemplars are counted, the rest is skipped.
//
// Thread safety: plain values; a model may be read from several threads at once and
// moved between threads.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace perfwatch::ingest::otlp {

// Limits the decoders enforce on every request (beyond the body size, which the receiver
// limits before decoding). Exceeding one fails the request with kInvalidArgument.
struct DecodeLimits {
  // Spans, span events, links, log records, data points, exemplars, quantile values, attributes
  // (every KeyValue, also inside key-value lists), array elements, resource and scope
  // entries together. Bounds the memory an adversarial body can make the model take: an
  // empty span is 2 bytes on the wire and about 250 bytes decoded.
  size_t max_items = size_t{1} << 20;
  // Nesting of AnyValue arrays and key-value lists (a scalar attribute is depth 1).
  int max_any_value_depth = 16;
};

using TraceId = std::array<uint8_t, 16>;
using SpanId = std::array<uint8_t, 8>;

template <size_t N>
bool IsZero(const std::array<uint8_t, N>& id) {
  for (uint8_t b : id)
    if (b != 0) return false;
  return true;
}
// Lower-case hex, as the OTLP JSON mapping and W3C trace context write ids.
std::string ToHex(const uint8_t* data, size_t n);
template <size_t N>
std::string ToHex(const std::array<uint8_t, N>& id) {
  return ToHex(id.data(), N);
}

// common.v1.AnyValue. One type tag and the field it uses:
//   kEmpty   no value set (JSON `{}` / an empty AnyValue message)
//   kString  string_value (valid UTF-8)
//   kBool    bool_value
//   kInt     int_value
//   kDouble  double_value
//   kBytes   string_value holds the raw bytes
//   kArray   string_value holds the array as compact JSON text: `["a",1,true]`
//   kKvlist  string_value holds the list as a JSON object: `{"k":"v","n":2}` (keys in
//            wire order, duplicates kept)
// Inside that JSON text, strings are JSON strings, ints and doubles JSON numbers
// (non-finite doubles as "NaN", "+Inf", "-Inf"; whole doubles from 1e15 on that would
// print as bare digits get ".0", so that no reader takes them for an oversized integer),
// bytes base64 strings, empty values null.
struct AnyValue {
  enum class Type : uint8_t { kEmpty, kString, kBool, kInt, kDouble, kBytes, kArray, kKvlist };
  Type type = Type::kEmpty;
  bool bool_value = false;
  int64_t int_value = 0;
  double double_value = 0;
  std::string string_value{};

  bool operator==(const AnyValue&) const = default;

  // The value as text: strings as they are, "true"/"false", numbers as AppendJsonNumber
  // and AppendJsonInt write them, bytes in base64, arrays and lists as their JSON text,
  // empty as "". What a log body or a label value made of an attribute shows.
  std::string ToString() const;
};

// Appends `v` as a JSON value (the rendering described above; strings quoted).
void AppendAnyValueJson(std::string& out, const AnyValue& v);

struct KeyValue {
  std::string key;
  AnyValue value;
  bool operator==(const KeyValue&) const = default;
};
using Attributes = std::vector<KeyValue>;

// The first attribute named `key`, or nullptr.
const AnyValue* FindAttribute(const Attributes& attributes, std::string_view key);
// The string value of attribute `key`, or "" when absent or not a string.
std::string_view FindStringAttribute(const Attributes& attributes, std::string_view key);

struct Resource {
  Attributes attributes;
  uint32_t dropped_attributes_count = 0;
  bool operator==(const Resource&) const = default;
  // The `service.name` attribute ("" when absent; the SDKs send "unknown_service:...").
  std::string_view service_name() const { return FindStringAttribute(attributes, "service.name"); }
};

struct InstrumentationScope {
  std::string name;
  std::string version;
  Attributes attributes;
  uint32_t dropped_attributes_count = 0;
  bool operator==(const InstrumentationScope&) const = default;
};

// ------------------------------------------------------------------------ traces

enum class SpanKind : int32_t {
  kUnspecified = 0,
  kInternal = 1,
  kServer = 2,
  kClient = 3,
  kProducer = 4,
  kConsumer = 5,
};
// "SPAN_KIND_SERVER" ...; "" for numbers outside the enum.
std::string_view SpanKindName(SpanKind kind);

enum class SpanStatusCode : int32_t { kUnset = 0, kOk = 1, kError = 2 };
// "STATUS_CODE_ERROR" ...; "" for numbers outside the enum.
std::string_view SpanStatusCodeName(SpanStatusCode code);

// Span.Event. Exceptions are events named "exception" with the attributes
// exception.type, exception.message and exception.stacktrace.
struct SpanEvent {
  uint64_t time_unix_nano = 0;
  std::string name;
  Attributes attributes;
  uint32_t dropped_attributes_count = 0;
  bool operator==(const SpanEvent&) const = default;
};

struct SpanLink {
  TraceId trace_id{};
  SpanId span_id{};
  std::string trace_state;
  Attributes attributes;
  uint32_t dropped_attributes_count = 0;
  uint32_t flags = 0;
  bool operator==(const SpanLink&) const = default;
};

struct Span {
  TraceId trace_id{};
  SpanId span_id{};
  SpanId parent_span_id{};  // all zeros for a root span
  std::string trace_state;
  // Bits 0-7 W3C trace flags (bit 0 sampled), bit 8 "has is_remote", bit 9 is_remote.
  uint32_t flags = 0;
  std::string name;
  SpanKind kind = SpanKind::kUnspecified;
  uint64_t start_time_unix_nano = 0;
  uint64_t end_time_unix_nano = 0;
  Attributes attributes;
  uint32_t dropped_attributes_count = 0;
  std::vector<SpanEvent> events;
  uint32_t dropped_events_count = 0;
  std::vector<SpanLink> links;
  uint32_t dropped_links_count = 0;
  SpanStatusCode status_code = SpanStatusCode::kUnset;
  std::string status_message;
  bool operator==(const Span&) const = default;

  bool is_root() const { return IsZero(parent_span_id); }
};

struct ScopeSpans {
  InstrumentationScope scope;
  std::vector<Span> spans;
  std::string schema_url;
  bool operator==(const ScopeSpans&) const = default;
};

struct ResourceSpans {
  Resource resource;
  std::vector<ScopeSpans> scope_spans;
  std::string schema_url;
  bool operator==(const ResourceSpans&) const = default;
};

// collector.trace.v1.ExportTraceServiceRequest.
struct TracesRequest {
  std::vector<ResourceSpans> resource_spans;
  bool operator==(const TracesRequest&) const = default;
  size_t span_count() const;
};

// ------------------------------------------------------------------------ metrics

enum class AggregationTemporality : int32_t { kUnspecified = 0, kDelta = 1, kCumulative = 2 };

// DataPointFlags bit 0: the point marks a gap (no recorded value; Prometheus staleness).
constexpr uint32_t kDataPointNoRecordedValue = 1;

struct NumberDataPoint {
  enum class ValueType : uint8_t { kNone, kDouble, kInt };  // which of as_double/as_int
  Attributes attributes;
  uint64_t start_time_unix_nano = 0;
  uint64_t time_unix_nano = 0;
  ValueType value_type = ValueType::kNone;
  double as_double = 0;
  int64_t as_int = 0;
  uint32_t flags = 0;
  uint32_t exemplar_count = 0;
  bool operator==(const NumberDataPoint&) const = default;
  // The value as a double, whichever way it was sent (0 for kNone).
  double value() const {
    return value_type == ValueType::kInt ? static_cast<double>(as_int) : as_double;
  }
};

struct HistogramDataPoint {
  Attributes attributes;
  uint64_t start_time_unix_nano = 0;
  uint64_t time_unix_nano = 0;
  uint64_t count = 0;
  std::optional<double> sum;
  // Not checked against each other: bucket_counts should have explicit_bounds.size() + 1
  // entries (or none); the consumer decides what to do with points that do not.
  std::vector<uint64_t> bucket_counts;
  std::vector<double> explicit_bounds;
  uint32_t flags = 0;
  std::optional<double> min;
  std::optional<double> max;
  uint32_t exemplar_count = 0;
  bool operator==(const HistogramDataPoint&) const = default;
};

struct ExponentialHistogramBuckets {
  int32_t offset = 0;
  std::vector<uint64_t> bucket_counts;
  bool operator==(const ExponentialHistogramBuckets&) const = default;
};

struct ExponentialHistogramDataPoint {
  Attributes attributes;
  uint64_t start_time_unix_nano = 0;
  uint64_t time_unix_nano = 0;
  uint64_t count = 0;
  std::optional<double> sum;
  int32_t scale = 0;
  uint64_t zero_count = 0;
  ExponentialHistogramBuckets positive;
  ExponentialHistogramBuckets negative;
  uint32_t flags = 0;
  std::optional<double> min;
  std::optional<double> max;
  double zero_threshold = 0;
  uint32_t exemplar_count = 0;
  bool operator==(const ExponentialHistogramDataPoint&) const = default;
};

struct ValueAtQuantile {
  double quantile = 0;
  double value = 0;
  bool operator==(const ValueAtQuantile&) const = default;
};

struct SummaryDataPoint {
  Attributes attributes;
  uint64_t start_time_unix_nano = 0;
  uint64_t time_unix_nano = 0;
  uint64_t count = 0;
  double sum = 0;
  std::vector<ValueAtQuantile> quantile_values;
  uint32_t flags = 0;
  bool operator==(const SummaryDataPoint&) const = default;
};

// Metric: the `data` oneof is `type`; only the vector of that type has points.
// `aggregation_temporality` applies to sums and (exponential) histograms, `is_monotonic`
// to sums. A metric with no data (kNone) is kept; the consumer rejects or skips it.
struct Metric {
  enum class Type : uint8_t { kNone, kGauge, kSum, kHistogram, kExponentialHistogram, kSummary };
  std::string name;
  std::string description;
  std::string unit;
  Type type = Type::kNone;
  AggregationTemporality aggregation_temporality = AggregationTemporality::kUnspecified;
  bool is_monotonic = false;
  std::vector<NumberDataPoint> number_points;  // kGauge, kSum
  std::vector<HistogramDataPoint> histogram_points;
  std::vector<ExponentialHistogramDataPoint> exponential_histogram_points;
  std::vector<SummaryDataPoint> summary_points;
  bool operator==(const Metric&) const = default;
  size_t data_point_count() const {
    return number_points.size() + histogram_points.size() +
           exponential_histogram_points.size() + summary_points.size();
  }
};

struct ScopeMetrics {
  InstrumentationScope scope;
  std::vector<Metric> metrics;
  std::string schema_url;
  bool operator==(const ScopeMetrics&) const = default;
};

struct ResourceMetrics {
  Resource resource;
  std::vector<ScopeMetrics> scope_metrics;
  std::string schema_url;
  bool operator==(const ResourceMetrics&) const = default;
};

// collector.metrics.v1.ExportMetricsServiceRequest.
struct MetricsRequest {
  std::vector<ResourceMetrics> resource_metrics;
  bool operator==(const MetricsRequest&) const = default;
  size_t data_point_count() const;
};

// ------------------------------------------------------------------------ logs

struct LogRecord {
  uint64_t time_unix_nano = 0;
  uint64_t observed_time_unix_nano = 0;
  int32_t severity_number = 0;  // 1-4 TRACE, 5-8 DEBUG, 9-12 INFO, 13-16 WARN, 17-20 ERROR, 21-24 FATAL
  std::string severity_text;
  AnyValue body;  // body.ToString() for the text
  Attributes attributes;
  uint32_t dropped_attributes_count = 0;
  uint32_t flags = 0;  // bits 0-7 W3C trace flags
  TraceId trace_id{};  // all zeros when the record is not in a span
  SpanId span_id{};
  std::string event_name;
  bool operator==(const LogRecord&) const = default;
};

struct ScopeLogs {
  InstrumentationScope scope;
  std::vector<LogRecord> log_records;
  std::string schema_url;
  bool operator==(const ScopeLogs&) const = default;
};

struct ResourceLogs {
  Resource resource;
  std::vector<ScopeLogs> scope_logs;
  std::string schema_url;
  bool operator==(const ResourceLogs&) const = default;
};

// collector.logs.v1.ExportLogsServiceRequest.
struct LogsRequest {
  std::vector<ResourceLogs> resource_logs;
  bool operator==(const LogsRequest&) const = default;
  size_t log_record_count() const;
};

}  // namespace perfwatch::ingest::otlp
