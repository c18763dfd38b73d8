// Alerting through the real binary: a remote-written breach reaches a local webhook
// receiver with Alertmanager's payload, recovery resolves it, the rule and alert APIs answer
// as Prometheus does, a bad reload keeps the running rules, and a firing alert survives
// kill -9 with its original start.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <snappy.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <set>
#include <thread>

#include "common/time.h"
#include "ingest/remote_write/remote_write_encoder.h"
#include "support/http_client.h"
#include "support/server_process.h"
#include "support/webhook_receiver.h"

namespace perfwatch {
namespace {

using testing::HttpClient;
using testing::ServerProcess;
using testing::WebhookReceiver;

class AlertingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pw_alerting_it_XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    rules_path_ = dir_ + "/rules.yml";
    WriteRules(R"(groups:
  - name: latency
    interval: 1h
    rules:
      - alert: HighLatency
        expr: latency_seconds{route="/checkout"} > 1
        labels:
          severity: '{{ if gt $value 5.0 }}critical{{ else }}page{{ end }}'
        annotations:
          summary: '{{ $labels.route }} takes {{ $value }}s'
      - record: route:latency_seconds:max
        expr: max by (route) (latency_seconds)
)");
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void WriteRules(const std::string& text) {
    std::ofstream(rules_path_) << text;
  }

  std::string Config(const WebhookReceiver& receiver) {
    return "external_url: http://perfwatch.test:9797\n"
           "global:\n  external_labels: {replica: a}\n"
           "rule_files: [" + rules_path_ + "]\n"
           "alerting:\n"
           "  route:\n"
           "    receiver: hook\n"
           "    group_by: [alertname]\n"
           "    group_wait: 0s\n"
           "    group_interval: 1s\n"
           "  receivers:\n"
           "    - name: hook\n"
           "      webhook_configs:\n"
           "        - url: " + receiver.url() + "\n";
  }

  static void Write(uint16_t port, double value) {
    std::vector<std::string> ts = {ingest::EncodeTimeSeries(
        {{"__name__", "latency_seconds"}, {"route", "/checkout"}}, {{NowMs(), value}})};
    std::string raw = ingest::EncodeWriteRequest(ts), body;
    snappy::Compress(raw.data(), raw.size(), &body);
    HttpClient client(port);
    auto r = client.Post("/api/v1/write", body, "application/x-protobuf", {{"Content-Encoding", "snappy"}});
    ASSERT_EQ(r.status, 204) << r.body;
  }

