// libFuzzer target for the readers of machine-written JSON in `perfwatch budget check`:
// Lighthouse reports (budget/lighthouse_report.h) and a stored budget run as GET
// /api/v1/budget-runs returns it (budget::ParseCheckRunJson). Byte 0 even: the rest is a
// report, parsed, then aggregated with copies of itself (median and median-run) whose
// values must stay those of the report; odd: a stored run, whose results must render
// back as valid JSON with as many results.
#include <simdjson.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "budget/check.h"
#include "budget/lighthouse_report.h"

using namespace perfwatch;
using namespace perfwatch::budget;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    auto run = ParseLighthouseReport(text);
    if (!run.ok()) return 0;
    if (run->url.empty()) std::abort();
    for (const auto* m : {&run->timings, &run->transfer_bytes, &run->request_counts}) {
      for (const auto& kv : *m) {
        if (!std::isfinite(kv.second)) std::abort();
      }
    }
    std::vector<LighthouseRun> runs = {*run, *run, *run};
    for (Aggregation how : {Aggregation::kMedian, Aggregation::kMedianRun}) {
      auto pages = AggregateRuns(runs, how);
      if (pages.size() != 1 || pages[0].runs != 3) std::abort();
      for (const auto& kv : run->timings) {
        if (pages[0].timings.at(kv.first).value != kv.second) std::abort();
      }
    }
    return 0;
  }
  auto stored = ParseCheckRunJson(text);
  if (!stored.ok()) return 0;
  const std::string json = RenderJson(*stored);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json).get(root) != simdjson::SUCCESS) std::abort();
  auto back = ParseCheckRunJson(json);
  if (!back.ok() || back->results.size() != stored->results.size()) std::abort();
  return 0;
}
