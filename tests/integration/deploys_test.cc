// Deploy markers and release impact through the real binary (tracker issue 15 items 1
// and 2): POST/GET /api/v1/deploys, bad input, kill -9, the perfwatch_deploy_info series,
// the `perfwatch deploy` CLI, and a scripted deploy that slows one page.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>

#include "common/time.h"
#include "support/http_client.h"
#include "support/run_perfwatch.h"
#include "support/server_process.h"

namespace perfwatch {
namespace {

using testing::HttpClient;
using testing::RunPerfwatch;
using testing::ServerProcess;
using testing::UrlEncode;

class DeploysTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start()) << server_.log(); }

  // The "data" of a success answer, as JSON text.
  std::string Data(const http::ClientResponse& r) {
    simdjson::dom::element root;
    EXPECT_EQ(parser_.parse(r.body).get(root), simdjson::SUCCESS) << r.body;
    return simdjson::minify(root["data"]);
  }
  simdjson::dom::element Parse(const std::string& body) {
    simdjson::dom::element root;
    EXPECT_EQ(parser_.parse(body).get(root), simdjson::SUCCESS) << body;
    return root;
  }

  ServerProcess server_;
  simdjson::dom::parser parser_;
};

TEST_F(DeploysTest, PostThenListAndFilter) {
  HttpClient client(server_.port());
  auto r = client.Post("/api/v1/deploys",
                       R"({"app":"shop","version":"1.4.2","commit":"abc123","environment":"prod","time":1796349600})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto root = Parse(r.body);
  std::string_view id = root["data"]["id"].get_string().value();
  EXPECT_EQ(id.size(), 16u);
  const std::string first_id(id);
  EXPECT_EQ(Data(r), "{\"id\":\"" + first_id +
                         R"(","app":"shop","version":"1.4.2","commit":"abc123","environment":"prod","time":"2026-12-04T02:00:00.000Z"})");
  r = client.Post("/api/v1/deploys", R"({"service":"checkout","version":"7","time":"2026-12-04T03:00:00.5Z"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("service":"checkout","version":"7","commit":"","environment":"","time":"2026-12-04T03:00:00.500Z")"),
            std::string::npos)
      << r.body;
  r = client.Post("/api/v1/deploys", R"({"app":"shop","version":"1.4.3","environment":"staging","time":1796356800})");
  ASSERT_EQ(r.status, 200) << r.body;

  r = client.Get("/api/v1/deploys");
  ASSERT_EQ(r.status, 200) << r.body;
  auto all = Parse(r.body)["data"].get_array().value();
  ASSERT_EQ(all.size(), 3u);  // newest first
  EXPECT_EQ(std::string_view(all.at(0)["version"]), "1.4.3");
  EXPECT_EQ(std::string_view(all.at(1)["version"]), "7");
  EXPECT_EQ(std::string_view(all.at(2)["version"]), "1.4.2");

  r = client.Get("/api/v1/deploys?app=shop&environment=prod");
  EXPECT_EQ(Parse(r.body)["data"].get_array().value().size(), 1u);
  r = client.Get("/api/v1/deploys?service=checkout");
  EXPECT_EQ(Parse(r.body)["data"].get_array().value().size(), 1u);
  r = client.Get("/api/v1/deploys?start=2026-12-04T02:30:00Z&end=1796356800");
  EXPECT_EQ(Parse(r.body)["data"].get_array().value().size(), 2u) << r.body;
  r = client.Get("/api/v1/deploys?app=shop&limit=1");
  auto limited = Parse(r.body)["data"].get_array().value();
  ASSERT_EQ(limited.size(), 1u);
  EXPECT_EQ(std::string_view(limited.at(0)["version"]), "1.4.3");

  r = client.Get("/api/v1/deploys/" + first_id);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"version\":\"1.4.2\""), std::string::npos);
  EXPECT_EQ(client.Get("/api/v1/deploys/0123456789abcdef").status, 404);
  EXPECT_EQ(client.Get("/api/v1/deploys/0123456789abcdef/impact").status, 404);
}

