#pragma once
// Continuous watches (issue 15 item 2; docs/analysis.md "Continuous watches and
// regressions"): series watched for change points on a timer, their confirmed regressions
// served by GET /api/v1/regressions and written as perfwatch_regression_active.
//
// Watched, every pass, over [now - lookback, now]:
//  - every app × page × vital (LCP, INP, CLS, FCP, TTFB): the exact p75 per hour from the
//    event store (ComputeVitalSeries), hours with fewer than min_views events left out;
//    metric "LCP", ... in the store's unit (ms; CLS unitless); direction up;
//  - every route of the RED series (perfwatch_span_*{http_route!=""}): hourly p95 of
//    perfwatch_span_duration_seconds (metric "p95", seconds) and error ratio of
//    perfwatch_span_calls_total (metric "error_ratio"), hours with fewer than min_views
//    calls left out; direction up;
//  - every series of every `analysis.watch` expression (a range query at its step;
//    metric = its name; its direction).
// At most max_series series per pass: the configured expressions first, then the others by
// traffic (most views or calls first).
//
// Contract of a regression: a change point (DetectChangepoints) in the worse direction
// (up: after > before; down: after < before; both: either). It is active while the mean of
// the series' last segment is still worse than `before` by at least the series'
// min_magnitude, in the change's direction; otherwise it has recovered. Its time is the
// time of the first point after the change (vitals: the start of that hour; PromQL: the
// evaluation time of that point); its deploy the closest one at or before the end of that
// point's interval (vitals: hour start + 1h; PromQL: the point's time), looked up by the
// series' app (vitals) or service (routes; watch series by their app or service label).
//
// perfwatch_regression_active{app|service, page|route, metric} (watch series: their own
// labels with metric = the watch's name) is written at each pass: 1 while one of the
// series' regressions is active, 0 once all recovered; a series no longer listed gets a
// stale marker, then stops.
//
// Reload (`analysis:` watch keys changed; docs/operations.md "Reloading"): CheckOptions
// checks new options as Create does, Apply swaps them in between passes and restarts the
// schedule (interval 0 stops it and empties the list).
//
// Thread safety: thread-safe; RunAt serialises passes; Regressions may be called from any
// thread during a pass (it sees the previous pass's list). Start/Stop/Apply from one
// controlling thread; CollectSeries (tests) not concurrently with Apply.
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "analysis/active_series.h"
#include "analysis/changepoint.h"
#include "common/config.h"
#include "common/metrics.h"
#include "common/periodic_thread.h"
#include "common/status.h"
#include "events/deploy_store.h"
#include "events/event_store.h"
#include "query/promql_engine.h"
#include "tsdb/labels.h"
#include "tsdb/tsdb.h"

