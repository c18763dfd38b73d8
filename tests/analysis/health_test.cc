// The health score's parts, weights, renormalisation and verdicts (docs/score.md).
#include "analysis/health.h"

#include <gtest/gtest.h>

#include "events/event_store.h"
#include "events/test_events.h"
#include "support/temp_dir.h"

namespace perfwatch::analysis {
namespace {

HealthInputs::Service Svc(std::string name, std::optional<double> ratio, std::optional<double> p95,
                          double ratio_target = 0.01, double p95_target = 0.5) {
  HealthInputs::Service s;
  s.name = std::move(name);
  s.error_ratio = ratio;
  s.p95_seconds = p95;
  s.error_ratio_target = ratio_target;
  s.latency_p95_target_seconds = p95_target;
  return s;
}

const HealthPart& Part(const HealthReport& r, std::string_view name) {
  for (const HealthPart& p : r.parts) {
    if (p.name == name) return p;
  }
  static HealthPart none;
  ADD_FAILURE() << "no part " << name;
  return none;
}

TEST(HealthTest, EveryPartWeightedAvailabilityLeftOut) {
  HealthInputs in;
  in.performance = 80;
  in.performance_views = 10;
  // errors: api at target (100), web 4 % against 2 % (50) → 75;
  // latency: api 0.25 s against 0.5 s (100), web 2 s against 0.5 s (25) → 62.5.
  in.services = {Svc("api", 0.01, 0.25), Svc("web", 0.04, 2.0, 0.02)};
  in.firing = {0, 1, 1, 0, 0};  // high 20 + warning 10 → 70
  HealthReport r = ComputeHealth("shop", in);
  EXPECT_DOUBLE_EQ(Part(r, "performance").score, 80);
  EXPECT_DOUBLE_EQ(Part(r, "errors").score, 75);
  EXPECT_DOUBLE_EQ(Part(r, "latency").score, 62.5);
  EXPECT_FALSE(Part(r, "availability").included);
  EXPECT_DOUBLE_EQ(Part(r, "alerts").score, 70);
  // (30·80 + 25·75 + 20·62.5 + 10·70) / 85 = (2400 + 1875 + 1250 + 700) / 85
  ASSERT_TRUE(r.score.has_value());
  EXPECT_DOUBLE_EQ(*r.score, 6225.0 / 85);
  EXPECT_EQ(r.verdict, "minor");  // 73.24
}

TEST(HealthTest, PartsWithoutDataAreLeftOutAndWeightsRenormalised) {
  HealthInputs in;
  in.services = {Svc("api", std::nullopt, std::nullopt)};  // served no calls
  HealthReport r = ComputeHealth("shop", in);
  EXPECT_FALSE(Part(r, "performance").included);
  EXPECT_FALSE(Part(r, "errors").included);
  EXPECT_FALSE(Part(r, "latency").included);
  EXPECT_EQ(Part(r, "errors").text, "no server calls in the window");
  ASSERT_TRUE(r.score.has_value());
  EXPECT_DOUBLE_EQ(*r.score, 100);  // only the alerts part, with none firing
  EXPECT_EQ(r.verdict, "healthy");
  // A service with data next to one without: the mean is over the one with data.
  in.services.push_back(Svc("web", 0.0, 0.1));
  in.performance = 40;
  r = ComputeHealth("shop", in);
  EXPECT_DOUBLE_EQ(Part(r, "errors").score, 100);
  EXPECT_DOUBLE_EQ(*r.score, (30 * 40 + 25 * 100 + 20 * 100 + 10 * 100) / 85.0);
}

TEST(HealthTest, AlertPenaltiesFloorAtZero) {
  HealthInputs in;
  in.performance = 30;
  in.firing = {3, 0, 0, 0, 0};  // 120 points of penalty
  HealthReport r = ComputeHealth("shop", in);
  EXPECT_DOUBLE_EQ(Part(r, "alerts").score, 0);
  EXPECT_DOUBLE_EQ(*r.score, (30 * 30.0) / 40);
  EXPECT_EQ(r.verdict, "critical");
  in.firing = {0, 0, 0, 2, 3};  // info and unlabelled: 2 each
  EXPECT_DOUBLE_EQ(Part(ComputeHealth("shop", in), "alerts").score, 90);
}

TEST(HealthTest, VerdictThresholds) {
  EXPECT_EQ(HealthVerdict(0), "critical");
  EXPECT_EQ(HealthVerdict(49.99), "critical");
  EXPECT_EQ(HealthVerdict(50), "warning");
  EXPECT_EQ(HealthVerdict(69.99), "warning");
  EXPECT_EQ(HealthVerdict(70), "minor");
  EXPECT_EQ(HealthVerdict(89.99), "minor");
  EXPECT_EQ(HealthVerdict(90), "healthy");
  EXPECT_EQ(HealthVerdict(100), "healthy");
}

TEST(HealthTest, RendersEachPart) {
  HealthInputs in;
  in.performance = 87.25;
  in.performance_views = 3;
  HealthReport r = ComputeHealth("shop", in);
  const std::string json = RenderHealthJson(r, 3600'000);
  EXPECT_EQ(json.rfind(R"({"status":"success","data":{"app":"shop","score":)", 0), 0u) << json;
  EXPECT_NE(json.find(R"("window":"1h")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"({"name":"performance","included":true,"weight":30,"score":87.25,"value":87.25,"views":3,"summary":"score 87.25 over 3 page views"})"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"j({"name":"errors","included":false,"weight":25,"score":null,"services":[],"summary":"no services configured (analysis.health.apps)"})j"),
            std::string::npos)
      << json;
}

// Reload of analysis.health: Apply swaps the targets, the next evaluation uses them.
TEST(HealthServiceTest, ApplySwapsTheConfigurationForTheNextEvaluation) {
  perfwatch::testing::TempDir dir;
  auto store = events::EventStore::Open(dir.path() / "events", events::testing::TestConfig(), nullptr);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  HealthConfig config;
  config.interval_ms = 0;
  config.error_ratio_target = 0.01;
  config.apps = {HealthAppConfig{.app = "shop", .services = {HealthServiceConfig{.name = "api"}}}};
  // Every service: 2 % errors, p95 0.5 s.
  InstantQueryFn query = [](const std::string& expr, int64_t) -> Result<std::optional<double>> {
    return std::optional<double>(expr.find("histogram_quantile") != std::string::npos ? 0.5 : 0.02);
  };
  HealthService health(config, store->get(), nullptr, query, nullptr);
  auto before = health.Evaluate("shop", events::testing::kT0);
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_DOUBLE_EQ(Part(*before, "errors").score, 50);  // 2 % against 1 %

  HealthConfig next = config;
  next.error_ratio_target = 0.04;
  next.window_ms = 600'000;
  health.Apply(next);
  EXPECT_EQ(*health.config(), next);
  auto after = health.Evaluate("shop", events::testing::kT0);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_DOUBLE_EQ(Part(*after, "errors").score, 100);
  // An app the configuration no longer names has no service parts.
  next.apps.clear();
  health.Apply(next);
  auto none = health.Evaluate("shop", events::testing::kT0);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(Part(*none, "errors").included);
}

}  // namespace
}  // namespace perfwatch::analysis
