#pragma once
// A rule group: its rules in file order, evaluated in order at one timestamp (Prometheus'
// rules.Group.Eval). Evaluation writes recording-rule results and ALERTS /
// ALERTS_FOR_STATE samples to the store, stale markers for series a rule stopped
// producing, and hands alerts due for sending to the notification pipeline.
//
// An evaluation covers every rule (interval evaluation) or only the rules flagged dirty
// (event-driven evaluation, see rule_manager.h); a flag raised for a later rule while an
// evaluation runs (a recording rule's output feeding an alerting rule of the same group)
// is picked up by that same evaluation.
//
// Thread safety: one evaluation at a time per group (the manager guarantees it);
// MarkDirty and the read accessors are thread-safe.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "alert/rules.h"
#include "common/metrics.h"

namespace perfwatch::tsdb {
class Tsdb;
}

namespace perfwatch::alert {

// What an evaluation writes to and reads from; all pointers outlive the evaluation.
struct GroupEvalDeps {
  const RuleQuerier* querier = nullptr;
  tsdb::Tsdb* tsdb = nullptr;      // null: outputs are dropped (tests, rules check)
  AlertSink* sink = nullptr;       // null: alerts are not sent
  std::shared_ptr<const LabelSet> external_labels;  // null: none
  std::string external_url;
  int64_t resend_delay_ms = 60'000;
  const Clock* clock = nullptr;    // the wall clock (null: SystemClock)
  FlapOptions flap{.window_ms = 0};  // flap detection of alerting rules (window 0: off)
};

// Counters of one group, rendered at /metrics with Prometheus' names.
struct GroupCounters {
  std::atomic<uint64_t> evaluations{0};        // prometheus_rule_evaluations_total (per rule)
  std::atomic<uint64_t> failures{0};           // prometheus_rule_evaluation_failures_total
  std::atomic<uint64_t> iterations{0};         // prometheus_rule_group_iterations_total
  std::atomic<uint64_t> missed{0};             // prometheus_rule_group_iterations_missed_total
  std::atomic<uint64_t> event_iterations{0};   // perfwatch_rule_group_event_evaluations_total
  std::atomic<uint64_t> samples{0};            // prometheus_rule_group_last_samples (gauge)
};

class RuleGroup {
 public:
  // Builds the rules; `default_interval_ms` and `default_query_offset_ms` apply when the
  // spec sets none.
  static Result<std::unique_ptr<RuleGroup>> Create(const RuleGroupSpec& spec, int64_t default_interval_ms,
                                                   int64_t default_query_offset_ms);

  const std::string& file() const { return file_; }
  const std::string& name() const { return name_; }
  // Prometheus' GroupKey: file + ";" + name.
  std::string key() const { return file_ + ";" + name_; }
  int64_t interval_ms() const { return interval_ms_; }
  int64_t limit() const { return limit_; }
  int64_t query_offset_ms() const { return query_offset_ms_; }
  const std::vector<std::unique_ptr<Rule>>& rules() const { return rules_; }

  // Evaluates at `ts_ms`: every rule (`all`) or those marked dirty. Returns whether any
  // alert changed state (for persistence).
  void Eval(int64_t ts_ms, bool all, const GroupEvalDeps& deps);

  // Flags rule `index` for the next event-driven evaluation; true when the group was not
  // flagged before (the caller then schedules it). `external`: new data (not another
  // rule's output) caused it; see EvalScope::derived.
  bool MarkDirty(size_t index, bool external = true);
  // Flags a later rule during this group's own event-driven evaluation (no scheduling:
  // the running evaluation reaches it).
  void MarkDirtyInEval(size_t index);
  // The earliest time-driven transition of its alerting rules (AlertingRule::
  // NextTransitionMs), and flagging the rules whose transition is due at `now_ms`; true when
  // the group was not flagged before (the caller then schedules it).
  int64_t NextTransitionMs() const;
  bool MarkDueTransitions(int64_t now_ms);
  // Reads every alerting rule's next transition (after state was restored or carried over).
  void RefreshTransitions();
  // Clears the group-level flag before an evaluation reads the rule flags.
  void ClearPending() { pending_.store(false, std::memory_order_release); }
  bool pending() const { return pending_.load(std::memory_order_acquire); }

  int64_t last_eval_ms() const { return last_eval_ms_.load(std::memory_order_relaxed); }
  int64_t eval_duration_ns() const { return eval_duration_ns_.load(std::memory_order_relaxed); }
  GroupCounters& counters() { return counters_; }
  const GroupCounters& counters() const { return counters_; }
  // Alerts of its rules held as flapping now; flapping episodes detected since start.
  size_t num_flapping() const;
  uint64_t flap_detections() const;
  // Bumped whenever an evaluation changed alert state (persistence watches it).
  uint64_t state_version() const { return state_version_.load(std::memory_order_relaxed); }

 private:
  RuleGroup() = default;
  void EvalRule(size_t i, const RuleEvalContext& ctx, const GroupEvalDeps& deps);

  std::string file_;
  std::string name_;
  int64_t interval_ms_ = 0;
  int64_t limit_ = 0;
  int64_t query_offset_ms_ = 0;
  std::vector<std::unique_ptr<Rule>> rules_;

  std::unique_ptr<std::atomic<uint8_t>[]> dirty_;  // one flag per rule
  // Flag a rule: set its flag; the first to set it also lists it, so an event-driven
  // evaluation visits the flagged rules only, not every rule of a large group.
  void Flag(size_t index);
  std::mutex dirty_mu_;
  std::vector<uint32_t> dirty_list_;  // guarded by dirty_mu_: rules whose flag was set
  mutable std::mutex transitions_mu_;
  std::map<size_t, int64_t> transitions_;  // guarded by transitions_mu_: rule -> next for/keep_firing_for end
  std::unique_ptr<std::atomic<uint32_t>[]> breaching_counts_;  // Rule::BindBreachingCounter
  std::atomic<bool> pending_{false};
  std::atomic<bool> external_pending_{false};  // a flag since the last evaluation came from new data
  std::atomic<int64_t> last_eval_ms_{0};
  std::atomic<int64_t> eval_duration_ns_{0};
  std::atomic<uint64_t> state_version_{0};
  GroupCounters counters_;
  // Only the evaluating thread touches these: series each rule wrote last time (for
  // stale markers), keyed by their rendered labels.
  std::vector<std::map<std::string, tsdb::Labels>> previous_series_;
};

}  // namespace perfwatch::alert
