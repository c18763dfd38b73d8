// analysis.health: defaults, every key, per-service targets and the errors for bad values
// and unknown keys.
#include <gtest/gtest.h>

#include "common/config.h"

namespace perfwatch {
namespace {

TEST(ConfigHealthTest, Defaults) {
  auto c = ParseConfig("");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->analysis.health.interval_ms, 60'000);
  EXPECT_EQ(c->analysis.health.window_ms, 3600'000);
  EXPECT_EQ(c->analysis.health.error_ratio_target, 0.01);
  EXPECT_EQ(c->analysis.health.latency_p95_target_ms, 1000);
  EXPECT_TRUE(c->analysis.health.apps.empty());
}

TEST(ConfigHealthTest, EveryKey) {
  auto c = ParseConfig(R"(analysis:
  health:
    interval: 30s
    window: 2h
    error_ratio_target: 0.05
    latency_p95_target: 800ms
    apps:
      - app: shop
        services:
          - checkout
          - {name: payments, error_ratio_target: 0.001, latency_p95_target: 300ms}
      - app: blog
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const HealthConfig& h = c->analysis.health;
  EXPECT_EQ(h.interval_ms, 30'000);
  EXPECT_EQ(h.window_ms, 7200'000);
  EXPECT_EQ(h.error_ratio_target, 0.05);
  EXPECT_EQ(h.latency_p95_target_ms, 800);
  ASSERT_EQ(h.apps.size(), 2u);
  EXPECT_EQ(h.apps[0].app, "shop");
  ASSERT_EQ(h.apps[0].services.size(), 2u);
  EXPECT_EQ(h.apps[0].services[0].name, "checkout");
  EXPECT_EQ(h.apps[0].services[0].error_ratio_target, -1);  // the section's default
  EXPECT_EQ(h.apps[0].services[1].name, "payments");
  EXPECT_EQ(h.apps[0].services[1].error_ratio_target, 0.001);
  EXPECT_EQ(h.apps[0].services[1].latency_p95_target_ms, 300);
  EXPECT_TRUE(h.apps[1].services.empty());
}

TEST(ConfigHealthTest, BadValuesAndUnknownKeysAreErrors) {
  const std::pair<const char*, const char*> cases[] = {
      {"analysis: {health: {intervall: 1s}}", "analysis.health: unknown key \"intervall\""},
      {"analysis: {health: {apps: [{app: shop, service: [a]}]}}", "unknown key \"service\""},
      {"analysis: {health: {apps: [{app: shop, services: [{name: a, p95: 1s}]}]}}", "unknown key \"p95\""},
      {"analysis: {health: {error_ratio_target: 0}}", "analysis.health.error_ratio_target must be in (0, 1]"},
      {"analysis: {health: {error_ratio_target: 1.5}}", "error_ratio_target must be in (0, 1]"},
      {"analysis: {health: {latency_p95_target: 0s}}", "latency_p95_target must be positive"},
      {"analysis: {health: {window: 10s}}", "analysis.health.window must be at least 1m"},
      {"analysis: {health: {interval: -1s}}", "interval"},
      {"analysis: {health: {apps: [{services: [a]}]}}", "analysis.health.apps[0].app is required"},
      {"analysis: {health: {apps: [{app: a}, {app: a}]}}", "listed twice"},
      {"analysis: {health: {apps: [{app: a, services: [{error_ratio_target: 0.1}]}]}}", "name is required"},
      {"analysis: {health: {apps: [{app: a, services: [{name: x, error_ratio_target: 2}]}]}}",
       "services[0].error_ratio_target must be in (0, 1]"},
      {"analysis: {health: {apps: {app: a}}}", "analysis.health.apps: expected a list"},
  };
  for (const auto& [yaml, want] : cases) {
    auto c = ParseConfig(yaml);
    ASSERT_FALSE(c.ok()) << yaml;
    EXPECT_NE(c.status().message().find(want), std::string::npos) << yaml << " → " << c.status().message();
  }
}

}  // namespace
}  // namespace perfwatch
