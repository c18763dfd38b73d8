// The Alertmanager's lifecycle, timers, notification pipeline and persistence; the API
// handlers are in am_api.cc. Contract and threads: alertmanager.h, alertmanager_impl.h.
#include "alert/alertmanager.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <map>
#include <set>
#include <system_error>
#include <tuple>

#include "alert/alertmanager_impl.h"
#include "alert/am_api.h"
#include "alert/am_format.h"
#include "alert/integrations.h"
#include "alert/state_file.h"
#include "alert/webhook.h"
#include "common/log.h"
#include "common/snapshot_files.h"
#include "common/thread_name.h"

namespace perfwatch::alert {
namespace {

constexpr char kIntegration[] = "webhook";

std::filesystem::path StorePath(const AlertmanagerOptions& o) {
  return o.state_dir / "alerts.snap";
}
std::filesystem::path NflogPath(const AlertmanagerOptions& o) { return o.state_dir / "nflog.snap"; }
std::filesystem::path SilencesPath(const AlertmanagerOptions& o) {
  return o.state_dir / "silences.snap";
}
std::filesystem::path AcksPath(const AlertmanagerOptions& o) { return o.state_dir / "acks.snap"; }
std::filesystem::path EscalationsPath(const AlertmanagerOptions& o) {
  return o.state_dir / "escalations.snap";
}
constexpr std::string_view kEscalationsMagic = "PWESC001";

Counter* EscalationsTotal(MetricsRegistry& m, const std::string& policy) {
  return m.GetCounter("perfwatch_alert_escalations_total",
                      "Notifications sent by escalation policies' steps (one per integration).",
                      {{"policy", policy}});
}

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Alertmanager::Impl::Impl(AlertmanagerOptions options)
    : opts(std::move(options)), clock(opts.clock ? opts.clock : SystemClock::Get()), external_url(opts.external_url) {
  if (opts.metrics) {
    metrics = opts.metrics;
  } else {
    own_metrics = std::make_unique<MetricsRegistry>();
    metrics = own_metrics.get();
  }
  const MetricLabels integration = {{"integration", kIntegration}};
  notifications_total =
      metrics->GetCounter("alertmanager_notifications_total",
                          "The total number of attempted notifications.", integration);
  auto failed = [&](const char* reason) {
    return metrics->GetCounter("alertmanager_notifications_failed_total",
                               "The total number of failed notifications.",
                               {{"integration", kIntegration}, {"reason", reason}});
  };
  delivery_metrics.failed_client_error = failed("clientError");
  delivery_metrics.failed_server_error = failed("serverError");
  delivery_metrics.failed_other = failed("other");
  delivery_metrics.requests_total =
      metrics->GetCounter("alertmanager_notification_requests_total",
                          "The total number of attempted notification requests.", integration);
  delivery_metrics.requests_failed_total =
      metrics->GetCounter("alertmanager_notification_requests_failed_total",
                          "The total number of failed notification requests.", integration);
  delivery_metrics.latency_seconds = metrics->GetHistogram(
      "alertmanager_notification_latency_seconds", "The latency of notifications in seconds.",
      {1, 5, 10, 15, 20}, integration);
  received_firing = metrics->GetCounter("alertmanager_alerts_received_total",
                                        "The total number of received alerts.",
                                        {{"status", "firing"}, {"version", "v2"}});
  received_resolved = metrics->GetCounter("alertmanager_alerts_received_total",
                                          "The total number of received alerts.",
                                          {{"status", "resolved"}, {"version", "v2"}});
  invalid_total = metrics->GetCounter("alertmanager_alerts_invalid_total",
                                      "The total number of received alerts that were invalid.",
                                      {{"version", "v2"}});
  acknowledgements_total =
      metrics->GetCounter("perfwatch_alert_acknowledgements_total",
                          "Alerts acknowledged through POST /api/v1/alerts/{fingerprint}/ack.");
  alerts_active =
      metrics->GetGauge("alertmanager_alerts", "How many alerts by state.", {{"state", "active"}});
  alerts_suppressed = metrics->GetGauge("alertmanager_alerts", "How many alerts by state.",
                                        {{"state", "suppressed"}});
  auto silence_gauge = [&](const char* state) {
    return metrics->GetGauge("alertmanager_silences", "How many silences by state.",
                             {{"state", state}});
  };
  silences_active = silence_gauge("active");
  silences_pending = silence_gauge("pending");
  silences_expired = silence_gauge("expired");
  for (std::string_view type : kIntegrationTypes) {  // exported at zero, as Alertmanager does
    IntegrationMetrics(*metrics, type);
    NotificationsTotal(*metrics, type);
  }
  start_time_ms = clock->NowMs();
  next_cleanup_ms = start_time_ms + kGroupCleanupIntervalMs;
  next_gc_ms = start_time_ms + std::max<int64_t>(opts.gc_interval_ms, 1);
  next_nflog_gc_ms = start_time_ms + kNflogMaintenanceIntervalMs;
}

Status Alertmanager::Impl::Load() {
  std::error_code ec;
  std::filesystem::create_directories(opts.state_dir, ec);
  if (ec) return IoError("create " + opts.state_dir.string(), ec.value());
  // A damaged snapshot costs its state, not the server: log and start empty.
  if (Status s = store.Load(StorePath(opts)); !s.ok()) {
    if (s.code() != StatusCode::kDataLoss) return s;
    PW_LOG_ERROR("alertmanager: discarding a damaged snapshot", "err={}", LogQuote(s.ToString()));
  }
  if (Status s = nflog.Load(NflogPath(opts)); !s.ok()) {
    if (s.code() != StatusCode::kDataLoss) return s;
    PW_LOG_ERROR("alertmanager: discarding a damaged snapshot", "err={}", LogQuote(s.ToString()));
  }
  {
    auto records = ReadSnapshot(EscalationsPath(opts), kEscalationsMagic);
    Status s = records.ok() ? escalations.Load(*records) : records.status();
    if (!s.ok()) {
      if (s.code() != StatusCode::kDataLoss) return s;
      PW_LOG_ERROR("alertmanager: discarding a damaged snapshot", "file={} err={}",
                   LogQuote(EscalationsPath(opts).string()), LogQuote(s.ToString()));
    }
  }
  SilencesOptions so{SilencesPath(opts), opts.silence_retention_ms, clock};
  auto sil = Silences::Open(so);
  if (!sil.ok() && sil.status().code() == StatusCode::kDataLoss) {
    // Damaged: keep the file for inspection and start without silences.
    PW_LOG_ERROR("alertmanager: silences unreadable, moved aside", "err={}",
                 LogQuote(sil.status().ToString()));
    const std::filesystem::path file = SilencesPath(opts);
    std::filesystem::rename(file, file.string() + ".corrupt", ec);
    sil = Silences::Open(so);
  }
  if (!sil.ok()) return sil.status();
  silences = std::move(*sil);
  auto ack = Acknowledgements::Open(AcksPath(opts));
  if (!ack.ok() && ack.status().code() == StatusCode::kDataLoss) {
    PW_LOG_ERROR("alertmanager: acknowledgements unreadable, moved aside", "err={}",
                 LogQuote(ack.status().ToString()));
    const std::filesystem::path file = AcksPath(opts);
    std::filesystem::rename(file, file.string() + ".corrupt", ec);
    ack = Acknowledgements::Open(AcksPath(opts));
  }
  if (!ack.ok()) return ack.status();
  acks = std::move(*ack);
  auto hist = AlertHistory::Open(opts.state_dir / "alert_history.log", clock->NowMs());
  if (!hist.ok()) return hist.status();
  history = std::move(*hist);
  auto q = NotifyQueue::Open(opts.state_dir);
  if (!q.ok() && q.status().code() == StatusCode::kDataLoss) {
    // An unreadable queue header: keep the file for inspection and start an empty queue.
    PW_LOG_ERROR("alertmanager: notification queue unreadable, moved aside", "err={}", LogQuote(q.status().ToString()));
    const std::filesystem::path file = opts.state_dir / "notify_queue.log";
    std::filesystem::rename(file, file.string() + ".corrupt", ec);
    q = NotifyQueue::Open(opts.state_dir);
  }
  if (!q.ok()) return q.status();
  queue = std::move(*q);
  return Status::Ok();
}

DeliveryWorker* Alertmanager::Impl::FindWorker(const std::string& receiver, uint32_t index) {
  auto it = workers.find({receiver, index});
  return it == workers.end() ? nullptr : it->second.get();
}

void Alertmanager::Impl::InstallConfig(AlertmanagerConfig new_config) {
  auto cfg = std::make_shared<const AlertmanagerConfig>(std::move(new_config));
  std::vector<std::unique_ptr<DeliveryWorker>> removed;
  {
    std::lock_guard lock(mu);
    const int64_t now = clock->NowMs();
    config = cfg;
    for (const EscalationPolicy& p : cfg->escalations) EscalationsTotal(*metrics, p.name);
    inhibitor = std::make_unique<Inhibitor>(cfg->inhibit_rules);
    // As on an Alertmanager reload: fresh aggregation groups from every stored alert.
    dispatcher = std::make_unique<Dispatcher>(&cfg->route);
    for (const auto& [fp, a] : store.alerts()) dispatcher->Insert(a, now);

    DeliveryOptions dopts;
    dopts.clock = clock;
    dopts.first_backoff_ms = opts.first_retry_backoff_ms;
    dopts.max_backoff_ms = opts.max_retry_backoff_ms;
    dopts.give_up_after_ms = opts.give_up_after_ms;
    decltype(workers) next;
    for (const Receiver& r : cfg->receivers) {
      for (uint32_t i : IntegrationIndexes(r)) {
        IntegrationConfig ic = IntegrationConfigAt(*cfg, r, i);
        auto it = workers.find({r.name, i});
        if (it != workers.end()) {
          it->second->UpdateConfig(std::move(ic));
          next[{r.name, i}] = std::move(it->second);
          workers.erase(it);
          continue;
        }
        DeliveryMetrics dm = IntegrationMetrics(*metrics, ic.type);
        dm.queued = metrics->GetGauge("perfwatch_alert_notifications_queued",
                                      "Notifications waiting in the persisted queue for delivery.",
                                      {{"integration", ic.type}, {"receiver", r.name}});
        auto w = std::make_unique<DeliveryWorker>(r.name, i, std::move(ic), queue.get(), dopts, dm);
        if (started && opts.start_threads) w->StartThread();
        next[{r.name, i}] = std::move(w);
      }
    }
    for (auto& [key, w] : workers) removed.push_back(std::move(w));
    workers = std::move(next);
  }
  for (auto& w : removed) {
    w->Stop();
    if (w->pending() > 0)
      PW_LOG_WARN("alertmanager: dropping notifications of a removed receiver", "pending={}",
                  w->pending());
    w->DropAll();
  }
}

void Alertmanager::Impl::Wake() {
  {
    std::lock_guard lock(wake_mu);
    wake = true;
  }
  wake_cv.notify_all();
}

void Alertmanager::Impl::Put(std::vector<Alert> alerts, int64_t now_ms) {
  {
    std::lock_guard lock(mu);
    for (Alert& a : alerts) {
      const Alert& stored = store.Put(std::move(a), now_ms);
      history->Observe(stored, now_ms);
      dispatcher->Insert(stored, now_ms);
    }
    store_dirty = true;
    gauges_dirty = true;
  }
  Wake();
}

void Alertmanager::Impl::RunPipeline(const FlushBatch& batch,
                                     std::vector<QueuedNotification>& out) {
  const int64_t now = batch.now_ms;
  // Inhibition (Alertmanager's MuteStage): inhibited alerts leave the notification.
  std::vector<Alert> alerts;
  alerts.reserve(batch.alerts.size());
  for (const Alert& a : batch.alerts) {
    if (!inhibitor->InhibitedBy(a.labels, store, now)) alerts.push_back(a);
  }
  // Silencing (the silence MuteStage, after inhibition): silenced alerts leave it too,
  // resolved ones included, so a resolution while silenced is never notified.
  std::erase_if(alerts, [&](const Alert& a) { return !silences->MutedBy(a.labels, now).empty(); });
  if (alerts.empty()) return;
  const Receiver* receiver = config->FindReceiver(batch.route->receiver);
  if (receiver == nullptr) return;

  std::set<uint64_t> firing, resolved;
  size_t acknowledged = 0;  // firing alerts with an acknowledgement in force
  for (const Alert& a : alerts) {
    const bool is_resolved = a.ResolvedAt(now);
    (is_resolved ? resolved : firing).insert(Fingerprint(a.labels));
    if (!is_resolved && acks->InForce(a, now)) ++acknowledged;
  }
  const bool all_acknowledged = !firing.empty() && acknowledged == firing.size();

  for (uint32_t i : IntegrationIndexes(*receiver)) {
    const std::string_view type = IntegrationType(i);
    const bool send_resolved = IntegrationSendResolved(*receiver, i);
    const std::string key =
        NflogKey(batch.group_key, receiver->name, std::string(type), IntegrationPosition(i));
    const NflogEntry* entry = nflog.Query(key);
    if (!NeedsUpdate(entry, firing, resolved, send_resolved, batch.route->repeat_interval_ms,
                     now)) {
      continue;
    }
    // Acknowledged: no repeat for alerts the receiver has already seen. Anything else that
    // needs a notification (a new firing alert, a resolution) still gets one. The log
    // entry is kept alive so it does not expire into a "new" notification.
    if (all_acknowledged && entry != nullptr &&
        !NeedsUpdate(entry, firing, resolved, send_resolved, INT64_MAX, now)) {
      nflog.Extend(key, now + 2 * batch.route->repeat_interval_ms);
      nflog_dirty = true;
      continue;
    }
    NotificationsTotal(*metrics, type)->Inc();
    std::vector<Alert> sent;
    if (send_resolved) {
      sent = alerts;
    } else {
      for (const Alert& a : alerts) {
        if (!a.ResolvedAt(now)) sent.push_back(a);
      }
    }
    if (!sent.empty()) {
      NotificationContext ctx{receiver->name, batch.group_key, batch.group_labels,
                              external_url, now};
      QueueIntegration(*receiver, i, ctx, sent, now, out);
    }
    // Only resolved alerts without send_resolved: nothing is sent, but the log records
    // that the receiver's view is now empty.
    nflog.Log(key, firing, resolved, now, 2 * batch.route->repeat_interval_ms);
    nflog_dirty = true;
  }
}

bool Alertmanager::Impl::QueueIntegration(const Receiver& receiver, uint32_t i, const NotificationContext& ctx,
                                          const std::vector<Alert>& alerts, int64_t now,
                                          std::vector<QueuedNotification>& out) {
  auto body = BuildIntegrationBody(*config, receiver, i, ctx, alerts);
  if (!body.ok()) {
    IntegrationMetrics(*metrics, IntegrationType(i)).failed_other->Inc();
    PW_LOG_ERROR("Notify for alerts failed", "receiver={} integration={}[{}] err={}", LogQuote(receiver.name),
                 IntegrationType(i), IntegrationPosition(i), LogQuote(body.status().message()));
    return false;
  }
  QueuedNotification q;
  q.receiver = receiver.name;
  q.integration_index = i;
  q.created_ms = now;
  q.group_key = ctx.group_key;
  q.body = std::move(body).value();
  out.push_back(std::move(q));
  return true;
}

size_t Alertmanager::Impl::RunEscalations(int64_t now, std::vector<QueuedNotification>& out) {
  if (config->escalations.empty() && escalations.size() == 0) return 0;
  // The due steps, batched per group, policy and flat step.
  struct Due {
    const AggrGroup* group;
    const EscalationPolicy* policy;
    uint64_t step;
    std::vector<Alert> alerts;
  };
  std::map<std::tuple<std::string, std::string, uint64_t>, Due> due;
  escalations.BeginSweep();
  for (const auto& [id, g] : dispatcher->groups()) {
    if (g->route->escalation.empty()) continue;
    const EscalationPolicy* policy = config->FindEscalation(g->route->escalation);
    if (policy == nullptr) continue;
    for (const auto& entry : g->alerts) {
      const auto& a = entry.second;  // not a structured binding: clang 14 cannot capture those
      if (a.ResolvedAt(now)) continue;
      const auto muted = [&] {
        return acks->InForce(a, now).has_value() || !silences->MutedBy(a.labels, now).empty() ||
               inhibitor->InhibitedBy(a.labels, store, now).has_value();
      };
      for (uint64_t j : escalations.Observe(g->key, g->labels, *policy, a, muted, now)) {
        Due& d = due[{g->key, policy->name, j}];
        d.group = g.get();
        d.policy = policy;
        d.step = j;
        Alert sent = a;
        sent.ends_at_ms = 0;  // firing: as a flush hands it out
        d.alerts.push_back(std::move(sent));
      }
    }
  }
  const std::vector<EscalationEntry> ended = escalations.EndSweep();

  for (auto& [key, d] : due) {
    const size_t n = d.policy->steps.size();
    const EscalationStep& step = d.policy->steps[d.step % n];
    std::sort(d.alerts.begin(), d.alerts.end(), [](const Alert& a, const Alert& b) {
      return AlertLabelsLess(a.labels, b.labels);
    });
    for (const std::string& name : step.receivers) {
      const Receiver* receiver = config->FindReceiver(name);
      if (receiver == nullptr) continue;
      NotificationContext ctx{receiver->name, d.group->key, d.group->labels, external_url,
                              now};
      ctx.escalation = EscalationMark{d.policy->name, d.step % n + 1, d.step / n + 1};
      for (uint32_t i : IntegrationIndexes(*receiver)) {
        if (!QueueIntegration(*receiver, i, ctx, d.alerts, now, out)) continue;
        NotificationsTotal(*metrics, IntegrationType(i))->Inc();
        EscalationsTotal(*metrics, d.policy->name)->Inc();
      }
    }
    PW_LOG_INFO("alert escalated", "policy={} step={} run={} group={} alerts={}",
                LogQuote(d.policy->name), d.step % n + 1, d.step / n + 1,
                LogQuote(d.group->key), d.alerts.size());
  }
  RunEscalationResolutions(ended, now, out);
  return due.size();
}

void Alertmanager::Impl::RunEscalationResolutions(const std::vector<EscalationEntry>& ended,
                                                  int64_t now,
                                                  std::vector<QueuedNotification>& out) {
  // The resolved alerts, batched per group, policy and step receiver.
  struct Resolution {
    const EscalationEntry* entry = nullptr;  // the first; group labels and marker
    const AggrGroup* group = nullptr;        // nullptr once the group is gone
    uint64_t last = 0;                       // the furthest position (next) among them
    std::vector<Alert> alerts;
  };
  std::map<std::tuple<std::string, std::string, std::string>, Resolution> batches;
  for (const EscalationEntry& e : ended) {
    const EscalationPolicy* policy = config->FindEscalation(e.policy);
    const std::vector<std::string> notified = EscalationNotified(e, policy);
    if (notified.empty()) continue;
    // Only a resolution: an alert still firing left the chain otherwise (rerouted, the
    // policy removed). As the route's pipeline, a muted resolution is not notified.
    const Alert* a = store.Get(e.fingerprint);
    if (a == nullptr || !a->ResolvedAt(now)) continue;
    if (!silences->MutedBy(a->labels, now).empty() ||
        inhibitor->InhibitedBy(a->labels, store, now).has_value()) {
      continue;
    }
    const AggrGroup* group = nullptr;
    for (const auto& [id, g] : dispatcher->groups()) {
      if (g->key == e.group_key) {
        group = g.get();
        break;
      }
    }
    for (const std::string& r : notified) {
      // The route's own receiver hears of it through the group's flush.
      if (group != nullptr && group->route->receiver == r) continue;
      Resolution& res = batches[{e.group_key, e.policy, r}];
      if (res.entry == nullptr) res.entry = &e;
      res.group = group;
      res.last = std::max(res.last, e.next);
      res.alerts.push_back(*a);
    }
  }
  for (auto& batch : batches) {
    // Not structured bindings: the lambda below captures them, which clang 14 refuses.
    const std::string& group_key = std::get<0>(batch.first);
    const std::string& policy_name = std::get<1>(batch.first);
    const std::string& receiver_name = std::get<2>(batch.first);
    Resolution& res = batch.second;
    const Receiver* receiver = config->FindReceiver(receiver_name);
    if (receiver == nullptr) continue;
    const EscalationPolicy* policy = config->FindEscalation(policy_name);
    // As a flush lists them: the receiver's alerts of the group still firing (those whose
    // chains notified it) with the resolved ones, so that a receiver keyed on the group
    // (PagerDuty's dedup_key) resolves only when none is left firing.
    std::vector<Alert> alerts = std::move(res.alerts);
    if (res.group != nullptr) {
      escalations.ForEachInGroup(group_key, [&](const EscalationEntry& e) {
        if (e.policy != policy_name) return;
        const auto notified = EscalationNotified(e, policy);
        if (!std::binary_search(notified.begin(), notified.end(), receiver_name)) return;
        auto it = res.group->alerts.find(e.fingerprint);
        if (it == res.group->alerts.end() || it->second.ResolvedAt(now)) return;
        Alert firing = it->second;
        firing.ends_at_ms = 0;
        alerts.push_back(std::move(firing));
      });
    }
    std::sort(alerts.begin(), alerts.end(), [](const Alert& a, const Alert& b) {
      return AlertLabelsLess(a.labels, b.labels);
    });
    NotificationContext ctx{receiver->name, group_key, res.entry->group_labels,
                            external_url, now};
    EscalationMark mark{policy_name, 0, 0};
    if (policy != nullptr && !policy->steps.empty() && res.last > 0) {
      const uint64_t n = policy->steps.size();
      mark.step = (res.last - 1) % n + 1;
      mark.run = (res.last - 1) / n + 1;
    }
    ctx.escalation = mark;
    for (uint32_t i : IntegrationIndexes(*receiver)) {
      if (!IntegrationSendResolved(*receiver, i)) continue;
      if (QueueIntegration(*receiver, i, ctx, alerts, now, out)) {
        NotificationsTotal(*metrics, IntegrationType(i))->Inc();
      }
    }
    PW_LOG_INFO("escalation resolved", "policy={} receiver={} group={} alerts={}",
                LogQuote(policy_name), LogQuote(receiver->name), LogQuote(group_key),
                alerts.size());
  }
}

void Alertmanager::Impl::WriteEscalations() {
  std::vector<std::string> records;
  {
    std::lock_guard lock(mu);
    if (!escalations.dirty()) return;
    records = escalations.EncodeSnapshot();
    escalations.clear_dirty();
  }
  if (Status s = WriteSnapshot(EscalationsPath(opts), kEscalationsMagic, records); !s.ok()) {
    PW_LOG_ERROR("alertmanager: writing escalation state failed", "err={}",
                 LogQuote(s.ToString()));
    std::lock_guard lock(mu);
    escalations.mark_dirty();
  }
}

void Alertmanager::Impl::UpdateAlertGauges() {
  const int64_t now = clock->NowMs();
  int64_t active = 0, suppressed = 0;
  for (const auto& [fp, a] : store.alerts()) {
    if (a.ResolvedAt(now)) continue;
    const bool muted = inhibitor->InhibitedBy(a.labels, store, now).has_value() ||
                       !silences->MutedBy(a.labels, now).empty();
    (muted ? suppressed : active)++;
  }
  alerts_active->Set(static_cast<double>(active));
  alerts_suppressed->Set(static_cast<double>(suppressed));
  gauges_dirty = false;
}

Result<uint64_t> Alertmanager::SnapshotState(const std::filesystem::path& dest) {
  std::lock_guard process_lock(impl_->process_mu);  // ProcessDue writes these files too
  impl_->Snapshot(/*force=*/true);
  impl_->WriteEscalations();
  return CopyStateTree(impl_->opts.state_dir, dest);
}

void Alertmanager::Impl::Snapshot(bool force) {
  std::vector<std::string> store_records, nflog_records;
  bool write_store = false, write_nflog = false;
  {
    std::lock_guard lock(mu);
    if (!store_dirty && !nflog_dirty) return;
    if (!force && SteadyMs() - last_snapshot_steady_ms < kSnapshotCoalesceMs) return;
    if (store_dirty) store_records = store.EncodeSnapshot();
    if (nflog_dirty) nflog_records = nflog.EncodeSnapshot();
    write_store = store_dirty;
    write_nflog = nflog_dirty;
    store_dirty = nflog_dirty = false;
  }
  last_snapshot_steady_ms = SteadyMs();
  Status s1 =
      write_store ? AlertStore::WriteSnapshotFile(StorePath(opts), store_records) : Status::Ok();
  Status s2 = write_nflog ? NotificationLog::WriteSnapshotFile(NflogPath(opts), nflog_records)
                          : Status::Ok();
  if (!s1.ok() || !s2.ok()) {
    PW_LOG_ERROR("alertmanager: snapshot failed", "err={}",
                 LogQuote(!s1.ok() ? s1.ToString() : s2.ToString()));
    std::lock_guard lock(mu);
    store_dirty |= !s1.ok();
    nflog_dirty |= !s2.ok();
  }
}

int64_t Alertmanager::Impl::ProcessDue() {
  std::lock_guard process_lock(process_mu);
  const int64_t now = clock->NowMs();
  std::vector<QueuedNotification> out;
  bool gc_silences = false;
  std::vector<uint64_t> stale_acks;
  {
    std::lock_guard lock(mu);
    if (acks->size() > 0) {
      stale_acks = acks->Stale([this](uint64_t fp) { return store.Get(fp); }, now);
    }
    if (now >= next_gc_ms) {
      for (const auto& [fp, a] : store.alerts()) history->Observe(a, now);  // resolved by timeout
      if (!store.GarbageCollect(now).empty()) store_dirty = true;
      next_gc_ms = now + std::max<int64_t>(opts.gc_interval_ms, 1);
      gauges_dirty = true;
    }
    if (now >= next_nflog_gc_ms) {
      if (nflog.GarbageCollect(now) > 0) nflog_dirty = true;
      gc_silences = true;  // below, outside mu: it writes its file
      next_nflog_gc_ms = now + kNflogMaintenanceIntervalMs;
    }
    if (now >= next_cleanup_ms) {
      dispatcher->RemoveEmptyGroups();
      next_cleanup_ms = now + kGroupCleanupIntervalMs;
      gauges_dirty = true;
    }
    // Silences change state with time alone: recount when one started, ended or was
    // collected, or when the API changed them.
    if (silences->version() != silences_version_seen || now >= next_silence_change_ms) {
      silences_version_seen = silences->version();
      const Silences::Counts c = silences->CountAt(now);
      silences_active->Set(static_cast<double>(c.active));
      silences_pending->Set(static_cast<double>(c.pending));
      silences_expired->Set(static_cast<double>(c.expired));
      next_silence_change_ms = c.next_change_ms;
      gauges_dirty = true;
    }
    for (const FlushBatch& batch : dispatcher->TakeDue(now)) {
      RunPipeline(batch, out);
      // The notifications are in the queue (below) before anything else can observe
      // this flush, so the flush counts as successful.
      dispatcher->FlushSucceeded(batch, now);
    }
    RunEscalations(now, out);
    // Counting inhibited alerts scans the store per alert: at most every 5 s.
    if (gauges_dirty && (!opts.start_threads || SteadyMs() - last_gauges_steady_ms >= 5000)) {
      UpdateAlertGauges();
      last_gauges_steady_ms = SteadyMs();
    }
  }

  QueueNotifications(out);
  // The steps just sent (and chains started or ended) are recorded at once, after the
  // notifications are in the queue: a crash in between repeats a step rather than losing it.
  WriteEscalations();

  if (gc_silences) silences->GarbageCollect(now);
  if (!stale_acks.empty()) {
    if (Status s = acks->RemoveAll(stale_acks); !s.ok()) {
      PW_LOG_WARN("alertmanager: dropping stale acknowledgements failed", "err={}",
                  LogQuote(s.ToString()));
    }
  }
  Snapshot(/*force=*/!opts.start_threads);
  if (Status s = queue->MaybeCompact(); !s.ok()) {
    PW_LOG_WARN("alertmanager: queue compaction failed", "err={}", LogQuote(s.ToString()));
  }

  int64_t next = INT64_MAX;
  std::vector<DeliveryWorker*> ws;
  {
    std::lock_guard lock(mu);
    next = dispatcher->NextDeadline();
    if (escalations.size() > 0) next = std::min(next, escalations.NextDeadline(*config));
    // Maintenance counts only when it has something to do.
    bool any_resolved = false;
    for (const auto& [fp, a] : store.alerts()) any_resolved |= a.ends_at_ms != 0;
    if (any_resolved) next = std::min(next, next_gc_ms);
    if (nflog.size() > 0) next = std::min(next, next_nflog_gc_ms);
    for (const auto& [id, g] : dispatcher->groups()) {
      if (g->alerts.empty()) next = std::min(next, next_cleanup_ms);
    }
    if (store_dirty || nflog_dirty) next = std::min(next, now + kSnapshotCoalesceMs);
    for (auto& [key, w] : workers) ws.push_back(w.get());
  }
  if (!opts.start_threads) {
    for (DeliveryWorker* w : ws) next = std::min(next, w->RunDue());
  }
  return next;
}

Result<Acknowledgement> Alertmanager::Impl::Acknowledge(uint64_t fingerprint, std::string by,
                                                       std::string comment, int64_t until_ms) {
  Acknowledgement ack;
  Alert alert;
  {
    std::lock_guard lock(mu);
    const int64_t now = clock->NowMs();
    const Alert* a = store.Get(fingerprint);
    if (a == nullptr || a->ResolvedAt(now)) return NotFound("alert not found");
    alert = *a;
    ack.fingerprint = fingerprint;
    ack.alert_starts_at_ms = a->starts_at_ms;
    ack.acknowledged_by = std::move(by);
    ack.acknowledged_at_ms = now;
    ack.comment = std::move(comment);
    ack.until_ms = until_ms;
  }
  PW_RETURN_IF_ERROR(acks->Set(ack));
  history->Acknowledged(ack.fingerprint, ack.alert_starts_at_ms, ack.acknowledged_at_ms);
  acknowledgements_total->Inc();
  OnAcknowledged(ack, alert);
  return ack;
}

Status Alertmanager::Impl::Unacknowledge(uint64_t fingerprint) {
  {
    std::lock_guard lock(mu);
    if (store.Get(fingerprint) == nullptr) return NotFound("alert not found");
  }
  Status s = acks->Remove(fingerprint);
  if (s.code() == StatusCode::kNotFound) return NotFound("alert not acknowledged");
  if (s.ok()) Wake();  // repeats resume at the group's next flush
  return s;
}

std::optional<Acknowledgement> Alertmanager::Impl::AcknowledgementAt(uint64_t fingerprint,
                                                                     int64_t now_ms) const {
  std::lock_guard lock(mu);
  const Alert* a = store.Get(fingerprint);
  if (a == nullptr) return std::nullopt;
  return acks->InForce(*a, now_ms);
}

void Alertmanager::Impl::QueueNotifications(std::vector<QueuedNotification>& out) {
  if (out.empty()) return;
  if (Status s = queue->Append(out); !s.ok()) {
    PW_LOG_ERROR("alertmanager: persisting notifications failed; delivering from memory",
                 "err={}", LogQuote(s.ToString()));
  }
  std::lock_guard lock(mu);
  for (QueuedNotification& n : out) {
    if (DeliveryWorker* w = FindWorker(n.receiver, n.integration_index)) {
      w->Enqueue(std::move(n));
    } else {
      (void)queue->Remove(n.id);
    }
  }
  // Beyond the limit the oldest notifications are dropped.
  if (queue->size() > opts.max_queued_notifications) {
    PW_LOG_WARN("alertmanager: notification queue full, dropping the oldest", "limit={}",
                opts.max_queued_notifications);
    while (queue->size() > opts.max_queued_notifications) {
      DeliveryWorker* oldest = nullptr;
      uint64_t oldest_id = UINT64_MAX;
      for (auto& [key, w] : workers) {
        uint64_t id = w->OldestId();
        if (id < oldest_id) {
          oldest_id = id;
          oldest = w.get();
        }
      }
      if (oldest == nullptr || !oldest->DropOldest()) break;
    }
  }
}

void Alertmanager::Impl::OnAcknowledged(const Acknowledgement& ack, const Alert& alert) {
  // Receivers that can be told hook in here (docs/alerting.md, "Acknowledgement"): PagerDuty,
  // once every firing alert of a group it was notified of is acknowledged, and Slack, a
  // message per acknowledged alert; the route's receiver's integrations and those of the
  // receivers the group's escalation steps notified.
  PW_LOG_INFO("alert acknowledged", "fingerprint={} alertname={} by={}",
              FingerprintHex(ack.fingerprint), LogQuote(GetLabel(alert.labels, "alertname")),
              LogQuote(ack.acknowledged_by));
  std::vector<QueuedNotification> out;
  {
    std::lock_guard lock(mu);
    const int64_t now = clock->NowMs();
    for (const auto& group_entry : dispatcher->groups()) {
      const auto& g = group_entry.second;  // captured below: no structured binding (clang 14)
      if (g->alerts.find(ack.fingerprint) == g->alerts.end()) continue;
      std::vector<Alert> firing;
      bool all_acknowledged = true;
      const Alert* acked = nullptr;
      for (const auto& [fp, a] : g->alerts) {
        if (a.ResolvedAt(now)) continue;
        firing.push_back(a);
        if (fp == ack.fingerprint) acked = &a;
        if (!acks->InForce(a, now)) all_acknowledged = false;
      }
      if (firing.empty() || acked == nullptr) continue;
      // The route's receiver, when its notification went out (the nflog), and the receivers
      // escalation steps of this group's chains notified (escalation.h).
      std::vector<std::pair<const Receiver*, bool>> targets;  // (receiver, check the nflog)
      if (const Receiver* r = config->FindReceiver(g->route->receiver)) targets.emplace_back(r, true);
      std::set<std::string> stepped;
      escalations.ForEachInGroup(g->key, [&](const EscalationEntry& e) {
        for (const std::string& r : EscalationNotified(e, config->FindEscalation(e.policy))) {
          if (r != g->route->receiver) stepped.insert(r);
        }
      });
      for (const std::string& name : stepped) {
        if (const Receiver* r = config->FindReceiver(name)) targets.emplace_back(r, false);
      }
      for (const auto& [receiver, check_nflog] : targets) {
        for (uint32_t i : IntegrationIndexes(*receiver)) {
          const std::string_view type = IntegrationType(i);
          // PagerDuty: the incident is the group's, acknowledged once all of it is. Slack: a
          // message per acknowledged alert, in the channel that was told of it.
          if (type != "slack" && (type != "pagerduty" || !all_acknowledged)) continue;
          // Only what the integration was told about (its notification went out).
          if (check_nflog) {
            const NflogEntry* e =
                nflog.Query(NflogKey(g->key, receiver->name, std::string(type), IntegrationPosition(i)));
            if (e == nullptr || e->firing.empty()) continue;
          }
          NotificationContext ctx{receiver->name, g->key, g->labels, external_url, now};
          auto body = type == "pagerduty" ? BuildPagerdutyAcknowledge(*config, *receiver, i, ctx, firing)
                                          : BuildSlackAcknowledge(*config, *receiver, i, ctx, firing, *acked, ack);
          if (!body.ok()) {
            PW_LOG_ERROR("Notify for alerts failed", "receiver={} integration={}[{}] err={}",
                         LogQuote(receiver->name), type, IntegrationPosition(i), LogQuote(body.status().message()));
            continue;
          }
          QueuedNotification n;
          n.receiver = receiver->name;
          n.integration_index = i;
          n.created_ms = now;
          n.group_key = g->key;
          n.body = std::move(body).value();
          out.push_back(std::move(n));
        }
      }
    }
  }
  QueueNotifications(out);
}

void Alertmanager::Impl::DispatcherLoop() {
  while (!stop_thread.load()) {
    const int64_t next = ProcessDue();
    const int64_t wait =
        std::clamp<int64_t>(next == INT64_MAX ? 1000 : next - clock->NowMs(), 1, 1000);
    std::unique_lock lock(wake_mu);
    wake_cv.wait_for(lock, std::chrono::milliseconds(wait),
                     [this] { return wake || stop_thread.load(); });
    wake = false;
  }
}

Alertmanager::Alertmanager(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Alertmanager::~Alertmanager() { Stop(); }

Result<std::unique_ptr<Alertmanager>> Alertmanager::Open(AlertmanagerOptions opts,
                                                         AlertmanagerConfig config) {
  auto impl = std::make_unique<Impl>(std::move(opts));
  PW_RETURN_IF_ERROR(
      impl->Load().WithContext("open alertmanager state in " + impl->opts.state_dir.string()));
  {
    std::lock_guard process_lock(impl->process_mu);
    impl->InstallConfig(std::move(config));
  }
  // Notifications queued before a restart go back to their integrations.
  size_t requeued = 0, orphaned = 0;
  for (QueuedNotification& n : impl->queue->Live()) {
    std::lock_guard lock(impl->mu);
    if (DeliveryWorker* w = impl->FindWorker(n.receiver, n.integration_index)) {
      w->Enqueue(std::move(n));
      ++requeued;
    } else {
      (void)impl->queue->Remove(n.id);
      ++orphaned;
    }
  }
  if (requeued + orphaned > 0) {
    PW_LOG_INFO("alertmanager: queued notifications restored",
                "pending={} dropped_unknown_receiver={}", requeued, orphaned);
  }
  return std::unique_ptr<Alertmanager>(new Alertmanager(std::move(impl)));
}

Status Alertmanager::Start() {
  std::lock_guard process_lock(impl_->process_mu);
  std::lock_guard lock(impl_->mu);
  if (impl_->started || impl_->stopped) return Status::Ok();
  impl_->started = true;
  if (impl_->opts.start_threads) {
    for (auto& [key, w] : impl_->workers) w->StartThread();
    impl_->dispatcher_thread = NamedThread("pw-am-dispatch", [this] { impl_->DispatcherLoop(); });
  }
  return Status::Ok();
}

void Alertmanager::Stop() {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopped) return;
    impl_->stopped = true;
  }
  impl_->stop_thread.store(true);
  impl_->Wake();
  if (impl_->dispatcher_thread.joinable()) impl_->dispatcher_thread.join();
  std::lock_guard process_lock(impl_->process_mu);
  {
    std::lock_guard lock(impl_->mu);
    for (auto& [key, w] : impl_->workers) w->Stop();
  }
  impl_->Snapshot(/*force=*/true);
  impl_->WriteEscalations();
  (void)impl_->silences->Flush();  // only when an earlier write failed
  (void)impl_->acks->Flush();
  if (Status s = impl_->queue->MaybeCompact(); !s.ok()) {
    PW_LOG_WARN("alertmanager: queue compaction failed", "err={}", LogQuote(s.ToString()));
  }
}

Status Alertmanager::ApplyConfig(AlertmanagerConfig config) {
  std::lock_guard process_lock(impl_->process_mu);
  impl_->InstallConfig(std::move(config));
  impl_->Wake();
  return Status::Ok();
}

void Alertmanager::SetExternalUrl(std::string external_url) {
  std::lock_guard lock(impl_->mu);  // every reader of external_url holds mu
  impl_->external_url = std::move(external_url);
}

void Alertmanager::PutAlerts(std::vector<Alert> alerts) {
  const int64_t now = impl_->clock->NowMs();
  int64_t resolve_timeout;
  {
    std::lock_guard lock(impl_->mu);
    resolve_timeout = impl_->config->resolve_timeout_ms;
  }
  std::vector<Alert> valid;
  valid.reserve(alerts.size());
  for (Alert& a : alerts) {
    NormalizeLabelSet(a.labels);
    NormalizeLabelSet(a.annotations);
    ApplyPostDefaults(a, now, resolve_timeout);
    (a.ends_at_ms > now ? impl_->received_firing : impl_->received_resolved)->Inc();
    if (std::string err = ValidateAlert(a); !err.empty()) {
      impl_->invalid_total->Inc();
      PW_LOG_WARN("alertmanager: dropping an invalid alert", "err={}", LogQuote(err));
      continue;
    }
    valid.push_back(std::move(a));
  }
  impl_->Put(std::move(valid), now);
}

void Alertmanager::RegisterRoutes(http::Router& router) {
  RegisterAlertmanagerApi(*impl_, router);
  RegisterSilenceApi(*impl_, router);
  RegisterAckApi(*impl_, router);
}

std::optional<Acknowledgement> Alertmanager::AcknowledgementOf(const LabelSet& labels) const {
  return impl_->AcknowledgementAt(Fingerprint(labels), impl_->clock->NowMs());
}

std::optional<EscalationView> Alertmanager::EscalationOf(const LabelSet& labels) const {
  std::lock_guard lock(impl_->mu);
  if (impl_->escalations.size() == 0) return std::nullopt;
  return impl_->escalations.ViewOf(Fingerprint(labels), *impl_->config);
}

int64_t Alertmanager::ProcessDue() { return impl_->ProcessDue(); }

std::vector<AlertEpisode> Alertmanager::AlertEpisodes(int64_t from_ms, int64_t to_ms) const {
  return impl_->history->Episodes(from_ms, to_ms);
}

}  // namespace perfwatch::alert
