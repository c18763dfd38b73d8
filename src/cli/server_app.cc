#include "cli/server_app.h"

#include <sys/statvfs.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "alert/alert_config.h"
#include "alert/rule_forms.h"
#include "alert/slo_api.h"
#include "alert/rules_api.h"
#include "analysis/changepoint_api.h"
#include "analysis/leak_api.h"
#include "analysis/leak_watch.h"
#include "analysis/leaks_api.h"
#include "analysis/regressions_api.h"
#include "analysis/deploys_api.h"
#include "budget/runs_api.h"
#include "analysis/network_api.h"
#include "analysis/score_api.h"
#include "analysis/journeys_api.h"
#include "analysis/attribution_api.h"
#include "analysis/vitals_series.h"
#include "analysis/vitals_handler.h"
#include "cli/api_handlers.h"
#include "cli/build_info.h"
#include "cli/config_parts.h"
#include "common/config_reload.h"
#include "cli/data_formats.h"
#include "cli/security.h"
#include "cli/stream_watch.h"
#include "cli/status_api.h"
#include "report/report_api.h"
#include "frontend/assets.h"
#include "clickhouse/vitals_query.h"
#include "remote/remote_config.h"
#include "synthetic/check_config.h"
#include "synthetic/checks_api.h"
#include "ingest/otlp/metrics_mapping.h"
#include "ingest/otlp/span_metrics.h"
#include "ingest/otlp/span_store_sink.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/json_writer.h"
#include "common/time.h"
#include "http/admission.h"
#include "ingest/metadata_api.h"
#include "ingest/scrape/scrape_api.h"
#include "query/backend_queryable.h"
#include "query/errors_api.h"
#include "query/promql_api.h"
#include "query/storage_api.h"
#include "query/traces_api.h"

#ifndef PERFWATCH_VERSION
#define PERFWATCH_VERSION "dev"
#endif

namespace perfwatch::cli {
namespace {

// The PromQL engine's options of `query:` (at start and on reload).
query::promql::EngineOptions EngineOptionsOf(const QueryConfig& q) {
  query::promql::EngineOptions options;
  options.timeout = std::chrono::milliseconds(q.timeout_ms);
  options.max_samples = q.max_samples;
  options.lookback_delta_ms = q.lookback_delta_ms;
  return options;
}

// Whether the `rum:` keys a reload applies differ (the beacon parser's and CORS).
bool RumSettingsChanged(const RumConfig& a, const RumConfig& b) {
  if (a.route_rules.size() != b.route_rules.size()) return true;
  for (size_t i = 0; i < a.route_rules.size(); ++i) {
    if (a.route_rules[i].pattern != b.route_rules[i].pattern ||
        a.route_rules[i].replacement != b.route_rules[i].replacement)
      return true;
  }
  return a.max_beacons_per_request != b.max_beacons_per_request || a.max_json_depth != b.max_json_depth ||
         a.default_app != b.default_app || a.max_timestamp_age_ms != b.max_timestamp_age_ms ||
         a.keep_query_strings != b.keep_query_strings || a.cors_allowed_origins != b.cors_allowed_origins;
}

// Whether the continuous watches' keys of `analysis:` differ (the ones a reload applies).
bool WatchesChanged(const AnalysisConfig& a, const AnalysisConfig& b) {
  if (a.watch.size() != b.watch.size()) return true;
  for (size_t i = 0; i < a.watch.size(); ++i) {
    const WatchExprConfig& x = a.watch[i];
    const WatchExprConfig& y = b.watch[i];
    if (x.name != y.name || x.expr != y.expr || x.step_ms != y.step_ms || x.direction != y.direction ||
        x.min_magnitude != y.min_magnitude)
      return true;
  }
  return a.watch_interval_ms != b.watch_interval_ms || a.watch_lookback_ms != b.watch_lookback_ms ||
         a.watch_min_views != b.watch_min_views || a.watch_max_series != b.watch_max_series;
}

// analysis.changepoint: the detector's options (the watches' and the changepoints API's defaults).
analysis::ChangepointOptions ChangepointOptionsOf(const AnalysisConfig& a) {
  return analysis::ChangepointOptions{.min_segment = a.changepoint_min_segment,
                                      .window = a.changepoint_window,
                                      .max_p_value = a.changepoint_max_p_value,
                                      .min_magnitude = a.changepoint_min_magnitude};
}

bool ChangepointChanged(const AnalysisConfig& a, const AnalysisConfig& b) {
  return a.changepoint_min_segment != b.changepoint_min_segment || a.changepoint_window != b.changepoint_window ||
         a.changepoint_max_p_value != b.changepoint_max_p_value ||
         a.changepoint_min_magnitude != b.changepoint_min_magnitude;
}

// The rule manager's reloadable options: global.evaluation_interval / rule_query_offset /
// external_labels and `rules:` but eval_threads (at start and on reload).
alert::RuleSettings RuleSettingsOf(const RulesConfig& r) {
  return alert::RuleSettings{.default_interval_ms = r.evaluation_interval_ms,
                             .default_query_offset_ms = r.query_offset_ms,
                             .resend_delay_ms = r.resend_delay_ms,
                             .external_labels = alert::LabelSet(r.external_labels.begin(), r.external_labels.end()),
                             .event_driven = r.event_driven,
                             .event_cpu_budget = r.event_cpu_budget,
                             .flap = {.threshold = r.flap_threshold,
                                      .window_ms = r.flap_window_ms,
                                      .settle_ms = r.flap_settle_ms}};
}

// `remote_write:` of `config`, each remote carrying global.external_labels (added to the
// series it forwards, as Prometheus does; a change restarts the queue from its progress).
Result<std::vector<remote::RemoteWriteConfig>> RemoteWriteConfigs(const Config& config,
                                                                  const std::filesystem::path& base_dir) {
  auto configs = remote::ParseRemoteWriteConfig(config.source_text, base_dir);
  if (!configs.ok()) return configs.status();
  for (remote::RemoteWriteConfig& c : *configs) c.external_labels = config.rules.external_labels;
  return configs;
}

}  // namespace

ServerApp::ServerApp(Config config) : config_(std::move(config)) {}

ServerApp::~ServerApp() { Stop(); }

Status ServerApp::Start() {
  start_time_ms_ = NowMs();
  last_config_time_ms_ = start_time_ms_;
  // Authentication and the secure default first: a server that must not start opens
  // nothing (docs/security.md).
  auto security = BuildSecurityGuards(config_, &metrics_);
  if (!security.ok()) return security.status();
  self_scrape_authorization_ = security->self_scrape_authorization;
  auth_guard_ = security->auth;
  self_scrape_token_ = security->self_scrape_token;
  // The alerting configuration, rule files, `alerts:` forms and `synthetic:` first
  // (cli/config_parts.h, shared with reloads and `config check`): a mistake there is
  // reported before anything is opened or replayed.
  auto parts = LoadConfigParts(config_, ConfigPartsUse::kStart);
  if (!parts.ok()) return parts.status();
  // `remote_write:` (docs/remote-write-out.md), checked before anything is opened too.
  auto remote_write_configs = RemoteWriteConfigs(config_, config_.source_path.parent_path());
  if (!remote_write_configs.ok()) return remote_write_configs.status();
  // `events.backend: clickhouse` (docs/format/clickhouse.md), checked before anything opens.
  auto clickhouse_config = clickhouse::ParseEventsBackend(config_.source_text, config_.source_path.parent_path());
  if (!clickhouse_config.ok()) return clickhouse_config.status();
  PW_RETURN_IF_ERROR(StartQueryBackend());  // query.backend (docs/scale-out.md)
  slos_.Set(parts->slos);
  // Free space of the data directory's file system, for the default disk rule.
  metrics_.AddCollector([dir = config_.data_dir](std::string& out) {
    struct statvfs fs;
    if (statvfs(dir.c_str(), &fs) != 0) return;
    out += "# HELP perfwatch_data_disk_free_bytes Bytes available to perfwatch on the data directory's file system.\n"
           "# TYPE perfwatch_data_disk_free_bytes gauge\nperfwatch_data_disk_free_bytes " +
           std::to_string(static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize) +
           "\n# HELP perfwatch_data_disk_size_bytes Size of the data directory's file system.\n"
           "# TYPE perfwatch_data_disk_size_bytes gauge\nperfwatch_data_disk_size_bytes " +
           std::to_string(static_cast<uint64_t>(fs.f_blocks) * fs.f_frsize) + "\n";
  });
  // The last reload's outcome (SIGHUP, POST /-/reload) and the build, named as Prometheus
  // names them (docs/operations.md).
  metrics_.AddCollector([this](std::string& out) { AppendReloadMetrics(out); });
  const BuildFacts& build = CurrentBuild();
  metrics_
      .GetGauge("perfwatch_build_info",
                "A metric with a constant '1' value labeled by version, revision, branch, and goversion (the "
                "C++ compiler) from which perfwatch was built.",
                {{"version", build.version}, {"revision", build.revision}, {"branch", build.branch},
                 {"goversion", build.compiler}})
      ->Set(1);

  // The data directory's format versions (docs/format/versions.md): before any store opens.
  PW_RETURN_IF_ERROR(PrepareDataFormats(config_.data_dir, &metrics_));
  const auto replay_start = std::chrono::steady_clock::now();
  auto store = events::EventStore::Open(config_.data_dir / "events", config_.events, &metrics_);
  if (!store.ok()) return store.status().WithContext("open event store");
  store_ = std::move(store).value();
  PW_RETURN_IF_ERROR(store_->Start().WithContext("start event store"));
  if (*clickhouse_config) {
    // The event log is the durable buffer: the forwarder tails it (src/clickhouse/).
    auto password = clickhouse::ResolvePassword(**clickhouse_config);
    if (!password.ok()) return password.status();
    auto client = clickhouse::Client::Create(**clickhouse_config, std::move(password).value());
    if (!client.ok()) return client.status();
    clickhouse_client_ = std::move(client).value();
    clickhouse_reader_ = std::make_unique<clickhouse::EventReader>(clickhouse_client_);
    clickhouse_spans_ = std::make_unique<clickhouse::SpanReader>(clickhouse_client_);
    clickhouse_errors_ = std::make_unique<clickhouse::ErrorReader>(clickhouse_client_);
    PW_RETURN_IF_ERROR(StartClickHouseForwarder(**clickhouse_config, clickhouse::EventsSource(store_.get())));
  }
  // Spans for drill-down (docs/otlp.md "Span store"); the event store's fsync policy.
  auto span_store = events::SpanStore::Open(
      config_.data_dir / "spans",
      events::SpanStoreOptions{.retention_ms = config_.otlp.span_retention_ms,
                               .fsync_interval_ms = config_.events.fsync_interval_ms},
      &metrics_);
  if (!span_store.ok()) return span_store.status().WithContext("open span store");
  span_store_ = std::move(span_store).value();
  PW_RETURN_IF_ERROR(span_store_->Start().WithContext("start span store"));

  tsdb::TsdbOptions tsdb_options;
  tsdb_options.dir = config_.data_dir / "tsdb";
  tsdb_options.wal_fsync_interval = std::chrono::milliseconds(config_.tsdb.wal_fsync_interval_ms);
  tsdb_options.head.limits.max_series = config_.tsdb.max_series;
  tsdb_options.head.limits.max_labels_per_series = config_.tsdb.max_labels_per_series;
  tsdb_options.head.limits.max_label_name_length = config_.tsdb.max_label_name_length;
  tsdb_options.head.limits.max_label_value_length = config_.tsdb.max_label_value_length;
  tsdb_options.head.limits.max_series_per_second = config_.tsdb.max_series_per_second;
  tsdb_options.retention_ms = config_.tsdb.retention_ms;
  tsdb_options.max_block_bytes = config_.tsdb.max_block_bytes;
  tsdb_options.wal_hold_max_bytes = config_.tsdb.wal_hold_max_bytes;
  auto tsdb = tsdb::Tsdb::Open(tsdb_options, &metrics_);
  if (!tsdb.ok()) return tsdb.status().WithContext("open time-series store");
  tsdb_ = std::move(tsdb).value();
  PW_RETURN_IF_ERROR(tsdb_->Start().WithContext("start time-series store"));
  {
    // One line with the time a restart spent recovering (the fault tests look for it).
    const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - replay_start).count();
    PW_LOG_INFO("replay finished", "seconds={:.3f} tsdb_wal_seconds={:.3f} events={} series={}", total,
                tsdb_->replay_report().seconds, store_->Stats().events, tsdb_->replay_report().series);
  }
  for (const std::string& problem : tsdb_->replay_report().problems) {
    PW_LOG_WARN("tsdb replay problem", "detail={}", LogQuote(problem));
  }
  if (!remote_write_configs->empty()) {
    // Forwarding reads the WAL the TSDB writes (it never blocks it); started once the
    // replay has repaired torn tails, stopped before the TSDB closes.
    auto forwarder = remote::RemoteWriteForwarder::Create(
        std::move(remote_write_configs).value(),
        remote::ForwarderOptions{.wal_dir = tsdb_options.dir / "wal",
                                 .state_dir = config_.data_dir / "remote_write",
                                 .user_agent = std::string("perfwatch/") + PERFWATCH_VERSION},
        &metrics_);
    if (!forwarder.ok()) return forwarder.status().WithContext("remote_write");
    remote_forwarder_ = std::move(forwarder).value();
    // Flushes keep the WAL segments a receiver has not acknowledged (tsdb.wal_hold_max_bytes).
    tsdb_->SetWalHold([f = remote_forwarder_.get()] { return f->OldestPositionNeeded(); });
    remote_forwarder_->Start();
  }
  remote_write_ = std::make_unique<ingest::RemoteWriteHandler>(config_.tsdb, tsdb_.get(), &metrics_);

