#include "events/export_json.h"

#include <cmath>

#include "common/json_writer.h"

namespace perfwatch::events {
namespace {

void Field(std::string& out, std::string_view key_with_quotes, std::string_view value) {
  if (value.empty()) return;
  out.append(key_with_quotes);
  AppendJsonString(out, value);
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

void AppendEventJson(std::string& out, const RecordView& r) {
  out.append("{\"type\":\"");
  out.append(EventTypeName(r.type));
  out.push_back('"');
  Field(out, ",\"name\":", r.name);
  if (!std::isnan(r.value)) {
    out.append(",\"value\":");
    AppendJsonNumber(out, r.value);
  }
  Field(out, ",\"id\":", r.id);
  Field(out, ",\"sessionId\":", r.session_id);
  Field(out, ",\"url\":", r.url);
  out.append(",\"timestamp\":");
  AppendJsonInt(out, r.time_ms);
  Field(out, ",\"userAgent\":", r.user_agent);
  Field(out, ",\"connection\":", r.dims[kConnection]);
  Field(out, ",\"navigationType\":", r.navigation_type);
  Field(out, ",\"rating\":", r.rating);
  Field(out, ",\"app\":", r.dims[kApp]);
  Field(out, ",\"page\":", r.dims[kPage]);
  Field(out, ",\"device\":", r.dims[kDevice]);
  Field(out, ",\"browser\":", r.dims[kBrowser]);
  out.append(",\"received\":");
  AppendJsonInt(out, r.received_ms);
  // Merge the beacon's other fields: attrs_json is one compact object written by ingest.
  std::string_view attrs = Trim(r.attrs_json);
  if (attrs.size() > 2 && attrs.front() == '{' && attrs.back() == '}') {
    std::string_view inner = Trim(attrs.substr(1, attrs.size() - 2));
    if (!inner.empty()) {
      out.push_back(',');
      out.append(inner);
    }
  }
  out.append("}\n");
}

}  // namespace perfwatch::events
