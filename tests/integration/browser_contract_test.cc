// What a browser on another origin sees: CORS on /api/rum, /rum.js served with caching
// headers, and the raw events coming back through the export.
#include <gtest/gtest.h>
#include <simdjson.h>

#include "support/http_client.h"
#include "support/server_process.h"

namespace perfwatch {
namespace {

using testing::HttpClient;
using testing::ServerProcess;

TEST(BrowserContractTest, CorsPreflightAndResponseHeadersForAnyOriginByDefault) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient client(server.port());
  auto pre = client.Request("OPTIONS", "/api/rum", "",
                            {{"Origin", "https://shop.example"}, {"Access-Control-Request-Method", "POST"},
                             {"Access-Control-Request-Headers", "content-type"}});
  EXPECT_EQ(pre.status, 204);
  EXPECT_FALSE(pre.Header("access-control-allow-origin").empty());
  EXPECT_NE(pre.Header("access-control-allow-methods").find("POST"), std::string::npos);
  EXPECT_NE(pre.Header("access-control-allow-headers").find("Content-Type"), std::string::npos);
  auto post = client.Post("/api/rum", R"({"name":"LCP","value":1200})", "text/plain;charset=UTF-8",
                          {{"Origin", "https://shop.example"}});
  EXPECT_EQ(post.status, 204);
  EXPECT_FALSE(post.Header("access-control-allow-origin").empty());
}

TEST(BrowserContractTest, OriginAllowListIsEnforced) {
  ServerProcess server({}, "rum:\n  cors_allowed_origins: [\"https://shop.example\"]\n");
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient client(server.port());
  auto ok = client.Post("/api/rum", R"({"name":"LCP","value":1200})", "application/json",
                        {{"Origin", "https://shop.example"}});
  EXPECT_EQ(ok.status, 204);
  EXPECT_EQ(ok.Header("access-control-allow-origin"), "https://shop.example");
  auto other = client.Post("/api/rum", R"({"name":"LCP","value":1200})", "application/json",
                           {{"Origin", "https://evil.example"}});
  EXPECT_EQ(other.status, 403);
  EXPECT_TRUE(other.Header("access-control-allow-origin").empty());
}

TEST(BrowserContractTest, ExportReturnsStoredEventsWithDerivedFields) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient client(server.port());
  ASSERT_EQ(client.Post("/api/rum?app=shop",
                        R"([{"type":"vital","name":"LCP","value":2345.6,"id":"v4-1","sessionId":"s1",
                             "url":"https://shop.example/p/42?q=1","connection":"4g","deviceMemory":8,
                             "userAgent":"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1"},
                            {"type":"error","message":"boom","url":"/checkout"}])")
                .status,
            204);
  auto all = client.Get("/api/v1/events/export");
  ASSERT_EQ(all.status, 200);
  EXPECT_NE(all.Header("content-type").find("ndjson"), std::string::npos);
  simdjson::dom::parser parser;
  int lines = 0;
  size_t start = 0;
  while (start < all.body.size()) {
    size_t end = all.body.find('\n', start);
    ASSERT_NE(end, std::string::npos);
    simdjson::dom::element e = parser.parse(all.body.substr(start, end - start));
    std::string_view type = e["type"];
    if (type == "vital") {
      EXPECT_EQ(std::string_view(e["name"]), "LCP");
      EXPECT_EQ(double(e["value"]), 2345.6);
      EXPECT_EQ(std::string_view(e["page"]), "/p/:id");
      EXPECT_EQ(std::string_view(e["device"]), "mobile");
      EXPECT_EQ(std::string_view(e["app"]), "shop");
      EXPECT_EQ(std::string_view(e["connection"]), "4g");
      EXPECT_EQ(int64_t(e["deviceMemory"]), 8);  // unknown-to-the-store fields are kept
    } else {
      EXPECT_EQ(type, "error");
      EXPECT_EQ(std::string_view(e["message"]), "boom");
    }
    ++lines;
    start = end + 1;
  }
  EXPECT_EQ(lines, 2);
  auto errors = client.Get("/api/v1/events/export?type=error");
  EXPECT_EQ(std::count(errors.body.begin(), errors.body.end(), '\n'), 1);
  EXPECT_EQ(client.Get("/api/v1/events/export?type=nope").status, 400);
  EXPECT_EQ(client.Get("/api/v1/events/export?start=later").status, 400);
  auto none = client.Get("/api/v1/events/export?end=1000");
  EXPECT_EQ(none.status, 200);
  EXPECT_TRUE(none.body.empty());
}

TEST(BrowserContractTest, RumJsIsServedWithCachingHeadersWhenBuiltIn) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient client(server.port());
  auto r = client.Get("/rum.js");
  if (r.status == 404) GTEST_SKIP() << "built with -DPERFWATCH_FRONTEND=OFF";
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.Header("content-type").find("javascript"), std::string::npos);
  EXPECT_GT(r.body.size(), 1000u);
  ASSERT_FALSE(r.Header("etag").empty());
  EXPECT_EQ(client.Get("/rum.js", {{"If-None-Match", r.Header("etag")}}).status, 304);
  auto page = client.Get("/");  // the dashboard's shell: its script does the rest
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<script type=\"module\""), std::string::npos) << page.body;
}

}  // namespace
}  // namespace perfwatch
