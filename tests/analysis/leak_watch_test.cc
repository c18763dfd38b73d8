// The periodic memory-leak evaluation (analysis/leak_watch.h) over a real event store, TSDB
// and PromQL engine: RUM memory samples of several sessions (one leaking, the others on a
// healthy GC sawtooth, one too short) give one finding per app × page with the share of
// long sessions that leak and the page the growth started on; a leaking RSS series from the
// TSDB is found and a flat one is not; perfwatch_memory_leak_active is 1 / 0, then stale
// when the data leaves the lookback. Also GET /api/v1/leaks and the analysis.leak keys.
#include "analysis/leak_watch.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "analysis/leaks_api.h"
#include "common/config.h"
#include "events/event_store.h"
#include "events/test_events.h"
#include "http/router.h"
#include "support/route_call.h"
#include "query/promql_engine.h"
#include "tsdb/matcher.h"
#include "tsdb/stale.h"
#include "tsdb/tsdb.h"
#include "tsdb/tsdb_test_util.h"

namespace perfwatch::analysis {
namespace {

using events::testing::kT0;

constexpr int64_t kSecond = 1000;
constexpr double kLevel = 40e6;

// A heap on a GC sawtooth (period 7 s, 20 % deep, 0.3 % noise) at `t` seconds, growing
// by `rate` of the level per minute from `leak_from` seconds on.
double Heap(int t, double rate, int leak_from, std::mt19937& rng) {
  std::normal_distribution<double> noise(0, 0.003);
  double base = kLevel;
  if (t >= leak_from) base += kLevel * rate * (t - leak_from) / 60.0;
  return base * (1 + 0.2 * static_cast<double>(t % 7) / 7 + noise(rng));
}

class LeakWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tsdb::TsdbOptions o;
    o.dir = dir_.path() / "tsdb";
    o.maintenance_interval = std::chrono::milliseconds(0);
    auto db = tsdb::Tsdb::Open(o, nullptr);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    auto store = events::EventStore::Open(dir_.path() / "events", events::testing::TestConfig(), nullptr);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    queryable_ = std::make_unique<query::promql::TsdbQueryable>(db_.get());
    engine_ = std::make_unique<query::promql::Engine>(queryable_.get());
  }

  // One memory sample a second for `seconds` seconds of `session` from kT0, on `page`
  // (or `first_page` before `switch_at` seconds).
  void AddSession(const std::string& session, const std::string& page, int seconds, double rate, int leak_from,
                  const std::string& first_page = "", int switch_at = 0) {
    std::mt19937 rng(static_cast<unsigned>(session.size() * 977 + seconds));
    std::vector<events::testing::OwnedEvent> evs;
    for (int t = 0; t < seconds; ++t) {
      events::testing::OwnedEvent e;
      e.type = events::EventType::kMemory;
      e.vital = events::Vital::kNone;
      e.name = "usedJSHeapSize";
      e.time_ms = kT0 + t * kSecond;
      e.received_ms = e.time_ms + 5;
      e.value = Heap(t, rate, leak_from, rng);
      e.dims = {"shop", t < switch_at ? first_page : page, "desktop", "4g", "Chrome"};
      e.session_id = session;
      e.id = "pv1-" + std::to_string(t);
      e.attrs_json = R"({"pageViewId":"pv1","total":90000000})";
      evs.push_back(std::move(e));
    }
    ASSERT_TRUE(store_->Append(events::testing::Views(evs)).ok());
  }

  // process_resident_memory_bytes{job="api", instance} every 15 s for 30 minutes from kT0,
  // growing by `rate` per minute from minute 15.
  void AddRss(const std::string& instance, double rate) {
    std::mt19937 rng(instance.size());
    std::normal_distribution<double> noise(0, 0.002);
    std::vector<tsdb::Sample> samples;
    for (int i = 0; i < 120; ++i) {
      const double minutes = i * 0.25;
      const double grown = minutes >= 15 ? rate * (minutes - 15) : 0;
      samples.push_back({kT0 + i * 15 * kSecond, 200e6 * (1 + grown + noise(rng))});
    }
    tsdb::testing::OwnedSeries s(
        tsdb::Labels::FromPairs({{"__name__", "process_resident_memory_bytes"}, {"instance", instance}, {"job", "api"}}),
        samples);
    std::vector<tsdb::SeriesSamples> batch = {s.View()};
    ASSERT_TRUE(db_->AppendBatch(batch).ok());
  }

