#pragma once
// Alerting and recording rules with Prometheus 2.42's evaluation semantics
// (rules/alerting.go, rules/recording.go):
//   - an alerting rule's query result creates pending alerts (labels: the series' labels
//     without __name__, the rule's labels expanded as templates, alertname); a pending
//     alert fires once it has been active for `for`; an alert missing from the result
//     resolves (after `keep_firing_for`, if set, for firing ones); resolved alerts are kept
//     15 minutes so receivers hear of the resolution, pending ones are dropped at once;
//   - every evaluation outputs ALERTS{alertstate} = 1 and ALERTS_FOR_STATE = activeAt (Unix
//     seconds) for each pending or firing alert;
//   - a recording rule's output is its query result renamed and relabelled;
//   - both fail on results with duplicate label sets and on exceeding the group's limit.
// Thread safety: a rule is evaluated by one thread at a time (its group's evaluation);
// the read accessors used by the HTTP API take the rule's mutex and may run concurrently.
#include <atomic>
#include <cstdint>
#include <map>
#include <span>
#include <unordered_set>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "alert/alert.h"
#include "alert/rule_file.h"
#include "alert/template.h"
#include "common/status.h"
#include "query/promql_ast.h"
#include "tsdb/labels.h"

namespace perfwatch::alert {

enum class AlertState : uint8_t { kInactive, kPending, kFiring };
std::string_view AlertStateName(AlertState s);  // "inactive", "pending", "firing"

enum class RuleHealth : uint8_t { kUnknown, kGood, kBad };
std::string_view RuleHealthName(RuleHealth h);  // "unknown", "ok", "err"

// Flap detection (docs/alerting.md "Flap detection"). A transition of a label set is its
// alert becoming active (inactive -> pending, or straight to firing) or ceasing to be
// (pending -> inactive, firing -> inactive); pending -> firing is not one. When a label set
// has had more than `threshold` transitions within `window_ms`, its alert is held firing
// under its labels plus flapping="true" (the plain alert resolves, or is dropped if it was
// never announced, in the same evaluation). It settles once its condition (the label set
// being in the query result) has not changed for `settle_ms`: the held alert resolves and,
// if the condition still holds, the plain alert continues from the time it last started.
struct FlapOptions {
  int threshold = 6;
  int64_t window_ms = 3'600'000;  // 0: off
  int64_t settle_ms = 15 * 60'000;
  bool operator==(const FlapOptions&) const = default;
};
inline constexpr std::string_view kFlappingLabel = "flapping";

// The flap history of one label set of an alerting rule (persisted in the rule state).
struct FlapRecord {
  LabelSet labels;                // the alert's labels (without flapping="true")
  LabelSet annotations;           // the last expanded ones
  double value = 0;               // the last sample value
  std::vector<int64_t> changes;   // transition times in the window, ascending (<= threshold + 1)
  bool flapping = false;          // held firing as flapping="true"
  bool condition = false;         // while flapping: in the query result at the last evaluation
  int64_t last_change_ms = 0;     // while flapping: when the condition last changed (or flapping began)
};

// One instance of an alerting rule (Prometheus' rules.Alert). Times in ms; 0 = unset.
struct RuleAlert {
  LabelSet labels;
  LabelSet annotations;
  AlertState state = AlertState::kInactive;
  double value = 0;
  int64_t active_at_ms = 0;
  int64_t fired_at_ms = 0;
  int64_t resolved_at_ms = 0;
  int64_t last_sent_at_ms = 0;
  int64_t valid_until_ms = 0;
  int64_t keep_firing_since_ms = 0;
  bool flapping = false;  // the held alert of a flapping label set (labels carry flapping="true")
};

// How rules read the store: an instant query at `ts_ms` that answers an instant vector
// (a scalar answers one sample with no labels). Errors: "rule result is not a vector or
// scalar" and the engine's. Implementations are thread-safe.
class RuleQuerier {
 public:
  virtual ~RuleQuerier() = default;
  virtual Result<std::vector<QuerySample>> Query(const query::promql::Expr& expr, int64_t ts_ms) const = 0;
  // For the template function `query` (parses `expr` first).
  virtual Result<std::vector<QuerySample>> QueryText(std::string_view expr, int64_t ts_ms) const = 0;
};

// What one evaluation of one rule needs.
struct RuleEvalContext {
  int64_t ts_ms = 0;           // evaluation time (alert timing)
  int64_t query_offset_ms = 0;  // queries and output samples are at ts - offset
  int64_t limit = 0;           // 0: none
  const RuleQuerier* querier = nullptr;
  const LabelSet* external_labels = nullptr;
  std::string external_url;
  FlapOptions flap{.window_ms = 0};  // off unless the group passes the configured options
};

// A sample a rule outputs (recording result, ALERTS, ALERTS_FOR_STATE), at ts - offset.
struct RuleOutput {
  tsdb::Labels labels;
  double value = 0;
};

class Rule {
 public:
  // Builds a rule from its spec: parses the expression and the templates. Errors are the
  // rule file's (ParseRuleFile validates the same things).
  static Result<std::unique_ptr<Rule>> Create(const RuleSpec& spec);
  virtual ~Rule() = default;

