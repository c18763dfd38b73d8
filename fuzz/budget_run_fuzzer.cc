// libFuzzer target for the body of POST /api/v1/budget-runs (budget/runs_api.h): arbitrary
// bytes must parse or fail cleanly; a parsed run has an app, fields within the store's
// limits, JSON that is a valid object the store accepts (starting with "app"), and series
// that are the two run metrics with finite values and an app label.
#include <simdjson.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "budget/runs_api.h"

using namespace perfwatch;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto p = budget::ParseBudgetRun(body, 1'796'378'400'000);
  if (!p.ok()) return 0;
  const budget::NewRun& run = p->run;
  if (run.app.empty() || run.time_ms < 0) std::abort();
  for (const auto* f : {&run.app, &run.branch, &run.commit, &run.build_id}) {
    if (f->size() > budget::RunStore::kMaxFieldBytes) std::abort();
  }
  if (run.json.size() > budget::RunStore::kMaxJsonBytes || !run.json.starts_with("{\"app\":")) std::abort();
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(run.json).get(root) != simdjson::SUCCESS || !root.is_object()) std::abort();
  std::string_view app;
  if (root["app"].get_string().get(app) != simdjson::SUCCESS || app != run.app) std::abort();
  for (const budget::RunSeries& s : p->series) {
    if (s.metric != budget::kBundleBytesMetric && s.metric != budget::kHeadroomRatioMetric) std::abort();
    if (!std::isfinite(s.value) || s.labels.empty() || s.labels[0].first != "app" || s.labels[0].second != run.app) {
      std::abort();
    }
  }
  return 0;
}
