#include "ingest/otlp/otlp_json.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "common/base64.h"
#include "common/json_writer.h"

namespace perfwatch::ingest::otlp {
namespace {

namespace dom = simdjson::dom;
using simdjson::dom::element_type;

// Hard cap on DecodeLimits::max_any_value_depth, as in the protobuf decoder.
constexpr int kMaxAnyValueDepth = 64;
// simdjson's own nesting limit: far above what a valid request needs (about 10 levels
// plus 4 per AnyValue level), and the DOM is only walked where fields are known.
constexpr size_t kMaxJsonDepth = 512;

// A field name in lowerCamelCase or snake_case.
inline bool K(std::string_view key, std::string_view camel, std::string_view snake) {
  return key == camel || key == snake;
}
inline bool K(std::string_view key, std::string_view name) { return key == name; }

struct EnumName {
  std::string_view name;
  int32_t value;
};
constexpr EnumName kSpanKindNames[] = {
    {"SPAN_KIND_UNSPECIFIED", 0}, {"SPAN_KIND_INTERNAL", 1}, {"SPAN_KIND_SERVER", 2},
    {"SPAN_KIND_CLIENT", 3},      {"SPAN_KIND_PRODUCER", 4}, {"SPAN_KIND_CONSUMER", 5},
};
constexpr EnumName kStatusCodeNames[] = {
    {"STATUS_CODE_UNSET", 0}, {"STATUS_CODE_OK", 1}, {"STATUS_CODE_ERROR", 2}};
constexpr EnumName kTemporalityNames[] = {{"AGGREGATION_TEMPORALITY_UNSPECIFIED", 0},
                                          {"AGGREGATION_TEMPORALITY_DELTA", 1},
                                          {"AGGREGATION_TEMPORALITY_CUMULATIVE", 2}};
constexpr EnumName kSeverityNames[] = {
    {"SEVERITY_NUMBER_UNSPECIFIED", 0}, {"SEVERITY_NUMBER_TRACE", 1},
    {"SEVERITY_NUMBER_TRACE2", 2},      {"SEVERITY_NUMBER_TRACE3", 3},
    {"SEVERITY_NUMBER_TRACE4", 4},      {"SEVERITY_NUMBER_DEBUG", 5},
    {"SEVERITY_NUMBER_DEBUG2", 6},      {"SEVERITY_NUMBER_DEBUG3", 7},
    {"SEVERITY_NUMBER_DEBUG4", 8},      {"SEVERITY_NUMBER_INFO", 9},
    {"SEVERITY_NUMBER_INFO2", 10},      {"SEVERITY_NUMBER_INFO3", 11},
    {"SEVERITY_NUMBER_INFO4", 12},      {"SEVERITY_NUMBER_WARN", 13},
    {"SEVERITY_NUMBER_WARN2", 14},      {"SEVERITY_NUMBER_WARN3", 15},
    {"SEVERITY_NUMBER_WARN4", 16},      {"SEVERITY_NUMBER_ERROR", 17},
    {"SEVERITY_NUMBER_ERROR2", 18},     {"SEVERITY_NUMBER_ERROR3", 19},
    {"SEVERITY_NUMBER_ERROR4", 20},     {"SEVERITY_NUMBER_FATAL", 21},
    {"SEVERITY_NUMBER_FATAL2", 22},     {"SEVERITY_NUMBER_FATAL3", 23},
    {"SEVERITY_NUMBER_FATAL4", 24},
};

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The DOM walk. Every method returns false after recording the first error in what_;
// on the way up, callers add their field name or array index to the path (Ctx).
class Walker {
 public:
  Walker(const DecodeLimits& limits)
      : limits_(limits), max_depth_(std::clamp(limits.max_any_value_depth, 1, kMaxAnyValueDepth)) {}

  Status TakeStatus() const {
    std::string msg = "otlp json: ";
    for (auto it = path_.rbegin(); it != path_.rend(); ++it) {
      if (it != path_.rbegin() && (*it)[0] != '[') msg += '.';
      msg += *it;
    }
    if (!path_.empty()) msg += ": ";
    msg += what_;
    return InvalidArgument(std::move(msg));
  }

  // ------------------------------------------------------------ requests
  bool Traces(dom::element e, TracesRequest& out) {
    return Fields(e, [&](std::string_view key, dom::element v) {
      if (K(key, "resourceSpans", "resource_spans")) {
        return Repeated(v, out.resource_spans, [&](dom::element x, ResourceSpans& rs) {
          return ResourceSpansOf(x, rs);
        });
      }
      return true;
    });
  }

  bool Metrics(dom::element e, MetricsRequest& out) {
    return Fields(e, [&](std::string_view key, dom::element v) {
      if (K(key, "resourceMetrics", "resource_metrics")) {
        return Repeated(v, out.resource_metrics, [&](dom::element x, ResourceMetrics& rm) {
          return ResourceMetricsOf(x, rm);
        });
      }
      return true;
    });
  }