  ingest::RumAggregatorOptions aggregator_options;
  aggregator_options.max_pages_per_app = config_.rum.max_pages_per_app;
  aggregator_options.max_apps = config_.rum.max_apps;
  aggregator_options.flush_interval_ms = 1000;  // coalesce: beacons must not each pay a TSDB write
  auto aggregator = ingest::RumAggregator::Create(aggregator_options, tsdb_.get(), &metrics_, NowMs());
  if (!aggregator.ok()) return aggregator.status().WithContext("rum aggregates");
  rum_aggregator_ = std::move(aggregator).value();
  rum_aggregator_->Start();
  auto rum = ingest::RumHandler::Create(config_.rum, store_.get(), &metrics_, rum_aggregator_.get());
  if (!rum.ok()) return rum.status().WithContext("rum");
  rum_ = std::move(rum).value();
  auto extra = ingest::RumExtraAggregator::Create(
      {.max_apps = config_.rum.max_apps, .max_pages_per_app = config_.rum.max_pages_per_app,
       .max_names_per_app = config_.rum.max_measure_names, .journey_timeout_ms = config_.rum.journey_timeout_ms,
       .flush_interval_ms = 1000,
       // Held (abandoned) journeys are rebuilt at start from the events and this mark.
       .event_store = store_.get(), .sweep_mark_path = config_.data_dir / "rum-journeys.json"},
      tsdb_.get(), &metrics_, NowMs());
  if (!extra.ok()) return extra.status().WithContext("rum aggregates");
  rum_extra_aggregator_ = std::move(extra).value();
  rum_extra_aggregator_->Start();
  rum_->SetExtraAggregator(rum_extra_aggregator_.get());
  // Errors grouped (docs/errors.md): RUM error beacons, span exceptions, error logs.
  auto error_store = events::ErrorStore::Open(
      config_.data_dir / "errors",
      events::ErrorStoreOptions{.retention_ms = config_.events.retention_ms,
                                .fsync_interval_ms = config_.events.fsync_interval_ms,
                                .partition_ms = config_.events.partition_ms},
      &metrics_);
  if (!error_store.ok()) return error_store.status();
  error_store_ = std::move(error_store).value();
  PW_RETURN_IF_ERROR(error_store_->Start().WithContext("start error store"));
  if (*clickhouse_config) {  // the span and error stores' logs are their durable buffers too
    PW_RETURN_IF_ERROR(StartClickHouseForwarder(**clickhouse_config, clickhouse::SpansSource(span_store_.get())));
    PW_RETURN_IF_ERROR(StartClickHouseForwarder(**clickhouse_config, clickhouse::ErrorsSource(error_store_.get())));
  }
  auto deploy_store = events::DeployStore::Open(config_.data_dir / "deploys");
  if (!deploy_store.ok()) return deploy_store.status().WithContext("open deploy store");
  deploy_store_ = std::move(deploy_store).value();
  auto budget_runs = budget::RunStore::Open(config_.data_dir / "budget-runs");  // docs/budget-runs.md
  if (!budget_runs.ok()) return budget_runs.status().WithContext("open budget run store");
  budget_runs_ = std::move(budget_runs).value();
  auto error_recorder = ingest::errors::ErrorRecorder::Create(
      ingest::errors::ErrorRecorderOptions{.max_apps = config_.rum.max_apps, .max_services = config_.otlp.max_services},
      error_store_.get(), tsdb_.get(), &metrics_, NowMs());
  if (!error_recorder.ok()) return error_recorder.status();
  error_recorder_ = std::move(error_recorder).value();
  rum_->SetErrorSink([er = error_recorder_.get()](std::span<const events::EventInput> events, int64_t received_ms) {
    return er->RecordBeacons(events, received_ms);
  });
  // Open dashboards hear of new vitals per app, coalesced (at most 4 events a second each).
  stream_hub_ = std::make_unique<http::EventHub>(http::EventStreamOptions{}, &metrics_);
  rum_->SetOnStored([hub = stream_hub_.get()](std::span<const events::EventInput> events) {
    std::string_view last_app;
    for (const events::EventInput& e : events) {
      if (e.type != events::EventType::kVital || e.dims[events::kApp] == last_app) continue;
      last_app = e.dims[events::kApp];
      std::string data = R"({"app":)";
      AppendJsonString(data, last_app);
      data += R"(,"time":)";
      AppendJsonNumber(data, static_cast<double>(e.received_ms) / 1000.0);
      data += '}';
      hub->PublishCoalesced("vitals", last_app, std::move(data));
    }
  });

