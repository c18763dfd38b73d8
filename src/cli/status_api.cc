#include "cli/status_api.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <fstream>

#include "common/json_writer.h"
#include "common/time.h"

namespace perfwatch::cli {
namespace {

constexpr const char* kSecret = "<secret>";

std::string Normalise(std::string_view key) {
  std::string k(key);
  for (char& c : k) c = c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return k;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Every scalar under `node` becomes <secret> (empty ones stay empty: nothing to hide).
void MaskAll(YAML::Node node) {
  if (node.IsScalar()) {
    if (!node.Scalar().empty()) node = kSecret;
    return;
  }
  if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) MaskAll(node[i]);
  } else if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) MaskAll(it->second);
  }
}

// "scheme://user:password@host/..." -> "scheme://user:<secret>@host/...".
void MaskUrlPassword(YAML::Node node) {
  const std::string& s = node.Scalar();
  size_t scheme = s.find("://");
  if (scheme == std::string::npos) return;
  size_t start = scheme + 3;
  size_t end = s.find_first_of("/?#", start);
  size_t at = s.rfind('@', end == std::string::npos ? s.size() : end);
  if (at == std::string::npos || at < start) return;
  size_t colon = s.find(':', start);
  if (colon == std::string::npos || colon > at || colon + 1 == at) return;
  node = s.substr(0, colon + 1) + kSecret + s.substr(at);
}

void Mask(YAML::Node node, std::string_view parent) {
  if (node.IsScalar()) {
    MaskUrlPassword(node);
  } else if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) Mask(node[i], parent);
  } else if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string();
      // http_config's `authorization: {type, credentials}`: only the credentials are secret.
      const bool auth_block = it->second.IsMap() && Normalise(key) == "authorization";
      if (IsSecretKey(key, parent) && !auth_block) {
        MaskAll(it->second);
      } else {
        Mask(it->second, key);
      }
    }
  }
}

void AppendTime(std::string& out, int64_t ms) {
  AppendJsonString(out, ms == 0 ? std::string("0001-01-01T00:00:00Z") : FormatRfc3339Ms(ms));
}

}  // namespace

bool IsSecretKey(std::string_view raw_key, std::string_view raw_parent) {
  const std::string key = Normalise(raw_key);
  const std::string parent = Normalise(raw_parent);
  static constexpr std::array<std::string_view, 6> kExact = {"token_sha256", "credentials", "key",
                                                             "private_key",  "authorization", "cookie"};
  if (std::find(kExact.begin(), kExact.end(), key) != kExact.end()) return true;
  // "_key": api_key, routing_key, service_key, user_key, secret_key, integration_key...
  static constexpr std::array<std::string_view, 6> kSuffixes = {"password", "secret", "secrets", "token", "_key", "apikey"};
  for (std::string_view s : kSuffixes) {
    if (EndsWith(key, s)) return true;
  }
  if (key == "slack_api_url" || EndsWith(key, "webhook_url")) return true;
  if (key == "url" && parent.find("webhook") != std::string::npos) return true;  // Alertmanager's webhook url
  if (key == "api_url" && parent == "slack_configs") return true;
  return false;
}

void MaskSecrets(YAML::Node node) { Mask(node, ""); }

std::string EffectiveConfigYaml(const Config& started, const std::optional<std::string>& reloaded_text) {
  YAML::Node root;
  try {
    if (!started.source_text.empty()) root = YAML::Load(started.source_text);
    if (!root.IsMap()) root = YAML::Node(YAML::NodeType::Map);
    if (reloaded_text) {
      // What the last reload applied (ServerApp::Reload): the file with the restart-only
      // keys as the server runs them (common/config_reload.h).
      YAML::Node fresh = reloaded_text->empty() ? YAML::Node() : YAML::Load(*reloaded_text);
      root = fresh.IsMap() ? fresh : YAML::Node(YAML::NodeType::Map);
    }
  } catch (const YAML::Exception&) {
    root = YAML::Node(YAML::NodeType::Map);  // cannot happen: the text was loaded before
  }
  // What flags override (cli/serve.cc BuildConfig), as the server runs with it.
  root["data_dir"] = started.data_dir.string();
  root["log_level"] = started.log_level;
  if (root["listen"]) {
    root["listen"] = started.http.listen;
  } else {
    root["http"]["listen"] = started.http.listen;
  }
  if (!started.http.web_dir.empty()) root["http"]["web_dir"] = started.http.web_dir;
  MaskSecrets(root);
  YAML::Emitter out;
  out << root;
  std::string yaml = out.c_str();
  if (!yaml.empty() && yaml.back() != '\n') yaml += '\n';
  return yaml;
}

