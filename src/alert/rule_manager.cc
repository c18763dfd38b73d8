#include "alert/rule_manager.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "alert/rule_eval_scope.h"
#include "alert/rule_state.h"
#include "common/log.h"
#include "common/thread_name.h"

namespace perfwatch::alert {
namespace {

int64_t SteadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Burst of the event-evaluation budget: this much evaluation time may be spent at once.
constexpr double kEventBurstNs = 50e6;

}  // namespace

struct RuleManager::GroupSlot {
  std::shared_ptr<RuleGroup> group;
  // All guarded by RuleManager::mu_.
  bool queued = false;
  bool running = false;
  bool full_due = false;
  int64_t next_full_ms = 0;          // clock ms of the next interval evaluation
  int64_t event_not_before_ns = 0;   // steady ns: deferred by the event budget (0: not deferred)
  int64_t transition_ms = INT64_MAX;  // clock ms: a pending alert's `for` (or keep_firing_for) ends
  int64_t last_ts = 0;               // the group's last evaluation timestamp
};

struct RuleManager::Loaded {
  std::vector<std::shared_ptr<RuleGroup>> groups;
  std::vector<std::unique_ptr<GroupSlot>> slots;
  std::unique_ptr<TriggerIndex> index;
  int running = 0;  // guarded by RuleManager::mu_: evaluations in progress
};

// What /metrics reads: the current groups, kept by a shared_ptr so the collector stays
// valid after the manager is gone.
struct RuleMetricsState {
  std::mutex mu;
  std::vector<std::shared_ptr<RuleGroup>> groups;  // guarded by mu
  Counter* event_triggers = nullptr;
  Counter* event_deferred = nullptr;
};

namespace {

void RenderGroupMetrics(RuleMetricsState& state, std::string& out) {
  std::vector<std::shared_ptr<RuleGroup>> groups;
  {
    std::lock_guard lock(state.mu);
    groups = state.groups;
  }
  struct Family {
    const char* name;
    const char* type;
    const char* help;
    std::function<double(const RuleGroup&)> value;
  };
  const Family families[] = {
      {"prometheus_rule_evaluations_total", "counter", "The total number of rule evaluations.",
       [](const RuleGroup& g) { return double(g.counters().evaluations.load()); }},
      {"prometheus_rule_evaluation_failures_total", "counter", "The total number of rule evaluation failures.",
       [](const RuleGroup& g) { return double(g.counters().failures.load()); }},
      {"prometheus_rule_group_iterations_total", "counter",
       "The total number of scheduled rule group evaluations, whether executed or missed.",
       [](const RuleGroup& g) { return double(g.counters().iterations.load() + g.counters().missed.load()); }},
      {"prometheus_rule_group_iterations_missed_total", "counter",
       "The total number of rule group evaluations missed due to slow rule group evaluation.",
       [](const RuleGroup& g) { return double(g.counters().missed.load()); }},
      {"perfwatch_rule_group_event_evaluations_total", "counter",
       "Evaluations of a rule group triggered by arriving samples (event-driven).",
       [](const RuleGroup& g) { return double(g.counters().event_iterations.load()); }},
      {"prometheus_rule_group_interval_seconds", "gauge", "The interval of a rule group.",
       [](const RuleGroup& g) { return g.interval_ms() / 1000.0; }},
      {"prometheus_rule_group_last_evaluation_timestamp_seconds", "gauge",
       "The timestamp of the last rule group evaluation in seconds.",
       [](const RuleGroup& g) { return g.last_eval_ms() / 1000.0; }},
      {"prometheus_rule_group_last_duration_seconds", "gauge", "The duration of the last rule group evaluation.",
       [](const RuleGroup& g) { return g.eval_duration_ns() / 1e9; }},
      {"prometheus_rule_group_rules", "gauge", "The number of rules.",
       [](const RuleGroup& g) { return double(g.rules().size()); }},
      {"prometheus_rule_group_last_evaluation_samples", "gauge",
       "The number of samples returned during the last rule group evaluation.",
       [](const RuleGroup& g) { return double(g.counters().samples.load()); }},
      {"perfwatch_alert_flapping", "gauge", "Alerts currently held firing as flapping (flapping=\"true\").",
       [](const RuleGroup& g) { return double(g.num_flapping()); }},
      {"perfwatch_alert_flap_detections_total", "counter", "Times an alert started flapping.",
       [](const RuleGroup& g) { return double(g.flap_detections()); }},
  };
  for (const Family& f : families) {
    out += "# HELP ";
    out += f.name;
    out += ' ';
    out += f.help;
    out += "\n# TYPE ";
    out += f.name;
    out += ' ';
    out += f.type;
    out += '\n';
    for (const auto& g : groups) {
      out += f.name;
      out += RenderLabels({{"rule_group", g->key()}});
      out += ' ';
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.17g", f.value(*g));
      out += buf;
      out += '\n';
    }
  }
}

}  // namespace

RuleManager::RuleManager(RuleManagerOptions opts, tsdb::Tsdb* tsdb, const RuleQuerier* querier, AlertSink* sink)
    : opts_(std::move(opts)),
      clock_(opts_.clock ? opts_.clock : SystemClock::Get()),
      tsdb_(tsdb),
      querier_(querier),
      sink_(sink),
      metrics_state_(std::make_shared<RuleMetricsState>()) {
  RegisterMetrics();
  external_url_ = opts_.external_url;
  settings_ = RuleSettings::Of(opts_);
  external_labels_ = std::make_shared<const LabelSet>(settings_.external_labels);
  event_tokens_ns_ = kEventBurstNs;
  event_tokens_at_ns_ = SteadyNs();
}

RuleManager::~RuleManager() { Stop(); }

void RuleManager::RegisterMetrics() {
  if (!opts_.metrics) return;
  metrics_state_->event_triggers = opts_.metrics->GetCounter(
      "perfwatch_rule_event_triggers_total", "Rule group evaluations queued because samples arrived for a rule's series.");
  metrics_state_->event_deferred = opts_.metrics->GetCounter(
      "perfwatch_rule_event_deferred_total",
      "Event-driven evaluations deferred because the event evaluation CPU budget was spent.");
  std::weak_ptr<RuleMetricsState> weak = metrics_state_;
  opts_.metrics->AddCollector([weak](std::string& out) {
    if (auto state = weak.lock()) RenderGroupMetrics(*state, out);
  });
}

void RuleManager::SetExternalUrl(std::string external_url) {
  std::lock_guard lock(mu_);
  external_url_ = std::move(external_url);
}

RuleSettings RuleSettings::Of(const RuleManagerOptions& o) {
  return RuleSettings{.default_interval_ms = o.default_interval_ms,
                      .default_query_offset_ms = o.default_query_offset_ms,
                      .resend_delay_ms = o.resend_delay_ms,
                      .external_labels = o.external_labels,
                      .event_driven = o.event_driven,
                      .event_cpu_budget = o.event_cpu_budget,
                      .flap = o.flap};
}

void RuleManager::SetSettings(RuleSettings settings) {
  bool observe = false, unobserve = false;
  {
    std::lock_guard lock(mu_);
    if (started_ && settings.event_driven != settings_.event_driven) {
      observe = settings.event_driven;
      unobserve = !settings.event_driven;
    }
    external_labels_ = std::make_shared<const LabelSet>(settings.external_labels);
    settings_ = std::move(settings);
    if (!settings_.event_driven) {
      // No more `for` wake-ups of their own: interval evaluations advance them.
      if (std::shared_ptr<Loaded> loaded = loaded_.load()) {
        for (auto& slot : loaded->slots) slot->transition_ms = INT64_MAX;
      }
    }
  }
  // Outside mu_: appenders hold the observer lock and then take mu_ (Schedule).
  if (tsdb_ && observe) tsdb_->SetAppendObserver(this);
  if (tsdb_ && unobserve) tsdb_->SetAppendObserver(nullptr);
  cv_.notify_all();
}

RuleSettings RuleManager::settings() const {
  std::lock_guard lock(mu_);
  return settings_;
}

std::shared_ptr<const LabelSet> RuleManager::external_labels() const {
  std::lock_guard lock(mu_);
  return external_labels_;
}

GroupEvalDeps RuleManager::Deps() const {
  GroupEvalDeps deps;
  deps.querier = querier_;
  deps.tsdb = tsdb_;
  deps.sink = sink_;
  deps.external_labels = external_labels_;
  deps.external_url = external_url_;
  deps.resend_delay_ms = settings_.resend_delay_ms;
  deps.clock = clock_;
  deps.flap = settings_.flap;
  return deps;
}

Status RuleManager::Update(const std::vector<std::string>& files) {
  PW_ASSIGN_OR_RETURN(std::vector<RuleGroupSpec> specs, LoadRuleFiles(files));
  return UpdateFromSpecs(specs);
}

Status RuleManager::UpdateFromSpecs(const std::vector<RuleGroupSpec>& specs) {
  int64_t default_interval_ms, default_query_offset_ms;
  {
    std::lock_guard lock(mu_);
    default_interval_ms = settings_.default_interval_ms;
    default_query_offset_ms = settings_.default_query_offset_ms;
  }
  std::vector<std::shared_ptr<RuleGroup>> groups;
  std::map<std::pair<std::string, std::string>, int> seen;
  for (const RuleGroupSpec& spec : specs) {
    if (seen[{spec.file, spec.name}]++) {
      return InvalidArgument(spec.file + ": groupname: \"" + spec.name + "\" is repeated in the same file");
    }
    auto group = RuleGroup::Create(spec, default_interval_ms, default_query_offset_ms);
    if (!group.ok()) return group.status();
    groups.push_back(std::shared_ptr<RuleGroup>(std::move(group).value()));
  }
  return Install(std::move(groups));
}

Status RuleManager::Install(std::vector<std::shared_ptr<RuleGroup>> groups) {
  auto loaded = std::make_shared<Loaded>();
  loaded->groups = groups;
  loaded->index = TriggerIndex::Build(groups);
  const int64_t now = clock_->NowMs();

  std::unique_lock lock(mu_);
  std::shared_ptr<Loaded> old = loaded_.load();
  // Wait for evaluations of the old groups to finish, so the state copied below is final;
  // no new one starts meanwhile (installing_ holds the workers back).
  if (old) {
    installing_ = true;
    cv_.wait(lock, [&] { return old->running == 0; });
    installing_ = false;
  }

  for (size_t i = 0; i < groups.size(); ++i) {
    auto slot = std::make_unique<GroupSlot>();
    slot->group = groups[i];
    // Spread first evaluations over the interval, as Prometheus does (offset from a hash).
    uint64_t h = std::hash<std::string>{}(groups[i]->key());
    int64_t interval = std::max<int64_t>(groups[i]->interval_ms(), 1);
    slot->next_full_ms = now + static_cast<int64_t>(h % static_cast<uint64_t>(interval));
    loaded->slots.push_back(std::move(slot));
  }
  if (old) {
    // Carry state over: same file, group, rule name and labels, in order of appearance.
    std::map<std::string, std::vector<AlertingRule*>> previous;
    for (size_t gi = 0; gi < old->groups.size(); ++gi) {
      for (const auto& rule : old->groups[gi]->rules()) {
        if (!rule->is_alerting()) continue;
        previous[RuleStateKey(*old->groups[gi], *rule)].push_back(static_cast<AlertingRule*>(rule.get()));
      }
      for (size_t ni = 0; ni < groups.size(); ++ni) {
        if (groups[ni]->key() == old->groups[gi]->key()) {
          // Its schedule goes on; a shorter interval (reload) takes effect at once.
          loaded->slots[ni]->next_full_ms = groups[ni]->interval_ms() == old->groups[gi]->interval_ms()
                                                ? old->slots[gi]->next_full_ms
                                                : std::min(old->slots[gi]->next_full_ms, loaded->slots[ni]->next_full_ms);
          loaded->slots[ni]->last_ts = old->slots[gi]->last_ts;
        }
      }
    }
    for (const auto& group : groups) {
      for (const auto& rule : group->rules()) {
        if (!rule->is_alerting()) continue;
        auto it = previous.find(RuleStateKey(*group, *rule));
        if (it == previous.end() || it->second.empty()) continue;
        static_cast<AlertingRule*>(rule.get())->RestoreAlerts(it->second.front()->Alerts(true));
        static_cast<AlertingRule*>(rule.get())->RestoreFlaps(it->second.front()->Flaps());
        it->second.erase(it->second.begin());
      }
    }
  } else if (!restored_ && !opts_.state_dir.empty()) {
    RestoreState(groups);
  }
  restored_ = true;
  // Pending alerts carried over or restored keep their `for` deadlines.
  if (settings_.event_driven) {
    for (auto& slot : loaded->slots) {
      slot->group->RefreshTransitions();
      slot->transition_ms = slot->group->NextTransitionMs();
    }
  }
  ready_.clear();
  loaded_.store(loaded);
  {
    std::lock_guard mlock(metrics_state_->mu);
    metrics_state_->groups = groups;
  }
  cv_.notify_all();
  size_t rules = 0;
  for (const auto& g : groups) rules += g->rules().size();
  PW_LOG_INFO("rules loaded", "groups={} rules={} selectors={}", groups.size(), rules, loaded->index->selectors());
  return Status::Ok();
}

void RuleManager::RestoreState(const std::vector<std::shared_ptr<RuleGroup>>& groups) {
  auto saved = ReadRuleState(opts_.state_dir / "rules.json");
  if (!saved.ok()) {
    if (saved.status().code() != StatusCode::kNotFound) {
      PW_LOG_WARN("rule state not restored", "err={}", LogQuote(saved.status().message()));
    }
    return;
  }
  size_t restored = 0;
  for (const auto& group : groups) {
    std::map<std::string, int> ordinal;
    for (const auto& rule : group->rules()) {
      if (!rule->is_alerting()) continue;
      std::string key = RuleStateKey(*group, *rule);
      auto it = saved->find(key);
      int n = ordinal[key]++;
      if (it == saved->end() || n >= static_cast<int>(it->second.size())) continue;
      restored += it->second[n].alerts.size();
      static_cast<AlertingRule*>(rule.get())->RestoreAlerts(std::move(it->second[n].alerts));
      static_cast<AlertingRule*>(rule.get())->RestoreFlaps(std::move(it->second[n].flaps));
    }
  }
  PW_LOG_INFO("rule state restored", "alerts={}", restored);
}

Status RuleManager::Start() {
  {
    std::lock_guard lock(mu_);
    if (started_) return Status::Ok();
    started_ = true;
    stopping_ = false;
    if (opts_.start_threads) {
      for (int i = 0; i < std::max(1, opts_.eval_threads); ++i) {
        workers_.push_back(NamedThread("pw-rules", [this] { WorkerLoop(); }));
      }
      if (!opts_.state_dir.empty()) {
        persister_ = NamedThread("pw-rules-state", [this] { PersistLoop(); });
      }
    }
  }
  // Outside mu_: appenders hold the observer lock and then take mu_ (Schedule).
  if (tsdb_ && settings().event_driven) tsdb_->SetAppendObserver(this);
  return Status::Ok();
}

void RuleManager::Stop() {
  {
    std::lock_guard lock(mu_);
    if (!started_) return;
    started_ = false;
    stopping_ = true;
  }
  if (tsdb_) tsdb_->SetAppendObserver(nullptr);  // whether or not event_driven (a reload may change it)
  cv_.notify_all();
  {
    std::lock_guard wait(persist_wait_mu_);
    persist_cv_.notify_all();
  }
  for (std::thread& t : workers_) t.join();
  workers_.clear();
  if (persister_.joinable()) persister_.join();
  if (!opts_.state_dir.empty()) {
    Status s = PersistState();
    if (!s.ok()) PW_LOG_WARN("rule state not saved", "err={}", LogQuote(s.message()));
  }
}

std::vector<std::shared_ptr<RuleGroup>> RuleManager::Groups() const {
  std::shared_ptr<Loaded> loaded = loaded_.load();
  if (!loaded) return {};
  return loaded->groups;
}

void RuleManager::OnAppend(std::span<const tsdb::SeriesSamples> batch, std::span<const tsdb::SeriesRef> refs,
                           uint64_t head_generation) {
  std::shared_ptr<Loaded> loaded = loaded_.load(std::memory_order_acquire);
  if (!loaded || loaded->index->selectors() == 0) return;
  std::vector<uint32_t> to_schedule;
  const std::function<void(TriggerTarget)> trigger = [&](TriggerTarget t) { Trigger(*loaded, t, &to_schedule); };
  TriggerIndex::RefCursor cursor = loaded->index->Cursor(head_generation);
  for (size_t i = 0; i < batch.size(); ++i) {
    const tsdb::SeriesSamples& ss = batch[i];
    if (ss.samples.empty()) continue;
    cursor.MatchRef(i < refs.size() ? refs[i] : 0, ss.labels, ss.samples.back().v, trigger);
  }
  // Queued once the whole batch has flagged its rules: one evaluation sees all of it.
  for (uint32_t group : to_schedule) Schedule(*loaded, group);
}

void RuleManager::OnAppendRefs(std::span<const tsdb::RefSample> batch, const tsdb::Head& head,
                               uint64_t head_generation) {
  std::shared_ptr<Loaded> loaded = loaded_.load(std::memory_order_acquire);
  if (!loaded || loaded->index->selectors() == 0) return;
  std::vector<tsdb::LabelView> scratch;
  std::vector<uint32_t> to_schedule;
  const std::function<void(TriggerTarget)> trigger = [&](TriggerTarget t) { Trigger(*loaded, t, &to_schedule); };
  TriggerIndex::RefCursor cursor = loaded->index->Cursor(head_generation);
  for (size_t i = 0; i < batch.size(); ++i) {
    // Samples of one series come together: the last of them decides.
    if (i + 1 < batch.size() && batch[i + 1].ref == batch[i].ref) continue;
    std::span<const tsdb::LabelView> labels = head.SeriesLabels(batch[i].ref, &scratch);
    if (!labels.empty()) cursor.MatchRef(batch[i].ref, labels, batch[i].sample.v, trigger);
  }
  for (uint32_t group : to_schedule) Schedule(*loaded, group);
}

void RuleManager::Trigger(Loaded& loaded, TriggerTarget target, std::vector<uint32_t>* to_schedule) {
  if (target.group >= loaded.groups.size()) return;
  RuleGroup& group = *loaded.groups[target.group];
  const EvalScope& scope = CurrentEvalScope();
  if (scope.group == &group) {
    // The group's own output: an interval evaluation reaches every later rule anyway; an
    // event-driven one picks up later rules flagged now; earlier rules are not re-run.
    if (scope.all || target.rule <= scope.rule_index) return;
    group.MarkDirtyInEval(target.rule);
    return;
  }
  // Another group's output: passed on one step only (EvalScope::derived).
  if (scope.group != nullptr && scope.derived) return;
  if (group.MarkDirty(target.rule, /*external=*/scope.group == nullptr)) {
    if (metrics_state_->event_triggers) metrics_state_->event_triggers->Inc();
    to_schedule->push_back(target.group);
  }
}

void RuleManager::Schedule(Loaded& loaded, size_t index) {
  std::lock_guard lock(mu_);
  if (loaded_.load().get() != &loaded || index >= loaded.slots.size()) return;  // replaced by a reload
  GroupSlot& slot = *loaded.slots[index];
  if (slot.queued || slot.running || slot.event_not_before_ns != 0) return;
  slot.queued = true;
  ready_.push_back(index);
  cv_.notify_one();
}

int64_t RuleManager::NextTimestamp(GroupSlot& slot, int64_t now) {
  int64_t ts = std::max(now, slot.last_ts + 1);
  slot.last_ts = ts;
  return ts;
}

void RuleManager::RunSlot(std::unique_lock<std::mutex>& lock, const std::shared_ptr<Loaded>& loaded, size_t index) {
  GroupSlot& slot = *loaded->slots[index];
  slot.queued = false;
  if (slot.running) return;  // re-queued when the running evaluation ends
  const bool full = slot.full_due;
  if (!full && !slot.group->pending()) return;
  const int64_t now = clock_->NowMs();
  const double budget = settings_.event_cpu_budget;
  if (!full && budget > 0) {
    int64_t steady = SteadyNs();
    event_tokens_ns_ = std::min(kEventBurstNs, event_tokens_ns_ + (steady - event_tokens_at_ns_) * budget);
    event_tokens_at_ns_ = steady;
    if (event_tokens_ns_ < 0) {
      slot.event_not_before_ns = steady + static_cast<int64_t>(-event_tokens_ns_ / budget);
      if (metrics_state_->event_deferred) metrics_state_->event_deferred->Inc();
      return;
    }
  }
  slot.running = true;
  slot.full_due = false;
  slot.event_not_before_ns = 0;
  ++loaded->running;
  const int64_t ts = NextTimestamp(slot, now);
  RuleGroup& group = *slot.group;
  if (full) {
    const int64_t interval = std::max<int64_t>(group.interval_ms(), 1);
    slot.next_full_ms += interval;
    if (slot.next_full_ms <= now) {
      int64_t missed = (now - slot.next_full_ms) / interval + 1;
      group.counters().missed.fetch_add(static_cast<uint64_t>(missed), std::memory_order_relaxed);
      slot.next_full_ms += missed * interval;
    }
  }
  const GroupEvalDeps deps = Deps();
  lock.unlock();
  group.ClearPending();
  const int64_t start = SteadyNs();
  group.Eval(ts, full, deps);
  const int64_t spent = SteadyNs() - start;
  lock.lock();
  if (!full && budget > 0) event_tokens_ns_ -= static_cast<double>(spent);
  slot.running = false;
  slot.transition_ms = settings_.event_driven ? group.NextTransitionMs() : INT64_MAX;
  --loaded->running;
  if ((group.pending() || slot.full_due) && !slot.queued && loaded_.load() == loaded) {
    slot.queued = true;
    ready_.push_back(index);
  }
  cv_.notify_all();
}

void RuleManager::WorkerLoop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    std::shared_ptr<Loaded> loaded = loaded_.load();
    if (!loaded || installing_) {
      cv_.wait(lock);
      continue;
    }
    // Timers: interval evaluations due and event evaluations whose budget wait is over.
    const int64_t now = clock_->NowMs();
    const int64_t steady = SteadyNs();
    int64_t wake_ms = INT64_MAX;
    for (size_t i = 0; i < loaded->slots.size(); ++i) {
      GroupSlot& slot = *loaded->slots[i];
      bool due = false;
      if (!slot.full_due && slot.next_full_ms <= now) {
        slot.full_due = true;
        due = true;
      }
      if (slot.event_not_before_ns != 0) {
        if (slot.event_not_before_ns <= steady) {
          slot.event_not_before_ns = 0;
          due = true;
        } else {
          wake_ms = std::min(wake_ms, now + (slot.event_not_before_ns - steady) / 1'000'000 + 1);
        }
      }
      if (slot.transition_ms <= now && !slot.running) {
        // A `for` ran out: evaluate its rules now rather than at the next interval tick.
        slot.transition_ms = INT64_MAX;
        due |= slot.group->MarkDueTransitions(now);
      }
      if (due && !slot.queued && !slot.running) {
        slot.queued = true;
        ready_.push_back(i);
      }
      if (!slot.full_due) wake_ms = std::min(wake_ms, slot.next_full_ms);
      wake_ms = std::min(wake_ms, slot.transition_ms);
    }
    if (!ready_.empty()) {
      size_t index = ready_.front();
      ready_.pop_front();
      RunSlot(lock, loaded, index);
      continue;
    }
    if (wake_ms == INT64_MAX) {
      cv_.wait(lock);
    } else {
      cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(wake_ms - now, 1)));
    }
  }
}

