#pragma once
// The `remote_write:` section of the YAML configuration, in Prometheus' syntax: a list of
// receivers perfwatch forwards every stored sample to (docs/remote-write-out.md, keys in
// docs/configuration.md). Parsed from the whole config file's text, like `synthetic:`;
// unknown keys, bad URLs (only http/https), conflicting auth settings and bad relabel
// regexes are errors naming the key and its line ("remote_write[0].queue_config.capcity
// (line 7): unknown key").
// Thread safety: pure functions; the structs are plain values.
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace perfwatch::remote {

// One `write_relabel_configs` entry (Prometheus' keys and defaults).
struct RelabelConfig {
  std::vector<std::string> source_labels;
  std::string separator = ";";
  std::string regex = "(.*)";
  std::string target_label;
  std::string replacement = "$1";
  std::string action = "replace";  // keep | drop | replace | labeldrop | labelkeep | lowercase | uppercase
  friend bool operator==(const RelabelConfig&, const RelabelConfig&) = default;
};

struct QueueConfig {
  int64_t capacity = 10'000;              // samples read ahead per round (see docs)
  int64_t max_shards = 50;                // capped at kMaxShardThreads
  int64_t min_shards = 1;
  int64_t max_samples_per_send = 2'000;
  int64_t batch_send_deadline_ms = 5'000;
  int64_t min_backoff_ms = 30;
  int64_t max_backoff_ms = 5'000;
  friend bool operator==(const QueueConfig&, const QueueConfig&) = default;
};

// Sender threads per remote at most (max_shards above it is accepted and capped).
inline constexpr int64_t kMaxShardThreads = 8;

struct RemoteWriteConfig {
  std::string url;
  std::string name;                   // as configured ("" when not given)
  std::string basic_auth_username;
  std::string basic_auth_password;
  std::string basic_auth_password_file;
  bool has_basic_auth = false;
  std::string authorization_type = "Bearer";
  std::string authorization_credentials;
  std::string authorization_credentials_file;
  bool has_authorization = false;
  std::vector<std::pair<std::string, std::string>> headers;  // in file order
  int64_t remote_timeout_ms = 30'000;
  QueueConfig queue;
  std::vector<RelabelConfig> write_relabel_configs;
  // global.external_labels, added to each series lacking them before relabeling (filled
  // by the server from the global section, not by ParseRemoteWriteConfig).
  std::vector<std::pair<std::string, std::string>> external_labels;
  friend bool operator==(const RemoteWriteConfig&, const RemoteWriteConfig&) = default;

  // `name`, or the first 6 hex digits of a hash of the URL (metrics' remote_name label and
  // the progress directory's name).
  std::string RemoteName() const;
};

// Reads `remote_write:` from the config file's text ("" or no section: none). Relative
// password_file / credentials_file paths are resolved against `base_dir`.
Result<std::vector<RemoteWriteConfig>> ParseRemoteWriteConfig(const std::string& yaml_text,
                                                               const std::filesystem::path& base_dir = {});

}  // namespace perfwatch::remote
