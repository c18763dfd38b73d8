// Budget check runs through the real binary (tracker issue 17 item 3): POST/GET
// /api/v1/budget-runs, the baseline lookup (commit= / branch= with limit=1), bad input,
// scopes, kill -9, and the series the runs write, with docs/budget-runs.md's example rules
// (bundle growth beyond 20 % in a week, a budget approached) evaluated by PromQL and by the
// rule engine.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "common/time.h"
#include "support/http_client.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

namespace perfwatch {
namespace {

using testing::HttpClient;
using testing::ServerProcess;
using testing::UrlEncode;

// docs/budget-runs.md "Alerting on bundle growth": the size now against the size a week ago,
// each the latest sample within 30 days (a run writes the series once).
constexpr const char* kBundleGrowthExpr =
    "last_over_time(perfwatch_bundle_bytes[30d]) / last_over_time(perfwatch_bundle_bytes[30d] offset 7d) > 1.2";
// docs/budget-runs.md: a budget with less than 10 % headroom in the latest run.
constexpr const char* kHeadroomExpr = "last_over_time(perfwatch_budget_headroom_ratio[30d]) < 0.1";

std::string RunJson(const std::string& app, const std::string& commit, const std::string& branch, const std::string& build,
                int64_t time_s, double gzip_kb, double lcp_ms, bool lcp_fails) {
  char buf[2048];
  std::snprintf(buf, sizeof buf,
                R"({"app":"%s","commit":"%s","branch":"%s","build_id":"%s","time":%lld,"passed":%s,"results":[)"
                R"({"kind":"timing","path":"/","name":"largest-contentful-paint","value":%g,"budget":2500,"tolerance":0,)"
                R"("unit":"ms","status":"%s","headroom_ratio":%.17g,"samples":3,"baseline":null,"message":"LCP %g ms"},)"
                R"({"kind":"bundle","path":"","name":"assets/index.js","compression":"gzip","value":%g,"budget":200,)"
                R"("tolerance":0,"unit":"KB","status":"pass","headroom_ratio":%.17g,"baseline":null,"message":""}],)"
                R"("summary":{"passed":%d,"failed":%d,"skipped":0}})",
                app.c_str(), commit.c_str(), branch.c_str(), build.c_str(), static_cast<long long>(time_s),
                lcp_fails ? "false" : "true", lcp_ms, lcp_fails ? "fail" : "pass", (2500 - lcp_ms) / 2500, lcp_ms,
                gzip_kb, (200 - gzip_kb) / 200, lcp_fails ? 1 : 2, lcp_fails ? 1 : 0);
  return buf;
}

class BudgetRunsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start()) << server_.log(); }

  simdjson::dom::element Parse(const std::string& body) {
    simdjson::dom::element root;
    EXPECT_EQ(parser_.parse(body).get(root), simdjson::SUCCESS) << body;
    return root;
  }
  simdjson::dom::array List(HttpClient& client, const std::string& query) {
    auto r = client.Get("/api/v1/budget-runs" + query);
    EXPECT_EQ(r.status, 200) << r.body;
    body_ = r.body;
    return Parse(body_)["data"].get_array().value();
  }
  std::string Post(HttpClient& client, const std::string& body) {
    auto r = client.Post("/api/v1/budget-runs", body, "application/json");
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) return "";
    return std::string(std::string_view(Parse(r.body)["data"]["id"]));
  }

  ServerProcess server_;
  simdjson::dom::parser parser_;
  std::string body_;
};