namespace perfwatch::analysis {

inline constexpr std::string_view kRegressionActiveMetric = "perfwatch_regression_active";
inline constexpr std::string_view kRegressionActiveHelp =
    "1 while a confirmed performance regression (a change point for the worse, still present) holds for the "
    "series, 0 once it recovered (docs/analysis.md).";

enum class WatchDirection { kUp, kDown, kBoth };
// "up", "down", "both"; nullopt otherwise.
std::optional<WatchDirection> ParseWatchDirection(std::string_view s);

// One series to analyse: its identity, how to judge it, and its points (ascending times).
struct WatchedSeries {
  // Labels of its perfwatch_regression_active series, without __name__, sorted by name:
  // app or service, page or route, metric (watch series: their own labels, metric set).
  tsdb::Labels labels;
  std::string metric;
  std::string deploy_app;      // ClosestBefore's key ("" if none)
  std::string deploy_service;
  WatchDirection direction = WatchDirection::kUp;
  ChangepointOptions options;
  int64_t point_span_ms = 0;   // added to a point's time to get the end of its interval
  std::vector<int64_t> times_ms;
  std::vector<double> values;
  double weight = 0;           // traffic, for the max_series cap
};

struct Regression {
  std::string id;              // 16 hex digits: a hash of the labels and the change time
  tsdb::Labels labels;         // as WatchedSeries::labels
  std::string metric;
  double before = 0, after = 0, change = 0, p_value = 1;
  int64_t time_ms = 0;         // the first point after the change
  int64_t deploy_lookup_ms = 0;
  std::optional<events::Deploy> deploy;
  bool active = false;
};

// The regressions of one series (no deploy yet), in time order. Pure.
std::vector<Regression> FindRegressions(const WatchedSeries& series);

struct WatcherOptions {
  int64_t interval_ms = 5 * 60'000;     // 0: Start() runs no thread
  int64_t lookback_ms = 14 * 86'400'000LL;
  int64_t vital_step_ms = 3'600'000;    // vitals and routes: one point per hour
  uint64_t min_views = 20;
  size_t max_series = 1000;
  ChangepointOptions changepoint;
  std::vector<WatchExprConfig> watch;   // analysis.watch
};

// Options from the `analysis:` section.
WatcherOptions WatcherOptionsFromConfig(const AnalysisConfig& config);

class Watcher {
 public:
  // Checks the options (detector options, every watch expression parses, directions).
  // `store`, `engine`, `tsdb` may be null (that source is skipped, no series written);
  // `deploys` may be null (no deploys); `metrics` may be null. All outlive the watcher.
  static Result<std::unique_ptr<Watcher>> Create(WatcherOptions options, const events::EventStore* store,
                                                 const query::promql::Engine* engine, tsdb::Tsdb* tsdb,
                                                 const events::DeployStore* deploys, MetricsRegistry* metrics);
  // The checks of Create: detector options, lookback, every watch expression parses,
  // directions, steps.
  static Status CheckOptions(const WatcherOptions& options);
  ~Watcher();
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  // The series of one pass at `now_ms` (capped), without analysing them.
  Result<std::vector<WatchedSeries>> CollectSeries(int64_t now_ms) const;

  // One pass: collects, analyses, looks up deploys, replaces the list and writes
  // perfwatch_regression_active at now_ms. A failing source is logged and counted, the
  // others still run. Returns the number of series analysed.
  Result<size_t> RunAt(int64_t now_ms);

  // The last pass's regressions: active first, then newest first.
  std::vector<Regression> Regressions() const;

  void Start();  // every interval_ms on the wall clock, when interval_ms > 0
  void Stop();   // idempotent
  // Replaces the options (checked with CheckOptions) after the pass in progress, then runs
  // every new interval_ms from now (a started watcher only: call Start first).
  void Apply(WatcherOptions options);

 private:
  Watcher(WatcherOptions options, const events::EventStore* store, const query::promql::Engine* engine,
          tsdb::Tsdb* tsdb, const events::DeployStore* deploys, MetricsRegistry* metrics);
  Status CollectVitals(int64_t now_ms, std::vector<WatchedSeries>* out) const;
  Status CollectRoutes(int64_t now_ms, std::vector<WatchedSeries>* out) const;
  Status CollectExpr(const WatchExprConfig& w, int64_t now_ms, std::vector<WatchedSeries>* out) const;
  Status WriteActive(int64_t now_ms, const std::vector<Regression>& regressions);

  WatcherOptions options_;  // written under run_mu_ by Apply (passes read it under run_mu_)
  const events::EventStore* const store_;
  const query::promql::Engine* const engine_;
  const events::DeployStore* const deploys_;
  Counter* runs_ = nullptr;
  Counter* failures_ = nullptr;
  Counter* capped_ = nullptr;
  Gauge* duration_ = nullptr;
  Gauge* series_ = nullptr;

  std::mutex run_mu_;                              // serialises RunAt
  ActiveSeriesWriter active_;                      // guarded by run_mu_
  mutable std::mutex mu_;
  std::vector<Regression> regressions_;            // guarded by mu_
  PeriodicThread thread_;
};

}  // namespace perfwatch::analysis
