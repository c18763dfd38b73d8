// Continuous watches (analysis/watch.h): the regression rule on crafted hourly series, then
// a whole pass over a real event store, TSDB and deploy store: a page whose LCP p75 rises
// 30 % at hour 100 of 200 gives one active regression with the right before, after, time
// and deploy; a page with few views and an improving page give none; after a recovery the
// regression is inactive and perfwatch_regression_active drops to 0. Also the
// GET /api/v1/regressions answer and the `analysis:` config keys.
#include "analysis/watch.h"

#include <gtest/gtest.h>

#include <random>

#include "analysis/regressions_api.h"
#include "common/config.h"
#include "events/deploy_store.h"
#include "events/event_store.h"
#include "events/test_events.h"
#include "http/router.h"
#include "support/route_call.h"
#include "tsdb/matcher.h"
#include "query/promql_engine.h"
#include "tsdb/tsdb.h"
#include "tsdb/tsdb_test_util.h"

namespace perfwatch::analysis {
namespace {

using events::testing::kHour;
using events::testing::kT0;

// 200 hourly points around `base` (±2 % noise, fixed seed) whose level is multiplied by
// factor(i) at point i.
WatchedSeries Hourly(double base, const std::function<double(int)>& factor, int n = 200) {
  WatchedSeries s;
  s.labels = tsdb::Labels::FromPairs({{"app", "shop"}, {"page", "/p"}, {"metric", "LCP"}});
  s.metric = "LCP";
  s.point_span_ms = kHour;
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0, 0.02);
  for (int i = 0; i < n; ++i) {
    s.times_ms.push_back(kT0 + i * kHour);
    s.values.push_back(base * factor(i) * (1 + noise(rng)));
  }
  return s;
}

TEST(FindRegressions, ARiseThatHoldsIsOneActiveRegression) {
  WatchedSeries s = Hourly(2000, [](int i) { return i >= 100 ? 1.3 : 1.0; });
  std::vector<Regression> r = FindRegressions(s);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].time_ms, kT0 + 100 * kHour);
  EXPECT_EQ(r[0].deploy_lookup_ms, kT0 + 101 * kHour);
  EXPECT_NEAR(r[0].before, 2000, 20);
  EXPECT_NEAR(r[0].after, 2600, 26);
  EXPECT_NEAR(r[0].change, 0.3, 0.02);
  EXPECT_LT(r[0].p_value, 1e-6);
  EXPECT_TRUE(r[0].active);
  EXPECT_EQ(r[0].id.size(), 16u);
  EXPECT_EQ(r[0].metric, "LCP");
}

TEST(FindRegressions, AnImprovementIsNoRegression) {
  EXPECT_TRUE(FindRegressions(Hourly(2000, [](int i) { return i >= 100 ? 0.7 : 1.0; })).empty());
  EXPECT_TRUE(FindRegressions(Hourly(2000, [](int) { return 1.0; })).empty());
}

TEST(FindRegressions, DirectionDownAndBoth) {
  WatchedSeries s = Hourly(100, [](int i) { return i >= 100 ? 0.7 : 1.0; });
  s.direction = WatchDirection::kDown;
  ASSERT_EQ(FindRegressions(s).size(), 1u);
  EXPECT_TRUE(FindRegressions(s)[0].active);
  s.direction = WatchDirection::kBoth;
  EXPECT_EQ(FindRegressions(s).size(), 1u);
  s.direction = WatchDirection::kUp;
  EXPECT_TRUE(FindRegressions(s).empty());
}

TEST(FindRegressions, ARecoveredRegressionIsInactive) {
  std::vector<Regression> r = FindRegressions(Hourly(2000, [](int i) { return i >= 100 && i < 150 ? 1.3 : 1.0; }));
  ASSERT_EQ(r.size(), 1u);  // the way back down is an improvement
  EXPECT_EQ(r[0].time_ms, kT0 + 100 * kHour);
  EXPECT_FALSE(r[0].active);
  // Partly back (still 15 % worse than before): still active.
  r = FindRegressions(Hourly(2000, [](int i) { return i >= 150 ? 1.15 : i >= 100 ? 1.3 : 1.0; }));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].active);
}

