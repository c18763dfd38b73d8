#include "remote/remote_config.h"

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>

#include "alert/http_post.h"  // ParseHttpUrl
#include "common/config_http_client.h"
#include "common/hash.h"
#include "common/time.h"
#include "common/yaml_where.h"

namespace perfwatch::remote {
namespace {

using yaml_where::At;
using yaml_where::Bad;
using yaml_where::Keys;
using yaml_where::Str;

Status Duration(const YAML::Node& parent, const char* key, const std::string& where, int64_t* out) {
  const YAML::Node node = parent[key];
  if (!node) return Status::Ok();
  if (!node.IsScalar()) return Bad(node, where + "." + key, "expected a duration such as 5s");
  auto ms = ParseDurationMs(node.as<std::string>());
  if (!ms.ok()) return Bad(node, where + "." + key, ms.status().message());
  if (*ms <= 0) return Bad(node, where + "." + key, "must be positive");
  *out = *ms;
  return Status::Ok();
}

Status Int(const YAML::Node& parent, const char* key, const std::string& where, int64_t lo, int64_t hi, int64_t* out) {
  const YAML::Node node = parent[key];
  if (!node) return Status::Ok();
  int64_t v = 0;
  if (!node.IsScalar() || !YAML::convert<int64_t>::decode(node, v)) return Bad(node, where + "." + key, "expected an integer");
  if (v < lo || v > hi) {
    return Bad(node, where + "." + key, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  }
  *out = v;
  return Status::Ok();
}

bool ValidLabelName(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = c == '_' || std::isalpha(static_cast<unsigned char>(c)) || (i > 0 && std::isdigit(static_cast<unsigned char>(c)));
    if (!ok) return false;
  }
  return true;
}

Result<RelabelConfig> ParseRelabel(const YAML::Node& node, const std::string& where) {
  PW_RETURN_IF_ERROR(Keys(node, where, {"source_labels", "separator", "regex", "target_label", "replacement", "action"}));
  RelabelConfig r;
  if (const YAML::Node src = node["source_labels"]) {
    if (!src.IsSequence()) return Bad(src, where + ".source_labels", "expected a list of label names");
    for (size_t i = 0; i < src.size(); ++i) {
      if (!src[i].IsScalar() || !ValidLabelName(src[i].as<std::string>())) {
        return Bad(src[i], where + ".source_labels[" + std::to_string(i) + "]", "expected a label name");
      }
      r.source_labels.push_back(src[i].as<std::string>());
    }
  }
  PW_RETURN_IF_ERROR(Str(node, "separator", where, &r.separator));
  PW_RETURN_IF_ERROR(Str(node, "regex", where, &r.regex));
  PW_RETURN_IF_ERROR(Str(node, "target_label", where, &r.target_label));
  PW_RETURN_IF_ERROR(Str(node, "replacement", where, &r.replacement));
  PW_RETURN_IF_ERROR(Str(node, "action", where, &r.action));
  std::transform(r.action.begin(), r.action.end(), r.action.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const std::set<std::string> kActions = {"keep", "drop", "replace", "labeldrop", "labelkeep", "lowercase",
                                                 "uppercase"};
  if (!kActions.count(r.action)) {
    return Bad(node["action"], where + ".action",
               "unsupported action \"" + r.action +
                   "\" (supported: keep, drop, replace, labeldrop, labelkeep, lowercase, uppercase)");
  }
  RE2 re("^(?:" + r.regex + ")$", RE2::Quiet);
  if (!re.ok()) return Bad(node["regex"] ? node["regex"] : node, where + ".regex", "invalid regex: " + re.error());
  const bool needs_source = r.action == "keep" || r.action == "drop";
  if (needs_source && r.source_labels.empty()) {
    return Bad(node, where, "action " + r.action + " needs source_labels");
  }
  const bool needs_target = r.action == "replace" || r.action == "lowercase" || r.action == "uppercase";
  if (needs_target && r.target_label.empty()) return Bad(node, where, "action " + r.action + " needs target_label");
  if ((r.action == "lowercase" || r.action == "uppercase") && !ValidLabelName(r.target_label)) {
    return Bad(node["target_label"], where + ".target_label", "invalid label name \"" + r.target_label + "\"");
  }
  if ((r.action == "labeldrop" || r.action == "labelkeep") &&
      (!r.source_labels.empty() || !r.target_label.empty() || node["replacement"])) {
    return Bad(node, where, r.action + " takes only regex (no source_labels, target_label or replacement)");
  }
  return r;
}

Result<RemoteWriteConfig> ParseOne(const YAML::Node& node, const std::string& where, const std::filesystem::path& base) {
  PW_RETURN_IF_ERROR(Keys(node, where, {"url", "name", "basic_auth", "authorization", "headers", "remote_timeout",
                                        "queue_config", "write_relabel_configs"}));
  RemoteWriteConfig c;
  PW_RETURN_IF_ERROR(Str(node, "url", where, &c.url));
  if (c.url.empty()) return Bad(node, where, "url is required");
  auto url = alert::ParseHttpUrl(c.url);
  if (!url.ok()) return Bad(node["url"], where + ".url", url.status().message());
  PW_RETURN_IF_ERROR(Str(node, "name", where, &c.name));
  // basic_auth, authorization, headers: the parser query.backend shares (no tls_config here).
  HttpClientAuthConfig auth;
  PW_RETURN_IF_ERROR(ParseHttpClientAuth(node, where, base, /*allow_tls=*/false, &auth));
  c.has_basic_auth = auth.has_basic_auth;
  c.basic_auth_username = std::move(auth.basic_auth_username);
  c.basic_auth_password = std::move(auth.basic_auth_password);
  c.basic_auth_password_file = std::move(auth.basic_auth_password_file);
  c.has_authorization = auth.has_authorization;
  c.authorization_type = std::move(auth.authorization_type);
  c.authorization_credentials = std::move(auth.authorization_credentials);
  c.authorization_credentials_file = std::move(auth.authorization_credentials_file);
  c.headers = std::move(auth.headers);
  PW_RETURN_IF_ERROR(Duration(node, "remote_timeout", where, &c.remote_timeout_ms));
  if (const YAML::Node q = node["queue_config"]) {
    const std::string w = where + ".queue_config";
    PW_RETURN_IF_ERROR(Keys(q, w, {"capacity", "max_shards", "min_shards", "max_samples_per_send",
                                   "batch_send_deadline", "min_backoff", "max_backoff"}));
    QueueConfig& qc = c.queue;
    PW_RETURN_IF_ERROR(Int(q, "capacity", w, 1, 100'000'000, &qc.capacity));
    PW_RETURN_IF_ERROR(Int(q, "max_shards", w, 1, 100'000, &qc.max_shards));
    PW_RETURN_IF_ERROR(Int(q, "min_shards", w, 1, 100'000, &qc.min_shards));
    PW_RETURN_IF_ERROR(Int(q, "max_samples_per_send", w, 1, 10'000'000, &qc.max_samples_per_send));
    PW_RETURN_IF_ERROR(Duration(q, "batch_send_deadline", w, &qc.batch_send_deadline_ms));
    PW_RETURN_IF_ERROR(Duration(q, "min_backoff", w, &qc.min_backoff_ms));
    PW_RETURN_IF_ERROR(Duration(q, "max_backoff", w, &qc.max_backoff_ms));
    if (qc.min_shards > qc.max_shards) return Bad(q, w, "min_shards must not exceed max_shards");
    if (qc.min_backoff_ms > qc.max_backoff_ms) return Bad(q, w, "min_backoff must not exceed max_backoff");
  }
  if (const YAML::Node rl = node["write_relabel_configs"]) {
    const std::string w = where + ".write_relabel_configs";
    if (!rl.IsSequence()) return Bad(rl, w, "expected a list");
    for (size_t i = 0; i < rl.size(); ++i) {
      PW_ASSIGN_OR_RETURN(RelabelConfig r, ParseRelabel(rl[i], w + "[" + std::to_string(i) + "]"));
      c.write_relabel_configs.push_back(std::move(r));
    }
  }
  return c;
}

}  // namespace

std::string RemoteWriteConfig::RemoteName() const {
  if (!name.empty()) return name;
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(HashBytes(url)));
  return std::string(buf, 6);
}

Result<std::vector<RemoteWriteConfig>> ParseRemoteWriteConfig(const std::string& yaml_text,
                                                               const std::filesystem::path& base_dir) {
  std::vector<RemoteWriteConfig> out;
  try {
    const YAML::Node root = YAML::Load(yaml_text);
    if (!root || !root.IsMap()) return out;
    const YAML::Node list = root["remote_write"];
    if (!list || list.IsNull()) return out;
    if (!list.IsSequence()) return Bad(list, "remote_write", "expected a list");
    std::set<std::string> names;
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string where = "remote_write[" + std::to_string(i) + "]";
      PW_ASSIGN_OR_RETURN(RemoteWriteConfig c, ParseOne(list[i], where, base_dir));
      if (!names.insert(c.RemoteName()).second) {
        return Bad(list[i], where,
                   c.name.empty() ? "duplicate url (the same as an earlier entry's; give each a distinct name)"
                                  : "duplicate remote write name \"" + c.name + "\"");
      }
      if (c.RemoteName().find_first_of("/\\") != std::string::npos || c.RemoteName() == "." ||
          c.RemoteName() == "..") {
        return Bad(list[i]["name"], where + ".name", "must not contain a slash");
      }
      out.push_back(std::move(c));
    }
  } catch (const YAML::Exception& e) {
    return InvalidArgument("remote_write: " + e.msg + " (line " + std::to_string(e.mark.line + 1) + ")");
  }
  return out;
}

}  // namespace perfwatch::remote
