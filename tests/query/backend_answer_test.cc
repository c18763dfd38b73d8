// Reading Prometheus HTTP API query answers (query/backend_answer.h).
#include "query/backend_answer.h"

#include <gtest/gtest.h>

#include <cmath>

namespace perfwatch::query {
namespace {

TEST(BackendAnswerTest, Vector) {
  auto v = ParseQueryAnswer(R"({"status":"success","data":{"resultType":"vector","result":[
    {"metric":{"__name__":"up","job":"a"},"value":[1700000000.25,"1"]},
    {"metric":{"job":"b"},"value":[1700000000,"+Inf"]}]},"stats":{"seriesFetched":"2"}})");
  ASSERT_TRUE(v.ok()) << v.status().message();
  const auto& vec = std::get<promql::Vector>(*v);
  ASSERT_EQ(vec.size(), 2u);
  EXPECT_EQ(vec[0].metric, tsdb::Labels::FromPairs({{"__name__", "up"}, {"job", "a"}}));
  EXPECT_EQ(vec[0].t, 1700000000250);
  EXPECT_EQ(vec[0].v, 1);
  EXPECT_EQ(vec[1].metric.Get("job"), "b");
  EXPECT_TRUE(std::isinf(vec[1].v) && vec[1].v > 0);
}

TEST(BackendAnswerTest, ScalarStringMatrix) {
  auto s = ParseQueryAnswer(
      R"({"status":"success","data":{"resultType":"scalar","result":[1700000000,"-2.5e-3"]}})");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(std::get<promql::Scalar>(*s).v, -2.5e-3);
  EXPECT_EQ(std::get<promql::Scalar>(*s).t, 1700000000000);

  auto str = ParseQueryAnswer(
      R"({"status":"success","data":{"resultType":"string","result":[1.5,"hi"]}})");
  ASSERT_TRUE(str.ok()) << str.status().message();
  EXPECT_EQ(std::get<promql::String>(*str).v, "hi");
  EXPECT_EQ(std::get<promql::String>(*str).t, 1500);

  auto m = ParseQueryAnswer(R"({"status":"success","data":{"resultType":"matrix","result":[
    {"metric":{"x":"1"},"values":[[10,"1"],[25,"NaN"]]}]}})");
  ASSERT_TRUE(m.ok()) << m.status().message();
  const auto& matrix = std::get<promql::Matrix>(*m);
  ASSERT_EQ(matrix.size(), 1u);
  ASSERT_EQ(matrix[0].points.size(), 2u);
  EXPECT_EQ(matrix[0].points[1].t, 25000);
  EXPECT_TRUE(std::isnan(matrix[0].points[1].v));
}

TEST(BackendAnswerTest, ErrorAnswers) {
  auto bad =
      ParseQueryAnswer(R"({"status":"error","errorType":"bad_data","error":"1:5: parse error"})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "bad_data: 1:5: parse error");
  auto exec =
      ParseQueryAnswer(R"({"status":"error","errorType":"execution","error":"too many series"})");
  ASSERT_FALSE(exec.ok());
  EXPECT_EQ(exec.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(exec.status().message(), "execution: too many series");
}

TEST(BackendAnswerTest, MalformedAnswersAreErrors) {
  for (
      const char* body : {
          "",
          "not json",
          "[]",
          R"({"status":"success"})",
          R"({"status":"weird","data":{}})",
          R"({"status":"success","data":{"resultType":"vector"}})",
          R"({"status":"success","data":{"resultType":"vector","result":{}}})",
          R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,2]}]}})",
          R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":1},"value":[1,"2"]}]}})",
          R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":["1","2"]}]}})",
          R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1e300,"2"]}]}})",
          R"({"status":"success","data":{"resultType":"scalar","result":[1,"0x10"]}})",
          R"({"status":"success","data":{"resultType":"scalar","result":[1," 1"]}})",
          R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1]]}]}})",
          R"({"status":"success","data":{"resultType":"histogram","result":[]}})",
          R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"1","a":"2"},"value":[1,"2"]}]}})",
      }) {
    auto v = ParseQueryAnswer(body);
    ASSERT_FALSE(v.ok()) << body;
    EXPECT_EQ(v.status().code(), StatusCode::kUnavailable) << body;
    EXPECT_EQ(v.status().message().rfind("malformed query answer: ", 0), 0u)
        << v.status().message();
  }
}

TEST(BackendAnswerTest, StringLists) {
  auto l = ParseStringListAnswer(R"({"status":"success","data":["job","__name__"]})");
  ASSERT_TRUE(l.ok()) << l.status().message();
  EXPECT_EQ(*l, (std::vector<std::string>{"job", "__name__"}));
  EXPECT_FALSE(ParseStringListAnswer(R"({"status":"success","data":[1]})").ok());
  EXPECT_FALSE(ParseStringListAnswer(R"({"status":"success","data":{}})").ok());
  auto err = ParseStringListAnswer(R"({"status":"error","errorType":"bad_data","error":"x"})");
  ASSERT_FALSE(err.ok());
  EXPECT_EQ(err.status().code(), StatusCode::kInvalidArgument);
}

TEST(BackendAnswerTest, PromValues) {
  double v = 0;
  EXPECT_TRUE(ParsePromValue("0.25", &v));
  EXPECT_EQ(v, 0.25);
  EXPECT_TRUE(ParsePromValue("1e-07", &v));
  EXPECT_EQ(v, 1e-07);
  EXPECT_TRUE(ParsePromValue("-Inf", &v));
  EXPECT_TRUE(std::isinf(v) && v < 0);
  EXPECT_FALSE(ParsePromValue("", &v));
  EXPECT_FALSE(ParsePromValue("1.5x", &v));
  EXPECT_FALSE(ParsePromValue("infinity", &v));
}

}  // namespace
}  // namespace perfwatch::query