TEST(FindRegressions, TooFewPointsAreNotAnalysed) {
  EXPECT_TRUE(FindRegressions(Hourly(2000, [](int i) { return i >= 10 ? 1.5 : 1.0; }, 19)).empty());
}

class WatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tsdb::TsdbOptions o;
    o.dir = dir_.path() / "tsdb";
    o.maintenance_interval = std::chrono::milliseconds(0);
    auto db = tsdb::Tsdb::Open(o, nullptr);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    EventsConfig ec = events::testing::TestConfig();
    ec.partition_ms = EventsConfig{}.partition_ms;
    auto store = events::EventStore::Open(dir_.path() / "events", ec, nullptr);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    auto deploys = events::DeployStore::Open(dir_.path() / "deploys");
    ASSERT_TRUE(deploys.ok()) << deploys.status().ToString();
    deploys_ = std::move(deploys).value();
  }

  // `views` LCP events per hour for hours [from, to) of `page`, values uniform in
  // [level, 1.5 level) with a fixed seed: p75 about 1.375 level.
  void AddHours(const std::string& page, int from, int to, int views, const std::function<double(int)>& level) {
    std::mt19937 rng(from * 131 + static_cast<int>(page.size()));
    std::uniform_real_distribution<double> u(0, 0.5);
    std::vector<events::testing::OwnedEvent> evs;
    for (int h = from; h < to; ++h) {
      for (int v = 0; v < views; ++v) {
        evs.push_back(events::testing::Vitals(events::Vital::kLCP, kT0 + h * kHour + v * 60'000,
                                              level(h) * (1 + u(rng)), page));
      }
    }
    ASSERT_TRUE(store_->Append(events::testing::Views(evs)).ok());
  }

  std::unique_ptr<Watcher> MakeWatcher() {
    WatcherOptions o;
    o.interval_ms = 0;
    auto w = Watcher::Create(o, store_.get(), nullptr, db_.get(), deploys_.get(), nullptr);
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    return std::move(w).value();
  }

  // perfwatch_regression_active samples: rendered labels -> samples.
  std::map<std::string, std::vector<tsdb::Sample>> ActiveSeries() {
    auto m = tsdb::Matcher::Make(tsdb::MatchType::kEqual, "__name__", "perfwatch_regression_active");
    EXPECT_TRUE(m.ok());
    std::map<std::string, std::vector<tsdb::Sample>> out;
    auto q = db_->NewQuerier(0, INT64_MAX);
    auto set = q->Select(std::span(&*m, 1));
    while (set->Next()) {
      auto it = set->At().Iterator();
      auto& samples = out[set->At().labels().ToString()];
      while (it.Next()) samples.push_back({it.t(), it.v()});
    }
    return out;
  }

  perfwatch::testing::TempDir dir_;
  std::unique_ptr<tsdb::Tsdb> db_;
  std::unique_ptr<events::EventStore> store_;
  std::unique_ptr<events::DeployStore> deploys_;
};

