#pragma once
// perfwatch's configuration: defaults, the optional YAML file, and validation.
// Layout and every key: docs/configuration.md. Command-line flags override the file.
// Thread safety: a plain value; built once at start-up and then only read.
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "common/config_http_client.h"
#include "common/status.h"

namespace perfwatch {

// `http.tls` (docs/tls.md): HTTPS on the listen port when cert_file is set. Relative paths
// are resolved against the config file's folder; the files are read at start and on reload.
struct TlsServerConfig {
  std::string cert_file;              // PEM certificate chain, the server's certificate first
  std::string key_file;               // PEM private key (unencrypted)
  std::string client_ca_file;         // set: mTLS, clients must present a certificate signed by it
  std::string min_version = "TLS12";  // "TLS12" or "TLS13" (Prometheus' web config spelling)
  bool enabled() const { return !cert_file.empty(); }
};

struct HttpConfig {
  std::string listen = "127.0.0.1:9797";
  int threads = 0;                          // 0: one per core
  size_t max_body_bytes = 1 << 20;          // larger bodies -> 413
  size_t max_header_bytes = 16 << 10;       // larger headers -> 431
  int max_connections = 4096;               // further connections are closed at accept
  int max_connections_per_ip = 512;         // per client (IPv6: /64); loopback, trusted proxies exempt; 0 = off
  int64_t header_timeout_ms = 10'000;       // a request's header must arrive within this
  int64_t body_timeout_ms = 30'000;         // ... and its body within this after the header
  int64_t idle_timeout_ms = 60'000;         // keep-alive connections idle longer are closed
  int64_t write_timeout_ms = 30'000;
  TlsServerConfig tls;
  // Admission (docs/limits.md): requests in flight per route class, counted from the end of
  // the header to the end of the response; beyond -> 503 + Retry-After. Each holds at most
  // max_body_bytes of body, so limit x max_body_bytes bounds a class's body memory.
  int64_t max_inflight_ingest = 256;
  int64_t max_inflight_query = 32;
  int64_t max_inflight_other = 64;
  // Reverse proxies (IPs or CIDRs, IPv4/IPv6) whose X-Forwarded-For names the client
  // (docs/security.md); empty: the TCP peer is the client.
  std::vector<std::string> trusted_proxies;
  // Serve the dashboard from this directory (a web/dist build) instead of the copy built
  // into the binary: for dashboard development. Empty: the embedded copy.
  std::string web_dir;
};

struct RouteRule {
  std::string pattern;      // RE2/ECMAScript regex matched against one whole path segment
  std::string replacement;  // e.g. ":slug"
};

struct RumConfig {
  size_t max_beacons_per_request = 1000;    // more -> 413
  int max_json_depth = 64;                  // deeper -> 400
  std::vector<std::string> cors_allowed_origins = {"*"};
  std::string default_app = "default";
  std::vector<RouteRule> route_rules;       // extra segment rules after the built-in ones
  int64_t max_timestamp_age_ms = 24LL * 3600 * 1000;  // older beacon timestamps -> receive time
  size_t max_pages_per_app = 100;  // distinct pages per app in the rum_* series, then page "other"
  size_t max_apps = 20;            // distinct apps in the rum_* series, then app "other"; 0 = no cap
  double rate_limit_per_ip = 50;   // /api/rum and /rum.js requests per second per client IP; 0 = off
  double rate_limit_burst = 0;     // bucket size; 0: twice rate_limit_per_ip
  bool keep_query_strings = false; // false: a beacon's url is stored without ?query and #fragment
  int64_t percentile_interval_ms = 60'000;      // rum_vital_percentile written every interval; 0 = off
  int64_t percentile_window_ms = 3600'000;      // trailing window of those exact percentiles
  size_t max_measure_names = 100;  // distinct measure names per app in rum_measure_seconds, then "other"; 0 = no cap
  int64_t journey_timeout_ms = 30LL * 60 * 1000;  // an "abandoned" journey with no later beacon this long is abandoned
};

// The `otlp:` section (docs/otlp.md): OpenTelemetry ingest.
struct OtlpConfig {
  // The receiver (docs/otlp.md "Receiver"): POST /v1/{traces,metrics,logs} on the main
  // listener and, when `listen` is set ("HOST:PORT"; 4318 is the convention), on a listener
  // of its own. "" = only the main listener.
  std::string listen;
  size_t max_body_bytes = 64 << 20;            // per request, after decompression; more -> 413
  // RED metrics derived from spans (docs/otlp.md "RED metrics"): label values beyond these
  // caps are counted under "other". 0 = no cap.
  size_t max_services = 100;                   // distinct service.name values
  size_t max_routes_per_service = 200;         // distinct http_route values per service
  size_t max_span_names_per_service = 1000;    // distinct span_name values per service (all span kinds)
  size_t max_db_statements_per_service = 200;  // distinct db_statement fingerprints per service
  size_t max_peers_per_service = 50;           // distinct HTTP client peers per service
  // The span store (docs/otlp.md "Span store"): spans older than this are deleted, in
  // whole hourly partitions. Fsync policy: events.fsync_interval.
  int64_t span_retention_ms = 7LL * 24 * 3600 * 1000;
};

struct EventsConfig {
  int64_t retention_ms = 7LL * 24 * 3600 * 1000;
  int64_t fsync_interval_ms = 100;          // 0: fsync before every acknowledgement
  int64_t partition_ms = 24LL * 3600 * 1000;  // one partition per UTC day
};

struct TsdbConfig {
  int64_t retention_ms = 30LL * 24 * 3600 * 1000;  // persisted blocks older than this are deleted
  uint64_t max_block_bytes = 0;                     // oldest blocks deleted beyond this; 0 = no limit
  uint64_t wal_hold_max_bytes = 4ull << 30;         // WAL held for lagging remote_write receivers; 0 = none
  int64_t wal_fsync_interval_ms = 100;              // 0: fsync before every acknowledgement
  uint64_t max_series = 1'000'000;                  // 0: unlimited (memory bound: docs/limits.md)
  uint32_t max_labels_per_series = 64;
  uint32_t max_label_name_length = 256;
  uint32_t max_label_value_length = 4096;
  uint32_t max_series_per_second = 20'000;          // 0: unlimited
  size_t max_remote_write_decompressed_bytes = 32 << 20;
};

// The top-level `scrape:` section: defaults for every job and limits (docs/scraping.md).
// Prometheus' `global: {scrape_interval, scrape_timeout}` is accepted as another spelling.
struct ScrapeGlobalConfig {
  int64_t interval_ms = 15'000;             // a job's scrape_interval when it names none
  int64_t timeout_ms = 10'000;              // a job's scrape_timeout (capped at its interval)
  bool self_scrape = true;                  // scrape our own /metrics as job="perfwatch"
  int64_t self_scrape_interval_ms = 0;      // 0: interval_ms
  size_t max_body_bytes = 16 << 20;         // per response, after decompression
  size_t max_samples_per_scrape = 0;        // more samples fail the scrape (up=0); 0 = unlimited
};

// One `static_configs` entry: targets ("host:port") sharing extra labels.
struct StaticTargetsConfig {
  std::vector<std::string> targets;
  std::vector<std::pair<std::string, std::string>> labels;  // sorted by name, names unique
};

// A scrape job's `tls_config` (Prometheus' keys); used with scheme https. Relative paths
// are resolved against the config file's folder.
struct ScrapeTlsConfig {
  std::string ca_file;      // verify the target's certificate against it ("": the system store)
  std::string cert_file;    // client certificate (with key_file) for targets that ask for one
  std::string key_file;
  std::string server_name;  // name the certificate must carry, sent as SNI ("": the target's host)
  bool insecure_skip_verify = false;
};

// One `scrape_configs` entry (a job), with Prometheus' key names. Durations are resolved
// against ScrapeGlobalConfig when the file is read, so they are never 0 after parsing.
struct ScrapeConfig {
  std::string job_name;
  int64_t interval_ms = 0;
  int64_t timeout_ms = 0;
  std::string metrics_path = "/metrics";
  std::string scheme = "http";
  // URL parameters, in file order; each name may carry several values.
  std::vector<std::pair<std::string, std::vector<std::string>>> params;
  bool honor_labels = false;
  bool honor_timestamps = true;  // false: explicit timestamps in the body are ignored
  ScrapeTlsConfig tls_config;
  std::vector<StaticTargetsConfig> static_configs;
};

struct QueryConfig {
  int64_t timeout_ms = 2 * 60 * 1000;       // a query running longer fails with errorType "timeout"
  int64_t max_samples = 50'000'000;         // samples one query may hold in memory at once
  int64_t lookback_delta_ms = 5 * 60 * 1000;  // how far back an instant selector looks for a sample
  uint64_t cache_max_bytes = 32ull << 20;    // answers kept for repeated queries; 0 = no cache
  QueryBackendConfig backend;               // query.backend (common/config_http_client.h)
};

// Alert and recording rules (docs/alerting.md). Prometheus' spellings: `rule_files` at the
// top level; `evaluation_interval`, `rule_query_offset` and `external_labels` under
// `global:`. The notification pipeline's configuration (`alerting:`, a whole Alertmanager
// configuration) is parsed by the alert module from Config::source_text, so its errors can
// name lines of the file.
struct RulesConfig {
  std::vector<std::string> rule_files;        // globs, relative to the config file's folder
  int64_t evaluation_interval_ms = 60'000;    // global.evaluation_interval (Prometheus' default)
  int64_t query_offset_ms = 0;                // global.rule_query_offset
  std::vector<std::pair<std::string, std::string>> external_labels;  // sorted by name
  std::string external_url;                   // top-level external_url: externalURL, generatorURL
  // The `rules:` section: perfwatch's own knobs.
  int64_t resend_delay_ms = 60'000;           // Prometheus' --rules.alert.resend-delay
  bool event_driven = true;                   // evaluate as matching samples arrive
  double event_cpu_budget = 0.25;             // share of one core event-driven evaluation may use
  int eval_threads = 2;
  int flap_threshold = 6;                     // state changes in flap_window beyond which an alert flaps
  int64_t flap_window_ms = 3600'000;          // 0 = flap detection off
  int64_t flap_settle_ms = 15 * 60'000;       // a flapping alert's condition must hold this long to settle
};

