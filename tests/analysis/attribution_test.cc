#include "analysis/attribution_api.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include "events/event_store.h"
#include "events/test_events.h"
#include "http/router.h"
#include "support/route_call.h"

namespace perfwatch::analysis {
namespace {

using events::Vital;
using events::testing::kT0;
using events::testing::OwnedEvent;

OwnedEvent Lcp(double value, std::string element, double ttfb, double delay, double load, double render,
               std::string page = "/home") {
  OwnedEvent e = events::testing::Vitals(Vital::kLCP, kT0, value, std::move(page));
  e.attrs_json = R"({"pageViewId":"pv","attribution":{"element":")" + element + R"(","url":"https://x/hero.jpg","ttfb":)" +
                 std::to_string(ttfb) + R"(,"loadDelay":)" + std::to_string(delay) + R"(,"loadDuration":)" +
                 std::to_string(load) + R"(,"renderDelay":)" + std::to_string(render) + "}}";
  return e;
}

class AttributionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = events::EventStore::Open(dir_.path() / "events", events::testing::TestConfig(), nullptr);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }
  void Store(const std::vector<OwnedEvent>& evs) { ASSERT_TRUE(store_->Append(events::testing::Views(evs)).ok()); }
  AttributionReport Compute(Vital m, std::string page = "") {
    AttributionRequest r;
    r.metric = m;
    r.from_ms = kT0 - 1000;
    r.to_ms = kT0 + 1000;
    if (!page.empty()) r.page = page;
    auto out = ComputeAttribution(*store_, r);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    // The handler's cached path answers the same (tests/analysis/record_cache_test.cc).
    auto cached = ComputeAttribution(*store_, r, cache_);
    if (out.ok() && cached.ok()) {
      EXPECT_EQ(RenderAttributionJson(*cached), RenderAttributionJson(*out));
    }
    return out.ok() ? *out : AttributionReport{};
  }
  AttributionCache cache_;
  perfwatch::testing::TempDir dir_;
  std::unique_ptr<events::EventStore> store_;
};

TEST_F(AttributionTest, LcpSubpartsP75PerElement) {
  std::vector<OwnedEvent> evs;
  // img.hero: 4 views; subparts add up to the value.
  evs.push_back(Lcp(2000, "img.hero", 200, 300, 1000, 500));
  evs.push_back(Lcp(3000, "img.hero", 400, 600, 1500, 500));
  evs.push_back(Lcp(2500, "img.hero", 300, 400, 1300, 500));
  evs.push_back(Lcp(4000, "img.hero", 500, 1000, 2000, 500));
  evs.push_back(Lcp(1000, "h1", 200, 0, 0, 800));
  OwnedEvent bare = events::testing::Vitals(Vital::kLCP, kT0, 1500, "/home");  // no attribution
  evs.push_back(bare);
  evs.push_back(events::testing::Vitals(Vital::kFCP, kT0, 900, "/home"));  // another metric
  Store(evs);
  AttributionReport r = Compute(Vital::kLCP);
  EXPECT_EQ(r.views, 6u);
  ASSERT_EQ(r.targets.size(), 2u);
  const AttributionTarget& hero = r.targets[0];
  EXPECT_EQ(hero.selector, "img.hero");
  EXPECT_EQ(hero.count, 4u);
  EXPECT_DOUBLE_EQ(hero.share, 4.0 / 6);
  EXPECT_DOUBLE_EQ(*hero.p75, 3250);  // 2000 2500 3000 4000: rank 2.25
  ASSERT_EQ(hero.subparts.size(), 4u);
  EXPECT_EQ(hero.subparts[0].first, "ttfb");
  EXPECT_DOUBLE_EQ(*hero.subparts[0].second, 425);
  EXPECT_EQ(hero.subparts[1].first, "loadDelay");
  EXPECT_DOUBLE_EQ(*hero.subparts[1].second, 700);
  EXPECT_EQ(hero.subparts[2].first, "loadDuration");
  EXPECT_DOUBLE_EQ(*hero.subparts[2].second, 1625);
  EXPECT_EQ(hero.subparts[3].first, "renderDelay");
  EXPECT_DOUBLE_EQ(*hero.subparts[3].second, 500);
  EXPECT_EQ(r.targets[1].selector, "h1");
  EXPECT_TRUE(hero.scripts.empty());

  EXPECT_EQ(Compute(Vital::kLCP, "/other").views, 0u);
}