TEST_F(DeploysTest, BadInputIs400NamingTheFieldAndKeepsNothing) {
  HttpClient client(server_.port());
  struct Case {
    const char* body;
    const char* message;
  } cases[] = {
      {R"({"app":"shop"})", "\\\"version\\\" is required"},
      {R"({"version":"1"})", "\\\"app\\\" or \\\"service\\\" is required"},
      {R"({"app":"shop","service":"api","version":"1"})", "exclusive"},
      {R"({"app":"shop","version":1})", "\\\"version\\\" must be a string"},
      {R"({"app":"shop","version":"1","time":"yesterday"})", "invalid \\\"time\\\""},
      {R"({"app":"shop","version":"1","time":true})", "\\\"time\\\" must be"},
      {R"(["app"])", "must be a JSON object"},
      {R"({"app":"shop",)", "invalid JSON"},
  };
  for (const Case& c : cases) {
    auto r = client.Post("/api/v1/deploys", c.body);
    EXPECT_EQ(r.status, 400) << c.body;
    EXPECT_NE(r.body.find("\"errorType\":\"bad_data\""), std::string::npos) << r.body;
    EXPECT_NE(r.body.find(c.message), std::string::npos) << c.body << " -> " << r.body;
  }
  std::string long_commit = R"({"app":"shop","version":"1","commit":")" + std::string(300, 'a') + "\"}";
  EXPECT_EQ(client.Post("/api/v1/deploys", long_commit).status, 400);
  auto r = client.Get("/api/v1/deploys");
  EXPECT_EQ(Data(r), "[]");
  EXPECT_EQ(client.Get("/api/v1/deploys?start=abc").status, 400);
  EXPECT_EQ(client.Get("/api/v1/deploys?limit=-1").status, 400);
  // Good input after bad is stored.
  EXPECT_EQ(client.Post("/api/v1/deploys", R"({"app":"shop","version":"1"})").status, 200);
  EXPECT_EQ(Parse(client.Get("/api/v1/deploys").body)["data"].get_array().value().size(), 1u);
}

TEST_F(DeploysTest, AcknowledgedDeploysSurviveKill9) {
  std::vector<std::string> ids;
  {
    HttpClient client(server_.port());
    for (int i = 0; i < 20; ++i) {
      auto r = client.Post("/api/v1/deploys", R"({"app":"shop","version":"1.)" + std::to_string(i) + "\"}");
      ASSERT_EQ(r.status, 200) << r.body;
      ids.emplace_back(std::string_view(Parse(r.body)["data"]["id"]));
    }
  }
  server_.Kill();
  ASSERT_TRUE(server_.Start()) << server_.log();
  HttpClient client(server_.port());
  auto r = client.Get("/api/v1/deploys?app=shop");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Parse(r.body)["data"].get_array().value().size(), 20u) << r.body;
  for (const std::string& id : ids) EXPECT_EQ(client.Get("/api/v1/deploys/" + id).status, 200) << id;
}

TEST_F(DeploysTest, InfoSeriesIsQueryable) {
  HttpClient client(server_.port());
  const int64_t t = (NowMs() / 1000 - 120) * 1000;
  auto r = client.Post("/api/v1/deploys", R"({"app":"shop","version":"1.4.2","commit":"abc","environment":"prod","time":)" +
                                              std::to_string(t / 1000) + "}");
  ASSERT_EQ(r.status, 200) << r.body;
  r = client.Get("/api/v1/query?query=" + UrlEncode("perfwatch_deploy_info") + "&time=" + std::to_string(t / 1000 + 30));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"({"metric":{"__name__":"perfwatch_deploy_info","app":"shop","commit":"abc","environment":"prod","version":"1.4.2"},"value":[)" +
                        std::to_string(t / 1000 + 30) + R"(,"1"]})"),
            std::string::npos)
      << r.body;
  // Its timestamp is the deploy time (what a Grafana annotation query shows).
  r = client.Get("/api/v1/query?query=" + UrlEncode("timestamp(perfwatch_deploy_info{app=\"shop\"})") +
                 "&time=" + std::to_string(t / 1000 + 30));
  EXPECT_NE(r.body.find("\"" + std::to_string(t / 1000) + "\"]"), std::string::npos) << r.body;
}

