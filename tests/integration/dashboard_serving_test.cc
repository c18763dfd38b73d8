// How the binary serves the dashboard (issue 13): every page path answers index.html (the
// script reads the path itself), files under /assets/ are served with their type and a
// long immutable cache, anything else stays a 404 in Prometheus' error shape, and
// --web-dir serves a directory on disk instead of the embedded copy without letting a
// path climb out of it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/http_client.h"
#include "support/server_process.h"

namespace perfwatch {
namespace {

using testing::HttpClient;
using testing::ServerProcess;

class DashboardServing : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pw_dash_it_XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    std::filesystem::create_directories(dir_ / "web" / "assets");
    std::ofstream(dir_ / "web" / "index.html") << "<!doctype html><title>dev dashboard</title>";
    std::ofstream(dir_ / "web" / "assets" / "app-1234.js") << "console.log('dev')";
    std::ofstream(dir_ / "web" / "assets" / "app-1234.css") << "body{}";
    std::ofstream(dir_ / "secret.txt") << "outside the web dir";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::filesystem::path dir_;
};

TEST_F(DashboardServing, WebDirServesPagesAndAssetsFromDisk) {
  ServerProcess server({"--web-dir", (dir_ / "web").string()});
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient client(server.port());
  for (const char* page : {"/", "/overview", "/vitals", "/alerts", "/explore", "/server", "/services", "/route",
                           "/trace", "/db", "/errors", "/checks"}) {
    auto res = client.Get(std::string(page) + "?app=shop&window=1h");
    EXPECT_EQ(res.status, 200) << page;
    EXPECT_EQ(res.Header("content-type"), "text/html; charset=utf-8") << page;
    EXPECT_NE(res.body.find("dev dashboard"), std::string::npos) << page;
  }
  auto js = client.Get("/assets/app-1234.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.Header("content-type"), "application/javascript; charset=utf-8");
  EXPECT_EQ(js.body, "console.log('dev')");
  // Files being developed change under the same name: never cached for good.
  EXPECT_EQ(js.Header("cache-control"), "no-cache");
  EXPECT_EQ(client.Get("/assets/app-1234.css").Header("content-type"), "text/css; charset=utf-8");

  // Missing files and any path with ".." are 404s; the file outside stays unread.
  for (const char* bad : {"/assets/nope.js", "/assets/../../secret.txt", "/assets/..%2F..%2Fsecret.txt", "/assets/.."}) {
    auto res = client.Get(bad);
    EXPECT_EQ(res.status, 404) << bad;
    EXPECT_EQ(res.body.find("outside the web dir"), std::string::npos) << bad;
  }
  // Paths that are no page are not the dashboard.
  auto other = client.Get("/not-a-page");
  EXPECT_EQ(other.status, 404);
  EXPECT_NE(other.body.find("\"status\":\"error\""), std::string::npos);
  // The API keeps answering beside it.
  EXPECT_EQ(client.Get("/api/v1/status/buildinfo").status, 200);
}

TEST_F(DashboardServing, WebDirFromTheConfigFile) {
  ServerProcess server({}, "http:\n  web_dir: " + (dir_ / "web").string() + "\n");
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient client(server.port());
  auto res = client.Get("/vitals");
  EXPECT_EQ(res.status, 200);
  EXPECT_NE(res.body.find("dev dashboard"), std::string::npos);
}

TEST_F(DashboardServing, EmbeddedDashboardPagesAndImmutableAssets) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient client(server.port());
  auto index = client.Get("/");
  if (index.status == 404) GTEST_SKIP() << "built with PERFWATCH_FRONTEND=OFF: no dashboard embedded";
  ASSERT_EQ(index.status, 200);
  EXPECT_EQ(index.Header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(index.Header("cache-control"), "no-cache");
  for (const char* page : {"/overview", "/vitals", "/alerts", "/explore", "/server", "/services", "/route", "/trace",
                           "/db", "/errors", "/checks"}) {
    auto res = client.Get(page);
    EXPECT_EQ(res.status, 200) << page;
    EXPECT_EQ(res.body, index.body) << page;
  }
  // index.html names its script under /assets/ (Vite's hashed name): served, cached for good.
  auto at = index.body.find("/assets/");
  ASSERT_NE(at, std::string::npos) << index.body;
  auto end = index.body.find('"', at);
  std::string script = index.body.substr(at, end - at);
  auto js = client.Get(script);
  EXPECT_EQ(js.status, 200) << script;
  EXPECT_EQ(js.Header("cache-control"), "public, max-age=31536000, immutable");
  EXPECT_FALSE(js.Header("etag").empty());
  auto again = client.Get(script, {{"If-None-Match", js.Header("etag")}});
  EXPECT_EQ(again.status, 304);
  EXPECT_EQ(client.Get("/assets/not-built.js").status, 404);
}

}  // namespace
}  // namespace perfwatch
