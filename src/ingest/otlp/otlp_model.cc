#include "ingest/otlp/otlp_model.h"

#include <cmath>

#include "common/base64.h"
#include "common/json_writer.h"

namespace perfwatch::ingest::otlp {

std::string ToHex(const uint8_t* data, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 15];
  }
  return out;
}

void AppendAnyValueJson(std::string& out, const AnyValue& v) {
  switch (v.type) {
    case AnyValue::Type::kEmpty:
      out += "null";
      return;
    case AnyValue::Type::kString:
      AppendJsonString(out, v.string_value);
      return;
    case AnyValue::Type::kBool:
      out += v.bool_value ? "true" : "false";
      return;
    case AnyValue::Type::kInt:
      AppendJsonInt(out, v.int_value);
      return;
    case AnyValue::Type::kDouble:
      AppendJsonNumber(out, v.double_value);  // 1e15 and more with an exponent: valid for every JSON reader
      return;
    case AnyValue::Type::kBytes:
      AppendJsonString(out, Base64Encode(v.string_value));
      return;
    case AnyValue::Type::kArray:
    case AnyValue::Type::kKvlist:
      out += v.string_value;  // already JSON
      return;
  }
}

std::string AnyValue::ToString() const {
  switch (type) {
    case Type::kEmpty:
      return "";
    case Type::kString:
    case Type::kArray:
    case Type::kKvlist:
      return string_value;
    case Type::kBytes:
      return Base64Encode(string_value);
    default: {
      std::string out;
      AppendAnyValueJson(out, *this);
      if (type == Type::kDouble && !out.empty() && out.front() == '"') {
        out = out.substr(1, out.size() - 2);  // "NaN" -> NaN
      }
      return out;
    }
  }
}

const AnyValue* FindAttribute(const Attributes& attributes, std::string_view key) {
  for (const KeyValue& kv : attributes) {
    if (kv.key == key) return &kv.value;
  }
  return nullptr;
}

std::string_view FindStringAttribute(const Attributes& attributes, std::string_view key) {
  const AnyValue* v = FindAttribute(attributes, key);
  if (v == nullptr || v->type != AnyValue::Type::kString) return {};
  return v->string_value;
}

std::string_view SpanKindName(SpanKind kind) {
  switch (kind) {
    case SpanKind::kUnspecified:
      return "SPAN_KIND_UNSPECIFIED";
    case SpanKind::kInternal:
      return "SPAN_KIND_INTERNAL";
    case SpanKind::kServer:
      return "SPAN_KIND_SERVER";
    case SpanKind::kClient:
      return "SPAN_KIND_CLIENT";
    case SpanKind::kProducer:
      return "SPAN_KIND_PRODUCER";
    case SpanKind::kConsumer:
      return "SPAN_KIND_CONSUMER";
  }
  return {};
}

std::string_view SpanStatusCodeName(SpanStatusCode code) {
  switch (code) {
    case SpanStatusCode::kUnset:
      return "STATUS_CODE_UNSET";
    case SpanStatusCode::kOk:
      return "STATUS_CODE_OK";
    case SpanStatusCode::kError:
      return "STATUS_CODE_ERROR";
  }
  return {};
}

size_t TracesRequest::span_count() const {
  size_t n = 0;
  for (const ResourceSpans& rs : resource_spans)
    for (const ScopeSpans& ss : rs.scope_spans) n += ss.spans.size();
  return n;
}

size_t MetricsRequest::data_point_count() const {
  size_t n = 0;
  for (const ResourceMetrics& rm : resource_metrics)
    for (const ScopeMetrics& sm : rm.scope_metrics)
      for (const Metric& m : sm.metrics) n += m.data_point_count();
  return n;
}

size_t LogsRequest::log_record_count() const {
  size_t n = 0;
  for (const ResourceLogs& rl : resource_logs)
    for (const ScopeLogs& sl : rl.scope_logs) n += sl.log_records.size();
  return n;
}

}  // namespace perfwatch::ingest::otlp
