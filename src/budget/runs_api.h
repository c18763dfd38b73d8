#pragma once
// Budget check runs over HTTP (tracker issue 17 item 3; docs/budget-runs.md, docs/api.md
// "Budget runs"):
//   POST /api/v1/budget-runs (scope ingest): body = a `perfwatch budget check --format json`
//     result: "app" (required string), "commit", "branch", "build_id" (optional strings),
//     "time" (unix seconds or RFC 3339; default now), "passed" (bool; default: no result
//     failed), "results" (array; default []), "summary" ({passed,failed,skipped}; default:
//     counted from results); other members are kept as sent. -> 200
//     {"status":"success","data":{"id":"<id>"}}; 400 bad_data naming the field; 503 when
//     the store cannot write.
//   GET /api/v1/budget-runs?app=&branch=&commit=&build_id=&limit= (scope read): data: the
//     stored runs, newest first; limit default 100 (0: every kept run); commit matches
//     exactly or as a prefix of at least 7 characters.
// A stored run is {"id","app","commit","branch","build_id","time" (RFC 3339, ms),"passed",
// "results" (each as sent),"summary",<other members as sent>}.
// Series written at the run's time (the run is stored first: a series the TSDB refuses,
// e.g. out of order, is logged, not an error):
//   perfwatch_bundle_bytes{app,bundle,compression}: each bundle result's value in bytes
//     (unit "KB" is KiB, times 1024, as in Lighthouse budgets).
//   perfwatch_budget_headroom_ratio{app,kind,name,path}: each result with a budget and a
//     value (not skipped): its headroom_ratio, or (budget + tolerance - value) / (budget +
//     tolerance) when absent. Results with the same labels in one run keep the smallest.
// Thread safety: the handlers keep no state; the store and the TSDB are thread-safe.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "budget/run_store.h"
#include "common/status.h"
#include "http/router.h"

namespace perfwatch::tsdb {
class Tsdb;
}  // namespace perfwatch::tsdb

namespace perfwatch::budget {

inline constexpr std::string_view kBundleBytesMetric = "perfwatch_bundle_bytes";
inline constexpr std::string_view kHeadroomRatioMetric = "perfwatch_budget_headroom_ratio";
inline constexpr std::string_view kBundleBytesHelp =
    "Size of a bundle file in bytes, from uploaded budget check runs (docs/budget-runs.md).";
inline constexpr std::string_view kHeadroomRatioHelp =
    "Headroom of a budget: (budget + tolerance - value) / (budget + tolerance), from uploaded budget check runs "
    "(docs/budget-runs.md).";
inline constexpr size_t kMaxRunResults = 10000;
inline constexpr size_t kMaxResultFieldBytes = 1024;  // a result's name and path
inline constexpr size_t kDefaultRunsLimit = 100;

// One sample a run writes (labels without __name__, sorted by name).
struct RunSeries {
  std::string metric;
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
};

// A parsed POST body: what the store indexes, the JSON to keep, and the series to write.
struct ParsedRun {
  NewRun run;
  std::vector<RunSeries> series;
};

// Parses and validates a POST /api/v1/budget-runs body; `now_ms` is the default time.
// InvalidArgument names the field ("\"app\" is required", "results[2].status must be one of
// pass, fail, skipped").
Result<ParsedRun> ParseBudgetRun(std::string_view body, int64_t now_ms);

// Appends the run's series at `time_ms` (nothing when `tsdb` is null).
Status WriteRunSeries(tsdb::Tsdb* tsdb, const std::vector<RunSeries>& series, int64_t time_ms);

struct RunsApiSources {
  RunStore* runs = nullptr;    // required
  tsdb::Tsdb* tsdb = nullptr;  // the series (skipped when null)
};

void RegisterBudgetRunsApi(http::Router& router, RunsApiSources sources);

}  // namespace perfwatch::budget
