#pragma once
// The server's own status endpoints in Prometheus' shapes (docs/api.md, "Status"):
//   GET /api/v1/status/config       {"yaml": the effective configuration, secrets as <secret>}
//   GET /api/v1/status/runtimeinfo  Prometheus' RuntimeInfo fields plus perfwatch's own
//   GET /api/v1/status/flags        the serve flags' effective values, as strings
//   GET /api/v1/status/backends     where queries and events go (query.backend,
//                                   events.backend: docs/scale-out.md), with forwarding counts
// "Effective configuration": the YAML file the server started with or, after a successful
// reload, what that reload applied (the new file with the restart-only keys as they run,
// common/config_reload.h), and the values flags override (--listen, --data-dir, --log-level, --web-dir)
// written in. Every secret-like value is replaced by "<secret>" (MaskSecrets), so the
// route is in scope `read`, as in Prometheus.
// Thread safety: the functions are pure; the handlers call the StatusSources callbacks,
// which must be thread-safe.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/config.h"
#include "http/router.h"

namespace perfwatch::cli {

// True when a mapping key names a secret (matched case-insensitively, '-' as '_'):
// *password, *secret, *secrets, *token, token_sha256, credentials, key, *_key (api_key,
// routing_key, service_key, ...), *apikey, private_key, authorization, cookie,
// slack_api_url, *webhook_url. `parent` is the key of the nearest
// enclosing mapping entry (e.g. "webhook_configs" for a webhook's `url`, "slack_configs"
// for a Slack `api_url`, both secret URLs in Alertmanager). Paths (*_file) are not secret.
bool IsSecretKey(std::string_view key, std::string_view parent);

// Replaces, in place, every non-empty value under a secret key (scalars, and every scalar
// of a mapping or sequence under one) by "<secret>", and the password of any
// "scheme://user:password@host" URL by "<secret>".
void MaskSecrets(YAML::Node node);

// The effective configuration as YAML (see the header comment). `started` is the config
// the server runs with (flags applied; source_text is the file it was read from, "" with
// none); `reloaded_text` the applied YAML of the last successful reload (nullopt before any).
std::string EffectiveConfigYaml(const Config& started, const std::optional<std::string>& reloaded_text);

// Prometheus' storageRetention: "30d", "30d or 512MiB", "512MiB" or "".
std::string StorageRetentionString(int64_t retention_ms, uint64_t max_bytes);

struct RuntimeInfo {
  // Prometheus' fields.
  int64_t start_time_ms = 0;
  std::string cwd;
  bool reload_config_success = true;
  int64_t last_config_time_ms = 0;  // the last successful (re)load
  int64_t corruption_count = 0;     // problems found replaying the TSDB's write-ahead log
  int64_t thread_count = 0;         // goroutineCount: the process's threads
  int64_t worker_threads = 0;       // GOMAXPROCS: HTTP worker threads
  std::string storage_retention;
  // perfwatch's own.
  std::string version;
  std::string data_dir;
  std::string config_file;
  uint64_t events_stored = 0;
  std::string events_retention;
  uint64_t head_series = 0;
  uint64_t rss_bytes = 0;
};

// Prometheus' RuntimeInfo JSON (the `data` object) with perfwatch's fields appended.
std::string RuntimeInfoJson(const RuntimeInfo& info);

// Threads of this process (/proc/self/task) and its resident set (/proc/self/statm).
int64_t ProcessThreadCount();
uint64_t ProcessRssBytes();

struct StatusSources {
  std::function<std::string()> config_yaml;
  std::function<RuntimeInfo()> runtime_info;
  std::function<std::vector<std::pair<std::string, std::string>>()> flags;  // sorted by name
  std::function<std::string()> backends;  // the JSON object of /api/v1/status/backends' data
};

void RegisterStatusApi(http::Router& router, StatusSources sources);

}  // namespace perfwatch::cli
