#include "analysis/vitals_handler.h"

#include <gtest/gtest.h>

#include "analysis/web_vitals.h"

namespace perfwatch::analysis {
namespace {

constexpr int64_t kNow = 1'700'086'400'000;

http::Request MakeRequest(const std::string& query) {
  static std::string storage;  // requests borrow; keep the query alive for the test
  storage = query;
  http::Request r;
  r.method = "GET";
  r.path = "/api/v1/vitals";
  r.query = storage;
  return r;
}

TEST(VitalsRequestTest, DefaultsToLast24HoursAndP75) {
  auto r = ParseVitalsRequest(MakeRequest("metric=LCP"), kNow);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->scan.vital, events::Vital::kLCP);
  EXPECT_EQ(r->scan.to_ms, kNow);
  EXPECT_EQ(r->scan.from_ms, kNow - 86'400'000);
  EXPECT_EQ(r->percentile, 75);
  for (bool g : r->scan.group_by) EXPECT_FALSE(g);
}

TEST(VitalsRequestTest, ParsesEveryParameter) {
  auto r = ParseVitalsRequest(
      MakeRequest("metric=inp&window=1h&by=page,device&percentile=95&app=shop&device=mobile&connection=4g"), kNow);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->scan.vital, events::Vital::kINP);
  EXPECT_EQ(r->scan.from_ms, kNow - 3'600'000);
  EXPECT_TRUE(r->scan.group_by[events::kPage]);
  EXPECT_TRUE(r->scan.group_by[events::kDevice]);
  EXPECT_FALSE(r->scan.group_by[events::kApp]);
  EXPECT_EQ(r->percentile, 95);
  EXPECT_EQ(r->scan.filters[events::kApp], "shop");
  EXPECT_EQ(r->scan.filters[events::kDevice], "mobile");
  EXPECT_EQ(r->scan.filters[events::kConnection], "4g");
  EXPECT_FALSE(r->scan.filters[events::kPage].has_value());
}

TEST(VitalsRequestTest, FromAndToAcceptUnixSecondsAndRfc3339) {
  auto r = ParseVitalsRequest(MakeRequest("metric=CLS&from=1700000000&to=2023-11-15T22:13:20Z"), kNow);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->scan.from_ms, 1'700'000'000'000);
  EXPECT_EQ(r->scan.to_ms, 1'700'086'400'000);
}

TEST(VitalsRequestTest, RejectsBadParameters) {
  for (const char* q : {"", "metric=FID", "metric=XYZ", "metric=LCP&percentile=101", "metric=LCP&percentile=-1",
                        "metric=LCP&percentile=abc", "metric=LCP&window=soon", "metric=LCP&by=country",
                        "metric=LCP&from=yesterday", "metric=LCP&from=1700000100&to=1700000000"}) {
    auto r = ParseVitalsRequest(MakeRequest(q), kNow);
    EXPECT_FALSE(r.ok()) << q;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << q;
    }
  }
}

TEST(VitalsRenderTest, MatchesTheContractShape) {
  auto r = ParseVitalsRequest(MakeRequest("metric=LCP&by=page,device&from=1700000000&to=1700086400"), kNow);
  ASSERT_TRUE(r.ok());
  VitalsGroup g;
  g.key[events::kPage] = "/products/:id";
  g.key[events::kDevice] = "mobile";
  g.count = 4;
  g.value = g.p75 = 2480.5;
  g.p50 = 1710;
  g.p95 = 4105.2;
  g.good = 0.5;
  g.needs_improvement = 0.25;
  g.poor = 0.25;
  EXPECT_EQ(RenderVitalsJson(*r, {g}),
            R"({"status":"success","data":{"metric":"LCP","percentile":75,"from":1700000000,"to":1700086400,)"
            R"("groups":[{"labels":{"page":"/products/:id","device":"mobile"},"count":4,"value":2480.5,)"
            R"("p50":1710,"p75":2480.5,"p95":4105.2,"good":0.5,"needs_improvement":0.25,"poor":0.25}]}})");
  EXPECT_EQ(RenderVitalsJson(*r, {}),
            R"({"status":"success","data":{"metric":"LCP","percentile":75,"from":1700000000,"to":1700086400,"groups":[]}})");
}

TEST(WebVitalsTest, RatingsUseInclusiveGoodAndExclusivePoorThresholds) {
  auto lcp = *ThresholdsFor(events::Vital::kLCP);
  EXPECT_EQ(Rate(lcp, 2500), Rating::kGood);
  EXPECT_EQ(Rate(lcp, 2500.1), Rating::kNeedsImprovement);
  EXPECT_EQ(Rate(lcp, 4000), Rating::kNeedsImprovement);
  EXPECT_EQ(Rate(lcp, 4000.1), Rating::kPoor);
  auto cls = *ThresholdsFor(events::Vital::kCLS);
  EXPECT_EQ(Rate(cls, 0.1), Rating::kGood);
  EXPECT_EQ(Rate(cls, 0.25), Rating::kNeedsImprovement);
  EXPECT_EQ(Rate(cls, 0.26), Rating::kPoor);
  EXPECT_EQ(ThresholdsFor(events::Vital::kINP)->good, 200);
  EXPECT_EQ(ThresholdsFor(events::Vital::kFCP)->poor, 3000);
  EXPECT_EQ(ThresholdsFor(events::Vital::kTTFB)->good, 800);
}

}  // namespace
}  // namespace perfwatch::analysis
