#include "budget/runs_api.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>

#include "support/temp_dir.h"
#include "tsdb/tsdb.h"

namespace perfwatch::budget {
namespace {

constexpr int64_t kNow = 1'796'378'400'000;  // 2026-12-04T10:00:00Z

// The contract's example (docs/budget-runs.md), with a bundle result and a skipped one.
const char* kRun = R"({
  "app": "shop", "commit": "abc123", "branch": "main", "build_id": "42",
  "time": "2026-12-04T09:00:00Z",
  "passed": false,
  "results": [
    {"kind": "timing", "path": "/", "name": "largest-contentful-paint",
     "value": 2400, "budget": 2500, "tolerance": 0, "unit": "ms",
     "status": "pass", "headroom_ratio": 0.04, "samples": 3,
     "baseline": null, "message": "LCP 2400 ms within 2500 ms"},
    {"kind": "bundle", "path": "", "name": "assets/index-*.js", "compression": "gzip",
     "value": 120, "budget": 100, "tolerance": 0, "unit": "KB", "status": "fail",
     "headroom_ratio": -0.2, "baseline": 90, "message": "over"},
    {"kind": "field", "path": "/checkout", "name": "INP", "value": null, "budget": 200,
     "unit": "ms", "status": "skipped", "headroom_ratio": null, "samples": 2, "message": "too few samples"}
  ],
  "summary": {"passed": 1, "failed": 1, "skipped": 1},
  "lighthouse": {"runs": 3}
})";

std::string Labels(const RunSeries& s) {
  std::string out = s.metric + "{";
  for (const auto& [k, v] : s.labels) out += k + "=" + v + ",";
  return out + "}";
}

TEST(BudgetRunParseTest, ContractExampleIsKeptWithItsSeries) {
  auto p = ParseBudgetRun(kRun, kNow);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->run.app, "shop");
  EXPECT_EQ(p->run.commit, "abc123");
  EXPECT_EQ(p->run.branch, "main");
  EXPECT_EQ(p->run.build_id, "42");
  EXPECT_EQ(p->run.time_ms, kNow - 3600 * 1000);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(p->run.json).get(root), simdjson::SUCCESS) << p->run.json;
  EXPECT_EQ(std::string_view(root["time"]), "2026-12-04T09:00:00.000Z");
  EXPECT_FALSE(bool(root["passed"]));
  EXPECT_EQ(root["results"].get_array().value().size(), 3u);
  EXPECT_EQ(std::string_view(root["results"].at(2)["message"]), "too few samples");
  EXPECT_EQ(simdjson::minify(root["summary"]), R"({"passed":1,"failed":1,"skipped":1})");
  EXPECT_EQ(simdjson::minify(root["lighthouse"]), R"({"runs":3})");
  EXPECT_TRUE(p->run.json.starts_with(R"({"app":"shop","commit":"abc123","branch":"main","build_id":"42","time":)"))
      << p->run.json;

  std::map<std::string, double> series;
  for (const RunSeries& s : p->series) series[Labels(s)] = s.value;
  EXPECT_EQ(series, (std::map<std::string, double>{
                        {"perfwatch_bundle_bytes{app=shop,bundle=assets/index-*.js,compression=gzip,}", 120 * 1024.0},
                        {"perfwatch_budget_headroom_ratio{app=shop,kind=bundle,name=assets/index-*.js,path=,}", -0.2},
                        {"perfwatch_budget_headroom_ratio{app=shop,kind=timing,name=largest-contentful-paint,path=/,}",
                         0.04},
                    }));
}

