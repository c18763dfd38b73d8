#include "ingest/otlp/otlp_proto.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "common/json_writer.h"
#include "common/label_validation.h"
#include "common/protobuf_wire.h"

namespace perfwatch::ingest::otlp {
namespace {

using protobuf::kEndGroup;
using protobuf::kFixed32;
using protobuf::kFixed64;
using protobuf::kLengthDelimited;
using protobuf::kStartGroup;
using protobuf::kVarint;
using protobuf::WireTypeName;

// Groups are a proto2 relic no OTLP sender emits; skipping them recurses, so cap it.
constexpr int kMaxGroupDepth = 32;
// Hard cap on DecodeLimits::max_any_value_depth: each level is a few stack frames.
constexpr int kMaxAnyValueDepth = 64;

// One field as read from the wire. For varint, fixed64 and fixed32 fields `value` holds
// the bits; for length-delimited ones `data`/`size` the payload (inside the body).
struct Field {
  uint32_t number = 0;
  uint32_t wire_type = 0;
  const char* start = nullptr;  // the tag's first byte
  uint64_t value = 0;
  const char* data = nullptr;
  size_t size = 0;
};

// The protobuf walk. Every method returns false after recording the first error in
// status_; callers return false straight away.
class Parser {
 public:
  Parser(std::string_view body, const DecodeLimits& limits)
      : base_(body.data()),
        limits_(limits),
        max_depth_(std::clamp(limits.max_any_value_depth, 1, kMaxAnyValueDepth)) {}

  Status TakeStatus() { return std::move(status_); }

  // ------------------------------------------------------------ requests
  bool ParseTracesRequest(const char* p, const char* end, TracesRequest& out) {
    return ForEachField(p, end, [&](const Field& f) {
      if (f.number != 1) return true;  // resource_spans
      if (!Message(f, "ExportTraceServiceRequest.resource_spans") || !Item(f.start)) return false;
      return ParseResourceSpans(f.data, f.data + f.size, out.resource_spans.emplace_back());
    });
  }

  bool ParseMetricsRequest(const char* p, const char* end, MetricsRequest& out) {
    return ForEachField(p, end, [&](const Field& f) {
      if (f.number != 1) return true;  // resource_metrics
      if (!Message(f, "ExportMetricsServiceRequest.resource_metrics") || !Item(f.start)) {
        return false;
      }
      return ParseResourceMetrics(f.data, f.data + f.size, out.resource_metrics.emplace_back());
    });
  }

  bool ParseLogsRequest(const char* p, const char* end, LogsRequest& out) {
    return ForEachField(p, end, [&](const Field& f) {
      if (f.number != 1) return true;  // resource_logs
      if (!Message(f, "ExportLogsServiceRequest.resource_logs") || !Item(f.start)) return false;
      return ParseResourceLogs(f.data, f.data + f.size, out.resource_logs.emplace_back());
    });
  }

 private:
  // ------------------------------------------------------------ common
  bool ParseResource(const char* p, const char* end, Resource& r) {
    return ForEachField(p, end, [&](const Field& f) {
      switch (f.number) {
        case 1:
          return Attribute(f, "Resource.attributes", r.attributes);
        case 2:
          return U32(f, "Resource.dropped_attributes_count", r.dropped_attributes_count);
        default:  // 3: entity_refs
          return true;
      }
    });
  }

  bool ParseScope(const char* p, const char* end, InstrumentationScope& s) {
    return ForEachField(p, end, [&](const Field& f) {
      switch (f.number) {
        case 1:
          return String(f, "InstrumentationScope.name", s.name);
        case 2:
          return String(f, "InstrumentationScope.version", s.version);
        case 3:
          return Attribute(f, "InstrumentationScope.attributes", s.attributes);
        case 4:
          return U32(f, "InstrumentationScope.dropped_attributes_count",
                     s.dropped_attributes_count);
        default:
          return true;
      }
    });
  }

  // A repeated KeyValue field: appends it to `attrs`.
  bool Attribute(const Field& f, const char* what, Attributes& attrs) {
    if (!Message(f, what) || !Item(f.start)) return false;
    return ParseKeyValue(f.data, f.data + f.size, attrs.emplace_back(), 1);
  }

  bool ParseKeyValue(const char* p, const char* end, KeyValue& kv, int depth) {
    return ForEachField(p, end, [&](const Field& f) {
      switch (f.number) {
        case 1:
          return String(f, "KeyValue.key", kv.key);
        case 2:
          if (!Message(f, "KeyValue.value")) return false;
          return ParseAnyValue(f.data, f.data + f.size, kv.value, depth);
        default:  // 3: key_strindex (profiles only)
          return true;
      }
    });
  }

