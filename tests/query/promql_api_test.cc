#include "query/promql_api.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "tsdb/head.h"

namespace perfwatch::query {
namespace {

std::string Value(double v) {
  std::string s;
  AppendPromValue(s, v);
  return s;
}

std::string Ts(int64_t ms) {
  std::string s;
  AppendPromTimestamp(s, ms);
  return s;
}

TEST(PromqlApiFormatTest, ValuesAsPrometheusWritesThem) {
  EXPECT_EQ(Value(1), "1");
  EXPECT_EQ(Value(0), "0");
  EXPECT_EQ(Value(-2.5), "-2.5");
  EXPECT_EQ(Value(0.1), "0.1");
  EXPECT_EQ(Value(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(Value(1e-7), "1e-07");
  EXPECT_EQ(Value(123456789012.0), "123456789012");
  EXPECT_EQ(Value(1e21), "1e+21");
  EXPECT_EQ(Value(1e20), "100000000000000000000");
  EXPECT_EQ(Value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(Value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(Value(std::nan("")), "NaN");
}

TEST(PromqlApiFormatTest, TimestampsKeepThreeFractionDigits) {
  EXPECT_EQ(Ts(1'700'000'000'000), "1700000000");
  EXPECT_EQ(Ts(1'700'000'000'250), "1700000000.250");
  EXPECT_EQ(Ts(1'700'000'000'005), "1700000000.005");
  EXPECT_EQ(Ts(-1500), "-1.500");
  EXPECT_EQ(Ts(0), "0");
}

TEST(PromqlApiFormatTest, DurationParameters) {
  EXPECT_EQ(*ParseDurationParam("15"), 15'000);
  EXPECT_EQ(*ParseDurationParam("0.5"), 500);
  EXPECT_EQ(*ParseDurationParam("1m30s"), 90'000);
  EXPECT_EQ(*ParseDurationParam("-2"), -2'000);  // the handler rejects it as a step
  EXPECT_EQ(ParseDurationParam("soon").status().message(), "cannot parse \"soon\" to a valid duration");
  EXPECT_FALSE(ParseDurationParam("").ok());
  EXPECT_FALSE(ParseDurationParam("1e300").ok());
}

TEST(PromqlApiFormatTest, QueryDataShapes) {
  std::string out;
  AppendQueryData(out, promql::Value(promql::Scalar{1'700'000'000'500, 2}));
  EXPECT_EQ(out, R"({"resultType":"scalar","result":[1700000000.500,"2"]})");
  out.clear();
  AppendQueryData(out, promql::Value(promql::String{1'000, "a\"b"}));
  EXPECT_EQ(out, R"({"resultType":"string","result":[1,"a\"b"]})");
  out.clear();
  promql::Vector v;
  v.push_back({tsdb::Labels::FromPairs({{"__name__", "up"}, {"job", "x"}}), 2'000, 1});
  AppendQueryData(out, promql::Value(std::move(v)));
  EXPECT_EQ(out, R"({"resultType":"vector","result":[{"metric":{"__name__":"up","job":"x"},"value":[2,"1"]}]})");
  out.clear();
  promql::Matrix m;
  m.push_back({tsdb::Labels::FromPairs({{"a", "b"}}), {{1'000, 1}, {2'000, std::nan("")}}});
  AppendQueryData(out, promql::Value(std::move(m)));
  EXPECT_EQ(out, R"({"resultType":"matrix","result":[{"metric":{"a":"b"},"values":[[1,"1"],[2,"NaN"]]}]})");
}

// The handlers over an in-memory head.
class PromqlApiTest : public ::testing::Test {
 protected:
  PromqlApiTest() : queryable_(&head_), engine_(&queryable_) {
    std::vector<tsdb::Sample> samples;
    for (int i = 0; i <= 60; ++i) samples.push_back({kStart + i * 10'000, static_cast<double>(i)});
    tsdb::Labels labels = tsdb::Labels::FromPairs({{"__name__", "requests_total"}, {"job", "api"}});
    auto views = labels.Views();
    tsdb::SeriesSamples ss{views, samples};
    EXPECT_TRUE(head_.AppendBatch(std::span<const tsdb::SeriesSamples>(&ss, 1)).ok());
    RegisterPromqlApi(router_, &engine_, BuildInfo{"1.2.3", "abc", "2026-11-22"});
  }

  http::Response Call(std::string method, std::string path, std::string query, std::string body = "") {
    query_ = std::move(query);
    body_ = std::move(body);
    http::Request req;
    req.method = method;
    req.path = path;
    req.query = query_;
    req.body = body_;
    if (!body_.empty()) req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    http::Response res;
    auto match = router_.Find(method, path);
    EXPECT_NE(match.handler, nullptr) << path;
    if (match.handler) (*match.handler)(req, res);
    return res;
  }

  static constexpr int64_t kStart = 1'700'000'000'000;
  tsdb::Head head_{tsdb::HeadOptions{}, nullptr};
  promql::HeadQueryable queryable_;
  promql::Engine engine_;
  http::Router router_;
  std::string query_, body_;
};

TEST_F(PromqlApiTest, InstantQueryGetAndPost) {
  auto res = Call("GET", "/api/v1/query", "query=requests_total&time=1700000300");
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body,
            R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"requests_total","job":"api"},"value":[1700000300,"30"]}]}})");
  auto post = Call("POST", "/api/v1/query", "", "query=rate(requests_total%5B1m%5D)&time=2023-11-14T22:18:20Z");
  EXPECT_EQ(post.status, 200);
  EXPECT_EQ(post.body,
            R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"api"},"value":[1700000300,"0.1"]}]}})");
}

TEST_F(PromqlApiTest, RangeQuery) {
  auto res = Call("GET", "/api/v1/query_range", "query=requests_total*2&start=1700000000&end=1700000060&step=30s");
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body,
            R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"api"},"values":[[1700000000,"0"],[1700000030,"6"],[1700000060,"12"]]}]}})");
  auto scalar = Call("GET", "/api/v1/query_range", "query=1%2B1&start=1700000000&end=1700000010&step=10");
  EXPECT_EQ(scalar.body,
            R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1700000000,"2"],[1700000010,"2"]]}]}})");
}

