// libFuzzer target for ingest::BeaconParser: any body must give either events or
// rejections (never a crash), accepted events must carry valid UTF-8 dims and valid
// attribute JSON, and a whole-body rejection must be alone.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "common/config.h"
#include "ingest/rum/beacon_parser.h"
#include "ingest/rum/route_templater.h"

using namespace perfwatch;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

bool ValidJson(std::string_view s) {
  static simdjson::dom::parser parser;
  simdjson::padded_string padded(s);
  simdjson::dom::element e;
  return !parser.parse(padded).get(e) && e.is_object();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static RumConfig config = [] {
    RumConfig c;
    c.route_rules = {{"[a-z]+(-[a-z]+)+", ":slug"}};
    return c;
  }();
  static std::shared_ptr<const ingest::RouteTemplater> templater =
      ingest::RouteTemplater::Create(config.route_rules).value();
  static ingest::BeaconParser parser(config, templater);

  std::string_view body(reinterpret_cast<const char*>(data), size);
  ingest::BeaconContext context{1700000100000, "q-app", "Mozilla/5.0 (iPhone) Mobile Safari/1"};
  ingest::ParsedBatch batch = parser.Parse(body, context);
  if (batch.body_rejected) {
    Check(batch.rejections.size() == 1 && batch.rejections[0].index == -1 && batch.events.empty());
    return 0;
  }
  Check(batch.events.size() + batch.rejections.size() <= config.max_beacons_per_request);
  for (const auto& r : batch.rejections) Check(r.index >= 0 && !r.reason.empty());
  for (const auto& ev : batch.events) {
    for (std::string_view dim : ev.dims) {
      Check(!dim.empty());
      Check(simdjson::validate_utf8(dim.data(), dim.size()));
    }
    Check(ev.time_ms <= ev.received_ms);
    if (!ev.attrs_json.empty()) {
      Check(ev.attrs_json.size() <= ingest::BeaconParser::kMaxAttrsBytes);
      Check(ValidJson(ev.attrs_json));
    }
  }
  return 0;
}