  metadata_ = std::make_unique<ingest::MetadataStore>();
  metadata_->AddProvider(ingest::RegistryMetadataProvider(&metrics_));
  metadata_->AddProvider(ingest::RumMetadataProvider());
  metadata_->AddProvider([](std::vector<ingest::FamilyMetadata>& out) {
    for (const auto& m : analysis::kVitalSeriesHelp) out.push_back({std::string(m.name), {"gauge", std::string(m.help), ""}});
    out.push_back({std::string(analysis::kDeployInfoMetric),
                   {"gauge", "A deploy marker: 1 at the deploy's time (docs/analysis.md).", ""}});
    out.push_back({std::string(analysis::kHealthScoreMetric),
                   {"gauge", "The app's health score (0-100, docs/score.md).", ""}});
    out.push_back({std::string(analysis::kRegressionActiveMetric),
                   {"gauge", std::string(analysis::kRegressionActiveHelp), ""}});
    out.push_back({std::string(analysis::kLeakActiveMetric), {"gauge", std::string(analysis::kLeakActiveHelp), ""}});
    out.push_back({std::string(budget::kBundleBytesMetric), {"gauge", std::string(budget::kBundleBytesHelp), ""}});
    out.push_back({std::string(budget::kHeadroomRatioMetric), {"gauge", std::string(budget::kHeadroomRatioHelp), ""}});
  });
  // Exact Web Vitals percentiles as series (docs/rum-aggregates.md); stopped before the TSDB.
  vital_recorder_ = std::make_unique<analysis::VitalRecorder>(
      analysis::VitalRecorderOptions{.interval_ms = config_.rum.percentile_interval_ms,
                                     .window_ms = config_.rum.percentile_window_ms,
                                     .max_pages_per_app = config_.rum.max_pages_per_app},
      store_.get(), tsdb_.get(), &metrics_);
  vital_recorder_->Start();

  // query.backend: what evaluates PromQL here (analysis, reports, watches) reads its samples.
  if (query_backend_) {
    queryable_ = std::make_unique<query::BackendQueryable>(query_backend_->AsCall());
  } else {
    queryable_ = std::make_unique<query::promql::TsdbQueryable>(tsdb_.get());
  }
  engine_ = std::make_unique<query::promql::Engine>(queryable_.get(), EngineOptionsOf(config_.query));
  stream_hub_->SetQueryWatcher(MakeQueryWatcher(engine_.get()));  // GET /api/v1/stream?watch=
  // Continuous watches (docs/analysis.md "Continuous watches and regressions"); stopped before the TSDB.
  auto watcher = analysis::Watcher::Create(analysis::WatcherOptionsFromConfig(config_.analysis), store_.get(),
                                           engine_.get(), tsdb_.get(), deploy_store_.get(), &metrics_);
  if (!watcher.ok()) return watcher.status();
  watcher_ = std::move(watcher).value();
  watcher_->Start();
  // Memory leaks (docs/analysis.md "Memory leaks"); stopped before the TSDB.
  auto leak_watcher = analysis::LeakWatcher::Create(analysis::LeakWatchOptionsFromConfig(config_.analysis.leak),
                                                    store_.get(), engine_.get(), tsdb_.get(), &metrics_);
  if (!leak_watcher.ok()) return leak_watcher.status();
  leak_watcher_ = std::move(leak_watcher).value();
  leak_watcher_->Start();
  query_cache_ = std::make_unique<query::QueryCache>(config_.query.cache_max_bytes, &tsdb_->changes(), &metrics_);
  PW_RETURN_IF_ERROR(StartAlerting(std::move(parts->alertmanager), parts->rules));
  // The health score (docs/score.md "Health score"): the API and perfwatch_health_score.
  health_ = std::make_unique<analysis::HealthService>(
      config_.analysis.health, store_.get(), tsdb_.get(),
      [q = rule_querier_.get()](const std::string& expr, int64_t t_ms) -> Result<std::optional<double>> {
        auto samples = q->QueryText(expr, t_ms);
        if (!samples.ok()) return samples.status();
        if (samples->empty() || std::isnan(samples->front().value)) return std::optional<double>();
        return std::optional<double>(samples->front().value);
      },
      [rules = rules_.get()] {
        std::vector<std::vector<std::pair<std::string, std::string>>> firing;
        for (const auto& group : rules->Groups()) {
          for (const auto& rule : group->rules()) {
            const auto* alerting = dynamic_cast<const alert::AlertingRule*>(rule.get());
            if (!alerting) continue;
            for (const alert::RuleAlert& a : alerting->Alerts()) {
              if (a.state == alert::AlertState::kFiring) firing.push_back(a.labels);
            }
          }
        }
        return firing;
      });
  health_->Start();

  // OTLP/HTTP receiver (docs/otlp.md "Receiver"). A signal without a sink gets no route:
  // nothing is acknowledged that is not kept. Traces: the RED metrics derived from them,
  // written to the TSDB by Record() itself (flush_interval_ms 0), so an acknowledged span
  // is counted durably; the spans themselves go to the span store first.
  // Metrics: the OpenTelemetry-to-Prometheus mapping. Logs: no sink yet.
  auto span_metrics = ingest::otlp::SpanMetrics::Create(
      ingest::otlp::SpanMetricsOptions{.max_services = config_.otlp.max_services,
                                       .max_routes_per_service = config_.otlp.max_routes_per_service,
                                       .max_span_names_per_service = config_.otlp.max_span_names_per_service,
                                       .max_db_statements_per_service = config_.otlp.max_db_statements_per_service,
                                       .max_peers_per_service = config_.otlp.max_peers_per_service},
      tsdb_.get(), &metrics_, NowMs());
  if (!span_metrics.ok()) return span_metrics.status().WithContext("span metrics");
  span_metrics_ = std::move(span_metrics).value();
  otlp_metrics_ = std::make_unique<ingest::otlp::OtlpMetricsWriter>(tsdb_.get(), metadata_.get());
  ingest::otlp::OtlpSinks otlp_sinks;
  otlp_sinks.traces = [ss = span_store_.get(), sm = span_metrics_.get(), er = error_recorder_.get()](const ingest::otlp::TracesRequest& r,
                                                 ingest::otlp::OtlpPartial* partial) -> Status {
    // Stored first (durably): a store failure answers 503 before anything else counts it.
    PW_RETURN_IF_ERROR(ingest::otlp::StoreSpans(ss, r));
    PW_RETURN_IF_ERROR(er->RecordTraces(r, NowMs()));  // span exceptions (docs/errors.md)
    ingest::otlp::SpanMetricsResult result;
    PW_RETURN_IF_ERROR(sm->Record(r, NowMs(), &result));
    partial->rejected = static_cast<int64_t>(result.missing_timestamp + result.end_before_start);
    if (partial->rejected > 0) partial->message = result.Message();
    return Status::Ok();
  };
  otlp_sinks.metrics = [mw = otlp_metrics_.get()](const ingest::otlp::MetricsRequest& r,
                                                  ingest::otlp::OtlpPartial* partial) -> Status {
    ingest::otlp::MetricsWriteResult result;
    PW_RETURN_IF_ERROR(mw->Write(r, &result));
    partial->rejected = static_cast<int64_t>(result.data_points_rejected);
    partial->message = result.message;
    return Status::Ok();
  };
  // Logs: records of severity ERROR and above or with exception.* attributes become error
  // occurrences; the others are accepted and counted, not stored (docs/errors.md).
  otlp_sinks.logs = [er = error_recorder_.get()](const ingest::otlp::LogsRequest& r,
                                                 ingest::otlp::OtlpPartial*) -> Status {
    return er->RecordLogs(r, NowMs());
  };
  otlp_ = std::make_unique<ingest::otlp::OtlpReceiver>(config_.otlp, std::move(otlp_sinks), &metrics_);
  // Synthetic checks: results as probe_* series; browser checks' steps as journey beacons
  // through the RUM ingest path (so the journeys API and rum_journey_* see them).
  {
    synthetic::SchedulerOptions so;
    so.tsdb = tsdb_.get();
    so.dir = config_.data_dir / "checks";
    so.metrics = &metrics_;
    if (const frontend::Asset* rum_js = frontend::FindAsset("/rum.js")) so.rum_js = std::string(rum_js->body);
    so.rum_sink = [rum = rum_.get()](const std::string& beacons) {
      http::Request req;
      req.method = "POST";
      req.path = "/api/rum";
      req.body = beacons;
      req.remote_address = "127.0.0.1";
      http::Response res;
      rum->Handle(req, res);
      if (res.status >= 300) PW_LOG_WARN("synthetic journey beacon refused", "status={} body={}", res.status, LogQuote(res.body));
    };
    auto scheduler = synthetic::Scheduler::Create(std::move(*parts->synthetic), std::move(so));
    if (!scheduler.ok()) return scheduler.status().WithContext("synthetic checks");
    synthetic_ = std::move(scheduler).value();
  }