TEST(BudgetRunParseTest, DefaultsAreFilledIn) {
  auto p = ParseBudgetRun(R"({"app":"shop","results":[
      {"kind":"bundle","name":"main.js","compression":"raw","value":5000,"unit":"bytes","status":"pass","budget":10000,"tolerance":0},
      {"kind":"timing","name":"interactive","path":"/","value":3300,"budget":3000,"tolerance":300,"status":"fail"},
      {"kind":"score","name":"score","value":0.9,"status":"pass"}]})",
                          kNow);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->run.time_ms, kNow);
  EXPECT_EQ(p->run.commit, "");
  EXPECT_NE(p->run.json.find(R"("commit":"","branch":"","build_id":"","time":"2026-12-04T10:00:00.000Z","passed":false,)"),
            std::string::npos)
      << p->run.json;
  EXPECT_NE(p->run.json.find(R"("summary":{"passed":2,"failed":1,"skipped":0})"), std::string::npos) << p->run.json;
  std::map<std::string, double> series;
  for (const RunSeries& s : p->series) series[Labels(s)] = s.value;
  // Headroom computed when absent: (3000 + 300 - 3300) / 3300 = 0; (10000 - 5000) / 10000.
  EXPECT_EQ(series, (std::map<std::string, double>{
                        {"perfwatch_bundle_bytes{app=shop,bundle=main.js,compression=raw,}", 5000},
                        {"perfwatch_budget_headroom_ratio{app=shop,kind=bundle,name=main.js,path=,}", 0.5},
                        {"perfwatch_budget_headroom_ratio{app=shop,kind=timing,name=interactive,path=/,}", 0},
                    }));

  auto bare = ParseBudgetRun(R"({"app":"shop","id":"mine","time":1796378400.5})", kNow);
  ASSERT_TRUE(bare.ok()) << bare.status().message();
  EXPECT_EQ(bare->run.time_ms, kNow + 500);
  EXPECT_EQ(bare->run.json.find("mine"), std::string::npos) << "the server assigns ids";
  EXPECT_NE(bare->run.json.find(R"("passed":true,"results":[],"summary":{"passed":0,"failed":0,"skipped":0}})"),
            std::string::npos)
      << bare->run.json;
  EXPECT_TRUE(bare->series.empty());
}

TEST(BudgetRunParseTest, SameLabelsInOneRunKeepTheTightestHeadroom) {
  auto p = ParseBudgetRun(R"({"app":"shop","results":[
      {"kind":"bundle","name":"main.js","compression":"raw","value":900,"unit":"bytes","status":"pass","budget":1000},
      {"kind":"bundle","name":"main.js","compression":"gzip","value":290,"unit":"bytes","status":"pass","budget":300}]})",
                          kNow);
  ASSERT_TRUE(p.ok()) << p.status().message();
  std::map<std::string, double> series;
  for (const RunSeries& s : p->series) series[Labels(s)] = s.value;
  EXPECT_EQ(series.size(), 3u);
  EXPECT_NEAR(series["perfwatch_budget_headroom_ratio{app=shop,kind=bundle,name=main.js,path=,}"], 10.0 / 300, 1e-12);
  EXPECT_EQ(series["perfwatch_bundle_bytes{app=shop,bundle=main.js,compression=gzip,}"], 290);
}

TEST(BudgetRunParseTest, BadInputNamesTheField) {
  struct Case {
    const char* body;
    const char* message;
  } cases[] = {
      {R"({"commit":"abc"})", "\"app\" is required"},
      {R"({"app":""})", "\"app\" is required"},
      {R"({"app":null})", "\"app\" is required"},
      {R"({"app":7})", "\"app\" must be a string"},
      {R"({"app":"shop","branch":["main"]})", "\"branch\" must be a string"},
      {R"({"app":"shop","time":"yesterday"})", "invalid \"time\""},
      {R"({"app":"shop","time":true})", "\"time\" must be unix seconds or an RFC 3339 string"},
      {R"({"app":"shop","passed":"no"})", "\"passed\" must be true or false"},
      {R"({"app":"shop","results":{}})", "\"results\" must be an array"},
      {R"({"app":"shop","results":[1]})", "results[0] must be a JSON object"},
      {R"({"app":"shop","results":[{"name":"x","status":"pass"}]})", "results[0].kind is required"},
      {R"({"app":"shop","results":[{"kind":"speed","name":"x","status":"pass"}]})", "results[0].kind must be one of timing"},
      {R"({"app":"shop","results":[{"kind":"timing","status":"pass"}]})", "results[0].name is required"},
      {R"({"app":"shop","results":[{"kind":"timing","name":"x"}]})", "results[0].status is required"},
      {R"({"app":"shop","results":[{"kind":"timing","name":"x","status":"ok"}]})", "results[0].status must be one of pass, fail, skipped"},
      {R"({"app":"shop","results":[{"kind":"timing","name":"x","status":"pass","value":"1"}]})", "results[0].value must be a number"},
      {R"({"app":"shop","results":[{"kind":"timing","name":"x","status":"pass","unit":"s"}]})", "results[0].unit must be one of"},
      {R"({"app":"shop","results":[{"kind":"bundle","name":"x","status":"pass"}]})", "results[0].compression is required for bundle"},
      {R"({"app":"shop","results":[{"kind":"bundle","name":"x","status":"pass","compression":"zstd"}]})", "results[0].compression must be one of raw, gzip, brotli"},
      {R"({"app":"shop","results":[{"kind":"timing","name":"x","status":"pass","tolerance":-1}]})", "results[0].tolerance must not be negative"},
      {R"({"app":"shop","results":[{"kind":"timing","name":"x","status":"pass","message":3}]})", "results[0].message must be a string"},
      {R"({"app":"shop","summary":{"failed":-1}})", "\"summary\".failed must be a non-negative integer"},
      {R"({"app":"shop","summary":[]})", "\"summary\" must be an object"},
      {R"(["shop"])", "must be a JSON object"},
      {R"({"app":"shop",)", "invalid JSON"},
  };
  for (const Case& c : cases) {
    auto p = ParseBudgetRun(c.body, kNow);
    ASSERT_FALSE(p.ok()) << c.body;
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument) << c.body;
    EXPECT_NE(p.status().message().find(c.message), std::string::npos) << c.body << " -> " << p.status().message();
  }
  EXPECT_FALSE(ParseBudgetRun(R"({"app":")" + std::string(300, 'a') + "\"}", kNow).ok());
}