TEST_F(DeploysTest, CliRecordsADeploy) {
  const std::string server = " --server http://127.0.0.1:" + std::to_string(server_.port());
  auto r = RunPerfwatch("deploy" + server + " --app shop --version 1.4.2 --commit abc --environment prod --time 1796349600");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("recorded: shop 1.4.2 (commit abc) in prod at 2026-12-04T02:00:00.000Z"), std::string::npos)
      << r.output;
  HttpClient client(server_.port());
  auto list = Parse(client.Get("/api/v1/deploys").body)["data"].get_array().value();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(std::string_view(list.at(0)["commit"]), "abc");

  r = RunPerfwatch("deploy" + server + " --app shop");  // no version
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--version is required"), std::string::npos) << r.output;
  r = RunPerfwatch("deploy" + server + " --app shop --service api --version 1");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = RunPerfwatch("deploy" + server + " --app shop --version 1 --time soon");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = RunPerfwatch("deploy --server http://127.0.0.1:1 --app shop --version 1");  // nobody there
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("cannot reach"), std::string::npos) << r.output;
  r = RunPerfwatch("deploy" + server + " --app shop --version " + std::string(300, 'v'));  // refused by the server
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("server answered 400: bad_data"), std::string::npos) << r.output;
  r = RunPerfwatch("deploy --help");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("--environment"), std::string::npos) << r.output;
  EXPECT_EQ(Parse(client.Get("/api/v1/deploys").body)["data"].get_array().value().size(), 1u);
}

// Scopes: posting a deploy needs `ingest`, reading deploys needs `read`; the CLI sends
// --token or $PERFWATCH_TOKEN.
TEST(DeploysAuthTest, ScopesAndCliToken) {
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
  const std::string body = R"({"app":"shop","version":"1"})";
  EXPECT_EQ(client.Post("/api/v1/deploys", body, "application/json").status, 401);
  EXPECT_EQ(client.Post("/api/v1/deploys", body, "application/json", bearer("r-secret")).status, 403);
  EXPECT_EQ(client.Post("/api/v1/deploys", body, "application/json", bearer("ci-secret")).status, 200);
  EXPECT_EQ(client.Get("/api/v1/deploys", bearer("ci-secret")).status, 403);
  EXPECT_EQ(client.Get("/api/v1/deploys", bearer("r-secret")).status, 200);

  const std::string server_flag = " --server http://127.0.0.1:" + std::to_string(server.port());
  auto r = RunPerfwatch("deploy" + server_flag + " --app shop --version 2");
  EXPECT_EQ(r.exit_code, 1) << r.output;  // no token
  EXPECT_NE(r.output.find("server answered 401"), std::string::npos) << r.output;
  r = RunPerfwatch("deploy" + server_flag + " --app shop --version 2 --token ci-secret");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  ::setenv("PERFWATCH_TOKEN", "ci-secret", 1);
  r = RunPerfwatch("deploy" + server_flag + " --app shop --version 3");
  ::unsetenv("PERFWATCH_TOKEN");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  auto list = client.Get("/api/v1/deploys", bearer("r-secret"));
  EXPECT_NE(list.body.find("\"version\":\"3\""), std::string::npos) << list.body;
  EXPECT_NE(list.body.find("\"version\":\"2\""), std::string::npos) << list.body;
}