  snapshots_ = std::make_unique<SnapshotService>(config_.data_dir, SnapshotParts());

  http::Router router;
  RegisterRoutes(router);
  std::vector<std::shared_ptr<http::RequestGuard>> guards;
  if (security->auth) guards.push_back(security->auth);
  rate_limit_guard_ = security->rate_limit;  // off while rum.rate_limit_per_ip is 0
  if (rate_limit_guard_) guards.push_back(rate_limit_guard_);
  // Admission control goes LAST among the guards (after authentication and rate limits), so
  // requests refused by those never hold an admission slot. One guard for both listeners:
  // the limits bound the whole process.
  admission_guard_ = std::make_shared<http::AdmissionGuard>(
      http::AdmissionLimits{config_.http.max_inflight_ingest, config_.http.max_inflight_query,
                            config_.http.max_inflight_other},
      &metrics_);
  guards.push_back(admission_guard_);
  for (const auto& guard : guards) router.AddGuard(guard);
  auto server = http::Server::Create(config_.http, std::move(router), &metrics_);
  if (!server.ok()) return server.status().WithContext("create HTTP server");
  server_ = std::move(server).value();
  PW_RETURN_IF_ERROR(server_->Start().WithContext("listen on " + config_.http.listen));
  PW_RETURN_IF_ERROR(StartOtlpListener(guards));
  stream_hub_->Start();
  PW_RETURN_IF_ERROR(StartScraping().WithContext("start scraping"));
  synthetic_->Start();
  // Scheduled reports (docs/reports.md "Scheduled reports"), once what they read runs.
  auto report_scheduler = report::ReportScheduler::Create(
      config_.reports, alert::AlertmanagerConfigFrom(config_).value(), ReportSourcesOf(),
      {.state_file = config_.data_dir / "reports" / "schedule.state", .metrics = &metrics_});
  if (!report_scheduler.ok()) return report_scheduler.status();
  report_scheduler_ = std::move(report_scheduler).value();
  report_scheduler_->Start();
  ready_ = true;
  auto stats = store_->Stats();
  const auto& replay = tsdb_->replay_report();
  PW_LOG_INFO("perfwatch started", "listen={} data_dir={} events={} partitions={} series={} wal_replay_seconds={:.3f}",
              config_.http.listen, LogQuote(config_.data_dir.string()), stats.events, stats.partitions, replay.series,
              replay.seconds);
  return Status::Ok();
}

void ServerApp::Stop() {
  {
    // A reload in progress (POST /-/reload) finishes first; later ones are refused.
    std::lock_guard lock(reload_mu_);
    stopping_ = true;
  }
  ready_ = false;
  if (query_backend_) query_backend_->Cancel();  // requests in flight give up at once
  if (report_scheduler_) report_scheduler_->Stop();  // reads the stores
  if (synthetic_) synthetic_->Stop();  // writes its last results while the TSDB is open
  if (scrape_) scrape_->Stop();  // before the server (self-scrape) and the TSDB (stale markers)
  scrape_view_ = nullptr;
  if (stream_hub_) stream_hub_->Stop();  // ends the open streams before the server closes them
  if (otlp_server_) otlp_server_->Stop();
  if (server_) server_->Stop();
  if (rules_) rules_->Stop();                // writes its last outputs while the TSDB is open
  if (alertmanager_) alertmanager_->Stop();  // persists the queue of notifications
  if (rum_aggregator_) rum_aggregator_->Stop();  // writes pending counts while the TSDB is open
  if (rum_extra_aggregator_) rum_extra_aggregator_->Stop();
  if (vital_recorder_) vital_recorder_->Stop();  // its last append ends before the TSDB closes
  if (health_) health_->Stop();                  // its last append ends before the TSDB closes
  if (watcher_) watcher_->Stop();                // its last append ends before the TSDB closes
  if (leak_watcher_) leak_watcher_->Stop();      // its last append ends before the TSDB closes
  if (span_metrics_) span_metrics_->Stop();      // writes pending counts while the TSDB is open
  if (remote_forwarder_) remote_forwarder_->Stop();  // abandons retries; resumes at the next start
  if (tsdb_) tsdb_->Stop();
  if (tsdb_) tsdb_->SetWalHold(nullptr);  // the forwarder goes before the TSDB
  for (auto& f : clickhouse_forwarders_) f->Stop();  // read the stores; resume at the next start
  if (store_) store_->Stop();
  if (span_store_) span_store_->Stop();
  if (error_store_) error_store_->Stop();
  report_scheduler_.reset();
  synthetic_.reset();
  scrape_.reset();
  otlp_server_.reset();
  server_.reset();
  health_.reset();  // reads rules_ and the stores
  otlp_.reset();
  span_metrics_.reset();
  otlp_metrics_.reset();
  rules_.reset();
  rule_querier_.reset();
  query_backend_.reset();
  alert_stream_.reset();
  alertmanager_.reset();
  metadata_.reset();
  query_cache_.reset();
  watcher_.reset();
  leak_watcher_.reset();
  engine_.reset();
  queryable_.reset();
  remote_write_.reset();
  rum_.reset();
  error_recorder_.reset();
  error_store_.reset();
  rum_aggregator_.reset();
  rum_extra_aggregator_.reset();
  vital_recorder_.reset();
  remote_forwarder_.reset();
  tsdb_.reset();
  clickhouse_forwarders_.clear();
  clickhouse_reader_.reset();
  clickhouse_spans_.reset();
  clickhouse_errors_.reset();
  clickhouse_client_.reset();
  store_.reset();
  span_store_.reset();
  deploy_store_.reset();
  budget_runs_.reset();
}

Status ServerApp::StartOtlpListener(const std::vector<std::shared_ptr<http::RequestGuard>>& guards) {
  if (config_.otlp.listen.empty()) return Status::Ok();
  http::Router router;
  otlp_->Register(router);
  for (const auto& guard : guards) router.AddGuard(guard);
  HttpConfig http = config_.http;  // same TLS, timeouts and connection limits
  http.listen = config_.otlp.listen;
  http.max_body_bytes = config_.otlp.max_body_bytes;  // the OTLP limit is the wire limit here
  if (!otlp_->serves_any()) PW_LOG_WARN("otlp.listen serves no signal yet", "listen={}", config_.otlp.listen);
  auto server = http::Server::Create(std::move(http), std::move(router), &metrics_);
  if (!server.ok()) return server.status().WithContext("create OTLP HTTP server");
  otlp_server_ = std::move(server).value();
  PW_RETURN_IF_ERROR(otlp_server_->Start().WithContext("listen on " + config_.otlp.listen + " (otlp.listen)"));
  PW_LOG_INFO("otlp listener started", "listen={} port={}", config_.otlp.listen, otlp_server_->port());
  return Status::Ok();
}

Status ServerApp::StartScraping() {
  std::vector<ingest::ScrapeTarget> targets = ScrapeTargetsOf(config_);
  ingest::ScrapeManagerOptions options;
  options.jitter_seed = HashBytes(config_.http.listen);
  options.user_agent = std::string("perfwatch/") + PERFWATCH_VERSION;
  scrape_ = std::make_unique<ingest::ScrapeManager>(std::move(targets), options, tsdb_.get(), metadata_.get(), &metrics_);
  PW_RETURN_IF_ERROR(scrape_->Start());
  scrape_view_ = scrape_.get();
  return Status::Ok();
}

std::vector<ingest::ScrapeTarget> ServerApp::ScrapeTargetsOf(const Config& config) const {
  std::vector<ingest::ScrapeTarget> targets = ingest::TargetsFromConfig(config);
  bool job_taken = false;
  for (const ScrapeConfig& job : config.scrape_configs) job_taken |= job.job_name == ingest::kSelfScrapeJob;
  if (config.scrape.self_scrape && job_taken) {
    PW_LOG_INFO("self-scrape skipped", "reason={}", LogQuote("scrape_configs has a job named perfwatch"));
  } else if (config.scrape.self_scrape) {
    // Scrape the bound port (the configured one may be 0); a wildcard host is reached
    // through loopback, and the instance label keeps the configured host.
    const std::string& listen = config_.http.listen;
    std::string host = listen.substr(0, listen.rfind(':'));
    std::string port = std::to_string(server_->port());
    std::string connect_host = host;
    if (host.empty() || host == "0.0.0.0") connect_host = "127.0.0.1";
    if (host == "[::]" || host == "::") connect_host = "[::1]";
    targets.insert(targets.begin(),
                   ingest::SelfScrapeTarget(config, connect_host + ":" + port, (host.empty() ? "localhost" : host) + ":" + port));
    targets.front().authorization = self_scrape_authorization_;
  }
  return targets;
}