  std::unique_ptr<LeakWatcher> MakeWatcher() {
    LeakWatchOptions o = LeakWatchOptionsFromConfig(LeakWatchConfig{});
    o.interval_ms = 0;
    auto w = LeakWatcher::Create(o, store_.get(), engine_.get(), db_.get(), nullptr);
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    return std::move(w).value();
  }

  // perfwatch_memory_leak_active samples: rendered labels -> samples.
  std::map<std::string, std::vector<tsdb::Sample>> ActiveSeries() {
    auto m = tsdb::Matcher::Make(tsdb::MatchType::kEqual, "__name__", "perfwatch_memory_leak_active");
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

  const LeakFinding* Find(const std::vector<LeakFinding>& all, std::string_view key, std::string_view value) {
    for (const LeakFinding& f : all) {
      if (f.labels.Get(key) == value) return &f;
    }
    return nullptr;
  }

  perfwatch::testing::TempDir dir_;
  std::unique_ptr<tsdb::Tsdb> db_;
  std::unique_ptr<events::EventStore> store_;
  std::unique_ptr<query::promql::TsdbQueryable> queryable_;
  std::unique_ptr<query::promql::Engine> engine_;
};

TEST_F(LeakWatcherTest, RumSessionsAreAnalysedPerPageView) {
  // On /cart: one session leaks 20 %/min from 200 s (it came from /home at 150 s), two are
  // healthy. On /home: one healthy session. One session too short to count.
  AddSession("s-leak", "/cart", 360, 0.20, 200, "/home", 150);
  AddSession("s-ok-1", "/cart", 360, 0, 0);
  AddSession("s-ok-2", "/cart", 300, 0, 0);
  AddSession("s-home", "/home", 360, 0, 0);
  AddSession("s-short", "/cart", 8, 0.5, 0);
  AddRss("a:9100", 0.10);
  AddRss("b:9100", 0);

  auto w = MakeWatcher();
  // Half an hour in: the RSS series is whole and the sessions still in the lookback.
  const int64_t now = kT0 + 1800 * kSecond;
  auto n = w->RunAt(now);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 6u);  // 4 long sessions + 2 RSS series
  std::vector<LeakFinding> all = w->Findings();
  ASSERT_EQ(all.size(), 4u);

  // Leaking findings first.
  EXPECT_TRUE(all[0].result.leaking);
  EXPECT_TRUE(all[1].result.leaking);
  EXPECT_FALSE(all[2].result.leaking);
  EXPECT_FALSE(all[3].result.leaking);

  const LeakFinding* cart = Find(all, "page", "/cart");
  ASSERT_NE(cart, nullptr);
  EXPECT_EQ(cart->source, "rum");
  EXPECT_EQ(cart->app, "shop");
  EXPECT_EQ(cart->metric, "usedJSHeapSize");
  EXPECT_EQ(cart->sessions, 3u);
  EXPECT_EQ(cart->sessions_leaking, 1u);
  EXPECT_TRUE(cart->result.leaking);
  EXPECT_NEAR(cart->result.growth_ratio_per_min, 0.20, 0.06);
  ASSERT_TRUE(cart->result.since_ms.has_value());
  EXPECT_NEAR(static_cast<double>(*cart->result.since_ms - kT0) / kSecond, 200, 30);
  EXPECT_GE(cart->result.severity, LeakSeverity::kHigh);
  ASSERT_EQ(cart->sessions_detail.size(), 3u);
  EXPECT_EQ(cart->sessions_detail[0].session, "s-leak/pv1");
  EXPECT_TRUE(cart->sessions_detail[0].result.leaking);
  EXPECT_EQ(cart->sessions_detail[0].samples, 360u);
  EXPECT_FALSE(cart->sessions_detail[1].result.leaking);
  EXPECT_EQ(cart->points.size(), 180u);  // every second point: at most 240
  EXPECT_EQ(cart->points.back().first, kT0 + 359 * kSecond);
  EXPECT_GT(cart->last_bytes, kLevel * 1.4);

  const LeakFinding* home = Find(all, "page", "/home");
  ASSERT_NE(home, nullptr);  // the leaking session started on /home but grew on /cart
  EXPECT_EQ(home->sessions, 1u);
  EXPECT_EQ(home->sessions_leaking, 0u);
  EXPECT_FALSE(home->result.leaking);
  EXPECT_EQ(home->result.severity, LeakSeverity::kNone);

