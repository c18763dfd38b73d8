// The performance score against values computed by hand from docs/score.md's formula.
#include "analysis/score.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "analysis/score_api.h"
#include "events/event_store.h"

namespace perfwatch::analysis {
namespace {

using events::Vital;
constexpr double kEps = 1e-12;

// The curve at chosen points (docs/score.md: z = ln(v/meh)·0.9061938024368232 / ln(meh/good),
// score = (1 − erf(z)) / 2 with Abramowitz–Stegun 7.1.26's erf; computed independently).
TEST(LogNormalScoreTest, ControlPointsScoreNinetyAndFifty) {
  EXPECT_EQ(LogNormalScore(1200, 2400, 1200), 0.9);
  EXPECT_EQ(LogNormalScore(1200, 2400, 2400), 0.5);
  EXPECT_EQ(LogNormalScore(0.1, 0.25, 0.1), 0.9);
  EXPECT_EQ(LogNormalScore(0.1, 0.25, 0.25), 0.5);
  EXPECT_EQ(LogNormalScore(0.1, 0.25, 0), 1.0);  // CLS 0: nothing shifted
  EXPECT_EQ(LogNormalScore(200, 500, -3), 1.0);
}

TEST(LogNormalScoreTest, MatchesTheFormulaBetweenAndBeyond) {
  EXPECT_NEAR(LogNormalScore(1200, 2400, 3000), 0.33996181904284173, kEps);
  EXPECT_NEAR(LogNormalScore(200, 500, 100), 0.9878075200597567, kEps);
  EXPECT_NEAR(LogNormalScore(0.1, 0.25, 0.05), 0.9878075200597567, kEps);  // same ratios as INP 100
  EXPECT_NEAR(LogNormalScore(2500, 4000, 1200), 0.9994861308983106, kEps);
  EXPECT_NEAR(LogNormalScore(800, 1800, 2000), 0.43387928737375003, kEps);
  // Bands are kept even where the approximation would cross them.
  EXPECT_LT(LogNormalScore(1200, 2400, 2400.0001), 0.5);
  EXPECT_LT(LogNormalScore(1200, 2400, 1200.0001), 0.9);
  EXPECT_GE(LogNormalScore(1200, 2400, 1e-300), 0.9);
  EXPECT_GE(LogNormalScore(1200, 2400, 1e300), 0.0);
  // Monotone decreasing.
  double prev = 1;
  for (double v = 1; v < 20000; v *= 1.1) {
    const double s = LogNormalScore(1200, 2400, v);
    EXPECT_LE(s, prev) << v;
    prev = s;
  }
}

ViewVitals View(std::optional<double> lcp, std::optional<double> inp, std::optional<double> fcp,
                std::optional<double> cls, std::optional<double> ttfb, bool mobile) {
  ViewVitals v;
  v.values = {lcp, inp, fcp, cls, ttfb};
  v.mobile = mobile;
  return v;
}

TEST(ScorePageViewTest, WeightsAllFiveVitals) {
  // Desktop at the control points: LCP 1200 (0.9), INP 500 (0.5), FCP 900 (0.9), CLS 0.25
  // (0.5), TTFB 200 (0.9): (30·0.9 + 30·0.5 + 15·0.9 + 15·0.5 + 10·0.9) / 100 = 0.72.
  EXPECT_NEAR(*ScorePageView(View(1200, 500, 900, 0.25, 200, false)), 0.72, kEps);
  // Mobile at its control points: LCP 2500, FCP 1800, TTFB 800 are "good" there.
  EXPECT_NEAR(*ScorePageView(View(2500, 500, 1800, 0.25, 800, true)), 0.72, kEps);
  // Perfect: every vital at 0 scores 1.
  EXPECT_NEAR(*ScorePageView(View(0, 0, 0, 0, 0, false)), 1.0, kEps);
}

TEST(ScorePageViewTest, DesktopAndMobileUseTheirOwnControlPoints) {
  // LCP 2400: desktop's meh (0.5); below mobile's good 2500 → at least 0.9.
  EXPECT_NEAR(*ScorePageView(View(2400, {}, {}, {}, {}, false)), 0.5, kEps);
  EXPECT_GT(*ScorePageView(View(2400, {}, {}, {}, {}, true)), 0.9);
  // TTFB 800: mobile's good (0.9), far beyond desktop's meh 400.
  EXPECT_NEAR(*ScorePageView(View({}, {}, {}, {}, 800, true)), 0.9, kEps);
  EXPECT_LT(*ScorePageView(View({}, {}, {}, {}, 800, false)), 0.5);
  EXPECT_TRUE(IsMobileDevice("mobile"));
  EXPECT_TRUE(IsMobileDevice("tablet"));
  EXPECT_FALSE(IsMobileDevice("desktop"));
  EXPECT_FALSE(IsMobileDevice(""));
}

TEST(ScorePageViewTest, RenormalisesOverReportedVitals) {
  // LCP 1200 (0.9) and CLS 0.25 (0.5) only: (30·0.9 + 15·0.5) / 45 = 34.5 / 45.
  EXPECT_NEAR(*ScorePageView(View(1200, {}, {}, 0.25, {}, false)), 34.5 / 45, kEps);
  // TTFB alone: its own score, whatever its weight.
  EXPECT_NEAR(*ScorePageView(View({}, {}, {}, {}, 200, false)), 0.9, kEps);
  // LCP 3000 desktop (0.33996181904284173) with INP 100 (0.9878075200597567):
  EXPECT_NEAR(*ScorePageView(View(3000, 100, {}, {}, {}, false)),
              (30 * 0.33996181904284173 + 30 * 0.9878075200597567) / 60, 1e-12);
  EXPECT_FALSE(ScorePageView(View({}, {}, {}, {}, {}, false)).has_value());
}

TEST(ScoreAccumulatorTest, GroupsBeaconsByPageViewAndAveragesViews) {
  ScoreAccumulator acc;
  // View a on /p/:id (desktop): LCP 1200, INP 500, FCP 900, CLS 0.25, TTFB 200 → 0.72.
  acc.Add("a", "/p/:id", "desktop", Vital::kLCP, 1200);
  acc.Add("a", "/p/:id", "desktop", Vital::kINP, 500);
  acc.Add("a", "/p/:id", "desktop", Vital::kFCP, 900);
  acc.Add("a", "/p/:id", "desktop", Vital::kCLS, 0.25);
  acc.Add("a", "/p/:id", "desktop", Vital::kTTFB, 200);
  // View b on /p/:id (mobile): LCP 2500 (0.9), CLS 0 (1) → (27 + 15) / 45 = 42 / 45.
  acc.Add("b", "/p/:id", "mobile", Vital::kLCP, 2500);
  acc.Add("b", "/p/:id", "mobile", Vital::kCLS, 0);
  // Two views of their own on / (no pageViewId): LCP 2400 desktop (0.5), INP 200 (0.9).
  acc.Add("", "/", "desktop", Vital::kLCP, 2400);
  acc.Add("", "/", "desktop", Vital::kINP, 200);
  acc.Add("c", "/", "desktop", Vital::kFID, 5);  // FID is not scored
  acc.Add("d", "/", "desktop", Vital::kLCP, std::nan(""));
  EXPECT_EQ(acc.views(), 4u);
  ScoreReport r = acc.Finish();
  const double a = 0.72, b = 42.0 / 45, p = (a + b) / 2 * 100, home = (0.5 + 0.9) / 2 * 100;
  ASSERT_TRUE(r.score.has_value());
  EXPECT_EQ(r.views, 4);
  EXPECT_NEAR(*r.score, (a + b + 0.5 + 0.9) / 4 * 100, 1e-9);
  ASSERT_EQ(r.pages.size(), 2u);
  // Opportunity = (100 − page score) × page views / total views, largest first:
  // /: (100 − 70) × 2/4 = 15; /p/:id: (100 − 82.666…) × 2/4 = 8.666….
  EXPECT_EQ(r.pages[0].page, "/");
  EXPECT_NEAR(r.pages[0].score, home, 1e-9);
  EXPECT_NEAR(r.pages[0].opportunity, 15, 1e-9);
  EXPECT_EQ(r.pages[1].page, "/p/:id");
  EXPECT_EQ(r.pages[1].views, 2);
  EXPECT_NEAR(r.pages[1].score, p, 1e-9);
  EXPECT_NEAR(r.pages[1].opportunity, (100 - p) / 2, 1e-9);
  // The opportunities add up to what the app's score misses.
  EXPECT_NEAR(r.pages[0].opportunity + r.pages[1].opportunity, 100 - *r.score, 1e-9);
}

TEST(ScoreAccumulatorTest, RepeatedVitalKeepsTheLaterValueAndFirstPageWins) {
  ScoreAccumulator acc;
  acc.Add("v", "/a", "mobile", Vital::kCLS, 0.25);
  acc.Add("v", "/b", "desktop", Vital::kCLS, 0.1);  // CLS grew... then shrank: later wins
  ScoreReport r = acc.Finish();
  EXPECT_EQ(r.views, 1);
  ASSERT_EQ(r.pages.size(), 1u);
  EXPECT_EQ(r.pages[0].page, "/a");
  EXPECT_NEAR(*r.score, 90, 1e-9);
  EXPECT_FALSE(ScoreAccumulator().Finish().score.has_value());
}

TEST(FindPageViewIdTest, ReadsOnlyTheTopLevelStringField) {
  EXPECT_EQ(FindPageViewId(R"({"delta":1,"pageViewId":"pv-1"})"), "pv-1");
  EXPECT_EQ(FindPageViewId(R"({"pageViewId":"a\"b","x":1})"), R"(a\"b)");
  EXPECT_EQ(FindPageViewId(R"({"attribution":{"pageViewId":"nested"}})"), "");
  EXPECT_EQ(FindPageViewId(R"({"x":"\"pageViewId\":\"fake","y":[{"pageViewId":"n"}]})"), "");
  EXPECT_EQ(FindPageViewId(R"({"pageViewId":7})"), "");
  EXPECT_EQ(FindPageViewId(""), "");
  EXPECT_EQ(FindPageViewId(R"({"pageViewId":"unterminated)"), "");
  EXPECT_EQ(FindPageViewId(R"({"a":[1,2],"pageViewId":"z"})"), "z");
}

// ComputeScore over the real event store in a temp dir.
class ScoreStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("pw-score-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
    auto s = events::EventStore::Open(dir_, EventsConfig{}, nullptr);
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(s).value();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Add(std::string_view app, std::string_view page, std::string_view device, Vital v, double value,
           std::string_view attrs, std::string_view id) {
    events::EventInput e;
    e.type = events::EventType::kVital;
    e.vital = v;
    e.time_ms = kT;
    e.received_ms = kT;
    e.value = value;
    e.dims[events::kApp] = app;
    e.dims[events::kPage] = page;
    e.dims[events::kDevice] = device;
    e.session_id = "s1";
    e.id = id;
    e.attrs_json = attrs;
    ASSERT_TRUE(store_->Append(std::span(&e, 1)).ok());
  }
  static constexpr int64_t kT = 1'700'000'000'000;
  std::filesystem::path dir_;
  std::unique_ptr<events::EventStore> store_;
};

TEST_F(ScoreStoreTest, GroupsStoredVitalsByPageViewIdPerApp) {
  Add("shop", "/p/:id", "desktop", Vital::kLCP, 1200, R"({"pageViewId":"pv1"})", "l1");
  Add("shop", "/p/:id", "desktop", Vital::kCLS, 0.25, R"({"delta":0.25,"pageViewId":"pv1"})", "c1");
  Add("shop", "/p/:id", "desktop", Vital::kCLS, 0.1, R"({"pageViewId":"pv1"})", "c1");  // replaces c1
  Add("shop", "/", "mobile", Vital::kTTFB, 800, "", "t1");                           // a view of its own
  Add("blog", "/", "desktop", Vital::kLCP, 2400, R"({"pageViewId":"pv1"})", "l2");   // other app
  auto r = ComputeScore(*store_, std::string("shop"), kT - 1000, kT + 1000);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->views, 2);
  // pv1: LCP 1200 (0.9), CLS 0.1 (0.9) → 0.9; "/": TTFB 800 mobile → 0.9.
  EXPECT_NEAR(*r->score, 90, 1e-9);
  auto all = ComputeScore(*store_, std::nullopt, kT - 1000, kT + 1000);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->views, 3);  // blog's pv1 is not shop's pv1
  EXPECT_NEAR(*all->score, (90 + 90 + 50) / 3.0, 1e-9);
  auto none = ComputeScore(*store_, std::string("shop"), kT + 5000, kT + 9000);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->views, 0);
  EXPECT_EQ(RenderScoreJson(*none, true), R"({"status":"success","data":{"score":null,"views":0,"pages":[]}})");
}

