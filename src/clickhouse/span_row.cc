#include "clickhouse/span_row.h"

#include <simdjson.h>

#include <array>
#include <vector>

#include "clickhouse/tsv.h"

namespace perfwatch::clickhouse {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// Lower-case or upper-case hex of exactly N bytes; "" is all zeros (none).
template <size_t N>
bool ParseHexId(std::string_view text, std::array<uint8_t, N>* id) {
  id->fill(0);
  return text.empty() || events::ParseHexId(text, *id);
}

bool ParseAttributes(element e, std::vector<events::SpanAttribute>* out) {
  simdjson::dom::object obj;
  if (e.get_object().get(obj)) return false;
  for (auto field : obj) {
    events::SpanAttribute a;
    a.key = std::string(field.key);
    switch (field.value.type()) {
      case element_type::STRING:
        a.string_value = std::string(field.value.get_string().value_unsafe());
        break;
      case element_type::INT64:
        a.type = events::SpanAttribute::Type::kInt;
        a.int_value = field.value.get_int64().value_unsafe();
        break;
      case element_type::UINT64:
        a.type = events::SpanAttribute::Type::kDouble;
        a.double_value = static_cast<double>(field.value.get_uint64().value_unsafe());
        break;
      case element_type::DOUBLE:
        a.type = events::SpanAttribute::Type::kDouble;
        a.double_value = field.value.get_double().value_unsafe();
        break;
      case element_type::BOOL:
        a.type = events::SpanAttribute::Type::kBool;
        a.bool_value = field.value.get_bool().value_unsafe();
        break;
      default:
        return false;  // the encoder writes no arrays, objects or nulls
    }
    out->push_back(std::move(a));
  }
  return true;
}

bool ParseEvents(element e, std::vector<events::SpanEventRecord>* out) {
  simdjson::dom::array arr;
  if (e.get_array().get(arr)) return false;
  for (element item : arr) {
    events::SpanEventRecord ev;
    std::string_view name, time;
    element attrs;
    if (item["name"].get_string().get(name) || item["timeUnixNano"].get_string().get(time) ||
        item["attributes"].get(attrs)) {
      return false;
    }
    auto t = ParseUint(time);
    if (!t.ok() || !ParseAttributes(attrs, &ev.attributes)) return false;
    ev.name = std::string(name);
    ev.time_unix_nano = *t;
    out->push_back(std::move(ev));
  }
  return true;
}

bool ParseJson(simdjson::dom::parser& parser, const std::string& text, element* out) {
  return !parser.parse(text).get(*out);
}

}  // namespace

Status ParseSpanRow(std::span<const std::string> f, events::SpanRecord* out) {
  if (f.size() != kSpanReadColumnCount) return InvalidArgument("clickhouse span row: wrong field count");
  events::SpanRecord s;
  if (!ParseHexId(f[0], &s.trace_id) || !ParseHexId(f[1], &s.span_id) || !ParseHexId(f[2], &s.parent_span_id)) {
    return InvalidArgument("clickhouse span row: bad id");
  }
  s.service = f[3];
  s.name = f[4];
  PW_ASSIGN_OR_RETURN(uint64_t kind, ParseUint(f[5]));
  PW_ASSIGN_OR_RETURN(uint64_t status, ParseUint(f[6]));
  if (kind > 5 || status > 2) return InvalidArgument("clickhouse span row: kind or status out of range");
  s.kind = static_cast<uint8_t>(kind);
  s.status_code = static_cast<uint8_t>(status);
  s.status_message = f[7];
  PW_ASSIGN_OR_RETURN(s.start_time_unix_nano, ParseUint(f[8]));
  PW_ASSIGN_OR_RETURN(s.end_time_unix_nano, ParseUint(f[9]));
  thread_local simdjson::dom::parser parser;
  element e;
  if (!ParseJson(parser, f[10], &e) || !ParseAttributes(e, &s.attributes)) {
    return InvalidArgument("clickhouse span row: bad attributes");
  }
  if (!ParseJson(parser, f[11], &e) || !ParseEvents(e, &s.events)) {
    return InvalidArgument("clickhouse span row: bad events");
  }
  *out = std::move(s);
  return Status::Ok();
}

}  // namespace perfwatch::clickhouse
