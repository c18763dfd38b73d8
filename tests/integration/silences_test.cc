// Silences through the real binary: a silence created over HTTP mutes a posted alert (no
// webhook, listed as suppressed), survives kill -9 right after the POST answered, and
// once expired with DELETE the alert reaches the receiver at the group's next tick.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <thread>

#include "common/time.h"
#include "support/http_client.h"
#include "support/server_process.h"
#include "support/webhook_receiver.h"

namespace perfwatch {
namespace {

using testing::HttpClient;
using testing::ServerProcess;
using testing::WebhookReceiver;

std::string IsoTime(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string Config(const WebhookReceiver& receiver) {
  return "alerting:\n"
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

TEST(SilencesIntegration, SilenceMutesSurvivesKill9AndExpires) {
  WebhookReceiver receiver;
  ASSERT_TRUE(receiver.Start());
  ServerProcess server({}, Config(receiver));
  ASSERT_TRUE(server.Start()) << server.log();

  const int64_t now = NowMs();
  const std::string silence =
      R"({"matchers":[{"name":"alertname","value":"Disk.*","isRegex":true}],"startsAt":")" +
      IsoTime(now - 1000) + R"(","endsAt":")" + IsoTime(now + 3600'000) +
      R"(","createdBy":"ops","comment":"disk swap"})";
  std::string id;
  {
    HttpClient client(server.port());
    auto r = client.Post("/api/v2/silences", silence);
    ASSERT_EQ(r.status, 200) << r.body;
    simdjson::dom::parser p;
    id = std::string(std::string_view(p.parse(r.body)["silenceID"]));
    ASSERT_EQ(id.size(), 36u);
  }
  server.Kill();  // at once: the silence must already be on disk
  ASSERT_TRUE(server.Start()) << server.log();

  HttpClient client(server.port());
  auto one = client.Get("/api/v2/silence/" + id);
  ASSERT_EQ(one.status, 200) << one.body;
  {
    simdjson::dom::parser p;
    auto s = p.parse(one.body);
    EXPECT_EQ(std::string_view(s["status"]["state"]), "active");
    EXPECT_EQ(std::string_view(s["createdBy"]), "ops");
    EXPECT_EQ(std::string_view(s["matchers"].at(0)["value"]), "Disk.*");
    EXPECT_EQ(bool(s["matchers"].at(0)["isRegex"]), true);
  }

  auto posted = client.Post("/api/v2/alerts",
                            R"([{"labels":{"alertname":"DiskFull","instance":"db1"}},)"
                            R"({"labels":{"alertname":"CpuHigh","instance":"db1"}}])");
  ASSERT_EQ(posted.status, 200) << posted.body;
  ASSERT_TRUE(receiver.WaitFor(1, 10'000)) << server.log();
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // two more group ticks
  ASSERT_EQ(receiver.count(), 1u);  // CpuHigh only
  EXPECT_NE(receiver.requests()[0].body.find("CpuHigh"), std::string::npos);
  EXPECT_EQ(receiver.requests()[0].body.find("DiskFull"), std::string::npos);

  auto alerts = client.Get("/api/v2/alerts?filter=alertname%3DDiskFull");
  ASSERT_EQ(alerts.status, 200);
  EXPECT_NE(alerts.body.find("\"silencedBy\":[\"" + id + "\"],\"state\":\"suppressed\""),
            std::string::npos)
      << alerts.body;
  EXPECT_EQ(client.Get("/api/v2/alerts?silenced=false&filter=alertname%3DDiskFull").body, "[]\n");
  auto metrics = client.Get("/metrics");
  EXPECT_NE(metrics.body.find("alertmanager_silences{state=\"active\"} 1"), std::string::npos);

  auto del = client.Request("DELETE", "/api/v2/silence/" + id, "", {});
  EXPECT_EQ(del.status, 200) << del.body;
  ASSERT_TRUE(receiver.WaitFor(2, 10'000)) << server.log();
  EXPECT_NE(receiver.requests()[1].body.find("DiskFull"), std::string::npos);
  auto expired = client.Get("/api/v2/silence/" + id);
  EXPECT_NE(expired.body.find("\"state\":\"expired\""), std::string::npos);
  EXPECT_EQ(client.Get("/api/v2/silence/00000000-0000-4000-8000-000000000000").status, 404);
}

}  // namespace
}  // namespace perfwatch