  bool Logs(dom::element e, LogsRequest& out) {
    return Fields(e, [&](std::string_view key, dom::element v) {
      if (K(key, "resourceLogs", "resource_logs")) {
        return Repeated(v, out.resource_logs, [&](dom::element x, ResourceLogs& rl) {
          return ResourceLogsOf(x, rl);
        });
      }
      return true;
    });
  }

 private:
  // ------------------------------------------------------------ common
  bool ResourceOf(dom::element e, Resource& r) {
    return Fields(e, [&](std::string_view key, dom::element v) {
      if (K(key, "attributes")) return AttributesOf(v, r.attributes);
      if (K(key, "droppedAttributesCount", "dropped_attributes_count")) {
        return U32(v, r.dropped_attributes_count);
      }
      return true;
    });
  }

  bool ScopeOf(dom::element e, InstrumentationScope& s) {
    return Fields(e, [&](std::string_view key, dom::element v) {
      if (K(key, "name")) return String(v, s.name);
      if (K(key, "version")) return String(v, s.version);
      if (K(key, "attributes")) return AttributesOf(v, s.attributes);
      if (K(key, "droppedAttributesCount", "dropped_attributes_count")) {
        return U32(v, s.dropped_attributes_count);
      }
      return true;
    });
  }

  bool AttributesOf(dom::element v, Attributes& attrs) {
    return Repeated(v, attrs, [&](dom::element x, KeyValue& kv) { return KeyValueOf(x, kv, 1); });
  }

  bool KeyValueOf(dom::element e, KeyValue& kv, int depth) {
    return Fields(e, [&](std::string_view key, dom::element v) {
      if (K(key, "key")) return String(v, kv.key);
      if (K(key, "value")) return AnyValueOf(v, kv.value, depth);
      return true;
    });
  }

  static void SetType(AnyValue& v, AnyValue::Type type) {
    v.type = type;
    v.bool_value = false;
    v.int_value = 0;
    v.double_value = 0;
    v.string_value.clear();
  }

  bool AnyValueOf(dom::element e, AnyValue& out, int depth) {
    if (depth > max_depth_) [[unlikely]] {
      return Fail("AnyValue nested more than " + std::to_string(max_depth_) + " deep");
    }
    return Fields(e, [&](std::string_view key, dom::element v) {
      if (K(key, "stringValue", "string_value")) {
        SetType(out, AnyValue::Type::kString);
        return String(v, out.string_value);
      }
      if (K(key, "boolValue", "bool_value")) {
        SetType(out, AnyValue::Type::kBool);
        return Bool(v, out.bool_value);
      }
      if (K(key, "intValue", "int_value")) {
        SetType(out, AnyValue::Type::kInt);
        return I64(v, out.int_value);
      }
      if (K(key, "doubleValue", "double_value")) {
        SetType(out, AnyValue::Type::kDouble);
        return Double(v, out.double_value);
      }
      if (K(key, "bytesValue", "bytes_value")) {
        SetType(out, AnyValue::Type::kBytes);
        return Bytes(v, out.string_value);
      }
      if (K(key, "arrayValue", "array_value")) {
        SetType(out, AnyValue::Type::kArray);
        return ArrayJson(v, out.string_value, depth + 1);
      }
      if (K(key, "kvlistValue", "kvlist_value")) {
        SetType(out, AnyValue::Type::kKvlist);
        return KvlistJson(v, out.string_value, depth + 1);
      }
      return true;
    });
  }

  // ArrayValue {values: [AnyValue]} as JSON text.
  bool ArrayJson(dom::element e, std::string& json, int depth) {
    json = "[";
    bool first = true;
    bool ok = Fields(e, [&](std::string_view key, dom::element v) {
      if (!K(key, "values")) return true;
      return Each(v, [&](dom::element x) {
        AnyValue elem;
        if (!AnyValueOf(x, elem, depth)) return false;
        if (!first) json += ',';
        first = false;
        AppendAnyValueJson(json, elem);
        return true;
      });
    });
    json += ']';
    return ok;
  }

  // KeyValueList {values: [KeyValue]} as a JSON object.
  bool KvlistJson(dom::element e, std::string& json, int depth) {
    json = "{";
    bool first = true;
    bool ok = Fields(e, [&](std::string_view key, dom::element v) {
      if (!K(key, "values")) return true;
      return Each(v, [&](dom::element x) {
        KeyValue kv;
        if (!KeyValueOf(x, kv, depth)) return false;
        if (!first) json += ',';
        first = false;
        AppendJsonString(json, kv.key);
        json += ':';
        AppendAnyValueJson(json, kv.value);
        return true;
      });
    });
    json += '}';
    return ok;
  }