TEST_F(AttributionTest, InpTargetsSubpartsAndScripts) {
  auto inp = [](double v, std::string target, std::string scripts) {
    OwnedEvent e = events::testing::Vitals(Vital::kINP, kT0, v, "/home");
    e.attrs_json = R"({"attribution":{"target":")" + target +
                   R"(","type":"pointer","inputDelay":10,"processing":)" + std::to_string(v - 30) +
                   R"(,"presentation":20,"scripts":)" + scripts + "}}";
    return e;
  };
  Store({inp(300, "button#buy", R"([{"src":"https://x/app.js","fn":"onBuy","invoker":"BUTTON.onclick","dur":200}])"),
         inp(500, "button#buy",
             R"([{"src":"https://x/app.js","fn":"onBuy","invoker":"BUTTON.onclick","dur":400},{"src":"https://ads/t.js","dur":50}])"),
         inp(100, "a.nav", "[]")});
  AttributionReport r = Compute(Vital::kINP);
  EXPECT_EQ(r.views, 3u);
  ASSERT_EQ(r.targets.size(), 2u);
  const AttributionTarget& buy = r.targets[0];
  EXPECT_EQ(buy.selector, "button#buy");
  ASSERT_EQ(buy.subparts.size(), 3u);
  EXPECT_EQ(buy.subparts[1].first, "processing");
  EXPECT_DOUBLE_EQ(*buy.subparts[1].second, 420);  // 270, 470
  ASSERT_EQ(buy.scripts.size(), 2u);
  EXPECT_EQ(buy.scripts[0].src, "https://x/app.js");
  EXPECT_EQ(buy.scripts[0].fn, "onBuy");
  EXPECT_EQ(buy.scripts[0].count, 2u);
  EXPECT_DOUBLE_EQ(*buy.scripts[0].p75, 350);
  EXPECT_EQ(buy.scripts[1].src, "https://ads/t.js");

  std::string json = RenderAttributionJson(r);
  simdjson::dom::parser p;
  simdjson::dom::element root;
  ASSERT_FALSE(p.parse(json).get(root)) << json;
  EXPECT_EQ(std::string_view(root["data"]["metric"].get_string().value()), "INP");
  EXPECT_FALSE(root["data"]["targets"].at(0)["scripts"].error());
  EXPECT_FALSE(root["data"]["targets"].at(0)["subparts"]["presentation"].error());
}

TEST_F(AttributionTest, ClsHasNoSubparts) {
  OwnedEvent e = events::testing::Vitals(Vital::kCLS, kT0, 0.25, "/home");
  e.attrs_json = R"({"attribution":{"target":"div.ad","time":1200,"value":0.2}})";
  Store({e});
  AttributionReport r = Compute(Vital::kCLS);
  ASSERT_EQ(r.targets.size(), 1u);
  EXPECT_TRUE(r.targets[0].subparts.empty());
  std::string json = RenderAttributionJson(r);
  EXPECT_NE(json.find(R"("selector":"div.ad","count":1,"share":1,"p75":0.25,"subparts":{}})"), std::string::npos)
      << json;
}

TEST_F(AttributionTest, BadParametersAre400) {
  http::Router router;
  RegisterAttributionHandler(router, store_.get());
  for (const char* q : {"", "metric=FCP", "metric=XYZ", "metric=LCP&window=soon", "metric=LCP&limit=0",
                        "metric=LCP&limit=x", "metric=INP&from=2000000000&to=1000000000"}) {
    http::Response res = perfwatch::testing::CallRoute(router, "GET", "/api/v1/vitals/attribution", q);
    EXPECT_EQ(res.status, 400) << q;
  }
  http::Response res = perfwatch::testing::CallRoute(router, "GET", "/api/v1/vitals/attribution", "metric=cls&window=1h");
  EXPECT_EQ(res.status, 200) << res.body;
}

}  // namespace
}  // namespace perfwatch::analysis
