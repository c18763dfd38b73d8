#pragma once
// The periodic memory-leak evaluation (issue 15 item 3; docs/analysis.md "Memory leaks",
// "Where the heap series come from"): every pass runs the leak detector (analysis/leak.h)
// over the heap series of the last `lookback` and keeps the findings for
// GET /api/v1/leaks and the series perfwatch_memory_leak_active.
//
// Sources, per pass over [now - lookback, now]:
//  - RUM: the `memory` events of the event store (the SDK's periodic usedJSHeapSize
//    samples). One heap series per document: the samples sharing (app, session,
//    pageViewId) (per (app, session) when the beacons carry no pageViewId), in time order.
//    A series with at least min_samples samples is a "long session"; it is attributed to
//    the page it was on when its growth started (not leaking: its latest page). Findings
//    are per app × page: how many long sessions, how many leak, and the worst one's figures.
//  - TSDB: every series of each expression (default process_resident_memory_bytes,
//    nodejs_heap_size_used_bytes, sum by (job, instance) (v8js_memory_heap_used_bytes)),
//    evaluated as a range query at `step` over the lookback; one finding per series with at
//    least min_samples points.
// perfwatch_memory_leak_active{app, page, metric} (RUM) and {<series labels>, metric}
// (TSDB) is written at each pass: 1 while leaking, 0 otherwise, stale once gone.
// At most kMaxRumSeries documents are analysed per pass (the most recent first).
//
// Reload (`analysis.leak` changed; docs/operations.md "Reloading"): CheckOptions checks
// new options as Create does, Apply swaps them in between passes and restarts the schedule
// (interval 0 stops it; the last findings stay until a pass replaces them).
//
// Thread safety: thread-safe; RunAt serialises passes; Findings may be called from any
// thread during a pass (it sees the previous pass's list). Start/Stop/Apply from one
// controlling thread.
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "analysis/active_series.h"
#include "analysis/leak.h"
#include "common/config.h"
#include "common/metrics.h"
#include "common/periodic_thread.h"
#include "common/status.h"
#include "events/event_store.h"
#include "query/promql_engine.h"
#include "tsdb/labels.h"
#include "tsdb/tsdb.h"

namespace perfwatch::analysis {

inline constexpr std::string_view kLeakActiveMetric = "perfwatch_memory_leak_active";
inline constexpr std::string_view kLeakActiveHelp =
    "1 while the memory-leak detector finds sustained heap growth in the series (RUM: in at least one long "
    "session of the app and page), 0 otherwise (docs/analysis.md).";
inline constexpr std::string_view kRumHeapMetric = "usedJSHeapSize";

struct LeakWatchOptions {
  int64_t interval_ms = 15'000;  // 0: Start() runs no thread
  int64_t lookback_ms = 30 * 60'000;
  int64_t step_ms = 15'000;
  size_t min_samples = 12;
  LeakOptions detector;          // threshold, p-value, warm-up
  // TSDB sources: {metric name, PromQL}. Empty name: the series' __name__, else the text.
  std::vector<std::pair<std::string, std::string>> expressions;
};

// Options from `analysis.leak` (the default expressions when none are configured).
LeakWatchOptions LeakWatchOptionsFromConfig(const LeakWatchConfig& config);

struct LeakSessionFinding {
  std::string session;           // "<session>" or "<session>/<pageViewId>"
  LeakResult result;
  size_t samples = 0;
};

struct LeakFinding {
  std::string source;            // "rum" or "tsdb"
  std::string metric;
  tsdb::Labels labels;           // of its perfwatch_memory_leak_active series (without __name__)
  std::string app, page;         // RUM
  LeakResult result;             // RUM: the worst leaking session's, or the longest session's
  double last_bytes = 0;
  size_t samples = 0;
  size_t sessions = 0, sessions_leaking = 0;          // RUM
  std::vector<LeakSessionFinding> sessions_detail;    // RUM: at most 5, leaking first
  std::vector<std::pair<int64_t, double>> points;     // the series behind result (<= 240 points)
  int64_t evaluated_ms = 0;
};

// The order of GET /api/v1/leaks: leaking first, then severity, then growth (descending).
bool LeakFindingBefore(const LeakFinding& a, const LeakFinding& b);

class LeakWatcher {
 public:
  static constexpr size_t kMaxRumSeries = 20'000;

  // Checks the options (detector options, every expression parses). `store`, `engine`,
  // `tsdb`, `metrics` may be null (that source is skipped, no series written). All outlive
  // the watcher.
  static Result<std::unique_ptr<LeakWatcher>> Create(LeakWatchOptions options, const events::EventStore* store,
                                                     const query::promql::Engine* engine, tsdb::Tsdb* tsdb,
                                                     MetricsRegistry* metrics);
  // The checks of Create: detector options, lookback and step, every expression parses.
  static Status CheckOptions(const LeakWatchOptions& options);
  ~LeakWatcher();
  LeakWatcher(const LeakWatcher&) = delete;
  LeakWatcher& operator=(const LeakWatcher&) = delete;

  // One pass at now_ms: analyses both sources, replaces the findings, writes
  // perfwatch_memory_leak_active. A failing source is logged and counted; the other still
  // runs. Returns the number of series analysed.
  Result<size_t> RunAt(int64_t now_ms);

  // The last pass's findings, in LeakFindingBefore order.
  std::vector<LeakFinding> Findings() const;

  void Start();  // every interval_ms, when interval_ms > 0
  void Stop();   // idempotent
  // Replaces the options (checked with CheckOptions) after the pass in progress, then runs
  // every new interval_ms from now (a started watcher only: call Start first).
  void Apply(LeakWatchOptions options);
  LeakWatchOptions options() const;

 private:
  LeakWatcher(LeakWatchOptions options, const events::EventStore* store, const query::promql::Engine* engine,
              tsdb::Tsdb* tsdb, MetricsRegistry* metrics);
  Status CollectRum(int64_t now_ms, std::vector<LeakFinding>* out, size_t* analysed) const;
  Status CollectTsdb(int64_t now_ms, std::vector<LeakFinding>* out, size_t* analysed) const;

  LeakWatchOptions options_;  // written under run_mu_ by Apply (passes read it under run_mu_)
  const events::EventStore* const store_;
  const query::promql::Engine* const engine_;
  Counter* runs_ = nullptr;
  Counter* failures_ = nullptr;
  Gauge* duration_ = nullptr;
  Gauge* series_ = nullptr;

  mutable std::mutex run_mu_;     // serialises RunAt
  ActiveSeriesWriter active_;     // guarded by run_mu_
  mutable std::mutex mu_;
  std::vector<LeakFinding> findings_;  // guarded by mu_
  PeriodicThread thread_;
};

}  // namespace perfwatch::analysis
