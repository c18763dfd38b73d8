#include "common/config_scrape.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "common/label_validation.h"
#include "common/time.h"

namespace perfwatch::config_internal {
namespace {

Status CheckScrapeKeys(const YAML::Node& node, const std::string& where, const std::set<std::string>& known) {
  if (!node.IsMap()) return InvalidArgument(where + ": expected a mapping");
  for (const auto& kv : node) {
    auto key = kv.first.as<std::string>();
    if (key == "relabel_configs" || key == "metric_relabel_configs") {
      return InvalidArgument(where + ": " + key + " is not supported (perfwatch does no relabeling; see docs/scraping.md)");
    }
    if (key.size() > 8 && key.compare(key.size() - 8, 8, "_configs") == 0 && key != "static_configs") {
      return InvalidArgument(where + ": " + key + " is not supported (only static_configs; no service discovery)");
    }
    if (!known.count(key)) return InvalidArgument(where + ": unknown key \"" + key + "\"");
  }
  return Status::Ok();
}



Status ParseStaticConfig(const YAML::Node& node, const std::string& where, StaticTargetsConfig* out) {
  PW_RETURN_IF_ERROR(CheckScrapeKeys(node, where, {"targets", "labels"}));
  if (auto t = node["targets"]) {
    if (!t.IsSequence()) return InvalidArgument(where + ".targets: expected a list of \"host:port\"");
    out->targets = t.as<std::vector<std::string>>();
  }
  if (auto l = node["labels"]) {
    if (!l.IsMap()) return InvalidArgument(where + ".labels: expected a mapping of label name to value");
    for (const auto& kv : l) {
      out->labels.emplace_back(kv.first.as<std::string>(), kv.second.as<std::string>());
    }
    std::sort(out->labels.begin(), out->labels.end());
  }
  return Status::Ok();
}

Status ParseJob(const YAML::Node& node, size_t index, ScrapeConfig* job) {
  std::string where = "scrape_configs[" + std::to_string(index) + "]";
  if (node.IsMap() && node["job_name"]) where += " (" + node["job_name"].as<std::string>() + ")";
  PW_RETURN_IF_ERROR(CheckScrapeKeys(node, where, {"job_name", "scrape_interval", "scrape_timeout", "metrics_path",
                                             "scheme", "params", "honor_labels", "honor_timestamps",
                                             "static_configs", "tls_config"}));
  ReadScalar(node, "job_name", &job->job_name);
  PW_RETURN_IF_ERROR(ReadDuration(node, "scrape_interval", &job->interval_ms).WithContext(where));
  PW_RETURN_IF_ERROR(ReadDuration(node, "scrape_timeout", &job->timeout_ms).WithContext(where));
  ReadScalar(node, "metrics_path", &job->metrics_path);
  ReadScalar(node, "scheme", &job->scheme);
  ReadScalar(node, "honor_labels", &job->honor_labels);
  ReadScalar(node, "honor_timestamps", &job->honor_timestamps);
  if (auto p = node["params"]) {
    if (!p.IsMap()) return InvalidArgument(where + ".params: expected a mapping of name to a list of values");
    for (const auto& kv : p) {
      if (!kv.second.IsSequence()) {
        return InvalidArgument(where + ".params." + kv.first.as<std::string>() + ": expected a list of values");
      }
      job->params.emplace_back(kv.first.as<std::string>(), kv.second.as<std::vector<std::string>>());
    }
  }
  if (auto t = node["tls_config"]; t && !t.IsNull()) {
    PW_RETURN_IF_ERROR(CheckScrapeKeys(t, where + ".tls_config",
                                 {"ca_file", "cert_file", "key_file", "server_name", "insecure_skip_verify"}));
    ScrapeTlsConfig& tls = job->tls_config;
    ReadScalar(t, "ca_file", &tls.ca_file);
    ReadScalar(t, "cert_file", &tls.cert_file);
    ReadScalar(t, "key_file", &tls.key_file);
    ReadScalar(t, "server_name", &tls.server_name);
    ReadScalar(t, "insecure_skip_verify", &tls.insecure_skip_verify);
  }
  if (auto s = node["static_configs"]) {
    if (!s.IsSequence()) return InvalidArgument(where + ".static_configs: expected a list");
    for (size_t i = 0; i < s.size(); ++i) {
      job->static_configs.emplace_back();
      PW_RETURN_IF_ERROR(
          ParseStaticConfig(s[i], where + ".static_configs[" + std::to_string(i) + "]", &job->static_configs.back()));
    }
  }
  return Status::Ok();
}

}  // namespace

Status ReadDuration(const YAML::Node& node, const std::string& key, int64_t* out) {
  if (!node[key]) return Status::Ok();
  auto d = ParseDurationMs(node[key].as<std::string>());
  if (!d.ok()) return d.status().WithContext(key);
  *out = *d;
  return Status::Ok();
}

Status ParseScrapeSections(const YAML::Node& root, Config* c) {
  bool global_interval = false, global_timeout = false;
  if (auto g = root["global"]) {
    PW_RETURN_IF_ERROR(CheckScrapeKeys(g, "global", {"scrape_interval", "scrape_timeout", "evaluation_interval",
                                               "rule_query_offset", "external_labels"}));
    PW_RETURN_IF_ERROR(ReadDuration(g, "scrape_interval", &c->scrape.interval_ms).WithContext("global"));
    PW_RETURN_IF_ERROR(ReadDuration(g, "scrape_timeout", &c->scrape.timeout_ms).WithContext("global"));
    global_interval = static_cast<bool>(g["scrape_interval"]);
    global_timeout = static_cast<bool>(g["scrape_timeout"]);
  }
  if (auto s = root["scrape"]) {
    PW_RETURN_IF_ERROR(CheckScrapeKeys(s, "scrape", {"interval", "timeout", "self_scrape", "self_scrape_interval",
                                               "max_body_bytes", "max_samples_per_scrape"}));
    if (s["interval"] && global_interval) {
      return InvalidArgument("set scrape.interval or global.scrape_interval, not both");
    }
    if (s["timeout"] && global_timeout) {
      return InvalidArgument("set scrape.timeout or global.scrape_timeout, not both");
    }
    PW_RETURN_IF_ERROR(ReadDuration(s, "interval", &c->scrape.interval_ms).WithContext("scrape"));
    PW_RETURN_IF_ERROR(ReadDuration(s, "timeout", &c->scrape.timeout_ms).WithContext("scrape"));
    PW_RETURN_IF_ERROR(ReadDuration(s, "self_scrape_interval", &c->scrape.self_scrape_interval_ms).WithContext("scrape"));
    ReadScalar(s, "self_scrape", &c->scrape.self_scrape);
    ReadScalar(s, "max_body_bytes", &c->scrape.max_body_bytes);
    ReadScalar(s, "max_samples_per_scrape", &c->scrape.max_samples_per_scrape);
  }
  if (auto list = root["scrape_configs"]) {
    if (!list.IsSequence()) return InvalidArgument("scrape_configs: expected a list of jobs");
    for (size_t i = 0; i < list.size(); ++i) {
      c->scrape_configs.emplace_back();
      PW_RETURN_IF_ERROR(ParseJob(list[i], i, &c->scrape_configs.back()));
    }
  }
  for (ScrapeConfig& job : c->scrape_configs) {
    bool explicit_timeout = job.timeout_ms != 0;
    if (job.interval_ms == 0) job.interval_ms = c->scrape.interval_ms;
    if (!explicit_timeout) job.timeout_ms = std::min(c->scrape.timeout_ms, job.interval_ms);
  }
  return Status::Ok();
}

Status ValidateTargetAddress(const std::string& target) {
  if (target.find("://") != std::string::npos) {
    return InvalidArgument("target \"" + target + "\": write host:port without a scheme (set the job's scheme)");
  }
  if (target.find('/') != std::string::npos) {
    return InvalidArgument("target \"" + target + "\": write host:port without a path (set the job's metrics_path)");
  }
  size_t colon = target.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return InvalidArgument("target \"" + target + "\": expected host:port");
  }
  std::string_view port(target.data() + colon + 1, target.size() - colon - 1);
  int value = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || p != port.data() + port.size() || value < 1 || value > 65535) {
    return InvalidArgument("target \"" + target + "\": port must be 1..65535");
  }
  return Status::Ok();
}

