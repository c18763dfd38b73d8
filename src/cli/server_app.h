#pragma once
// The assembled perfwatch server: event store, time-series store, RUM and remote-write
// ingest, scraping (scrape_configs and the self-scrape), query handlers and the HTTP
// server, started and stopped in dependency order. `serve` and `demo` run one of these.
// Start order: stores, ingest, HTTP server, then scraping (the self-scrape needs the bound
// port); Stop reverses it, so scraping ends (writing its stale markers) while the TSDB is open.
// Thread safety: Start/Stop from one controlling thread.
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>

#include "alert/alertmanager.h"
#include "alert/backend_querier.h"
#include "alert/rule_manager.h"
#include "alert/rule_querier.h"
#include "alert/slo_api.h"
#include "cli/snapshot.h"
#include "cli/stream_events.h"
#include "analysis/changepoint_api.h"
#include "analysis/health.h"
#include "analysis/leak_watch.h"
#include "analysis/vital_recorder.h"
#include "analysis/watch.h"
#include "common/config.h"
#include "common/metrics.h"
#include "common/status.h"
#include "http/auth.h"
#include "http/event_stream.h"
#include "http/admission.h"
#include "http/rate_limit.h"
#include "budget/run_store.h"
#include "events/deploy_store.h"
#include "events/error_store.h"
#include "events/event_store.h"
#include "events/span_store.h"
#include "http/server.h"
#include "ingest/errors/error_recorder.h"
#include "ingest/metadata_store.h"
#include "ingest/otlp/metrics_mapping.h"
#include "ingest/otlp/otlp_handler.h"
#include "ingest/otlp/span_metrics.h"
#include "ingest/remote_write/remote_write_handler.h"
#include "ingest/rum/rum_handler.h"
#include "ingest/scrape/scrape_manager.h"
#include "query/promql_cache.h"
#include "query/promql_engine.h"
#include "remote/queue_manager.h"
#include "clickhouse/event_reader.h"
#include "clickhouse/forwarder.h"
#include "clickhouse/error_reader.h"
#include "clickhouse/span_reader.h"
#include "report/report.h"
#include "report/report_schedule.h"
#include "synthetic/scheduler.h"
#include "synthetic/status_page.h"
#include "tsdb/tsdb.h"

namespace perfwatch::cli {

class ServerApp {
 public:
  explicit ServerApp(Config config);
  ~ServerApp();

  // Opens the store (replaying its logs), registers every route and starts listening.
  Status Start();
  // Stops accepting, drains, fsyncs the store. Idempotent.
  void Stop();
  uint16_t port() const;
  MetricsRegistry& metrics() { return metrics_; }
  // Re-reads the config file and applies it (SIGHUP, POST /-/reload; docs/operations.md
  // "Reloading"): rule files, `alerting:`, `alerts:`, `scrape_configs:`/`scrape:` (the
  // self-scrape too), `synthetic:`, `remote_write:`, `auth.tokens` (token files re-read),
  // `log_level` (unless --log-level was given), `external_url`, `reports:`, `query:`
  // (cache_max_bytes resizes the cache), `rum:` (parsing, CORS, the series caps, the rate
  // limit, the percentile writer, journey_timeout) and the continuous watches' keys of
  // `analysis:` (common/config_reload.h).
  // All or nothing: everything is parsed and prepared first; on any error nothing changes
  // and the error is returned. Restart-only keys (common/config_reload.h) keep their
  // running values; a reload that changes one logs a warning naming them and applies the
  // rest. Turning authentication on or off fails the reload.
  // With http.tls it first re-reads the certificate, key and client CA (docs/tls.md); if
  // that fails the reload stops there with the error and the old certificate stays.
  Status Reload();
  // --log-level was given on the command line (cli/serve.h ServeFlags::log_level set): it
  // keeps precedence over the file's log_level on every reload. Call before Start.
  void set_log_level_from_flag(bool from_flag) { log_level_from_flag_ = from_flag; }

