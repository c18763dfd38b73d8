#pragma once
// perfwatch's configuration: defaults, the optional YAML file, and validation.
// Layout and every key: docs/configuration.md. Command-line flags override the file.
// Thread safety: a plain value; built once at start-up and then only read.
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace perfwatch {

struct HttpConfig {
  std::string listen = "127.0.0.1:9797";
  int threads = 0;                          // 0: one per core
  size_t max_body_bytes = 1 << 20;          // larger bodies -> 413
  size_t max_header_bytes = 16 << 10;       // larger headers -> 431
  int max_connections = 4096;               // further connections are closed at accept
  int64_t header_timeout_ms = 10'000;       // a request's header must arrive within this
  int64_t body_timeout_ms = 30'000;         // ... and its body within this after the header
  int64_t idle_timeout_ms = 60'000;         // keep-alive connections idle longer are closed
  int64_t write_timeout_ms = 30'000;
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
};

struct EventsConfig {
  int64_t retention_ms = 7LL * 24 * 3600 * 1000;
  int64_t fsync_interval_ms = 100;          // 0: fsync before every acknowledgement
  int64_t partition_ms = 24LL * 3600 * 1000;  // one partition per UTC day
};

struct TsdbConfig {
  int64_t retention_ms = 30LL * 24 * 3600 * 1000;  // persisted blocks older than this are deleted
  uint64_t max_block_bytes = 0;                     // oldest blocks deleted beyond this; 0 = no limit
  int64_t wal_fsync_interval_ms = 100;              // 0: fsync before every acknowledgement
  uint64_t max_series = 0;                          // 0: unlimited
  uint32_t max_labels_per_series = 64;
  uint32_t max_label_name_length = 256;
  uint32_t max_label_value_length = 4096;
  uint32_t max_series_per_second = 0;               // 0: unlimited
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
  std::vector<StaticTargetsConfig> static_configs;
};

struct QueryConfig {
  int64_t timeout_ms = 2 * 60 * 1000;       // a query running longer fails with errorType "timeout"
  int64_t max_samples = 50'000'000;         // samples one query may hold in memory at once
  int64_t lookback_delta_ms = 5 * 60 * 1000;  // how far back an instant selector looks for a sample
  uint64_t cache_max_bytes = 32ull << 20;    // answers kept for repeated queries; 0 = no cache
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
};

struct Config {
  std::filesystem::path data_dir = "./data";
  std::string log_level = "info";
  HttpConfig http;
  RumConfig rum;
  EventsConfig events;
  TsdbConfig tsdb;
  QueryConfig query;
  ScrapeGlobalConfig scrape;
  std::vector<ScrapeConfig> scrape_configs;
  RulesConfig rules;
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
