#include "ingest/rum/journey_state.h"

#include <simdjson.h>

#include <charconv>

#include "common/file_util.h"

namespace perfwatch::ingest {

Result<int64_t> ParseJourneySweepMark(std::string_view text) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  int64_t swept = 0;
  if (parser.parse(text).get(root) || root["swept_ms"].get_int64().get(swept)) {
    return InvalidArgument("expected {\"swept_ms\":<integer>}");
  }
  return swept;
}

Result<int64_t> ReadJourneySweepMark(const std::filesystem::path& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  auto mark = ParseJourneySweepMark(*text);
  if (!mark.ok()) return InvalidArgument(path.string() + ": " + mark.status().message());
  return mark;
}

Status WriteJourneySweepMark(const std::filesystem::path& path, int64_t swept_ms) {
  return WriteFileAtomically(path, "{\"swept_ms\":" + std::to_string(swept_ms) + "}\n")
      .WithContext("write journey sweep mark");
}

Status ScanPendingJourneys(const events::EventStore& store, int64_t swept_ms, int64_t timeout_ms,
                           const std::function<void(const PendingJourney&)>& fn) {
  // A beacon's event time is at most 24 h before its receive time (DESIGN.md).
  constexpr int64_t kMaxClockLag = 24LL * 3600 * 1000;
  events::RecordScan scan;
  scan.type = events::EventType::kJourney;
  scan.from_ms = swept_ms - timeout_ms - kMaxClockLag;
  scan.to_ms = INT64_MAX;
  simdjson::dom::parser parser;
  return store.ScanRecords(scan, [&](const events::EventRecord& e) {
    if (e.id.empty() || e.attrs_json.empty()) return;
    if (e.received_ms + timeout_ms <= swept_ms) return;  // counted before the restart
    simdjson::dom::element root;
    std::string_view outcome;
    if (parser.parse(e.attrs_json.data(), e.attrs_json.size()).get(root) ||
        root["outcome"].get_string().get(outcome) || outcome != "abandoned") {
      return;
    }
    fn(PendingJourney{e.session_id, e.id, e.dims[events::kApp], e.name, e.received_ms});
  });
}

}  // namespace perfwatch::ingest
