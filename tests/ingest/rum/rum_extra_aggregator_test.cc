#include "ingest/rum/rum_extra_aggregator.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "common/metrics.h"
#include "common/time.h"
#include "ingest/rum/rum_aggregator.h"
#include "tsdb/matcher.h"
#include "tsdb/tsdb_test_util.h"

namespace perfwatch::ingest {
namespace {

using events::EventInput;
using events::EventType;
using tsdb::testing::TempDir;

const int64_t kT0 = NowMs() / 1000 * 1000 - 3600 * 1000;
constexpr int64_t kMin = 60 * 1000;

std::unique_ptr<tsdb::Tsdb> OpenTsdb(const std::filesystem::path& dir) {
  tsdb::TsdbOptions o;
  o.dir = dir;
  o.maintenance_interval = std::chrono::milliseconds(0);
  auto db = tsdb::Tsdb::Open(o, nullptr);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return db.ok() ? std::move(db).value() : nullptr;
}

struct Ev {
  EventType type = EventType::kMeasure;
  double value = 0;
  std::string app = "shop", page = "/checkout", name, session = "s1", id, attrs;
  EventInput View() const {
    EventInput e;
    e.type = type;
    e.time_ms = kT0;
    e.received_ms = kT0;
    e.value = value;
    e.dims[events::kApp] = app;
    e.dims[events::kPage] = page;
    e.name = name;
    e.session_id = session;
    e.id = id;
    e.attrs_json = attrs;
    return e;
  }
};

Ev Measure(std::string name, double ms, std::string app = "shop") {
  Ev e;
  e.name = std::move(name);
  e.value = ms;
  e.app = std::move(app);
  return e;
}

Ev Journey(std::string session, std::string jid, std::string outcome, double ms, std::string name = "checkout") {
  Ev e;
  e.type = EventType::kJourney;
  e.name = std::move(name);
  e.value = ms;
  e.session = std::move(session);
  e.id = "j-" + jid;
  e.attrs = R"({"journeyId":")" + jid + R"(","outcome":")" + outcome + R"(","steps":[{"name":"cart","t":0,"d":10}]})";
  return e;
}

Ev Summary(std::string session, std::string pv, int scripts, double script_bytes, int third, double third_bytes) {
  Ev e;
  e.type = EventType::kResource;
  e.name = "resources";
  e.session = std::move(session);
  e.id = pv + "-r";
  e.value = scripts;
  e.attrs = R"({"summary":{"byType":{"script":{"n":)" + std::to_string(scripts) + R"(,"transfer":)" +
            std::to_string(script_bytes) + R"(,"encoded":1,"decoded":2}},"firstParty":{"n":)" +
            std::to_string(scripts - third) + R"(,"transfer":)" + std::to_string(script_bytes - third_bytes) +
            R"(},"thirdParty":{"n":)" + std::to_string(third) + R"(,"transfer":)" + std::to_string(third_bytes) +
            R"(},"cacheHits":0},"resources":[]})";
  return e;
}

class RumExtraAggregatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = OpenTsdb(dir_.path());
    ASSERT_NE(db_, nullptr);
  }

  std::unique_ptr<RumExtraAggregator> Make(RumExtraAggregatorOptions o = {}) {
    auto a = RumExtraAggregator::Create(o, db_.get(), &metrics_, kT0);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() ? std::move(a).value() : nullptr;
  }

  // Records `evs` received at `t`; `replaced[i]` as the event store would report.
  void Record(RumExtraAggregator& a, const std::vector<Ev>& evs, std::vector<bool> replaced, int64_t t) {
    std::vector<EventInput> in;
    for (const Ev& e : evs) in.push_back(e.View());
    std::unique_ptr<bool[]> rep(new bool[evs.size()]());
    for (size_t i = 0; i < replaced.size(); ++i) rep[i] = replaced[i];
    ASSERT_TRUE(a.Record(in, std::span<const bool>(rep.get(), evs.size()), t).ok());
  }

  // The last value of the series with exactly these labels (NaN when absent).
  double Last(std::string name, std::map<std::string, std::string> labels) {
    labels["__name__"] = std::move(name);
    std::vector<tsdb::LabelView> views;
    for (auto& [k, v] : labels) views.push_back({k, v});
    const std::string want = tsdb::Labels::FromViews(views).ToString();
    auto m = tsdb::Matcher::Make(tsdb::MatchType::kRegexMatch, "__name__", "rum_.*");
    auto q = db_->NewQuerier(0, INT64_MAX);
    auto set = q->Select(std::span(&*m, 1));
    double v = std::nan("");
    while (set->Next()) {
      if (set->At().labels().ToString() != want) continue;
      auto it = set->At().Iterator();
      while (it.Next()) v = it.v();
    }
    return v;
  }