  // ------------------------------------------------------------ traces
  bool ResourceSpansOf(dom::element e, ResourceSpans& rs) {
    return Fields(e, [&](std::string_view key, dom::element v) {
      if (K(key, "resource")) return ResourceOf(v, rs.resource);
      if (K(key, "scopeSpans", "scope_spans")) {
        return Repeated(v, rs.scope_spans,
                        [&](dom::element x, ScopeSpans& ss) { return ScopeSpansOf(x, ss); });
      }
      if (K(key, "schemaUrl", "schema_url")) return String(v, rs.schema_url);
      return true;
    });
  }

  bool ScopeSpansOf(dom::element e, ScopeSpans& ss) {
    return Fields(e, [&](std::string_view key, dom::element v) {
      if (K(key, "scope")) return ScopeOf(v, ss.scope);
      if (K(key, "spans")) {
        return Repeated(v, ss.spans, [&](dom::element x, Span& s) { return SpanOf(x, s); });
      }
      if (K(key, "schemaUrl", "schema_url")) return String(v, ss.schema_url);
      return true;
    });
  }

  bool SpanOf(dom::element e, Span& s) {
    return Fields(e, [&](std::string_view key, dom::element v) {
      switch (key.empty() ? 0 : key[0]) {
        case 't':
          if (K(key, "traceId", "trace_id")) return Id(v, s.trace_id);
          if (K(key, "traceState", "trace_state")) return String(v, s.trace_state);
          break;
        case 's':
          if (K(key, "spanId", "span_id")) return Id(v, s.span_id);
          if (K(key, "startTimeUnixNano", "start_time_unix_nano")) {
            return U64(v, s.start_time_unix_nano);
          }
          if (K(key, "status")) return StatusOf(v, s);
          break;
        case 'p':
          if (K(key, "parentSpanId", "parent_span_id")) return Id(v, s.parent_span_id);
          break;
        case 'n':
          if (K(key, "name")) return String(v, s.name);
          break;
        case 'k':
          if (K(key, "kind")) return Enum(v, kSpanKindNames, s.kind);
          break;
        case 'e':
          if (K(key, "endTimeUnixNano", "end_time_unix_nano")) return U64(v, s.end_time_unix_nano);
          if (K(key, "events")) {
            return Repeated(v, s.events, [&](dom::element x, SpanEvent& ev) { return EventOf(x, ev); });
          }
          break;
        case 'a':
          if (K(key, "attributes")) return AttributesOf(v, s.attributes);
          break;
        case 'd':
          if (K(key, "droppedAttributesCount", "dropped_attributes_count")) {
            return U32(v, s.dropped_attributes_count);
          }
          if (K(key, "droppedEventsCount", "dropped_events_count")) {
            return U32(v, s.dropped_events_count);
          }
          if (K(key, "droppedLinksCount", "dropped_links_count")) {
            return U32(v, s.dropped_links_count);
          }
          break;
        case 'l':
          if (K(key, "links")) {
            return Repeated(v, s.links, [&](dom::element x, SpanLink& l) { return LinkOf(x, l); });
          }
          break;
        case 'f':
          if (K(key, "flags")) return U32(v, s.flags);
          break;
      }
      return true;
    });
  }

  bool EventOf(dom::element e, SpanEvent& ev) {
    return Fields(e, [&](std::string_view key, dom::element v) {
      if (K(key, "timeUnixNano", "time_unix_nano")) return U64(v, ev.time_unix_nano);
      if (K(key, "name")) return String(v, ev.name);
      if (K(key, "attributes")) return AttributesOf(v, ev.attributes);
      if (K(key, "droppedAttributesCount", "dropped_attributes_count")) {
        return U32(v, ev.dropped_attributes_count);
      }
      return true;
    });
  }

  bool LinkOf(dom::element e, SpanLink& l) {
    return Fields(e, [&](std::string_view key, dom::element v) {
      if (K(key, "traceId", "trace_id")) return Id(v, l.trace_id);
      if (K(key, "spanId", "span_id")) return Id(v, l.span_id);
      if (K(key, "traceState", "trace_state")) return String(v, l.trace_state);
      if (K(key, "attributes")) return AttributesOf(v, l.attributes);
      if (K(key, "droppedAttributesCount", "dropped_attributes_count")) {
        return U32(v, l.dropped_attributes_count);
      }
      if (K(key, "flags")) return U32(v, l.flags);
      return true;
    });
  }

  bool StatusOf(dom::element e, Span& s) {
    return Fields(e, [&](std::string_view key, dom::element v) {
      if (K(key, "message")) return String(v, s.status_message);
      if (K(key, "code")) return Enum(v, kStatusCodeNames, s.status_code);
      return true;
    });
  }