TEST_F(PromqlApiTest, BadRequestsGetPrometheusErrors) {
  struct Case {
    std::string path, query;
    int status;
    std::string body;
  };
  const Case cases[] = {
      {"/api/v1/query", "query=rate(requests_total)", 400,
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:6: parse error: expected type range vector in call to function \"rate\", got instant vector"})"},
      {"/api/v1/query", "query=up&time=soon", 400,
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"time\": cannot parse \"soon\" to a valid timestamp"})"},
      {"/api/v1/query_range", "query=up&start=10&end=5&step=1", 400,
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"end\": end timestamp must not be before start time"})"},
      {"/api/v1/query_range", "query=up&start=0&end=5&step=0", 400,
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer"})"},
      {"/api/v1/query_range", "query=up&start=0&end=100000&step=1", 400,
       R"j({"status":"error","errorType":"bad_data","error":"exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"})j"},
      {"/api/v1/query_range", "query=up&end=5&step=1", 400,
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"start\": cannot parse \"\" to a valid timestamp"})"},
      {"/api/v1/query", "query=up&timeout=x", 400,
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"timeout\": cannot parse \"x\" to a valid duration"})"},
  };
  for (const Case& c : cases) {
    auto res = Call("GET", c.path, c.query);
    EXPECT_EQ(res.status, c.status) << c.query;
    EXPECT_EQ(res.body, c.body) << c.query;
  }
  // Evaluation errors are "execution" (422): two left series match one right series.
  auto exec = Call("GET", "/api/v1/query",
                   "query=(requests_total%20or%20label_replace(requests_total,%22job%22,%22y%22,%22%22,%22%22))"
                   "%20%2B%20on()%20requests_total&time=1700000300");
  EXPECT_EQ(exec.status, 422) << exec.body;
  EXPECT_NE(exec.body.find(R"("errorType":"execution")"), std::string::npos) << exec.body;
  EXPECT_NE(exec.body.find("many-to-one matching must be explicit"), std::string::npos) << exec.body;
}

TEST_F(PromqlApiTest, BuildInfoAndExemplars) {
  auto info = Call("GET", "/api/v1/status/buildinfo", "");
  EXPECT_EQ(info.status, 200);
  EXPECT_NE(info.body.find(R"("version":"2.42.0")"), std::string::npos);
  EXPECT_NE(info.body.find(R"("perfwatchVersion":"1.2.3")"), std::string::npos);
  auto ex = Call("GET", "/api/v1/query_exemplars", "query=requests_total&start=0&end=10");
  EXPECT_EQ(ex.body, R"({"status":"success","data":[]})");
  auto bad = Call("GET", "/api/v1/query_exemplars", "query=%7B");
  EXPECT_EQ(bad.status, 400);
  auto none = Call("GET", "/api/v1/query_exemplars", "");
  EXPECT_EQ(none.body, R"({"status":"error","errorType":"bad_data","error":"1:1: parse error: no expression found in input"})");
  auto backwards = Call("GET", "/api/v1/query_exemplars", "query=up&start=10&end=5");
  EXPECT_EQ(backwards.body,
            R"({"status":"error","errorType":"bad_data","error":"end timestamp must not be before start timestamp"})");
}

}  // namespace
}  // namespace perfwatch::query
