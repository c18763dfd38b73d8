#include "alert/rules.h"

#include <algorithm>
#include <cstdio>
#include <unordered_set>

#include "query/promql_parser.h"

namespace perfwatch::alert {
namespace {

using query::promql::Expr;
using query::promql::ExprPtr;

constexpr std::string_view kAlertNameLabel = "alertname";
constexpr std::string_view kAlertStateLabel = "alertstate";
constexpr std::string_view kAlertsMetric = "ALERTS";
constexpr std::string_view kAlertsForStateMetric = "ALERTS_FOR_STATE";

// Sets `name` to `value` in a sorted set; an empty value deletes the label (Prometheus'
// labels.Builder.Set).
void SetLabel(LabelSet& labels, std::string_view name, std::string value) {
  auto it = std::lower_bound(labels.begin(), labels.end(), name,
                             [](const auto& kv, std::string_view n) { return kv.first < n; });
  bool found = it != labels.end() && it->first == name;
  if (value.empty()) {
    if (found) labels.erase(it);
    return;
  }
  if (found) {
    it->second = std::move(value);
  } else {
    labels.insert(it, {std::string(name), std::move(value)});
  }
}

tsdb::Labels ToTsdbLabels(const LabelSet& labels) {
  std::vector<tsdb::LabelView> views;
  views.reserve(labels.size());
  for (const auto& [n, v] : labels) views.push_back({n, v});
  return tsdb::Labels::FromViews(views);
}

void CollectSelectors(const Expr& e, std::vector<const query::promql::VectorSelector*>* out) {
  using namespace query::promql;
  std::visit(
      [&](const auto& n) {
        using T = std::decay_t<decltype(n)>;
        if constexpr (std::is_same_v<T, VectorSelector>) {
          out->push_back(&n);
        } else if constexpr (std::is_same_v<T, MatrixSelector>) {
          out->push_back(&n.selector);
        } else if constexpr (std::is_same_v<T, SubqueryExpr> || std::is_same_v<T, UnaryExpr> ||
                             std::is_same_v<T, ParenExpr>) {
          CollectSelectors(*n.expr, out);
        } else if constexpr (std::is_same_v<T, BinaryExpr>) {
          CollectSelectors(*n.lhs, out);
          CollectSelectors(*n.rhs, out);
        } else if constexpr (std::is_same_v<T, AggregateExpr>) {
          CollectSelectors(*n.expr, out);
          if (n.param) CollectSelectors(*n.param, out);
        } else if constexpr (std::is_same_v<T, Call>) {
          for (const ExprPtr& a : n.args) CollectSelectors(*a, out);
        }
      },
      e.node);
}

}  // namespace

std::string_view AlertStateName(AlertState s) {
  switch (s) {
    case AlertState::kInactive: return "inactive";
    case AlertState::kPending: return "pending";
    case AlertState::kFiring: return "firing";
  }
  return "inactive";
}

std::string_view RuleHealthName(RuleHealth h) {
  switch (h) {
    case RuleHealth::kUnknown: return "unknown";
    case RuleHealth::kGood: return "ok";
    case RuleHealth::kBad: return "err";
  }
  return "unknown";
}

std::string TableLinkForExpression(std::string_view expr) {
  // Go's url.QueryEscape: unreserved bytes stay, space becomes '+', the rest %XX.
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "/graph?g0.expr=";
  for (unsigned char c : expr) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  out += "&g0.tab=1";
  return out;
}

// ---- Rule ----

namespace {

const Expr& StripParens(const Expr& e) {
  if (auto* p = std::get_if<query::promql::ParenExpr>(&e.node)) return StripParens(*p->expr);
  return e;
}

bool PlainSelector(const Expr& e) {
  auto* sel = std::get_if<query::promql::VectorSelector>(&StripParens(e).node);
  return sel && sel->offset_ms == 0 && sel->at == query::promql::AtKind::kNone;
}

const query::promql::NumberLiteral* Number(const Expr& e) {
  return std::get_if<query::promql::NumberLiteral>(&StripParens(e).node);
}

bool Compare(query::promql::BinaryOp op, double l, double r) {
  using query::promql::BinaryOp;
  switch (op) {
    case BinaryOp::kEql: return l == r;
    case BinaryOp::kNeq: return l != r;
    case BinaryOp::kGtr: return l > r;
    case BinaryOp::kLss: return l < r;
    case BinaryOp::kGte: return l >= r;
    case BinaryOp::kLte: return l <= r;
    default: return true;
  }
}

uint64_t HashLabelSet(const LabelSet& labels) {
  std::vector<tsdb::LabelView> views;
  views.reserve(labels.size());
  for (const auto& [n, v] : labels) views.push_back({n, v});
  return tsdb::HashLabels(views);
}

}  // namespace

Rule::Rule(const RuleSpec& spec, bool alerting, ExprPtr expr)
    : spec_(spec),
      name_(spec.name()),
      alerting_(alerting),
      expr_(std::move(expr)),
      query_(expr_->ToString()) {
  const Expr& top = StripParens(*expr_);
  auto* bin = std::get_if<query::promql::BinaryExpr>(&top.node);
  if (alerting && bin && query::promql::IsComparison(bin->op) && !bin->return_bool) {
    if (PlainSelector(*bin->lhs) && Number(*bin->rhs)) {
      filter_ = {true, bin->op, Number(*bin->rhs)->value, true};
    } else if (Number(*bin->lhs) && PlainSelector(*bin->rhs)) {
      filter_ = {true, bin->op, Number(*bin->lhs)->value, false};
    }
  }
}

void Rule::BindBreachingCounter(std::atomic<uint32_t>* counter) {
  counter->store(breaching_count_->load());
  breaching_count_ = counter;
}

bool Rule::ThresholdFilter::Breaches(double value) const {
  return selector_left ? Compare(op, value, threshold) : Compare(op, threshold, value);
}

bool Rule::SampleCanChange(std::span<const tsdb::LabelView> labels, double value) const {
  if (!filter_.enabled) return true;
  return filter_.Breaches(value) != WasBreaching(labels);
}

bool Rule::WasBreaching(std::span<const tsdb::LabelView> labels) const {
  if (breaching_count_->load(std::memory_order_acquire) == 0) return false;
  auto breaching = breaching_.load(std::memory_order_acquire);
  if (!breaching || breaching->empty()) return false;
  bool sorted = std::is_sorted(labels.begin(), labels.end(),
                               [](const tsdb::LabelView& a, const tsdb::LabelView& b) { return a.name < b.name; });
  if (sorted) return breaching->count(tsdb::HashLabels(labels)) > 0;
  std::vector<tsdb::LabelView> copy(labels.begin(), labels.end());
  std::sort(copy.begin(), copy.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return breaching->count(tsdb::HashLabels(copy)) > 0;
}

void Rule::SetBreaching(const std::vector<QuerySample>& result) {
  if (!filter_.enabled) return;
  auto set = std::make_shared<std::unordered_set<uint64_t>>();
  for (const QuerySample& s : result) set->insert(HashLabelSet(s.labels));
  uint32_t n = static_cast<uint32_t>(std::min<size_t>(set->size(), UINT32_MAX));
  breaching_.store(std::move(set), std::memory_order_release);
  breaching_count_->store(n, std::memory_order_release);
}

Result<std::unique_ptr<Rule>> Rule::Create(const RuleSpec& spec) {
  auto expr = query::promql::ParseExpr(spec.expr);
  if (!expr.ok()) return InvalidArgument("could not parse expression: " + expr.status().message());
  if (spec.is_alerting()) {
    PW_ASSIGN_OR_RETURN(auto rule, AlertingRule::Make(spec, std::move(expr).value()));
    return std::unique_ptr<Rule>(std::move(rule));
  }
  return std::unique_ptr<Rule>(std::make_unique<RecordingRule>(spec, std::move(expr).value()));
}

std::vector<const query::promql::VectorSelector*> Rule::Selectors() const {
  std::vector<const query::promql::VectorSelector*> out;
  CollectSelectors(*expr_, &out);
  return out;
}

void Rule::SetEvalResult(const Status& status, int64_t eval_start_ms, int64_t duration_ns) {
  std::lock_guard lock(mu_);
  health_ = status.ok() ? RuleHealth::kGood : RuleHealth::kBad;
  last_error_ = status.ok() ? std::string() : status.message();
  last_eval_ms_ = eval_start_ms;
  eval_duration_ns_ = duration_ns;
}

RuleHealth Rule::health() const {
  std::lock_guard lock(mu_);
  return health_;
}
std::string Rule::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}
int64_t Rule::last_eval_ms() const {
  std::lock_guard lock(mu_);
  return last_eval_ms_;
}
int64_t Rule::eval_duration_ns() const {
  std::lock_guard lock(mu_);
  return eval_duration_ns_;
}

// ---- RecordingRule ----

RecordingRule::RecordingRule(const RuleSpec& spec, ExprPtr expr) : Rule(spec, false, std::move(expr)) {}

Status RecordingRule::Eval(const RuleEvalContext& ctx, std::vector<RuleOutput>* out) {
  PW_ASSIGN_OR_RETURN(std::vector<QuerySample> result, ctx.querier->Query(expr(), ctx.ts_ms - ctx.query_offset_ms));
  std::vector<RuleOutput> produced;
  produced.reserve(result.size());
  std::unordered_set<uint64_t> seen;
  for (QuerySample& s : result) {
    SetLabel(s.labels, tsdb::kMetricNameLabel, spec().record);
    for (const auto& [n, v] : spec().labels) SetLabel(s.labels, n, v);
    if (!seen.insert(Fingerprint(s.labels)).second) {
      return InvalidArgument("vector contains metrics with the same labelset after applying rule labels");
    }
    produced.push_back({ToTsdbLabels(s.labels), s.value});
  }
  if (ctx.limit > 0 && static_cast<int64_t>(produced.size()) > ctx.limit) {
    return InvalidArgument("exceeded limit of " + std::to_string(ctx.limit) + " with " +
                           std::to_string(produced.size()) + " series");
  }
  for (RuleOutput& o : produced) out->push_back(std::move(o));
  return Status::Ok();
}

// ---- AlertingRule ----

AlertingRule::AlertingRule(const RuleSpec& spec, ExprPtr expr, std::vector<Template> label_templates,
                           std::vector<Template> annotation_templates)
    : Rule(spec, true, std::move(expr)),
      label_templates_(std::move(label_templates)),
      annotation_templates_(std::move(annotation_templates)) {
  for (size_t i = 0; i < spec.annotations.size(); ++i) annotation_order_.emplace_back(spec.annotations[i].first, i);
  std::sort(annotation_order_.begin(), annotation_order_.end());
}

Result<std::unique_ptr<AlertingRule>> AlertingRule::Make(const RuleSpec& spec, ExprPtr expr) {
  const std::string tmpl_name = "__alert_" + spec.alert;
  std::vector<Template> labels, annotations;
  for (const auto& [n, v] : spec.labels) {
    auto t = Template::Parse(tmpl_name, v);
    if (!t.ok()) return InvalidArgument("label \"" + n + "\": " + t.status().message());
    labels.push_back(std::move(t).value());
  }
  for (const auto& [n, v] : spec.annotations) {
    auto t = Template::Parse(tmpl_name, v);
    if (!t.ok()) return InvalidArgument("annotation \"" + n + "\": " + t.status().message());
    annotations.push_back(std::move(t).value());
  }
  return std::unique_ptr<AlertingRule>(
      new AlertingRule(spec, std::move(expr), std::move(labels), std::move(annotations)));
}

Status AlertingRule::Eval(const RuleEvalContext& ctx, std::vector<RuleOutput>* out) {
  const int64_t ts = ctx.ts_ms;
  const int64_t query_ts = ts - ctx.query_offset_ms;
  PW_ASSIGN_OR_RETURN(std::vector<QuerySample> result, ctx.querier->Query(expr(), query_ts));
  SetBreaching(result);

  std::map<uint64_t, RuleAlert> fresh;
  for (QuerySample& s : result) {
    TemplateData data;
    data.labels = &s.labels;
    data.external_labels = ctx.external_labels;
    data.external_url = ctx.external_url;
    data.value = s.value;
    data.eval_time_ms = ts;
    const RuleQuerier* querier = ctx.querier;
    data.query = [querier, query_ts](std::string_view e) { return querier->QueryText(e, query_ts); };
    auto expand = [&](const Template& t) { return t.ExecuteOrError(data); };

    LabelSet labels = s.labels;
    SetLabel(labels, tsdb::kMetricNameLabel, "");
    for (size_t i = 0; i < label_templates_.size(); ++i) {
      SetLabel(labels, spec().labels[i].first, expand(label_templates_[i]));
    }
    SetLabel(labels, kAlertNameLabel, name());
    LabelSet annotations;
    annotations.reserve(annotation_order_.size());
    for (const auto& [n, i] : annotation_order_) annotations.emplace_back(n, expand(annotation_templates_[i]));

    uint64_t fp = Fingerprint(labels);
    if (fresh.count(fp)) {
      return InvalidArgument("vector contains metrics with the same labelset after applying alert labels");
    }
    RuleAlert a;
    a.labels = std::move(labels);
    a.annotations = std::move(annotations);
    a.active_at_ms = ts;
    a.state = AlertState::kPending;
    a.value = s.value;
    fresh.emplace(fp, std::move(a));
  }

  std::lock_guard lock(mu_);
  bool changed = false;
  const bool detect_flaps = ctx.flap.window_ms > 0;
  flap_settle_ms_ = detect_flaps ? ctx.flap.settle_ms : 0;
  // Plain alerts firing before this evaluation. Only firing counts for flap detection: a
  // pending alert dropping out is `for` filtering a spike, which must never be turned into
  // a held firing alert.
  std::unordered_set<uint64_t> was_active;
  if (detect_flaps) {
    for (const auto& [fp, a] : active_) {
      if (!a.flapping && a.state == AlertState::kFiring) was_active.insert(fp);
    }
    // Flapping label sets: their results go to the held alert (removed from `fresh`).
    changed |= UpdateFlapping(ts, ctx.flap, fresh);
  }
  for (auto& [fp, a] : fresh) {
    auto it = active_.find(fp);
    if (it != active_.end() && it->second.state != AlertState::kInactive) {
      it->second.value = a.value;
      it->second.annotations = std::move(a.annotations);
      continue;
    }
    active_[fp] = std::move(a);
    changed = true;
  }

  const int64_t hold = spec().for_ms;
  const int64_t keep_firing_for = spec().keep_firing_for_ms;
  for (auto it = active_.begin(); it != active_.end();) {
    RuleAlert& a = it->second;
    if (a.flapping && a.state == AlertState::kFiring) {  // held: only UpdateFlapping changes it
      ++it;
      continue;
    }
    bool erase = false;
    if (!fresh.count(it->first)) {
      bool keep_firing = false;
      if (a.state == AlertState::kFiring && keep_firing_for > 0) {
        if (a.keep_firing_since_ms == 0) a.keep_firing_since_ms = ts;
        keep_firing = ts - a.keep_firing_since_ms < keep_firing_for;
      }
      if (a.state == AlertState::kPending ||
          (a.resolved_at_ms != 0 && ts - a.resolved_at_ms > kResolvedRetentionMs)) {
        erase = true;
      }
      if (a.state != AlertState::kInactive && !keep_firing) {
        a.state = AlertState::kInactive;
        a.resolved_at_ms = ts;
        changed = true;
      }
      changed |= erase;
      if (!keep_firing) {
        it = erase ? active_.erase(it) : std::next(it);
        continue;
      }
    } else {
      a.keep_firing_since_ms = 0;
    }
    if (a.state == AlertState::kPending && ts - a.active_at_ms >= hold) {
      a.state = AlertState::kFiring;
      a.fired_at_ms = ts;
      changed = true;
    }
    it = erase ? active_.erase(it) : std::next(it);
  }
  if (detect_flaps) changed |= RecordTransitions(ts, ctx.flap, was_active, fresh);

  // ALERTS and ALERTS_FOR_STATE for every pending or firing alert.
  int64_t num_active = 0;
  std::vector<RuleOutput> produced;
  for (const auto& [fp, a] : active_) {
    if (a.state == AlertState::kInactive) continue;
    ++num_active;
    // They start from the rule's own labels, overlaid with the alert's.
    LabelSet base;
    for (const auto& [n, v] : spec().labels) base.emplace_back(n, v);
    NormalizeLabelSet(base);
    for (const auto& [n, v] : a.labels) SetLabel(base, n, v);
    SetLabel(base, kAlertNameLabel, name());
    LabelSet for_state = base;
    SetLabel(base, tsdb::kMetricNameLabel, std::string(kAlertsMetric));
    SetLabel(base, kAlertStateLabel, std::string(AlertStateName(a.state)));
    produced.push_back({ToTsdbLabels(base), 1});
    SetLabel(for_state, tsdb::kMetricNameLabel, std::string(kAlertsForStateMetric));
    int64_t active_secs = a.active_at_ms >= 0 ? a.active_at_ms / 1000 : (a.active_at_ms - 999) / 1000;
    produced.push_back({ToTsdbLabels(for_state), static_cast<double>(active_secs)});
  }
  if (changed) ++version_;
  if (ctx.limit > 0 && num_active > ctx.limit) {
    active_.clear();
    ++version_;
    return InvalidArgument("exceeded limit of " + std::to_string(ctx.limit) + " with " + std::to_string(num_active) +
                           " alerts");
  }
  for (RuleOutput& o : produced) out->push_back(std::move(o));
  return Status::Ok();
}

namespace {

LabelSet HeldLabels(const LabelSet& labels) {
  LabelSet held = labels;
  SetLabel(held, kFlappingLabel, "true");
  return held;
}

// Records a transition at `ts`, keeping the times within the window and at most
// threshold + 1 of them (enough to tell "more than threshold").
void PushChange(FlapRecord& f, int64_t ts, const FlapOptions& flap) {
  f.changes.push_back(ts);
  auto keep_from = std::lower_bound(f.changes.begin(), f.changes.end(), ts - flap.window_ms);
  f.changes.erase(f.changes.begin(), keep_from);
  const size_t cap = static_cast<size_t>(std::max(flap.threshold, 0)) + 1;
  if (f.changes.size() > cap) f.changes.erase(f.changes.begin(), f.changes.end() - static_cast<ptrdiff_t>(cap));
}

}  // namespace

bool AlertingRule::UpdateFlapping(int64_t ts, const FlapOptions& flap, std::map<uint64_t, RuleAlert>& fresh) {
  bool changed = false;
  for (auto& [fp, f] : flaps_) {
    if (!f.flapping) continue;
    auto fr = fresh.find(fp);
    const bool cond = fr != fresh.end();
    if (cond != f.condition) {
      f.condition = cond;
      f.last_change_ms = ts;
      PushChange(f, ts, flap);
      changed = true;
    }
    if (cond) {
      f.value = fr->second.value;
      f.annotations = fr->second.annotations;
    }
    const LabelSet held_labels = HeldLabels(f.labels);
    auto held = active_.find(Fingerprint(held_labels));
    if (ts - f.last_change_ms >= flap.settle_ms) {
      // Settled: the held alert resolves; a condition that still holds continues as the
      // plain alert, active since it last started (so `for` counts from then).
      f.flapping = false;
      f.changes.clear();
      if (held != active_.end() && held->second.state != AlertState::kInactive) {
        held->second.state = AlertState::kInactive;
        held->second.resolved_at_ms = ts;
      }
      if (cond) fr->second.active_at_ms = f.last_change_ms;
      changed = true;
      continue;
    }
    if (held == active_.end() || held->second.state != AlertState::kFiring) {
      HoldFlapping(fp, f, ts);  // lost (rule limit) or never restored: hold again
      changed = true;
    } else {
      held->second.value = f.value;
      held->second.annotations = f.annotations;
    }
    if (cond) fresh.erase(fr);
  }
  return changed;
}

void AlertingRule::HoldFlapping(uint64_t fp, FlapRecord& f, int64_t ts) {
  auto plain = active_.find(fp);
  if (plain != active_.end()) {
    f.annotations = plain->second.annotations;
    f.value = plain->second.value;
  }
  RuleAlert held;
  held.labels = HeldLabels(f.labels);
  held.annotations = f.annotations;
  held.value = f.value;
  held.state = AlertState::kFiring;
  held.active_at_ms = ts;
  held.fired_at_ms = ts;
  held.flapping = true;
  // The plain alert leaves in the same evaluation: one that was announced firing resolves
  // (the pipeline sends its resolution with the held alert's firing); one that was not
  // (pending, or fired by this very evaluation) is dropped.
  if (plain != active_.end() && plain->second.state != AlertState::kInactive) {
    if (plain->second.state == AlertState::kFiring && plain->second.fired_at_ms < ts) {
      plain->second.state = AlertState::kInactive;
      plain->second.resolved_at_ms = ts;
      plain->second.keep_firing_since_ms = 0;
    } else {
      active_.erase(plain);
    }
  }
  active_[Fingerprint(held.labels)] = std::move(held);
}

bool AlertingRule::RecordTransitions(int64_t ts, const FlapOptions& flap, const std::unordered_set<uint64_t>& was_active,
                                     const std::map<uint64_t, RuleAlert>& fresh) {
  bool changed = false;
  std::unordered_set<uint64_t> is_active;
  for (const auto& [fp, a] : active_) {
    if (a.flapping || a.state != AlertState::kFiring) continue;
    is_active.insert(fp);
    auto [it, created] = flaps_.try_emplace(fp);
    if (created) {
      it->second.labels = a.labels;
      it->second.annotations = a.annotations;
      it->second.value = a.value;
    }
  }
  for (auto it = flaps_.begin(); it != flaps_.end();) {
    const uint64_t fp = it->first;
    FlapRecord& f = it->second;
    if (f.flapping) {
      ++it;
      continue;
    }
    const bool before = was_active.count(fp) > 0;
    const bool after = is_active.count(fp) > 0;
    if (before != after) {
      PushChange(f, ts, flap);
    } else {
      auto keep_from = std::lower_bound(f.changes.begin(), f.changes.end(), ts - flap.window_ms);
      f.changes.erase(f.changes.begin(), keep_from);
    }
    if (static_cast<int64_t>(f.changes.size()) > flap.threshold) {
      f.flapping = true;
      f.condition = fresh.count(fp) > 0;
      f.last_change_ms = ts;
      ++flap_detections_;
      HoldFlapping(fp, f, ts);
      changed = true;
    }
    if (!f.flapping && !after && f.changes.empty()) {
      it = flaps_.erase(it);
    } else {
      ++it;
    }
  }
  return changed;
}

std::vector<Alert> AlertingRule::AlertsToSend(int64_t ts_ms, int64_t resend_delay_ms, int64_t interval_ms,
                                              const LabelSet& external_labels, const std::string& external_url,
                                              int64_t now_ms) {
  std::vector<Alert> out;
  std::lock_guard lock(mu_);
  for (auto& [fp, a] : active_) {
    if (a.state == AlertState::kPending) continue;
    bool needs = a.resolved_at_ms > a.last_sent_at_ms || a.last_sent_at_ms + resend_delay_ms < ts_ms;
    if (!needs) continue;
    a.last_sent_at_ms = ts_ms;
    a.valid_until_ms = ts_ms + 4 * std::max(resend_delay_ms, interval_ms);
    Alert sent;
    sent.labels = a.labels;
    for (const auto& [n, v] : external_labels) {
      if (GetLabel(sent.labels, n).empty()) SetLabel(sent.labels, n, v);
    }
    sent.annotations = a.annotations;
    sent.starts_at_ms = a.fired_at_ms;
    sent.ends_at_ms = a.resolved_at_ms != 0 ? std::min(a.resolved_at_ms, now_ms) : a.valid_until_ms;
    sent.generator_url = external_url + TableLinkForExpression(query());
    out.push_back(std::move(sent));
  }
  return out;
}

AlertState AlertingRule::State() const {
  std::lock_guard lock(mu_);
  AlertState max = AlertState::kInactive;
  for (const auto& [fp, a] : active_) max = std::max(max, a.state);
  return max;
}

std::vector<RuleAlert> AlertingRule::Alerts(bool include_resolved) const {
  std::vector<RuleAlert> out;
  {
    std::lock_guard lock(mu_);
    for (const auto& [fp, a] : active_) {
      if (include_resolved || a.resolved_at_ms == 0) out.push_back(a);
    }
  }
  std::sort(out.begin(), out.end(), [](const RuleAlert& x, const RuleAlert& y) { return x.labels < y.labels; });
  return out;
}

int64_t AlertingRule::NextTransitionMs() const {
  std::lock_guard lock(mu_);
  int64_t next = INT64_MAX;
  for (const auto& [fp, a] : active_) {
    if (a.state == AlertState::kPending) next = std::min(next, a.active_at_ms + spec().for_ms);
    if (a.state == AlertState::kFiring && a.keep_firing_since_ms != 0) {
      next = std::min(next, a.keep_firing_since_ms + spec().keep_firing_for_ms);
    }
  }
  if (flap_settle_ms_ > 0) {
    for (const auto& [fp, f] : flaps_) {
      if (f.flapping) next = std::min(next, f.last_change_ms + flap_settle_ms_);
    }
  }
  return next;
}

uint64_t AlertingRule::version() const {
  std::lock_guard lock(mu_);
  return version_;
}

std::vector<FlapRecord> AlertingRule::Flaps() const {
  std::vector<FlapRecord> out;
  {
    std::lock_guard lock(mu_);
    for (const auto& [fp, f] : flaps_) {
      if (f.flapping || !f.changes.empty()) out.push_back(f);
    }
  }
  std::sort(out.begin(), out.end(), [](const FlapRecord& x, const FlapRecord& y) { return x.labels < y.labels; });
  return out;
}

void AlertingRule::RestoreFlaps(std::vector<FlapRecord> flaps) {
  std::lock_guard lock(mu_);
  ++version_;
  flaps_.clear();
  for (FlapRecord& f : flaps) {
    uint64_t fp = Fingerprint(f.labels);
    flaps_[fp] = std::move(f);
  }
}

size_t AlertingRule::num_flapping() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& [fp, f] : flaps_) n += f.flapping;
  return n;
}

uint64_t AlertingRule::flap_detections() const {
  std::lock_guard lock(mu_);
  return flap_detections_;
}

void AlertingRule::RestoreAlerts(std::vector<RuleAlert> alerts) {
  std::lock_guard lock(mu_);
  ++version_;
  active_.clear();
  for (RuleAlert& a : alerts) {
    uint64_t fp = Fingerprint(a.labels);
    active_[fp] = std::move(a);
  }
}

}  // namespace perfwatch::alert
