#include "alert/rule_group.h"

#include <algorithm>
#include <chrono>

#include "alert/rule_eval_scope.h"
#include "common/log.h"
#include "tsdb/stale.h"
#include "tsdb/tsdb.h"

namespace perfwatch::alert {
namespace {

thread_local EvalScope tls_scope;

int64_t SteadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

const EvalScope& CurrentEvalScope() { return tls_scope; }

Result<std::unique_ptr<RuleGroup>> RuleGroup::Create(const RuleGroupSpec& spec, int64_t default_interval_ms,
                                                     int64_t default_query_offset_ms) {
  std::unique_ptr<RuleGroup> g(new RuleGroup());
  g->file_ = spec.file;
  g->name_ = spec.name;
  g->interval_ms_ = spec.interval_ms > 0 ? spec.interval_ms : default_interval_ms;
  g->limit_ = spec.limit;
  g->query_offset_ms_ = spec.query_offset_ms >= 0 ? spec.query_offset_ms : default_query_offset_ms;
  for (const RuleSpec& rs : spec.rules) {
    auto rule = Rule::Create(rs);
    if (!rule.ok()) {
      return rule.status().WithContext(spec.file + ":" + std::to_string(rs.line) + ": group \"" + spec.name +
                                       "\", rule \"" + rs.name() + "\"");
    }
    g->rules_.push_back(std::move(rule).value());
  }
  g->dirty_ = std::make_unique<std::atomic<uint8_t>[]>(g->rules_.size());
  g->breaching_counts_ = std::make_unique<std::atomic<uint32_t>[]>(g->rules_.size());
  for (size_t i = 0; i < g->rules_.size(); ++i) {
    g->dirty_[i].store(0, std::memory_order_relaxed);
    g->breaching_counts_[i].store(0, std::memory_order_relaxed);
    g->rules_[i]->BindBreachingCounter(&g->breaching_counts_[i]);
  }
  g->previous_series_.resize(g->rules_.size());
  return g;
}

void RuleGroup::Flag(size_t index) {
  if (dirty_[index].exchange(1, std::memory_order_acq_rel) != 0) return;  // listed already
  std::lock_guard lock(dirty_mu_);
  dirty_list_.push_back(static_cast<uint32_t>(index));
}

bool RuleGroup::MarkDirty(size_t index, bool external) {
  if (index >= rules_.size()) return false;
  if (external) external_pending_.store(true, std::memory_order_release);
  Flag(index);
  return !pending_.exchange(true, std::memory_order_acq_rel);
}

void RuleGroup::MarkDirtyInEval(size_t index) {
  if (index < rules_.size()) Flag(index);
}

int64_t RuleGroup::NextTransitionMs() const {
  std::lock_guard lock(transitions_mu_);
  int64_t next = INT64_MAX;
  for (const auto& [rule, t] : transitions_) next = std::min(next, t);
  return next;
}

void RuleGroup::RefreshTransitions() {
  std::lock_guard lock(transitions_mu_);
  transitions_.clear();
  for (size_t i = 0; i < rules_.size(); ++i) {
    if (!rules_[i]->is_alerting()) continue;
    int64_t next = static_cast<const AlertingRule&>(*rules_[i]).NextTransitionMs();
    if (next != INT64_MAX) transitions_[i] = next;
  }
}

bool RuleGroup::MarkDueTransitions(int64_t now_ms) {
  std::vector<size_t> due;
  {
    std::lock_guard lock(transitions_mu_);
    for (const auto& [rule, t] : transitions_) {
      if (t <= now_ms) due.push_back(rule);
    }
  }
  bool scheduled = false;
  for (size_t i : due) scheduled |= MarkDirty(i);
  return scheduled;
}

void RuleGroup::Eval(int64_t ts_ms, bool all, const GroupEvalDeps& deps) {
  const int64_t start_ns = SteadyNs();
  RuleEvalContext ctx;
  ctx.ts_ms = ts_ms;
  ctx.query_offset_ms = query_offset_ms_;
  ctx.limit = limit_;
  ctx.querier = deps.querier;
  ctx.external_labels = deps.external_labels.get();
  ctx.external_url = deps.external_url;
  ctx.flap = deps.flap;

  EvalScope saved = tls_scope;
  tls_scope.group = this;
  tls_scope.all = all;
  tls_scope.derived = !external_pending_.exchange(false, std::memory_order_acq_rel) && !all;
  if (all) {
    {
      std::lock_guard lock(dirty_mu_);
      dirty_list_.clear();  // every rule is visited; flags raised from now on list again
    }
    uint64_t samples = 0;
    for (size_t i = 0; i < rules_.size(); ++i) {
      dirty_[i].exchange(0, std::memory_order_acq_rel);
      tls_scope.rule_index = i;
      EvalRule(i, ctx, deps);
      samples += previous_series_[i].size();
    }
    counters_.samples.store(samples, std::memory_order_relaxed);
  } else {
    // The flagged rules in group order. A rule flagged while this runs (a recording rule's
    // output read by a later rule) is visited too when it comes later in the group; one
    // flagged behind the last visited rule waits, still listed, for the next evaluation.
    size_t last = SIZE_MAX;
    std::vector<uint32_t> batch, behind;
    for (;;) {
      {
        std::lock_guard lock(dirty_mu_);
        batch.swap(dirty_list_);
      }
      if (batch.empty()) break;
      std::sort(batch.begin(), batch.end());
      for (uint32_t i : batch) {
        if (last != SIZE_MAX && i <= last) {
          behind.push_back(i);
          continue;
        }
        if (dirty_[i].exchange(0, std::memory_order_acq_rel) == 0) continue;  // a full evaluation took it
        tls_scope.rule_index = i;
        EvalRule(i, ctx, deps);
        last = i;
      }
      batch.clear();
    }
    if (!behind.empty()) {
      std::lock_guard lock(dirty_mu_);
      dirty_list_.insert(dirty_list_.end(), behind.begin(), behind.end());
      pending_.store(true, std::memory_order_release);
    }
  }
  tls_scope = saved;

  if (all) {
    counters_.iterations.fetch_add(1, std::memory_order_relaxed);
  } else {
    counters_.event_iterations.fetch_add(1, std::memory_order_relaxed);
  }
  last_eval_ms_.store(ts_ms, std::memory_order_relaxed);
  eval_duration_ns_.store(SteadyNs() - start_ns, std::memory_order_relaxed);
}

size_t RuleGroup::num_flapping() const {
  size_t n = 0;
  for (const auto& rule : rules_) {
    if (rule->is_alerting()) n += static_cast<const AlertingRule&>(*rule).num_flapping();
  }
  return n;
}

uint64_t RuleGroup::flap_detections() const {
  uint64_t n = 0;
  for (const auto& rule : rules_) {
    if (rule->is_alerting()) n += static_cast<const AlertingRule&>(*rule).flap_detections();
  }
  return n;
}

void RuleGroup::EvalRule(size_t i, const RuleEvalContext& ctx, const GroupEvalDeps& deps) {
  Rule& rule = *rules_[i];
  const int64_t start_ns = SteadyNs();
  counters_.evaluations.fetch_add(1, std::memory_order_relaxed);
  const uint64_t version_before = rule.is_alerting() ? static_cast<AlertingRule&>(rule).version() : 0;

  std::vector<RuleOutput> out;
  Status status = rule.Eval(ctx, &out);
  if (rule.is_alerting()) {
    int64_t next = static_cast<const AlertingRule&>(rule).NextTransitionMs();
    std::lock_guard lock(transitions_mu_);
    if (next == INT64_MAX) {
      transitions_.erase(i);
    } else {
      transitions_[i] = next;
    }
  }
  if (!status.ok()) {
    counters_.failures.fetch_add(1, std::memory_order_relaxed);
    PW_LOG_DEBUG("rule evaluation failed", "group={} rule={} err={}", LogQuote(name_), LogQuote(rule.name()),
                 LogQuote(status.message()));
    rule.SetEvalResult(status, ctx.ts_ms, SteadyNs() - start_ns);
    if (rule.is_alerting() && static_cast<AlertingRule&>(rule).version() != version_before) {
      state_version_.fetch_add(1, std::memory_order_relaxed);
    }
    return;
  }
  if (rule.is_alerting()) {
    auto& ar = static_cast<AlertingRule&>(rule);
    if (ar.version() != version_before) state_version_.fetch_add(1, std::memory_order_relaxed);
    if (deps.sink) {
      static const LabelSet kNoLabels;
      const Clock* clock = deps.clock ? deps.clock : SystemClock::Get();
      std::vector<Alert> alerts = ar.AlertsToSend(ctx.ts_ms, deps.resend_delay_ms, interval_ms_,
                                                  deps.external_labels ? *deps.external_labels : kNoLabels,
                                                  deps.external_url, clock->NowMs());
      if (!alerts.empty()) deps.sink->PutAlerts(std::move(alerts));
    }
  }

  // Outputs, then stale markers for the series this rule no longer produces.
  const int64_t t = ctx.ts_ms - ctx.query_offset_ms;
  std::map<std::string, tsdb::Labels> current;
  std::vector<std::vector<tsdb::LabelView>> views;
  std::vector<tsdb::Sample> values;
  views.reserve(out.size());
  values.reserve(out.size());
  for (RuleOutput& o : out) {
    std::string key = o.labels.ToString();
    views.push_back(o.labels.Views());
    values.push_back({t, o.value});
    current.try_emplace(std::move(key), std::move(o.labels));  // never moves on a repeat: views stay valid
  }
  const double stale = tsdb::StaleNaN();
  std::vector<const tsdb::Labels*> gone;
  for (const auto& [key, labels] : previous_series_[i]) {
    if (!current.count(key)) gone.push_back(&labels);
  }
  for (const tsdb::Labels* labels : gone) {
    views.push_back(labels->Views());
    values.push_back({t, stale});
  }
  Status append_status;
  if (deps.tsdb && !views.empty()) {
    std::vector<tsdb::SeriesSamples> batch;
    batch.reserve(views.size());
    for (size_t k = 0; k < views.size(); ++k) {
      batch.push_back({views[k], std::span<const tsdb::Sample>(&values[k], 1)});
    }
    append_status = deps.tsdb->AppendBatch(batch);
    // Stale markers a later evaluation already superseded are expected rejections; only
    // failures of the rule's own output count (Prometheus: "Rule sample appending failed").
    if (!append_status.ok() && out.empty()) append_status = Status::Ok();
  }
  previous_series_[i] = std::move(current);
  if (!append_status.ok()) counters_.failures.fetch_add(1, std::memory_order_relaxed);
  rule.SetEvalResult(append_status, ctx.ts_ms, SteadyNs() - start_ns);
}

}  // namespace perfwatch::alert