// POST and GET through the router, with the series read back from a real TSDB.
class BudgetRunsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tsdb::TsdbOptions o;
    o.dir = dir_.path() / "tsdb";
    o.maintenance_interval = std::chrono::milliseconds(0);
    auto db = tsdb::Tsdb::Open(o, nullptr);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    auto store = RunStore::Open(dir_.path() / "budget-runs");
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(store).value();
    RegisterBudgetRunsApi(router_, {.runs = store_.get(), .tsdb = db_.get()});
  }

  http::Response Call(const std::string& method, const std::string& query, const std::string& body = "") {
    http::Request req;
    req.method = method;
    req.path = "/api/v1/budget-runs";
    req.query = query;
    req.body = body;
    http::Response res;
    auto match = router_.Find(method, req.path);
    EXPECT_NE(match.handler, nullptr);
    if (match.handler) (*match.handler)(req, res);
    return res;
  }

  // name{labels} -> samples of the two run metrics.
  std::map<std::string, std::vector<std::pair<int64_t, double>>> ReadSeries() {
    auto m = tsdb::Matcher::Make(tsdb::MatchType::kRegexMatch, "__name__", "perfwatch_(bundle_bytes|budget_headroom_ratio)");
    EXPECT_TRUE(m.ok());
    auto q = db_->NewQuerier(0, INT64_MAX);
    auto set = q->Select(std::span(&*m, 1));
    std::map<std::string, std::vector<std::pair<int64_t, double>>> out;
    while (set->Next()) {
      auto& samples = out[set->At().labels().ToString()];
      auto it = set->At().Iterator();
      while (it.Next()) samples.emplace_back(it.t(), it.v());
    }
    return out;
  }

  testing::TempDir dir_;
  std::unique_ptr<tsdb::Tsdb> db_;
  std::unique_ptr<RunStore> store_;
  http::Router router_;
};

