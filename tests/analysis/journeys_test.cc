#include "analysis/journeys.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include "analysis/journeys_api.h"
#include "analysis/vitals_handler.h"
#include "events/event_store.h"
#include "events/test_events.h"
#include "http/router.h"

namespace perfwatch::analysis {
namespace {

using events::testing::kT0;
using events::testing::OwnedEvent;
constexpr int64_t kMin = 60 * 1000;

// A stored journey event: its latest beacon, at `t`.
OwnedEvent J(std::string session, std::string jid, std::string outcome, double ms, int64_t t,
             std::vector<std::pair<std::string, double>> steps, std::string name = "checkout",
             std::string target = "") {
  OwnedEvent e;
  e.type = events::EventType::kJourney;
  e.vital = events::Vital::kNone;
  e.name = std::move(name);
  e.time_ms = t;
  e.received_ms = t;
  e.value = ms;
  e.dims = {"shop", "/cart", "desktop", "4g", "Chrome"};
  e.session_id = std::move(session);
  e.id = "j-" + jid;
  std::string s = "[";
  double at = 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    if (i) s += ',';
    s += R"({"name":")" + steps[i].first + R"(","t":)" + std::to_string(at) + R"(,"d":)" +
         std::to_string(steps[i].second) + "}";
    at += steps[i].second;
  }
  s += "]";
  e.attrs_json = R"({"journeyId":")" + jid + R"(","outcome":")" + outcome + R"(","steps":)" + s +
                 (target.empty() ? "" : R"(,"target":)" + target) + R"(,"startedAt":1})";
  return e;
}

class JourneysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = events::EventStore::Open(dir_.path() / "events", events::testing::TestConfig(), nullptr);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }
  void Store(const std::vector<OwnedEvent>& evs) {
    ASSERT_TRUE(store_->Append(events::testing::Views(evs)).ok());
  }
  std::vector<JourneyReport> Compute(int64_t now, std::string name = "") {
    JourneysRequest r;
    r.from_ms = kT0 - 24 * 60 * kMin;
    r.to_ms = now;
    if (!name.empty()) r.name = name;
    auto out = ComputeJourneys(*store_, r, now, 30 * kMin);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    // The handler's cached path answers the same (tests/analysis/record_cache_test.cc).
    auto cached = ComputeJourneys(*store_, r, now, 30 * kMin, cache_);
    if (out.ok() && cached.ok()) {
      EXPECT_EQ(RenderJourneysJson(*cached), RenderJourneysJson(*out));
    }
    return out.ok() ? *out : std::vector<JourneyReport>{};
  }
  JourneysCache cache_;
  perfwatch::testing::TempDir dir_;
  std::unique_ptr<events::EventStore> store_;
};

