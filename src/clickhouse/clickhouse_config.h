#pragma once
// `events.backend: clickhouse` (docs/configuration.md, docs/format/clickhouse.md): where
// the event store forwards its events and where the vitals API reads them. Two spellings:
//   events: {backend: clickhouse, clickhouse: {url: ..., database: ..., ...}}
//   events: {backend: {type: clickhouse, url: ..., database: ..., ...}}
// Keys: url (required, http:// or https://, ClickHouse's HTTP interface), database
// (default "perfwatch"), user (default "default"), password or password_file (at most
// one; the file is read at start, trimmed), batch_size (rows per INSERT, default 10000,
// 1..100000), poll_interval (default 200ms), timeout (per request, default 30s),
// min_backoff (default 100ms), max_backoff (default 30s).
// Thread safety: plain values; the parser is a pure function.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "common/status.h"

namespace perfwatch::clickhouse {

struct ClickHouseConfig {
  std::string url;
  std::string database = "perfwatch";
  std::string user = "default";
  std::string password;
  std::string password_file;
  uint32_t batch_size = 10'000;
  int64_t poll_interval_ms = 200;
  int64_t timeout_ms = 30'000;
  int64_t min_backoff_ms = 100;
  int64_t max_backoff_ms = 30'000;
};

// The backend of the YAML text's `events:` section: nullopt when there is none (or
// `backend: local`); InvalidArgument naming the key otherwise. Relative password_file
// paths are resolved against `base_dir`.
Result<std::optional<ClickHouseConfig>> ParseEventsBackend(const std::string& yaml_text,
                                                           const std::filesystem::path& base_dir);

// The password to send: `password`, or password_file's content without trailing
// whitespace. Errors name the file.
Result<std::string> ResolvePassword(const ClickHouseConfig& config);

}  // namespace perfwatch::clickhouse