void RuleManager::RunPending() {
  std::unique_lock lock(mu_);
  std::shared_ptr<Loaded> loaded = loaded_.load();
  if (!loaded) return;
  const int64_t now = clock_->NowMs();
  for (size_t i = 0; i < loaded->slots.size(); ++i) {
    GroupSlot& slot = *loaded->slots[i];
    slot.event_not_before_ns = 0;
    if (!slot.full_due && slot.next_full_ms <= now) slot.full_due = true;
    if (slot.transition_ms <= now) {
      slot.transition_ms = INT64_MAX;
      slot.group->MarkDueTransitions(now);
    }
    if ((slot.full_due || slot.group->pending()) && !slot.queued) {
      slot.queued = true;
      ready_.push_back(i);
    }
  }
  while (!ready_.empty()) {
    size_t index = ready_.front();
    ready_.pop_front();
    RunSlot(lock, loaded, index);
  }
}

void RuleManager::EvalAllNow() {
  std::unique_lock lock(mu_);
  std::shared_ptr<Loaded> loaded = loaded_.load();
  if (!loaded) return;
  for (size_t i = 0; i < loaded->slots.size(); ++i) {
    loaded->slots[i]->full_due = true;
    loaded->slots[i]->next_full_ms = clock_->NowMs();
    RunSlot(lock, loaded, i);
  }
}

void RuleManager::PersistLoop() {
  auto stopping = [this] {
    std::lock_guard lock(mu_);
    return stopping_;
  };
  while (!stopping()) {
    {
      std::unique_lock wait(persist_wait_mu_);
      persist_cv_.wait_for(wait, std::chrono::milliseconds(std::max<int64_t>(opts_.persist_interval_ms, 1)));
    }
    if (stopping()) break;
    Status s = PersistState();
    if (!s.ok()) PW_LOG_WARN("rule state not saved", "err={}", LogQuote(s.message()));
  }
}

Status RuleManager::PersistState() {
  if (opts_.state_dir.empty()) return Status::Ok();
  std::shared_ptr<Loaded> loaded = loaded_.load();
  if (!loaded) return Status::Ok();
  std::lock_guard lock(persist_mu_);
  uint64_t version = reinterpret_cast<uintptr_t>(loaded.get());
  for (const auto& g : loaded->groups) version = version * 1000003 + g->state_version();
  if (version == persisted_version_) return Status::Ok();
  PW_RETURN_IF_ERROR(WriteRuleState(opts_.state_dir / "rules.json", loaded->groups));
  persisted_version_ = version;
  return Status::Ok();
}

}  // namespace perfwatch::alert
