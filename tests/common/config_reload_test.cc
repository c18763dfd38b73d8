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
      "listen: 127.0.0.1:2\ntsdb: {retention: 2d}\nevents: {retention: 1d}\n"
      "global: {evaluation_interval: 2m, scrape_interval: 20s}\nsynthetic: {max_browsers: "
      "4}\nscrape: {interval: 20s}\n"
      "rum: {max_apps: 30, max_json_depth: 9, cors_allowed_origins: ['https://a.example']}\n"
      "analysis: {changepoint: {window: 60}, watch_interval: 1m}\n";
  auto plan = PlanReload(before, after);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(plan->restart_needed,
            (std::vector<std::string>{"analysis.changepoint", "auth.disabled", "events",
                                      "global.evaluation_interval", "listen",
                                      "rum.max_apps", "synthetic.max_browsers",
                                      "tsdb"}));
  const YAML::Node applied = YAML::Load(plan->applied_yaml);
  EXPECT_EQ(applied["listen"].as<std::string>(), "127.0.0.1:1");
  EXPECT_EQ(applied["tsdb"]["retention"].as<std::string>(), "1d");
  EXPECT_FALSE(applied["events"]) << "a restart-only section the running config lacks stays absent";
  EXPECT_EQ(applied["global"]["evaluation_interval"].as<std::string>(), "1m");
  EXPECT_EQ(applied["global"]["scrape_interval"].as<std::string>(), "20s");  // applied
  EXPECT_EQ(applied["synthetic"]["max_browsers"].as<int>(), 1);
  EXPECT_TRUE(applied["auth"]["disabled"].as<bool>());
  EXPECT_EQ(applied["scrape"]["interval"].as<std::string>(), "20s");
  EXPECT_EQ(applied["rum"]["max_apps"].as<int>(), 20);
  EXPECT_EQ(applied["rum"]["max_json_depth"].as<int>(), 9);  // applied
  EXPECT_EQ(applied["rum"]["cors_allowed_origins"][0].as<std::string>(), "https://a.example");  // applied
  EXPECT_EQ(applied["analysis"]["changepoint"]["window"].as<int>(), 50);
  EXPECT_EQ(applied["analysis"]["watch_interval"].as<std::string>(), "1m");  // applied

  // The next reload compares with what runs: the same file again changes nothing more.
  auto again = PlanReload(plan->applied_yaml, after);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->restart_needed, plan->restart_needed);
  auto same = PlanReload(plan->applied_yaml, plan->applied_yaml);
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->restart_needed.empty());
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

}  // namespace
}  // namespace perfwatch