  const LeakFinding* a = Find(all, "instance", "a:9100");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->source, "tsdb");
  EXPECT_EQ(a->metric, "process_resident_memory_bytes");
  EXPECT_TRUE(a->result.leaking);
  EXPECT_NEAR(a->result.growth_bytes_per_min, 0.10 * 200e6, 0.02 * 200e6);
  EXPECT_GT(a->result.growth_ratio_per_min, 0.04);
  EXPECT_EQ(a->samples, 120u);
  const LeakFinding* b = Find(all, "instance", "b:9100");
  ASSERT_NE(b, nullptr);
  EXPECT_FALSE(b->result.leaking);

  auto active = ActiveSeries();
  const std::string cart_key =
      R"(perfwatch_memory_leak_active{app="shop", metric="usedJSHeapSize", page="/cart"})";
  const std::string home_key =
      R"(perfwatch_memory_leak_active{app="shop", metric="usedJSHeapSize", page="/home"})";
  const std::string a_key =
      R"(perfwatch_memory_leak_active{instance="a:9100", job="api", metric="process_resident_memory_bytes"})";
  ASSERT_EQ(active.size(), 4u);
  ASSERT_EQ(active[cart_key].size(), 1u);
  EXPECT_EQ(active[cart_key][0].t, now);
  EXPECT_EQ(active[cart_key][0].v, 1);
  EXPECT_EQ(active[home_key][0].v, 0);
  EXPECT_EQ(active[a_key][0].v, 1);

  // The API answer: shape, filters, a bad parameter.
  http::Router router;
  RegisterLeaksHandler(router, w.get());
  auto call = [&](const std::string& query) { return perfwatch::testing::CallRoute(router, "GET", "/api/v1/leaks", query); };
  http::Response res = call("app=shop&leaking=true");
  EXPECT_EQ(res.status, 200);
  const std::string& body = res.body;
  EXPECT_EQ(body.rfind(R"({"status":"success","data":[{"source":"rum","metric":"usedJSHeapSize","leaking":true,)", 0), 0u)
      << body.substr(0, 300);
  EXPECT_NE(body.find(R"("app":"shop","page":"/cart","sessions":3,"sessions_leaking":1,"sessions_leaking_ratio":0.3333)"),
            std::string::npos)
      << body.substr(0, 600);
  EXPECT_NE(body.find(R"("sessions_detail":[{"session":"s-leak/pv1","leaking":true,)"), std::string::npos);
  EXPECT_NE(body.find(R"("evaluated_at":"2023-11-15T00:30:00.000Z")"), std::string::npos);
  EXPECT_NE(body.find(R"("points":[[1700006401,)"), std::string::npos) << body.substr(0, 2000);
  EXPECT_EQ(body.find("a:9100"), std::string::npos);  // source tsdb has no app
  res = call("source=tsdb&leaking=true");
  EXPECT_NE(res.body.find(R"("job":"api","instance":"a:9100","labels":{"instance":"a:9100","job":"api","metric":"process_resident_memory_bytes"})"),
            std::string::npos)
      << res.body.substr(0, 800);
  EXPECT_EQ(res.body.find("b:9100"), std::string::npos);
  EXPECT_EQ(call("app=blog").body, R"({"status":"success","data":[]})");
  for (const char* bad : {"leaking=maybe", "source=logs"}) {
    res = call(bad);
    EXPECT_EQ(res.status, 400) << bad;
    EXPECT_NE(res.body.find("bad_data"), std::string::npos) << bad;
  }

  // An hour later nothing is in the lookback: no findings, stale markers.
  ASSERT_TRUE(w->RunAt(kT0 + 5400 * kSecond).ok());
  EXPECT_TRUE(w->Findings().empty());
  active = ActiveSeries();
  ASSERT_EQ(active[cart_key].size(), 2u);
  EXPECT_EQ(active[cart_key][1].t, kT0 + 5400 * kSecond);
  EXPECT_TRUE(tsdb::IsStaleNaN(active[cart_key][1].v));
}

TEST_F(LeakWatcherTest, NoDataNoFindingsAndBadExpressionsAreRefused) {
  auto w = MakeWatcher();
  auto n = w->RunAt(kT0);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 0u);
  EXPECT_TRUE(w->Findings().empty());
  EXPECT_TRUE(ActiveSeries().empty());

  LeakWatchConfig c;
  c.expressions = {"sum(rate(x[5m]"};
  auto bad = LeakWatcher::Create(LeakWatchOptionsFromConfig(c), nullptr, nullptr, nullptr, nullptr);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("analysis.leak.expressions"), std::string::npos) << bad.status().message();
  // A user expression names its findings by the series' __name__.
  c.expressions = {"process_resident_memory_bytes"};
  AddRss("a:9100", 0.10);
  auto mine = LeakWatcher::Create(LeakWatchOptionsFromConfig(c), nullptr, engine_.get(), nullptr, nullptr);
  ASSERT_TRUE(mine.ok());
  ASSERT_TRUE((*mine)->RunAt(kT0 + 1800 * kSecond).ok());
  ASSERT_EQ((*mine)->Findings().size(), 1u);
  EXPECT_EQ((*mine)->Findings()[0].metric, "process_resident_memory_bytes");
}