// The `auth:` section (docs/security.md). A token is given as its SHA-256 digest or as a
// file holding it; tokens are read from their files when the server starts.
struct AuthTokenConfig {
  std::string name;
  std::string token_sha256;          // 64 hex digits, lower case; or empty with token_file
  std::string token_file;            // relative to the config file's folder
  std::vector<std::string> scopes;   // ingest, read, alert, admin
};

struct AuthConfig {
  std::vector<AuthTokenConfig> tokens;
  bool disabled = false;             // true: no authentication at all, on any address
};

// One `analysis.watch` entry: a PromQL expression watched for change points
// (docs/analysis.md "Continuous watches and regressions").
struct WatchExprConfig {
  std::string name;                  // the `metric` label of its regressions
  std::string expr;
  int64_t step_ms = 3600'000;        // one point per step over analysis.watch_lookback
  std::string direction = "up";      // which change is worse: up, down or both
  double min_magnitude = -1;         // < 0: analysis.changepoint.min_magnitude
};

// `analysis.health` (docs/score.md "Health score"): the targets of one app's health score.
struct HealthServiceConfig {
  std::string name;                    // the `service` label of the span RED series
  double error_ratio_target = -1;      // < 0: analysis.health.error_ratio_target
  int64_t latency_p95_target_ms = -1;  // < 0: analysis.health.latency_p95_target
  bool operator==(const HealthServiceConfig&) const = default;
};
struct HealthAppConfig {
  std::string app;
  std::vector<HealthServiceConfig> services;  // its backends; none: no error/latency parts
  bool operator==(const HealthAppConfig&) const = default;
};
struct HealthConfig {
  int64_t interval_ms = 60'000;        // perfwatch_health_score written every interval; 0: off
  int64_t window_ms = 3600'000;        // the window every part looks at
  double error_ratio_target = 0.01;
  int64_t latency_p95_target_ms = 1000;
  std::vector<HealthAppConfig> apps;   // apps with targets (others: score and alerts only)
  bool operator==(const HealthConfig&) const = default;  // (reload: changed or not)
};