  std::string dir_;
  std::string rules_path_;
};

TEST_F(AlertingTest, BreachReachesTheWebhookAndRecoveryResolvesIt) {
  WebhookReceiver receiver;
  ASSERT_TRUE(receiver.Start());
  ServerProcess server({}, Config(receiver));
  ASSERT_TRUE(server.Start()) << server.log();
  Write(server.port(), 0.4);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(receiver.count(), 0u);

  auto sent = std::chrono::steady_clock::now();
  Write(server.port(), 2.5);
  ASSERT_TRUE(receiver.WaitFor(1, 5000)) << server.log();
  auto first = receiver.requests()[0];
  // The interval is an hour: only event-driven evaluation can have been this quick.
  EXPECT_LT(first.at - sent, std::chrono::seconds(1));
  EXPECT_EQ(first.method, "POST");
  EXPECT_EQ(first.target, "/hook");
  EXPECT_EQ(first.headers["content-type"], "application/json");

  simdjson::dom::parser parser;
  simdjson::dom::element body = parser.parse(first.body);
  EXPECT_EQ(std::string_view(body["receiver"]), "hook");
  EXPECT_EQ(std::string_view(body["status"]), "firing");
  EXPECT_EQ(std::string_view(body["version"]), "4");
  EXPECT_EQ(std::string_view(body["externalURL"]), "http://perfwatch.test:9797");
  EXPECT_EQ(std::string_view(body["groupKey"]), "{}:{alertname=\"HighLatency\"}");
  EXPECT_EQ(int64_t(body["truncatedAlerts"]), 0);
  EXPECT_EQ(std::string_view(body["groupLabels"]["alertname"]), "HighLatency");
  simdjson::dom::element alert = body["alerts"].at(0);
  EXPECT_EQ(std::string_view(alert["status"]), "firing");
  EXPECT_EQ(std::string_view(alert["labels"]["alertname"]), "HighLatency");
  EXPECT_EQ(std::string_view(alert["labels"]["route"]), "/checkout");
  EXPECT_EQ(std::string_view(alert["labels"]["severity"]), "page");
  EXPECT_EQ(std::string_view(alert["labels"]["replica"]), "a");  // external label
  EXPECT_EQ(std::string_view(alert["annotations"]["summary"]), "/checkout takes 2.5s");
  EXPECT_EQ(std::string_view(alert["endsAt"]), "0001-01-01T00:00:00Z");
  EXPECT_EQ(std::string_view(alert["generatorURL"]),
            "http://perfwatch.test:9797/graph?g0.expr=latency_seconds%7Broute%3D%22%2Fcheckout%22%7D+%3E+1&g0.tab=1");
  EXPECT_EQ(std::string_view(alert["fingerprint"]).size(), 16u);

  // Prometheus' listing shows the firing alert and both rules.
  HttpClient client(server.port());
  auto alerts = client.Get("/api/v1/alerts");
  ASSERT_EQ(alerts.status, 200);
  simdjson::dom::element a = parser.parse(alerts.body);
  EXPECT_EQ(std::string_view(a["status"]), "success");
  EXPECT_EQ(std::string_view(a["data"]["alerts"].at(0)["state"]), "firing");
  EXPECT_EQ(std::string_view(a["data"]["alerts"].at(0)["value"]), "2.5e+00");

  // Recovery: resolved on the next group_interval tick.
  Write(server.port(), 0.3);
  ASSERT_TRUE(receiver.WaitFor(2, 5000)) << server.log();
  simdjson::dom::element resolved = parser.parse(receiver.requests()[1].body);
  EXPECT_EQ(std::string_view(resolved["status"]), "resolved");
  EXPECT_NE(std::string_view(resolved["alerts"].at(0)["endsAt"]), "0001-01-01T00:00:00Z");
}

TEST_F(AlertingTest, RulesApiAnswersLikePrometheus) {
  WebhookReceiver receiver;
  ASSERT_TRUE(receiver.Start());
  ServerProcess server({}, Config(receiver));
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient client(server.port());
  auto r = client.Get("/api/v1/rules");
  ASSERT_EQ(r.status, 200) << r.body;
  simdjson::dom::parser parser;
  simdjson::dom::element data = parser.parse(r.body)["data"];
  simdjson::dom::element group = data["groups"].at(0);
  EXPECT_EQ(std::string_view(group["name"]), "latency");
  EXPECT_EQ(std::string_view(group["file"]), rules_path_);
  EXPECT_EQ(double(group["interval"]), 3600);
  EXPECT_EQ(int64_t(group["limit"]), 0);
  simdjson::dom::element alerting = group["rules"].at(0);
  EXPECT_EQ(std::string_view(alerting["type"]), "alerting");
  EXPECT_EQ(std::string_view(alerting["state"]), "inactive");
  EXPECT_EQ(std::string_view(alerting["query"]), "latency_seconds{route=\"/checkout\"} > 1");
  EXPECT_EQ(double(alerting["duration"]), 0);
  EXPECT_EQ(double(alerting["keepFiringFor"]), 0);
  EXPECT_EQ(std::string_view(alerting["health"]), "unknown");
  EXPECT_EQ(std::string_view(alerting["labels"]["severity"]),
            "{{ if gt $value 5.0 }}critical{{ else }}page{{ end }}");
  EXPECT_EQ(simdjson::dom::array(alerting["alerts"]).size(), 0u);
  simdjson::dom::element recording = group["rules"].at(1);
  EXPECT_EQ(std::string_view(recording["type"]), "recording");
  EXPECT_EQ(std::string_view(recording["query"]), "max by (route) (latency_seconds)");
  EXPECT_TRUE(recording["labels"].error());  // omitted when empty, as Prometheus does

  r = client.Get("/api/v1/rules?type=record");
  simdjson::dom::array rules = parser.parse(r.body)["data"]["groups"].at(0)["rules"];
  EXPECT_EQ(rules.size(), 1u);
  r = client.Get("/api/v1/rules?rule_name[]=nosuch");
  EXPECT_EQ(simdjson::dom::array(parser.parse(r.body)["data"]["groups"]).size(), 0u);
  r = client.Get("/api/v1/rules?type=x");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("\"errorType\":\"bad_data\""), std::string::npos);
}

TEST_F(AlertingTest, BadReloadKeepsTheRunningRulesAndAGoodOneReplacesThem) {
  WebhookReceiver receiver;
  ASSERT_TRUE(receiver.Start());
  ServerProcess server({}, Config(receiver));
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient client(server.port());
  WriteRules("groups:\n  - name: latency\n    rules:\n      - alert: Broken\n        expr: 'rate(x[5m]'\n");
  auto r = client.Post("/-/reload", "", "text/plain");
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("rules.yml:5"), std::string::npos) << r.body;
  r = client.Get("/api/v1/rules");
  EXPECT_NE(r.body.find("HighLatency"), std::string::npos);
  EXPECT_EQ(r.body.find("Broken"), std::string::npos);

  WriteRules("groups:\n  - name: other\n    rules:\n      - alert: Replaced\n        expr: up == 0\n");
  r = client.Post("/-/reload", "", "text/plain");
  EXPECT_EQ(r.status, 200) << r.body;
  r = client.Get("/api/v1/rules");
  EXPECT_NE(r.body.find("Replaced"), std::string::npos);
  EXPECT_EQ(r.body.find("HighLatency"), std::string::npos);
}

