#include "clickhouse/clickhouse_config.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "alert/http_post.h"
#include "clickhouse/tsv.h"
#include "common/time.h"

namespace perfwatch::clickhouse {
namespace {

Status Bad(const YAML::Node& n, const std::string& where, const std::string& what) {
  return InvalidArgument(where + " (line " + std::to_string(n.Mark().line + 1) + "): " + what);
}

Status ReadString(const YAML::Node& m, const char* key, const std::string& where, std::string* out) {
  const YAML::Node n = m[key];
  if (!n || n.IsNull()) return Status::Ok();
  if (!n.IsScalar()) return Bad(n, where + "." + key, "expected a string");
  *out = n.Scalar();
  return Status::Ok();
}

Status ReadDurationKey(const YAML::Node& m, const char* key, const std::string& where, int64_t* out) {
  const YAML::Node n = m[key];
  if (!n || n.IsNull()) return Status::Ok();
  if (!n.IsScalar()) return Bad(n, where + "." + key, "expected a duration such as 30s");
  auto d = ParseDurationMs(n.Scalar());
  if (!d.ok() || *d <= 0) return Bad(n, where + "." + key, "expected a positive duration such as 30s");
  *out = *d;
  return Status::Ok();
}

Result<ClickHouseConfig> ParseSection(const YAML::Node& m, const std::string& where,
                                      const std::filesystem::path& base_dir, bool with_type) {
  if (!m.IsMap()) return Bad(m, where, "expected a mapping");
  std::set<std::string> known = {"url",         "database", "user",        "password",   "password_file",
                                 "batch_size",  "timeout",  "min_backoff", "max_backoff", "poll_interval"};
  if (with_type) known.insert("type");
  for (const auto& kv : m) {
    const std::string k = kv.first.as<std::string>();
    if (!known.count(k)) return Bad(kv.first, where, "unknown key \"" + k + "\"");
  }
  ClickHouseConfig c;
  PW_RETURN_IF_ERROR(ReadString(m, "url", where, &c.url));
  if (c.url.empty()) return Bad(m, where, "url is required (ClickHouse's HTTP interface, e.g. http://127.0.0.1:8123)");
  auto url = alert::ParseHttpUrl(c.url);
  if (!url.ok()) return Bad(m["url"], where + ".url", url.status().message());
  PW_RETURN_IF_ERROR(ReadString(m, "database", where, &c.database));
  if (auto id = SqlIdentifier(c.database); !id.ok()) return Bad(m["database"] ? m["database"] : m, where + ".database", id.status().message());
  PW_RETURN_IF_ERROR(ReadString(m, "user", where, &c.user));
  PW_RETURN_IF_ERROR(ReadString(m, "password", where, &c.password));
  PW_RETURN_IF_ERROR(ReadString(m, "password_file", where, &c.password_file));
  if (!c.password.empty() && !c.password_file.empty()) {
    return Bad(m, where, "at most one of password and password_file must be configured");
  }
  if (!c.password_file.empty() && std::filesystem::path(c.password_file).is_relative() && !base_dir.empty()) {
    c.password_file = (base_dir / c.password_file).string();
  }
  if (const YAML::Node n = m["batch_size"]; n && !n.IsNull()) {
    uint64_t v = 0;
    if (!n.IsScalar() || !ParseUint(n.Scalar()).ok() || (v = *ParseUint(n.Scalar())) < 1 || v > 100'000) {
      return Bad(n, where + ".batch_size", "expected a number of rows from 1 to 100000");
    }
    c.batch_size = static_cast<uint32_t>(v);
  }
  PW_RETURN_IF_ERROR(ReadDurationKey(m, "timeout", where, &c.timeout_ms));
  PW_RETURN_IF_ERROR(ReadDurationKey(m, "min_backoff", where, &c.min_backoff_ms));
  PW_RETURN_IF_ERROR(ReadDurationKey(m, "max_backoff", where, &c.max_backoff_ms));
  PW_RETURN_IF_ERROR(ReadDurationKey(m, "poll_interval", where, &c.poll_interval_ms));
  if (c.max_backoff_ms < c.min_backoff_ms) return Bad(m, where, "max_backoff must not be below min_backoff");
  return c;
}

}  // namespace

Result<std::optional<ClickHouseConfig>> ParseEventsBackend(const std::string& yaml_text,
                                                           const std::filesystem::path& base_dir) {
  try {
    const YAML::Node root = yaml_text.empty() ? YAML::Node() : YAML::Load(yaml_text);
    if (!root || !root.IsMap()) return std::optional<ClickHouseConfig>();
    const YAML::Node events = root["events"];
    if (!events || !events.IsMap()) return std::optional<ClickHouseConfig>();
    const YAML::Node backend = events["backend"];
    const YAML::Node section = events["clickhouse"];
    if (!backend || backend.IsNull()) {
      if (section && !section.IsNull()) {
        return Bad(section, "events.clickhouse", "set events.backend: clickhouse to use it");
      }
      return std::optional<ClickHouseConfig>();
    }
    if (backend.IsScalar()) {
      const std::string kind = backend.Scalar();
      if (kind == "local") {
        if (section && !section.IsNull()) return Bad(section, "events.clickhouse", "set events.backend: clickhouse to use it");
        return std::optional<ClickHouseConfig>();
      }
      if (kind != "clickhouse") return Bad(backend, "events.backend", "expected clickhouse or local, got \"" + kind + "\"");
      if (!section || section.IsNull()) {
        return Bad(backend, "events.backend", "clickhouse needs an events.clickhouse section (url, database, user, password)");
      }
      PW_ASSIGN_OR_RETURN(ClickHouseConfig c, ParseSection(section, "events.clickhouse", base_dir, false));
      return std::optional<ClickHouseConfig>(std::move(c));
    }
    if (!backend.IsMap()) return Bad(backend, "events.backend", "expected clickhouse or a mapping with type: clickhouse");
    if (section && !section.IsNull()) {
      return Bad(section, "events.clickhouse", "give the settings in events.backend or in events.clickhouse, not both");
    }
    const YAML::Node type = backend["type"];
    if (!type || !type.IsScalar() || type.Scalar() != "clickhouse") {
      return Bad(backend, "events.backend.type", "expected type: clickhouse");
    }
    PW_ASSIGN_OR_RETURN(ClickHouseConfig c, ParseSection(backend, "events.backend", base_dir, true));
    return std::optional<ClickHouseConfig>(std::move(c));
  } catch (const YAML::Exception& e) {
    return InvalidArgument("events.backend: " + e.msg + " (line " + std::to_string(e.mark.line + 1) + ")");
  }
}

Result<std::string> ResolvePassword(const ClickHouseConfig& config) {
  if (config.password_file.empty()) return config.password;
  std::ifstream in(config.password_file, std::ios::binary);
  if (!in) return InvalidArgument("events.backend password_file: cannot open " + config.password_file);
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  return s;
}

}  // namespace perfwatch::clickhouse