  static void SetType(AnyValue& v, AnyValue::Type type) {
    v.type = type;
    v.bool_value = false;
    v.int_value = 0;
    v.double_value = 0;
    v.string_value.clear();
  }

  bool ParseAnyValue(const char* p, const char* end, AnyValue& v, int depth) {
    if (depth > max_depth_) [[unlikely]] {
      return Fail(p, "AnyValue nested more than " + std::to_string(max_depth_) + " deep");
    }
    return ForEachField(p, end, [&](const Field& f) {
      switch (f.number) {
        case 1:
          SetType(v, AnyValue::Type::kString);
          return String(f, "AnyValue.string_value", v.string_value);
        case 2: {
          SetType(v, AnyValue::Type::kBool);
          uint64_t b;
          if (!Varint(f, "AnyValue.bool_value", b)) return false;
          v.bool_value = b != 0;
          return true;
        }
        case 3: {
          SetType(v, AnyValue::Type::kInt);
          uint64_t i;
          if (!Varint(f, "AnyValue.int_value", i)) return false;
          v.int_value = static_cast<int64_t>(i);
          return true;
        }
        case 4:
          SetType(v, AnyValue::Type::kDouble);
          return Double(f, "AnyValue.double_value", v.double_value);
        case 5:
          if (!Message(f, "AnyValue.array_value")) return false;
          SetType(v, AnyValue::Type::kArray);
          return ArrayJson(f.data, f.data + f.size, v.string_value, depth + 1);
        case 6:
          if (!Message(f, "AnyValue.kvlist_value")) return false;
          SetType(v, AnyValue::Type::kKvlist);
          return KvlistJson(f.data, f.data + f.size, v.string_value, depth + 1);
        case 7:
          SetType(v, AnyValue::Type::kBytes);
          return Bytes(f, "AnyValue.bytes_value", v.string_value);
        default:  // 8: string_value_strindex (profiles only)
          return true;
      }
    });
  }

  bool ArrayJson(const char* p, const char* end, std::string& json, int depth) {
    json = "[";
    bool first = true;
    bool ok = ForEachField(p, end, [&](const Field& f) {
      if (f.number != 1) return true;
      if (!Message(f, "ArrayValue.values") || !Item(f.start)) return false;
      AnyValue elem;
      if (!ParseAnyValue(f.data, f.data + f.size, elem, depth)) return false;
      if (!first) json += ',';
      first = false;
      AppendAnyValueJson(json, elem);
      return true;
    });
    json += ']';
    return ok;
  }

  bool KvlistJson(const char* p, const char* end, std::string& json, int depth) {
    json = "{";
    bool first = true;
    bool ok = ForEachField(p, end, [&](const Field& f) {
      if (f.number != 1) return true;
      if (!Message(f, "KeyValueList.values") || !Item(f.start)) return false;
      KeyValue kv;
      if (!ParseKeyValue(f.data, f.data + f.size, kv, depth)) return false;
      if (!first) json += ',';
      first = false;
      AppendJsonString(json, kv.key);
      json += ':';
      AppendAnyValueJson(json, kv.value);
      return true;
    });
    json += '}';
    return ok;
  }

  // ------------------------------------------------------------ traces
  bool ParseResourceSpans(const char* p, const char* end, ResourceSpans& rs) {
    return ForEachField(p, end, [&](const Field& f) {
      switch (f.number) {
        case 1:
          return Message(f, "ResourceSpans.resource") &&
                 ParseResource(f.data, f.data + f.size, rs.resource);
        case 2:
          return Message(f, "ResourceSpans.scope_spans") && Item(f.start) &&
                 ParseScopeSpans(f.data, f.data + f.size, rs.scope_spans.emplace_back());
        case 3:
          return String(f, "ResourceSpans.schema_url", rs.schema_url);
        default:
          return true;
      }
    });
  }

  bool ParseScopeSpans(const char* p, const char* end, ScopeSpans& ss) {
    return ForEachField(p, end, [&](const Field& f) {
      switch (f.number) {
        case 1:
          return Message(f, "ScopeSpans.scope") && ParseScope(f.data, f.data + f.size, ss.scope);
        case 2:
          return Message(f, "ScopeSpans.spans") && Item(f.start) &&
                 ParseSpan(f.data, f.data + f.size, ss.spans.emplace_back());
        case 3:
          return String(f, "ScopeSpans.schema_url", ss.schema_url);
        default:
          return true;
      }
    });
  }