  size_t CountSeries(std::string_view regex) {
    auto m = tsdb::Matcher::Make(tsdb::MatchType::kRegexMatch, "__name__", std::string(regex));
    auto q = db_->NewQuerier(0, INT64_MAX);
    auto set = q->Select(std::span(&*m, 1));
    size_t n = 0;
    while (set->Next()) ++n;
    return n;
  }

  TempDir dir_;
  MetricsRegistry metrics_;
  std::unique_ptr<tsdb::Tsdb> db_;
};

TEST_F(RumExtraAggregatorTest, MeasuresAreHistogramsInSecondsCountedOnce) {
  auto a = Make();
  ASSERT_NE(a, nullptr);
  Ev dup = Measure("hydrate", 120);
  dup.id = "m1";
  Record(*a, {Measure("hydrate", 40), dup, Measure("hydrate", -5), Measure("api", 2000)}, {}, kT0);
  Record(*a, {dup}, {true}, kT0 + 1000);  // the same measure again: replaced, not counted
  const std::map<std::string, std::string> h = {{"app", "shop"}, {"page", "/checkout"}, {"name", "hydrate"}};
  EXPECT_EQ(Last("rum_measure_seconds_count", h), 2);
  EXPECT_NEAR(Last("rum_measure_seconds_sum", h), 0.16, 1e-12);
  auto with_le = [&](std::string le) {
    auto l = h;
    l["le"] = le;
    return Last("rum_measure_seconds_bucket", l);
  };
  EXPECT_EQ(with_le("0.025"), 0);
  EXPECT_EQ(with_le("0.05"), 1);
  EXPECT_EQ(with_le("0.15"), 2);
  EXPECT_EQ(with_le("+Inf"), 2);
  EXPECT_EQ(Last("rum_measure_seconds_count", {{"app", "shop"}, {"page", "/checkout"}, {"name", "api"}}), 1);
}

TEST_F(RumExtraAggregatorTest, MeasureNameCapCountsOtherAndOverflow) {
  auto a = Make({.max_names_per_app = 2});
  ASSERT_NE(a, nullptr);
  Record(*a, {Measure("a", 1), Measure("b", 1), Measure("c", 1), Measure("d", 1), Measure("a", 1),
              Measure("c", 1, "blog")},
         {}, kT0);
  EXPECT_EQ(Last("rum_measure_seconds_count", {{"app", "shop"}, {"page", "/checkout"}, {"name", "a"}}), 2);
  EXPECT_EQ(Last("rum_measure_seconds_count", {{"app", "shop"}, {"page", "/checkout"}, {"name", "other"}}), 2);
  EXPECT_EQ(Last("rum_measure_seconds_count", {{"app", "blog"}, {"page", "/checkout"}, {"name", "c"}}), 1);
  EXPECT_EQ(metrics_.GetCounter("perfwatch_rum_measure_names_overflow_total", "")->Value(), 2);
}

