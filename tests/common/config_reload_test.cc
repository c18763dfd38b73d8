// PlanReload (common/config_reload.h): which changed keys need a restart, and the applied
// configuration (the new file with the restart-only keys as they run).
#include "common/config_reload.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

namespace perfwatch {
namespace {

TEST(ConfigReloadTest, ReloadableChangesNeedNoRestart) {
  const std::string before =
      "scrape_configs:\n  - job_name: a\n    static_configs: [{targets: ['h:1']}]\n"
      "synthetic:\n  checks: []\nremote_write: []\nauth:\n  tokens: [{name: t, token_sha256: x}]\n"
      "log_level: info\nexternal_url: http://a.example\nreports: []\n"
      "rum: {max_beacons_per_request: 10, cors_allowed_origins: ['*']}\n"
      "analysis: {watch_interval: 5m, leak: {interval: 15s}}\nquery: {cache_max_bytes: 1024}\n";
  const std::string after =
      "# a comment\nscrape_configs:\n  - job_name: b\n    static_configs: [{targets: ['h:2']}]\n"
      "scrape: {interval: 5s}\nglobal: {scrape_interval: 5s}\nsynthetic: {checks: [{name: c}], "
      "max_concurrent_http: 3}\n"
      "remote_write: [{url: 'http://r/'}]\nauth:\n  tokens: [{name: u, token_sha256: y}]\n"
      "log_level: debug\nexternal_url: http://b.example\n"
      "reports: [{name: w, app: shop, to: mail}]\n"
      "rum: {max_beacons_per_request: 5, default_app: shop, cors_allowed_origins: ['https://s.example']}\n"
      "analysis: {watch_interval: 1m, watch: [{name: w, expr: up}], leak: {interval: 15s}}\n"
      "query: {cache_max_bytes: 1024, timeout: 1m, max_samples: 10}\n";
  auto plan = PlanReload(before, after);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_TRUE(plan->restart_needed.empty());
  EXPECT_EQ(YAML::Dump(YAML::Load(plan->applied_yaml)), YAML::Dump(YAML::Load(after)));
}

TEST(ConfigReloadTest, RestartOnlyKeysAreNamedAndKeepTheirRunningValues) {
  const std::string before =
      "listen: 127.0.0.1:1\ntsdb: {retention: 1d}\nglobal: {evaluation_interval: 1m, "
      "scrape_interval: 10s}\n"
      "synthetic: {max_browsers: 1}\nauth: {disabled: true}\nscrape: {interval: 10s}\n"
      "rum: {max_apps: 20, max_json_depth: 8}\nanalysis: {changepoint: {window: 50}}\n";
  const std::string after =
      "listen: 127.0.0.1:2\ntsdb: {retention: 2d}\ndata_dir: /srv/perfwatch\n"
      "global: {evaluation_interval: 2m, scrape_interval: 20s}\nsynthetic: {max_browsers: "
      "4}\nscrape: {interval: 20s}\n"
      "rum: {max_apps: 30, max_json_depth: 9, cors_allowed_origins: ['https://a.example']}\n"
      "analysis: {changepoint: {window: 60}, watch_interval: 1m}\n";
  auto plan = PlanReload(before, after);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(plan->restart_needed,
            (std::vector<std::string>{"auth.disabled", "data_dir", "listen"}));
  const YAML::Node applied = YAML::Load(plan->applied_yaml);
  EXPECT_EQ(applied["listen"].as<std::string>(), "127.0.0.1:1");
  EXPECT_EQ(applied["tsdb"]["retention"].as<std::string>(), "2d");  // applied
  EXPECT_FALSE(applied["data_dir"]) << "a restart-only section the running config lacks stays absent";
  EXPECT_EQ(applied["global"]["evaluation_interval"].as<std::string>(), "2m");  // applied
  EXPECT_EQ(applied["global"]["scrape_interval"].as<std::string>(), "20s");  // applied
  EXPECT_EQ(applied["synthetic"]["max_browsers"].as<int>(), 4);  // applied
  EXPECT_TRUE(applied["auth"]["disabled"].as<bool>());
  EXPECT_EQ(applied["scrape"]["interval"].as<std::string>(), "20s");
  EXPECT_EQ(applied["rum"]["max_apps"].as<int>(), 30);  // applied
  EXPECT_EQ(applied["rum"]["max_json_depth"].as<int>(), 9);  // applied
  EXPECT_EQ(applied["rum"]["cors_allowed_origins"][0].as<std::string>(), "https://a.example");  // applied
  EXPECT_EQ(applied["analysis"]["changepoint"]["window"].as<int>(), 60);  // applied
  EXPECT_EQ(applied["analysis"]["watch_interval"].as<std::string>(), "1m");  // applied

  // The next reload compares with what runs: the same file again changes nothing more.
  auto again = PlanReload(plan->applied_yaml, after);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->restart_needed, plan->restart_needed);
  auto same = PlanReload(plan->applied_yaml, plan->applied_yaml);
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->restart_needed.empty());
}

