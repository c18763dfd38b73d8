#pragma once
// The Alertmanager's internals, shared by alertmanager.cc (lifecycle, timers, the
// notification pipeline, persistence) and am_api.cc (the /api/v2 handlers). Private to
// src/alert/.
//
// Threads: with start_threads, one dispatcher thread runs ProcessDue (group timers,
// maintenance, snapshots) and each integration has a DeliveryWorker thread. HTTP handler
// threads and the rule evaluator call PutAlerts and the GET handlers.
// Locks: process_mu serialises ProcessDue, ApplyConfig and Stop; mu guards the pipeline
// state below it. Order: process_mu, then mu, then a worker's mutex, then the queue's.
// The queue fsync runs outside mu so PutAlerts never waits for the disk.
#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "alert/acks.h"
#include "alert/alert_history.h"
#include "alert/alert_store.h"
#include "alert/alertmanager.h"
#include "alert/delivery.h"
#include "alert/dispatcher.h"
#include "alert/escalation.h"
#include "alert/inhibitor.h"
#include "alert/nflog.h"
#include "alert/notify_queue.h"
#include "alert/silences.h"

namespace perfwatch::alert {

inline constexpr int64_t kGroupCleanupIntervalMs = 30'000;  // dispatcher's empty-group sweep
inline constexpr int64_t kNflogMaintenanceIntervalMs = 15 * 60'000;
inline constexpr int64_t kSnapshotCoalesceMs = 100;

struct Alertmanager::Impl {
  explicit Impl(AlertmanagerOptions options);

  // Lifecycle and pipeline (alertmanager.cc).
  Status Load();
  void InstallConfig(AlertmanagerConfig config);        // holds process_mu and mu
  void Put(std::vector<Alert> alerts, int64_t now_ms);  // defaults applied, valid alerts
  int64_t ProcessDue();
  void DispatcherLoop();
  void Wake();
  // Runs one flush through inhibition, dedup and the integrations; appends the
  // notifications to send to `out`. Holds mu.
  void RunPipeline(const FlushBatch& batch, std::vector<QueuedNotification>& out);
  // Persists `out` in the queue (logged, delivered from memory on failure), hands each to
  // its integration's worker and drops the oldest beyond max_queued_notifications. Takes mu.
  void QueueNotifications(std::vector<QueuedNotification>& out);
  // Builds integration `i` of `receiver`'s body for `alerts` and appends it to `out`;
  // false (counted and logged as Alertmanager does) when the body cannot be built.
  bool QueueIntegration(const Receiver& receiver, uint32_t i, const NotificationContext& ctx,
                        const std::vector<Alert>& alerts, int64_t now_ms, std::vector<QueuedNotification>& out);
  // Escalation (escalation.h): advances every firing alert of the groups whose route has
  // an escalation policy and appends the notifications of the steps due to `out`
  // (firing alerts only, the step's receivers' integrations, the webhook payload marked
  // with "escalation"). Returns how many (group, policy, step) batches went out. Holds mu.
  size_t RunEscalations(int64_t now_ms, std::vector<QueuedNotification>& out);
  // The resolution of chains that ended (`ended`, from the sweep) whose alert resolved:
  // each receiver a step notified (other than the route's) gets a notification of the
  // group's resolved alerts (plus its still-firing ones) on the integrations with
  // send_resolved, marked as escalation. Muted resolutions are not sent. Holds mu.
  void RunEscalationResolutions(const std::vector<EscalationEntry>& ended, int64_t now_ms,
                                std::vector<QueuedNotification>& out);
  // Writes escalations.snap when the tracker changed (takes mu; writes without it).
  void WriteEscalations();
  void Snapshot(bool force);
  void UpdateAlertGauges();                                                 // holds mu
  DeliveryWorker* FindWorker(const std::string& receiver, uint32_t index);  // holds mu