  // ------------------------------------------------------------ metrics
  bool ResourceMetricsOf(dom::element e, ResourceMetrics& rm) {
    return Fields(e, [&](std::string_view key, dom::element v) {
      if (K(key, "resource")) return ResourceOf(v, rm.resource);
      if (K(key, "scopeMetrics", "scope_metrics")) {
        return Repeated(v, rm.scope_metrics,
                        [&](dom::element x, ScopeMetrics& sm) { return ScopeMetricsOf(x, sm); });
      }
      if (K(key, "schemaUrl", "schema_url")) return String(v, rm.schema_url);
      return true;
    });
  }

  bool ScopeMetricsOf(dom::element e, ScopeMetrics& sm) {
    return Fields(e, [&](std::string_view key, dom::element v) {
      if (K(key, "scope")) return ScopeOf(v, sm.scope);
      if (K(key, "metrics")) {
        return Repeated(v, sm.metrics, [&](dom::element x, Metric& m) { return MetricOf(x, m); });
      }
      if (K(key, "schemaUrl", "schema_url")) return String(v, sm.schema_url);
      return true;
    });
  }

  static void SetMetricType(Metric& m, Metric::Type type) {
    if (m.type == type) return;
    m.type = type;
    m.aggregation_temporality = AggregationTemporality::kUnspecified;
    m.is_monotonic = false;
    m.number_points.clear();
    m.histogram_points.clear();
    m.exponential_histogram_points.clear();
    m.summary_points.clear();
  }

  bool MetricOf(dom::element e, Metric& m) {
    return Fields(e, [&](std::string_view key, dom::element v) {
      if (K(key, "name")) return String(v, m.name);
      if (K(key, "description")) return String(v, m.description);
      if (K(key, "unit")) return String(v, m.unit);
      if (K(key, "gauge")) {
        SetMetricType(m, Metric::Type::kGauge);
        return NumberPointsOf(v, m);
      }
      if (K(key, "sum")) {
        SetMetricType(m, Metric::Type::kSum);
        return NumberPointsOf(v, m);
      }
      if (K(key, "histogram")) {
        SetMetricType(m, Metric::Type::kHistogram);
        return Fields(v, [&](std::string_view k, dom::element x) {
          if (K(k, "dataPoints", "data_points")) {
            return Repeated(x, m.histogram_points, [&](dom::element y, HistogramDataPoint& dp) {
              return HistogramPointOf(y, dp);
            });
          }
          if (K(k, "aggregationTemporality", "aggregation_temporality")) {
            return Enum(x, kTemporalityNames, m.aggregation_temporality);
          }
          return true;
        });
      }
      if (K(key, "exponentialHistogram", "exponential_histogram")) {
        SetMetricType(m, Metric::Type::kExponentialHistogram);
        return Fields(v, [&](std::string_view k, dom::element x) {
          if (K(k, "dataPoints", "data_points")) {
            return Repeated(x, m.exponential_histogram_points,
                            [&](dom::element y, ExponentialHistogramDataPoint& dp) {
                              return ExponentialPointOf(y, dp);
                            });
          }
          if (K(k, "aggregationTemporality", "aggregation_temporality")) {
            return Enum(x, kTemporalityNames, m.aggregation_temporality);
          }
          return true;
        });
      }
      if (K(key, "summary")) {
        SetMetricType(m, Metric::Type::kSummary);
        return Fields(v, [&](std::string_view k, dom::element x) {
          if (K(k, "dataPoints", "data_points")) {
            return Repeated(x, m.summary_points, [&](dom::element y, SummaryDataPoint& dp) {
              return SummaryPointOf(y, dp);
            });
          }
          return true;
        });
      }
      return true;
    });
  }

  // Gauge {dataPoints} and Sum {dataPoints, aggregationTemporality, isMonotonic}.
  bool NumberPointsOf(dom::element e, Metric& m) {
    const bool sum = m.type == Metric::Type::kSum;
    return Fields(e, [&](std::string_view key, dom::element v) {
      if (K(key, "dataPoints", "data_points")) {
        return Repeated(v, m.number_points,
                        [&](dom::element x, NumberDataPoint& dp) { return NumberPointOf(x, dp); });
      }
      if (sum && K(key, "aggregationTemporality", "aggregation_temporality")) {
        return Enum(v, kTemporalityNames, m.aggregation_temporality);
      }
      if (sum && K(key, "isMonotonic", "is_monotonic")) return Bool(v, m.is_monotonic);
      return true;
    });
  }