TEST_F(BudgetRunsApiTest, PostStoresWritesSeriesAndListsNewestFirst) {
  auto res = Call("POST", "", kRun);
  ASSERT_EQ(res.status, 200) << res.body;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(res.body).get(root), simdjson::SUCCESS);
  EXPECT_EQ(std::string_view(root["status"]), "success");
  const std::string id = std::string(std::string_view(root["data"]["id"]));
  EXPECT_EQ(id.size(), 16u);

  res = Call("POST", "", R"({"app":"shop","commit":"def456","branch":"feature","time":"2026-12-04T09:30:00Z","results":[
      {"kind":"bundle","name":"assets/index-*.js","compression":"gzip","value":100,"unit":"KB","budget":100,"status":"pass"}]})");
  ASSERT_EQ(res.status, 200) << res.body;

  res = Call("GET", "app=shop");
  ASSERT_EQ(res.status, 200) << res.body;
  ASSERT_EQ(parser.parse(res.body).get(root), simdjson::SUCCESS);
  auto runs = root["data"].get_array().value();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(std::string_view(runs.at(0)["commit"]), "def456");
  EXPECT_EQ(std::string_view(runs.at(1)["id"]), id);
  EXPECT_EQ(std::string_view(runs.at(1)["results"].at(0)["name"]), "largest-contentful-paint");

  res = Call("GET", "app=shop&commit=abc123&limit=1");
  ASSERT_EQ(parser.parse(res.body).get(root), simdjson::SUCCESS);
  ASSERT_EQ(root["data"].get_array().value().size(), 1u);
  EXPECT_EQ(std::string_view(root["data"].at(0)["id"]), id);
  res = Call("GET", "branch=feature");
  ASSERT_EQ(parser.parse(res.body).get(root), simdjson::SUCCESS);
  EXPECT_EQ(root["data"].get_array().value().size(), 1u);
  res = Call("GET", "app=blog");
  EXPECT_EQ(res.body, R"({"status":"success","data":[]})");

  const int64_t t1 = kNow - 3600 * 1000, t2 = kNow - 1800 * 1000;
  auto series = ReadSeries();
  EXPECT_EQ(series[R"(perfwatch_bundle_bytes{app="shop", bundle="assets/index-*.js", compression="gzip"})"],
            (std::vector<std::pair<int64_t, double>>{{t1, 120 * 1024.0}, {t2, 100 * 1024.0}}));
  EXPECT_EQ(series[R"(perfwatch_budget_headroom_ratio{app="shop", kind="timing", name="largest-contentful-paint", path="/"})"],
            (std::vector<std::pair<int64_t, double>>{{t1, 0.04}}));
  EXPECT_EQ(series[R"(perfwatch_budget_headroom_ratio{app="shop", kind="bundle", name="assets/index-*.js"})"],
            (std::vector<std::pair<int64_t, double>>{{t1, -0.2}, {t2, 0}}));
  EXPECT_EQ(series.size(), 3u);
}

TEST_F(BudgetRunsApiTest, BadInputIs400AndKeepsNothing) {
  for (const char* body : {R"({"commit":"abc"})", "not json", R"({"app":"shop","results":[{"kind":"x"}]})"}) {
    auto res = Call("POST", "", body);
    EXPECT_EQ(res.status, 400) << body;
    EXPECT_NE(res.body.find(R"("status":"error","errorType":"bad_data","error":")"), std::string::npos) << res.body;
  }
  EXPECT_EQ(Call("GET", "limit=-1").status, 400);
  EXPECT_EQ(Call("GET", "limit=x").status, 400);
  EXPECT_EQ(Call("GET", "").body, R"({"status":"success","data":[]})");
  EXPECT_TRUE(ReadSeries().empty());
}

TEST_F(BudgetRunsApiTest, AnOutOfOrderRunIsStoredWithoutItsSeries) {
  ASSERT_EQ(Call("POST", "", R"({"app":"shop","time":1796378400,"results":[
      {"kind":"bundle","name":"a.js","compression":"raw","value":10,"status":"pass"}]})").status, 200);
  ASSERT_EQ(Call("POST", "", R"({"app":"shop","time":1796374800,"results":[
      {"kind":"bundle","name":"a.js","compression":"raw","value":20,"status":"pass"}]})").status, 200);
  EXPECT_EQ(store_->size(), 2u);
  auto series = ReadSeries();
  ASSERT_EQ(series.size(), 1u);
  EXPECT_EQ(series.begin()->second, (std::vector<std::pair<int64_t, double>>{{kNow, 10}}));
}

TEST_F(BudgetRunsApiTest, DefaultLimitIs100) {
  for (int i = 0; i < 105; ++i) {
    ASSERT_EQ(Call("POST", "", R"({"app":"shop","time":)" + std::to_string(1796378400 + i) + "}").status, 200);
  }
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(Call("GET", "").body).get(root), simdjson::SUCCESS);
  EXPECT_EQ(root["data"].get_array().value().size(), 100u);
  EXPECT_EQ(std::string_view(root["data"].at(0)["time"]), "2026-12-04T10:01:44.000Z");
  ASSERT_EQ(parser.parse(Call("GET", "limit=0").body).get(root), simdjson::SUCCESS);
  EXPECT_EQ(root["data"].get_array().value().size(), 105u);
}

TEST_F(BudgetRunsApiTest, RoutesDeclareTheirScopes) {
  auto post = router_.Find("POST", "/api/v1/budget-runs");
  auto get = router_.Find("GET", "/api/v1/budget-runs");
  ASSERT_NE(post.options, nullptr);
  ASSERT_NE(get.options, nullptr);
  EXPECT_EQ(post.options->scope, http::Scope::kIngest);
  EXPECT_EQ(get.options->scope, http::Scope::kRead);
}

}  // namespace
}  // namespace perfwatch::budget