TEST(ScoreRenderTest, MatchesTheContractShape) {
  ScoreReport r;
  r.score = 87.3456;
  r.views = 3;
  r.pages.push_back({"/p/:id", 80.004, 2, 6.665});
  EXPECT_EQ(RenderScoreJson(r, true),
            R"({"status":"success","data":{"score":87.35,"views":3,"pages":[{"page":"/p/:id","score":80,"views":2,"opportunity":6.67}]}})");
  EXPECT_EQ(RenderScoreJson(r, false), R"({"status":"success","data":{"score":87.35,"views":3,"pages":[]}})");
}

http::Request MakeRequest(const std::string& query) {
  static std::string storage;
  storage = query;
  http::Request r;
  r.method = "GET";
  r.path = "/api/v1/score";
  r.query = storage;
  return r;
}

TEST(ScoreRequestTest, ParsesAndRejects) {
  constexpr int64_t kNow = 1'700'086'400'000;
  auto r = ParseScoreRequest(MakeRequest("app=shop&window=1h&by=page"), kNow);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->app, "shop");
  EXPECT_EQ(r->from_ms, kNow - 3'600'000);
  EXPECT_EQ(r->to_ms, kNow);
  EXPECT_TRUE(r->by_page);
  auto d = ParseScoreRequest(MakeRequest(""), kNow);
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->app.has_value());
  EXPECT_EQ(d->from_ms, kNow - 86'400'000);
  EXPECT_FALSE(d->by_page);
  for (const char* q : {"by=device", "window=soon", "window=-1h", "from=x", "from=1700000100&to=1700000000"}) {
    auto bad = ParseScoreRequest(MakeRequest(q), kNow);
    EXPECT_FALSE(bad.ok()) << q;
  }
}

}  // namespace
}  // namespace perfwatch::analysis