  const std::string& name() const { return name_; }
  bool is_alerting() const { return alerting_; }
  const query::promql::Expr& expr() const { return *expr_; }
  const std::string& query() const { return query_; }  // the expression as Prometheus prints it
  const RuleSpec& spec() const { return spec_; }
  // Names of the metrics and the selectors the expression reads (for event triggers).
  std::vector<const query::promql::VectorSelector*> Selectors() const;

  // Evaluates; the output samples are appended to `out`. On error the rule keeps its
  // previous alert state (except a limit overflow, which clears it, as Prometheus does).
  virtual Status Eval(const RuleEvalContext& ctx, std::vector<RuleOutput>* out) = 0;

  // Whether a new sample `value` of the series `labels` (one its selectors match) can
  // change which alerts this rule has, for event-driven evaluation. Exact for alerting
  // rules of the form `selector <cmp> number` (or `number <cmp> selector`, parenthesised
  // or not; no offset, @ or bool): only a sample that crosses the threshold relative to
  // the last evaluation (a new breach, or a recovery) can; a breaching series breaching
  // again changes only the alert's value, which interval evaluations refresh, as in
  // Prometheus. Every other rule answers true.
  bool SampleCanChange(std::span<const tsdb::LabelView> labels, double value) const;

  // The first half of SampleCanChange, copied into the trigger index so the common case
  // (a healthy sample) does not touch the rule: `enabled` for `selector <cmp> number`.
  struct ThresholdFilter {
    bool enabled = false;
    query::promql::BinaryOp op = query::promql::BinaryOp::kGtr;
    double threshold = 0;
    bool selector_left = true;  // `selector op number`; false: `number op selector`
    bool Breaches(double value) const;
  };
  const ThresholdFilter& threshold_filter() const { return filter_; }
  // The second half: whether the series breached at the last evaluation.
  bool WasBreaching(std::span<const tsdb::LabelView> labels) const;
  // How many series breached at the last evaluation (0: a healthy sample changes nothing).
  // The group keeps its rules' counters side by side (BindBreachingCounter) so the trigger
  // index reads them without touching each rule's cache lines.
  const std::atomic<uint32_t>* breaching_counter() const { return breaching_count_; }
  void BindBreachingCounter(std::atomic<uint32_t>* counter);

  // Health, last error, evaluation time and duration (set by the group).
  void SetEvalResult(const Status& status, int64_t eval_start_ms, int64_t duration_ns);
  RuleHealth health() const;
  std::string last_error() const;
  int64_t last_eval_ms() const;
  int64_t eval_duration_ns() const;

 protected:
  Rule(const RuleSpec& spec, bool alerting, query::promql::ExprPtr expr);
  // Remembers which series breached (the label hashes of the query result) for
  // SampleCanChange; called by the alerting rule after each successful query.
  void SetBreaching(const std::vector<QuerySample>& result);
  mutable std::mutex mu_;  // guards the fields below and subclasses' state for readers

 private:
  const RuleSpec spec_;
  const std::string name_;
  const bool alerting_;
  const query::promql::ExprPtr expr_;
  const std::string query_;
  ThresholdFilter filter_;  // immutable after construction
  std::atomic<std::shared_ptr<const std::unordered_set<uint64_t>>> breaching_;
  std::atomic<uint32_t> own_breaching_count_{0};
  std::atomic<uint32_t>* breaching_count_ = &own_breaching_count_;  // breaching_->size(); set before use
  RuleHealth health_ = RuleHealth::kUnknown;  // guarded by mu_
  std::string last_error_;                    // guarded by mu_
  int64_t last_eval_ms_ = 0;                  // guarded by mu_
  int64_t eval_duration_ns_ = 0;              // guarded by mu_
};

class RecordingRule final : public Rule {
 public:
  RecordingRule(const RuleSpec& spec, query::promql::ExprPtr expr);
  Status Eval(const RuleEvalContext& ctx, std::vector<RuleOutput>* out) override;
};

class AlertingRule final : public Rule {
 public:
  // How long resolved alerts are kept (and re-sent) after resolving.
  static constexpr int64_t kResolvedRetentionMs = 15 * 60'000;