Status ServerApp::StartAlerting(alert::AlertmanagerConfig am_config, const std::vector<alert::RuleGroupSpec>& rules) {
  const std::string external_url = alert::ExternalUrlFrom(config_);

  alert::AlertmanagerOptions am_options;
  am_options.state_dir = config_.data_dir / "alertmanager";
  am_options.external_url = external_url;
  am_options.metrics = &metrics_;
  auto am = alert::Alertmanager::Open(am_options, std::move(am_config));
  if (!am.ok()) return am.status().WithContext("open alertmanager state");
  alertmanager_ = std::move(am).value();
  PW_RETURN_IF_ERROR(alertmanager_->Start().WithContext("start notifications"));

  if (query_backend_) {
    rule_querier_ = std::make_unique<alert::BackendRuleQuerier>(query_backend_->AsCall());
  } else {
    rule_querier_ = std::make_unique<alert::EngineRuleQuerier>(engine_.get());
  }
  alert::RuleManagerOptions options;
  options.state_dir = config_.data_dir / "rules";
  options.default_interval_ms = config_.rules.evaluation_interval_ms;
  options.default_query_offset_ms = config_.rules.query_offset_ms;
  options.resend_delay_ms = config_.rules.resend_delay_ms;
  options.external_labels.assign(config_.rules.external_labels.begin(), config_.rules.external_labels.end());
  options.external_url = external_url;
  options.eval_threads = config_.rules.eval_threads;
  options.event_driven = config_.rules.event_driven;
  options.event_cpu_budget = config_.rules.event_cpu_budget;
  options.flap = {.threshold = config_.rules.flap_threshold,
                  .window_ms = config_.rules.flap_window_ms,
                  .settle_ms = config_.rules.flap_settle_ms};
  options.metrics = &metrics_;
  alert_stream_ = std::make_unique<AlertStreamSink>(alertmanager_.get(), stream_hub_.get());
  rules_ = std::make_unique<alert::RuleManager>(options, tsdb_.get(), rule_querier_.get(), alert_stream_.get());
  PW_RETURN_IF_ERROR(rules_->UpdateFromSpecs(rules));
  return rules_->Start();
}

std::vector<SnapshotPart> ServerApp::SnapshotParts() {
  // The directory names are the ones Start opens the stores in.
  std::vector<SnapshotPart> parts;
  parts.push_back({.dir = "tsdb", .copy = [this](const std::filesystem::path& dest, bool skip_head) -> Result<uint64_t> {
                     PW_ASSIGN_OR_RETURN(auto stats, tsdb_->Snapshot(dest, !skip_head));
                     return stats.bytes;
                   },
                   .before_pins = true});
  auto pin = [](auto* store) {
    return [store](const std::filesystem::path& dest) { return store->PinForSnapshot(dest); };
  };
  parts.push_back({.dir = "events", .pin = pin(store_.get())});
  if (span_store_) parts.push_back({.dir = "spans", .pin = pin(span_store_.get())});
  if (error_store_) parts.push_back({.dir = "errors", .pin = pin(error_store_.get())});
  parts.push_back({.dir = "deploys", .pin = pin(deploy_store_.get())});
  parts.push_back({.dir = "budget-runs", .pin = pin(budget_runs_.get())});
  parts.push_back({.dir = "alertmanager", .copy = [this](const std::filesystem::path& dest, bool) {
                     return alertmanager_->SnapshotState(dest);
                   }});
  parts.push_back({.dir = "rules", .copy = [this](const std::filesystem::path& dest, bool) -> Result<uint64_t> {
                     PW_RETURN_IF_ERROR(rules_->PersistState());
                     return CopyStateTree(config_.data_dir / "rules", dest);
                   }});
  return parts;
}

Status ServerApp::Reload() {
  std::lock_guard lock(reload_mu_);
  if (stopping_) return Status(StatusCode::kUnavailable, "the server is stopping");
  std::optional<std::string> applied_text;  // stays empty without a file
  Status s = ReloadLocked(&applied_text);
  std::lock_guard status_lock(status_mu_);
  reload_success_ = s.ok();
  if (s.ok()) {
    last_config_time_ms_ = NowMs();
    if (applied_text) reloaded_text_ = std::move(applied_text);
  }
  return s;
}

