// libFuzzer target for perfwatch-budget.json (budget/budget_file.h) and the JSON reader
// under it (budget/json_tree.h): arbitrary bytes must parse or fail with a message that
// names a line; a parsed file keeps its invariants (non-negative budgets and tolerances,
// scores within 0-100, paths Lighthouse accepts, windows > 0) and every budget can be
// looked up and globbed without trouble. The same bytes also go through the check
// (budget/check.h) against a fixed page, bundle list and field data, whose results must
// render as valid JSON, JUnit XML and Markdown.
#include <simdjson.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "budget/budget_file.h"
#include "budget/check.h"
#include "budget/json_tree.h"

using namespace perfwatch;
using namespace perfwatch::budget;

namespace {

void CheckMetric(const MetricBudget& m) {
  if (!(m.budget >= 0) || !(m.tolerance >= 0) || !std::isfinite(m.budget) || m.name.empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto tree = ParseJsonTree(text);
  auto file = ParseBudgetFile(text);
  if (!tree.ok()) {
    if (file.ok()) std::abort();  // the budget parser reads the same JSON
    if (tree.status().message().rfind("line ", 0) != 0) std::abort();
    return 0;
  }
  if (!file.ok()) {
    if (file.status().message().find("line ") == std::string::npos) std::abort();
    return 0;
  }
  for (const Budget& b : file->budgets) {
    if (b.path && (b.path->empty() || (*b.path)[0] != '/')) std::abort();
    for (const auto* list : {&b.timings, &b.resource_sizes, &b.resource_counts}) {
      for (const MetricBudget& m : *list) CheckMetric(m);
    }
    if (b.field) {
      if (b.field->window_ms <= 0 || b.field->min_samples < 0) std::abort();
      for (const MetricBudget& m : b.field->vitals) CheckMetric(m);
    }
    if (b.score && (*b.score < 0 || *b.score > 100)) std::abort();
    for (const BundleBudget& bb : b.bundles) {
      if (bb.path.empty() || bb.path[0] == '/' || !(bb.max_growth >= 0)) std::abort();
      (void)BundleGlobMatch(bb.path, "assets/index-abc.js");
    }
    (void)PathMatchesPattern("/products/42?x=1", b.path ? *b.path : "/");
  }
  (void)MatchingBudget(*file, "/");

  AggregatedPage page;
  page.url = "http://127.0.0.1/products/42";
  page.path = "/products/42";
  page.runs = 2;
  page.timings["largest-contentful-paint"] = {2400, {2300, 2500}};
  page.transfer_bytes["script"] = {20480, {20480, 20480}};
  page.request_counts["total"] = {7, {7, 7}};
  page.score = AggregatedValue{91, {90, 92}};
  CheckRun run;
  run.app = "shop";
  run.results = CheckLab(*file, {page});
  auto bundles = CheckBundles(*file, {{"assets/index-abc.js", 3000, 1000, 900}, {"index.html", 500, 200, 150}});
  run.results.insert(run.results.end(), bundles.begin(), bundles.end());
  auto field = CheckField(*file, {{"/", "LCP", "28d", 2500, 500}, {"/products/:id", "score", "7d", 80, 20}});
  run.results.insert(run.results.end(), field.begin(), field.end());
  ApplyBaseline(run.results, run.results, "main");
  for (const CheckResult& r : run.results) {
    if (r.status != "pass" && r.status != "fail" && r.status != "skipped") std::abort();
  }
  const std::string json = RenderJson(run);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json).get(root) != simdjson::SUCCESS) std::abort();
  auto back = ParseCheckRunJson(json);
  if (!back.ok() || back->results.size() != run.results.size()) std::abort();
  (void)RenderJunit(run);
  (void)RenderMarkdown(run);
  (void)RenderTable(run, true);
  return 0;
}