  bool ParseSpan(const char* p, const char* end, Span& s) {
    return ForEachField(p, end, [&](const Field& f) {
      switch (f.number) {
        case 1:
          return Id(f, "Span.trace_id", s.trace_id);
        case 2:
          return Id(f, "Span.span_id", s.span_id);
        case 3:
          return String(f, "Span.trace_state", s.trace_state);
        case 4:
          return Id(f, "Span.parent_span_id", s.parent_span_id);
        case 5:
          return String(f, "Span.name", s.name);
        case 6:
          return Enum(f, "Span.kind", s.kind);
        case 7:
          return Fixed64(f, "Span.start_time_unix_nano", s.start_time_unix_nano);
        case 8:
          return Fixed64(f, "Span.end_time_unix_nano", s.end_time_unix_nano);
        case 9:
          return Attribute(f, "Span.attributes", s.attributes);
        case 10:
          return U32(f, "Span.dropped_attributes_count", s.dropped_attributes_count);
        case 11:
          return Message(f, "Span.events") && Item(f.start) &&
                 ParseEvent(f.data, f.data + f.size, s.events.emplace_back());
        case 12:
          return U32(f, "Span.dropped_events_count", s.dropped_events_count);
        case 13:
          return Message(f, "Span.links") && Item(f.start) &&
                 ParseLink(f.data, f.data + f.size, s.links.emplace_back());
        case 14:
          return U32(f, "Span.dropped_links_count", s.dropped_links_count);
        case 15:
          return Message(f, "Span.status") && ParseStatus(f.data, f.data + f.size, s);
        case 16:
          return Fixed32(f, "Span.flags", s.flags);
        default:
          return true;
      }
    });
  }

  bool ParseEvent(const char* p, const char* end, SpanEvent& e) {
    return ForEachField(p, end, [&](const Field& f) {
      switch (f.number) {
        case 1:
          return Fixed64(f, "Span.Event.time_unix_nano", e.time_unix_nano);
        case 2:
          return String(f, "Span.Event.name", e.name);
        case 3:
          return Attribute(f, "Span.Event.attributes", e.attributes);
        case 4:
          return U32(f, "Span.Event.dropped_attributes_count", e.dropped_attributes_count);
        default:
          return true;
      }
    });
  }

  bool ParseLink(const char* p, const char* end, SpanLink& l) {
    return ForEachField(p, end, [&](const Field& f) {
      switch (f.number) {
        case 1:
          return Id(f, "Span.Link.trace_id", l.trace_id);
        case 2:
          return Id(f, "Span.Link.span_id", l.span_id);
        case 3:
          return String(f, "Span.Link.trace_state", l.trace_state);
        case 4:
          return Attribute(f, "Span.Link.attributes", l.attributes);
        case 5:
          return U32(f, "Span.Link.dropped_attributes_count", l.dropped_attributes_count);
        case 6:
          return Fixed32(f, "Span.Link.flags", l.flags);
        default:
          return true;
      }
    });
  }

  bool ParseStatus(const char* p, const char* end, Span& s) {
    return ForEachField(p, end, [&](const Field& f) {
      switch (f.number) {
        case 2:
          return String(f, "Status.message", s.status_message);
        case 3:
          return Enum(f, "Status.code", s.status_code);
        default:
          return true;
      }
    });
  }

  // ------------------------------------------------------------ metrics
  bool ParseResourceMetrics(const char* p, const char* end, ResourceMetrics& rm) {
    return ForEachField(p, end, [&](const Field& f) {
      switch (f.number) {
        case 1:
          return Message(f, "ResourceMetrics.resource") &&
                 ParseResource(f.data, f.data + f.size, rm.resource);
        case 2:
          return Message(f, "ResourceMetrics.scope_metrics") && Item(f.start) &&
                 ParseScopeMetrics(f.data, f.data + f.size, rm.scope_metrics.emplace_back());
        case 3:
          return String(f, "ResourceMetrics.schema_url", rm.schema_url);
        default:
          return true;
      }
    });
  }

  bool ParseScopeMetrics(const char* p, const char* end, ScopeMetrics& sm) {
    return ForEachField(p, end, [&](const Field& f) {
      switch (f.number) {
        case 1:
          return Message(f, "ScopeMetrics.scope") &&
                 ParseScope(f.data, f.data + f.size, sm.scope);
        case 2:
          return Message(f, "ScopeMetrics.metrics") && Item(f.start) &&
                 ParseMetric(f.data, f.data + f.size, sm.metrics.emplace_back());
        case 3:
          return String(f, "ScopeMetrics.schema_url", sm.schema_url);
        default:
          return true;
      }
    });
  }

  // Switches the `data` oneof to `type`; a second occurrence of the same case merges.
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