Status ServerApp::ReloadLocked(std::optional<std::string>* applied_text) {
  // The TLS certificate first, from the paths read at start (changing http.tls needs a
  // restart); a failed re-read keeps the current certificate and fails the reload.
  if (server_) PW_RETURN_IF_ERROR(server_->ReloadTls().WithContext("reload TLS certificate"));
  if (otlp_server_) PW_RETURN_IF_ERROR(otlp_server_->ReloadTls().WithContext("reload TLS certificate (otlp.listen)"));
  if (config_.source_path.empty()) return Status::Ok();  // no file: nothing to re-read
  auto fresh = LoadConfigFile(config_.source_path);
  if (!fresh.ok()) return fresh.status();
  fresh->source_path = config_.source_path;
  // Everything is parsed and prepared before anything changes (cli/config_parts.h); the
  // restart-only keys keep their running values (common/config_reload.h).
  std::string running_text;
  {
    std::lock_guard lock(status_mu_);
    running_text = reloaded_text_ ? *reloaded_text_ : config_.source_text;
  }
  auto plan = PlanReload(running_text, fresh->source_text);
  if (!plan.ok()) return plan.status();
  auto parts = LoadConfigParts(*fresh, ConfigPartsUse::kReload);
  if (!parts.ok()) return parts.status();
  auto remote_configs = RemoteWriteConfigs(*fresh, config_.source_path.parent_path());
  if (!remote_configs.ok()) return remote_configs.status();
  // auth.tokens: token files read again; switching authentication on or off needs a restart.
  std::optional<std::vector<http::AuthToken>> tokens;
  if (auth_guard_) {
    auto t = ReloadAuthTokens(*fresh, self_scrape_token_);
    if (!t.ok()) return t.status();
    tokens = std::move(t).value();
  } else if (!fresh->auth.disabled && !fresh->auth.tokens.empty()) {
    return InvalidArgument("auth: a reload cannot turn authentication on (the server started without auth.tokens); "
                           "restart perfwatch");
  }
  // remote_write: queues prepared (relabel rules, URLs, secret files) but not started.
  std::optional<remote::RemoteWriteForwarder::PreparedQueues> remote_prepared;
  std::unique_ptr<remote::RemoteWriteForwarder> new_forwarder;
  if (remote_forwarder_) {
    auto p = remote_forwarder_->PrepareConfigs(std::move(remote_configs).value());
    if (!p.ok()) return p.status().WithContext("remote_write");
    remote_prepared = std::move(p).value();
  } else if (!remote_configs->empty()) {
    auto f = remote::RemoteWriteForwarder::Create(
        std::move(remote_configs).value(),
        remote::ForwarderOptions{.wal_dir = config_.data_dir / "tsdb" / "wal",
                                 .state_dir = config_.data_dir / "remote_write",
                                 .user_agent = std::string("perfwatch/") + PERFWATCH_VERSION},
        &metrics_);
    if (!f.ok()) return f.status().WithContext("remote_write");
    new_forwarder = std::move(f).value();
  }
  // Scrape targets: the file's scrape sections with the running listen address and TLS.
  Config scrape_config = config_;
  scrape_config.scrape = fresh->scrape;
  scrape_config.scrape_configs = fresh->scrape_configs;
  std::vector<ingest::ScrapeTarget> targets = ScrapeTargetsOf(scrape_config);
  // reports: each `to` checked against the new `alerting:` receivers (as at start).
  auto report_entries = report::ReportScheduler::Prepare(fresh->reports, parts->alertmanager);
  if (!report_entries.ok()) return report_entries.status();
  // rum: the beacon parsing keys (route rules compiled here) and the CORS origins; the
  // others are restart-only.
  auto rum_settings = ingest::RumHandler::Prepare(fresh->rum);
  if (!rum_settings.ok()) return rum_settings.status();
  const bool rum_changed = RumSettingsChanged(fresh->rum, config_.rum);
  // analysis: the continuous watches' keys and the change-point detector's options (the
  // watches' and the changepoints API's defaults), the leak detector, the health score;
  // every watch and leak expression parsed here.
  analysis::WatcherOptions watch_options = analysis::WatcherOptionsFromConfig(fresh->analysis);
  PW_RETURN_IF_ERROR(analysis::Watcher::CheckOptions(watch_options));
  const bool changepoint_changed = ChangepointChanged(fresh->analysis, config_.analysis);
  const bool watches_changed = changepoint_changed || WatchesChanged(fresh->analysis, config_.analysis);
  analysis::LeakWatchOptions leak_options = analysis::LeakWatchOptionsFromConfig(fresh->analysis.leak);
  PW_RETURN_IF_ERROR(analysis::LeakWatcher::CheckOptions(leak_options));
  const bool leak_changed = !(fresh->analysis.leak == config_.analysis.leak);
  const bool health_changed = !(fresh->analysis.health == config_.analysis.health);
  // query: timeout, max_samples, lookback_delta (cache_max_bytes below).
  const bool query_changed = fresh->query.timeout_ms != config_.query.timeout_ms ||
                             fresh->query.max_samples != config_.query.max_samples ||
                             fresh->query.lookback_delta_ms != config_.query.lookback_delta_ms;
  // http: and otlp: but the keys that open sockets or size thread pools (http.listen,
  // threads, tls, web_dir; otlp.listen: restart-only, Server::SetLimits keeps them), checked
  // here so the setters below cannot fail.
  const HttpConfig& new_http = fresh->http;
  PW_RETURN_IF_ERROR(http::Server::CheckLimits(new_http));
  const http::AdmissionLimits new_admission{new_http.max_inflight_ingest, new_http.max_inflight_query,
                                            new_http.max_inflight_other};
  PW_RETURN_IF_ERROR(http::AdmissionGuard::CheckLimits(new_admission));
  auto new_trusted = http::TrustedProxies::Create(new_http.trusted_proxies);
  if (!new_trusted.ok()) return new_trusted.status();
  HttpConfig new_otlp_http = new_http;  // otlp.listen's server: its wire limit is otlp.max_body_bytes
  new_otlp_http.max_body_bytes = fresh->otlp.max_body_bytes;
  const OtlpConfig& new_otlp = fresh->otlp;
  // rum caps, rate limit, percentile writer, journey timeout; query.cache_max_bytes;
  // synthetic.max_browsers (applied by ApplyConfig below). Checked here so the setters
  // below cannot fail (ValidateConfig and the synthetic parser checked them already).
  const RumConfig& new_rum = fresh->rum;
  if (new_rum.percentile_interval_ms < 0 || new_rum.percentile_window_ms <= 0 || new_rum.journey_timeout_ms <= 0 ||
      !(new_rum.rate_limit_per_ip >= 0) || !(new_rum.rate_limit_burst >= 0)) {
    return InvalidArgument("rum: percentile_interval >= 0, percentile_window and journey_timeout > 0, "
                           "rate_limit_per_ip and rate_limit_burst >= 0 required");
  }
  // tsdb: and events: (their stores stay where data_dir put them): limits and policies of
  // the open stores, checked here so the setters below cannot fail.
  const tsdb::TsdbRuntimeOptions tsdb_runtime{
      .limits = {.max_series = fresh->tsdb.max_series,
                 .max_labels_per_series = fresh->tsdb.max_labels_per_series,
                 .max_label_name_length = fresh->tsdb.max_label_name_length,
                 .max_label_value_length = fresh->tsdb.max_label_value_length,
                 .max_series_per_second = fresh->tsdb.max_series_per_second},
      .retention_ms = fresh->tsdb.retention_ms,
      .max_block_bytes = fresh->tsdb.max_block_bytes,
      .wal_hold_max_bytes = fresh->tsdb.wal_hold_max_bytes,
      .wal_fsync_interval = std::chrono::milliseconds(fresh->tsdb.wal_fsync_interval_ms)};
  PW_RETURN_IF_ERROR(tsdb::Tsdb::CheckRuntimeOptions(tsdb_runtime));
  const EventsConfig& new_events = fresh->events;
  PW_RETURN_IF_ERROR(events::EventStore::CheckPolicies(new_events.retention_ms, new_events.fsync_interval_ms));
  const bool events_changed = new_events.retention_ms != config_.events.retention_ms ||
                              new_events.fsync_interval_ms != config_.events.fsync_interval_ms;
  // log_level (checked by ValidateConfig; --log-level wins over the file) and external_url
  // (the running listen address when the file has none, as at start).
  const bool log_level_changed = !log_level_from_flag_ && fresh->log_level != config_.log_level;
  Config url_config = config_;
  url_config.rules.external_url = fresh->rules.external_url;
  const std::string external_url = alert::ExternalUrlFrom(url_config);

  // external_url before the rules, so the new groups' first evaluations use it (put back
  // when the rules or receivers fail).
  const std::string running_external_url = alert::ExternalUrlFrom(config_);
  const bool external_url_changed = external_url != running_external_url;
  auto set_external_url = [this](const std::string& url) {
    alertmanager_->SetExternalUrl(url);
    rules_->SetExternalUrl(url);
  };
  if (external_url_changed) set_external_url(external_url);
  // global.evaluation_interval / rule_query_offset / external_labels and `rules:` (but
  // eval_threads) likewise, so the new groups get the new default interval.
  const alert::RuleSettings running_rule_settings = rules_->settings();
  const alert::RuleSettings rule_settings = RuleSettingsOf(fresh->rules);
  const bool rule_settings_changed = !(rule_settings == running_rule_settings);
  if (rule_settings_changed) rules_->SetSettings(rule_settings);
  // Rules first: a failure leaves both halves as they were.
  if (Status s = rules_->UpdateFromSpecs(parts->rules); !s.ok()) {
    if (external_url_changed) set_external_url(running_external_url);
    if (rule_settings_changed) rules_->SetSettings(running_rule_settings);
    return s;
  }
  slos_.Set(parts->slos);
  if (Status s = alertmanager_->ApplyConfig(std::move(parts->alertmanager)); !s.ok()) {
    if (external_url_changed) set_external_url(running_external_url);
    if (rule_settings_changed) rules_->SetSettings(running_rule_settings);
    return s;
  }
  // Nothing below fails.
  if (remote_prepared) {
    remote_forwarder_->CommitConfigs(std::move(*remote_prepared));
  } else if (new_forwarder) {
    remote_forwarder_ = std::move(new_forwarder);
    tsdb_->SetWalHold([f = remote_forwarder_.get()] { return f->OldestPositionNeeded(); });
    remote_forwarder_->Start();
  }
  if (scrape_) scrape_->ApplyTargets(std::move(targets));
  const synthetic::Scheduler::ApplyReport checks = synthetic_->ApplyConfig(std::move(*parts->synthetic));
  if (tokens) auth_guard_->SetTokens(std::move(*tokens));
  if (report_scheduler_) report_scheduler_->Apply(std::move(report_entries).value());
  if (rum_changed) rum_->Apply(std::move(rum_settings).value());
  if (watches_changed) watcher_->Apply(std::move(watch_options));  // after the pass in progress
  if (changepoint_changed) changepoint_defaults_.Set(ChangepointOptionsOf(fresh->analysis));
  if (leak_changed) leak_watcher_->Apply(std::move(leak_options));  // after the pass in progress
  if (health_changed) health_->Apply(fresh->analysis.health);      // after the write in progress
  if (query_changed) {
    // Queries that start from now on; cached answers were computed with the old options.
    engine_->SetOptions(EngineOptionsOf(fresh->query));
    query_cache_->Clear();
  }
  query_cache_->SetMaxBytes(fresh->query.cache_max_bytes);  // evicts down to it
  // http: connections accepted from now on, and open ones from their next request (the
  // request in progress keeps its limits); otlp: from the next request or span (checked above).
  if (server_) (void)server_->SetLimits(new_http);
  if (otlp_server_) (void)otlp_server_->SetLimits(new_otlp_http);
  if (admission_guard_) (void)admission_guard_->SetLimits(new_admission);
  if (rate_limit_guard_) rate_limit_guard_->SetTrustedProxies(std::move(new_trusted).value());
  otlp_->SetMaxBodyBytes(new_otlp.max_body_bytes);
  if (span_metrics_) {
    span_metrics_->SetCaps(new_otlp.max_services, new_otlp.max_routes_per_service, new_otlp.max_span_names_per_service,
                           new_otlp.max_db_statements_per_service, new_otlp.max_peers_per_service);
  }
  error_recorder_->SetMaxServices(new_otlp.max_services);
  if (span_store_) span_store_->SetRetention(new_otlp.span_retention_ms);  // at the next retention pass
  rum_aggregator_->SetCaps(new_rum.max_apps, new_rum.max_pages_per_app);
  (void)rum_extra_aggregator_->SetLimits(new_rum.max_apps, new_rum.max_pages_per_app, new_rum.max_measure_names,
                                         new_rum.journey_timeout_ms);  // checked above
  error_recorder_->SetMaxApps(new_rum.max_apps);
  (void)vital_recorder_->SetOptions({.interval_ms = new_rum.percentile_interval_ms,
                                     .window_ms = new_rum.percentile_window_ms,
                                     .max_pages_per_app = new_rum.max_pages_per_app});  // checked above
  if (rate_limit_guard_) rate_limit_guard_->SetOptions(RumRateLimitOptions(new_rum));
  // tsdb: appends from now on (a lowered max_series keeps the head's series), retention at
  // the next maintenance flush; events: the stores' background threads wake (checked above).
  (void)tsdb_->SetRuntimeOptions(tsdb_runtime);
  remote_write_->SetMaxDecompressedBytes(fresh->tsdb.max_remote_write_decompressed_bytes);
  if (events_changed) {
    (void)store_->SetPolicies(new_events.retention_ms, new_events.fsync_interval_ms);
    (void)error_store_->SetPolicies(new_events.retention_ms, new_events.fsync_interval_ms);
    (void)span_store_->SetFsyncInterval(new_events.fsync_interval_ms);
  }
  if (log_level_changed) SetLogLevel(fresh->log_level);
  if (log_level_from_flag_ && fresh->log_level != config_.log_level) {
    PW_LOG_INFO("configuration reload: log_level is set by --log-level, the file's value is not applied",
                "log_level={} file={}", config_.log_level, LogQuote(fresh->log_level));
  }
  {
    std::lock_guard lock(status_mu_);
    if (log_level_changed) config_.log_level = fresh->log_level;
    config_.rules.external_url = fresh->rules.external_url;
    config_.reports = fresh->reports;
    config_.rum.max_beacons_per_request = fresh->rum.max_beacons_per_request;
    config_.rum.max_json_depth = fresh->rum.max_json_depth;
    config_.rum.default_app = fresh->rum.default_app;
    config_.rum.route_rules = fresh->rum.route_rules;
    config_.rum.max_timestamp_age_ms = fresh->rum.max_timestamp_age_ms;
    config_.rum.keep_query_strings = fresh->rum.keep_query_strings;
    config_.rum.cors_allowed_origins = fresh->rum.cors_allowed_origins;
    config_.analysis.watch_interval_ms = fresh->analysis.watch_interval_ms;
    config_.analysis.watch_lookback_ms = fresh->analysis.watch_lookback_ms;
    config_.analysis.watch_min_views = fresh->analysis.watch_min_views;
    config_.analysis.watch_max_series = fresh->analysis.watch_max_series;
    config_.analysis.watch = fresh->analysis.watch;
    config_.analysis.changepoint_min_segment = fresh->analysis.changepoint_min_segment;
    config_.analysis.changepoint_window = fresh->analysis.changepoint_window;
    config_.analysis.changepoint_max_p_value = fresh->analysis.changepoint_max_p_value;
    config_.analysis.changepoint_min_magnitude = fresh->analysis.changepoint_min_magnitude;
    config_.analysis.leak = fresh->analysis.leak;
    config_.analysis.health = fresh->analysis.health;
    config_.rules.evaluation_interval_ms = fresh->rules.evaluation_interval_ms;  // (rules.eval_threads: restart)
    config_.rules.query_offset_ms = fresh->rules.query_offset_ms;
    config_.rules.external_labels = fresh->rules.external_labels;
    config_.rules.resend_delay_ms = fresh->rules.resend_delay_ms;
    config_.rules.event_driven = fresh->rules.event_driven;
    config_.rules.event_cpu_budget = fresh->rules.event_cpu_budget;
    config_.rules.flap_threshold = fresh->rules.flap_threshold;
    config_.rules.flap_window_ms = fresh->rules.flap_window_ms;
    config_.rules.flap_settle_ms = fresh->rules.flap_settle_ms;
    config_.query.timeout_ms = fresh->query.timeout_ms;
    config_.query.max_samples = fresh->query.max_samples;
    config_.query.lookback_delta_ms = fresh->query.lookback_delta_ms;
    config_.query.cache_max_bytes = fresh->query.cache_max_bytes;
    // http and otlp but listen, threads, tls, web_dir (restart-only, read by other threads).
    config_.http.max_body_bytes = new_http.max_body_bytes;
    config_.http.max_header_bytes = new_http.max_header_bytes;
    config_.http.max_connections = new_http.max_connections;
    config_.http.max_connections_per_ip = new_http.max_connections_per_ip;
    config_.http.header_timeout_ms = new_http.header_timeout_ms;
    config_.http.body_timeout_ms = new_http.body_timeout_ms;
    config_.http.idle_timeout_ms = new_http.idle_timeout_ms;
    config_.http.write_timeout_ms = new_http.write_timeout_ms;
    config_.http.max_inflight_ingest = new_http.max_inflight_ingest;
    config_.http.max_inflight_query = new_http.max_inflight_query;
    config_.http.max_inflight_other = new_http.max_inflight_other;
    config_.http.trusted_proxies = new_http.trusted_proxies;
    config_.otlp.max_body_bytes = new_otlp.max_body_bytes;
    config_.otlp.max_services = new_otlp.max_services;
    config_.otlp.max_routes_per_service = new_otlp.max_routes_per_service;
    config_.otlp.max_span_names_per_service = new_otlp.max_span_names_per_service;
    config_.otlp.max_db_statements_per_service = new_otlp.max_db_statements_per_service;
    config_.otlp.max_peers_per_service = new_otlp.max_peers_per_service;
    config_.otlp.span_retention_ms = new_otlp.span_retention_ms;
    config_.rum.max_pages_per_app = new_rum.max_pages_per_app;
    config_.rum.max_apps = new_rum.max_apps;
    config_.rum.max_measure_names = new_rum.max_measure_names;
    config_.rum.rate_limit_per_ip = new_rum.rate_limit_per_ip;
    config_.rum.rate_limit_burst = new_rum.rate_limit_burst;
    config_.rum.percentile_interval_ms = new_rum.percentile_interval_ms;
    config_.rum.percentile_window_ms = new_rum.percentile_window_ms;
    config_.rum.journey_timeout_ms = new_rum.journey_timeout_ms;
    config_.scrape = fresh->scrape;
    config_.scrape_configs = fresh->scrape_configs;
    config_.auth.tokens = fresh->auth.tokens;
    config_.rules.rule_files = fresh->rules.rule_files;
    config_.tsdb = fresh->tsdb;
    config_.events.retention_ms = new_events.retention_ms;
    config_.events.fsync_interval_ms = new_events.fsync_interval_ms;
    config_.source_text = plan->applied_yaml;
  }
  if (!plan->restart_needed.empty()) {
    std::string keys;
    for (const std::string& k : plan->restart_needed) keys += (keys.empty() ? "" : ",") + k;
    PW_LOG_WARN("configuration reload: changed keys need a restart and keep their running values", "keys={}",
                LogQuote(keys));
  }
  PW_LOG_INFO("configuration reloaded",
              "rule_files={} scrape_targets={} checks_added={} checks_changed={} checks_removed={} remote_write={}",
              parts->rule_files.size(), scrape_ ? scrape_->size() : 0, checks.added, checks.changed, checks.removed,
              remote_forwarder_ ? remote_forwarder_->size() : 0);
  PW_LOG_DEBUG("configuration reload applied", "log_level={} external_url={}", config_.log_level,
               LogQuote(external_url));
  *applied_text = plan->applied_yaml;
  return Status::Ok();
}

