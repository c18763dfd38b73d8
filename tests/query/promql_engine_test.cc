// Engine API behaviour not covered by the script tests: result types, error kinds,
// timeouts and sample statistics.
#include "query/promql_engine.h"

#include <gtest/gtest.h>

#include "query/promql_parser.h"
#include "tsdb/head.h"

namespace perfwatch::query::promql {
namespace {

class EngineTest : public ::testing::Test {
 protected:
  EngineTest() : head_(tsdb::HeadOptions{}, nullptr), queryable_(&head_), engine_(&queryable_) {
    auto labels = tsdb::Labels::FromPairs({{"__name__", "up"}, {"job", "x"}});
    auto views = labels.Views();
    std::vector<tsdb::Sample> samples;
    for (int i = 0; i < 10; ++i) samples.push_back({i * 10'000, static_cast<double>(i)});
    tsdb::SeriesSamples ss{views, samples};
    EXPECT_TRUE(head_.AppendBatch(std::span<const tsdb::SeriesSamples>(&ss, 1)).ok());
  }
  ExprPtr Parse(std::string_view q) {
    auto r = ParseExpr(q);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : nullptr;
  }

  tsdb::Head head_;
  HeadQueryable queryable_;
  Engine engine_;
};

TEST_F(EngineTest, InstantResultTypes) {
  auto s = engine_.InstantQuery(*Parse("1 + 2"), 5'000);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(std::holds_alternative<Scalar>(*s));
  EXPECT_EQ(std::get<Scalar>(*s).v, 3);
  EXPECT_EQ(std::get<Scalar>(*s).t, 5'000);

  auto str = engine_.InstantQuery(*Parse("\"hello\""), 5'000);
  ASSERT_TRUE(str.ok());
  ASSERT_TRUE(std::holds_alternative<String>(*str));
  EXPECT_EQ(std::get<String>(*str).v, "hello");

  auto v = engine_.InstantQuery(*Parse("up"), 25'000);
  ASSERT_TRUE(v.ok());
  const auto& vec = std::get<Vector>(*v);
  ASSERT_EQ(vec.size(), 1u);
  EXPECT_EQ(vec[0].t, 25'000);
  EXPECT_EQ(vec[0].v, 2);

  auto m = engine_.InstantQuery(*Parse("up[30s]"), 30'000);
  ASSERT_TRUE(m.ok());
  const auto& mat = std::get<Matrix>(*m);
  ASSERT_EQ(mat.size(), 1u);
  ASSERT_EQ(mat[0].points.size(), 4u);
  EXPECT_EQ(mat[0].points[0].t, 0);
}

TEST_F(EngineTest, RangeQueryOfScalarIsOneSeries) {
  auto m = engine_.RangeQuery(*Parse("time()"), 0, 60'000, 30'000);
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->size(), 1u);
  EXPECT_TRUE((*m)[0].metric.empty());
  ASSERT_EQ((*m)[0].points.size(), 3u);
  EXPECT_EQ((*m)[0].points[2].v, 60);
}

TEST_F(EngineTest, ErrorKinds) {
  auto bad = engine_.RangeQuery(*Parse("up"), 0, 60'000, 0);
  EXPECT_EQ(ErrorTypeFor(bad.status()), QueryErrorType::kBadData);
  EXPECT_EQ(QueryErrorTypeName(ErrorTypeFor(bad.status())), "bad_data");

  QueryOptions tiny;
  tiny.max_samples = 2;
  auto many = engine_.InstantQuery(*Parse("up[1m]"), 60'000, tiny);
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(ErrorTypeFor(many.status()), QueryErrorType::kExecution);
  EXPECT_EQ(many.status().code(), StatusCode::kResourceExhausted);

  auto dup = engine_.InstantQuery(*Parse("label_replace(up, \"job\", \"y\", \"job\", \".*\") or up"), 0);
  EXPECT_TRUE(dup.ok());
  auto exec = engine_.InstantQuery(*Parse("up * on() group_left up"), 0);
  EXPECT_TRUE(exec.ok());
  auto bad_regex = engine_.InstantQuery(*Parse("label_replace(up, \"a\", \"\", \"job\", \"(\")"), 0);
  ASSERT_FALSE(bad_regex.ok());
  EXPECT_EQ(QueryErrorTypeName(ErrorTypeFor(bad_regex.status())), "execution");

  EXPECT_EQ(ErrorTypeFor(Status(StatusCode::kUnavailable, "query timed out in expression evaluation")),
            QueryErrorType::kTimeout);
  EXPECT_EQ(ErrorTypeFor(Status(StatusCode::kIo, "read")), QueryErrorType::kInternal);
}

TEST_F(EngineTest, TimesOut) {
  QueryOptions opts;
  opts.timeout = std::chrono::milliseconds(1);
  // Two million steps of per-step work take far longer than 1 ms.
  auto r = engine_.RangeQuery(*Parse("sum(vector(time()) + up)"), 0, 2'000'000'000, 1'000, opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message().rfind("query timed out in ", 0), 0u) << r.status().message();
}

TEST_F(EngineTest, StopsWhenTheCallerHasGoneAndNotBefore) {
  // The callback is asked while the query runs (at most every 10 ms); once it says the
  // caller has gone, the query stops with "canceled", as Prometheus' does.
  int asked = 0;
  const auto start = std::chrono::steady_clock::now();
  QueryOptions opts;
  opts.cancelled = [&] {
    ++asked;
    return std::chrono::steady_clock::now() - start > std::chrono::milliseconds(50);
  };
  auto r = engine_.RangeQuery(*Parse("sum(vector(time()) + up)"), 0, 2'000'000'000, 1'000, opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(r.status().message().rfind("query was canceled in ", 0), 0u) << r.status().message();
  EXPECT_EQ(ErrorTypeFor(r.status()), QueryErrorType::kCanceled);
  EXPECT_EQ(QueryErrorTypeName(ErrorTypeFor(r.status())), "canceled");
  EXPECT_GE(asked, 2);  // asked more than once: the callback, not a first check, stopped it

  // A caller that stays: the same callback shape never stops a query that finishes.
  QueryOptions staying;
  int staying_asked = 0;
  staying.cancelled = [&] {
    ++staying_asked;
    return false;
  };
  auto ok = engine_.RangeQuery(*Parse("vector(time())"), 0, 20'000'000, 1'000, staying);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  ASSERT_EQ(ok->size(), 1u);
  EXPECT_EQ((*ok)[0].points.size(), 20'001u);
  EXPECT_GE(staying_asked, 1);
}

TEST_F(EngineTest, ReportsPeakSamples) {
  QueryStats stats;
  QueryOptions opts;
  opts.stats = &stats;
  auto r = engine_.InstantQuery(*Parse("up[1m]"), 60'000, opts);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(stats.peak_samples, 7);
  auto s = engine_.RangeQuery(*Parse("sum(up)"), 0, 90'000, 10'000, opts);
  ASSERT_TRUE(s.ok());
  EXPECT_GE(stats.peak_samples, 10);
}

}  // namespace
}  // namespace perfwatch::query::promql