// `analysis.leak`: the periodic memory-leak evaluation (docs/analysis.md "Memory leaks").
struct LeakWatchConfig {
  int64_t interval_ms = 15'000;        // one pass every interval; 0: off
  int64_t lookback_ms = 30 * 60'000;   // the history each pass analyses
  int64_t step_ms = 15'000;            // resolution of the TSDB series (the expressions' subquery step)
  int min_samples = 12;                // samples a RUM session (or a series) needs to be analysed
  double threshold = 0.05;             // growth per minute (0.05 = 5 %/min, the seeds' default)
  double max_p_value = 0.01;
  int64_t warmup_ms = 120'000;         // no finding in a series' first warmup
  // PromQL expressions of heap or RSS series (instant vectors); empty: the defaults
  // (process_resident_memory_bytes, nodejs_heap_size_used_bytes,
  // sum by (job, instance) (v8js_memory_heap_used_bytes)).
  std::vector<std::string> expressions;
  bool operator==(const LeakWatchConfig&) const = default;  // (reload: changed or not)
};

// The `analysis:` section: the change-point detector's defaults and the continuous watches.
struct AnalysisConfig {
  int changepoint_min_segment = 10;
  int changepoint_window = 50;
  double changepoint_max_p_value = 0.001;
  double changepoint_min_magnitude = 0.05;
  int64_t watch_interval_ms = 5 * 60'000;       // 0 = no continuous watches
  int64_t watch_lookback_ms = 14 * 86'400'000LL;
  int watch_min_views = 20;                     // views (or calls) an hour needs to count
  int watch_max_series = 1000;                  // series analysed per pass
  std::vector<WatchExprConfig> watch;
  HealthConfig health;
  LeakWatchConfig leak;
};