  bool NumberPointOf(dom::element e, NumberDataPoint& dp) {
    return Fields(e, [&](std::string_view key, dom::element v) {
      if (K(key, "attributes")) return AttributesOf(v, dp.attributes);
      if (K(key, "startTimeUnixNano", "start_time_unix_nano")) {
        return U64(v, dp.start_time_unix_nano);
      }
      if (K(key, "timeUnixNano", "time_unix_nano")) return U64(v, dp.time_unix_nano);
      if (K(key, "asDouble", "as_double")) {
        dp.value_type = NumberDataPoint::ValueType::kDouble;
        dp.as_int = 0;
        return Double(v, dp.as_double);
      }
      if (K(key, "asInt", "as_int")) {
        dp.value_type = NumberDataPoint::ValueType::kInt;
        dp.as_double = 0;
        return I64(v, dp.as_int);
      }
      if (K(key, "exemplars")) return Exemplars(v, dp.exemplar_count);
      if (K(key, "flags")) return U32(v, dp.flags);
      return true;
    });
  }

  bool HistogramPointOf(dom::element e, HistogramDataPoint& dp) {
    return Fields(e, [&](std::string_view key, dom::element v) {
      if (K(key, "attributes")) return AttributesOf(v, dp.attributes);
      if (K(key, "startTimeUnixNano", "start_time_unix_nano")) {
        return U64(v, dp.start_time_unix_nano);
      }
      if (K(key, "timeUnixNano", "time_unix_nano")) return U64(v, dp.time_unix_nano);
      if (K(key, "count")) return U64(v, dp.count);
      if (K(key, "sum")) return OptionalDouble(v, dp.sum);
      if (K(key, "bucketCounts", "bucket_counts")) return U64s(v, dp.bucket_counts);
      if (K(key, "explicitBounds", "explicit_bounds")) return Doubles(v, dp.explicit_bounds);
      if (K(key, "exemplars")) return Exemplars(v, dp.exemplar_count);
      if (K(key, "flags")) return U32(v, dp.flags);
      if (K(key, "min")) return OptionalDouble(v, dp.min);
      if (K(key, "max")) return OptionalDouble(v, dp.max);
      return true;
    });
  }

  bool ExponentialPointOf(dom::element e, ExponentialHistogramDataPoint& dp) {
    return Fields(e, [&](std::string_view key, dom::element v) {
      if (K(key, "attributes")) return AttributesOf(v, dp.attributes);
      if (K(key, "startTimeUnixNano", "start_time_unix_nano")) {
        return U64(v, dp.start_time_unix_nano);
      }
      if (K(key, "timeUnixNano", "time_unix_nano")) return U64(v, dp.time_unix_nano);
      if (K(key, "count")) return U64(v, dp.count);
      if (K(key, "sum")) return OptionalDouble(v, dp.sum);
      if (K(key, "scale")) return I32(v, dp.scale);
      if (K(key, "zeroCount", "zero_count")) return U64(v, dp.zero_count);
      if (K(key, "positive")) return BucketsOf(v, dp.positive);
      if (K(key, "negative")) return BucketsOf(v, dp.negative);
      if (K(key, "flags")) return U32(v, dp.flags);
      if (K(key, "exemplars")) return Exemplars(v, dp.exemplar_count);
      if (K(key, "min")) return OptionalDouble(v, dp.min);
      if (K(key, "max")) return OptionalDouble(v, dp.max);
      if (K(key, "zeroThreshold", "zero_threshold")) return Double(v, dp.zero_threshold);
      return true;
    });
  }

  bool BucketsOf(dom::element e, ExponentialHistogramBuckets& b) {
    return Fields(e, [&](std::string_view key, dom::element v) {
      if (K(key, "offset")) return I32(v, b.offset);
      if (K(key, "bucketCounts", "bucket_counts")) return U64s(v, b.bucket_counts);
      return true;
    });
  }

  bool SummaryPointOf(dom::element e, SummaryDataPoint& dp) {
    return Fields(e, [&](std::string_view key, dom::element v) {
      if (K(key, "attributes")) return AttributesOf(v, dp.attributes);
      if (K(key, "startTimeUnixNano", "start_time_unix_nano")) {
        return U64(v, dp.start_time_unix_nano);
      }
      if (K(key, "timeUnixNano", "time_unix_nano")) return U64(v, dp.time_unix_nano);
      if (K(key, "count")) return U64(v, dp.count);
      if (K(key, "sum")) return Double(v, dp.sum);
      if (K(key, "quantileValues", "quantile_values")) {
        return Repeated(v, dp.quantile_values, [&](dom::element x, ValueAtQuantile& q) {
          return Fields(x, [&](std::string_view k, dom::element y) {
            if (K(k, "quantile")) return Double(y, q.quantile);
            if (K(k, "value")) return Double(y, q.value);
            return true;
          });
        });
      }
      if (K(key, "flags")) return U32(v, dp.flags);
      return true;
    });
  }

