// The query cache: which expressions may be cached, and answers served only while the
// store reports no change at or before the query's end time; through the HTTP handlers.
#include "query/promql_cache.h"

#include <gtest/gtest.h>

#include "query/promql_api.h"
#include "query/promql_parser.h"
#include "tsdb/head.h"

namespace perfwatch::query {
namespace {

bool Cacheable(std::string_view q) {
  auto e = promql::ParseExpr(q);
  EXPECT_TRUE(e.ok()) << q;
  return QueryCache::Cacheable(**e);
}

TEST(QueryCacheTest, CacheableExpressions) {
  EXPECT_TRUE(Cacheable("sum by (job) (rate(x[5m]))"));
  EXPECT_TRUE(Cacheable("x offset 5m + on() group_left y"));
  EXPECT_TRUE(Cacheable("max_over_time(rate(x[1m])[10m:1m])"));
  EXPECT_TRUE(Cacheable("time() + 1"));
  EXPECT_FALSE(Cacheable("x @ 1700000000"));  // may read after the query's end
  EXPECT_FALSE(Cacheable("rate(x[5m] @ end())"));
  EXPECT_FALSE(Cacheable("x offset -5m"));
  EXPECT_FALSE(Cacheable("sum(x) + max_over_time(y[5m:] offset -1m)"));
  EXPECT_FALSE(Cacheable("topk(scalar(x @ 5), y)"));
}

TEST(QueryCacheTest, GetPutValidityAndEviction) {
  tsdb::ChangeTracker changes;
  MetricsRegistry metrics;
  QueryCache cache(1000, &changes, &metrics);
  uint64_t e = cache.epoch();
  cache.Put("a", 100, e, "answer-a");
  EXPECT_EQ(cache.Get("a", 100).value_or(""), "answer-a");
  EXPECT_FALSE(cache.Get("a", 101).has_value()) << "another end time";
  cache.Put("a", 100, cache.epoch(), "answer-a");
  changes.Record(200);  // newer data: still valid
  EXPECT_EQ(cache.Get("a", 100).value_or(""), "answer-a");
  changes.Record(100);  // data at the end time changed
  EXPECT_FALSE(cache.Get("a", 100).has_value());
  EXPECT_FALSE(cache.Get("a", 100).has_value()) << "dropped";
  // Too large for an eighth of the bound: not kept. LRU eviction beyond the bound.
  cache.Put("big", 1, cache.epoch(), std::string(200, 'x'));
  EXPECT_FALSE(cache.Get("big", 1).has_value());
  for (int i = 0; i < 20; ++i) cache.Put("k" + std::to_string(i), 1, cache.epoch(), std::string(100, 'y'));
  EXPECT_LE(cache.bytes(), 1000u);
  EXPECT_TRUE(cache.Get("k19", 1).has_value());
  EXPECT_FALSE(cache.Get("k0", 1).has_value());
  EXPECT_GT(metrics.GetCounter("perfwatch_query_cache_hits_total", "")->Value(), 0u);
}

// SetMaxBytes (query.cache_max_bytes reloaded): lowering evicts the least recently used
// answers down to the new bound, 0 keeps nothing, raising from 0 caches again.
TEST(QueryCacheTest, SetMaxBytesEvictsDownAndReenables) {
  tsdb::ChangeTracker changes;
  QueryCache cache(8000, &changes, nullptr);
  for (int i = 0; i < 10; ++i) cache.Put("k" + std::to_string(i), 1, cache.epoch(), std::string(98, 'y'));
  EXPECT_EQ(cache.size(), 10u);
  EXPECT_EQ(cache.bytes(), 1000u);  // 2-byte keys + 98-byte bodies
  ASSERT_TRUE(cache.Get("k0", 1).has_value());  // k0 becomes the most recently used
  cache.SetMaxBytes(450);
  EXPECT_EQ(cache.max_bytes(), 450u);
  EXPECT_EQ(cache.size(), 4u);
  EXPECT_LE(cache.bytes(), 450u);
  EXPECT_TRUE(cache.Get("k0", 1).has_value()) << "recently used answers stay";
  EXPECT_TRUE(cache.Get("k9", 1).has_value());
  EXPECT_FALSE(cache.Get("k1", 1).has_value()) << "the least recently used went first";
  // Under the new bound, an answer over an eighth of it is not kept.
  cache.Put("big", 1, cache.epoch(), std::string(98, 'z'));
  EXPECT_FALSE(cache.Get("big", 1).has_value());
  cache.SetMaxBytes(0);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.bytes(), 0u);
  cache.Put("a", 1, cache.epoch(), "answer");
  EXPECT_FALSE(cache.Get("a", 1).has_value()) << "0: no cache";
  cache.SetMaxBytes(1 << 20);
  cache.Put("a", 1, cache.epoch(), "answer");
  EXPECT_EQ(cache.Get("a", 1).value_or(""), "answer");
}

// Through the handlers: a repeated query is served from the cache until a sample at or
// before its end time arrives.
TEST(QueryCacheTest, HandlersServeRepeatsAndSeeLateData) {
  tsdb::Head head(tsdb::HeadOptions{}, nullptr);
  promql::HeadQueryable queryable(&head);
  promql::Engine engine(&queryable);
  tsdb::ChangeTracker changes;
  MetricsRegistry metrics;
  QueryCache cache(1 << 20, &changes, &metrics);
  http::Router router;
  RegisterPromqlApi(router, &engine, BuildInfo{}, &cache);
  auto labels = tsdb::Labels::FromPairs({{"__name__", "m"}});
  auto views = labels.Views();
  auto append = [&](int64_t t, double v) {
    tsdb::Sample s{t, v};
    tsdb::SeriesSamples ss{views, std::span<const tsdb::Sample>(&s, 1)};
    ASSERT_TRUE(head.AppendBatch(std::span<const tsdb::SeriesSamples>(&ss, 1)).ok());
    changes.Record(t);  // what Tsdb::AppendBatch does
  };
  auto query = [&](std::string q) {
    static std::string storage;
    storage = std::move(q);
    http::Request req;
    req.method = "GET";
    req.path = "/api/v1/query";
    req.query = storage;
    http::Response res;
    (*router.Find("GET", "/api/v1/query").handler)(req, res);
    return res.body;
  };
  append(10'000, 1);
  append(20'000, 2);
  const std::string q = "query=sum_over_time(m%5B1m%5D)&time=30";
  EXPECT_NE(query(q).find("\"3\""), std::string::npos);
  auto* hits = metrics.GetCounter("perfwatch_query_cache_hits_total", "");
  EXPECT_NE(query(q).find("\"3\""), std::string::npos);
  EXPECT_EQ(hits->Value(), 1u);
  append(40'000, 4);  // after the query's end: the cached answer stands
  EXPECT_NE(query(q).find("\"3\""), std::string::npos);
  EXPECT_EQ(hits->Value(), 2u);
  // A late sample before the end time: re-evaluated (old-out-of-order appends need the
  // head's window, so use a new series at an old time instead).
  auto l2 = tsdb::Labels::FromPairs({{"__name__", "m"}, {"x", "late"}});
  auto v2 = l2.Views();
  tsdb::Sample late{25'000, 10};
  tsdb::SeriesSamples ss{v2, std::span<const tsdb::Sample>(&late, 1)};
  ASSERT_TRUE(head.AppendBatch(std::span<const tsdb::SeriesSamples>(&ss, 1)).ok());
  changes.Record(25'000);
  const std::string fresh = query(q);
  EXPECT_NE(fresh.find("\"10\""), std::string::npos) << fresh;  // the late series is in the answer
  EXPECT_EQ(hits->Value(), 2u);
}

}  // namespace
}  // namespace perfwatch::query