// One entry of `reports:` (docs/reports.md "Scheduled reports").
struct ReportScheduleConfig {
  std::string name;
  std::string app;
  int64_t window_ms = 7 * 86'400'000LL;
  int64_t every_ms = 7 * 86'400'000LL;
  std::string format = "html";  // html | md | json
  std::string to;               // the name of an email receiver of `alerting:`
};

struct Config {
  std::filesystem::path data_dir = "./data";
  std::string log_level = "info";
  HttpConfig http;
  RumConfig rum;
  OtlpConfig otlp;
  EventsConfig events;
  TsdbConfig tsdb;
  QueryConfig query;
  ScrapeGlobalConfig scrape;
  std::vector<ScrapeConfig> scrape_configs;
  RulesConfig rules;
  AuthConfig auth;
  AnalysisConfig analysis;
  std::vector<ReportScheduleConfig> reports;  // `reports:`
  bool has_alerting = false;              // the file has an `alerting:` section
  std::string source_text;                // the YAML the config was read from ("" with no file)
  std::filesystem::path source_path;      // its path (rule_files are relative to its folder)
};

// Reads a YAML config file over the defaults. Unknown keys are an error (typos should not
// pass silently); durations accept "100ms", "7d" or seconds.
Result<Config> LoadConfigFile(const std::filesystem::path& path);

// Parses YAML text over the defaults (LoadConfigFile reads the file and calls this).
Result<Config> ParseConfig(const std::string& yaml_text);

// Checks ranges and consistency; called after flags are applied.
Status ValidateConfig(const Config& config);

}  // namespace perfwatch