TEST_F(RumExtraAggregatorTest, JourneysCountFinalOutcomesOnceAndSweepAbandoned) {
  auto a = Make({.journey_timeout_ms = 30 * kMin});
  ASSERT_NE(a, nullptr);
  // s1: completed directly; re-sent (replaced) is not counted again.
  Record(*a, {Journey("s1", "1", "completed", 4000)}, {}, kT0);
  Record(*a, {Journey("s1", "1", "completed", 4000)}, {true}, kT0 + 1000);
  // s2: abandoned on pagehide, completed on the next page: counts completed only.
  Record(*a, {Journey("s2", "2", "abandoned", 1000)}, {}, kT0);
  Record(*a, {Journey("s2", "2", "completed", 9000)}, {true}, kT0 + 5 * kMin);
  // s3: abandoned and never finished; s4: failed.
  Record(*a, {Journey("s3", "3", "abandoned", 2000), Journey("s4", "4", "failed", 3000)}, {}, kT0 + kMin);
  // Re-sent abandoned beacon of s3 later: its clock restarts.
  Record(*a, {Journey("s3", "3", "abandoned", 2500)}, {true}, kT0 + 10 * kMin);
  EXPECT_EQ(a->held_journeys(), 1u);

  auto total = [&](std::string outcome) {
    return Last("rum_journeys_total", {{"app", "shop"}, {"name", "checkout"}, {"outcome", outcome}});
  };
  EXPECT_EQ(total("completed"), 2);
  EXPECT_EQ(total("failed"), 1);
  EXPECT_TRUE(std::isnan(total("abandoned")));
  ASSERT_TRUE(a->Sweep(kT0 + 39 * kMin).ok());  // 29 minutes after its latest beacon
  EXPECT_TRUE(std::isnan(total("abandoned")));
  ASSERT_TRUE(a->Sweep(kT0 + 40 * kMin).ok());
  EXPECT_EQ(total("abandoned"), 1);
  EXPECT_EQ(a->held_journeys(), 0u);
  // A final beacon after the sweep counted it: not counted again.
  Record(*a, {Journey("s3", "3", "completed", 99000)}, {true}, kT0 + 50 * kMin);
  EXPECT_EQ(total("completed"), 2);

  const std::map<std::string, std::string> d = {{"app", "shop"}, {"name", "checkout"}, {"outcome", "completed"}};
  EXPECT_EQ(Last("rum_journey_duration_seconds_count", d), 2);
  EXPECT_NEAR(Last("rum_journey_duration_seconds_sum", d), 13.0, 1e-12);
  EXPECT_EQ(Last("rum_journey_duration_seconds_count",
                 {{"app", "shop"}, {"name", "checkout"}, {"outcome", "failed"}}),
            1);
  EXPECT_EQ(CountSeries("rum_journey_duration_seconds_count"), 2u);  // no abandoned histogram
}

TEST_F(RumExtraAggregatorTest, HeldJourneysAreBounded) {
  auto a = Make({.max_tracked = 2});
  ASSERT_NE(a, nullptr);
  Record(*a, {Journey("s1", "1", "abandoned", 1), Journey("s2", "2", "abandoned", 1),
              Journey("s3", "3", "abandoned", 1)},
         {}, kT0);
  EXPECT_EQ(a->held_journeys(), 2u);
  // The oldest counted as abandoned early.
  EXPECT_EQ(Last("rum_journeys_total", {{"app", "shop"}, {"name", "checkout"}, {"outcome", "abandoned"}}), 1);
}

TEST_F(RumExtraAggregatorTest, ResourceSummaryCountsDeltasOncePerPageView) {
  auto a = Make({.max_tracked = 1000});
  ASSERT_NE(a, nullptr);
  Record(*a, {Summary("s1", "pv1", 3, 3000, 1, 500)}, {}, kT0);
  Record(*a, {Summary("s1", "pv1", 5, 8000, 2, 1500)}, {true}, kT0 + 1000);  // running totals grew
  Record(*a, {Summary("s1", "pv1", 5, 8000, 2, 1500)}, {true}, kT0 + 2000);  // re-sent unchanged
  Record(*a, {Summary("s2", "pv2", 1, 100, 0, 0)}, {}, kT0 + 3000);
  // The core SDK's beacon (no summary) is not counted.
  Ev core;
  core.type = EventType::kResource;
  core.attrs = R"({"resources":[{"u":"https://x/a.js","i":"script","s":1,"d":2}]})";
  Record(*a, {core}, {}, kT0 + 3000);
  auto labels = [](std::string type, std::string party) {
    return std::map<std::string, std::string>{{"app", "shop"}, {"page", "/checkout"}, {"type", type}, {"party", party}};
  };
  EXPECT_EQ(Last("rum_resources_total", labels("script", "all")), 6);
  EXPECT_EQ(Last("rum_resource_transfer_bytes_total", labels("script", "all")), 8100);
  EXPECT_EQ(Last("rum_resources_total", labels("all", "first")), 4);
  EXPECT_EQ(Last("rum_resources_total", labels("all", "third")), 2);
  EXPECT_EQ(Last("rum_resource_transfer_bytes_total", labels("all", "third")), 1500);
  EXPECT_EQ(a->remembered_summaries(), 2u);
}

