// libFuzzer target for the body of POST /api/v1/deploys (analysis/deploys_api.h):
// arbitrary bytes must parse or fail cleanly; a parsed deploy has a version, exactly one
// of app and service, fields within the store's limits, and renders as valid JSON.
#include <simdjson.h>

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "analysis/deploys_api.h"

using namespace perfwatch;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto d = analysis::ParseDeployRequest(body, 1'733'280'000'000);
  if (!d.ok()) return 0;
  if (d->version.empty() || d->app.empty() == d->service.empty() || d->time_ms < 0) std::abort();
  for (const auto* f : {&d->app, &d->service, &d->version, &d->commit, &d->environment}) {
    if (f->size() > events::DeployStore::kMaxFieldBytes) std::abort();
  }
  std::string json = analysis::RenderDeployJson(*d);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json).get(root) != simdjson::SUCCESS) std::abort();
  return 0;
}
