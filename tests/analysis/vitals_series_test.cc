// GET /api/v1/vitals/series and /api/v1/vitals/histogram over a real event store: exact
// percentiles per aligned step (steps spanning two partitions merged), empty steps left
// out, the JSON shape of the contract, histogram buckets and bad parameters.
#include "analysis/vitals_series.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "analysis/percentile.h"
#include "events/event_store.h"
#include "events/test_events.h"
#include "http/router.h"

namespace perfwatch::analysis {
namespace {

using events::testing::kHour;
using events::testing::kT0;
using events::testing::OwnedEvent;

constexpr int64_t kMin = 60'000;

class VitalsSeriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = events::EventStore::Open(dir_.path(), events::testing::TestConfig(), nullptr);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    RegisterVitalsSeriesHandlers(router_, store_.get());
  }

  void Add(int64_t t, double value, const std::string& page = "/home") {
    events_.push_back(events::testing::Vitals(events::Vital::kLCP, t, value, page));
  }
  void Flush() {
    std::vector<events::EventInput> in;
    for (const OwnedEvent& e : events_) in.push_back(e.View());
    ASSERT_TRUE(store_->Append(in).ok());
    events_.clear();
  }

  http::Response Call(const std::string& path, const std::string& query) {
    query_ = query;
    http::Request req;
    req.method = "GET";
    req.path = path;
    req.query = query_;
    http::Response res;
    auto match = router_.Find("GET", path);
    EXPECT_NE(match.handler, nullptr);
    if (match.handler) (*match.handler)(req, res);
    return res;
  }

  perfwatch::testing::TempDir dir_;
  std::unique_ptr<events::EventStore> store_;
  std::vector<OwnedEvent> events_;
  http::Router router_;
  std::string query_;
};

TEST_F(VitalsSeriesTest, ExactPercentilePerAlignedStepAcrossPartitions) {
  // Steps of 7 minutes, aligned to the epoch: one of them spans the hourly partition
  // boundary at kT0 + 60 min, and its values from both partitions make one percentile.
  const int64_t step = 7 * kMin;
  const int64_t boundary = kT0 + kHour;
  const int64_t spanning = boundary / step * step;  // starts before the boundary, ends after
  ASSERT_LT(spanning, boundary);
  ASSERT_GT(spanning + step, boundary);
  std::vector<double> in_spanning = {100, 900, 400, 700, 250};
  Add(spanning + 1, in_spanning[0]);
  Add(boundary - 1, in_spanning[1]);
  Add(boundary, in_spanning[2]);  // the next partition
  Add(boundary + 1000, in_spanning[3]);
  Add(spanning + step - 1, in_spanning[4]);
  Add(spanning + step, 5000);              // the next step
  Add(spanning + 3 * step + 10, 42);       // two empty steps between
  Flush();

  VitalsRequest r;
  r.scan.vital = events::Vital::kLCP;
  r.scan.from_ms = kT0;
  r.scan.to_ms = kT0 + 3 * kHour;
  r.percentile = 75;
  auto series = ComputeVitalSeries(*store_, r, step);
  ASSERT_TRUE(series.ok()) << series.status().ToString();
  ASSERT_EQ(series->size(), 1u);
  const VitalSeries& s = (*series)[0];
  EXPECT_EQ(s.step_starts_ms, (std::vector<int64_t>{spanning, spanning + step, spanning + 3 * step}));
  EXPECT_EQ(s.counts, (std::vector<uint64_t>{5, 1, 1}));
  std::sort(in_spanning.begin(), in_spanning.end());
  EXPECT_DOUBLE_EQ(s.values[0], PercentileOfSorted(in_spanning, 75));
  EXPECT_DOUBLE_EQ(s.values[1], 5000);
  EXPECT_DOUBLE_EQ(s.values[2], 42);
}

