#include "common/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "common/config_analysis.h"
#include "common/config_auth.h"
#include "common/config_health.h"
#include "common/config_reports.h"
#include "common/config_scrape.h"
#include "common/time.h"

namespace perfwatch {
namespace {

using config_internal::CheckKeys;

using config_internal::ReadDuration;
using config_internal::ReadScalar;

Status ParseHttpTls(const YAML::Node& t, TlsServerConfig* tls) {
  if (t.IsNull()) return Status::Ok();
  PW_RETURN_IF_ERROR(CheckKeys(t, "http.tls", {"cert_file", "key_file", "client_ca_file", "min_version"}));
  ReadScalar(t, "cert_file", &tls->cert_file);
  ReadScalar(t, "key_file", &tls->key_file);
  ReadScalar(t, "client_ca_file", &tls->client_ca_file);
  ReadScalar(t, "min_version", &tls->min_version);
  if (tls->cert_file.empty() || tls->key_file.empty()) return InvalidArgument("http.tls needs both cert_file and key_file");
  return Status::Ok();
}

// Relative file paths of http.tls and scrape tls_config: against the config file's folder.
void ResolveConfigPaths(const std::filesystem::path& dir, Config* c) {
  auto resolve = [&](std::string& p) {
    if (!p.empty() && std::filesystem::path(p).is_relative()) p = (dir / p).string();
  };
  resolve(c->http.tls.cert_file);
  resolve(c->http.tls.key_file);
  resolve(c->http.tls.client_ca_file);
  for (ScrapeConfig& job : c->scrape_configs) {
    resolve(job.tls_config.ca_file);
    resolve(job.tls_config.cert_file);
    resolve(job.tls_config.key_file);
  }
  ResolveHttpClientAuthPaths(dir, &c->query.backend.auth);
}

Status ParseRuleSections(const YAML::Node& root, Config* c) {
  RulesConfig& r = c->rules;
  if (auto files = root["rule_files"]) {
    if (!files.IsSequence() && !files.IsNull()) return InvalidArgument("rule_files: expected a list of file globs");
    for (const auto& f : files) r.rule_files.push_back(f.as<std::string>());
  }
  ReadScalar(root, "external_url", &r.external_url);
  while (!r.external_url.empty() && r.external_url.back() == '/') r.external_url.pop_back();
  if (auto g = root["global"]) {
    PW_RETURN_IF_ERROR(ReadDuration(g, "evaluation_interval", &r.evaluation_interval_ms).WithContext("global"));
    PW_RETURN_IF_ERROR(ReadDuration(g, "rule_query_offset", &r.query_offset_ms).WithContext("global"));
    if (auto labels = g["external_labels"]) {
      if (!labels.IsMap()) return InvalidArgument("global.external_labels: expected a mapping");
      for (const auto& kv : labels) {
        r.external_labels.emplace_back(kv.first.as<std::string>(), kv.second.as<std::string>());
      }
      std::sort(r.external_labels.begin(), r.external_labels.end());
    }
  }
  if (auto rules = root["rules"]) {
    PW_RETURN_IF_ERROR(CheckKeys(rules, "rules", {"resend_delay", "event_driven", "event_cpu_budget", "eval_threads",
                                                  "flap_threshold", "flap_window", "flap_settle"}));
    PW_RETURN_IF_ERROR(ReadDuration(rules, "resend_delay", &r.resend_delay_ms).WithContext("rules"));
    ReadScalar(rules, "event_driven", &r.event_driven);
    ReadScalar(rules, "event_cpu_budget", &r.event_cpu_budget);
    ReadScalar(rules, "eval_threads", &r.eval_threads);
    ReadScalar(rules, "flap_threshold", &r.flap_threshold);
    if (r.flap_threshold < 1) return InvalidArgument("rules.flap_threshold: must be at least 1");
    PW_RETURN_IF_ERROR(ReadDuration(rules, "flap_window", &r.flap_window_ms).WithContext("rules"));
    PW_RETURN_IF_ERROR(ReadDuration(rules, "flap_settle", &r.flap_settle_ms).WithContext("rules"));
  }
  c->has_alerting = root["alerting"] && !root["alerting"].IsNull();
  return Status::Ok();
}

Status ParseInto(const YAML::Node& root, Config* c) {
  if (!root || root.IsNull()) return Status::Ok();
  PW_RETURN_IF_ERROR(CheckKeys(root, "config", {"listen", "data_dir", "log_level", "http", "rum", "events", "tsdb",
                                             "query", "scrape", "global", "scrape_configs", "rule_files",
                                             "alerting", "alerts", "external_url", "rules", "auth", "otlp",
                                             "analysis", "reports", "synthetic", "remote_write"}));
  if (root["listen"]) c->http.listen = root["listen"].as<std::string>();
  if (root["data_dir"]) c->data_dir = root["data_dir"].as<std::string>();
  ReadScalar(root, "log_level", &c->log_level);
  if (auto h = root["http"]) {
    PW_RETURN_IF_ERROR(CheckKeys(h, "http", {"listen", "threads", "max_body_bytes", "max_header_bytes",
                                             "max_connections", "max_connections_per_ip", "header_timeout", "body_timeout",
                                             "idle_timeout", "write_timeout", "tls", "max_inflight_ingest",
                                             "max_inflight_query", "max_inflight_other", "trusted_proxies", "web_dir"}));
    ReadScalar(h, "listen", &c->http.listen);
    ReadScalar(h, "threads", &c->http.threads);
    ReadScalar(h, "max_body_bytes", &c->http.max_body_bytes);
    ReadScalar(h, "max_header_bytes", &c->http.max_header_bytes);
    ReadScalar(h, "max_connections", &c->http.max_connections);
    ReadScalar(h, "max_connections_per_ip", &c->http.max_connections_per_ip);
    PW_RETURN_IF_ERROR(ReadDuration(h, "header_timeout", &c->http.header_timeout_ms).WithContext("http"));
    PW_RETURN_IF_ERROR(ReadDuration(h, "body_timeout", &c->http.body_timeout_ms).WithContext("http"));
    PW_RETURN_IF_ERROR(ReadDuration(h, "idle_timeout", &c->http.idle_timeout_ms).WithContext("http"));
    PW_RETURN_IF_ERROR(ReadDuration(h, "write_timeout", &c->http.write_timeout_ms).WithContext("http"));
    if (auto t = h["tls"]) PW_RETURN_IF_ERROR(ParseHttpTls(t, &c->http.tls));
    ReadScalar(h, "max_inflight_ingest", &c->http.max_inflight_ingest);
    ReadScalar(h, "max_inflight_query", &c->http.max_inflight_query);
    ReadScalar(h, "max_inflight_other", &c->http.max_inflight_other);
    ReadScalar(h, "web_dir", &c->http.web_dir);
    if (auto tp = h["trusted_proxies"]) {
      if (!tp.IsSequence() && !tp.IsNull()) return InvalidArgument("http.trusted_proxies: expected a list of IPs or CIDRs");
      for (const auto& p : tp) c->http.trusted_proxies.push_back(p.as<std::string>());
    }
  }
  if (auto r = root["rum"]) {
    PW_RETURN_IF_ERROR(CheckKeys(r, "rum", {"max_beacons_per_request", "max_json_depth",
                                            "cors_allowed_origins", "default_app", "route_rules",
                                            "max_timestamp_age", "max_pages_per_app", "max_apps", "rate_limit_per_ip",
                                            "rate_limit_burst", "keep_query_strings", "percentile_interval",
                                            "percentile_window", "max_measure_names", "journey_timeout"}));
    ReadScalar(r, "max_beacons_per_request", &c->rum.max_beacons_per_request);
    ReadScalar(r, "max_json_depth", &c->rum.max_json_depth);
    ReadScalar(r, "default_app", &c->rum.default_app);
    ReadScalar(r, "max_pages_per_app", &c->rum.max_pages_per_app);
    ReadScalar(r, "max_apps", &c->rum.max_apps);
    ReadScalar(r, "max_measure_names", &c->rum.max_measure_names);
    ReadScalar(r, "rate_limit_per_ip", &c->rum.rate_limit_per_ip);
    ReadScalar(r, "rate_limit_burst", &c->rum.rate_limit_burst);
    ReadScalar(r, "keep_query_strings", &c->rum.keep_query_strings);
    if (r["cors_allowed_origins"]) {
      c->rum.cors_allowed_origins = r["cors_allowed_origins"].as<std::vector<std::string>>();
    }
    if (auto rules = r["route_rules"]) {
      if (!rules.IsSequence()) return InvalidArgument("rum.route_rules: expected a list");
      for (const auto& rule : rules) {
        PW_RETURN_IF_ERROR(CheckKeys(rule, "rum.route_rules[]", {"pattern", "replacement"}));
        if (!rule["pattern"] || !rule["replacement"]) {
          return InvalidArgument("rum.route_rules[]: needs both pattern and replacement");
        }
        c->rum.route_rules.push_back(
            {rule["pattern"].as<std::string>(), rule["replacement"].as<std::string>()});
      }
    }
    PW_RETURN_IF_ERROR(ReadDuration(r, "max_timestamp_age", &c->rum.max_timestamp_age_ms).WithContext("rum"));
    PW_RETURN_IF_ERROR(ReadDuration(r, "percentile_interval", &c->rum.percentile_interval_ms).WithContext("rum"));
    PW_RETURN_IF_ERROR(ReadDuration(r, "percentile_window", &c->rum.percentile_window_ms).WithContext("rum"));
    if (c->rum.percentile_window_ms <= 0) return InvalidArgument("rum.percentile_window: must be positive");
    PW_RETURN_IF_ERROR(ReadDuration(r, "journey_timeout", &c->rum.journey_timeout_ms).WithContext("rum"));
    if (c->rum.journey_timeout_ms <= 0) return InvalidArgument("rum.journey_timeout: must be positive");
  }
  if (auto o = root["otlp"]) {
    PW_RETURN_IF_ERROR(CheckKeys(o, "otlp", {"listen", "max_body_bytes", "max_services", "max_routes_per_service", "max_db_statements_per_service",
                                             "max_peers_per_service", "max_span_names_per_service", "span_retention"}));
    ReadScalar(o, "listen", &c->otlp.listen);
    ReadScalar(o, "max_body_bytes", &c->otlp.max_body_bytes);
    ReadScalar(o, "max_services", &c->otlp.max_services);
    ReadScalar(o, "max_routes_per_service", &c->otlp.max_routes_per_service);
    ReadScalar(o, "max_db_statements_per_service", &c->otlp.max_db_statements_per_service);
    ReadScalar(o, "max_peers_per_service", &c->otlp.max_peers_per_service);
    ReadScalar(o, "max_span_names_per_service", &c->otlp.max_span_names_per_service);
    PW_RETURN_IF_ERROR(ReadDuration(o, "span_retention", &c->otlp.span_retention_ms).WithContext("otlp"));
  }
  if (auto e = root["events"]) {
    PW_RETURN_IF_ERROR(CheckKeys(e, "events", {"retention", "fsync_interval", "backend", "clickhouse"}));
    PW_RETURN_IF_ERROR(ReadDuration(e, "retention", &c->events.retention_ms).WithContext("events"));
    PW_RETURN_IF_ERROR(ReadDuration(e, "fsync_interval", &c->events.fsync_interval_ms).WithContext("events"));
  }
  if (auto t = root["tsdb"]) {
    PW_RETURN_IF_ERROR(CheckKeys(t, "tsdb", {"retention", "max_block_bytes", "wal_hold_max_bytes", "wal_fsync_interval", "max_series", "max_labels_per_series",
                                             "max_label_name_length", "max_label_value_length",
                                             "max_series_per_second", "max_remote_write_decompressed_bytes"}));
    PW_RETURN_IF_ERROR(ReadDuration(t, "retention", &c->tsdb.retention_ms).WithContext("tsdb"));
    PW_RETURN_IF_ERROR(ReadDuration(t, "wal_fsync_interval", &c->tsdb.wal_fsync_interval_ms).WithContext("tsdb"));
    ReadScalar(t, "max_block_bytes", &c->tsdb.max_block_bytes);
    ReadScalar(t, "wal_hold_max_bytes", &c->tsdb.wal_hold_max_bytes);
    ReadScalar(t, "max_series", &c->tsdb.max_series);
    ReadScalar(t, "max_labels_per_series", &c->tsdb.max_labels_per_series);
    ReadScalar(t, "max_label_name_length", &c->tsdb.max_label_name_length);
    ReadScalar(t, "max_label_value_length", &c->tsdb.max_label_value_length);
    ReadScalar(t, "max_series_per_second", &c->tsdb.max_series_per_second);
    ReadScalar(t, "max_remote_write_decompressed_bytes", &c->tsdb.max_remote_write_decompressed_bytes);
  }
  if (auto q = root["query"]) {
    PW_RETURN_IF_ERROR(
        CheckKeys(q, "query", {"timeout", "max_samples", "lookback_delta", "cache_max_bytes", "backend"}));
    PW_RETURN_IF_ERROR(ParseQueryBackendConfig(q["backend"], &c->query.backend));
    ReadScalar(q, "cache_max_bytes", &c->query.cache_max_bytes);
    PW_RETURN_IF_ERROR(ReadDuration(q, "timeout", &c->query.timeout_ms).WithContext("query"));
    PW_RETURN_IF_ERROR(ReadDuration(q, "lookback_delta", &c->query.lookback_delta_ms).WithContext("query"));
    ReadScalar(q, "max_samples", &c->query.max_samples);
  }
  PW_RETURN_IF_ERROR(config_internal::ParseScrapeSections(root, c));
  PW_RETURN_IF_ERROR(ParseRuleSections(root, c));
  PW_RETURN_IF_ERROR(config_internal::ParseAuthSection(root, c));
  PW_RETURN_IF_ERROR(config_internal::ParseAnalysisSection(root, c));
  PW_RETURN_IF_ERROR(config_internal::ParseHealthSection(root, c));
  PW_RETURN_IF_ERROR(config_internal::ParseReportsSection(root, c));
  return Status::Ok();
}

}  // namespace

Result<Config> ParseConfig(const std::string& yaml_text) {
  Config c;
  c.source_text = yaml_text;
  try {
    YAML::Node root = YAML::Load(yaml_text);
    PW_RETURN_IF_ERROR(ParseInto(root, &c));
  } catch (const YAML::Exception& e) {
    return InvalidArgument(std::string("invalid YAML: ") + e.what());
  }
  PW_RETURN_IF_ERROR(ValidateConfig(c));
  return c;
}

Result<Config> LoadConfigFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return InvalidArgument("cannot read config file " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  auto c = ParseConfig(ss.str());
  if (!c.ok()) return c.status().WithContext(path.string());
  c->source_path = path;
  ResolveConfigPaths(path.parent_path(), &*c);
  return c;
}

Status ValidateConfig(const Config& c) {
  if (c.http.max_body_bytes < 1024) return InvalidArgument("http.max_body_bytes must be at least 1024");
  if (c.http.max_connections < 1) return InvalidArgument("http.max_connections must be at least 1");
  if (c.http.max_connections_per_ip < 0) return InvalidArgument("http.max_connections_per_ip must be 0 (off) or positive");
  if (c.http.threads < 0 || c.http.threads > 256) return InvalidArgument("http.threads must be 0..256");
  if (c.http.max_inflight_ingest < 1 || c.http.max_inflight_query < 1 || c.http.max_inflight_other < 1) {
    return InvalidArgument("http.max_inflight_ingest, _query and _other must be at least 1");
  }
  if (c.rum.max_beacons_per_request < 1) return InvalidArgument("rum.max_beacons_per_request must be at least 1");
  if (c.rum.max_json_depth < 2 || c.rum.max_json_depth > 1024) return InvalidArgument("rum.max_json_depth must be 2..1024");
  if (!(c.rum.rate_limit_per_ip >= 0) || !(c.rum.rate_limit_burst >= 0)) {
    return InvalidArgument("rum.rate_limit_per_ip and rum.rate_limit_burst must be >= 0");
  }
  if (c.events.retention_ms < 3600'000) return InvalidArgument("events.retention must be at least 1h");
  if (c.http.listen.rfind(':') == std::string::npos) return InvalidArgument("listen address must be HOST:PORT");
  if (!c.otlp.listen.empty() && c.otlp.listen.rfind(':') == std::string::npos) {
    return InvalidArgument("otlp.listen must be HOST:PORT (or empty: off)");
  }
  if (c.otlp.span_retention_ms < 3600'000) return InvalidArgument("otlp.span_retention must be at least 1h");
  if (c.otlp.max_body_bytes < 1024) return InvalidArgument("otlp.max_body_bytes must be at least 1024");
  if (const std::string& v = c.http.tls.min_version; v != "TLS12" && v != "TLS13") {
    if (v == "TLS10" || v == "TLS11") {
      return InvalidArgument("http.tls.min_version " + v + " is refused: TLS below 1.2 is insecure (use TLS12 or TLS13)");
    }
    return InvalidArgument("http.tls.min_version must be TLS12 or TLS13, not \"" + v + "\"");
  }
  static const std::set<std::string> levels = {"trace", "debug", "info", "warn", "error", "off"};
  if (!levels.count(c.log_level)) return InvalidArgument("log_level must be one of trace, debug, info, warn, error, off");
  if (c.query.timeout_ms < 1) return InvalidArgument("query.timeout must be positive");
  if (c.query.max_samples < 1) return InvalidArgument("query.max_samples must be at least 1");
  if (c.query.lookback_delta_ms < 1000) return InvalidArgument("query.lookback_delta must be at least 1s");
  PW_RETURN_IF_ERROR(config_internal::ValidateScrapeConfig(c));
  PW_RETURN_IF_ERROR(config_internal::ValidateAnalysisConfig(c));
  PW_RETURN_IF_ERROR(config_internal::ValidateHealthConfig(c));
  PW_RETURN_IF_ERROR(config_internal::ValidateReportsConfig(c));
  if (c.rules.evaluation_interval_ms < 1) return InvalidArgument("global.evaluation_interval must be positive");
  if (c.rules.eval_threads < 1 || c.rules.eval_threads > 64) return InvalidArgument("rules.eval_threads must be 1..64");
  if (c.rules.event_cpu_budget < 0 || c.rules.event_cpu_budget > 1) {
    return InvalidArgument("rules.event_cpu_budget must be between 0 (unlimited) and 1");
  }
  if (!c.rules.external_url.empty() && c.rules.external_url.rfind("http://", 0) != 0 &&
      c.rules.external_url.rfind("https://", 0) != 0) {
    return InvalidArgument("external_url must start with http:// or https://");
  }
  return Status::Ok();
}

}  // namespace perfwatch

namespace perfwatch::config_internal {

Status CheckKeys(const YAML::Node& node, const std::string& where, const std::set<std::string>& known) {
  if (!node.IsMap()) return InvalidArgument(where + ": expected a mapping");
  for (const auto& kv : node) {
    auto key = kv.first.as<std::string>();
    if (!known.count(key)) return InvalidArgument(where + ": unknown key \"" + key + "\"");
  }
  return Status::Ok();
}

}  // namespace perfwatch::config_internal