// global / rules / analysis keys: all reloaded but rules.eval_threads (a thread pool).
TEST(ConfigReloadTest, RuleAndAnalysisKeysReloadButEvalThreads) {
  const std::string before =
      "global: {evaluation_interval: 1m, rule_query_offset: 0s, external_labels: {dc: a}}\n"
      "rules: {resend_delay: 1m, event_driven: true, event_cpu_budget: 0.25, eval_threads: 2, "
      "flap_threshold: 6, flap_window: 1h, flap_settle: 15m}\n"
      "analysis: {changepoint: {window: 50}, leak: {interval: 15s}, health: {interval: 1m}}\n";
  const std::string after =
      "global: {evaluation_interval: 5s, rule_query_offset: 10s, external_labels: {dc: b, team: x}}\n"
      "rules: {resend_delay: 2m, event_driven: false, event_cpu_budget: 0.5, eval_threads: 2, "
      "flap_threshold: 3, flap_window: 0s, flap_settle: 1m}\n"
      "analysis: {changepoint: {window: 60, min_segment: 5}, leak: {interval: 30s, threshold: 0.1}, "
      "health: {interval: 0s, window: 30m}}\n";
  auto plan = PlanReload(before, after);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_TRUE(plan->restart_needed.empty());
  EXPECT_EQ(YAML::Dump(YAML::Load(plan->applied_yaml)), YAML::Dump(YAML::Load(after)));

  // eval_threads keeps its running value; the rest of `rules:` is applied.
  const std::string threads = "rules: {resend_delay: 1m, eval_threads: 2}\n";
  auto changed = PlanReload(threads, "rules: {resend_delay: 5m, eval_threads: 8}\n");
  ASSERT_TRUE(changed.ok()) << changed.status().message();
  EXPECT_EQ(changed->restart_needed, std::vector<std::string>{"rules.eval_threads"});
  const YAML::Node applied = YAML::Load(changed->applied_yaml);
  EXPECT_EQ(applied["rules"]["eval_threads"].as<int>(), 2);
  EXPECT_EQ(applied["rules"]["resend_delay"].as<std::string>(), "5m");
  auto removed = PlanReload(threads, "rules: {resend_delay: 5m}\n");
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->restart_needed, std::vector<std::string>{"rules.eval_threads"});
  EXPECT_EQ(YAML::Load(removed->applied_yaml)["rules"]["eval_threads"].as<int>(), 2);
}

TEST(ConfigReloadTest, EmptyFilesAndBadYaml) {
  auto plan = PlanReload("", "");
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->restart_needed.empty());
  auto added = PlanReload("", "data_dir: /x\n");
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(added->restart_needed, std::vector<std::string>{"data_dir"});
  EXPECT_FALSE(YAML::Load(added->applied_yaml)["data_dir"]);
  EXPECT_FALSE(PlanReload("", "a: [b\n").ok());
  EXPECT_FALSE(PlanReload("", "- a\n").ok());
}

