// Escalation through the real binary, in real time: two rules fire at once (two groups),
// the route's escalation policy notifies the lead after 1 s and the manager after 12 s.
// Both alerts reach the lead with the payload's "escalation" marker; alert A is then
// acknowledged through POST /api/v1/alerts/{fingerprint}/ack (both APIs show the chain),
// and once the manager has been told of B (its step time has passed) it must never have
// been told of A.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "support/http_client.h"
#include "support/server_process.h"
#include "support/webhook_receiver.h"

namespace perfwatch {
namespace {

using testing::HttpClient;
using testing::ServerProcess;
using testing::WebhookReceiver;

void Sleep(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

size_t CountWith(const WebhookReceiver& rx, const std::string& path, const std::string& needle) {
  size_t n = 0;
  for (const auto& r : rx.requests()) {
    n += r.target == path && r.body.find(needle) != std::string::npos;
  }
  return n;
}

// Polls until `pred` holds or `timeout_ms` passes.
template <typename Pred>
bool WaitUntil(Pred pred, int timeout_ms) {
  for (int waited = 0; waited < timeout_ms; waited += 100) {
    if (pred()) return true;
    Sleep(100);
  }
  return pred();
}

TEST(EscalationIntegration, StepsReachTheirReceiversAndAnAckStopsTheLaterStep) {
  char tmpl[] = "/tmp/pw_esc_it_XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  const std::string rules = dir + "/rules.yml";
  std::ofstream(rules) << "groups:\n"
                          "  - name: always\n"
                          "    interval: 1s\n"
                          "    rules:\n"
                          "      - alert: EscA\n"
                          "        expr: vector(1)\n"
                          "      - alert: EscB\n"
                          "        expr: vector(1)\n";
  WebhookReceiver rx;
  ASSERT_TRUE(rx.Start());
  const std::string config =
      "rule_files: [" + rules + "]\n"
      "alerting:\n"
      "  route:\n"
      "    receiver: team\n"
      "    group_by: [alertname]\n"
      "    group_wait: 0s\n"
      "    group_interval: 1s\n"
      "    repeat_interval: 1h\n"
      "    escalation: page\n"
      "  escalations:\n"
      "    page:\n"
      "      steps:\n"
      "        - {after: 1s, receivers: [lead]}\n"
      "        - {after: 12s, receivers: [manager]}\n"
      "  receivers:\n"
      "    - name: team\n"
      "      webhook_configs: [{url: '" + rx.url("/team") + "'}]\n"
      "    - name: lead\n"
      "      webhook_configs: [{url: '" + rx.url("/lead") + "'}]\n"
      "    - name: manager\n"
      "      webhook_configs: [{url: '" + rx.url("/manager") + "'}]\n";
  ServerProcess server({}, config);
  ASSERT_TRUE(server.Start()) << server.log();

  // Both alerts reach the lead, marked as escalation step 1.
  ASSERT_TRUE(WaitUntil(
      [&] {
        return CountWith(rx, "/lead", "\"alertname\":\"EscA\"") >= 1 &&
               CountWith(rx, "/lead", "\"alertname\":\"EscB\"") >= 1;
      },
      60'000))
      << server.log();
  EXPECT_EQ(CountWith(rx, "/lead", "\"escalation\":{\"policy\":\"page\",\"step\":1,\"run\":1}"),
            2u);
  EXPECT_GE(CountWith(rx, "/team", "\"alertname\":\"EscA\""), 1u);

  HttpClient client(server.port());
  auto alerts = client.Get("/api/v2/alerts?filter=alertname%3D%22EscA%22");
  ASSERT_EQ(alerts.status, 200) << alerts.body;
  simdjson::dom::parser parser;
  auto first = parser.parse(alerts.body).at(0);
  const std::string fp = std::string(std::string_view(first["fingerprint"]));
  EXPECT_EQ(std::string_view(first["status"]["escalation"]["policy"]), "page");
  EXPECT_EQ(int64_t(first["status"]["escalation"]["step"]), 1);
  auto v1 = client.Get("/api/v1/alerts");
  ASSERT_EQ(v1.status, 200) << v1.body;
  EXPECT_NE(v1.body.find("\"escalation\":{\"policy\":\"page\",\"step\":1,\"run\":1,"),
            std::string::npos)
      << v1.body;
  auto ack = client.Post("/api/v1/alerts/" + fp + "/ack", R"({"comment":"mine"})",
                         "application/json");
  ASSERT_EQ(ack.status, 200) << ack.body;

  // B's manager step proves the step time has passed; A's must never have gone out.
  ASSERT_TRUE(WaitUntil([&] { return CountWith(rx, "/manager", "\"alertname\":\"EscB\"") >= 1; },
                        90'000))
      << server.log();
  Sleep(3000);  // anything still queued for A would have been delivered by now
  EXPECT_EQ(CountWith(rx, "/manager", "\"alertname\":\"EscA\""), 0u);
  EXPECT_EQ(CountWith(rx, "/manager", "\"step\":2,\"run\":1}"), 1u);

  auto metrics = client.Get("/metrics");
  EXPECT_NE(metrics.body.find("perfwatch_alert_escalations_total{policy=\"page\"} 3"),
            std::string::npos);
  server.Stop();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace perfwatch