  // Acknowledgement (alertmanager.cc; acks.h). Acknowledge records an acknowledgement of
  // the alert `fingerprint` firing now (NotFound "alert not found" when unknown or not
  // firing), persists it, counts it and calls OnAcknowledged. Unacknowledge removes it
  // (NotFound when the alert is unknown or not acknowledged). Neither holds mu while
  // writing. AcknowledgementAt answers "is fingerprint X acknowledged at T" (escalation).
  Result<Acknowledgement> Acknowledge(uint64_t fingerprint, std::string by, std::string comment,
                                      int64_t until_ms);
  Status Unacknowledge(uint64_t fingerprint);
  std::optional<Acknowledgement> AcknowledgementAt(uint64_t fingerprint, int64_t now_ms) const;
  // The hook receivers use to be told of an acknowledgement (PagerDuty's "acknowledge"
  // event with the alert's dedup_key, a Slack message update): called after the
  // acknowledgement is persisted, without mu held. Today: logs, and queues PagerDuty's
  // "acknowledge" event for each group whose firing alerts are now all acknowledged, to
  // the route's receiver (when the nflog shows it was notified) and to the receivers an
  // escalation step of the group notified.
  void OnAcknowledged(const Acknowledgement& ack, const Alert& alert);
  // Drops acknowledgements no longer in force (resolved, fired again, `until` passed,
  // alert collected). Called by ProcessDue without mu.
  void SweepAcknowledgements(int64_t now_ms);

  // Immutable after Open.
  const AlertmanagerOptions opts;
  const Clock* const clock;
  std::unique_ptr<MetricsRegistry> own_metrics;
  MetricsRegistry* metrics = nullptr;
  int64_t start_time_ms = 0;
  // Guarded by mu: externalURL of the notifications built (opts.external_url at Open,
  // replaced by SetExternalUrl on reload).
  std::string external_url;
  std::unique_ptr<NotifyQueue> queue;  // thread-safe
  std::unique_ptr<Silences> silences;  // thread-safe; its lock is taken after mu
  std::unique_ptr<Acknowledgements> acks;  // thread-safe; its lock is taken after mu
  std::unique_ptr<AlertHistory> history;  // thread-safe; episodes for reports (alert_history.h)

  Counter* notifications_total = nullptr;
  Counter* received_firing = nullptr;
  Counter* received_resolved = nullptr;
  Counter* invalid_total = nullptr;
  Counter* acknowledgements_total = nullptr;
  Gauge* alerts_active = nullptr;
  Gauge* alerts_suppressed = nullptr;
  Gauge* silences_active = nullptr;
  Gauge* silences_pending = nullptr;
  Gauge* silences_expired = nullptr;
  DeliveryMetrics delivery_metrics;  // without `queued` (per worker)

  std::mutex process_mu;

  mutable std::mutex mu;
  std::shared_ptr<const AlertmanagerConfig> config;  // guarded by mu
  AlertStore store;                                  // guarded by mu
  NotificationLog nflog;                             // guarded by mu
  std::unique_ptr<Dispatcher> dispatcher;            // guarded by mu
  std::unique_ptr<Inhibitor> inhibitor;              // guarded by mu
  // Workers by (receiver, integration index); the map is guarded by mu, workers are
  // thread-safe and only destroyed under process_mu.
  std::map<std::pair<std::string, uint32_t>, std::unique_ptr<DeliveryWorker>> workers;
  EscalationTracker escalations;                     // guarded by mu
  bool store_dirty = false;             // guarded by mu
  bool nflog_dirty = false;             // guarded by mu
  bool gauges_dirty = true;             // guarded by mu
  int64_t next_cleanup_ms = 0;          // guarded by mu
  int64_t next_gc_ms = 0;               // guarded by mu
  int64_t next_nflog_gc_ms = 0;         // guarded by mu
  uint64_t silences_version_seen = UINT64_MAX;  // guarded by mu
  int64_t next_silence_change_ms = 0;   // guarded by mu
  int64_t last_snapshot_steady_ms = 0;  // guarded by process_mu
  int64_t last_gauges_steady_ms = 0;    // guarded by mu
  bool started = false;                 // guarded by mu
  bool stopped = false;                 // guarded by mu

  std::mutex wake_mu;
  std::condition_variable wake_cv;
  bool wake = false;  // guarded by wake_mu
  std::atomic<bool> stop_thread{false};
  std::thread dispatcher_thread;
};

// The API handlers (am_api.cc).
void RegisterAlertmanagerApi(Alertmanager::Impl& impl, http::Router& router);
// The silence handlers (am_silence_api.cc).
void RegisterSilenceApi(Alertmanager::Impl& impl, http::Router& router);
// The acknowledgement handlers (am_ack_api.cc).
void RegisterAckApi(Alertmanager::Impl& impl, http::Router& router);

}  // namespace perfwatch::alert
