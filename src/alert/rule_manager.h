#pragma once
// Loads rule files and evaluates their groups: each group on its interval, and at once
// when samples arrive for series that one of its rules selects (event-driven evaluation),
// so a breach reaches the notification pipeline milliseconds after the write that
// carried it. Details and the reasoning behind them: docs/alerting.md.
//
// Event-driven evaluation. The manager observes every append to the store
// (tsdb::AppendObserver); a TriggerIndex finds the rules whose selectors match each
// appended series and flags them. A flagged group is queued once however many samples
// arrive (coalescing) and is never evaluated twice at the same time; its event-driven
// evaluation covers the flagged rules only, in group order (a recording rule's output
// flags the later rules of its group that read it). Interval evaluations cover every
// rule, so time-based conditions (`for`, absent(), rate windows) advance with or without
// new data. Evaluation timestamps of a group only increase (each is the clock's now, or
// one millisecond after the group's previous one), so outputs never go out of order.
// Event-driven evaluations may use at most `event_cpu_budget` of one core (a token bucket
// of evaluation time); beyond it they wait, so a write flood degrades to interval
// evaluation instead of burning CPU.
//
// Reload (Update): the new files are parsed completely before anything changes; on any
// error the running rules stay and the error is returned. Alert state is carried over to
// rules with the same group, name and labels, as Prometheus does. State (every alert of
// every alerting rule) is persisted to `state_dir/rules.json` shortly after it changes and
// at Stop, and restored on the first Update after a restart: a firing alert stays firing
// with its original start, pending `for` timers resume.
//
// Configuration reload (docs/operations.md "Reloading"): SetSettings swaps the options of
// RuleSettings (everything but the thread count, state dir, clock and metrics): the
// default interval and query offset apply to the groups built by the next Update (a group
// whose interval changed is next evaluated no later than its new interval allows);
// external labels, resend delay, flap detection and the event-evaluation budget to the
// evaluations that start from then on; event_driven (un)installs the append observer.
//
// Thread safety: thread-safe. Update/Start/Stop/SetSettings from one controlling thread.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "alert/rule_group.h"
#include "alert/trigger_index.h"
#include "common/metrics.h"
#include "tsdb/tsdb.h"

namespace perfwatch::alert {

struct RuleManagerOptions {
  std::filesystem::path state_dir;     // rules.json lives here; empty: no persistence
  int64_t default_interval_ms = 60'000;  // global.evaluation_interval
  int64_t default_query_offset_ms = 0;   // global.rule_query_offset
  int64_t resend_delay_ms = 60'000;      // Prometheus' --rules.alert.resend-delay
  LabelSet external_labels;              // global.external_labels
  std::string external_url;              // generatorURL prefix
  int eval_threads = 2;
  bool event_driven = true;
  double event_cpu_budget = 0.25;        // share of one core for event-driven evaluation; 0: unlimited
  int64_t persist_interval_ms = 100;     // state changes reach disk within this
  const Clock* clock = nullptr;          // null: SystemClock
  MetricsRegistry* metrics = nullptr;    // may be null
  bool start_threads = true;             // false: tests call RunPending()
  FlapOptions flap;                      // rules.flap_*: flap detection (window 0: off)
};

// The reloadable part of RuleManagerOptions (same meanings).
struct RuleSettings {
  int64_t default_interval_ms = 60'000;
  int64_t default_query_offset_ms = 0;
  int64_t resend_delay_ms = 60'000;
  LabelSet external_labels;
  bool event_driven = true;
  double event_cpu_budget = 0.25;
  FlapOptions flap;

  static RuleSettings Of(const RuleManagerOptions& o);
  bool operator==(const RuleSettings&) const = default;
};

class RuleManager final : public tsdb::AppendObserver {
 public:
  // `tsdb` (may be null in tests), `querier` and `sink` (may be null) outlive the manager.
  RuleManager(RuleManagerOptions opts, tsdb::Tsdb* tsdb, const RuleQuerier* querier, AlertSink* sink);
  ~RuleManager() override;  // Stop()
  RuleManager(const RuleManager&) = delete;
  RuleManager& operator=(const RuleManager&) = delete;