  bool ParseMetric(const char* p, const char* end, Metric& m) {
    return ForEachField(p, end, [&](const Field& f) {
      switch (f.number) {
        case 1:
          return String(f, "Metric.name", m.name);
        case 2:
          return String(f, "Metric.description", m.description);
        case 3:
          return String(f, "Metric.unit", m.unit);
        case 5:
          if (!Message(f, "Metric.gauge")) return false;
          SetMetricType(m, Metric::Type::kGauge);
          return ParseNumberPoints(f.data, f.data + f.size, m);
        case 7:
          if (!Message(f, "Metric.sum")) return false;
          SetMetricType(m, Metric::Type::kSum);
          return ParseNumberPoints(f.data, f.data + f.size, m);
        case 9:
          if (!Message(f, "Metric.histogram")) return false;
          SetMetricType(m, Metric::Type::kHistogram);
          return ParseHistogram(f.data, f.data + f.size, m);
        case 10:
          if (!Message(f, "Metric.exponential_histogram")) return false;
          SetMetricType(m, Metric::Type::kExponentialHistogram);
          return ParseExponentialHistogram(f.data, f.data + f.size, m);
        case 11:
          if (!Message(f, "Metric.summary")) return false;
          SetMetricType(m, Metric::Type::kSummary);
          return ParseSummary(f.data, f.data + f.size, m);
        default:  // 12: metadata
          return true;
      }
    });
  }

  // Gauge (data_points = 1) and Sum (+ aggregation_temporality = 2, is_monotonic = 3).
  bool ParseNumberPoints(const char* p, const char* end, Metric& m) {
    const bool sum = m.type == Metric::Type::kSum;
    return ForEachField(p, end, [&](const Field& f) {
      switch (f.number) {
        case 1:
          if (!Message(f, sum ? "Sum.data_points" : "Gauge.data_points") || !Item(f.start)) {
            return false;
          }
          return ParseNumberPoint(f.data, f.data + f.size, m.number_points.emplace_back());
        case 2:
          return !sum || Enum(f, "Sum.aggregation_temporality", m.aggregation_temporality);
        case 3: {
          if (!sum) return true;
          uint64_t b;
          if (!Varint(f, "Sum.is_monotonic", b)) return false;
          m.is_monotonic = b != 0;
          return true;
        }
        default:
          return true;
      }
    });
  }

  bool ParseNumberPoint(const char* p, const char* end, NumberDataPoint& dp) {
    return ForEachField(p, end, [&](const Field& f) {
      switch (f.number) {
        case 7:
          return Attribute(f, "NumberDataPoint.attributes", dp.attributes);
        case 2:
          return Fixed64(f, "NumberDataPoint.start_time_unix_nano", dp.start_time_unix_nano);
        case 3:
          return Fixed64(f, "NumberDataPoint.time_unix_nano", dp.time_unix_nano);
        case 4:
          dp.value_type = NumberDataPoint::ValueType::kDouble;
          dp.as_int = 0;
          return Double(f, "NumberDataPoint.as_double", dp.as_double);
        case 6: {
          dp.value_type = NumberDataPoint::ValueType::kInt;
          dp.as_double = 0;
          uint64_t v;
          if (!Fixed64(f, "NumberDataPoint.as_int", v)) return false;
          dp.as_int = static_cast<int64_t>(v);
          return true;
        }
        case 5:
          return Exemplar(f, "NumberDataPoint.exemplars", dp.exemplar_count);
        case 8:
          return U32(f, "NumberDataPoint.flags", dp.flags);
        default:
          return true;
      }
    });
  }

  bool ParseHistogram(const char* p, const char* end, Metric& m) {
    return ForEachField(p, end, [&](const Field& f) {
      switch (f.number) {
        case 1:
          if (!Message(f, "Histogram.data_points") || !Item(f.start)) return false;
          return ParseHistogramPoint(f.data, f.data + f.size, m.histogram_points.emplace_back());
        case 2:
          return Enum(f, "Histogram.aggregation_temporality", m.aggregation_temporality);
        default:
          return true;
      }
    });
  }

  bool ParseHistogramPoint(const char* p, const char* end, HistogramDataPoint& dp) {
    return ForEachField(p, end, [&](const Field& f) {
      switch (f.number) {
        case 9:
          return Attribute(f, "HistogramDataPoint.attributes", dp.attributes);
        case 2:
          return Fixed64(f, "HistogramDataPoint.start_time_unix_nano", dp.start_time_unix_nano);
        case 3:
          return Fixed64(f, "HistogramDataPoint.time_unix_nano", dp.time_unix_nano);
        case 4:
          return Fixed64(f, "HistogramDataPoint.count", dp.count);
        case 5:
          return OptionalDouble(f, "HistogramDataPoint.sum", dp.sum);
        case 6:
          return RepeatedFixed64(f, "HistogramDataPoint.bucket_counts", dp.bucket_counts);
        case 7:
          return RepeatedDouble(f, "HistogramDataPoint.explicit_bounds", dp.explicit_bounds);
        case 8:
          return Exemplar(f, "HistogramDataPoint.exemplars", dp.exemplar_count);
        case 10:
          return U32(f, "HistogramDataPoint.flags", dp.flags);
        case 11:
          return OptionalDouble(f, "HistogramDataPoint.min", dp.min);
        case 12:
          return OptionalDouble(f, "HistogramDataPoint.max", dp.max);
        default:
          return true;
      }
    });
  }