  // Counted, not decoded; each must be an object.
  bool Exemplars(dom::element v, uint32_t& count) {
    return Each(v, [&](dom::element x) {
      if (!x.is_object()) return Fail("want an object, got " + TypeName(x));
      ++count;
      return true;
    });
  }

  // ------------------------------------------------------------ logs
  bool ResourceLogsOf(dom::element e, ResourceLogs& rl) {
    return Fields(e, [&](std::string_view key, dom::element v) {
      if (K(key, "resource")) return ResourceOf(v, rl.resource);
      if (K(key, "scopeLogs", "scope_logs")) {
        return Repeated(v, rl.scope_logs,
                        [&](dom::element x, ScopeLogs& sl) { return ScopeLogsOf(x, sl); });
      }
      if (K(key, "schemaUrl", "schema_url")) return String(v, rl.schema_url);
      return true;
    });
  }

  bool ScopeLogsOf(dom::element e, ScopeLogs& sl) {
    return Fields(e, [&](std::string_view key, dom::element v) {
      if (K(key, "scope")) return ScopeOf(v, sl.scope);
      if (K(key, "logRecords", "log_records")) {
        return Repeated(v, sl.log_records,
                        [&](dom::element x, LogRecord& r) { return LogRecordOf(x, r); });
      }
      if (K(key, "schemaUrl", "schema_url")) return String(v, sl.schema_url);
      return true;
    });
  }

  bool LogRecordOf(dom::element e, LogRecord& r) {
    return Fields(e, [&](std::string_view key, dom::element v) {
      if (K(key, "timeUnixNano", "time_unix_nano")) return U64(v, r.time_unix_nano);
      if (K(key, "observedTimeUnixNano", "observed_time_unix_nano")) {
        return U64(v, r.observed_time_unix_nano);
      }
      if (K(key, "severityNumber", "severity_number")) {
        return Enum(v, kSeverityNames, r.severity_number);
      }
      if (K(key, "severityText", "severity_text")) return String(v, r.severity_text);
      if (K(key, "body")) return AnyValueOf(v, r.body, 1);
      if (K(key, "attributes")) return AttributesOf(v, r.attributes);
      if (K(key, "droppedAttributesCount", "dropped_attributes_count")) {
        return U32(v, r.dropped_attributes_count);
      }
      if (K(key, "flags")) return U32(v, r.flags);
      if (K(key, "traceId", "trace_id")) return Id(v, r.trace_id);
      if (K(key, "spanId", "span_id")) return Id(v, r.span_id);
      if (K(key, "eventName", "event_name")) return String(v, r.event_name);
      return true;
    });
  }

  // ------------------------------------------------------------ structure
  // Calls fn(key, value) for each member of the object `e` whose value is not null; on
  // failure adds the key to the path.
  template <typename Fn>
  bool Fields(dom::element e, Fn&& fn) {
    dom::object obj;
    if (e.get_object().get(obj) != simdjson::SUCCESS) [[unlikely]] {
      return Fail("want an object, got " + TypeName(e));
    }
    for (dom::key_value_pair kv : obj) {
      if (kv.value.is_null()) continue;
      if (!fn(kv.key, kv.value)) return Ctx(std::string(kv.key));
    }
    return true;
  }

  // Calls fn(element) for each element of the array `v`, counting each as an item; on
  // failure adds the index to the path.
  template <typename Fn>
  bool Each(dom::element v, Fn&& fn) {
    dom::array arr;
    if (v.get_array().get(arr) != simdjson::SUCCESS) [[unlikely]] {
      return Fail("want an array, got " + TypeName(v));
    }
    size_t i = 0;
    for (dom::element x : arr) {
      if (!Item() || !fn(x)) return Ctx("[" + std::to_string(i) + "]");
      ++i;
    }
    return true;
  }

  // A repeated message field: appends one T per element.
  template <typename T, typename Fn>
  bool Repeated(dom::element v, std::vector<T>& out, Fn&& fn) {
    return Each(v, [&](dom::element x) { return fn(x, out.emplace_back()); });
  }

  // ------------------------------------------------------------ scalars
  bool String(dom::element v, std::string& out) {
    std::string_view s;
    if (v.get_string().get(s) != simdjson::SUCCESS) [[unlikely]] {
      return Fail("want a string, got " + TypeName(v));
    }
    out.assign(s);
    return true;
  }

  bool Bool(dom::element v, bool& out) {
    if (v.get_bool().get(out) != simdjson::SUCCESS) [[unlikely]] {
      return Fail("want true or false, got " + TypeName(v));
    }
    return true;
  }