TEST_F(RumExtraAggregatorTest, ReplacingSummaryNotRememberedOnlySetsBaseline) {
  auto a = Make({.max_tracked = 1});
  ASSERT_NE(a, nullptr);
  Record(*a, {Summary("s1", "pv1", 2, 200, 0, 0)}, {}, kT0);
  Record(*a, {Summary("s2", "pv2", 1, 100, 0, 0)}, {}, kT0 + 1);  // pv1 forgotten
  Record(*a, {Summary("s1", "pv1", 3, 300, 0, 0)}, {true}, kT0 + 2);  // growth unknown: not counted
  Record(*a, {Summary("s1", "pv1", 4, 400, 0, 0)}, {true}, kT0 + 3);  // +1 from the new baseline
  EXPECT_EQ(Last("rum_resources_total",
                 {{"app", "shop"}, {"page", "/checkout"}, {"type", "script"}, {"party", "all"}}),
            4);
}

TEST_F(RumExtraAggregatorTest, RestartContinuesFromStoredValues) {
  {
    auto a = Make();
    ASSERT_NE(a, nullptr);
    Record(*a, {Measure("hydrate", 40), Journey("s1", "1", "completed", 4000)}, {}, kT0);
  }
  auto b = Make();
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->num_label_sets(), 3u);
  Record(*b, {Measure("hydrate", 60), Journey("s2", "2", "completed", 1000)}, {}, kT0 + 1000);
  EXPECT_EQ(Last("rum_measure_seconds_count", {{"app", "shop"}, {"page", "/checkout"}, {"name", "hydrate"}}), 2);
  EXPECT_EQ(Last("rum_journeys_total", {{"app", "shop"}, {"name", "checkout"}, {"outcome", "completed"}}), 2);
}

TEST_F(RumExtraAggregatorTest, MalformedAttributesAreIgnored) {
  auto a = Make();
  ASSERT_NE(a, nullptr);
  Ev j = Journey("s1", "1", "completed", 1);
  j.attrs = "{\"outcome\":";
  Ev k = Journey("s2", "2", "done", 1);  // unknown outcome
  Ev r = Summary("s1", "pv", 1, 1, 0, 0);
  r.attrs = R"({"summary":[1,2]})";
  Record(*a, {j, k, r, Measure("ok", 5)}, {}, kT0);
  EXPECT_EQ(a->num_label_sets(), 1u);
}

// SetLimits (rum.max_measure_names / max_pages_per_app / max_apps / journey_timeout
// reloaded): from the next Record()/Sweep(); a lowered cap keeps the admitted names.
TEST_F(RumExtraAggregatorTest, SetLimitsChangesCapsAndJourneyTimeout) {
  auto a = Make({.max_names_per_app = 1, .journey_timeout_ms = 30 * kMin});
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->journey_timeout_ms(), 30 * kMin);
  Record(*a, {Measure("a", 1), Measure("b", 1)}, {}, kT0);
  const auto count = [&](std::string name) {
    return Last("rum_measure_seconds_count", {{"app", "shop"}, {"page", "/checkout"}, {"name", name}});
  };
  EXPECT_TRUE(std::isnan(count("b")));
  EXPECT_EQ(count("other"), 1);

  ASSERT_TRUE(a->SetLimits(0, 500, 2, 5 * kMin).ok());
  EXPECT_EQ(a->journey_timeout_ms(), 5 * kMin);
  Record(*a, {Measure("b", 1), Measure("c", 1)}, {}, kT0 + 1000);
  EXPECT_EQ(count("b"), 1) << "the raised cap admitted b";
  EXPECT_EQ(count("other"), 2) << "c is beyond it";

  ASSERT_TRUE(a->SetLimits(0, 500, 1, 5 * kMin).ok());
  Record(*a, {Measure("a", 1), Measure("b", 1), Measure("d", 1)}, {}, kT0 + 2000);
  EXPECT_EQ(count("a"), 2);
  EXPECT_EQ(count("b"), 2) << "lowered: admitted names go on";
  EXPECT_EQ(count("other"), 3);

  // The new journey timeout: an abandoned journey counts after 5 minutes, not 30.
  Record(*a, {Journey("s9", "9", "abandoned", 1000)}, {}, kT0 + 3000);
  ASSERT_TRUE(a->Sweep(kT0 + 3000 + 5 * kMin).ok());
  EXPECT_EQ(Last("rum_journeys_total", {{"app", "shop"}, {"name", "checkout"}, {"outcome", "abandoned"}}), 1);

  // A bad timeout changes nothing.
  EXPECT_FALSE(a->SetLimits(1, 1, 1, 0).ok());
  EXPECT_EQ(a->journey_timeout_ms(), 5 * kMin);
  Record(*a, {Measure("b", 1)}, {}, kT0 + 4000);
  EXPECT_EQ(count("b"), 3);
}

}  // namespace
}  // namespace perfwatch::ingest