TEST_F(BudgetRunsTest, PostListBaselineLookupAndKill9) {
  HttpClient client(server_.port());
  const int64_t now = NowMs() / 1000;
  const std::string main1 = Post(client, RunJson("shop", "1111111aaaa", "main", "40", now - 7200, 150, 2300, false));
  const std::string feat = Post(client, RunJson("shop", "2222222bbbb", "feature/cart", "41", now - 3600, 170, 2600, true));
  const std::string main2 = Post(client, RunJson("shop", "3333333cccc", "main", "42", now - 1800, 151, 2350, false));
  const std::string blog = Post(client, RunJson("blog", "4444444dddd", "main", "7", now - 60, 50, 1000, false));
  ASSERT_FALSE(main1.empty() || feat.empty() || main2.empty() || blog.empty());

  auto all = List(client, "");
  ASSERT_EQ(all.size(), 4u) << body_;  // newest first
  EXPECT_EQ(std::string_view(all.at(0)["id"]), blog);
  EXPECT_EQ(std::string_view(all.at(1)["id"]), main2);
  EXPECT_EQ(std::string_view(all.at(2)["id"]), feat);
  EXPECT_EQ(std::string_view(all.at(3)["id"]), main1);
  // A run is the posted result plus its id, with the time in RFC 3339.
  simdjson::dom::element f = all.at(2);
  EXPECT_EQ(std::string_view(f["app"]), "shop");
  EXPECT_EQ(std::string_view(f["commit"]), "2222222bbbb");
  EXPECT_EQ(std::string_view(f["branch"]), "feature/cart");
  EXPECT_EQ(std::string_view(f["build_id"]), "41");
  EXPECT_EQ(std::string_view(f["time"]), FormatRfc3339Ms((now - 3600) * 1000));
  EXPECT_FALSE(bool(f["passed"]));
  EXPECT_EQ(std::string_view(f["results"].at(0)["status"]), "fail");
  EXPECT_EQ(double(f["results"].at(0)["value"]), 2600);
  EXPECT_EQ(int64_t(f["summary"]["failed"]), 1);

  EXPECT_EQ(List(client, "?app=shop").size(), 3u);
  EXPECT_EQ(List(client, "?app=shop&branch=main").size(), 2u);
  EXPECT_EQ(List(client, "?app=shop&limit=2").size(), 2u);
  EXPECT_EQ(List(client, "?app=nope").size(), 0u);
  // What `budget check --baseline REF` asks: the newest run of the commit, else of the branch.
  auto by_commit = List(client, "?app=shop&commit=2222222bbbb&limit=1");
  ASSERT_EQ(by_commit.size(), 1u);
  EXPECT_EQ(std::string_view(by_commit.at(0)["id"]), feat);
  auto short_sha = List(client, "?app=shop&commit=2222222&limit=1");
  ASSERT_EQ(short_sha.size(), 1u);
  EXPECT_EQ(std::string_view(short_sha.at(0)["id"]), feat);
  EXPECT_EQ(List(client, "?app=shop&commit=main&limit=1").size(), 0u);
  auto by_branch = List(client, "?app=shop&branch=main&limit=1");
  ASSERT_EQ(by_branch.size(), 1u);
  EXPECT_EQ(std::string_view(by_branch.at(0)["id"]), main2);
  EXPECT_EQ(std::string_view(by_branch.at(0)["commit"]), "3333333cccc");

  server_.Kill();
  ASSERT_TRUE(server_.Start()) << server_.log();
  HttpClient again(server_.port());
  auto after = List(again, "?app=shop");
  ASSERT_EQ(after.size(), 3u) << body_;
  EXPECT_EQ(std::string_view(after.at(0)["id"]), main2);
  EXPECT_EQ(std::string_view(after.at(2)["id"]), main1);
}