  // Base64, standard or URL-safe alphabet, padding optional (as protobuf JSON accepts).
  bool Bytes(dom::element v, std::string& out) {
    std::string_view s;
    if (v.get_string().get(s) != simdjson::SUCCESS) [[unlikely]] {
      return Fail("want a base64 string, got " + TypeName(v));
    }
    std::string std_alphabet(s);
    for (char& c : std_alphabet) {
      if (c == '-') c = '+';
      if (c == '_') c = '/';
    }
    std::optional<std::string> bytes = Base64Decode(std_alphabet);
    if (!bytes) [[unlikely]]
      return Fail("invalid base64");
    out = std::move(*bytes);
    return true;
  }

  template <size_t N>
  bool Id(dom::element v, std::array<uint8_t, N>& out) {
    std::string_view s;
    if (v.get_string().get(s) != simdjson::SUCCESS) [[unlikely]] {
      return Fail("want a hex string, got " + TypeName(v));
    }
    if (s.empty()) {
      out.fill(0);
      return true;
    }
    if (s.size() != 2 * N) [[unlikely]] {
      return Fail("want " + std::to_string(2 * N) + " hex digits, got " +
                  std::to_string(s.size()) + " characters");
    }
    for (size_t i = 0; i < N; ++i) {
      const int hi = HexDigit(s[2 * i]);
      const int lo = HexDigit(s[2 * i + 1]);
      if (hi < 0 || lo < 0) [[unlikely]]
        return Fail("not a hex digit at character " + std::to_string(hi < 0 ? 2 * i : 2 * i + 1));
      out[i] = static_cast<uint8_t>(hi << 4 | lo);
    }
    return true;
  }

  // Integers: a JSON number (also 1e3 or 5.0 when whole) or a decimal string.
  bool U64(dom::element v, uint64_t& out) {
    switch (v.type()) {
      case element_type::UINT64:
        out = v.get_uint64().value_unsafe();
        return true;
      case element_type::INT64: {
        const int64_t i = v.get_int64().value_unsafe();
        if (i < 0) break;
        out = static_cast<uint64_t>(i);
        return true;
      }
      case element_type::DOUBLE: {
        const double d = v.get_double().value_unsafe();
        if (!(d >= 0 && d < 18446744073709551616.0) || d != std::floor(d)) break;
        out = static_cast<uint64_t>(d);
        return true;
      }
      case element_type::STRING: {
        std::string_view s = v.get_string().value_unsafe();
        auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
        if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) break;
        return true;
      }
      default:
        break;
    }
    return Fail("want an unsigned 64-bit integer (number or decimal string), got " + Describe(v));
  }

