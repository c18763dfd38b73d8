#pragma once
// The performance report of one app over a window against the previous period of the
// same length (tracker issue 17 item 5; sections and rules: docs/reports.md). A Report is
// a plain value built from what the server already knows (BuildReport), then rendered as
// HTML, Markdown or JSON (report_render.h).
//
// Sources, each optional (a null source leaves its section empty and marked unavailable):
// the event store (vitals p75 per day, score, slowest pages, network findings), the PromQL
// engine (slowest routes from perfwatch_span_* series), the regression and leak watchers,
// the deploy store, the error store, the alert history (alertmanager) and the budget runs.
// Every computation reuses the analysis functions behind the matching API
// (ComputeVitals, ComputeVitalSeries, ComputeScore, ComputeNetwork, Watcher::Regressions,
// LeakWatcher::Findings, TopErrorGroups), so a report and the API agree.
//
// Thread safety: BuildReport only reads thread-safe sources; safe on any thread.
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alert/alert_history.h"
#include "analysis/leak_watch.h"
#include "analysis/watch.h"
#include "budget/run_store.h"
#include "common/status.h"
#include "events/deploy_store.h"
#include "events/error_reader.h"
#include "events/event_reader.h"
#include "query/promql_engine.h"

namespace perfwatch::report {

inline constexpr int64_t kDefaultReportWindowMs = 7LL * 86'400'000;
inline constexpr int64_t kDayMs = 86'400'000;
inline constexpr size_t kReportTopN = 10;  // rows of the slowest pages / routes / errors

// One budget run as the report shows it: the contract's run JSON
// (/work/notes/issue17-contracts.md, GET /api/v1/budget-runs) reduced to what it shows.
struct BudgetResultRow {
  std::string kind, path, name, unit, status, message;
  std::optional<double> value, budget;
  std::optional<double> headroom_ratio;
};
struct BudgetRunSummary {
  std::string id, app, commit, branch, build_id;
  int64_t time_ms = 0;
  bool passed = false;
  int64_t passed_count = 0, failed_count = 0, skipped_count = 0;
  std::vector<BudgetResultRow> failed;  // the failed results (all of them)
};
// Parses one run of the contract's JSON (the stored run, optionally with "id").
// InvalidArgument when it is not an object with "app" and "results".
Result<BudgetRunSummary> ParseBudgetRunJson(std::string_view json);

// The latest `limit` budget runs of `app`, newest first. Wired to the budget run store.
using BudgetRunsFn = std::function<Result<std::vector<BudgetRunSummary>>(const std::string& app, size_t limit)>;
// The runs of budget::RunStore (GET /api/v1/budget-runs' store), each parsed with
// ParseBudgetRunJson; a run that does not parse is skipped. `store` may be null (an empty
// function: no budget section).
BudgetRunsFn BudgetRunsFrom(const budget::RunStore* store);
// Alert episodes that started in [from_ms, to_ms] (alert::Alertmanager::AlertEpisodes).
using AlertEpisodesFn = std::function<std::vector<alert::AlertEpisode>(int64_t from_ms, int64_t to_ms)>;

// The event and error readers are the local stores, or ClickHouse with events.backend:
// clickhouse (every edge's events).
struct ReportSources {
  const events::EventReader* events = nullptr;
  const query::promql::Engine* engine = nullptr;
  const analysis::Watcher* regressions = nullptr;
  const analysis::LeakWatcher* leaks = nullptr;
  const events::DeployStore* deploys = nullptr;
  const events::ErrorReader* errors = nullptr;
  AlertEpisodesFn alert_episodes;  // empty: no alert statistics
  BudgetRunsFn budget_runs;        // empty: no budget section
};

struct ReportRequest {
  std::string app;
  int64_t window_ms = kDefaultReportWindowMs;
  int64_t to_ms = 0;  // end of the window (now)
};

// A value of this period and of the previous one; nullopt without data.
struct Trend {
  std::optional<double> current, previous;
  // (current - previous) / previous; nullopt unless both exist and previous != 0.
  std::optional<double> Change() const;
};

struct DailyPoint {
  int64_t day_start_ms = 0;
  double value = 0;
};

struct VitalSection {
  std::string name;  // LCP, INP, CLS, FCP, TTFB
  std::string unit;  // "ms" or "" (CLS)
  Trend p75;
  uint64_t count = 0, previous_count = 0;
  double good_share = 0;         // of this period's values
  std::string rating;            // of this period's p75: good | needs-improvement | poor | "" (no data)
  std::vector<DailyPoint> daily;  // p75 per UTC day of this period (days without data left out)
};

struct ScoreSection {
  Trend score;  // 0..100
  int64_t views = 0, previous_views = 0;
  std::vector<DailyPoint> daily;
};

struct PageRow {
  std::string page;
  uint64_t views = 0;  // LCP events of the page
  std::optional<double> lcp_p75, inp_p75;
};

struct RouteRow {
  std::string service, route;
  Trend p95_seconds;
  double calls = 0;
  std::optional<double> error_ratio;
};

struct RegressionRow {
  std::string id, where, metric;  // where: the page or route
  double before = 0, after = 0, change = 0;
  int64_t time_ms = 0;
  bool active = false;
  std::string deploy_version;  // "" without a deploy
};

struct DeployRow {
  std::string id, version, commit, environment;
  int64_t time_ms = 0;
};

struct AlertStats {
  bool available = false;
  int64_t total = 0, previous_total = 0;
  std::map<std::string, int64_t> by_severity;  // "" → "none"
  int64_t acknowledged = 0, resolved = 0;
  std::optional<int64_t> median_ack_ms, median_resolve_ms;
  std::vector<std::pair<std::string, int64_t>> top_alerts;  // alertname, episodes (most first)
};

struct ErrorRow {
  std::string fingerprint, type, message;
  uint64_t count = 0, sessions = 0;
  bool is_new = false;
  int64_t last_seen_ms = 0;
};

struct Finding {
  std::string source;    // regression | leak | network
  std::string severity;  // critical | warning | info
  std::string title, detail;
  double impact = 0;     // orders findings of the same severity and source
};

struct Report {
  std::string app;
  int64_t window_ms = 0, from_ms = 0, to_ms = 0, previous_from_ms = 0, generated_ms = 0;
  std::vector<VitalSection> vitals;  // LCP, INP, CLS, FCP, TTFB
  ScoreSection score;
  std::vector<PageRow> slowest_pages;
  bool routes_available = false;
  std::vector<RouteRow> slowest_routes;
  std::vector<RegressionRow> regressions;
  std::vector<DeployRow> deploys;
  AlertStats alerts;
  std::vector<ErrorRow> errors;
  bool budget_available = false;
  std::vector<BudgetRunSummary> budget_runs;  // newest first
  std::vector<Finding> findings;              // prioritised (FindingBefore)
  std::vector<std::string> notes;             // sources that failed (the report still renders)
};

// The order of findings: severity (critical, warning, info), then source (regression,
// leak, network), then impact descending.
bool FindingBefore(const Finding& a, const Finding& b);

// The median of `v` (the mean of the two middle values for an even count); nullopt when empty.
std::optional<int64_t> MedianMs(std::vector<int64_t> v);

// Alert statistics of the episodes of the window (`current`) and of the previous period.
AlertStats ComputeAlertStats(const std::vector<alert::AlertEpisode>& current,
                             const std::vector<alert::AlertEpisode>& previous, const std::string& app);

Result<Report> BuildReport(const ReportSources& sources, const ReportRequest& request);

}  // namespace perfwatch::report
