// Acknowledgement through the real binary with auth.tokens configured: a rule fires, the
// webhook gets repeats every repeat_interval (2s); POST /api/v1/alerts/{fp}/ack with an
// `alert` token stops them, the token's name shows in /api/v1/alerts and /api/v2/alerts,
// the acknowledgement survives kill -9 right after the POST answered, and DELETE brings
// the repeats back. Scopes: no token -> 401, a `read` token -> 403.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "support/http_client.h"
#include "support/server_process.h"
#include "support/sha256.h"
#include "support/webhook_receiver.h"

namespace perfwatch {
namespace {

using testing::HttpClient;
using testing::ServerProcess;
using testing::WebhookReceiver;
using Headers = std::vector<std::pair<std::string, std::string>>;

using testing::Sha256Hex;

Headers Bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

void Sleep(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

class AckIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pw_ack_it_XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    rules_path_ = dir_ + "/rules.yml";
    std::ofstream(rules_path_) << "groups:\n"
                                  "  - name: always\n"
                                  "    interval: 1s\n"
                                  "    rules:\n"
                                  "      - alert: AlwaysFiring\n"
                                  "        expr: vector(1)\n";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string Config(const WebhookReceiver& receiver) {
    return "global:\n  external_labels: {replica: a}\n"
           "rule_files: [" + rules_path_ + "]\n"
           "auth:\n"
           "  tokens:\n"
           "    - {name: reader, token_sha256: " + Sha256Hex("r-secret") + ", scopes: [read]}\n"
           "    - {name: pager-alice, token_sha256: " + Sha256Hex("a-secret") + ", scopes: [alert]}\n"
           "    - {name: root, token_sha256: " + Sha256Hex("x-secret") + ", scopes: [admin]}\n"
           "alerting:\n"
           "  route:\n"
           "    receiver: hook\n"
           "    group_by: [alertname]\n"
           "    group_wait: 0s\n"
           "    group_interval: 1s\n"
           "    repeat_interval: 2s\n"
           "  receivers:\n"
           "    - name: hook\n"
           "      webhook_configs:\n"
           "        - url: " + receiver.url() + "\n";
  }

  std::string dir_, rules_path_;
};

TEST_F(AckIntegration, AckStopsRepeatsShowsWhoSurvivesKill9AndUnackResumes) {
  WebhookReceiver receiver;
  ASSERT_TRUE(receiver.Start());
  ServerProcess server({}, Config(receiver));
  ASSERT_TRUE(server.Start()) << server.log();

  // Firing and repeating every 2s.
  ASSERT_TRUE(receiver.WaitFor(2, 20'000)) << server.log();
  std::string fp;
  {
    HttpClient client(server.port());
    auto alerts = client.Get("/api/v2/alerts?filter=alertname%3DAlwaysFiring", Bearer("r-secret"));
    ASSERT_EQ(alerts.status, 200) << alerts.body;
    simdjson::dom::parser p;
    fp = std::string(std::string_view(p.parse(alerts.body).at(0)["fingerprint"]));
    ASSERT_EQ(fp.size(), 16u);
    EXPECT_EQ(alerts.body.find("\"acknowledgement\""), std::string::npos);

    const std::string path = "/api/v1/alerts/" + fp + "/ack";
    EXPECT_EQ(client.Post(path, "{}").status, 401);
    EXPECT_EQ(client.Post(path, "{}", "application/json", Bearer("r-secret")).status, 403);
    EXPECT_EQ(client.Post("/api/v1/alerts/0000000000000001/ack", "{}", "application/json",
                          Bearer("a-secret")).status,
              404);
    EXPECT_EQ(client.Post(path, "[1]", "application/json", Bearer("a-secret")).status, 400);

    auto ack = client.Post(path, R"({"comment":"on it"})", "application/json", Bearer("a-secret"));
    ASSERT_EQ(ack.status, 200) << ack.body;
    simdjson::dom::parser p2;
    auto obj = p2.parse(ack.body);
    EXPECT_EQ(std::string_view(obj["fingerprint"]), fp);
    EXPECT_EQ(std::string_view(obj["acknowledgedBy"]), "pager-alice");
    EXPECT_EQ(std::string_view(obj["comment"]), "on it");
    EXPECT_TRUE(obj["until"].is_null());
  }
  server.Kill();  // at once: the acknowledgement must already be on disk
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient client(server.port());

  auto v2 = client.Get("/api/v2/alerts?filter=alertname%3DAlwaysFiring", Bearer("r-secret"));
  EXPECT_NE(v2.body.find("\"status\":{\"acknowledgement\":{\"fingerprint\":\"" + fp +
                         "\",\"acknowledgedBy\":\"pager-alice\""),
            std::string::npos)
      << v2.body;
  auto v1 = client.Get("/api/v1/alerts", Bearer("r-secret"));
  ASSERT_EQ(v1.status, 200);
  EXPECT_NE(v1.body.find("\"acknowledgedBy\":\"pager-alice\",\"acknowledgedAt\":\""),
            std::string::npos)
      << v1.body;

  // No repeats while acknowledged (without it: about three in 6 s).
  Sleep(1500);
  const size_t settled = receiver.count();
  Sleep(6000);
  EXPECT_EQ(receiver.count(), settled) << server.log();

  auto del = client.Request("DELETE", "/api/v1/alerts/" + fp + "/ack", "", Bearer("a-secret"));
  EXPECT_EQ(del.status, 200) << del.body;
  EXPECT_TRUE(receiver.WaitFor(settled + 1, 10'000)) << server.log();
  EXPECT_EQ(client.Get("/api/v1/alerts", Bearer("r-secret")).body.find("acknowledgedBy"),
            std::string::npos);
  auto metrics = client.Get("/metrics", Bearer("x-secret"));
  EXPECT_NE(metrics.body.find("perfwatch_alert_acknowledgements_total"), std::string::npos);
}

}  // namespace
}  // namespace perfwatch
