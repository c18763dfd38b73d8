#include "analysis/vital_recorder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <set>

#include "analysis/vitals_report.h"
#include "common/time.h"
#include "tsdb/matcher.h"
#include "tsdb/stale.h"
#include "tsdb/tsdb_test_util.h"

namespace perfwatch::analysis {
namespace {

using events::Vital;
using tsdb::testing::TempDir;

// Recent: the TSDB applies its retention relative to the wall clock.
const int64_t kNow = NowMs() / 1000 * 1000;
constexpr int64_t kHour = 3'600'000;

struct Ev {
  Vital vital;
  double value;
  int64_t t;
  std::string app, page;
};

class VitalRecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tsdb::TsdbOptions o;
    o.dir = dir_.path() / "tsdb";
    o.maintenance_interval = std::chrono::milliseconds(0);
    auto db = tsdb::Tsdb::Open(o, nullptr);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    auto store = events::EventStore::Open(dir_.path() / "events", EventsConfig{}, nullptr);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }

  void Append(const std::vector<Ev>& evs) {
    std::vector<events::EventInput> in;
    for (const Ev& e : evs) {
      events::EventInput x;
      x.type = events::EventType::kVital;
      x.vital = e.vital;
      x.time_ms = e.t;
      x.received_ms = e.t;
      x.value = e.value;
      x.dims[events::kApp] = e.app;
      x.dims[events::kPage] = e.page;
      x.dims[events::kDevice] = "desktop";
      x.name = events::VitalName(e.vital);
      in.push_back(x);
    }
    ASSERT_TRUE(store_->Append(in).ok());
  }

  // Every rum_vital_* series: rendered labels -> (labels, samples).
  std::map<std::string, std::pair<tsdb::Labels, std::vector<tsdb::Sample>>> ReadAll() {
    auto m = tsdb::Matcher::Make(tsdb::MatchType::kRegexMatch, "__name__", "rum_vital_.*");
    EXPECT_TRUE(m.ok());
    auto q = db_->NewQuerier(0, INT64_MAX);
    auto set = q->Select(std::span(&*m, 1));
    std::map<std::string, std::pair<tsdb::Labels, std::vector<tsdb::Sample>>> out;
    while (set->Next()) {
      auto& entry = out[set->At().labels().ToString()];
      entry.first = set->At().labels();
      auto it = set->At().Iterator();
      while (it.Next()) entry.second.push_back({it.t(), it.v()});
    }
    EXPECT_TRUE(set->status().ok());
    return out;
  }

  // What GET /api/v1/vitals answers for the same window and filters (no grouping).
  VitalsGroup Vitals(Vital vital, int64_t to, int64_t window, const std::string& app, const std::string& page) {
    VitalsRequest r;
    r.scan.vital = vital;
    r.scan.from_ms = to - window;
    r.scan.to_ms = to;
    r.scan.filters[events::kApp] = app;
    if (!page.empty()) r.scan.filters[events::kPage] = page;
    auto groups = ComputeVitals(*store_, r);
    EXPECT_TRUE(groups.ok());
    EXPECT_EQ(groups->size(), 1u);
    return groups->empty() ? VitalsGroup{} : groups->front();
  }

  TempDir dir_;
  std::unique_ptr<tsdb::Tsdb> db_;
  std::unique_ptr<events::EventStore> store_;
};