// Three steps (cart, address, pay); three sessions complete, one abandons after "address",
// one fails at "pay".
TEST_F(JourneysTest, ThreeStepJourneyWithOneAbandonedSession) {
  const int64_t t = kT0 + 10 * kMin;
  Store({J("s1", "1", "completed", 3000, t, {{"cart", 500}, {"address", 1000}, {"pay", 1500}}, "checkout", "5000"),
         J("s2", "2", "completed", 6000, t, {{"cart", 1000}, {"address", 2000}, {"pay", 3000}}, "checkout", "5000"),
         J("s3", "3", "completed", 4000, t, {{"cart", 700}, {"address", 1300}, {"pay", 2000}}, "checkout", "5000"),
         J("s4", "4", "abandoned", 1500, t, {{"cart", 600}, {"address", 900}}),
         J("s5", "5", "failed", 2500, t, {{"cart", 400}, {"address", 800}, {"pay", 1300}}),
         J("s6", "6", "abandoned", 100, t + 20 * kMin, {{"cart", 100}}),  // recent: in progress
         J("s7", "7", "completed", 10, t, {{"x", 10}}, "signup")});
  // The abandoned beacon of s4 replaced by a later one (same identity): still one journey.
  Store({J("s4", "4", "abandoned", 1600, t + kMin, {{"cart", 600}, {"address", 1000}})});
  auto out = Compute(t + 45 * kMin, "checkout");
  ASSERT_EQ(out.size(), 1u);
  const JourneyReport& r = out[0];
  EXPECT_EQ(r.app, "shop");
  EXPECT_EQ(r.name, "checkout");
  EXPECT_EQ(r.started, 6u);
  EXPECT_EQ(r.completed, 3u);
  EXPECT_EQ(r.failed, 1u);
  EXPECT_EQ(r.abandoned, 1u);
  EXPECT_EQ(r.in_progress, 1u);
  EXPECT_DOUBLE_EQ(*r.completion_rate, 3.0 / 5);
  EXPECT_DOUBLE_EQ(*r.p50, 4000);
  EXPECT_DOUBLE_EQ(*r.p75, 5000);  // 3000, 4000, 6000: rank 1.5
  EXPECT_DOUBLE_EQ(*r.target, 5000);
  EXPECT_DOUBLE_EQ(*r.over_target_ratio, 1.0 / 3);
  ASSERT_EQ(r.steps.size(), 3u);
  EXPECT_EQ(r.steps[0].name, "cart");
  EXPECT_EQ(r.steps[1].name, "address");
  EXPECT_EQ(r.steps[2].name, "pay");
  EXPECT_EQ(r.steps[0].reached, 5u);
  EXPECT_EQ(r.steps[1].reached, 5u);
  EXPECT_EQ(r.steps[2].reached, 4u);
  EXPECT_DOUBLE_EQ(r.steps[0].drop_off, 0);
  EXPECT_DOUBLE_EQ(r.steps[1].drop_off, 1.0 / 5);  // s4
  EXPECT_DOUBLE_EQ(r.steps[2].drop_off, 1.0 / 4);  // s5 failed at pay
  // pay durations 1500, 3000, 2000, 1300 -> p75 = 2250
  EXPECT_DOUBLE_EQ(*r.steps[2].p75, 2250);
  EXPECT_EQ(r.slowest_step, "pay");
  EXPECT_EQ(r.largest_drop_off, "pay");

  // Before the timeout the abandoned session is still in progress.
  auto early = Compute(t + 20 * kMin, "checkout");
  ASSERT_EQ(early.size(), 1u);
  EXPECT_EQ(early[0].abandoned, 0u);
  EXPECT_EQ(early[0].in_progress, 2u);

  auto all = Compute(t + 45 * kMin);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].name, "signup");
  EXPECT_FALSE(all[1].largest_drop_off.has_value());
}

TEST_F(JourneysTest, RendersTheContractShape) {
  Store({J("s1", "1", "completed", 3000, kT0, {{"cart", 500}})});
  std::string json = RenderJourneysJson(Compute(kT0 + kMin));
  simdjson::dom::parser p;
  simdjson::dom::element root;
  ASSERT_FALSE(p.parse(json).get(root)) << json;
  auto j = root["data"].at(0);
  for (const char* k : {"app", "name", "started", "completed", "failed", "abandoned", "completion_rate", "p50", "p75",
                        "target", "over_target_ratio", "steps", "bottleneck"}) {
    EXPECT_FALSE(j[k].error()) << k << " in " << json;
  }
  EXPECT_TRUE(j["target"].is_null());
  EXPECT_EQ(std::string_view(j["bottleneck"]["slowest_step"].get_string().value()), "cart");
  EXPECT_TRUE(j["bottleneck"]["largest_drop_off"].is_null());
}

TEST_F(JourneysTest, BadParametersAre400AndNothingStoredIsLost) {
  Store({J("s1", "1", "completed", 3000, kT0, {{"cart", 500}})});
  http::Router router;
  RegisterJourneysHandler(router, store_.get(), 30 * kMin);
  auto match = router.Find("GET", "/api/v1/journeys");
  ASSERT_NE(match.handler, nullptr);
  for (const char* q : {"window=soon", "window=-1h", "from=yesterday", "from=2000000000&to=1000000000"}) {
    http::Request req;
    req.method = "GET";
    req.path = "/api/v1/journeys";
    req.query = q;
    http::Response res;
    (*match.handler)(req, res);
    EXPECT_EQ(res.status, 400) << q;
    EXPECT_NE(res.body.find("bad_data"), std::string::npos) << res.body;
  }
  EXPECT_EQ(Compute(kT0 + kMin).size(), 1u);
}

TEST(JourneyAccumulatorTest, MalformedAttributesCountAsInProgress) {
  JourneyAccumulator acc(kT0, 30 * kMin);
  acc.Add("shop", "checkout", kT0, 10, "{\"outcome\":");
  acc.Add("shop", "checkout", kT0, 10, "");
  acc.Add("shop", "checkout", kT0, 10, R"({"outcome":"completed","steps":"nope"})");
  auto out = acc.Finish();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].started, 3u);
  EXPECT_EQ(out[0].in_progress, 2u);
  EXPECT_EQ(out[0].completed, 1u);
  EXPECT_TRUE(out[0].steps.empty());
}

}  // namespace
}  // namespace perfwatch::analysis
