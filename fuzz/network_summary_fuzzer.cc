// libFuzzer target for the network analysis's beacon reader: DecodeResourceBeacon over
// arbitrary attrs_json bytes (strings it returns must lie in the parser's memory, never
// crash on any shape), the URL templater (":id" templates never longer than the URL plus
// 3 bytes per segment), and a whole analysis of the input fed as resource, LCP and
// navigation events of two views (every percentile and share finite or null, no crash).
#include <simdjson.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "analysis/network.h"
#include "analysis/network_api.h"

using namespace perfwatch::analysis;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  simdjson::dom::parser parser;
  ResourceBeacon beacon;
  if (DecodeResourceBeacon(parser, text, &beacon).ok()) {
    for (const ResourceView& r : beacon.resources) {
      if (!(r.start >= 0 && r.duration >= 0) || std::isinf(r.transfer)) std::abort();
      const std::string t = ResourceUrlTemplate(r.url);
      if (t.size() > r.url.size() * 4 + 3) std::abort();
      ClassifyResource(r.initiator, r.url);
    }
  }
  ResourceUrlTemplate(text);

  NetworkAccumulator acc;
  acc.AddResources("app", "/p", "s", "e1", text);
  acc.AddResources("app", "/p", "s", "e2", text);
  acc.AddLcp("app", 1000, text);
  acc.AddNavigation("app", 2000, text);
  const NetworkReport report = acc.Finish();
  for (const PageNetwork& p : report.pages) {
    if (p.views <= 0) std::abort();
    for (const ResourceRow& r : p.resources) {
      if (r.count <= 0 || std::isinf(r.p75_duration)) std::abort();
    }
  }
  const std::string json = RenderNetworkJson(report);
  simdjson::dom::element root;
  if (parser.parse(json).get(root)) std::abort();  // the answer is always valid JSON
  return 0;
}