TEST_F(WatcherTest, APageWhoseLcpRisesIsOneRegressionWithItsDeploy) {
  auto rise = [](int h) { return h >= 100 ? 2600.0 : 2000.0; };
  AddHours("/slow", 0, 200, 30, rise);
  AddHours("/quiet", 0, 200, 5, rise);  // under watch_min_views (20): ignored
  AddHours("/faster", 0, 200, 30, [](int h) { return h >= 100 ? 1400.0 : 2000.0; });
  events::Deploy early{.app = "shop", .version = "1.0", .time_ms = kT0 + 50 * kHour};
  events::Deploy d{.app = "shop", .version = "1.1", .commit = "abc", .time_ms = kT0 + 100 * kHour + 30 * 60'000};
  events::Deploy later{.app = "shop", .version = "1.2", .time_ms = kT0 + 101 * kHour + 1};
  events::Deploy other{.app = "blog", .version = "9", .time_ms = kT0 + 100 * kHour + 40 * 60'000};
  for (const auto& x : {early, d, later, other}) ASSERT_TRUE(deploys_->Add(x).ok());

  auto w = MakeWatcher();
  auto series = w->CollectSeries(kT0 + 200 * kHour);
  ASSERT_TRUE(series.ok()) << series.status().ToString();
  ASSERT_EQ(series->size(), 2u);  // /slow and /faster LCP; /quiet has no hour with 20 views
  auto n = w->RunAt(kT0 + 200 * kHour);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 2u);
  std::vector<Regression> r = w->Regressions();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].labels.Get("app"), "shop");
  EXPECT_EQ(r[0].labels.Get("page"), "/slow");
  EXPECT_EQ(r[0].metric, "LCP");
  EXPECT_EQ(r[0].time_ms, kT0 + 100 * kHour);
  EXPECT_NEAR(r[0].before, 2750, 60);  // p75 of U[2000, 3000)
  EXPECT_NEAR(r[0].after, 3575, 80);
  EXPECT_NEAR(r[0].change, 0.3, 0.03);
  EXPECT_TRUE(r[0].active);
  ASSERT_TRUE(r[0].deploy.has_value());
  EXPECT_EQ(r[0].deploy->version, "1.1");
  EXPECT_EQ(r[0].deploy->commit, "abc");

  auto active = ActiveSeries();
  const std::string key = R"(perfwatch_regression_active{app="shop", metric="LCP", page="/slow"})";
  ASSERT_EQ(active.size(), 1u);
  ASSERT_EQ(active.count(key), 1u);
  ASSERT_EQ(active[key].size(), 1u);
  EXPECT_EQ(active[key][0].t, kT0 + 200 * kHour);
  EXPECT_EQ(active[key][0].v, 1);

  // The API answer: the shape of the contract, filters, a bad parameter.
  http::Router router;
  RegisterRegressionsHandler(router, w.get());
  auto call = [&](const std::string& query) { return perfwatch::testing::CallRoute(router, "GET", "/api/v1/regressions", query); };
  http::Response res = call("app=shop&active=true");
  EXPECT_EQ(res.status, 200);
  const std::string& b = res.body;
  EXPECT_EQ(b.rfind(R"({"status":"success","data":[{"id":")", 0), 0u) << b;
  EXPECT_NE(b.find(R"("app":"shop","page":"/slow","metric":"LCP","before":)"), std::string::npos) << b;
  EXPECT_NE(b.find(R"("time":"2023-11-19T04:00:00.000Z","deploy":{"id":")"), std::string::npos) << b;
  EXPECT_NE(b.find(R"("app":"shop","version":"1.1","commit":"abc","environment":"","time":"2023-11-19T04:30:00.000Z"},"active":true)"),
            std::string::npos)
      << b;
  EXPECT_EQ(call("app=blog").body, R"({"status":"success","data":[]})");
  EXPECT_EQ(call("active=false").body, R"({"status":"success","data":[]})");
  EXPECT_EQ(call("service=api").body, R"({"status":"success","data":[]})");
  res = call("active=maybe");
  EXPECT_EQ(res.status, 400);
  EXPECT_NE(res.body.find("bad_data"), std::string::npos);

  // Back to the old level for 60 hours: recovered, 0, still listed.
  AddHours("/slow", 200, 260, 30, [](int) { return 2000.0; });
  ASSERT_TRUE(w->RunAt(kT0 + 260 * kHour).ok());
  r = w->Regressions();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].time_ms, kT0 + 100 * kHour);
  EXPECT_FALSE(r[0].active);
  active = ActiveSeries();
  ASSERT_EQ(active[key].size(), 2u);
  EXPECT_EQ(active[key][1].t, kT0 + 260 * kHour);
  EXPECT_EQ(active[key][1].v, 0);
  EXPECT_EQ(call("active=false").body.find(R"("active":false)") != std::string::npos, true);
}