 private:
  void RegisterRoutes(http::Router& router);
  std::string BackendsJson() const;  // GET /api/v1/status/backends' data
  // events.backend: clickhouse: a forwarder of `source` into ClickHouse, started.
  Status StartClickHouseForwarder(const clickhouse::ClickHouseConfig& config,
                                  std::unique_ptr<clickhouse::ForwardSource> source);
  // How each part of the data directory goes into a snapshot (cli/snapshot.h).
  std::vector<SnapshotPart> SnapshotParts();
  // Starts the otlp.listen server (no-op when it is ""), with the main server's guards.
  Status StartOtlpListener(const std::vector<std::shared_ptr<http::RequestGuard>>& guards);
  Status StartScraping();
  // The scrape targets of `config`'s scrape_configs and scrape sections, with the
  // self-scrape of the bound port (after server_ started) when scrape.self_scrape.
  std::vector<ingest::ScrapeTarget> ScrapeTargetsOf(const Config& config) const;
  // `am_config` and `rules` were read (and checked) before any store was opened.
  Status StartAlerting(alert::AlertmanagerConfig am_config, const std::vector<alert::RuleGroupSpec>& rules);
  // query.backend: builds query_backend_ and warns which features stay local
  // (server_app_query_backend.cc).
  Status StartQueryBackend();
  // Reload's work under reload_mu_; `applied_text` gets the text of the file it applied.
  Status ReloadLocked(std::optional<std::string>* applied_text);
  // What reports read (report/report.h): GET /api/v1/report and the scheduled reports.
  report::ReportSources ReportSourcesOf() const;
  // Firing alerts for the public status pages (synthetic/status_page.h).
  std::vector<synthetic::Incident> FiringIncidents() const;
  // GET /api/v1/status/{config,runtimeinfo,flags} (cli/status_api.h).
  void RegisterStatusRoutes(http::Router& router);
  // perfwatch_config_last_reload_successful and _success_timestamp_seconds (/metrics).
  void AppendReloadMetrics(std::string& out) const;