  // Loads these rule files (already glob-expanded) and replaces the running groups.
  Status Update(const std::vector<std::string>& files);
  // Same, from parsed specs (tests).
  Status UpdateFromSpecs(const std::vector<RuleGroupSpec>& specs);

  // Starts the evaluation threads and installs the append observer; Stop reverses it
  // and persists the state. Idempotent.
  Status Start();
  void Stop();

  // A consistent view of the loaded groups for the API.
  std::vector<std::shared_ptr<RuleGroup>> Groups() const;
  // Replaces opts.external_url (reload of `external_url`): the generatorURL prefix of the
  // evaluations that start from now on.
  void SetExternalUrl(std::string external_url);
  // Replaces the reloadable options (see the top of this file); the running ones.
  void SetSettings(RuleSettings settings);
  RuleSettings settings() const;
  // global.external_labels, added to the alerts sent to the pipeline (the current ones).
  std::shared_ptr<const LabelSet> external_labels() const;

  // tsdb::AppendObserver.
  void OnAppend(std::span<const tsdb::SeriesSamples> batch, std::span<const tsdb::SeriesRef> refs,
                uint64_t head_generation) override;
  void OnAppendRefs(std::span<const tsdb::RefSample> batch, const tsdb::Head& head,
                    uint64_t head_generation) override;

  // Runs every evaluation due at the clock's now (interval and event-driven) on the
  // calling thread; for tests with start_threads = false.
  void RunPending();
  // Evaluates every rule of every group now (tests, benchmarks).
  void EvalAllNow();
  // Writes the alert state file now.
  Status PersistState();

 private:
  struct GroupSlot;
  struct Loaded;

  void WorkerLoop();
  void PersistLoop();
  void Schedule(Loaded& loaded, size_t group_index);
  // Runs one queued evaluation of `slot` (lock held on entry and exit, released inside).
  void RunSlot(std::unique_lock<std::mutex>& lock, const std::shared_ptr<Loaded>& loaded, size_t index);
  int64_t NextTimestamp(GroupSlot& slot, int64_t now);
  Status Install(std::vector<std::shared_ptr<RuleGroup>> groups);
  void RestoreState(const std::vector<std::shared_ptr<RuleGroup>>& groups);
  void RegisterMetrics();
  // Flags a rule; groups that became pending are added to `to_schedule`.
  void Trigger(Loaded& loaded, TriggerTarget target, std::vector<uint32_t>* to_schedule);
  GroupEvalDeps Deps() const;  // mu_ held

  const RuleManagerOptions opts_;
  const Clock* const clock_;
  tsdb::Tsdb* const tsdb_;
  const RuleQuerier* const querier_;
  AlertSink* const sink_;
  std::shared_ptr<struct RuleMetricsState> metrics_state_;

  // The loaded groups, their index and their scheduling slots; replaced by Update.
  std::atomic<std::shared_ptr<Loaded>> loaded_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<size_t> ready_;        // guarded by mu_: group indexes queued for evaluation
  bool stopping_ = false;           // guarded by mu_
  std::string external_url_;        // guarded by mu_: opts_.external_url, then SetExternalUrl
  RuleSettings settings_;           // guarded by mu_: from opts_, then SetSettings
  std::shared_ptr<const LabelSet> external_labels_;  // guarded by mu_: settings_.external_labels
  bool started_ = false;            // guarded by mu_
  bool restored_ = false;           // guarded by mu_: the state file was read
  bool installing_ = false;         // guarded by mu_: Install waits for evaluations to end
  double event_tokens_ns_ = 0;      // guarded by mu_: event-evaluation budget left
  int64_t event_tokens_at_ns_ = 0;  // guarded by mu_: when the bucket was last refilled
  std::vector<std::thread> workers_;  // started/joined by Start/Stop
  std::thread persister_;
  std::mutex persist_mu_;             // serialises writes of the state file
  uint64_t persisted_version_ = 0;    // guarded by persist_mu_
  std::mutex persist_wait_mu_;        // the persister sleeps on persist_cv_ under it
  std::condition_variable persist_cv_;
};

}  // namespace perfwatch::alert
