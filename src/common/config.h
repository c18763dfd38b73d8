#pragma once
// perfwatch's configuration: defaults, the optional YAML file, and validation.
// Layout and every key: docs/configuration.md. Command-line flags override the file.
// Thread safety: a plain value; built once at start-up and then only read.
#include <cstdint>
#include <filesystem>
#include <string>
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

struct Config {
  std::filesystem::path data_dir = "./data";
  std::string log_level = "info";
  HttpConfig http;
  RumConfig rum;
  EventsConfig events;
  TsdbConfig tsdb;
};

// Reads a YAML config file over the defaults. Unknown keys are an error (typos should not
// pass silently); durations accept "100ms", "7d" or seconds.
Result<Config> LoadConfigFile(const std::filesystem::path& path);

// Parses YAML text over the defaults (LoadConfigFile reads the file and calls this).
Result<Config> ParseConfig(const std::string& yaml_text);

// Checks ranges and consistency; called after flags are applied.
Status ValidateConfig(const Config& config);

}  // namespace perfwatch