Status ValidateScrapeConfig(const Config& c) {
  const ScrapeGlobalConfig& g = c.scrape;
  if (g.interval_ms < 1) return InvalidArgument("scrape.interval must be positive");
  if (g.timeout_ms < 1) return InvalidArgument("scrape.timeout must be positive");
  if (g.timeout_ms > g.interval_ms) return InvalidArgument("scrape.timeout must not exceed scrape.interval");
  if (g.self_scrape_interval_ms < 0) return InvalidArgument("scrape.self_scrape_interval must not be negative");
  if (g.max_body_bytes < 1024) return InvalidArgument("scrape.max_body_bytes must be at least 1024");
  std::set<std::string> names;
  for (const ScrapeConfig& job : c.scrape_configs) {
    std::string where = "scrape_configs (" + job.job_name + ")";
    if (job.job_name.empty()) return InvalidArgument("scrape_configs: every job needs a job_name");
    if (!names.insert(job.job_name).second) {
      return InvalidArgument("scrape_configs: job_name \"" + job.job_name + "\" is used twice");
    }
    if (job.interval_ms < 1) return InvalidArgument(where + ": scrape_interval must be positive");
    if (job.timeout_ms < 1) return InvalidArgument(where + ": scrape_timeout must be positive");
    if (job.timeout_ms > job.interval_ms) {
      return InvalidArgument(where + ": scrape_timeout must not exceed scrape_interval");
    }
    if (job.scheme != "http" && job.scheme != "https") return InvalidArgument(where + ": scheme must be http or https");
    if (job.tls_config.cert_file.empty() != job.tls_config.key_file.empty()) {
      return InvalidArgument(where + ": tls_config needs both cert_file and key_file, or neither");
    }
    if (job.metrics_path.empty() || job.metrics_path[0] != '/') {
      return InvalidArgument(where + ": metrics_path must start with /");
    }
    std::set<std::string> seen_targets;
    for (const StaticTargetsConfig& sc : job.static_configs) {
      for (const std::string& t : sc.targets) {
        PW_RETURN_IF_ERROR(ValidateTargetAddress(t).WithContext(where));
        if (!seen_targets.insert(t).second) {
          return InvalidArgument(where + ": target \"" + t + "\" is listed twice");
        }
      }
      for (size_t i = 0; i < sc.labels.size(); ++i) {
        const auto& name = sc.labels[i].first;
        if (!IsValidLabelName(name)) return InvalidArgument(where + ": invalid label name \"" + name + "\"");
        if (name.rfind("__", 0) == 0) {
          return InvalidArgument(where + ": label names starting with __ are reserved (\"" + name + "\")");
        }
        if (i > 0 && sc.labels[i - 1].first == name) {
          return InvalidArgument(where + ": label \"" + name + "\" is given twice");
        }
      }
    }
  }
  return Status::Ok();
}

}  // namespace perfwatch::config_internal
