// Scraping through the real binary: the self-scrape (on by default, off by config), a
// configured static target served by an in-test HTTP server, /api/v1/metadata, and config
// errors that stop start-up.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "common/metrics.h"
#include "http/server.h"
#include "support/http_client.h"
#include "support/run_perfwatch.h"
#include "support/server_process.h"

namespace perfwatch {
namespace {

using testing::HttpClient;
using testing::ServerProcess;
using testing::UrlEncode;

// The /api/v1/series answer for `selector`, polled until it lists a series (or 15 s pass).
std::string WaitForSeries(uint16_t port, const std::string& selector) {
  HttpClient client(port);
  std::string body;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = client.Get("/api/v1/series?match[]=" + UrlEncode(selector));
    body = r.body;
    if (r.status == 200 && body.find("\"data\":[]") == std::string::npos) return body;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return body;
}

TEST(ScrapeIntegrationTest, SelfScrapeIsOnByDefault) {
  ServerProcess server({}, "scrape: {self_scrape_interval: 300ms}\n");
  ASSERT_TRUE(server.Start()) << server.log();
  std::string instance = "127.0.0.1:" + std::to_string(server.port());
  std::string up = WaitForSeries(server.port(), "up{job=\"perfwatch\"}");
  EXPECT_NE(up.find("\"instance\":\"" + instance + "\""), std::string::npos) << up;
  std::string own = WaitForSeries(server.port(), "perfwatch_http_requests_total{job=\"perfwatch\"}");
  EXPECT_NE(own.find("perfwatch_http_requests_total"), std::string::npos) << own;
  HttpClient client(server.port());
  auto exported = client.Get("/api/v1/export?match[]=" + UrlEncode("up{job=\"perfwatch\"}"));
  ASSERT_EQ(exported.status, 200);
  EXPECT_NE(exported.body.find("\"values\":[1"), std::string::npos) << exported.body;
  // Our own scrape counters show up in /metrics.
  auto metrics = client.Get("/metrics");
  EXPECT_NE(metrics.body.find("perfwatch_scrape_attempts_total{job=\"perfwatch\"}"), std::string::npos);
}

TEST(ScrapeIntegrationTest, SelfScrapeCanBeTurnedOff) {
  ServerProcess server({}, "scrape: {self_scrape: false, self_scrape_interval: 200ms}\n");
  ASSERT_TRUE(server.Start()) << server.log();
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  HttpClient client(server.port());
  auto r = client.Get("/api/v1/series?match[]=" + UrlEncode("{job=\"perfwatch\"}"));
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("\"data\":[]"), std::string::npos) << r.body;
}

TEST(ScrapeIntegrationTest, ScrapesAConfiguredTargetAndServesMetadata) {
  http::Router router;
  router.Handle("GET", "/probe", [](const http::Request& req, http::Response& res) {
    res.content_type = "text/plain; version=0.0.4";
    res.body = "# HELP app_orders_total Orders placed.\n# TYPE app_orders_total counter\napp_orders_total{shop=\"eu\"} 42\n"
               "# HELP app_module Echo of the module parameter.\n# TYPE app_module gauge\napp_module{module=\"" +
               req.Param("module").value_or("") + "\"} 1\n";
  });
  HttpConfig hc;
  hc.listen = "127.0.0.1:0";
  hc.threads = 1;
  MetricsRegistry target_metrics;
  auto target = std::move(http::Server::Create(hc, std::move(router), &target_metrics)).value();
  ASSERT_TRUE(target->Start().ok());
  const std::string address = "127.0.0.1:" + std::to_string(target->port());

  ServerProcess server({}, "scrape: {self_scrape: false}\nscrape_configs:\n  - job_name: shop\n"
                           "    scrape_interval: 300ms\n    scrape_timeout: 250ms\n    metrics_path: /probe\n"
                           "    params: {module: [orders]}\n    static_configs:\n"
                           "      - targets: [\"" + address + "\"]\n        labels: {env: test}\n");
  ASSERT_TRUE(server.Start()) << server.log();
  std::string orders = WaitForSeries(server.port(), "app_orders_total");
  EXPECT_NE(orders.find("\"job\":\"shop\""), std::string::npos) << orders;
  EXPECT_NE(orders.find("\"env\":\"test\""), std::string::npos) << orders;
  EXPECT_NE(orders.find("\"instance\":\"" + address + "\""), std::string::npos) << orders;
  EXPECT_NE(WaitForSeries(server.port(), "app_module{module=\"orders\"}").find("app_module"), std::string::npos);

  HttpClient client(server.port());
  auto md = client.Get("/api/v1/metadata?metric=app_orders_total");
  EXPECT_EQ(md.status, 200);
  EXPECT_EQ(md.body, R"({"status":"success","data":{"app_orders_total":[{"type":"counter","help":"Orders placed.","unit":""}]}})");
  auto all = client.Get("/api/v1/metadata");
  for (const char* family : {"\"app_module\"", "\"perfwatch_http_requests_total\"", "\"rum_lcp_seconds\"",
                             "\"process_resident_memory_bytes\""}) {
    EXPECT_NE(all.body.find(family), std::string::npos) << family;
  }
  auto one = client.Get("/api/v1/metadata?limit=1");
  EXPECT_EQ(one.status, 200);
  EXPECT_EQ(std::count(one.body.begin(), one.body.end(), '['), 1) << one.body;
  EXPECT_EQ(client.Get("/api/v1/metadata?limit=x").status, 400);

  // The target goes away: up turns 0 and its series get stale markers (exported as null).
  target->Stop();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::string exported;
  while (std::chrono::steady_clock::now() < deadline) {
    exported = client.Get("/api/v1/export?match[]=" + UrlEncode("app_orders_total")).body;
    if (exported.find("null") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(exported.find("null"), std::string::npos) << exported;
  EXPECT_NE(client.Get("/api/v1/export?match[]=" + UrlEncode("up{job=\"shop\"}")).body.find(",0]"), std::string::npos);
}

TEST(ScrapeIntegrationTest, BadScrapeConfigStopsStartup) {
  char path[] = "/tmp/perfwatch-scrape-XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  std::ofstream(path) << "scrape_configs:\n  - job_name: a\n    scheme: ftp\n    static_configs: [{targets: [\"h:1\"]}]\n";
  testing::CommandResult r =
      testing::RunPerfwatch(std::string("serve --listen 127.0.0.1:0 --config ") + path);
  std::remove(path);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("scheme must be http or https"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace perfwatch
