#include "common/config.h"

#include <gtest/gtest.h>

namespace perfwatch {
namespace {

TEST(ConfigTest, EmptyTextGivesDefaults) {
  auto c = ParseConfig("");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->http.listen, "127.0.0.1:9797");
  EXPECT_EQ(c->data_dir, "./data");
  EXPECT_EQ(c->http.max_body_bytes, 1u << 20);
  EXPECT_EQ(c->rum.max_beacons_per_request, 1000u);
  EXPECT_EQ(c->rum.max_json_depth, 64);
  EXPECT_EQ(c->events.retention_ms, 7 * 86'400'000LL);
  EXPECT_EQ(c->events.fsync_interval_ms, 100);
}

TEST(ConfigTest, ReadsEverySection) {
  auto c = ParseConfig(R"(
listen: 0.0.0.0:1234
data_dir: /tmp/x
log_level: debug
http: {threads: 3, max_connections: 10, max_connections_per_ip: 4, idle_timeout: 2m}
rum:
  cors_allowed_origins: [https://a.example]
  default_app: shop
  route_rules:
    - {pattern: "^[a-z]+-[a-z]+$", replacement: ":slug"}
events: {retention: 14d, fsync_interval: 0}
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->http.listen, "0.0.0.0:1234");
  EXPECT_EQ(c->data_dir, "/tmp/x");
  EXPECT_EQ(c->log_level, "debug");
  EXPECT_EQ(c->http.threads, 3);
  EXPECT_EQ(c->http.max_connections, 10);
  EXPECT_EQ(c->http.max_connections_per_ip, 4);
  EXPECT_EQ(c->http.idle_timeout_ms, 120'000);
  ASSERT_EQ(c->rum.cors_allowed_origins.size(), 1u);
  EXPECT_EQ(c->rum.cors_allowed_origins[0], "https://a.example");
  EXPECT_EQ(c->rum.default_app, "shop");
  ASSERT_EQ(c->rum.route_rules.size(), 1u);
  EXPECT_EQ(c->rum.route_rules[0].replacement, ":slug");
  EXPECT_EQ(c->events.retention_ms, 14 * 86'400'000LL);
  EXPECT_EQ(c->events.fsync_interval_ms, 0);
}

TEST(ConfigTest, RejectsUnknownKeysBadValuesAndBadYaml) {
  EXPECT_NE(ParseConfig("lissten: x").status().message().find("lissten"), std::string::npos);
  EXPECT_NE(ParseConfig("http: {nope: 1}").status().message().find("nope"), std::string::npos);
  EXPECT_FALSE(ParseConfig("events: {retention: forever}").ok());
  EXPECT_FALSE(ParseConfig("events: {retention: 1m}").ok());
  EXPECT_FALSE(ParseConfig("http: {max_connections: 0}").ok());
  EXPECT_FALSE(ParseConfig("http: {max_connections_per_ip: -1}").ok());
  EXPECT_TRUE(ParseConfig("http: {max_connections_per_ip: 0}").ok());
  EXPECT_EQ(ParseConfig("").value().http.max_connections_per_ip, 512);
  EXPECT_FALSE(ParseConfig("log_level: loud").ok());
  EXPECT_FALSE(ParseConfig("listen: nocolon").ok());
  EXPECT_FALSE(ParseConfig("http: [1, 2").ok());
  EXPECT_FALSE(ParseConfig("rum: {route_rules: [{pattern: x}]}").ok());
}

}  // namespace
}  // namespace perfwatch

namespace perfwatch {
namespace {

TEST(ScrapeConfigTest, Defaults) {
  auto c = ParseConfig("");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->scrape.interval_ms, 15'000);
  EXPECT_EQ(c->scrape.timeout_ms, 10'000);
  EXPECT_TRUE(c->scrape.self_scrape);
  EXPECT_EQ(c->scrape.self_scrape_interval_ms, 0);
  EXPECT_EQ(c->scrape.max_body_bytes, 16u << 20);
  EXPECT_EQ(c->scrape.max_samples_per_scrape, 0u);
  EXPECT_TRUE(c->scrape_configs.empty());
}

TEST(ScrapeConfigTest, ReadsJobsWithPrometheusSyntax) {
  auto c = ParseConfig(R"(
scrape: {interval: 20s, timeout: 5s, self_scrape: false, self_scrape_interval: 2s, max_body_bytes: 65536,
         max_samples_per_scrape: 5000}
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ["localhost:9100", "10.0.0.2:9100"]
        labels: {env: prod, dc: west}
  - job_name: fast
    scrape_interval: 2s
    scrape_timeout: 1s
    metrics_path: /custom/metrics
    scheme: http
    honor_labels: true
    honor_timestamps: false
    params: {module: [http_2xx, tcp], target: [example.com]}
    static_configs: [{targets: ["[::1]:9115"]}]
  - job_name: short
    scrape_interval: 3s
    static_configs: [{targets: ["a:1"]}]
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->scrape.interval_ms, 20'000);
  EXPECT_EQ(c->scrape.timeout_ms, 5'000);
  EXPECT_FALSE(c->scrape.self_scrape);
  EXPECT_EQ(c->scrape.self_scrape_interval_ms, 2'000);
  EXPECT_EQ(c->scrape.max_body_bytes, 65536u);
  EXPECT_EQ(c->scrape.max_samples_per_scrape, 5000u);
  ASSERT_EQ(c->scrape_configs.size(), 3u);
  const ScrapeConfig& node = c->scrape_configs[0];
  EXPECT_EQ(node.job_name, "node");
  EXPECT_EQ(node.interval_ms, 20'000);  // from scrape.interval
  EXPECT_EQ(node.timeout_ms, 5'000);
  EXPECT_EQ(node.metrics_path, "/metrics");
  EXPECT_FALSE(node.honor_labels);
  EXPECT_TRUE(node.honor_timestamps);
  ASSERT_EQ(node.static_configs.size(), 1u);
  EXPECT_EQ(node.static_configs[0].targets, (std::vector<std::string>{"localhost:9100", "10.0.0.2:9100"}));
  EXPECT_EQ(node.static_configs[0].labels,
            (std::vector<std::pair<std::string, std::string>>{{"dc", "west"}, {"env", "prod"}}));
  const ScrapeConfig& fast = c->scrape_configs[1];
  EXPECT_EQ(fast.interval_ms, 2'000);
  EXPECT_EQ(fast.timeout_ms, 1'000);
  EXPECT_EQ(fast.metrics_path, "/custom/metrics");
  EXPECT_TRUE(fast.honor_labels);
  EXPECT_FALSE(fast.honor_timestamps);
  ASSERT_EQ(fast.params.size(), 2u);
  EXPECT_EQ(fast.params[0].first, "module");
  EXPECT_EQ(fast.params[0].second, (std::vector<std::string>{"http_2xx", "tcp"}));
  // An unset timeout is the global one, capped at the job's interval.
  EXPECT_EQ(c->scrape_configs[2].timeout_ms, 3'000);
}

TEST(ScrapeConfigTest, AcceptsPrometheusGlobalSection) {
  auto c = ParseConfig("global: {scrape_interval: 1m, scrape_timeout: 30s}\nscrape_configs: [{job_name: a, static_configs: [{targets: [\"h:1\"]}]}]\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->scrape.interval_ms, 60'000);
  EXPECT_EQ(c->scrape_configs[0].timeout_ms, 30'000);
}

TEST(ScrapeConfigTest, RejectsBadScrapeConfigWithClearErrors) {
  auto error = [](const std::string& yaml) {
    auto c = ParseConfig(yaml);
    return c.ok() ? std::string("<ok>") : c.status().message();
  };
  auto job = [](const std::string& extra) {
    return "scrape_configs:\n  - job_name: a\n    static_configs: [{targets: [\"h:1\"]}]\n" + extra;
  };
  EXPECT_EQ(error(job("    scheme: https\n")), "<ok>");  // tls_config: tests/common/tls_config_test.cc
  EXPECT_NE(error(job("    scheme: ftp\n")).find("scheme must be http or https"), std::string::npos);
  EXPECT_NE(error(job("    scrape_interval: 5s\n    scrape_timeout: 10s\n")).find("scrape_timeout must not exceed scrape_interval"),
            std::string::npos);
  EXPECT_NE(error(job("    relabel_configs: []\n")).find("relabel_configs is not supported"), std::string::npos);
  EXPECT_NE(error(job("    metric_relabel_configs: []\n")).find("metric_relabel_configs is not supported"), std::string::npos);
  EXPECT_NE(error(job("    kubernetes_sd_configs: []\n")).find("no service discovery"), std::string::npos);
  EXPECT_NE(error(job("    sample_limitt: 3\n")).find("unknown key \"sample_limitt\""), std::string::npos);
  EXPECT_NE(error(job("    metrics_path: metrics\n")).find("metrics_path must start with /"), std::string::npos);
  EXPECT_NE(error(job("  - job_name: a\n    static_configs: []\n")).find("job_name \"a\" is used twice"), std::string::npos);
  EXPECT_NE(error("scrape_configs:\n  - static_configs: []\n").find("needs a job_name"), std::string::npos);
  EXPECT_NE(error("scrape_configs:\n  - job_name: a\n    static_configs: [{targets: [\"http://h:1\"]}]\n").find("without a scheme"),
            std::string::npos);
  EXPECT_NE(error("scrape_configs:\n  - job_name: a\n    static_configs: [{targets: [\"h\"]}]\n").find("expected host:port"),
            std::string::npos);
  EXPECT_NE(error("scrape_configs:\n  - job_name: a\n    static_configs: [{targets: [\"h:0\"]}]\n").find("port must be 1..65535"),
            std::string::npos);
  EXPECT_NE(error("scrape_configs:\n  - job_name: a\n    static_configs: [{targets: [\"h:1\", \"h:1\"]}]\n").find("listed twice"),
            std::string::npos);
  EXPECT_NE(error("scrape_configs:\n  - job_name: a\n    static_configs: [{targets: [\"h:1\"], labels: {__x: y}}]\n").find("reserved"),
            std::string::npos);
  EXPECT_NE(error("scrape_configs:\n  - job_name: a\n    static_configs: [{targets: [\"h:1\"], labels: {\"a-b\": y}}]\n").find("invalid label name"),
            std::string::npos);
  EXPECT_NE(error("scrape_configs:\n  - job_name: a\n    params: {module: x}\n").find("expected a list of values"), std::string::npos);
  EXPECT_NE(error("scrape: {interval: 5s, timeout: 6s}\n").find("scrape.timeout must not exceed scrape.interval"), std::string::npos);
  EXPECT_NE(error("scrape: {bogus: 1}\n").find("unknown key \"bogus\""), std::string::npos);
  EXPECT_NE(error("scrape: {max_body_bytes: 10}\n").find("scrape.max_body_bytes must be at least 1024"), std::string::npos);
  EXPECT_NE(error("global: {scrape_interval: 5s}\nscrape: {interval: 6s}\n").find("not both"), std::string::npos);
  EXPECT_NE(error("global: {query_log_file: x}\n").find("unknown key \"query_log_file\""), std::string::npos);
  EXPECT_NE(error("scrape_configs: {job_name: a}\n").find("expected a list of jobs"), std::string::npos);
}

TEST(RulesConfigTest, ReadsPrometheusAndPerfwatchKeys) {
  auto c = ParseConfig(
      "global: {evaluation_interval: 15s, rule_query_offset: 30s, external_labels: {zone: b, cluster: a}}\n"
      "external_url: https://pw.example.com/\n"
      "rule_files: [rules/*.yml, extra.yml]\n"
      "rules: {resend_delay: 2m, event_driven: false, event_cpu_budget: 0.5, eval_threads: 4}\n"
      "alerting:\n  route: {receiver: a}\n  receivers: [{name: a}]\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->rules.evaluation_interval_ms, 15'000);
  EXPECT_EQ(c->rules.query_offset_ms, 30'000);
  EXPECT_EQ(c->rules.external_labels, (std::vector<std::pair<std::string, std::string>>{{"cluster", "a"}, {"zone", "b"}}));
  EXPECT_EQ(c->rules.external_url, "https://pw.example.com");  // trailing slash dropped
  EXPECT_EQ(c->rules.rule_files, (std::vector<std::string>{"rules/*.yml", "extra.yml"}));
  EXPECT_EQ(c->rules.resend_delay_ms, 120'000);
  EXPECT_FALSE(c->rules.event_driven);
  EXPECT_EQ(c->rules.event_cpu_budget, 0.5);
  EXPECT_EQ(c->rules.eval_threads, 4);
  EXPECT_TRUE(c->has_alerting);
  EXPECT_NE(c->source_text.find("receivers"), std::string::npos);

  auto defaults = ParseConfig("");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->rules.evaluation_interval_ms, 60'000);
  EXPECT_TRUE(defaults->rules.event_driven);
  EXPECT_FALSE(defaults->has_alerting);
}

TEST(RulesConfigTest, RejectsBadRuleKeysWithClearErrors) {
  auto error = [](const std::string& yaml) { return ParseConfig(yaml).status().message(); };
  EXPECT_NE(error("rules: {event_cpu_budget: 2}\n").find("rules.event_cpu_budget must be between 0"), std::string::npos);
  EXPECT_NE(error("rules: {eval_threads: 0}\n").find("rules.eval_threads must be 1..64"), std::string::npos);
  EXPECT_NE(error("rules: {bogus: 1}\n").find("unknown key \"bogus\""), std::string::npos);
  EXPECT_NE(error("external_url: ftp://x\n").find("external_url must start with http"), std::string::npos);
  EXPECT_NE(error("rule_files: x.yml\n").find("rule_files: expected a list"), std::string::npos);
  EXPECT_NE(error("global: {evaluation_interval: 5x}\n").find("global"), std::string::npos);
}

}  // namespace
}  // namespace perfwatch
