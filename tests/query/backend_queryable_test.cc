// The PromQL engine over query.backend's raw samples (query/backend_queryable.h), with a
// fake backend that answers range selectors from a fixed set of series.
#include "query/backend_queryable.h"

#include <gtest/gtest.h>

#include <map>

#include "query/promql_parser.h"

namespace perfwatch::query {
namespace {

// Decodes application/x-www-form-urlencoded (the fake backend's side).
std::map<std::string, std::string> ParseForm(std::string_view form) {
  std::map<std::string, std::string> out;
  auto decode = [](std::string_view s) {
    std::string r;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '%' && i + 2 < s.size()) {
        r.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
        i += 2;
      } else {
        r.push_back(s[i] == '+' ? ' ' : s[i]);
      }
    }
    return r;
  };
  while (!form.empty()) {
    size_t amp = form.find('&');
    std::string_view kv = form.substr(0, amp);
    size_t eq = kv.find('=');
    out[decode(kv.substr(0, eq))] = eq == std::string_view::npos ? "" : decode(kv.substr(eq + 1));
    form = amp == std::string_view::npos ? std::string_view() : form.substr(amp + 1);
  }
  return out;
}

BackendReply Json(std::string body) {
  BackendReply r;
  r.status = 200;
  r.body = std::move(body);
  r.content_type = "application/json";
  return r;
}

TEST(BackendQueryableTest, EngineEvaluatesOverTheBackendsRawSamples) {
  std::vector<std::map<std::string, std::string>> calls;
  BackendQueryable queryable([&](std::string_view path, std::string_view form) {
    EXPECT_EQ(path, "/api/v1/query");
    calls.push_back(ParseForm(form));
    // A counter growing by 6 a minute, one sample every 10 s from t=0 to t=600 s.
    std::string values;
    for (int t = 0; t <= 600; t += 10) {
      if (!values.empty()) values += ",";
      values += "[" + std::to_string(t) + ",\"" + std::to_string(t / 10) + "\"]";
    }
    return Json(
        R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"req_total","job":"b"},"values":[)" +
        values + R"(]},{"metric":{"__name__":"req_total","job":"a"},"values":[)" + values +
        "]}]}}");
  });
  promql::Engine engine(&queryable);
  auto expr = promql::ParseExpr(R"(rate(req_total{job=~"a|b"}[1m]))");
  ASSERT_TRUE(expr.ok()) << expr.status().message();
  auto value = engine.InstantQuery(**expr, 300'000);
  ASSERT_TRUE(value.ok()) << value.status().message();
  const auto& vec = std::get<promql::Vector>(*value);
  ASSERT_EQ(vec.size(), 2u);
  EXPECT_EQ(vec[0].metric.Get("job"), "a");  // sorted, samples outside the range dropped
  EXPECT_NEAR(vec[0].v, 0.1, 1e-9);
  EXPECT_NEAR(vec[1].v, 0.1, 1e-9);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0]["time"], "300");
  // The selector's matchers and a range covering the engine's [mint, maxt] inclusive.
  const std::string& q = calls[0]["query"];
  EXPECT_EQ(q.rfind(R"({job=~"a|b",__name__="req_total"}[)", 0) == 0 ||
                q.rfind(R"({__name__="req_total",job=~"a|b"}[)", 0) == 0,
            true)
      << q;
  EXPECT_EQ(q.substr(q.size() - 3), "ms]") << q;
}

TEST(BackendQueryableTest, BackendErrorsAreQueryErrors) {
  BackendQueryable down([](std::string_view, std::string_view) {
    BackendReply r;
    r.error = "connect 127.0.0.1:1: Connection refused";
    return r;
  });
  promql::Engine engine(&down);
  auto expr = promql::ParseExpr("up");
  ASSERT_TRUE(expr.ok());
  auto value = engine.InstantQuery(**expr, 300'000);
  ASSERT_FALSE(value.ok());
  EXPECT_NE(value.status().message().find("query backend: connect 127.0.0.1:1: Connection refused"),
            std::string::npos)
      << value.status().message();

  BackendQueryable vector_answer([](std::string_view, std::string_view) {
    return Json(R"({"status":"success","data":{"resultType":"vector","result":[]}})");
  });
  promql::Engine engine2(&vector_answer);
  auto v2 = engine2.InstantQuery(**expr, 300'000);
  ASSERT_FALSE(v2.ok());
  EXPECT_NE(v2.status().message().find("did not answer a matrix"), std::string::npos)
      << v2.status().message();
}

TEST(BackendQueryableTest, LabelNamesAndValuesAskTheListEndpoints) {
  std::vector<std::pair<std::string, std::map<std::string, std::string>>> calls;
  BackendQueryable queryable([&](std::string_view path, std::string_view form) {
    calls.emplace_back(std::string(path), ParseForm(form));
    return Json(R"({"status":"success","data":["z","a"]})");
  });
  auto querier = queryable.NewQuerier(1000, 2000);
  auto m = tsdb::Matcher::Make(tsdb::MatchType::kEqual, "job", "x");
  ASSERT_TRUE(m.ok());
  std::vector<tsdb::Matcher> matchers{*m};
  auto names = querier->LabelNames(matchers);
  ASSERT_TRUE(names.ok()) << names.status().message();
  EXPECT_EQ(*names, (std::vector<std::string>{"a", "z"}));
  auto values = querier->LabelValues("job", {});
  ASSERT_TRUE(values.ok()) << values.status().message();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].first, "/api/v1/labels");
  EXPECT_EQ(calls[0].second["match[]"], R"({job="x"})");
  EXPECT_EQ(calls[0].second["start"], "1");
  EXPECT_EQ(calls[0].second["end"], "2");
  EXPECT_EQ(calls[1].first, "/api/v1/label/job/values");
  EXPECT_EQ(calls[1].second.count("match[]"), 0u);
}

}  // namespace
}  // namespace perfwatch::query
