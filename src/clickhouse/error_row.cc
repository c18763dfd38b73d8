#include "clickhouse/error_row.h"

#include <simdjson.h>

#include "clickhouse/tsv.h"
#include "common/hex.h"
#include "events/span_record.h"

namespace perfwatch::clickhouse {
namespace {

bool ParseFrames(const std::string& json, std::vector<events::ErrorFrame>* out) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element e;
  simdjson::dom::array arr;
  if (parser.parse(json).get(e) || e.get_array().get(arr)) return false;
  for (simdjson::dom::element item : arr) {
    events::ErrorFrame f;
    std::string_view function, file;
    int64_t line = 0, column = 0;
    bool in_app = false;
    if (item["function"].get_string().get(function) || item["file"].get_string().get(file) ||
        item["line"].get_int64().get(line) || item["column"].get_int64().get(column) ||
        item["inApp"].get_bool().get(in_app)) {
      return false;
    }
    f.function = std::string(function);
    f.file = std::string(file);
    f.line = line;
    f.column = column;
    f.in_app = in_app;
    out->push_back(std::move(f));
  }
  return true;
}

}  // namespace

Status ParseErrorGroupRow(std::span<const std::string> f, events::ErrorGroup* out) {
  if (f.size() != kErrorGroupReadColumnCount) return InvalidArgument("clickhouse error group row: wrong field count");
  events::ErrorGroup g;
  if (!ParseHex64(f[0], &g.info.fingerprint)) return InvalidArgument("clickhouse error group row: bad fingerprint");
  if (f[1] == events::ErrorSourceName(events::ErrorSource::kBrowser)) {
    g.info.source = events::ErrorSource::kBrowser;
  } else if (f[1] == events::ErrorSourceName(events::ErrorSource::kBackend)) {
    g.info.source = events::ErrorSource::kBackend;
  } else {
    return InvalidArgument("clickhouse error group row: unknown source");
  }
  g.info.scope = f[2];
  g.info.type = f[3];
  g.info.message = f[4];
  g.info.sample_message = f[5];
  g.info.sample_stack = f[6];
  if (!ParseFrames(f[7], &g.info.frames)) return InvalidArgument("clickhouse error group row: bad frames");
  PW_ASSIGN_OR_RETURN(g.first_seen_ms, ParseInt(f[8]));
  PW_ASSIGN_OR_RETURN(g.last_seen_ms, ParseInt(f[9]));
  *out = std::move(g);
  return Status::Ok();
}

Status ParseErrorOccurrenceRow(std::span<const std::string> f, uint64_t* fingerprint, events::ErrorOccurrenceView* out) {
  if (f.size() != kErrorReadColumnCount) return InvalidArgument("clickhouse error row: wrong field count");
  if (!ParseHex64(f[0], fingerprint)) return InvalidArgument("clickhouse error row: bad fingerprint");
  events::ErrorOccurrenceView o;
  o.scope = f[1];
  o.location = f[2];
  o.browser = f[3];
  o.session_id = f[4];
  o.user_id = f[5];
  o.message = f[6];
  if ((!f[7].empty() && !events::ParseHexId(f[7], o.trace_id)) ||
      (!f[8].empty() && !events::ParseHexId(f[8], o.span_id))) {
    return InvalidArgument("clickhouse error row: bad trace or span id");
  }
  PW_ASSIGN_OR_RETURN(o.time_ms, ParseInt(f[9]));
  *out = o;
  return Status::Ok();
}

}  // namespace perfwatch::clickhouse
