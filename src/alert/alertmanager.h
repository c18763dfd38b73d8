#pragma once
// The notification pipeline, Alertmanager 0.25's semantics in-process: an alert store
// (merge by fingerprint, resolve_timeout, garbage collection of resolved alerts), the
// dispatcher (routing tree, aggregation groups keyed by route and group labels,
// group_wait / group_interval / repeat_interval), inhibition, deduplication against a
// notification log (Alertmanager's nflog: notify on new firing alerts, on resolution when
// send_resolved, and otherwise only once repeat_interval has passed), and delivery to the
// receivers' integrations (webhook payload version 4) with retries, exponential backoff
// with jitter and a per-attempt timeout. Each integration delivers on its own, so a slow
// or dead receiver never delays another.
//
// Persistence under state_dir: the silences and acknowledgements (written before the API
// answers), the alert
// store, the notification log and the queue of
// notifications not yet delivered survive a restart and kill -9 (a notification is
// written to the queue's log before it is attempted, and removed once delivered or given
// up on), so a receiver that is down gets everything once it is back.
// File formats: docs/format/alertmanager-state.md.
//
// HTTP (RegisterRoutes): Alertmanager's API v2 for alerts:
//   POST /api/v2/alerts            (a JSON array of postableAlert; 200 with an empty body;
//                                   as Alertmanager 0.25: an invalid alert -> 400 with a JSON
//                                   string, an unparsable body -> 400 {"code":400,...}, an
//                                   empty body or missing labels -> 422 {"code":602,...})
//   GET  /api/v2/alerts            (filter=, active, silenced, inhibited, unprocessed, receiver)
//   GET  /api/v2/alerts/groups     (same filters)
//   GET  /api/v2/status, GET /api/v2/receivers
//   POST /api/v2/silences, GET /api/v2/silences, GET|DELETE /api/v2/silence/{id}
//                                  (silences.h: Alertmanager 0.25's answers; a silenced
//                                   alert is dropped from notifications after inhibition,
//                                   and listed with status.state "suppressed" and silencedBy)
//   POST|DELETE /api/v1/alerts/{fingerprint}/ack
//                                  (perfwatch's acknowledgement, acks.h and am_ack_api.cc: an
//                                   acknowledged firing alert gets no repeat notifications
//                                   until it resolves or fires again; listed with an extra
//                                   status.acknowledgement object)
//   Escalation policies (escalation.h, RunEscalations): further receivers notified while
//   a firing alert stays unacknowledged; listed with status.escalation, counted by
//   perfwatch_alert_escalations_total{policy}, persisted in escalations.snap.
// Own metrics use Alertmanager's names: alertmanager_notifications_total{integration},
// alertmanager_notifications_failed_total{integration,reason},
// alertmanager_notification_requests_total / _failed_total{integration},
// alertmanager_notification_latency_seconds{integration}, alertmanager_alerts{state},
// alertmanager_alerts_received_total{status,version}, alertmanager_alerts_invalid_total,
// alertmanager_silences{state}, perfwatch_alert_acknowledgements_total,
// plus perfwatch_alert_notifications_queued{receiver,integration}.
//
// Time: every decision reads the injected Clock. With start_threads = false nothing runs
// in the background and tests call ProcessDue() after moving a FakeClock.
//
// Thread safety: thread-safe; PutAlerts and the HTTP handlers may be called from any thread.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "alert/acks.h"
#include "alert/alert_history.h"
#include "alert/alert.h"
#include "alert/am_config.h"
#include "alert/escalation.h"
#include "common/metrics.h"
#include "common/status.h"
#include "http/router.h"

namespace perfwatch::alert {

struct AlertmanagerOptions {
  std::filesystem::path state_dir;         // created if missing
  std::string external_url;                // externalURL in payloads ("http://host:9797")
  const Clock* clock = nullptr;            // null: SystemClock
  MetricsRegistry* metrics = nullptr;      // null: a private registry
  bool start_threads = true;               // false: tests drive ProcessDue()
  int64_t max_retry_backoff_ms = 60'000;   // cap of the exponential backoff between attempts
  int64_t first_retry_backoff_ms = 100;
  int64_t give_up_after_ms = 24 * 3600'000;  // a notification still failing after this is dropped (counted)
  int64_t gc_interval_ms = 30 * 60'000;    // resolved alerts are dropped this long after resolving
  int64_t silence_retention_ms = 120LL * 3600'000;  // expired silences kept this long (--data.retention)
  size_t max_queued_notifications = 100'000;  // beyond: the oldest are dropped (counted)
};

class Alertmanager final : public AlertSink {
 public:
  // Loads the persisted state and applies `config`.
  static Result<std::unique_ptr<Alertmanager>> Open(AlertmanagerOptions opts, AlertmanagerConfig config);
  ~Alertmanager() override;  // Stop()
  Alertmanager(const Alertmanager&) = delete;
  Alertmanager& operator=(const Alertmanager&) = delete;

  // Starts the dispatcher and delivery threads; notifications queued before a restart
  // are delivered again. Stop() ends them and persists the state; idempotent.
  Status Start();
  void Stop();

  // Replaces the configuration (reload): aggregation groups are rebuilt from the alerts
  // in the store, as Alertmanager does on reload; the notification log is kept.
  Status ApplyConfig(AlertmanagerConfig config);
  // Replaces options.external_url (reload of `external_url`): the externalURL of every
  // notification built from now on, queued ones keep theirs.
  void SetExternalUrl(std::string external_url);

  // For a data snapshot (POST /api/v1/admin/snapshot): writes the alert store, the
  // notification log and the escalations now, then copies state_dir into `dest`, between
  // two rounds of the dispatcher (so the copy is one moment's state). Returns bytes copied.
  Result<uint64_t> SnapshotState(const std::filesystem::path& dest);

  // AlertSink: see alert.h.
  void PutAlerts(std::vector<Alert> alerts) override;

  void RegisterRoutes(http::Router& router);

  // The acknowledgement in force now for the alert with these labels (as sent to the
  // pipeline, external labels included), if any. For GET /api/v1/alerts.
  std::optional<Acknowledgement> AcknowledgementOf(const LabelSet& labels) const;
  // The escalation chain of the alert with these labels (escalation.h), if any. For
  // GET /api/v1/alerts.
  std::optional<EscalationView> EscalationOf(const LabelSet& labels) const;

  // Alert episodes that started in [from_ms, to_ms] (alert_history.h), for reports.
  std::vector<AlertEpisode> AlertEpisodes(int64_t from_ms, int64_t to_ms) const;

  // Runs every timer and delivery attempt due at the clock's now; returns the next
  // deadline (ms, INT64_MAX when none). For tests with start_threads = false.
  int64_t ProcessDue();

  struct Impl;

 private:
  explicit Alertmanager(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace perfwatch::alert