TEST_F(AlertingTest, SighupReloadsRuleFiles) {
  WebhookReceiver receiver;
  ASSERT_TRUE(receiver.Start());
  ServerProcess server({}, Config(receiver));
  ASSERT_TRUE(server.Start()) << server.log();
  WriteRules("groups:\n  - name: other\n    rules:\n      - alert: AfterHangup\n        expr: up == 0\n");
  server.Signal(SIGHUP);
  HttpClient client(server.port());
  std::string body;
  for (int i = 0; i < 100 && body.find("AfterHangup") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    body = client.Get("/api/v1/rules").body;
  }
  EXPECT_NE(body.find("AfterHangup"), std::string::npos) << server.log();
}

TEST_F(AlertingTest, BadAlertingSectionStopsStartupWithItsLine) {
  ServerProcess server({}, "rule_files: [" + rules_path_ + "]\nalerting:\n  route:\n    receiver: nobody\n");
  EXPECT_FALSE(server.Start());
  std::string log = server.log();
  EXPECT_NE(log.find("alerting"), std::string::npos) << log;
  EXPECT_NE(log.find("alerting: line 4: undefined receiver"), std::string::npos) << log;
  EXPECT_NE(log.find("nobody"), std::string::npos) << log;
}

TEST_F(AlertingTest, NotificationStormSurvivesKill9) {
  // 60 alerts, each its own group, pushed while the receiver is down; perfwatch is killed
  // with SIGKILL, restarted, and the receiver comes up: every alert must arrive.
  WebhookReceiver receiver;
  ASSERT_TRUE(receiver.Start());
  const std::string url = receiver.url();
  receiver.Stop();
  std::string config = "alerting:\n  route:\n    receiver: hook\n    group_by: ['...']\n    group_wait: 0s\n"
                       "  receivers:\n    - name: hook\n      webhook_configs:\n        - url: " + url + "\n";
  ServerProcess server({}, config);
  ASSERT_TRUE(server.Start()) << server.log();
  constexpr int kAlerts = 60;
  std::string alerts = "[";
  for (int i = 0; i < kAlerts; ++i) {
    if (i) alerts += ",";
    alerts += "{\"labels\":{\"alertname\":\"Storm\",\"n\":\"" + std::to_string(i) + "\"}}";
  }
  alerts += "]";
  HttpClient client(server.port());
  auto r = client.Post("/api/v2/alerts", alerts, "application/json");
  ASSERT_EQ(r.status, 200) << r.body;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // queued, first attempts failed
  server.Kill();
  ASSERT_TRUE(server.Start()) << server.log();
  receiver.Start();
  std::set<std::string> seen;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(40);
  simdjson::dom::parser parser;
  while (seen.size() < kAlerts && std::chrono::steady_clock::now() < deadline) {
    receiver.WaitFor(receiver.count() + 1, 500);
    for (const auto& req : receiver.requests()) {
      simdjson::dom::element body;
      if (parser.parse(req.body).get(body)) continue;
      for (simdjson::dom::element a : simdjson::dom::array(body["alerts"])) {
        seen.insert(std::string(std::string_view(a["labels"]["n"])));
      }
    }
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kAlerts)) << server.log();
}

TEST_F(AlertingTest, FiringAlertSurvivesKill9WithItsStart) {
  WebhookReceiver receiver;
  ASSERT_TRUE(receiver.Start());
  ServerProcess server({}, Config(receiver));
  ASSERT_TRUE(server.Start()) << server.log();
  Write(server.port(), 9.0);
  ASSERT_TRUE(receiver.WaitFor(1, 5000)) << server.log();
  HttpClient client(server.port());
  std::string before = client.Get("/api/v1/alerts").body;
  std::this_thread::sleep_for(std::chrono::milliseconds(400));  // the state file follows within 100 ms
  server.Kill();
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient after_client(server.port());
  std::string after = after_client.Get("/api/v1/alerts").body;
  simdjson::dom::parser p1, p2;
  simdjson::dom::element a = p1.parse(before)["data"]["alerts"].at(0);
  simdjson::dom::element b = p2.parse(after)["data"]["alerts"].at(0);
  EXPECT_EQ(std::string_view(b["state"]), "firing");
  EXPECT_EQ(std::string_view(a["activeAt"]), std::string_view(b["activeAt"]));
  EXPECT_EQ(std::string_view(b["labels"]["severity"]), "critical");
}

}  // namespace
}  // namespace perfwatch