TEST_F(BudgetRunsTest, BadInputIs400InPrometheusShapeAndKeepsNothing) {
  HttpClient client(server_.port());
  struct Case {
    const char* body;
    const char* message;
  } cases[] = {
      {R"({"commit":"abc"})", R"(\"app\" is required)"},
      {R"({"app":"shop","time":"soon"})", R"(invalid \"time\")"},
      {R"({"app":"shop","results":[{"kind":"timing","name":"x","status":"maybe"}]})", "results[0].status must be one of"},
      {R"({"app":"shop","results":[{"kind":"bundle","name":"x.js","status":"pass"}]})", "results[0].compression is required"},
      {R"({"app":"shop",)", "invalid JSON"},
      {"[]", "must be a JSON object"},
  };
  for (const Case& c : cases) {
    auto r = client.Post("/api/v1/budget-runs", c.body, "application/json");
    EXPECT_EQ(r.status, 400) << c.body;
    EXPECT_NE(r.body.find(R"({"status":"error","errorType":"bad_data","error":")"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find(c.message), std::string::npos) << c.body << " -> " << r.body;
  }
  EXPECT_EQ(client.Get("/api/v1/budget-runs?limit=-3").status, 400);
  EXPECT_EQ(List(client, "").size(), 0u);
  // Good input after bad is stored.
  EXPECT_FALSE(Post(client, R"({"app":"shop"})").empty());
  EXPECT_EQ(List(client, "").size(), 1u);
}

// The seeds' "bundle size increase > 20 %" alert as an ordinary rule over the series the
// runs write: runs 8 days and 1 hour ago, assets/index.js grows 30 %, vendor.js 10 %.
TEST(BudgetRunsSeriesTest, ExampleRulesFireOnStoredRuns) {
  testing::TempDir dir("pw_budget_rules_");
  const auto rules = dir.path() / "budget-rules.yml";
  std::ofstream(rules) << "groups:\n"
                          "  - name: budgets\n"
                          "    interval: 1s\n"
                          "    rules:\n"
                          "      - alert: BundleGrew\n"
                          "        expr: " << kBundleGrowthExpr << "\n"
                          "        labels: {severity: warning}\n"
                          "      - alert: BudgetAlmostSpent\n"
                          "        expr: " << kHeadroomExpr << "\n";
  ServerProcess with_rules({}, "rule_files: [" + rules.string() + "]\n");
  ASSERT_TRUE(with_rules.Start()) << with_rules.log();
  HttpClient client(with_rules.port());
  const int64_t now = NowMs() / 1000;
  auto post = [&](int64_t t, double index_kb, double vendor_kb, double lcp_ms) {
    char body[1024];
    std::snprintf(body, sizeof body,
                  R"({"app":"shop","commit":"c%lld","branch":"main","time":%lld,"results":[)"
                  R"({"kind":"bundle","name":"assets/index.js","compression":"gzip","value":%g,"unit":"KB","budget":400,"status":"pass"},)"
                  R"({"kind":"bundle","name":"assets/vendor.js","compression":"gzip","value":%g,"unit":"KB","budget":400,"status":"pass"},)"
                  R"({"kind":"timing","path":"/","name":"largest-contentful-paint","value":%g,"budget":2500,"unit":"ms","status":"pass"}]})",
                  static_cast<long long>(t), static_cast<long long>(t), index_kb, vendor_kb, lcp_ms);
    auto r = client.Post("/api/v1/budget-runs", body, "application/json");
    ASSERT_EQ(r.status, 200) << r.body;
  };
  post(now - 8 * 86400, 100, 200, 1500);
  post(now - 3600, 130, 220, 2400);

  // The series are written at the runs' times, in bytes (KB = 1024 bytes).
  auto r = client.Get("/api/v1/query?query=" + UrlEncode("perfwatch_bundle_bytes{bundle=\"assets/index.js\"}") +
                      "&time=" + std::to_string(now - 3600));
  EXPECT_NE(r.body.find(R"({"metric":{"__name__":"perfwatch_bundle_bytes","app":"shop","bundle":"assets/index.js","compression":"gzip"},"value":[)" +
                        std::to_string(now - 3600) + R"(,"133120"]})"),
            std::string::npos)
      << r.body;
  // A plain selector sees nothing an hour after the run (the 5 m lookback): hence last_over_time.
  r = client.Get("/api/v1/query?query=" + UrlEncode("perfwatch_bundle_bytes") + "&time=" + std::to_string(now));
  EXPECT_NE(r.body.find(R"("result":[])"), std::string::npos) << r.body;

  r = client.Get("/api/v1/query?query=" + UrlEncode(kBundleGrowthExpr) + "&time=" + std::to_string(now));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"({"metric":{"app":"shop","bundle":"assets/index.js","compression":"gzip"},"value":[)" +
                        std::to_string(now) + R"(,"1.3"]})"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(r.body.find("vendor.js"), std::string::npos) << "10 % growth is within the rule: " << r.body;
  r = client.Get("/api/v1/query?query=" + UrlEncode(kHeadroomExpr) + "&time=" + std::to_string(now));
  EXPECT_NE(r.body.find(R"("kind":"timing","name":"largest-contentful-paint","path":"/"},"value":[)" +
                        std::to_string(now) + R"(,"0.04"]})"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(r.body.find("assets/"), std::string::npos) << r.body;

  // The rule engine fires both alerts.
  bool grew = false, spent = false;
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
       !(grew && spent) && std::chrono::steady_clock::now() < until;
       std::this_thread::sleep_for(std::chrono::milliseconds(250))) {
    r = client.Get("/api/v1/alerts");
    grew = r.body.find(R"("alertname":"BundleGrew")") != std::string::npos &&
           r.body.find(R"("bundle":"assets/index.js")") != std::string::npos &&
           r.body.find("vendor.js") == std::string::npos;
    spent = r.body.find(R"("alertname":"BudgetAlmostSpent")") != std::string::npos;
  }
  EXPECT_TRUE(grew) << r.body;
  EXPECT_TRUE(spent) << r.body;
}

// Posting a run needs `ingest`; listing runs needs `read`.
TEST(BudgetRunsAuthTest, Scopes) {
  ServerProcess server({}, "auth:\n"
                           "  tokens:\n"
                           "    - {name: ci, token_file: ci.token, scopes: [ingest]}\n"
                           "    - {name: reader, token_file: reader.token, scopes: [read]}\n");
  std::ofstream(server.data_dir().parent_path() / "ci.token") << "ci-secret\n";
  std::ofstream(server.data_dir().parent_path() / "reader.token") << "r-secret\n";
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient client(server.port());
  auto bearer = [](const std::string& t) {
    return std::vector<std::pair<std::string, std::string>>{{"Authorization", "Bearer " + t}};
  };
  const std::string body = R"({"app":"shop","commit":"abc"})";
  EXPECT_EQ(client.Post("/api/v1/budget-runs", body, "application/json").status, 401);
  EXPECT_EQ(client.Post("/api/v1/budget-runs", body, "application/json", bearer("r-secret")).status, 403);
  EXPECT_EQ(client.Post("/api/v1/budget-runs", body, "application/json", bearer("ci-secret")).status, 200);
  EXPECT_EQ(client.Get("/api/v1/budget-runs").status, 401);
  EXPECT_EQ(client.Get("/api/v1/budget-runs", bearer("ci-secret")).status, 403);
  auto r = client.Get("/api/v1/budget-runs", bearer("r-secret"));
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(R"("commit":"abc")"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace perfwatch
