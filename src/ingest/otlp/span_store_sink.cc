#include "ingest/otlp/span_store_sink.h"

#include "ingest/otlp/span_metrics.h"

namespace perfwatch::ingest::otlp {

namespace {

void ConvertAttributes(const Attributes& in, std::vector<events::SpanAttribute>& out) {
  out.reserve(in.size());
  for (const KeyValue& kv : in) {
    events::SpanAttribute a;
    a.key = kv.key;
    switch (kv.value.type) {
      case AnyValue::Type::kInt:
        a.type = events::SpanAttribute::Type::kInt;
        a.int_value = kv.value.int_value;
        break;
      case AnyValue::Type::kDouble:
        a.type = events::SpanAttribute::Type::kDouble;
        a.double_value = kv.value.double_value;
        break;
      case AnyValue::Type::kBool:
        a.type = events::SpanAttribute::Type::kBool;
        a.bool_value = kv.value.bool_value;
        break;
      case AnyValue::Type::kString:
        a.string_value = kv.value.string_value;
        break;
      default:
        a.string_value = kv.value.ToString();
        break;
    }
    out.push_back(std::move(a));
  }
}

}  // namespace

void ToSpanRecords(const TracesRequest& request, std::vector<events::SpanRecord>& out) {
  for (const ResourceSpans& rs : request.resource_spans) {
    std::string_view service = rs.resource.service_name();
    if (service.empty()) service = "unknown_service";
    for (const ScopeSpans& ss : rs.scope_spans) {
      for (const Span& span : ss.spans) {
        if (CheckSpanTimes(span) != SpanTimeError::kNone) continue;
        events::SpanRecord r;
        r.trace_id = span.trace_id;
        r.span_id = span.span_id;
        r.parent_span_id = span.parent_span_id;
        r.service = service;
        r.name = span.name;
        const auto kind = static_cast<int32_t>(span.kind);
        const auto status = static_cast<int32_t>(span.status_code);
        r.kind = kind >= 0 && kind <= 5 ? static_cast<uint8_t>(kind) : 0;
        r.status_code = status >= 0 && status <= 2 ? static_cast<uint8_t>(status) : 0;
        r.status_message = span.status_message;
        r.start_time_unix_nano = span.start_time_unix_nano;
        r.end_time_unix_nano = span.end_time_unix_nano;
        ConvertAttributes(span.attributes, r.attributes);
        r.events.reserve(span.events.size());
        for (const SpanEvent& ev : span.events) {
          events::SpanEventRecord e;
          e.name = ev.name;
          e.time_unix_nano = ev.time_unix_nano;
          ConvertAttributes(ev.attributes, e.attributes);
          r.events.push_back(std::move(e));
        }
        out.push_back(std::move(r));
      }
    }
  }
}

Status StoreSpans(events::SpanStore* store, const TracesRequest& request, uint64_t* stored) {
  std::vector<events::SpanRecord> records;
  ToSpanRecords(request, records);
  if (stored) *stored = 0;
  PW_RETURN_IF_ERROR(store->Append(records));
  if (stored) *stored = records.size();
  return Status::Ok();
}

}  // namespace perfwatch::ingest::otlp
