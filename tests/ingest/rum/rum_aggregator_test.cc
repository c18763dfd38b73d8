#include "ingest/rum/rum_aggregator.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <set>

#include "common/time.h"
#include "events/event_store.h"
#include "tsdb/matcher.h"
#include "tsdb/tsdb_test_util.h"

namespace perfwatch::ingest {
namespace {

using events::EventInput;
using events::EventType;
using events::Vital;

// Recent: the TSDB applies its retention (relative to the wall clock) when flushing.
const int64_t kT0 = NowMs() / 1000 * 1000 - 3600 * 1000;

using tsdb::testing::TempDir;

std::unique_ptr<tsdb::Tsdb> OpenTsdb(const std::filesystem::path& dir) {
  tsdb::TsdbOptions o;
  o.dir = dir;
  o.maintenance_interval = std::chrono::milliseconds(0);
  auto db = tsdb::Tsdb::Open(o, nullptr);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return db.ok() ? std::move(db).value() : nullptr;
}

// An event owning its strings.
struct Ev {
  EventType type = EventType::kVital;
  Vital vital = Vital::kLCP;
  double value = 0;
  std::string app, page, device, connection, session, id;
  EventInput View() const {
    EventInput e;
    e.type = type;
    e.vital = vital;
    e.time_ms = kT0;
    e.received_ms = kT0;
    e.value = value;
    e.dims[events::kApp] = app;
    e.dims[events::kPage] = page;
    e.dims[events::kDevice] = device;
    e.dims[events::kConnection] = connection;
    e.dims[events::kBrowser] = "Chrome";
    e.session_id = session;
    e.id = id;
    return e;
  }
};

Ev V(Vital vital, double value, std::string app, std::string page, std::string device = "mobile",
     std::string connection = "4g") {
  Ev e;
  e.vital = vital;
  e.value = value;
  e.app = std::move(app);
  e.page = std::move(page);
  e.device = std::move(device);
  e.connection = std::move(connection);
  return e;
}

std::vector<EventInput> Views(const std::vector<Ev>& evs) {
  std::vector<EventInput> out;
  for (const Ev& e : evs) out.push_back(e.View());
  return out;
}

// Every rum_* series: labels rendered -> samples in time order.
std::map<std::string, std::vector<tsdb::Sample>> ReadAll(const tsdb::Tsdb& db) {
  auto m = tsdb::Matcher::Make(tsdb::MatchType::kRegexMatch, "__name__", "rum_.*");
  EXPECT_TRUE(m.ok());
  auto q = db.NewQuerier(0, INT64_MAX);
  auto set = q->Select(std::span(&*m, 1));
  std::map<std::string, std::vector<tsdb::Sample>> out;
  while (set->Next()) {
    auto it = set->At().Iterator();
    auto& v = out[set->At().labels().ToString()];
    while (it.Next()) v.push_back({it.t(), it.v()});
  }
  EXPECT_TRUE(set->status().ok());
  return out;
}

std::string SeriesName(RumMetric m, std::string_view suffix, const Ev& e, std::string_view le = "") {
  std::vector<std::pair<std::string_view, std::string_view>> l = {
      {"__name__", ""}, {"app", e.app}, {"connection", e.connection}, {"device", e.device}, {"page", e.page}};
  std::string name = std::string(RumMetricName(m)) + std::string(suffix);
  l[0].second = name;
  if (!le.empty()) l.push_back({"le", le});
  std::vector<tsdb::LabelView> views;
  for (auto& [k, v] : l) views.push_back({k, v});
  return tsdb::Labels::FromViews(views).ToString();
}

// Brute force: metric + label set -> the first-seen values, in the metric's unit.
using Truth = std::map<std::pair<int, std::array<std::string, 4>>, std::vector<double>>;

void AddTruth(Truth& truth, const Ev& e, size_t page_cap, std::map<std::string, std::set<std::string>>& pages) {
  if (e.type != EventType::kVital) return;
  auto m = RumMetricFor(e.vital);
  if (!m || !std::isfinite(e.value) || e.value < 0) return;
  std::string page = e.page;
  if (page != "other") {
    auto& s = pages[e.app];
    if (!s.count(page)) {
      if (page_cap == 0 || s.size() < page_cap) {
        s.insert(page);
      } else {
        page = "other";
      }
    }
  }
  truth[{static_cast<int>(*m), {e.app, page, e.device, e.connection}}].push_back(RumMetricValue(*m, e.value));
}

// Checks the last stored value of every series against brute-force counts.
void ExpectMatchesTruth(const tsdb::Tsdb& db, const Truth& truth) {
  auto all = ReadAll(db);
  size_t expected_series = 0;
  for (const auto& [key, values] : truth) {
    RumMetric m = static_cast<RumMetric>(key.first);
    Ev e;
    e.app = key.second[0];
    e.page = key.second[1];
    e.device = key.second[2];
    e.connection = key.second[3];
    auto bounds = RumBucketBounds(m);
    for (size_t b = 0; b <= bounds.size(); ++b) {
      std::string le = b == bounds.size() ? "+Inf" : FormatPrometheusFloat(bounds[b]);
      double want = b == bounds.size() ? values.size()
                                       : std::count_if(values.begin(), values.end(),
                                                       [&](double x) { return x <= bounds[b]; });
      auto it = all.find(SeriesName(m, "_bucket", e, le));
      ASSERT_NE(it, all.end()) << SeriesName(m, "_bucket", e, le);
      EXPECT_EQ(it->second.back().v, want) << it->first;
    }
    double sum = 0;
    for (double x : values) sum += x;
    auto s = all.find(SeriesName(m, "_sum", e));
    auto c = all.find(SeriesName(m, "_count", e));
    ASSERT_NE(s, all.end());
    ASSERT_NE(c, all.end());
    EXPECT_NEAR(s->second.back().v, sum, 1e-9 * std::max(1.0, sum));
    EXPECT_EQ(c->second.back().v, static_cast<double>(values.size()));
    expected_series += bounds.size() + 3;
  }
  EXPECT_EQ(all.size(), expected_series);
}

// Every series: timestamps strictly increasing, values never decreasing.
void ExpectMonotonic(const tsdb::Tsdb& db) {
  for (const auto& [name, samples] : ReadAll(db)) {
    for (size_t i = 1; i < samples.size(); ++i) {
      ASSERT_GT(samples[i].t, samples[i - 1].t) << name;
      ASSERT_GE(samples[i].v, samples[i - 1].v) << name;
    }
  }
}

std::vector<Ev> RandomEvents(std::mt19937& rng, int n, int npages = 3) {
  const char* apps[] = {"shop", "blog"};
  const char* devices[] = {"mobile", "desktop"};
  const char* conns[] = {"4g", ""};  // "" = label absent
  const Vital vitals[] = {Vital::kLCP, Vital::kINP, Vital::kFCP, Vital::kTTFB, Vital::kCLS, Vital::kFID};
  std::vector<Ev> out;
  for (int i = 0; i < n; ++i) {
    Ev e;
    e.vital = vitals[rng() % 6];
    e.app = apps[rng() % 2];
    e.page = "/p" + std::to_string(rng() % npages);
    e.device = devices[rng() % 2];
    e.connection = conns[rng() % 2];
    std::lognormal_distribution<double> d(e.vital == Vital::kCLS ? std::log(0.05) : std::log(1500), 1.0);
    e.value = d(rng);
    switch (rng() % 20) {
      case 0: e.type = EventType::kNavigation; break;  // not a vital
      case 1: e.value = std::nan(""); break;
      case 2: e.value = 2500; e.vital = Vital::kLCP; break;  // exactly on a bound
      case 3: e.value = 0; break;
      default: break;
    }
    out.push_back(e);
  }
  return out;
}

TEST(RumAggregatorTest, FormatsFloatsLikePrometheus) {
  EXPECT_EQ(FormatPrometheusFloat(0.1), "0.1");
  EXPECT_EQ(FormatPrometheusFloat(2.5), "2.5");
  EXPECT_EQ(FormatPrometheusFloat(1), "1");
  EXPECT_EQ(FormatPrometheusFloat(10), "10");
  EXPECT_EQ(FormatPrometheusFloat(60), "60");
  EXPECT_EQ(FormatPrometheusFloat(0), "0");
  EXPECT_EQ(FormatPrometheusFloat(0.0025), "0.0025");
  EXPECT_EQ(FormatPrometheusFloat(0.115), "0.115");
  EXPECT_EQ(FormatPrometheusFloat(0.0001), "0.0001");
  EXPECT_EQ(FormatPrometheusFloat(0.00001), "1e-05");
  EXPECT_EQ(FormatPrometheusFloat(123456), "123456");
  EXPECT_EQ(FormatPrometheusFloat(1e6), "1e+06");
  EXPECT_EQ(FormatPrometheusFloat(1.5e6), "1.5e+06");
  EXPECT_EQ(FormatPrometheusFloat(-2.5), "-2.5");
  EXPECT_EQ(FormatPrometheusFloat(INFINITY), "+Inf");
  EXPECT_EQ(FormatPrometheusFloat(-INFINITY), "-Inf");
  EXPECT_EQ(FormatPrometheusFloat(std::nan("")), "NaN");
}

TEST(RumAggregatorTest, BoundsAscendIncludeThresholdsAndRoundTrip) {
  struct T {
    RumMetric m;
    double good, poor;
  } cases[] = {{RumMetric::kLCP, 2.5, 4},
               {RumMetric::kINP, 0.2, 0.5},
               {RumMetric::kFCP, 1.8, 3},
               {RumMetric::kTTFB, 0.8, 1.8},
               {RumMetric::kCLS, 0.1, 0.25}};
  for (const T& t : cases) {
    auto b = RumBucketBounds(t.m);
    ASSERT_FALSE(b.empty());
    EXPECT_TRUE(std::is_sorted(b.begin(), b.end()));
    EXPECT_EQ(std::adjacent_find(b.begin(), b.end()), b.end());
    EXPECT_NE(std::find(b.begin(), b.end(), t.good), b.end()) << RumMetricName(t.m);
    EXPECT_NE(std::find(b.begin(), b.end(), t.poor), b.end()) << RumMetricName(t.m);
    for (double x : b) EXPECT_EQ(std::stod(FormatPrometheusFloat(x)), x);
  }
  // Threshold values in beacon units land on the threshold bucket (<= is "good").
  EXPECT_EQ(RumMetricValue(RumMetric::kLCP, 2500), 2.5);
  EXPECT_EQ(RumMetricValue(RumMetric::kINP, 200), 0.2);
  EXPECT_EQ(RumMetricValue(RumMetric::kTTFB, 800), 0.8);
  EXPECT_EQ(RumMetricValue(RumMetric::kCLS, 0.1), 0.1);
  EXPECT_EQ(RumMetricName(RumMetric::kCLS), "rum_cls");
  EXPECT_FALSE(RumMetricFor(Vital::kFID).has_value());
}

// Beacons through the real event store: repeats (replaced) are not counted again; bucket
// counts match a brute-force count per label set; many requests in the same millisecond.
TEST(RumAggregatorTest, BucketCountsMatchBruteForceAndRepeatsCountOnce) {
  TempDir dir;
  auto db = OpenTsdb(dir.path() / "tsdb");
  auto store = events::EventStore::Open(dir.path() / "events", EventsConfig{}, nullptr);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  MetricsRegistry metrics;
  auto agg = RumAggregator::Create({}, db.get(), &metrics, kT0);
  ASSERT_TRUE(agg.ok()) << agg.status().ToString();

  std::mt19937 rng(7);
  Truth truth;
  std::map<std::string, std::set<std::string>> pages;
  std::set<std::pair<std::string, std::string>> pairs;
  for (int req = 0; req < 60; ++req) {
    std::vector<Ev> evs = RandomEvents(rng, 1 + rng() % 30);
    for (Ev& e : evs) {
      e.session = "s" + std::to_string(rng() % 40);
      e.id = "v" + std::to_string(rng() % 10);
      if (pairs.insert({e.session, e.id}).second) AddTruth(truth, e, 500, pages);
    }
    auto views = Views(evs);
    auto replaced = std::make_unique<bool[]>(views.size());
    ASSERT_TRUE((*store)->Append(views, std::span<bool>(replaced.get(), views.size())).ok());
    // Three requests share each millisecond: no duplicate_timestamp.
    Status st = (*agg)->Record(views, std::span<const bool>(replaced.get(), views.size()), kT0 + req / 3);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  ExpectMatchesTruth(*db, truth);
  ExpectMonotonic(*db);
  EXPECT_EQ((*agg)->num_label_sets(), truth.size());
  uint64_t counted = 0;
  for (auto& [k, v] : truth) counted += v.size();
  EXPECT_EQ(metrics.GetCounter("perfwatch_rum_aggregated_vitals_total", "")->Value(), counted);
  EXPECT_EQ(metrics.GetCounter("perfwatch_rum_pages_overflow_total", "")->Value(), 0u);
}

TEST(RumAggregatorTest, ReplacedEventsAreNotCounted) {
  TempDir dir;
  auto db = OpenTsdb(dir.path());
  RumAggregator agg({}, db.get(), nullptr);
  Ev a = V(Vital::kLCP, 1000, "shop", "/");
  Ev b = a;
  b.value = 5000;
  std::vector<Ev> evs = {a, b};  // outlives the views into it
  auto views = Views(evs);
  bool replaced[2] = {false, true};
  ASSERT_TRUE(agg.Record(views, replaced, kT0).ok());
  auto all = ReadAll(*db);
  EXPECT_EQ(all.at(SeriesName(RumMetric::kLCP, "_count", a)).back().v, 1);
  EXPECT_EQ(all.at(SeriesName(RumMetric::kLCP, "_sum", a)).back().v, 1.0);
  EXPECT_EQ(all.at(SeriesName(RumMetric::kLCP, "_bucket", a, "4")).back().v, 1);
  // Only replaced events: nothing is written.
  bool all_replaced[2] = {true, true};
  ASSERT_TRUE(agg.Record(views, all_replaced, kT0 + 1).ok());
  EXPECT_EQ(ReadAll(*db).at(SeriesName(RumMetric::kLCP, "_count", a)).size(), 1u);
  // A size mismatch is an error.
  EXPECT_FALSE(agg.Record(views, std::span<const bool>(replaced, 1), kT0 + 2).ok());
}

TEST(RumAggregatorTest, ContinuesFromStoredValuesAcrossRestart) {
  TempDir dir;
  std::mt19937 rng(3);
  Truth truth;
  std::map<std::string, std::set<std::string>> pages;
  int64_t t = kT0;
  for (int round = 0; round < 3; ++round) {
    auto db = OpenTsdb(dir.path());
    ASSERT_NE(db, nullptr);
    auto agg = RumAggregator::Create({}, db.get(), nullptr, t);
    ASSERT_TRUE(agg.ok()) << agg.status().ToString();
    for (int req = 0; req < 20; ++req) {
      auto evs = RandomEvents(rng, 10);
      for (const Ev& e : evs) AddTruth(truth, e, 500, pages);
      ASSERT_TRUE((*agg)->Record(Views(evs), {}, t).ok());
      t += 1000;
    }
    // The clock stepped back across the restart: stamps still increase.
    t -= 5000;
    ExpectMatchesTruth(*db, truth);
    ExpectMonotonic(*db);
  }
  // And after a flush to blocks (state read back from blocks, not the head).
  {
    auto db = OpenTsdb(dir.path());
    ASSERT_TRUE(db->Flush().ok());
  }
  auto db = OpenTsdb(dir.path());
  auto agg = RumAggregator::Create({}, db.get(), nullptr, t);
  ASSERT_TRUE(agg.ok());
  auto evs = RandomEvents(rng, 50);
  for (const Ev& e : evs) AddTruth(truth, e, 500, pages);
  ASSERT_TRUE((*agg)->Record(Views(evs), {}, t).ok());
  ExpectMatchesTruth(*db, truth);
  ExpectMonotonic(*db);
}

TEST(RumAggregatorTest, PageCapOverflowsToOther) {
  TempDir dir;
  MetricsRegistry metrics;
  RumAggregatorOptions opts;
  opts.max_pages_per_app = 3;
  Truth truth;
  std::map<std::string, std::set<std::string>> pages;
  std::mt19937 rng(9);
  {
    auto db = OpenTsdb(dir.path());
    auto agg = RumAggregator::Create(opts, db.get(), &metrics, kT0);
    ASSERT_TRUE(agg.ok());
    std::vector<Ev> evs;
    for (int p = 0; p < 6; ++p) {
      for (const char* app : {"shop", "blog"}) {
        evs.push_back(V(Vital::kLCP, 1000.0 + p, app, "/p" + std::to_string(p)));
      }
    }
    for (const Ev& e : evs) AddTruth(truth, e, 3, pages);
    ASSERT_TRUE((*agg)->Record(Views(evs), {}, kT0).ok());
    EXPECT_EQ(metrics.GetCounter("perfwatch_rum_pages_overflow_total", "")->Value(), 6u);  // 3 per app
    ExpectMatchesTruth(*db, truth);
    auto all = ReadAll(*db);
    Ev other = V(Vital::kLCP, 0, "shop", "other");
    EXPECT_EQ(all.at(SeriesName(RumMetric::kLCP, "_count", other)).back().v, 3);
  }
  // After a restart the same three pages are admitted; new ones still overflow.
  auto db = OpenTsdb(dir.path());
  auto agg = RumAggregator::Create(opts, db.get(), &metrics, kT0 + 1000);
  ASSERT_TRUE(agg.ok());
  auto evs = RandomEvents(rng, 200, 8);
  for (const Ev& e : evs) AddTruth(truth, e, 3, pages);
  ASSERT_TRUE((*agg)->Record(Views(evs), {}, kT0 + 1000).ok());
  ExpectMatchesTruth(*db, truth);
  ExpectMonotonic(*db);
}

// Prometheus' histogram_quantile over classic buckets (written from its documented
// behaviour): rank = q * count; the first bucket whose cumulative count reaches the rank;
// linear interpolation between its lower bound (0 for the first bucket with a positive
// bound) and its upper bound; the highest finite bound when the rank falls in +Inf.
double HistogramQuantile(double q, std::span<const double> bounds, std::span<const double> cumulative) {
  double total = cumulative.back();
  if (total == 0) return std::nan("");
  double rank = q * total;
  size_t b = 0;
  while (b < cumulative.size() && cumulative[b] < rank) ++b;
  if (b == bounds.size()) return bounds.back();  // +Inf bucket
  if (b == 0 && bounds[0] <= 0) return bounds[0];
  double lower = b == 0 ? 0 : bounds[b - 1];
  double below = b == 0 ? 0 : cumulative[b - 1];
  double in_bucket = cumulative[b] - below;
  return lower + (bounds[b] - lower) * ((rank - below) / in_bucket);
}

struct Accuracy {
  RumMetric m;
  Vital vital;
  double scale;           // beacon units per metric unit
  double median_lo, median_hi;  // medians swept (metric unit)
  double sigma;
};

// histogram_quantile(0.75) within 5% of the exact p75 of log-normal samples, for medians
// swept over each metric's realistic range and two spreads. Goes through Record() and the
// stored series, i.e. exactly what a PromQL query would see.
TEST(RumAggregatorTest, HistogramQuantileP75IsWithinFivePercent) {
  const Accuracy cases[] = {
      {RumMetric::kLCP, Vital::kLCP, 1000, 0.8, 6, 0.5},  {RumMetric::kLCP, Vital::kLCP, 1000, 0.8, 6, 0.9},
      {RumMetric::kINP, Vital::kINP, 1000, 0.04, 0.8, 0.6}, {RumMetric::kINP, Vital::kINP, 1000, 0.04, 0.8, 1.0},
      {RumMetric::kFCP, Vital::kFCP, 1000, 0.6, 4, 0.5},  {RumMetric::kFCP, Vital::kFCP, 1000, 0.6, 4, 0.9},
      {RumMetric::kTTFB, Vital::kTTFB, 1000, 0.1, 2, 0.6}, {RumMetric::kTTFB, Vital::kTTFB, 1000, 0.1, 2, 1.0},
      {RumMetric::kCLS, Vital::kCLS, 1, 0.01, 0.2, 0.8},  {RumMetric::kCLS, Vital::kCLS, 1, 0.01, 0.2, 1.2},
  };
  TempDir dir;
  auto db = OpenTsdb(dir.path());
  RumAggregator agg({}, db.get(), nullptr);
  std::mt19937_64 rng(42);
  int64_t t = kT0;
  double worst_overall = 0;
  int app_no = 0;
  for (const Accuracy& c : cases) {
    double worst = 0;
    constexpr int kSteps = 12;
    for (int step = 0; step <= kSteps; ++step) {
      double median = c.median_lo * std::pow(c.median_hi / c.median_lo, static_cast<double>(step) / kSteps);
      std::lognormal_distribution<double> d(std::log(median), c.sigma);
      constexpr int kN = 20000;
      std::vector<double> values;
      std::vector<Ev> evs;
      std::string app = "a" + std::to_string(app_no++);
      for (int i = 0; i < kN; ++i) {
        double beacon = d(rng) * c.scale;
        if (c.scale != 1) beacon = std::round(beacon);  // beacons carry whole milliseconds
        values.push_back(RumMetricValue(c.m, beacon));
        evs.push_back(V(c.vital, beacon, app, "/", "d", "4g"));
      }
      ASSERT_TRUE(agg.Record(Views(evs), {}, t++).ok());
      std::sort(values.begin(), values.end());
      // Exact p75 as Prometheus-style rank: the value at rank 0.75 * n.
      double exact = values[static_cast<size_t>(std::ceil(0.75 * kN)) - 1];
      // Read the stored buckets back.
      auto bounds = RumBucketBounds(c.m);
      auto all = ReadAll(*db);
      Ev key = V(c.vital, 0, app, "/", "d", "4g");
      std::vector<double> cumulative;
      for (size_t b = 0; b <= bounds.size(); ++b) {
        std::string le = b == bounds.size() ? "+Inf" : FormatPrometheusFloat(bounds[b]);
        cumulative.push_back(all.at(SeriesName(c.m, "_bucket", key, le)).back().v);
      }
      double est = HistogramQuantile(0.75, bounds, cumulative);
      double err = std::abs(est - exact) / exact;
      worst = std::max(worst, err);
      EXPECT_LT(err, 0.05) << RumMetricName(c.m) << " median=" << median << " sigma=" << c.sigma
                           << " exact=" << exact << " est=" << est;
    }
    worst_overall = std::max(worst_overall, worst);
    std::printf("[accuracy] %-16s median %.3g..%.3g sigma %.1f: worst p75 error %.2f%%\n",
                std::string(RumMetricName(c.m)).c_str(), c.median_lo, c.median_hi, c.sigma, 100 * worst);
  }
  std::printf("[accuracy] worst overall %.2f%%\n", 100 * worst_overall);
}

TEST(RumAggregatorTest, IgnoresFidNonVitalsAndBadValues) {
  TempDir dir;
  auto db = OpenTsdb(dir.path());
  RumAggregator agg({}, db.get(), nullptr);
  std::vector<Ev> evs = {V(Vital::kFID, 50, "a", "/"), V(Vital::kNone, 50, "a", "/"), V(Vital::kLCP, std::nan(""), "a", "/"),
                         V(Vital::kLCP, -1, "a", "/"), V(Vital::kLCP, INFINITY, "a", "/")};
  evs[1].type = EventType::kMeasure;
  ASSERT_TRUE(agg.Record(Views(evs), {}, kT0).ok());
  EXPECT_TRUE(ReadAll(*db).empty());
  EXPECT_EQ(agg.num_label_sets(), 0u);
}

// SetCaps (rum.max_apps / max_pages_per_app reloaded): a raised cap admits new pages and
// apps from the next Record(); a lowered one keeps what is admitted and refuses new ones.
TEST(RumAggregatorTest, SetCapsRaisesAndLowersFromTheNextRecord) {
  TempDir dir;
  auto db = OpenTsdb(dir.path());
  MetricsRegistry metrics;
  RumAggregatorOptions opts;
  opts.max_pages_per_app = 1;
  opts.max_apps = 1;
  auto agg = RumAggregator::Create(opts, db.get(), &metrics, kT0);
  ASSERT_TRUE(agg.ok());
  Counter* pages_over = metrics.GetCounter("perfwatch_rum_pages_overflow_total", "");
  Counter* apps_over = metrics.GetCounter("perfwatch_rum_apps_overflow_total", "");
  ASSERT_TRUE((*agg)->Record(Views({V(Vital::kLCP, 100, "shop", "/a"), V(Vital::kLCP, 100, "shop", "/b"),
                                    V(Vital::kLCP, 100, "blog", "/a")}),
                             {}, kT0)
                  .ok());
  EXPECT_EQ(pages_over->Value(), 1u);
  EXPECT_EQ(apps_over->Value(), 1u);
  auto all = ReadAll(*db);
  EXPECT_FALSE(all.count(SeriesName(RumMetric::kLCP, "_count", V(Vital::kLCP, 0, "shop", "/b"))));
  EXPECT_FALSE(all.count(SeriesName(RumMetric::kLCP, "_count", V(Vital::kLCP, 0, "blog", "/a"))));

  (*agg)->SetCaps(/*max_apps=*/2, /*max_pages_per_app=*/2);
  ASSERT_TRUE((*agg)->Record(Views({V(Vital::kLCP, 200, "shop", "/b"), V(Vital::kLCP, 200, "blog", "/a")}), {},
                             kT0 + 1000)
                  .ok());
  EXPECT_EQ(pages_over->Value(), 1u) << "the raised caps admitted the new page and app";
  EXPECT_EQ(apps_over->Value(), 1u);
  all = ReadAll(*db);
  EXPECT_EQ(all.at(SeriesName(RumMetric::kLCP, "_count", V(Vital::kLCP, 0, "shop", "/b"))).back().v, 1);
  EXPECT_EQ(all.at(SeriesName(RumMetric::kLCP, "_count", V(Vital::kLCP, 0, "blog", "/a"))).back().v, 1);

  // Lowered below what exists: the admitted apps and pages go on, nothing new is admitted.
  (*agg)->SetCaps(1, 1);
  ASSERT_TRUE((*agg)->Record(Views({V(Vital::kLCP, 300, "shop", "/a"), V(Vital::kLCP, 300, "shop", "/b"),
                                    V(Vital::kLCP, 300, "blog", "/a"), V(Vital::kLCP, 300, "shop", "/c"),
                                    V(Vital::kLCP, 300, "news", "/a")}),
                             {}, kT0 + 2000)
                  .ok());
  EXPECT_EQ(pages_over->Value(), 2u) << "/c overflowed";
  EXPECT_EQ(apps_over->Value(), 2u) << "news overflowed";
  all = ReadAll(*db);
  EXPECT_EQ(all.at(SeriesName(RumMetric::kLCP, "_count", V(Vital::kLCP, 0, "shop", "/b"))).back().v, 2);
  EXPECT_EQ(all.at(SeriesName(RumMetric::kLCP, "_count", V(Vital::kLCP, 0, "blog", "/a"))).back().v, 2);
  EXPECT_FALSE(all.count(SeriesName(RumMetric::kLCP, "_count", V(Vital::kLCP, 0, "shop", "/c"))));
}

}  // namespace
}  // namespace perfwatch::ingest