  bool ParseExponentialHistogram(const char* p, const char* end, Metric& m) {
    return ForEachField(p, end, [&](const Field& f) {
      switch (f.number) {
        case 1:
          if (!Message(f, "ExponentialHistogram.data_points") || !Item(f.start)) return false;
          return ParseExponentialPoint(f.data, f.data + f.size,
                                       m.exponential_histogram_points.emplace_back());
        case 2:
          return Enum(f, "ExponentialHistogram.aggregation_temporality",
                      m.aggregation_temporality);
        default:
          return true;
      }
    });
  }

  bool ParseExponentialPoint(const char* p, const char* end, ExponentialHistogramDataPoint& dp) {
    return ForEachField(p, end, [&](const Field& f) {
      switch (f.number) {
        case 1:
          return Attribute(f, "ExponentialHistogramDataPoint.attributes", dp.attributes);
        case 2:
          return Fixed64(f, "ExponentialHistogramDataPoint.start_time_unix_nano",
                         dp.start_time_unix_nano);
        case 3:
          return Fixed64(f, "ExponentialHistogramDataPoint.time_unix_nano", dp.time_unix_nano);
        case 4:
          return Fixed64(f, "ExponentialHistogramDataPoint.count", dp.count);
        case 5:
          return OptionalDouble(f, "ExponentialHistogramDataPoint.sum", dp.sum);
        case 6:
          return Sint32(f, "ExponentialHistogramDataPoint.scale", dp.scale);
        case 7:
          return Fixed64(f, "ExponentialHistogramDataPoint.zero_count", dp.zero_count);
        case 8:
          return Message(f, "ExponentialHistogramDataPoint.positive") &&
                 ParseBuckets(f.data, f.data + f.size, dp.positive);
        case 9:
          return Message(f, "ExponentialHistogramDataPoint.negative") &&
                 ParseBuckets(f.data, f.data + f.size, dp.negative);
        case 10:
          return U32(f, "ExponentialHistogramDataPoint.flags", dp.flags);
        case 11:
          return Exemplar(f, "ExponentialHistogramDataPoint.exemplars", dp.exemplar_count);
        case 12:
          return OptionalDouble(f, "ExponentialHistogramDataPoint.min", dp.min);
        case 13:
          return OptionalDouble(f, "ExponentialHistogramDataPoint.max", dp.max);
        case 14:
          return Double(f, "ExponentialHistogramDataPoint.zero_threshold", dp.zero_threshold);
        default:
          return true;
      }
    });
  }

  bool ParseBuckets(const char* p, const char* end, ExponentialHistogramBuckets& b) {
    return ForEachField(p, end, [&](const Field& f) {
      switch (f.number) {
        case 1:
          return Sint32(f, "Buckets.offset", b.offset);
        case 2:
          return RepeatedVarint(f, "Buckets.bucket_counts", b.bucket_counts);
        default:
          return true;
      }
    });
  }

  bool ParseSummary(const char* p, const char* end, Metric& m) {
    return ForEachField(p, end, [&](const Field& f) {
      if (f.number != 1) return true;
      if (!Message(f, "Summary.data_points") || !Item(f.start)) return false;
      return ParseSummaryPoint(f.data, f.data + f.size, m.summary_points.emplace_back());
    });
  }

  bool ParseSummaryPoint(const char* p, const char* end, SummaryDataPoint& dp) {
    return ForEachField(p, end, [&](const Field& f) {
      switch (f.number) {
        case 7:
          return Attribute(f, "SummaryDataPoint.attributes", dp.attributes);
        case 2:
          return Fixed64(f, "SummaryDataPoint.start_time_unix_nano", dp.start_time_unix_nano);
        case 3:
          return Fixed64(f, "SummaryDataPoint.time_unix_nano", dp.time_unix_nano);
        case 4:
          return Fixed64(f, "SummaryDataPoint.count", dp.count);
        case 5:
          return Double(f, "SummaryDataPoint.sum", dp.sum);
        case 6:
          return Message(f, "SummaryDataPoint.quantile_values") && Item(f.start) &&
                 ParseQuantile(f.data, f.data + f.size, dp.quantile_values.emplace_back());
        case 8:
          return U32(f, "SummaryDataPoint.flags", dp.flags);
        default:
          return true;
      }
    });
  }

  bool ParseQuantile(const char* p, const char* end, ValueAtQuantile& q) {
    return ForEachField(p, end, [&](const Field& f) {
      switch (f.number) {
        case 1:
          return Double(f, "ValueAtQuantile.quantile", q.quantile);
        case 2:
          return Double(f, "ValueAtQuantile.value", q.value);
        default:
          return true;
      }
    });
  }