TEST(LeakConfig, KeysDefaultsAndErrors) {
  auto c = ParseConfig(R"(analysis:
  leak:
    interval: 5s
    lookback: 10m
    step: 5s
    min_samples: 20
    threshold: 0.1
    max_p_value: 0.05
    warmup: 30s
    expressions: ['process_resident_memory_bytes{job="api"}']
)");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const LeakWatchConfig& l = c->analysis.leak;
  EXPECT_EQ(l.interval_ms, 5000);
  EXPECT_EQ(l.lookback_ms, 600'000);
  EXPECT_EQ(l.step_ms, 5000);
  EXPECT_EQ(l.min_samples, 20);
  EXPECT_EQ(l.threshold, 0.1);
  EXPECT_EQ(l.max_p_value, 0.05);
  EXPECT_EQ(l.warmup_ms, 30'000);
  ASSERT_EQ(l.expressions.size(), 1u);
  EXPECT_TRUE(ValidateConfig(*c).ok());
  const LeakWatchOptions o = LeakWatchOptionsFromConfig(l);
  EXPECT_EQ(o.detector.threshold_ratio_per_min, 0.1);
  EXPECT_EQ(o.detector.warmup_ms, 30'000);
  EXPECT_EQ(o.min_samples, 20u);

  const LeakWatchOptions d = LeakWatchOptionsFromConfig(LeakWatchConfig{});
  EXPECT_EQ(d.interval_ms, 15'000);
  EXPECT_EQ(d.lookback_ms, 1'800'000);
  EXPECT_EQ(d.min_samples, 12u);
  EXPECT_EQ(d.detector.threshold_ratio_per_min, 0.05);
  ASSERT_EQ(d.expressions.size(), 3u);
  EXPECT_EQ(d.expressions[2].second, "sum by (job, instance) (v8js_memory_heap_used_bytes)");

  auto unknown = ParseConfig("analysis:\n  leak:\n    intervall: 5s\n");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("intervall"), std::string::npos) << unknown.status().message();
  for (const char* bad : {"analysis:\n  leak:\n    step: 100ms\n", "analysis:\n  leak:\n    lookback: 2d\n",
                          "analysis:\n  leak:\n    min_samples: 2\n", "analysis:\n  leak:\n    threshold: 0\n",
                          "analysis:\n  leak:\n    max_p_value: 1\n", "analysis:\n  leak:\n    interval: -1s\n"}) {
    auto p = ParseConfig(bad);
    ASSERT_TRUE(!p.ok() || !ValidateConfig(*p).ok()) << bad;
  }
}

// Reload of analysis.leak: CheckOptions refuses what Create refuses; Apply swaps the
// options, and the next pass uses them (here a threshold no series reaches).
TEST_F(LeakWatcherTest, ApplySwapsTheOptionsForTheNextPass) {
  auto w = MakeWatcher();
  AddRss("a:9100", 0.10);
  ASSERT_TRUE(w->RunAt(kT0 + 1800 * kSecond).ok());
  const LeakFinding* f = Find(w->Findings(), "instance", "a:9100");
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(f->result.leaking);

  LeakWatchConfig c;
  c.threshold = 5.0;  // 500 %/min
  c.interval_ms = 0;
  LeakWatchOptions next = LeakWatchOptionsFromConfig(c);
  ASSERT_TRUE(LeakWatcher::CheckOptions(next).ok());
  w->Apply(next);
  EXPECT_EQ(w->options().detector.threshold_ratio_per_min, 5.0);
  ASSERT_TRUE(w->RunAt(kT0 + 1801 * kSecond).ok());  // a pass a second later: same data
  f = Find(w->Findings(), "instance", "a:9100");
  ASSERT_NE(f, nullptr);
  EXPECT_FALSE(f->result.leaking);

  LeakWatchConfig bad;
  bad.expressions = {"sum(rate(x[5m]"};
  EXPECT_FALSE(LeakWatcher::CheckOptions(LeakWatchOptionsFromConfig(bad)).ok());
  bad = LeakWatchConfig{};
  bad.lookback_ms = bad.step_ms - 1;
  EXPECT_FALSE(LeakWatcher::CheckOptions(LeakWatchOptionsFromConfig(bad)).ok());
}

}  // namespace
}  // namespace perfwatch::analysis