  bool I64(dom::element v, int64_t& out) {
    switch (v.type()) {
      case element_type::INT64:
        out = v.get_int64().value_unsafe();
        return true;
      case element_type::UINT64: {
        const uint64_t u = v.get_uint64().value_unsafe();
        if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) break;
        out = static_cast<int64_t>(u);
        return true;
      }
      case element_type::DOUBLE: {
        const double d = v.get_double().value_unsafe();
        if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || d != std::floor(d)) {
          break;
        }
        out = static_cast<int64_t>(d);
        return true;
      }
      case element_type::STRING: {
        std::string_view s = v.get_string().value_unsafe();
        auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
        if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) break;
        return true;
      }
      default:
        break;
    }
    return Fail("want a 64-bit integer (number or decimal string), got " + Describe(v));
  }

  bool U32(dom::element v, uint32_t& out) {
    uint64_t u;
    if (!U64(v, u)) return false;
    if (u > std::numeric_limits<uint32_t>::max()) [[unlikely]]
      return Fail("value " + std::to_string(u) + " does not fit in 32 bits");
    out = static_cast<uint32_t>(u);
    return true;
  }

  bool I32(dom::element v, int32_t& out) {
    int64_t i;
    if (!I64(v, i)) return false;
    if (i < std::numeric_limits<int32_t>::min() || i > std::numeric_limits<int32_t>::max()) {
      return Fail("value " + std::to_string(i) + " does not fit in 32 bits");
    }
    out = static_cast<int32_t>(i);
    return true;
  }

  template <typename E, size_t N>
  bool Enum(dom::element v, const EnumName (&names)[N], E& out) {
    if (v.is_string()) {
      std::string_view s = v.get_string().value_unsafe();
      for (const EnumName& n : names) {
        if (n.name == s) {
          out = static_cast<E>(n.value);
          return true;
        }
      }
      return Fail("unknown enum value \"" + std::string(s.substr(0, 64)) + "\"");
    }
    int32_t i;
    if (!I32(v, i)) return false;
    out = static_cast<E>(i);
    return true;
  }

  bool Double(dom::element v, double& out) {
    switch (v.type()) {
      case element_type::DOUBLE:
        out = v.get_double().value_unsafe();
        return true;
      case element_type::INT64:
        out = static_cast<double>(v.get_int64().value_unsafe());
        return true;
      case element_type::UINT64:
        out = static_cast<double>(v.get_uint64().value_unsafe());
        return true;
      case element_type::STRING: {
        std::string_view s = v.get_string().value_unsafe();
        if (s == "NaN") {
          out = std::numeric_limits<double>::quiet_NaN();
          return true;
        }
        if (s == "Infinity") {
          out = std::numeric_limits<double>::infinity();
          return true;
        }
        if (s == "-Infinity") {
          out = -std::numeric_limits<double>::infinity();
          return true;
        }
        auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
        if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) break;
        return true;
      }
      default:
        break;
    }
    return Fail("want a number, got " + Describe(v));
  }

  bool OptionalDouble(dom::element v, std::optional<double>& out) {
    double d;
    if (!Double(v, d)) return false;
    out = d;
    return true;
  }

  bool U64s(dom::element v, std::vector<uint64_t>& out) {
    dom::array arr;
    if (v.get_array().get(arr) != simdjson::SUCCESS) [[unlikely]] {
      return Fail("want an array, got " + TypeName(v));
    }
    size_t i = 0;
    for (dom::element x : arr) {
      if (!U64(x, out.emplace_back())) return Ctx("[" + std::to_string(i) + "]");
      ++i;
    }
    return true;
  }

  bool Doubles(dom::element v, std::vector<double>& out) {
    dom::array arr;
    if (v.get_array().get(arr) != simdjson::SUCCESS) [[unlikely]] {
      return Fail("want an array, got " + TypeName(v));
    }
    size_t i = 0;
    for (dom::element x : arr) {
      if (!Double(x, out.emplace_back())) return Ctx("[" + std::to_string(i) + "]");
      ++i;
    }
    return true;
  }

  // ------------------------------------------------------------ errors
  static std::string TypeName(dom::element v) {
    switch (v.type()) {
      case element_type::ARRAY:
        return "an array";
      case element_type::OBJECT:
        return "an object";
      case element_type::INT64:
      case element_type::UINT64:
      case element_type::DOUBLE:
        return "a number";
      case element_type::STRING:
        return "a string";
      case element_type::BOOL:
        return "a boolean";
      case element_type::NULL_VALUE:
        return "null";
    }
    return "?";
  }

  // The type, and for a short string its text.
  static std::string Describe(dom::element v) {
    if (v.is_string()) {
      std::string_view s = v.get_string().value_unsafe();
      if (s.size() <= 32) {
        std::string out = "the string ";
        AppendJsonString(out, s);
        return out;
      }
    }
    return TypeName(v);
  }

  bool Item() {
    if (++items_ <= limits_.max_items) [[likely]]
      return true;
    return Fail("more than " + std::to_string(limits_.max_items) +
                " items (spans, data points, attributes, ...) in one request");
  }

  [[gnu::noinline, gnu::cold]] bool Fail(std::string what) {
    if (what_.empty()) what_ = std::move(what);
    return false;
  }

  [[gnu::noinline, gnu::cold]] bool Ctx(std::string segment) {
    path_.push_back(std::move(segment));
    return false;
  }

  const DecodeLimits limits_;
  const int max_depth_;
  size_t items_ = 0;
  std::string what_;
  std::vector<std::string> path_;  // innermost first
};

}  // namespace

struct JsonDecoder::Impl {
  explicit Impl(DecodeLimits l) : limits(l) {}

  template <typename Request, typename Fn>
  Status Decode(std::string_view body, Request* out, Fn walk) {
    *out = Request{};
    dom::element root;
    simdjson::error_code err = parser.parse(body.data(), body.size(), true).get(root);
    if (err != simdjson::SUCCESS) {
      return InvalidArgument(std::string("otlp json: malformed JSON: ") +
                             simdjson::error_message(err));
    }
    Walker walker(limits);
    if (!(walker.*walk)(root, *out)) {
      *out = Request{};
      return walker.TakeStatus();
    }
    return Status::Ok();
  }

  const DecodeLimits limits;
  dom::parser parser{simdjson::SIMDJSON_MAXSIZE_BYTES};
};

JsonDecoder::JsonDecoder(DecodeLimits limits) : impl_(std::make_unique<Impl>(limits)) {
  [[maybe_unused]] simdjson::error_code err = impl_->parser.allocate(4096, kMaxJsonDepth);
}
JsonDecoder::~JsonDecoder() = default;

Status JsonDecoder::DecodeTraces(std::string_view body, TracesRequest* out) {
  return impl_->Decode(body, out, &Walker::Traces);
}
Status JsonDecoder::DecodeMetrics(std::string_view body, MetricsRequest* out) {
  return impl_->Decode(body, out, &Walker::Metrics);
}
Status JsonDecoder::DecodeLogs(std::string_view body, LogsRequest* out) {
  return impl_->Decode(body, out, &Walker::Logs);
}

}  // namespace perfwatch::ingest::otlp