  // Exemplars are counted, not decoded; the payload is still checked to be well formed
  // (as a message of unknown fields) so that a broken one fails the request.
  bool Exemplar(const Field& f, const char* what, uint32_t& count) {
    if (!Message(f, what) || !Item(f.start)) return false;
    if (!ForEachField(f.data, f.data + f.size, [](const Field&) { return true; })) return false;
    ++count;
    return true;
  }

  // ------------------------------------------------------------ logs
  bool ParseResourceLogs(const char* p, const char* end, ResourceLogs& rl) {
    return ForEachField(p, end, [&](const Field& f) {
      switch (f.number) {
        case 1:
          return Message(f, "ResourceLogs.resource") &&
                 ParseResource(f.data, f.data + f.size, rl.resource);
        case 2:
          return Message(f, "ResourceLogs.scope_logs") && Item(f.start) &&
                 ParseScopeLogs(f.data, f.data + f.size, rl.scope_logs.emplace_back());
        case 3:
          return String(f, "ResourceLogs.schema_url", rl.schema_url);
        default:
          return true;
      }
    });
  }

  bool ParseScopeLogs(const char* p, const char* end, ScopeLogs& sl) {
    return ForEachField(p, end, [&](const Field& f) {
      switch (f.number) {
        case 1:
          return Message(f, "ScopeLogs.scope") && ParseScope(f.data, f.data + f.size, sl.scope);
        case 2:
          return Message(f, "ScopeLogs.log_records") && Item(f.start) &&
                 ParseLogRecord(f.data, f.data + f.size, sl.log_records.emplace_back());
        case 3:
          return String(f, "ScopeLogs.schema_url", sl.schema_url);
        default:
          return true;
      }
    });
  }

  bool ParseLogRecord(const char* p, const char* end, LogRecord& r) {
    return ForEachField(p, end, [&](const Field& f) {
      switch (f.number) {
        case 1:
          return Fixed64(f, "LogRecord.time_unix_nano", r.time_unix_nano);
        case 11:
          return Fixed64(f, "LogRecord.observed_time_unix_nano", r.observed_time_unix_nano);
        case 2:
          return Enum(f, "LogRecord.severity_number", r.severity_number);
        case 3:
          return String(f, "LogRecord.severity_text", r.severity_text);
        case 5:
          return Message(f, "LogRecord.body") && ParseAnyValue(f.data, f.data + f.size, r.body, 1);
        case 6:
          return Attribute(f, "LogRecord.attributes", r.attributes);
        case 7:
          return U32(f, "LogRecord.dropped_attributes_count", r.dropped_attributes_count);
        case 8:
          return Fixed32(f, "LogRecord.flags", r.flags);
        case 9:
          return Id(f, "LogRecord.trace_id", r.trace_id);
        case 10:
          return Id(f, "LogRecord.span_id", r.span_id);
        case 12:
          return String(f, "LogRecord.event_name", r.event_name);
        default:
          return true;
      }
    });
  }

  // ------------------------------------------------------------ typed fields
  bool Message(const Field& f, const char* what) { return Want(f, what, kLengthDelimited); }

  bool String(const Field& f, const char* what, std::string& out) {
    if (!Want(f, what, kLengthDelimited)) return false;
    std::string_view s(f.data, f.size);
    if (!IsValidUtf8(s)) [[unlikely]]
      return Fail(f.start, std::string(what) + " is not valid UTF-8");
    out.assign(s);
    return true;
  }

  bool Bytes(const Field& f, const char* what, std::string& out) {
    if (!Want(f, what, kLengthDelimited)) return false;
    out.assign(f.data, f.size);
    return true;
  }

  template <size_t N>
  bool Id(const Field& f, const char* what, std::array<uint8_t, N>& out) {
    if (!Want(f, what, kLengthDelimited)) return false;
    if (f.size == 0) {
      out.fill(0);
      return true;
    }
    if (f.size != N) [[unlikely]] {
      return Fail(f.start, std::string(what) + " has " + std::to_string(f.size) +
                               " bytes, want " + std::to_string(N) + " (or none)");
    }
    std::memcpy(out.data(), f.data, N);
    return true;
  }

  bool Varint(const Field& f, const char* what, uint64_t& out) {
    if (!Want(f, what, kVarint)) return false;
    out = f.value;
    return true;
  }

  // uint32 and int32 fields take the low 32 bits of the varint, as protobuf does.
  bool U32(const Field& f, const char* what, uint32_t& out) {
    if (!Want(f, what, kVarint)) return false;
    out = static_cast<uint32_t>(f.value);
    return true;
  }