uint16_t ServerApp::port() const { return server_ ? server_->port() : 0; }

void ServerApp::AppendReloadMetrics(std::string& out) const {
  bool success;
  int64_t time_ms;
  {
    std::lock_guard lock(status_mu_);
    success = reload_success_;
    time_ms = last_config_time_ms_;
  }
  char seconds[64];
  std::snprintf(seconds, sizeof seconds, "%.3f", static_cast<double>(time_ms) / 1000.0);
  out += "# HELP perfwatch_config_last_reload_successful Whether the last configuration reload attempt was successful.\n"
         "# TYPE perfwatch_config_last_reload_successful gauge\nperfwatch_config_last_reload_successful ";
  out += success ? "1" : "0";
  out += "\n# HELP perfwatch_config_last_reload_success_timestamp_seconds Timestamp of the last successful "
         "configuration reload (the start time until the first one).\n"
         "# TYPE perfwatch_config_last_reload_success_timestamp_seconds gauge\n"
         "perfwatch_config_last_reload_success_timestamp_seconds ";
  out += seconds;
  out += "\n";
}

Status ServerApp::StartClickHouseForwarder(const clickhouse::ClickHouseConfig& config,
                                           std::unique_ptr<clickhouse::ForwardSource> source) {
  auto forwarder = clickhouse::Forwarder::Create(config, clickhouse_client_, std::move(source),
                                                 config_.data_dir / "clickhouse", &metrics_);
  if (!forwarder.ok()) return forwarder.status().WithContext("events.backend");
  clickhouse_forwarders_.push_back(std::move(forwarder).value());
  clickhouse_forwarders_.back()->Start();
  return Status::Ok();
}

