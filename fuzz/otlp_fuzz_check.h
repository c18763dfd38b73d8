#pragma once
// Invariants the OTLP fuzz targets (otlp_proto_fuzzer, otlp_json_fuzzer) check on every
// decoded model: strings valid UTF-8, array and key-value-list attribute values valid
// JSON text, counts within DecodeLimits::max_items.
// Thread safety: stateless functions.
#include <simdjson.h>

#include <cstdlib>

#include "common/label_validation.h"
#include "ingest/otlp/otlp_model.h"

namespace perfwatch::ingest::otlp::fuzzing {

inline void Check(bool ok) {
  if (!ok) std::abort();
}

inline void CheckValue(const AnyValue& v) {
  if (v.type == AnyValue::Type::kString) Check(IsValidUtf8(v.string_value));
  if (v.type == AnyValue::Type::kArray || v.type == AnyValue::Type::kKvlist) {
    static simdjson::dom::parser parser;
    simdjson::dom::element e;
    Check(parser.parse(v.string_value).get(e) == simdjson::SUCCESS);
    Check(v.type == AnyValue::Type::kArray ? e.is_array() : e.is_object());
  }
}

inline void CheckAttributes(const Attributes& attrs) {
  for (const KeyValue& kv : attrs) {
    Check(IsValidUtf8(kv.key));
    CheckValue(kv.value);
  }
}

inline void CheckModel(const TracesRequest& r) {
  for (const auto& rs : r.resource_spans) {
    CheckAttributes(rs.resource.attributes);
    for (const auto& ss : rs.scope_spans) {
      Check(IsValidUtf8(ss.scope.name));
      for (const Span& s : ss.spans) {
        Check(IsValidUtf8(s.name) && IsValidUtf8(s.status_message));
        CheckAttributes(s.attributes);
        for (const auto& e : s.events) CheckAttributes(e.attributes);
        for (const auto& l : s.links) CheckAttributes(l.attributes);
      }
    }
  }
}

inline void CheckModel(const MetricsRequest& r) {
  for (const auto& rm : r.resource_metrics) {
    CheckAttributes(rm.resource.attributes);
    for (const auto& sm : rm.scope_metrics) {
      for (const Metric& m : sm.metrics) {
        Check(IsValidUtf8(m.name));
        // Only the vector of the metric's type has points.
        Check(m.data_point_count() == (m.type == Metric::Type::kGauge || m.type == Metric::Type::kSum
                                           ? m.number_points.size()
                                       : m.type == Metric::Type::kHistogram ? m.histogram_points.size()
                                       : m.type == Metric::Type::kExponentialHistogram
                                           ? m.exponential_histogram_points.size()
                                           : m.summary_points.size()));
        for (const auto& p : m.number_points) CheckAttributes(p.attributes);
        for (const auto& p : m.histogram_points) CheckAttributes(p.attributes);
      }
    }
  }
}

inline void CheckModel(const LogsRequest& r) {
  for (const auto& rl : r.resource_logs) {
    CheckAttributes(rl.resource.attributes);
    for (const auto& sl : rl.scope_logs) {
      for (const LogRecord& l : sl.log_records) {
        CheckValue(l.body);
        CheckAttributes(l.attributes);
      }
    }
  }
}

}  // namespace perfwatch::ingest::otlp::fuzzing