std::string StorageRetentionString(int64_t retention_ms, uint64_t max_bytes) {
  std::string s = retention_ms > 0 ? FormatPromDuration(retention_ms) : "";
  if (max_bytes > 0) {
    static constexpr std::array<const char*, 5> kUnits = {"B", "KiB", "MiB", "GiB", "TiB"};
    size_t unit = 0;
    uint64_t v = max_bytes;
    while (unit + 1 < kUnits.size() && v % 1024 == 0) {
      v /= 1024;
      ++unit;
    }
    if (!s.empty()) s += " or ";
    s += std::to_string(v) + kUnits[unit];
  }
  return s;
}

std::string RuntimeInfoJson(const RuntimeInfo& info) {
  std::string out = "{\"startTime\":";
  AppendTime(out, info.start_time_ms);
  out += ",\"CWD\":";
  AppendJsonString(out, info.cwd);
  out += ",\"reloadConfigSuccess\":";
  out += info.reload_config_success ? "true" : "false";
  out += ",\"lastConfigTime\":";
  AppendTime(out, info.last_config_time_ms);
  out += ",\"corruptionCount\":";
  AppendJsonInt(out, info.corruption_count);
  out += ",\"goroutineCount\":";
  AppendJsonInt(out, info.thread_count);
  out += ",\"GOMAXPROCS\":";
  AppendJsonInt(out, info.worker_threads);
  out += ",\"GOGC\":\"\",\"GODEBUG\":\"\",\"storageRetention\":";
  AppendJsonString(out, info.storage_retention);
  out += ",\"version\":";
  AppendJsonString(out, info.version);
  out += ",\"dataDir\":";
  AppendJsonString(out, info.data_dir);
  out += ",\"configFile\":";
  AppendJsonString(out, info.config_file);
  out += ",\"eventsStored\":";
  AppendJsonInt(out, static_cast<long long>(info.events_stored));
  out += ",\"eventsRetention\":";
  AppendJsonString(out, info.events_retention);
  out += ",\"headSeries\":";
  AppendJsonInt(out, static_cast<long long>(info.head_series));
  out += ",\"rssBytes\":";
  AppendJsonInt(out, static_cast<long long>(info.rss_bytes));
  out += "}";
  return out;
}

int64_t ProcessThreadCount() {
  std::error_code ec;
  int64_t n = 0;
  for (std::filesystem::directory_iterator it("/proc/self/task", ec), end; !ec && it != end; it.increment(ec)) ++n;
  return n;
}

uint64_t ProcessRssBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

void RegisterStatusApi(http::Router& router, StatusSources sources) {
  const http::RouteOptions kRead{.scope = http::Scope::kRead};
  auto success = [](http::Response& res, std::string data) {
    res.status = 200;
    res.content_type = "application/json";
    res.body = "{\"status\":\"success\",\"data\":" + std::move(data) + "}";
  };
  router.Handle("GET", "/api/v1/status/config", [f = sources.config_yaml, success](const http::Request&, http::Response& res) {
    std::string data = "{\"yaml\":";
    AppendJsonString(data, f());
    data += "}";
    success(res, std::move(data));
  }, kRead);
  router.Handle("GET", "/api/v1/status/runtimeinfo", [f = sources.runtime_info, success](const http::Request&, http::Response& res) {
    success(res, RuntimeInfoJson(f()));
  }, kRead);
  router.Handle("GET", "/api/v1/status/flags", [f = sources.flags, success](const http::Request&, http::Response& res) {
    std::string data = "{";
    bool first = true;
    for (const auto& [name, value] : f()) {
      if (!first) data += ",";
      first = false;
      AppendJsonString(data, name);
      data += ":";
      AppendJsonString(data, value);
    }
    data += "}";
    success(res, std::move(data));
  }, kRead);
  if (sources.backends) {
    router.Handle("GET", "/api/v1/status/backends", [f = sources.backends, success](const http::Request&, http::Response& res) {
      success(res, f());
    }, kRead);
  }
}

}  // namespace perfwatch::cli