void ServerApp::RegisterRoutes(http::Router& router) {
  // query.backend: registered first, these answer /api/v1/query and friends (docs/scale-out.md).
  if (query_backend_) query::RegisterBackendQueryApi(router, query_backend_->AsCall());
  rum_->Register(router, config_.rum.cors_allowed_origins);
  remote_write_->Register(router);
  otlp_->Register(router);  // POST /v1/{traces,metrics,logs} for the signals with a sink
  query::RegisterStorageApi(router, tsdb_.get());
  // GET /api/v1/traces[/{traceId}], from ClickHouse with events.backend: clickhouse.
  query::RegisterTracesApi(router, SpansToRead());
  ingest::RegisterTargetsApi(router, [this] {
    ingest::ScrapeManager* scrape = scrape_view_.load();
    return scrape ? scrape->Reports() : std::vector<std::pair<ingest::ScrapeTarget, ingest::ScrapeReport>>();
  });
  query::RegisterPromqlApi(router, engine_.get(), query::BuildInfo{PERFWATCH_VERSION, CurrentBuild().revision, ""},
                           query_cache_.get());
  ingest::RegisterMetadataApi(router, metadata_.get());
  // events.backend: clickhouse: registered first, these answer /api/v1/vitals[/series,
  // /histogram] from ClickHouse; the event analyses below read it too.
  const events::EventReader* backend = clickhouse_reader_.get();
  if (clickhouse_client_) {
    clickhouse::RegisterClickHouseVitals(router, clickhouse_client_);
    analysis::RegisterVitalsSeriesHandlers(router, backend);
  }
  analysis::RegisterVitalsHandler(router, store_.get());
  synthetic::RegisterChecksApi(router, {.scheduler = synthetic_.get(), .firing = [this] { return FiringIncidents(); }});
  changepoint_defaults_.Set(ChangepointOptionsOf(config_.analysis));  // replaced by a reload
  analysis::RegisterChangepointHandler(router, &changepoint_defaults_);
  analysis::RegisterLeakHandler(router);  // POST /api/v1/analysis/leak
  analysis::RegisterScoreHandler(router, EventsToRead());  // GET /api/v1/score
  analysis::RegisterNetworkHandler(router, store_.get(), backend);           // GET /api/v1/network
  analysis::RegisterJourneysHandler(router, store_.get(),  // GET /api/v1/journeys (rum.journey_timeout reloaded)
                                    [agg = rum_extra_aggregator_.get()] { return agg->journey_timeout_ms(); }, backend);
  analysis::RegisterAttributionHandler(router, store_.get(), backend);  // GET /api/v1/vitals/attribution
  health_->Register(router);                              // GET /api/v1/health
  analysis::RegisterRegressionsHandler(router, watcher_.get());
  analysis::RegisterLeaksHandler(router, leak_watcher_.get());  // GET /api/v1/leaks
  analysis::RegisterDeploysApi(router, {.deploys = deploy_store_.get(), .tsdb = tsdb_.get(), .events = EventsToRead(),
                                        .spans = SpansToRead(), .errors = ErrorsToRead()});
  budget::RegisterBudgetRunsApi(router, {.runs = budget_runs_.get(), .tsdb = tsdb_.get()});  // /api/v1/budget-runs
  RegisterEventExport(router, store_.get());
  query::RegisterErrorsApi(router, ErrorsToRead());
  report::RegisterReportHandler(router, ReportSourcesOf());  // GET /api/v1/report
  alert::RegisterRulesApi(
      router, rules_.get(),
      [am = alertmanager_.get()](const alert::LabelSet& labels) {
        return am->AcknowledgementOf(labels);
      },
      [am = alertmanager_.get()](const alert::LabelSet& labels) -> std::optional<std::string> {
        auto v = am->EscalationOf(labels);
        if (!v) return std::nullopt;
        return alert::EscalationViewJson(*v);
      });
  alert::RegisterSloApi(router, &slos_, rule_querier_.get(), rules_.get());
  alertmanager_->RegisterRoutes(router);
  snapshots_->RegisterRoutes(router);  // /api/v1/admin/snapshot[s] (docs/operations.md)
  router.Handle("POST", "/-/reload", [this](const http::Request&, http::Response& res) {
    Status s = Reload();
    res.content_type = "text/plain; charset=utf-8";
    if (!s.ok()) {
      PW_LOG_WARN("reload failed", "err={}", LogQuote(s.message()));
      res.status = 500;
      res.body = "failed to reload config: " + s.message() + "\n";
    }
  });
  RegisterStatusRoutes(router);
  RegisterOperationalHandlers(router, &metrics_, &ready_);
  http::RegisterEventStream(router, stream_hub_.get());
  RegisterStaticAssets(router, config_.http.web_dir);
}

std::vector<synthetic::Incident> ServerApp::FiringIncidents() const {
  // Firing alerts marked public="true" or naming a check (docs/synthetic.md "Status page").
  std::vector<synthetic::Incident> out;
  if (!rules_) return out;
  for (const auto& group : rules_->Groups()) {
    for (const auto& rule : group->rules()) {
      if (!rule->is_alerting()) continue;
      for (const alert::RuleAlert& a : static_cast<const alert::AlertingRule&>(*rule).Alerts()) {
        if (a.state != alert::AlertState::kFiring) continue;
        const std::string check(alert::GetLabel(a.labels, "check"));
        if (check.empty() && alert::GetLabel(a.labels, "public") != "true") continue;
        out.push_back({.alertname = std::string(alert::GetLabel(a.labels, "alertname")),
                       .summary = std::string(alert::GetLabel(a.annotations, "summary")),
                       .severity = std::string(alert::GetLabel(a.labels, "severity")), .check = check,
                       .since_ms = a.fired_at_ms ? a.fired_at_ms : a.active_at_ms});
      }
    }
  }
  return out;
}

const events::EventReader* ServerApp::EventsToRead() const {
  return clickhouse_reader_ ? static_cast<const events::EventReader*>(clickhouse_reader_.get()) : store_.get();
}

const events::SpanReader* ServerApp::SpansToRead() const {
  return clickhouse_spans_ ? static_cast<const events::SpanReader*>(clickhouse_spans_.get()) : span_store_.get();
}

const events::ErrorReader* ServerApp::ErrorsToRead() const {
  return clickhouse_errors_ ? static_cast<const events::ErrorReader*>(clickhouse_errors_.get()) : error_store_.get();
}

report::ReportSources ServerApp::ReportSourcesOf() const {
  return {.events = EventsToRead(), .engine = engine_.get(), .regressions = watcher_.get(),
          .leaks = leak_watcher_.get(), .deploys = deploy_store_.get(), .errors = ErrorsToRead(),
          .alert_episodes = [am = alertmanager_.get()](int64_t from_ms, int64_t to_ms) {
            return am->AlertEpisodes(from_ms, to_ms);
          },
          .budget_runs = report::BudgetRunsFrom(budget_runs_.get())};
}

void ServerApp::RegisterStatusRoutes(http::Router& router) {
  RegisterStatusApi(router, StatusSources{
      .config_yaml = [this] {
        std::lock_guard lock(status_mu_);
        return EffectiveConfigYaml(config_, reloaded_text_);
      },
      .runtime_info = [this] {
        RuntimeInfo info;
        {
          std::lock_guard lock(status_mu_);
          info.reload_config_success = reload_success_;
          info.last_config_time_ms = last_config_time_ms_;
        }
        info.start_time_ms = start_time_ms_;
        std::error_code ec;
        info.cwd = std::filesystem::current_path(ec).string();
        info.corruption_count = static_cast<int64_t>(tsdb_->replay_report().problems.size());
        info.thread_count = ProcessThreadCount();
        info.worker_threads = config_.http.threads > 0 ? config_.http.threads
                                                       : static_cast<int64_t>(std::thread::hardware_concurrency());
        const tsdb::TsdbRuntimeOptions tsdb_runtime = tsdb_->runtime_options();  // reloadable
        info.storage_retention = StorageRetentionString(tsdb_runtime.retention_ms, tsdb_runtime.max_block_bytes);
        info.version = PERFWATCH_VERSION;
        info.data_dir = config_.data_dir.string();
        info.config_file = config_.source_path.string();
        info.events_stored = store_->Stats().events;
        info.events_retention = FormatPromDuration(store_->retention_ms());  // reloadable
        info.head_series = tsdb_->SharedHead()->num_series();
        info.rss_bytes = ProcessRssBytes();
        return info;
      },
      .flags = [this] {
        std::lock_guard lock(status_mu_);  // log_level changes on reload
        return std::vector<std::pair<std::string, std::string>>{
            {"config", config_.source_path.string()}, {"data-dir", config_.data_dir.string()},
            {"listen", config_.http.listen},           {"log-level", config_.log_level},
            {"web-dir", config_.http.web_dir}};
      },
      .backends = [this] { return BackendsJson(); }});
}

std::string ServerApp::BackendsJson() const {
  // Both URLs are shown as configured: neither may carry user information (their parsers,
  // common/config_http_client and alert::ParseHttpUrl, refuse it; credentials are set apart).
  std::string out = R"({"query":{"type":)";
  if (query_backend_) {
    out += R"("remote","url":)";
    AppendJsonString(out, config_.query.backend.url);
  } else {
    out += R"("local")";
  }
  out += R"(},"events":{"type":)";
  if (clickhouse_client_) {
    out += R"("clickhouse","url":)";
    AppendJsonString(out, clickhouse_client_->url());
    out += R"(,"database":)";
    AppendJsonString(out, clickhouse_client_->database());
    out += R"(,"tables":[)";
    for (size_t i = 0; i < clickhouse_forwarders_.size(); ++i) {
      const clickhouse::Forwarder& f = *clickhouse_forwarders_[i];
      const clickhouse::ForwarderStats s = f.Stats();
      if (i) out += ',';
      out += R"({"table":)";
      AppendJsonString(out, f.table());
      out += R"(,"sent":)" + std::to_string(s.events_sent) + R"(,"pending":)" + std::to_string(s.events_pending) +
             R"(,"failed":)" + std::to_string(s.events_failed) + R"(,"requestFailures":)" +
             std::to_string(s.request_failures) + R"(,"schemaReady":)" + (s.schema_ready ? "true" : "false") + "}";
    }
    out += "]";
  } else {
    out += R"("local")";
  }
  out += "}}";
  return out;
}

}  // namespace perfwatch::cli