  template <typename E>
  bool Enum(const Field& f, const char* what, E& out) {
    if (!Want(f, what, kVarint)) return false;
    out = static_cast<E>(static_cast<int32_t>(static_cast<uint32_t>(f.value)));
    return true;
  }

  bool Sint32(const Field& f, const char* what, int32_t& out) {
    if (!Want(f, what, kVarint)) return false;
    const auto v = static_cast<uint32_t>(f.value);
    out = static_cast<int32_t>((v >> 1) ^ (~(v & 1) + 1));
    return true;
  }

  bool Fixed64(const Field& f, const char* what, uint64_t& out) {
    if (!Want(f, what, kFixed64)) return false;
    out = f.value;
    return true;
  }

  bool Fixed32(const Field& f, const char* what, uint32_t& out) {
    if (!Want(f, what, kFixed32)) return false;
    out = static_cast<uint32_t>(f.value);
    return true;
  }

  bool Double(const Field& f, const char* what, double& out) {
    if (!Want(f, what, kFixed64)) return false;
    std::memcpy(&out, &f.value, 8);
    return true;
  }

  bool OptionalDouble(const Field& f, const char* what, std::optional<double>& out) {
    double v;
    if (!Double(f, what, v)) return false;
    out = v;
    return true;
  }

  // repeated fixed64 / double: one value (wire type fixed64) or packed (length-delimited).
  bool RepeatedFixed64(const Field& f, const char* what, std::vector<uint64_t>& out) {
    if (f.wire_type == kFixed64) {
      out.push_back(f.value);
      return true;
    }
    if (!Want(f, what, kLengthDelimited)) return false;
    if (f.size % 8 != 0) [[unlikely]] {
      return Fail(f.start, std::string("packed ") + what + " has " + std::to_string(f.size) +
                               " bytes, not a multiple of 8");
    }
    if (f.size == 0) return true;  // memcpy from/to null is undefined even for 0 bytes
    const size_t n = f.size / 8;
    const size_t old = out.size();
    out.resize(old + n);
    std::memcpy(out.data() + old, f.data, f.size);  // little-endian on every supported target
    return true;
  }

  bool RepeatedDouble(const Field& f, const char* what, std::vector<double>& out) {
    if (f.wire_type == kFixed64) {
      double v;
      std::memcpy(&v, &f.value, 8);
      out.push_back(v);
      return true;
    }
    if (!Want(f, what, kLengthDelimited)) return false;
    if (f.size % 8 != 0) [[unlikely]] {
      return Fail(f.start, std::string("packed ") + what + " has " + std::to_string(f.size) +
                               " bytes, not a multiple of 8");
    }
    if (f.size == 0) return true;
    const size_t old = out.size();
    out.resize(old + f.size / 8);
    std::memcpy(out.data() + old, f.data, f.size);
    return true;
  }

  // repeated uint64: one varint or packed varints.
  bool RepeatedVarint(const Field& f, const char* what, std::vector<uint64_t>& out) {
    if (f.wire_type == kVarint) {
      out.push_back(f.value);
      return true;
    }
    if (!Want(f, what, kLengthDelimited)) return false;
    const char* p = f.data;
    const char* end = f.data + f.size;
    while (p < end) {
      uint64_t v = 0;
      if (!ReadVarint(p, end, v)) return false;
      out.push_back(v);
    }
    return true;
  }

  // ------------------------------------------------------------ wire primitives
  template <typename Fn>
  bool ForEachField(const char* p, const char* end, Fn&& fn) {
    while (p < end) {
      Field f;
      if (!Next(p, end, f)) return false;
      if (!fn(f)) return false;
    }
    return true;
  }

  // Reads the field at p (< end) whole; a group is skipped and reported with no payload.
  bool Next(const char*& p, const char* end, Field& f) {
    f.start = p;
    uint64_t tag = 0;
    if (!ReadVarint(p, end, tag)) return false;
    const uint64_t number = tag >> 3;
    if (number == 0 || number > 0x1fffffff) [[unlikely]] {
      return Fail(f.start, "invalid field number " + std::to_string(number));
    }
    f.number = static_cast<uint32_t>(number);
    f.wire_type = static_cast<uint32_t>(tag & 7);
    switch (f.wire_type) {
      case kVarint:
        return ReadVarint(p, end, f.value);
      case kFixed64:
        if (end - p < 8) [[unlikely]]
          return Fail(f.start, "truncated fixed64 field " + std::to_string(f.number));
        std::memcpy(&f.value, p, 8);
        p += 8;
        return true;
      case kFixed32: {
        if (end - p < 4) [[unlikely]]
          return Fail(f.start, "truncated fixed32 field " + std::to_string(f.number));
        uint32_t v;
        std::memcpy(&v, p, 4);
        f.value = v;
        p += 4;
        return true;
      }
      case kLengthDelimited: {
        uint64_t len = 0;
        if (!ReadVarint(p, end, len)) return false;
        if (len > static_cast<uint64_t>(end - p)) [[unlikely]] {
          return Fail(f.start, "length " + std::to_string(len) + " of field " +
                                   std::to_string(f.number) + " runs past the end of its message (" +
                                   std::to_string(end - p) + " bytes left)");
        }
        f.data = p;
        f.size = static_cast<size_t>(len);
        p += len;
        return true;
      }
      case kStartGroup:
        return SkipGroup(p, end, f.start, f.number, 0);
      case kEndGroup:
        return Fail(f.start, "end-group without a start-group");
      default:
        return Fail(f.start, "invalid wire type " + std::to_string(f.wire_type) + " (field " +
                                 std::to_string(f.number) + ")");
    }
  }