TEST_F(VitalRecorderTest, SeriesEqualTheVitalsApiForTheSameWindow) {
  std::mt19937 rng(12);
  std::lognormal_distribution<double> ms(7.5, 0.6);
  std::lognormal_distribution<double> cls(-2.5, 0.8);
  const std::vector<std::string> apps = {"shop", "blog"};
  const std::vector<std::string> pages = {"/", "/search", "/product/:id", "/cart"};
  std::vector<Ev> evs;
  for (int i = 0; i < 4000; ++i) {
    Vital v = kRecordedVitals[rng() % kRecordedVitals.size()];
    // A quarter of the events are older than the window: they must not count.
    int64_t t = kNow - static_cast<int64_t>(rng() % (kHour * 5 / 4));
    double value = v == Vital::kCLS ? cls(rng) : ms(rng);
    evs.push_back({v, value, t, apps[rng() % apps.size()], pages[rng() % pages.size()]});
  }
  // A page seen in one app only, for one metric.
  evs.push_back({Vital::kINP, 320, kNow - 1000, "blog", "/rare"});
  Append(evs);

  VitalRecorder rec({.interval_ms = 0, .window_ms = kHour}, store_.get(), db_.get(), nullptr);
  auto written = rec.RecordAt(kNow);
  ASSERT_TRUE(written.ok()) << written.status().ToString();

  auto series = ReadAll();
  // 2 apps x (1 app-wide + 4 pages) x 5 metrics, plus blog /rare INP; 4 series each.
  EXPECT_EQ(series.size(), (2u * 5 * 5 + 1) * 4);
  EXPECT_EQ(*written, series.size());
  size_t checked = 0;
  for (const auto& [key, entry] : series) {
    const tsdb::Labels& labels = entry.first;
    ASSERT_EQ(entry.second.size(), 1u) << key;
    EXPECT_EQ(entry.second[0].t, kNow) << key;
    const double got = entry.second[0].v;
    auto vital = events::ParseVital(labels.Get("metric"));
    ASSERT_TRUE(vital.has_value()) << key;
    const std::string app(labels.Get("app"));
    const std::string page(labels.Get("page"));
    VitalsGroup want = Vitals(*vital, kNow, kHour, app, page);
    const double unit = *vital == Vital::kCLS ? 1 : 1000;
    if (labels.Get("__name__") == "rum_vital_samples") {
      EXPECT_EQ(labels.size(), page.empty() ? 3u : 4u) << key;  // __name__, app, metric[, page]
      EXPECT_EQ(got, static_cast<double>(want.count)) << key;
    } else {
      ASSERT_EQ(labels.Get("__name__"), "rum_vital_percentile") << key;
      std::string_view p = labels.Get("percentile");
      double w = p == "50" ? want.p50 : p == "75" ? want.p75 : p == "95" ? want.p95 : NAN;
      EXPECT_EQ(got, w / unit) << key;  // exact: the same values through the same function
    }
    ++checked;
  }
  EXPECT_EQ(checked, series.size());

  // The app-wide series have no page label at all, and count every page of the app.
  auto it = series.find(R"(rum_vital_samples{app="blog", metric="INP"})");
  ASSERT_NE(it, series.end());
  EXPECT_TRUE(it->second.first.Get("page").empty());
  EXPECT_EQ(it->second.first.size(), 3u);
  uint64_t in_window = 0;
  for (const Ev& e : evs) in_window += e.app == "blog" && e.vital == Vital::kINP && e.t >= kNow - kHour;
  EXPECT_EQ(it->second.second[0].v, static_cast<double>(in_window));
  auto rare = series.find(R"(rum_vital_samples{app="blog", metric="INP", page="/rare"})");
  ASSERT_NE(rare, series.end());
  EXPECT_EQ(rare->second.second[0].v, 1);
  auto rare_p75 = series.find(R"(rum_vital_percentile{app="blog", metric="INP", page="/rare", percentile="75"})");
  ASSERT_NE(rare_p75, series.end());
  EXPECT_DOUBLE_EQ(rare_p75->second.second[0].v, 0.32);  // ms -> s
}