// --- rum caps, query cache, browsers ---
// The rum series caps, rate limit, percentile writer and journey timeout,
// query.cache_max_bytes and synthetic.max_browsers: reloaded, none needs a restart.
TEST(ConfigReloadTest, RumCapsQueryCacheAndBrowsersReload) {
  const std::string before =
      "rum: {max_pages_per_app: 100, max_apps: 20, max_measure_names: 100, rate_limit_per_ip: 50, "
      "rate_limit_burst: 0, percentile_interval: 1m, percentile_window: 1h, journey_timeout: 30m}\n"
      "query: {cache_max_bytes: 1024}\nsynthetic: {max_browsers: 1}\n";
  const std::string after =
      "rum: {max_pages_per_app: 5, max_apps: 2, max_measure_names: 3, rate_limit_per_ip: 0, "
      "rate_limit_burst: 7, percentile_interval: 0s, percentile_window: 10m, journey_timeout: 1m}\n"
      "query: {cache_max_bytes: 0}\nsynthetic: {max_browsers: 4}\n";
  auto plan = PlanReload(before, after);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_TRUE(plan->restart_needed.empty());
  EXPECT_EQ(YAML::Dump(YAML::Load(plan->applied_yaml)), YAML::Dump(YAML::Load(after)));
  // Removed from the file (back to the defaults): applied as well.
  auto removed = PlanReload(before, "rum: {}\n");
  ASSERT_TRUE(removed.ok());
  EXPECT_TRUE(removed->restart_needed.empty());
}

// --- tsdb and events keys ---
// Every tsdb: and events: key is reloaded (limits and policies of the open stores; where
// they live is data_dir's): none needs a restart, and the applied text is the new file's.
TEST(ConfigReloadTest, TsdbAndEventsKeysReload) {
  const std::string before =
      "tsdb: {retention: 30d, max_block_bytes: 0, wal_hold_max_bytes: 1000, wal_fsync_interval: 100ms, "
      "max_series: 1000, max_labels_per_series: 64, max_label_name_length: 256, max_label_value_length: 4096, "
      "max_series_per_second: 100, max_remote_write_decompressed_bytes: 1000000}\n"
      "events: {retention: 7d, fsync_interval: 100ms}\n";
  const std::string after =
      "tsdb: {retention: 2d, max_block_bytes: 5000000, wal_hold_max_bytes: 0, wal_fsync_interval: 0s, "
      "max_series: 10, max_labels_per_series: 8, max_label_name_length: 32, max_label_value_length: 16, "
      "max_series_per_second: 0, max_remote_write_decompressed_bytes: 2000}\n"
      "events: {retention: 2d, fsync_interval: 0s}\n";
  auto plan = PlanReload(before, after);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_TRUE(plan->restart_needed.empty());
  EXPECT_EQ(YAML::Dump(YAML::Load(plan->applied_yaml)), YAML::Dump(YAML::Load(after)));
  auto removed = PlanReload(before, "listen: 127.0.0.1:9\n");  // back to the defaults
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->restart_needed, std::vector<std::string>{"listen"});
  EXPECT_FALSE(YAML::Load(removed->applied_yaml)["tsdb"]);
  EXPECT_FALSE(YAML::Load(removed->applied_yaml)["events"]);
}