// The route source: RED series as the span metrics write them (cumulative counters and a
// classic histogram, a sample every 10 minutes for 200 hours). From hour 100 the route's
// calls land in a slower bucket and one in ten fails (one in a hundred before): both its
// p95 and its error ratio regress, with the service's deploy; a quiet route is skipped.
TEST_F(WatcherTest, RoutesRegressInP95AndErrorRatio) {
  constexpr int64_t kStep = 600'000;
  std::vector<tsdb::testing::OwnedSeries> batch;
  auto series = [&](std::vector<std::pair<std::string_view, std::string_view>> labels,
                    const std::function<double(int64_t)>& value) {
    std::vector<tsdb::LabelView> views;
    for (auto& [n, v] : labels) views.push_back({n, v});
    std::vector<tsdb::Sample> samples;
    for (int64_t t = kT0; t <= kT0 + 200 * kHour; t += kStep) samples.push_back({t, value(t - kT0)});
    batch.emplace_back(tsdb::Labels::FromViews(views), std::move(samples));
  };
  const double per_step = 100.0 / 6;  // 100 calls an hour
  auto calls = [&](int64_t dt) { return per_step * static_cast<double>(dt / kStep); };
  auto calls_after = [&](int64_t dt) {  // calls since hour 100
    return dt <= 100 * kHour ? 0.0 : per_step * static_cast<double>((dt - 100 * kHour) / kStep);
  };
  for (const char* route : {"/checkout", "/quiet"}) {
    const double scale = std::string_view(route) == "/quiet" ? 0.01 : 1;  // 1 call an hour: under min_views
    auto ok = [&, scale](int64_t dt) { return scale * (0.99 * calls(dt) - 0.09 * calls_after(dt)); };
    auto err = [&, scale](int64_t dt) { return scale * (0.01 * calls(dt) + 0.09 * calls_after(dt)); };
    series({{"__name__", "perfwatch_span_calls_total"}, {"http_route", route}, {"service", "api"},
            {"status_code", "STATUS_CODE_UNSET"}}, ok);
    series({{"__name__", "perfwatch_span_calls_total"}, {"http_route", route}, {"service", "api"},
            {"status_code", "STATUS_CODE_ERROR"}}, err);
    // Before hour 100 every call takes <= 0.1 s, after it 0.1-0.2 s.
    auto fast = [&, scale](int64_t dt) { return scale * calls(std::min(dt, 100 * kHour)); };
    auto all = [&, scale](int64_t dt) { return scale * calls(dt); };
    for (auto [le, fn] : {std::pair<std::string_view, std::function<double(int64_t)>>{"0.1", fast},
                          {"0.2", all}, {"0.4", all}, {"+Inf", all}}) {
      series({{"__name__", "perfwatch_span_duration_seconds_bucket"}, {"http_route", route}, {"le", le},
              {"service", "api"}}, fn);
    }
  }
  auto views = tsdb::testing::Views(batch);
  ASSERT_TRUE(db_->AppendBatch(views).ok());
  ASSERT_TRUE(deploys_->Add({.service = "api", .version = "7.0", .time_ms = kT0 + 99 * kHour + 1}).ok());

  query::promql::TsdbQueryable queryable(db_.get());
  query::promql::Engine engine(&queryable);
  WatcherOptions o;
  o.interval_ms = 0;
  auto w = Watcher::Create(o, nullptr, &engine, db_.get(), deploys_.get(), nullptr);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  const int64_t now = kT0 + 200 * kHour;
  auto collected = (*w)->CollectSeries(now);
  ASSERT_TRUE(collected.ok()) << collected.status().ToString();
  ASSERT_EQ(collected->size(), 2u);  // /checkout's error ratio and p95; /quiet has no busy hour
  ASSERT_TRUE((*w)->RunAt(now).ok());
  std::map<std::string, Regression> by_metric;
  for (const Regression& r : (*w)->Regressions()) by_metric[r.metric] = r;
  ASSERT_EQ(by_metric.size(), 2u);
  const Regression& ratio = by_metric["error_ratio"];
  EXPECT_EQ(ratio.labels.Get("service"), "api");
  EXPECT_EQ(ratio.labels.Get("route"), "/checkout");
  EXPECT_NEAR(ratio.before, 0.01, 0.002);
  EXPECT_NEAR(ratio.after, 0.10, 0.01);
  EXPECT_TRUE(ratio.active);
  EXPECT_NEAR(static_cast<double>(ratio.time_ms - kT0) / kHour, 100, 1.01);
  ASSERT_TRUE(ratio.deploy.has_value());
  EXPECT_EQ(ratio.deploy->version, "7.0");
  const Regression& p95 = by_metric["p95"];
  EXPECT_NEAR(p95.before, 0.095, 0.002);
  EXPECT_NEAR(p95.after, 0.195, 0.003);
  EXPECT_TRUE(p95.active);
  ASSERT_TRUE(p95.deploy.has_value());
  EXPECT_EQ(p95.deploy->version, "7.0");
  auto active = ActiveSeries();
  EXPECT_EQ(active.count(R"(perfwatch_regression_active{metric="p95", route="/checkout", service="api"})"), 1u);
}