  static Result<std::unique_ptr<AlertingRule>> Make(const RuleSpec& spec, query::promql::ExprPtr expr);
  Status Eval(const RuleEvalContext& ctx, std::vector<RuleOutput>* out) override;

  // Prometheus' sendAlerts: the alerts due to be sent at `ts` (firing ones not sent for
  // resend_delay, and ones resolved since they were last sent), marked sent; ends_at is
  // the resolve time or ts + 4 * max(resend_delay, interval). External labels are added
  // (without overriding) and generatorURL is external_url + the expression's graph link.
  // `now_ms` is the wall clock: an evaluation timestamp may run a millisecond ahead of it
  // (timestamps only increase), and a resolved alert's endsAt must not be in the
  // pipeline's future, or it would not count as resolved.
  std::vector<Alert> AlertsToSend(int64_t ts_ms, int64_t resend_delay_ms, int64_t interval_ms,
                                  const LabelSet& external_labels, const std::string& external_url,
                                  int64_t now_ms = INT64_MAX);

  // The maximum state of its alerts (firing > pending > inactive).
  AlertState State() const;
  // Unresolved alerts (Prometheus' ActiveAlerts), sorted by labels; all alerts with
  // `include_resolved`.
  std::vector<RuleAlert> Alerts(bool include_resolved = false) const;
  // Replaces the alert state (restore after a restart / keep across a reload).
  void RestoreAlerts(std::vector<RuleAlert> alerts);
  // Flap histories (every label set with transitions in the window or flapping), sorted by
  // labels; RestoreFlaps replaces them (restart / reload).
  std::vector<FlapRecord> Flaps() const;
  void RestoreFlaps(std::vector<FlapRecord> flaps);
  // Label sets currently held as flapping; flapping episodes detected since start.
  size_t num_flapping() const;
  uint64_t flap_detections() const;
  // Bumped whenever an evaluation creates, removes or changes the state of an alert.
  uint64_t version() const;
  // When the next time-driven transition is due: the earliest pending alert's activeAt +
  // `for`, a kept-firing alert's keepFiringSince + `keep_firing_for`, or a flapping label
  // set's last change + flap settle time; INT64_MAX if none.
  int64_t NextTransitionMs() const;

 private:
  AlertingRule(const RuleSpec& spec, query::promql::ExprPtr expr, std::vector<Template> label_templates,
               std::vector<Template> annotation_templates);

  const std::vector<Template> label_templates_;       // parallel to spec().labels
  const std::vector<Template> annotation_templates_;  // parallel to spec().annotations, sorted by name
  std::vector<std::pair<std::string, size_t>> annotation_order_;  // (name, index into spec) sorted
  // Flap detection steps of Eval (require mu_). `was_active`: label sets whose plain alert
  // was pending or firing before this evaluation.
  bool UpdateFlapping(int64_t ts, const FlapOptions& flap, std::map<uint64_t, RuleAlert>& fresh);
  bool RecordTransitions(int64_t ts, const FlapOptions& flap, const std::unordered_set<uint64_t>& was_active,
                         const std::map<uint64_t, RuleAlert>& fresh);
  void HoldFlapping(uint64_t fp, FlapRecord& f, int64_t ts);

  std::map<uint64_t, RuleAlert> active_;  // by label fingerprint; guarded by mu_
  std::map<uint64_t, FlapRecord> flaps_;  // by the plain labels' fingerprint; guarded by mu_
  int64_t flap_settle_ms_ = 0;            // guarded by mu_: of the last evaluation (0: off)
  uint64_t flap_detections_ = 0;          // guarded by mu_
  uint64_t version_ = 0;                  // guarded by mu_
};

// Prometheus' strutil.TableLinkForExpression: "/graph?g0.expr=<query-escaped>&g0.tab=1".
std::string TableLinkForExpression(std::string_view expr);

}  // namespace perfwatch::alert