std::string VitalBeacon(const std::string& name, double value, const std::string& page, int64_t time_ms, int id) {
  char buf[768];
  std::snprintf(buf, sizeof buf,
                R"({"type":"vital","name":"%s","value":%.17g,"rating":"good","delta":%.17g,"id":"v4-%d",)"
                R"("navigationType":"navigate","sessionId":"s%d","url":"https://shop.example%s","app":"shop",)"
                R"("timestamp":%lld})",
                name.c_str(), value, value, id, id / 4, page.c_str(), static_cast<long long>(time_ms));
  return buf;
}

// The issue's check: a scripted deploy that slows one page. Beacons for three pages in
// the 10 minutes before and after a deploy; after it, /checkout's LCP is 40 % slower.
TEST_F(DeploysTest, ReleaseImpactFindsTheSlowedPage) {
  HttpClient client(server_.port());
  const int64_t now = NowMs();
  const int64_t deploy_ms = now - 10 * 60 * 1000;
  std::mt19937_64 rng(15);
  std::lognormal_distribution<double> lcp(7.6, 0.35);  // median ~2000 ms
  std::lognormal_distribution<double> ttfb(5.5, 0.3);
  const char* pages[] = {"/", "/products", "/checkout"};
  int id = 0;
  for (int side = 0; side < 2; ++side) {
    std::string body = "[";
    for (int i = 0; i < 300; ++i) {
      const std::string page = pages[i % 3];
      const int64_t t = deploy_ms + (side == 0 ? -1 : 1) * (1000 + (i * 1931) % (9 * 60 * 1000));
      double v = lcp(rng);
      if (side == 1 && page == "/checkout") v *= 1.4;
      if (i) body += ',';
      body += VitalBeacon("LCP", std::round(v), page, t, id++);
      body += ',' + VitalBeacon("TTFB", std::round(ttfb(rng)), page, t, id++);
    }
    body += ']';
    auto r = client.Post("/api/rum", body);
    ASSERT_EQ(r.status, 204) << r.body;
  }
  auto r = client.Post("/api/v1/deploys",
                       R"({"app":"shop","version":"2.0","time":)" + std::to_string(deploy_ms / 1000.0) + "}");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string deploy_id(std::string_view(Parse(r.body)["data"]["id"]));

  r = client.Get("/api/v1/deploys/" + deploy_id + "/impact?window=10m");
  ASSERT_EQ(r.status, 200) << r.body;
  auto data = Parse(r.body)["data"];
  EXPECT_EQ(std::string_view(data["deploy"]["id"]), deploy_id);
  EXPECT_EQ(std::string_view(data["window"]), "10m");
  int pages_seen = 0;
  for (auto c : data["pages"].get_array()) {
    std::string_view page = c["page"], metric = c["metric"], verdict = c["verdict"];
    const bool slowed = page == "/checkout" && metric == "LCP";
    SCOPED_TRACE(std::string(page) + " " + std::string(metric) + ": " + simdjson::minify(c));
    EXPECT_EQ(uint64_t(c["before_count"]), 100u);
    EXPECT_EQ(uint64_t(c["after_count"]), 100u);
    if (slowed) {
      EXPECT_TRUE(bool(c["significant"]));
      EXPECT_EQ(verdict, "worse");
      EXPECT_LT(double(c["p_value"]), 0.001);
      EXPECT_GT(double(c["change"]), 0.2);
    } else {
      EXPECT_FALSE(bool(c["significant"]));
      EXPECT_EQ(verdict, "unchanged");
    }
    ++pages_seen;
  }
  EXPECT_EQ(pages_seen, 6);  // 3 pages x (LCP, TTFB)
  EXPECT_EQ(data["routes"].get_array().size(), 0u);

  EXPECT_EQ(client.Get("/api/v1/deploys/" + deploy_id + "/impact?window=0s").status, 400);
  EXPECT_EQ(client.Get("/api/v1/deploys/" + deploy_id + "/impact?window=30d").status, 400);
  EXPECT_EQ(client.Get("/api/v1/deploys/" + deploy_id + "/impact?alpha=2").status, 400);
}

}  // namespace
}  // namespace perfwatch