TEST_F(WatcherTest, BadWatchExpressionsAreRefused) {
  WatcherOptions o;
  o.watch.push_back({.name = "x", .expr = "rate(foo[5m]", .step_ms = kHour});
  auto w = Watcher::Create(o, nullptr, nullptr, nullptr, nullptr, nullptr);
  EXPECT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("analysis.watch \"x\""), std::string::npos) << w.status().message();
  o.watch[0].expr = "foo";
  o.watch[0].direction = "sideways";
  EXPECT_FALSE(Watcher::Create(o, nullptr, nullptr, nullptr, nullptr, nullptr).ok());
}

TEST(AnalysisConfig, KeysDefaultsAndErrors) {
  auto c = ParseConfig(R"(analysis:
  changepoint: {min_segment: 6, window: 30, max_p_value: 0.01, min_magnitude: 0.1}
  watch_interval: 1m
  watch_lookback: 7d
  watch_min_views: 50
  watch_max_series: 10
  watch:
    - name: checkout_latency
      expr: 'histogram_quantile(0.95, sum by (le) (rate(http_duration_seconds_bucket[1h])))'
      step: 30m
      direction: both
      min_magnitude: 0.2
)");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const AnalysisConfig& a = c->analysis;
  EXPECT_EQ(a.changepoint_min_segment, 6);
  EXPECT_EQ(a.changepoint_window, 30);
  EXPECT_EQ(a.changepoint_max_p_value, 0.01);
  EXPECT_EQ(a.watch_interval_ms, 60'000);
  EXPECT_EQ(a.watch_lookback_ms, 7 * 24 * kHour);
  EXPECT_EQ(a.watch_min_views, 50);
  ASSERT_EQ(a.watch.size(), 1u);
  EXPECT_EQ(a.watch[0].step_ms, 30 * 60'000);
  EXPECT_EQ(a.watch[0].direction, "both");
  EXPECT_EQ(a.watch[0].min_magnitude, 0.2);
  WatcherOptions o = WatcherOptionsFromConfig(a);
  EXPECT_EQ(o.changepoint.min_magnitude, 0.1);
  EXPECT_EQ(o.max_series, 10u);

  auto d = ParseConfig("listen: 127.0.0.1:0\n");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->analysis.watch_interval_ms, 5 * 60'000);
  EXPECT_EQ(d->analysis.watch_lookback_ms, 14 * 24 * kHour);
  EXPECT_EQ(d->analysis.watch_min_views, 20);
  EXPECT_EQ(d->analysis.changepoint_min_segment, 10);

  for (const char* bad : {"analysis: {typo: 1}\n", "analysis: {changepoint: {windw: 5}}\n",
                          "analysis: {watch: [{name: a, expr: up, direction: sideways}]}\n",
                          "analysis: {watch: [{name: a}]}\n",
                          "analysis: {watch: [{name: a, expr: up}, {name: a, expr: up}]}\n",
                          "analysis: {watch: [{name: a, expr: up, colour: red}]}\n",
                          "analysis: {changepoint: {min_segment: 30, window: 40}}\n"}) {
    auto r = ParseConfig(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("analysis"), std::string::npos) << r.status().message();
  }
}

}  // namespace
}  // namespace perfwatch::analysis