TEST_F(VitalsSeriesTest, AnswersTheContractShapeGroupedByPage) {
  Add(kT0 + 10 * kMin, 1000, "/a");
  Add(kT0 + 10 * kMin + 1, 3000, "/a");
  Add(kT0 + 20 * kMin, 2000, "/b");
  Flush();
  auto res = Call("/api/v1/vitals/series", "metric=LCP&step=300&by=page&percentile=50&from=" +
                                               std::to_string(kT0 / 1000) + "&to=" + std::to_string(kT0 / 1000 + 3600));
  ASSERT_EQ(res.status, 200) << res.body;
  const std::string t10 = std::to_string((kT0 + 10 * kMin) / 1000), t20 = std::to_string((kT0 + 20 * kMin) / 1000);
  EXPECT_EQ(res.body, R"({"status":"success","data":{"metric":"LCP","from":)" + std::to_string(kT0 / 1000) +
                          R"(,"to":)" + std::to_string(kT0 / 1000 + 3600) +
                          R"(,"percentile":50,"step":300,"series":[)"
                          R"({"labels":{"page":"/a"},"timestamps":[)" + t10 + R"(],"values":[2000],"counts":[2]},)"
                          R"({"labels":{"page":"/b"},"timestamps":[)" + t20 + R"(],"values":[2000],"counts":[1]}]}})");
  // Nothing in range: no series.
  res = Call("/api/v1/vitals/series", "metric=CLS&step=5m");
  ASSERT_EQ(res.status, 200);
  EXPECT_NE(res.body.find(R"("step":300,"series":[])"), std::string::npos) << res.body;
}

TEST_F(VitalsSeriesTest, RefusesBadStepsAndTooManyPoints) {
  for (const char* q : {"metric=LCP&step=0", "metric=LCP&step=-5", "metric=LCP&step=soon", "metric=LCP&step=1ms&window=1d",
                        "metric=nope&step=60"}) {
    auto res = Call("/api/v1/vitals/series", q);
    EXPECT_EQ(res.status, 400) << q << ": " << res.body;
    EXPECT_NE(res.body.find(R"("errorType":"bad_data")"), std::string::npos) << q;
  }
  auto res = Call("/api/v1/vitals/series", "metric=LCP&step=1&window=1d");
  EXPECT_NE(res.body.find("more than 11000 steps"), std::string::npos) << res.body;
}

TEST_F(VitalsSeriesTest, HistogramCountsEveryValueOnceWithThresholds) {
  // LCP poor threshold 4000 ms: the automatic range is 0 .. NiceCeil(max(6000, p99)).
  for (int i = 0; i < 100; ++i) Add(kT0 + i * 1000, i * 50.0);  // 0 .. 4950
  Add(kT0 + 200'000, 60'000);                                   // far out: the open bucket
  Flush();
  const std::string range = "&from=" + std::to_string(kT0 / 1000) + "&to=" + std::to_string(kT0 / 1000 + 3600);
  VitalsRequest r;
  r.scan.vital = events::Vital::kLCP;
  r.scan.from_ms = kT0;
  r.scan.to_ms = kT0 + kHour;
  auto h = ComputeVitalHistogram(*store_, r, 10, {});
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->count, 101u);
  ASSERT_EQ(h->edges.size(), 11u);  // 10 equal buckets + the open one
  EXPECT_EQ(h->edges.back(), 10000);  // p99 = 4950.5 < 6000 -> 10000 (1, 2, 2.5, 5 x 10^k)
  EXPECT_EQ(h->edges[1], 1000);
  uint64_t sum = 0;
  for (uint64_t c : h->counts) sum += c;
  EXPECT_EQ(sum, 101u);
  EXPECT_EQ(h->counts[0], 20u);   // 0 .. 950
  EXPECT_EQ(h->counts[4], 20u);   // 4000 .. 4950
  EXPECT_EQ(h->counts[5], 0u);
  EXPECT_EQ(h->counts.back(), 1u);  // 60000

  auto res = Call("/api/v1/vitals/histogram", "metric=LCP&buckets=0,2500,4000" + range);
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_NE(res.body.find(R"("thresholds":{"good":2500,"poor":4000},"buckets":[{"from":0,"to":2500,"count":50},)"
                          R"({"from":2500,"to":4000,"count":30},{"from":4000,"to":null,"count":21}]}})"),
            std::string::npos)
      << res.body;
  for (const char* q : {"metric=LCP&buckets=0", "metric=LCP&buckets=1001", "metric=LCP&buckets=5,3",
                        "metric=LCP&buckets=1,x"}) {
    EXPECT_EQ(Call("/api/v1/vitals/histogram", q).status, 400) << q;
  }
}

}  // namespace
}  // namespace perfwatch::analysis