TEST_F(VitalRecorderTest, PagesOutsideTheWindowGetAStaleMarkerThenStop) {
  Append({{Vital::kLCP, 2000, kNow - 50 * 60'000, "shop", "/old"},
          {Vital::kLCP, 3000, kNow - 1000, "shop", "/new"},
          {Vital::kCLS, 0.2, kNow - 1000, "shop", "/new"}});
  VitalRecorder rec({.interval_ms = 0, .window_ms = kHour}, store_.get(), db_.get(), nullptr);
  ASSERT_TRUE(rec.RecordAt(kNow - 60'000).ok());
  ASSERT_TRUE(rec.RecordAt(kNow).ok());
  // 20 minutes later /old has left the window; /new is still in it.
  ASSERT_TRUE(rec.RecordAt(kNow + 20 * 60'000).ok());
  ASSERT_TRUE(rec.RecordAt(kNow + 21 * 60'000).ok());

  auto series = ReadAll();
  auto old = series.find(R"(rum_vital_percentile{app="shop", metric="LCP", page="/old", percentile="75"})");
  ASSERT_NE(old, series.end());
  ASSERT_EQ(old->second.second.size(), 3u);  // two values, one stale marker, nothing after
  EXPECT_EQ(old->second.second[0].v, 2.0);
  EXPECT_EQ(old->second.second[1].v, 2.0);
  EXPECT_EQ(old->second.second[2].t, kNow + 20 * 60'000);
  EXPECT_TRUE(tsdb::IsStaleNaN(old->second.second[2].v));

  // /new's events came after the first evaluation's window ended: three samples.
  auto fresh = series.find(R"(rum_vital_samples{app="shop", metric="LCP", page="/new"})");
  ASSERT_NE(fresh, series.end());
  ASSERT_EQ(fresh->second.second.size(), 3u);
  EXPECT_EQ(fresh->second.second[0].t, kNow);
  for (const auto& s : fresh->second.second) EXPECT_EQ(s.v, 1);
  // The app-wide LCP counted /old, both pages, then only /new.
  auto app = series.find(R"(rum_vital_samples{app="shop", metric="LCP"})");
  ASSERT_NE(app, series.end());
  ASSERT_EQ(app->second.second.size(), 4u);
  EXPECT_EQ(app->second.second[0].v, 1);
  EXPECT_EQ(app->second.second[1].v, 2);
  EXPECT_EQ(app->second.second[2].v, 1);
  EXPECT_EQ(app->second.second[3].v, 1);
  auto cls = series.find(R"(rum_vital_percentile{app="shop", metric="CLS", page="/new", percentile="95"})");
  ASSERT_NE(cls, series.end());
  EXPECT_DOUBLE_EQ(cls->second.second[0].v, 0.2);  // unitless
}

TEST_F(VitalRecorderTest, CapsPagesPerAppByEventCountAndKeepsThemAppWide) {
  std::vector<Ev> evs;
  for (int p = 0; p < 5; ++p) {
    for (int i = 0; i <= p; ++i) evs.push_back({Vital::kTTFB, 100.0 * (i + 1), kNow - 1000, "a", "/p" + std::to_string(p)});
  }
  evs.push_back({Vital::kTTFB, 900, kNow - 1000, "a", ""});  // no page: app-wide only
  Append(evs);
  VitalRecorder rec({.interval_ms = 0, .window_ms = kHour, .max_pages_per_app = 2}, store_.get(), db_.get(),
                    nullptr);
  ASSERT_TRUE(rec.RecordAt(kNow).ok());
  std::set<std::string> pages;
  for (const auto& [key, entry] : ReadAll()) pages.insert(std::string(entry.first.Get("page")));
  EXPECT_EQ(pages, (std::set<std::string>{"", "/p3", "/p4"}));
  auto all = ReadAll().at(R"(rum_vital_samples{app="a", metric="TTFB"})");
  EXPECT_EQ(all.second[0].v, 16);  // 1 + 2 + 3 + 4 + 5 + the page-less one
}

TEST_F(VitalRecorderTest, EmptyStoreWritesNothing) {
  VitalRecorder rec({.interval_ms = 0, .window_ms = kHour}, store_.get(), db_.get(), nullptr);
  auto n = rec.RecordAt(kNow);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
  EXPECT_TRUE(ReadAll().empty());
}

// SetOptions (rum.percentile_window / max_pages_per_app reloaded): the next evaluation
// uses the new window and cap; a bad window changes nothing.
TEST_F(VitalRecorderTest, SetOptionsAppliesToTheNextEvaluation) {
  Append({{Vital::kLCP, 2000, kNow - 50 * 60'000, "shop", "/old"}, {Vital::kLCP, 3000, kNow - 1000, "shop", "/new"}});
  VitalRecorder rec({.interval_ms = 0, .window_ms = kHour}, store_.get(), db_.get(), nullptr);
  ASSERT_TRUE(rec.RecordAt(kNow).ok());
  const std::string app_lcp = R"(rum_vital_samples{app="shop", metric="LCP"})";
  EXPECT_EQ(ReadAll().at(app_lcp).second.back().v, 2);

  EXPECT_FALSE(rec.SetOptions({.interval_ms = 0, .window_ms = 0}).ok());
  EXPECT_FALSE(rec.SetOptions({.interval_ms = -1, .window_ms = kHour}).ok());
  ASSERT_TRUE(rec.RecordAt(kNow + 1000).ok());
  EXPECT_EQ(ReadAll().at(app_lcp).second.back().v, 2) << "the rejected options changed nothing";

  ASSERT_TRUE(rec.SetOptions({.interval_ms = 0, .window_ms = 10 * 60'000, .max_pages_per_app = 0}).ok());
  ASSERT_TRUE(rec.RecordAt(kNow + 2000).ok());
  auto series = ReadAll();
  EXPECT_EQ(series.at(app_lcp).second.back().v, 1) << "the 10-minute window leaves /old out";
  const auto old = series.at(R"(rum_vital_samples{app="shop", metric="LCP", page="/old"})").second;
  EXPECT_TRUE(tsdb::IsStaleNaN(old.back().v));

  // Interval 0 -> no thread; Start and Stop with a paused recorder, then a stop after a
  // reload that turned it on, return (the thread wakes on Stop).
  rec.Start();
  ASSERT_TRUE(rec.SetOptions({.interval_ms = kHour, .window_ms = kHour}).ok());
  ASSERT_TRUE(rec.SetOptions({.interval_ms = 0, .window_ms = kHour}).ok());
  rec.Stop();
}

}  // namespace
}  // namespace perfwatch::analysis