  // Skips a group's fields up to its end-group tag; p is just after the start-group tag.
  bool SkipGroup(const char*& p, const char* end, const char* start, uint32_t number, int depth) {
    if (depth >= kMaxGroupDepth) [[unlikely]]
      return Fail(start, "groups nested too deeply");
    for (;;) {
      if (p >= end) [[unlikely]]
        return Fail(start, "unterminated group (field " + std::to_string(number) + ")");
      const char* inner = p;
      uint64_t tag = 0;
      if (!ReadVarint(p, end, tag)) return false;
      const uint32_t wt = static_cast<uint32_t>(tag & 7);
      const uint64_t f = tag >> 3;
      if (wt == kEndGroup) {
        if (f != number) [[unlikely]]
          return Fail(inner, "mismatched end-group");
        return true;
      }
      if (wt == kStartGroup) {
        if (!SkipGroup(p, end, inner, static_cast<uint32_t>(f), depth + 1)) return false;
        continue;
      }
      p = inner;  // re-read as a plain field
      Field ignored;
      if (!Next(p, end, ignored)) return false;
    }
  }

  bool ReadVarint(const char*& p, const char* end, uint64_t& out) {
    if (p < end && static_cast<uint8_t>(*p) < 0x80) [[likely]] {
      out = static_cast<uint8_t>(*p++);
      return true;
    }
    const char* start = p;
    uint64_t v = 0;
    for (int i = 0; i < 10; ++i) {
      if (p >= end) [[unlikely]]
        return Fail(start, "truncated varint");
      const auto b = static_cast<uint8_t>(*p++);
      if (i == 9 && b > 1) [[unlikely]]
        return Fail(start, "varint overflows 64 bits");
      v |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
      if (b < 0x80) {
        out = v;
        return true;
      }
    }
    return Fail(start, "varint longer than 10 bytes");
  }

  bool Want(const Field& f, const char* what, uint32_t wire_type) {
    if (f.wire_type == wire_type) [[likely]]
      return true;
    return Fail(f.start, std::string(what) + " (field " + std::to_string(f.number) +
                             ") has wire type " + std::to_string(f.wire_type) + " (" +
                             WireTypeName(f.wire_type) + "), want " + std::to_string(wire_type) +
                             " (" + WireTypeName(wire_type) + ")");
  }

  bool Item(const char* at) {
    if (++items_ <= limits_.max_items) [[likely]]
      return true;
    return Fail(at, "more than " + std::to_string(limits_.max_items) +
                        " items (spans, data points, attributes, ...) in one request");
  }

  [[gnu::noinline, gnu::cold]] bool Fail(const char* at, std::string what) {
    if (!status_.ok()) return false;
    status_ = InvalidArgument("otlp protobuf: " + what + " at byte " + std::to_string(at - base_));
    return false;
  }

  const char* const base_;
  const DecodeLimits limits_;
  const int max_depth_;
  size_t items_ = 0;
  Status status_;
};

template <typename Request, typename Fn>
Status Decode(std::string_view body, Request* out, const DecodeLimits& limits, Fn parse) {
  *out = Request{};
  Parser parser(body, limits);
  if (!(parser.*parse)(body.data(), body.data() + body.size(), *out)) {
    *out = Request{};
    return parser.TakeStatus();
  }
  return Status::Ok();
}

}  // namespace

Status DecodeTracesProto(std::string_view body, TracesRequest* out, const DecodeLimits& limits) {
  return Decode(body, out, limits, &Parser::ParseTracesRequest);
}

Status DecodeMetricsProto(std::string_view body, MetricsRequest* out, const DecodeLimits& limits) {
  return Decode(body, out, limits, &Parser::ParseMetricsRequest);
}

Status DecodeLogsProto(std::string_view body, LogsRequest* out, const DecodeLimits& limits) {
  return Decode(body, out, limits, &Parser::ParseLogsRequest);
}

}  // namespace perfwatch::ingest::otlp
