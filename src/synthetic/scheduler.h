#pragma once
// Runs synthetic checks on their intervals (docs/synthetic.md "Scheduling") and keeps what
// they found.
//  - Spread: a check's runs fall at a fixed offset within its interval derived from its
//    name (as Prometheus spreads scrapes), so 100 checks of 10 s do not start together.
//  - A run that fails is run again at once; only the second outcome counts (retried=true).
//  - A check whose previous run is still going skips the tick
//    (perfwatch_synthetic_skipped_total). HTTP runs are asynchronous, at most
//    max_concurrent_http in flight (the rest wait in order); browser runs go to
//    max_browsers worker threads.
//  - Each counted result: series (probe_* labelled check, instance and the check's labels)
//    in the TSDB; a light history (config.history entries), daily up/total counts (90
//    days), 5-minute duration buckets (24 h), the last 20 failures with their response
//    or screenshot; browser checks with steps also send a journey beacon to `rum_sink`.
//    All of it survives a restart (dir/state.json, written every minute and at Stop).
//  - Checks made through the API are kept in dir/checks.json; YAML checks cannot be
//    replaced or deleted through the API (409).
//  - ApplyConfig (a configuration reload) replaces the YAML checks and settings: an
//    unchanged check keeps its schedule, counters and history; a changed one restarts its
//    schedule (history kept); a removed one stops and its probe_* series get stale
//    markers, as do the series a changed check no longer writes. API checks stay, except
//    one whose name a YAML check now takes (the YAML one wins, as at start).
// Thread safety: every public method may be called from any thread after Create.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/metrics.h"
#include "common/status.h"
#include "synthetic/check.h"
#include "synthetic/check_config.h"

namespace perfwatch::tsdb {
class Tsdb;
}

namespace perfwatch::synthetic {

struct SchedulerOptions {
  tsdb::Tsdb* tsdb = nullptr;            // probe_* series; null: none written
  std::filesystem::path dir;             // data_dir/checks
  MetricsRegistry* metrics = nullptr;
  std::string rum_js;                    // injected into browser checks' pages
  std::function<void(const std::string& beacons_json)> rum_sink;  // journey beacons (a JSON array)
};

struct DayCount {
  int64_t day = 0;  // days since the epoch (UTC)
  int64_t up = 0, total = 0;
};

struct DurationBucket {
  int64_t start_ms = 0;  // 5-minute aligned
  double sum_s = 0;
  int64_t count = 0;
};

// One stored failure, newest last in CheckView::failures.
struct FailureRecord {
  CheckResult result;    // with response / console errors; screenshot_png emptied
  bool has_screenshot = false;
};

struct CheckView {
  CheckSpec spec;
  std::string state;                    // "up", "down" or "pending" (no result yet)
  std::vector<CheckResult> history;     // light: no response, screenshot or resources; oldest first
  std::vector<DayCount> days;           // oldest first, at most 90
  std::vector<DurationBucket> buckets;  // oldest first, the last 24 h
  std::vector<FailureRecord> failures;  // oldest first, at most 20
  // up / total over the trailing window, from `days` (NaN when nothing ran)
  double Uptime(int64_t now_ms, int64_t window_days) const;
};

class Scheduler {
 public:
  static Result<std::unique_ptr<Scheduler>> Create(SyntheticConfig config, SchedulerOptions options);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  void Start();
  void Stop();  // cancels timers, waits for runs in progress (browsers are killed at their timeout), saves state

  SyntheticConfig config() const;  // a copy (a reload may replace it)

  // Reload: the YAML checks and settings of `config` (see above). A new max_browsers grows
  // the browser worker pool at once; a smaller one lets the workers above it exit once idle
  // (a browser run in progress finishes). Returns what changed, for logs.
  struct ApplyReport {
    size_t added = 0, changed = 0, removed = 0, unchanged = 0;
  };
  ApplyReport ApplyConfig(SyntheticConfig config);

  // Every check (YAML first in file order, then API ones by name), with details when
  // `details` (history and failures can be large: the list leaves them empty).
  std::vector<CheckView> List(bool details = false) const;
  // Browser worker threads running now (max_browsers after Start, once shrinking settled).
  size_t browser_workers() const;
  std::optional<CheckView> Get(const std::string& name) const;
  // Adds or replaces an API check (InvalidArgument with "conflict:" prefix for a YAML name).
  Status Put(CheckSpec spec);
  Status Delete(const std::string& name);  // NotFound; InvalidArgument "conflict:" for YAML checks
  // Runs `name` now (with the retry) and records the result like a scheduled run.
  Result<CheckResult> RunNow(const std::string& name);
  // The PNG of the failure at `time_ms`, or NotFound.
  Result<std::string> Screenshot(const std::string& name, int64_t time_ms) const;

 private:
  struct Entry;
  Scheduler(SyntheticConfig config, SchedulerOptions options);
  Status Load();
  static CheckView ViewOf(const Entry& e, bool details);  // under the lock
  void Arm(const std::shared_ptr<Entry>& e);  // under the lock
  void StartBrowserWorkers();  // under the lock
  void ArmSave();  // on the io thread
  void Tick(const std::shared_ptr<Entry>& e);
  void StartHttp(const std::shared_ptr<Entry>& e, bool retry);
  void RunBrowserJob(const std::shared_ptr<Entry>& e);
  CheckResult RunBlocking(const CheckSpec& spec);
  void Record(const std::shared_ptr<Entry>& e, CheckResult result);
  // `stale`: staleness markers at `r.time_ms` for the series `r` wrote (the check ended).
  void WriteSeries(const CheckSpec& spec, const CheckResult& r, int64_t consecutive_failures,
                   bool stale = false);
  // Stale markers for the series of `e`'s last result, if any (under the lock: copies).
  struct StaleWork {
    CheckSpec spec;
    CheckResult last;
  };
  static std::optional<StaleWork> StaleWorkOf(const Entry& e);
  Status SaveApiChecks();  // under mu_
  void SaveState();

  SyntheticConfig config_;  // guarded by impl_->mu after Create (ApplyConfig replaces it)
  SchedulerOptions options_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace perfwatch::synthetic
