#pragma once
// The budget check of `perfwatch budget check` (docs/budgets.md): evaluates a budget file
// against aggregated Lighthouse runs, a build's file sizes and production field data,
// compares with a baseline run, and renders the result as the contract's JSON (also the
// body of POST /api/v1/budget-runs), a terminal table, JUnit XML and Markdown.
//
// Result rules: lower is better for every kind except `score`. A result passes when
// value <= budget + tolerance (Lighthouse: over budget when measurement > budget);
// headroom_ratio = (budget + tolerance - value) / (budget + tolerance). For `score`
// (a minimum): pass when value >= budget, headroom_ratio = (value - budget) / budget.
// With a baseline: a result regressed when it is worse than the baseline's value by more
// than its tolerance (bundles: grew by more than max_growth), and, when both sides carry
// at least two runs, Welch's t-test (analysis/stats.h) gives p < kBaselineMaxPValue;
// a regressed result fails.
//
// Thread safety: pure functions over plain values.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "budget/budget_file.h"
#include "budget/bundle_sizes.h"
#include "budget/lighthouse_report.h"
#include "common/status.h"

namespace perfwatch::budget {

inline constexpr double kBaselineMaxPValue = 0.05;

struct CheckResult {
  std::string kind;         // timing, resourceSize, resourceCount, field, bundle, score
  std::string path;         // page path (lab: URL path and query; field: the server's page)
  std::string name;
  std::string compression;  // bundle results only: raw, gzip, brotli
  std::string source;       // score results: "lab" or "field"
  std::string unit;         // ms, KB, count, bytes, score, unitless
  std::optional<double> value;
  std::optional<double> budget;
  double tolerance = 0;
  std::string status = "pass";  // pass, fail, skipped
  std::optional<double> headroom_ratio;
  int64_t samples = 0;
  std::optional<double> baseline;
  std::string message;
  std::vector<double> runs;  // per-run values (lab), for the baseline's t-test
  double max_growth = 0.2;   // bundles
};

struct CheckRun {
  std::string app, commit, branch, build_id;
  int64_t time_ms = 0;
  std::vector<CheckResult> results;
  bool passed() const;
  int passed_count() const;
  int failed_count() const;
  int skipped_count() const;
};

// Field data of one vital (or the score) for one page, from the server.
struct FieldValue {
  std::string page;
  std::string metric;  // LCP, INP, CLS, FCP, TTFB, or "score"
  std::string window;  // the budget window it was asked for
  double value = 0;    // p75 (score: the page's score)
  int64_t count = 0;   // samples (score: views)
};

// Results of the lab budgets (timings, resourceSizes, resourceCounts, score) for each page.
std::vector<CheckResult> CheckLab(const BudgetFile& file, const std::vector<AggregatedPage>& pages);

// Results of every `bundles` entry against the files measured under --bundles.
std::vector<CheckResult> CheckBundles(const BudgetFile& file, const std::vector<FileSize>& files);

// Results of the `field` vitals and `score` for each page of `data`.
std::vector<CheckResult> CheckField(const BudgetFile& file, const std::vector<FieldValue>& data);

// The distinct field windows of the file (what the CLI asks the server for).
std::vector<std::string> FieldWindows(const BudgetFile& file);
// Whether the file has any field vitals / score / lab budgets / bundles.
bool HasFieldBudgets(const BudgetFile& file);
bool HasLabBudgets(const BudgetFile& file);
bool HasBundleBudgets(const BudgetFile& file);

// Sets each result's `baseline` from the matching result of `baseline` (same kind, path,
// name, compression, source) and fails the regressed ones; `ref` names the baseline in
// messages.
void ApplyBaseline(std::vector<CheckResult>& results, const std::vector<CheckResult>& baseline, std::string_view ref);

// Parses a stored run as GET /api/v1/budget-runs returns it (`data[0]`), or a run's JSON
// itself. InvalidArgument when it is not one; an empty list gives NotFound.
Result<CheckRun> ParseCheckRunJson(std::string_view json);

std::string RenderJson(const CheckRun& run);
std::string RenderTable(const CheckRun& run, bool color);
std::string RenderJunit(const CheckRun& run);
std::string RenderMarkdown(const CheckRun& run);

// A value in its unit for people: "2400 ms", "170.3 KB", "12 requests", "0.081".
std::string FormatValue(double value, std::string_view unit);

}  // namespace perfwatch::budget
