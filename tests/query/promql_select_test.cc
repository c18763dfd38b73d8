// The evaluator's read path over many series: beyond the first few series a producer
// thread reads and decodes while the query thread evaluates (promql_select.cc). Results
// must be exactly those of the sequential path, in the same order, and errors from
// either side must stop both.
#include <gtest/gtest.h>

#include "query/promql_engine.h"
#include "query/promql_parser.h"
#include "tsdb/head.h"

namespace perfwatch::query::promql {
namespace {

constexpr int kSeries = 1000;  // far beyond the sequential prefix and many batches

class SelectTest : public ::testing::Test {
 protected:
  SelectTest() : head_(tsdb::HeadOptions{}, nullptr), queryable_(&head_), engine_(&queryable_) {
    // counter_total{i="0000".."0999", g="0".."9"}: series i grows by i per 10 s.
    std::vector<tsdb::Labels> labels;
    std::vector<std::vector<tsdb::LabelView>> views;
    std::vector<std::vector<tsdb::Sample>> samples(kSeries);
    for (int i = 0; i < kSeries; ++i) {
      char id[8];
      std::snprintf(id, sizeof id, "%04d", i);
      labels.push_back(tsdb::Labels::FromPairs({{"__name__", "counter_total"}, {"g", std::to_string(i % 10)}, {"i", id}}));
      for (int k = 0; k <= 60; ++k) samples[i].push_back({k * 10'000, static_cast<double>(i) * k});
    }
    std::vector<tsdb::SeriesSamples> batch;
    for (int i = 0; i < kSeries; ++i) views.push_back(labels[i].Views());
    for (int i = 0; i < kSeries; ++i) batch.push_back({views[i], samples[i]});
    EXPECT_TRUE(head_.AppendBatch(batch).ok());
  }
  Result<Value> Instant(std::string_view q, int64_t t) {
    auto e = ParseExpr(q);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return engine_.InstantQuery(**e, t);
  }

  tsdb::Head head_;
  HeadQueryable queryable_;
  Engine engine_;
};

TEST_F(SelectTest, ManySeriesKeepLabelOrderAndValues) {
  auto v = Instant("counter_total", 600'000);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  const Vector& vec = std::get<Vector>(*v);
  ASSERT_EQ(vec.size(), static_cast<size_t>(kSeries));
  for (int i = 0; i < kSeries; ++i) {
    // Label order: g first, then i.
    int g = i / 100, within = i % 100;
    int want = within * 10 + g;
    EXPECT_EQ(vec[i].v, 60.0 * want) << i;
    EXPECT_EQ(vec[i].metric.Get("g"), std::to_string(g));
  }
}

TEST_F(SelectTest, RangeFunctionsAndAggregationsOverManySeries) {
  auto v = Instant("sum by (g) (rate(counter_total[1m]))", 600'000);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  const Vector& vec = std::get<Vector>(*v);
  ASSERT_EQ(vec.size(), 10u);
  for (const Sample& s : vec) {
    int g = std::stoi(std::string(s.metric.Get("g")));
    double want = 0;
    for (int i = g; i < kSeries; i += 10) want += i / 10.0;  // rate of series i: i per 10 s
    EXPECT_NEAR(s.v, want, 1e-9 * want) << g;
  }
  auto range = ParseExpr("count(counter_total > 100)");
  ASSERT_TRUE(range.ok());
  auto m = engine_.RangeQuery(**range, 0, 600'000, 60'000);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_EQ(m->size(), 1u);
  for (const Point& p : (*m)[0].points) {
    int k = static_cast<int>(p.t / 10'000);
    int want = 0;
    for (int i = 0; i < kSeries; ++i) want += static_cast<double>(i) * k > 100;
    EXPECT_EQ(p.v, want) << p.t;
  }
}

TEST_F(SelectTest, AnErrorMidStreamStopsTheProducer) {
  // Dropping the `i` label makes series collide long after the sequential prefix.
  auto v = Instant(R"(label_replace(counter_total, "i", "", "", ""))", 600'000);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("same labelset"), std::string::npos) << v.status().message();
  // A sample limit hit while the producer is ahead.
  auto e = ParseExpr("counter_total[10m]");
  ASSERT_TRUE(e.ok());
  QueryOptions small;
  small.max_samples = 5000;
  auto limited = engine_.InstantQuery(**e, 600'000, small);
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(limited.status().code(), StatusCode::kResourceExhausted);
  // The engine still answers afterwards.
  EXPECT_TRUE(Instant("count(counter_total)", 600'000).ok());
}

}  // namespace
}  // namespace perfwatch::query::promql