  // The running configuration. A reload replaces the parts it applies (scrape,
  // scrape_configs, auth.tokens, log_level, rules.external_url, reports, query, rum,
  // analysis' watch keys; written under status_mu_
  // on the reload thread, read there or under status_mu_); the restart-only parts, which
  // other threads read, never change after Start.
  Config config_;
  std::shared_ptr<http::AuthGuard> auth_guard_;  // null: authentication off (reloads swap its tokens)
  std::shared_ptr<http::ClientRateLimitGuard> rate_limit_guard_;  // rum.rate_limit_*: reloads set its rate
  std::shared_ptr<http::AdmissionGuard> admission_guard_;  // http.max_inflight_*: reloads set its limits
  http::AuthToken self_scrape_token_;            // kept in the token list across reloads
  std::string self_scrape_authorization_;  // Authorization header of the self-scrape ("" without auth)
  MetricsRegistry metrics_;
  std::unique_ptr<events::EventStore> store_;
  std::unique_ptr<events::SpanStore> span_store_;  // spans for drill-down (the traces sink)
  std::unique_ptr<events::DeployStore> deploy_store_;  // deploy markers (data_dir/deploys)
  std::unique_ptr<budget::RunStore> budget_runs_;      // budget check runs (data_dir/budget-runs)
  std::unique_ptr<synthetic::Scheduler> synthetic_;   // synthetic checks (data_dir/checks; after tsdb_ and rum_)
  std::unique_ptr<ingest::RumAggregator> rum_aggregator_;
  std::unique_ptr<ingest::RumExtraAggregator> rum_extra_aggregator_;  // measures, journeys, resources
  std::unique_ptr<ingest::RumHandler> rum_;
  std::unique_ptr<tsdb::Tsdb> tsdb_;
  std::unique_ptr<remote::RemoteWriteForwarder> remote_forwarder_;  // remote_write: reads tsdb_'s WAL
  // events.backend: clickhouse (docs/format/clickhouse.md): forwards store_'s events; the
  // event APIs read clickhouse_reader_ (every instance's events) instead of store_.
  std::shared_ptr<const clickhouse::Client> clickhouse_client_;
  std::vector<std::unique_ptr<clickhouse::Forwarder>> clickhouse_forwarders_;  // events, spans, errors
  std::unique_ptr<clickhouse::EventReader> clickhouse_reader_;
  std::unique_ptr<clickhouse::SpanReader> clickhouse_spans_;  // GET /api/v1/traces from ClickHouse
  std::unique_ptr<clickhouse::ErrorReader> clickhouse_errors_;  // GET /api/v1/errors from ClickHouse
  // What the event, span and error readers (APIs, reports, deploy impact) read: ClickHouse
  // with events.backend: clickhouse, else the local stores.
  const events::EventReader* EventsToRead() const;
  const events::SpanReader* SpansToRead() const;
  const events::ErrorReader* ErrorsToRead() const;
  std::unique_ptr<analysis::VitalRecorder> vital_recorder_;  // rum_vital_percentile (after tsdb_)
  std::unique_ptr<analysis::HealthService> health_;  // GET /api/v1/health, perfwatch_health_score (after rules_)
  std::unique_ptr<ingest::RemoteWriteHandler> remote_write_;
  std::unique_ptr<ingest::MetadataStore> metadata_;
  std::unique_ptr<ingest::ScrapeManager> scrape_;
  std::unique_ptr<http::EventHub> stream_hub_;  // GET /api/v1/stream
  std::atomic<ingest::ScrapeManager*> scrape_view_{nullptr};  // scrape_ for GET /api/v1/targets, once started
  std::unique_ptr<query::promql::Queryable> queryable_;  // the TSDB, or query.backend's samples
  std::unique_ptr<query::promql::Engine> engine_;
  std::unique_ptr<analysis::Watcher> watcher_;  // continuous watches: /api/v1/regressions (after engine_)
  std::unique_ptr<analysis::LeakWatcher> leak_watcher_;  // memory leaks: /api/v1/leaks (after engine_)
  analysis::ChangepointDefaults changepoint_defaults_;  // analysis.changepoint: /api/v1/analysis/changepoints
  std::unique_ptr<query::QueryCache> query_cache_;
  std::unique_ptr<alert::Alertmanager> alertmanager_;
  std::unique_ptr<SnapshotService> snapshots_;  // POST /api/v1/admin/snapshot (after every store)
  std::unique_ptr<AlertStreamSink> alert_stream_;  // rules -> alertmanager_, telling open streams
  // query.backend (docs/scale-out.md): the PromQL API, rules and analysis read from it; null: local.
  std::unique_ptr<alert::QueryBackendClient> query_backend_;
  std::unique_ptr<alert::RuleQuerier> rule_querier_;  // the engine's, or query_backend_'s
  std::unique_ptr<alert::RuleManager> rules_;
  alert::SloCatalog slos_;  // alerts.slo, for GET /api/v1/slos (replaced on reload)
  bool log_level_from_flag_ = false;  // set before Start (set_log_level_from_flag)
  std::mutex reload_mu_;  // serialises Reload
  bool stopping_ = false;  // guarded by reload_mu_: set by Stop, after which Reload refuses
  int64_t start_time_ms_ = 0;
  mutable std::mutex status_mu_;  // guards the three below (the status API reads them)
  std::optional<std::string> reloaded_text_;  // the file the last successful reload applied
  bool reload_success_ = true;
  int64_t last_config_time_ms_ = 0;
  std::unique_ptr<http::Server> server_;
  // OTLP/HTTP (docs/otlp.md "Receiver"): the receiver (on server_'s router) and, with
  // otlp.listen, a second server with only its routes. Both stop before the stores.
  std::unique_ptr<ingest::otlp::OtlpReceiver> otlp_;
  std::unique_ptr<ingest::otlp::SpanMetrics> span_metrics_;         // the traces sink
  std::unique_ptr<ingest::otlp::OtlpMetricsWriter> otlp_metrics_;  // the metrics sink
  // Errors grouped (docs/errors.md): the store and what feeds it (RUM, traces, logs).
  std::unique_ptr<events::ErrorStore> error_store_;
  std::unique_ptr<ingest::errors::ErrorRecorder> error_recorder_;
  std::unique_ptr<http::Server> otlp_server_;
  std::unique_ptr<report::ReportScheduler> report_scheduler_;  // `reports:` (docs/reports.md)
  std::atomic<bool> ready_{false};
};

}  // namespace perfwatch::cli