// --- http and otlp keys ---
// http: and otlp: are reloaded but the keys that open sockets or size thread pools
// (http.listen, threads, tls, web_dir; otlp.listen), which keep their running values.
TEST(ConfigReloadTest, HttpAndOtlpKeysReloadButListenersThreadsAndTls) {
  const std::string before =
      "http: {listen: '127.0.0.1:1', threads: 2, max_body_bytes: 1000, max_header_bytes: 2000, max_connections: 10, "
      "max_connections_per_ip: 5, header_timeout: 1s, body_timeout: 2s, idle_timeout: 3s, write_timeout: 4s, "
      "max_inflight_ingest: 1, max_inflight_query: 2, max_inflight_other: 3, trusted_proxies: [10.0.0.1], "
      "tls: {cert_file: a.pem, key_file: a.key}, web_dir: /a}\n"
      "otlp: {listen: '127.0.0.1:4318', max_body_bytes: 2048, max_services: 1, max_routes_per_service: 2, "
      "max_db_statements_per_service: 3, max_peers_per_service: 4, max_span_names_per_service: 5, "
      "span_retention: 2h}\n";
  // Every reloadable key changed: no restart.
  const std::string reloaded =
      "http: {listen: '127.0.0.1:1', threads: 2, max_body_bytes: 9000, max_header_bytes: 9000, max_connections: 90, "
      "max_connections_per_ip: 0, header_timeout: 9s, body_timeout: 9s, idle_timeout: 9s, write_timeout: 9s, "
      "max_inflight_ingest: 9, max_inflight_query: 9, max_inflight_other: 9, trusted_proxies: [], "
      "tls: {cert_file: a.pem, key_file: a.key}, web_dir: /a}\n"
      "otlp: {listen: '127.0.0.1:4318', max_body_bytes: 4096, max_services: 9, max_routes_per_service: 9, "
      "max_db_statements_per_service: 9, max_peers_per_service: 9, max_span_names_per_service: 9, "
      "span_retention: 9h}\n";
  auto plan = PlanReload(before, reloaded);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_TRUE(plan->restart_needed.empty());
  EXPECT_EQ(YAML::Dump(YAML::Load(plan->applied_yaml)), YAML::Dump(YAML::Load(reloaded)));

  // The restart-only ones changed (and max_body_bytes): named, kept; the rest applied.
  const std::string moved =
      "http: {listen: '127.0.0.1:2', threads: 8, max_body_bytes: 9000, tls: {cert_file: b.pem, key_file: b.key}, "
      "web_dir: /b}\n"
      "otlp: {listen: '127.0.0.1:4319', max_services: 9}\n";
  auto restart = PlanReload(before, moved);
  ASSERT_TRUE(restart.ok()) << restart.status().message();
  EXPECT_EQ(restart->restart_needed, (std::vector<std::string>{"http.listen", "http.threads", "http.tls",
                                                               "http.web_dir", "otlp.listen"}));
  const YAML::Node applied = YAML::Load(restart->applied_yaml);
  EXPECT_EQ(applied["http"]["listen"].as<std::string>(), "127.0.0.1:1");
  EXPECT_EQ(applied["http"]["threads"].as<int>(), 2);
  EXPECT_EQ(applied["http"]["tls"]["cert_file"].as<std::string>(), "a.pem");
  EXPECT_EQ(applied["http"]["web_dir"].as<std::string>(), "/a");
  EXPECT_EQ(applied["http"]["max_body_bytes"].as<int>(), 9000);  // applied
  EXPECT_FALSE(applied["http"]["max_connections"]) << "removed from the file: back to the default";
  EXPECT_EQ(applied["otlp"]["listen"].as<std::string>(), "127.0.0.1:4318");
  EXPECT_EQ(applied["otlp"]["max_services"].as<int>(), 9);  // applied
  EXPECT_FALSE(applied["otlp"]["span_retention"]);

  // A file without the sections: only the restart-only keys the running config had remain.
  auto removed = PlanReload(before, "");
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->restart_needed.size(), 5u);
  const YAML::Node bare = YAML::Load(removed->applied_yaml);
  EXPECT_EQ(bare["http"]["listen"].as<std::string>(), "127.0.0.1:1");
  EXPECT_FALSE(bare["http"]["max_body_bytes"]);
  EXPECT_EQ(bare["otlp"]["listen"].as<std::string>(), "127.0.0.1:4318");
}

}  // namespace
}  // namespace perfwatch
