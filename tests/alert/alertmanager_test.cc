// The notification pipeline end to end with a FakeClock and ProcessDue (no threads), a
// local webhook receiver, and the state directory: grouping and timers, dedup and
// repeat_interval, resolved notifications, inhibition, max_alerts, retries, the
// persisted queue across a restart, a slow receiver beside a fast one, and the v2 API.
#include "alert/alertmanager.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "alert/am_api.h"
#include "alert/am_format.h"
#include "http/router.h"
#include "support/temp_dir.h"
#include "support/webhook_receiver.h"

namespace perfwatch::alert {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kSec = 1000;
constexpr int64_t kMin = 60 * kSec;
constexpr int64_t kHour = 60 * kMin;

using perfwatch::testing::TempDir;

size_t Count(const std::string& s, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = s.find(needle); pos != std::string::npos; pos = s.find(needle, pos + 1)) ++n;
  return n;
}
size_t AlertsIn(const std::string& body) { return Count(body, "\"fingerprint\":"); }
std::string GroupStatus(const std::string& body) {
  size_t pos = body.find("\"status\":\"");
  return body.substr(pos + 10, body.find('"', pos + 10) - pos - 10);
}

Route MakeRoute(std::string receiver, std::vector<std::string> group_by) {
  Route r;
  r.receiver = std::move(receiver);
  r.group_by = std::move(group_by);
  r.key = "{}";
  r.group_wait_ms = 30 * kSec;
  r.group_interval_ms = 5 * kMin;
  r.repeat_interval_ms = kHour;
  return r;
}

Receiver MakeReceiver(std::string name, const std::string& url, bool send_resolved = true) {
  Receiver r;
  r.name = std::move(name);
  WebhookConfig wh;
  wh.url = url;
  wh.send_resolved = send_resolved;
  wh.timeout_ms = 2000;
  r.webhook_configs.push_back(wh);
  return r;
}

class AlertmanagerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(rx_.Start()); }

  AlertmanagerConfig OneReceiver(bool send_resolved = true) {
    AlertmanagerConfig c;
    c.route = MakeRoute("team", {"alertname"});
    c.receivers.push_back(MakeReceiver("team", rx_.url(), send_resolved));
    return c;
  }

  std::unique_ptr<Alertmanager> Open(AlertmanagerConfig config, bool threads = false) {
    AlertmanagerOptions o;
    o.state_dir = dir_.path() / "am";
    o.external_url = "http://pw:9797";
    o.clock = threads ? nullptr : &clock_;
    o.metrics = &metrics_;
    o.start_threads = threads;
    o.first_retry_backoff_ms = 100;
    o.max_retry_backoff_ms = 1000;
    auto am = Alertmanager::Open(o, std::move(config));
    EXPECT_TRUE(am.ok()) << am.status().ToString();
    if (!am.ok()) return nullptr;
    EXPECT_TRUE((*am)->Start().ok());
    return std::move(*am);
  }

  // A firing alert as Prometheus sends it (ends_at set well ahead).
  Alert Firing(const std::string& name, const std::string& instance, LabelSet extra = {}) {
    Alert a;
    a.labels = {{"alertname", name}, {"instance", instance}};
    for (auto& kv : extra) a.labels.push_back(kv);
    NormalizeLabelSet(a.labels);
    a.annotations = {{"summary", name + " on " + instance}};
    a.starts_at_ms = clock_.NowMs();
    a.ends_at_ms = clock_.NowMs() + 10 * kHour;
    return a;
  }
  Alert Resolved(Alert a) {
    a.ends_at_ms = clock_.NowMs();
    return a;
  }

  // Moves the clock to kT0 + offset and runs what is due.
  void At(Alertmanager& am, int64_t offset) {
    clock_.Set(kT0 + offset);
    am.ProcessDue();
  }

  uint64_t CounterValue(const std::string& name, const MetricLabels& labels) {
    return metrics_.GetCounter(name, "", labels)->Value();
  }

  FakeClock clock_{kT0};
  TempDir dir_;
  perfwatch::testing::WebhookReceiver rx_;
  MetricsRegistry metrics_;
};

TEST_F(AlertmanagerTest, GroupWaitThenGroupIntervalThenRepeatInterval) {
  auto am = Open(OneReceiver());
  am->PutAlerts({Firing("Cpu", "a")});
  At(*am, 0);
  At(*am, 29 * kSec);
  EXPECT_EQ(rx_.count(), 0u);
  At(*am, 30 * kSec);
  ASSERT_EQ(rx_.count(), 1u);
  EXPECT_EQ(AlertsIn(rx_.requests()[0].body), 1u);

  // A new alert in a flushed group waits for the next group_interval tick.
  clock_.Set(kT0 + 40 * kSec);
  am->PutAlerts({Firing("Cpu", "b")});
  At(*am, 40 * kSec);
  At(*am, 5 * kMin);
  EXPECT_EQ(rx_.count(), 1u);
  At(*am, 30 * kSec + 5 * kMin);
  ASSERT_EQ(rx_.count(), 2u);
  EXPECT_EQ(AlertsIn(rx_.requests()[1].body), 2u);
  EXPECT_EQ(GroupStatus(rx_.requests()[1].body), "firing");

  // Nothing changes: no notification until repeat_interval (1h) has passed since the last.
  for (int tick = 2; tick <= 13; ++tick) At(*am, 30 * kSec + tick * 5 * kMin);  // up to 65m30s
  EXPECT_EQ(rx_.count(), 2u);
  At(*am, 30 * kSec + 14 * 5 * kMin);  // 70m30s
  EXPECT_EQ(rx_.count(), 3u);
  EXPECT_EQ(rx_.requests()[2].body.find("\"groupKey\":\"{}:{alertname=\\\"Cpu\\\"}\"") !=
                std::string::npos,
            true);
}

TEST_F(AlertmanagerTest, AlertOlderThanGroupWaitFlushesAtOnce) {
  auto am = Open(OneReceiver());
  Alert a = Firing("Disk", "a");
  a.starts_at_ms = kT0 - kHour;
  am->PutAlerts({a});
  At(*am, 0);
  EXPECT_EQ(rx_.count(), 1u);
}

TEST_F(AlertmanagerTest, GroupsByLabelsAndRoute) {
  auto am = Open(OneReceiver());
  am->PutAlerts({Firing("Cpu", "a"), Firing("Cpu", "b"), Firing("Mem", "a")});
  At(*am, 30 * kSec);
  ASSERT_EQ(rx_.count(), 2u);
  size_t total = AlertsIn(rx_.requests()[0].body) + AlertsIn(rx_.requests()[1].body);
  EXPECT_EQ(total, 3u);
}

TEST_F(AlertmanagerTest, ResolvedIsNotifiedThenTheEmptyGroupIsRemoved) {
  auto am = Open(OneReceiver());
  Alert a = Firing("Cpu", "a");
  am->PutAlerts({a});
  At(*am, 30 * kSec);
  ASSERT_EQ(rx_.count(), 1u);
  clock_.Set(kT0 + kMin);
  am->PutAlerts({Resolved(a)});
  At(*am, kMin);
  At(*am, 30 * kSec + 5 * kMin);
  ASSERT_EQ(rx_.count(), 2u);
  const std::string body = rx_.requests()[1].body;
  EXPECT_EQ(GroupStatus(body), "resolved");
  EXPECT_NE(body.find("\"endsAt\":\"2023-11-14T22:14:20Z\""), std::string::npos);
  // The resolved alert left the group; the sweep (every 30 s) removes the empty group, so
  // a new alert waits group_wait again.
  At(*am, 6 * kMin);
  clock_.Set(kT0 + 10 * kMin);
  am->PutAlerts({Firing("Cpu", "c")});
  At(*am, 10 * kMin);
  At(*am, 10 * kMin + 29 * kSec);
  EXPECT_EQ(rx_.count(), 2u);
  At(*am, 10 * kMin + 30 * kSec);
  EXPECT_EQ(rx_.count(), 3u);
}

TEST_F(AlertmanagerTest, WithoutSendResolvedNoResolvedNotification) {
  auto am = Open(OneReceiver(/*send_resolved=*/false));
  Alert a = Firing("Cpu", "a");
  am->PutAlerts({a});
  At(*am, 30 * kSec);
  ASSERT_EQ(rx_.count(), 1u);
  clock_.Set(kT0 + kMin);
  am->PutAlerts({Resolved(a)});
  At(*am, 30 * kSec + 5 * kMin);
  At(*am, 30 * kSec + 10 * kMin);
  EXPECT_EQ(rx_.count(), 1u);
  // Firing again is new to the receiver (the log recorded the empty state).
  clock_.Set(kT0 + 11 * kMin);
  am->PutAlerts({Firing("Cpu", "a")});
  At(*am, 11 * kMin + 30 * kSec);
  EXPECT_EQ(rx_.count(), 2u);
}

TEST_F(AlertmanagerTest, ResolvedAlertsAreFilteredWhenOthersFireWithoutSendResolved) {
  auto am = Open(OneReceiver(/*send_resolved=*/false));
  Alert a = Firing("Cpu", "a");
  am->PutAlerts({a, Firing("Cpu", "b")});
  At(*am, 30 * kSec);
  clock_.Set(kT0 + kMin);
  am->PutAlerts({Resolved(a), Firing("Cpu", "c")});
  At(*am, 30 * kSec + 5 * kMin);
  ASSERT_EQ(rx_.count(), 2u);
  const std::string body = rx_.requests()[1].body;
  EXPECT_EQ(AlertsIn(body), 2u);
  EXPECT_EQ(body.find("\"resolved\""), std::string::npos);
}

TEST_F(AlertmanagerTest, ResolveTimeoutResolvesUnrefreshedAlerts) {
  auto am = Open(OneReceiver());
  Alert a = Firing("Cpu", "a");
  a.ends_at_ms = 0;  // ends_at from resolve_timeout (5m)
  am->PutAlerts({a});
  At(*am, 30 * kSec);
  ASSERT_EQ(rx_.count(), 1u);
  EXPECT_NE(rx_.requests()[0].body.find("\"endsAt\":\"0001-01-01T00:00:00Z\""), std::string::npos);
  At(*am, 30 * kSec + 5 * kMin);
  ASSERT_EQ(rx_.count(), 2u);
  EXPECT_EQ(GroupStatus(rx_.requests()[1].body), "resolved");
}

TEST_F(AlertmanagerTest, InhibitedAlertsLeaveTheNotification) {
  AlertmanagerConfig c = OneReceiver();
  c.route.group_by = {"cluster"};
  InhibitRule rule;
  rule.source_matchers.push_back(*Matcher::Make("severity", Matcher::Type::kEqual, "critical"));
  rule.target_matchers.push_back(*Matcher::Make("severity", Matcher::Type::kEqual, "warning"));
  rule.equal = {"cluster"};
  c.inhibit_rules.push_back(rule);
  auto am = Open(c);
  Alert critical = Firing("Down", "a", {{"cluster", "c1"}, {"severity", "critical"}});
  am->PutAlerts({critical, Firing("Slow", "a", {{"cluster", "c1"}, {"severity", "warning"}}),
                 Firing("Slow", "a", {{"cluster", "c2"}, {"severity", "warning"}})});
  At(*am, 30 * kSec);
  ASSERT_EQ(rx_.count(), 2u);
  for (const auto& r : rx_.requests()) {
    EXPECT_EQ(AlertsIn(r.body), 1u);
    if (r.body.find("\"c1\"") != std::string::npos) {
      EXPECT_NE(r.body.find("\"Down\""), std::string::npos);
    }
  }

  http::Router router;
  am->RegisterRoutes(router);
  http::Request req;
  req.method = "GET";
  req.path = "/api/v2/alerts";
  req.query = "inhibited=false";
  http::Response res;
  (*router.Find("GET", "/api/v2/alerts").handler)(req, res);
  EXPECT_EQ(Count(res.body, "\"fingerprint\""), 2u);
  req.query = "active=false";
  res = {};
  (*router.Find("GET", "/api/v2/alerts").handler)(req, res);
  ASSERT_EQ(Count(res.body, "\"fingerprint\""), 1u);
  EXPECT_NE(
      res.body.find("\"inhibitedBy\":[\"" + FingerprintHex(Fingerprint(critical.labels)) + "\"]"),
      std::string::npos);
  EXPECT_NE(res.body.find("\"state\":\"suppressed\""), std::string::npos);

  // When the source resolves, the target is notified at the next tick.
  clock_.Set(kT0 + kMin);
  am->PutAlerts({Resolved(critical)});
  At(*am, 30 * kSec + 5 * kMin);
  ASSERT_EQ(rx_.count(), 3u);
  const std::string body = rx_.requests()[2].body;
  EXPECT_NE(body.find("\"Slow\""), std::string::npos);
  EXPECT_NE(body.find("\"Down\""), std::string::npos);  // resolved, sent with send_resolved
}

TEST_F(AlertmanagerTest, MaxAlertsTruncates) {
  AlertmanagerConfig c = OneReceiver();
  c.receivers[0].webhook_configs[0].max_alerts = 2;
  auto am = Open(c);
  am->PutAlerts({Firing("Cpu", "a"), Firing("Cpu", "b"), Firing("Cpu", "c")});
  At(*am, 30 * kSec);
  ASSERT_EQ(rx_.count(), 1u);
  EXPECT_EQ(AlertsIn(rx_.requests()[0].body), 2u);
  EXPECT_NE(rx_.requests()[0].body.find("\"truncatedAlerts\":1}"), std::string::npos);
}

TEST_F(AlertmanagerTest, RetriesServerErrorsWithBackoff) {
  auto am = Open(OneReceiver());
  rx_.FailNext(2, 500);
  am->PutAlerts({Firing("Cpu", "a")});
  At(*am, 30 * kSec);
  EXPECT_EQ(rx_.count(), 1u);
  At(*am, 31 * kSec);
  EXPECT_EQ(rx_.count(), 2u);
  At(*am, 32 * kSec);
  ASSERT_EQ(rx_.count(), 3u);
  At(*am, 40 * kSec);
  EXPECT_EQ(rx_.count(), 3u);
  auto reqs = rx_.requests();
  EXPECT_EQ(reqs[0].body, reqs[2].body);
  const MetricLabels webhook = {{"integration", "webhook"}};
  EXPECT_EQ(CounterValue("alertmanager_notifications_total", webhook), 1u);
  EXPECT_EQ(CounterValue("alertmanager_notification_requests_total", webhook), 3u);
  EXPECT_EQ(CounterValue("alertmanager_notification_requests_failed_total", webhook), 2u);
}

TEST_F(AlertmanagerTest, ClientErrorsAreNotRetried) {
  auto am = Open(OneReceiver());
  rx_.FailNext(1, 400);
  am->PutAlerts({Firing("Cpu", "a")});
  At(*am, 30 * kSec);
  At(*am, 40 * kSec);
  At(*am, 2 * kMin);
  EXPECT_EQ(rx_.count(), 1u);
  EXPECT_EQ(CounterValue("alertmanager_notifications_failed_total",
                         {{"integration", "webhook"}, {"reason", "clientError"}}),
            1u);
}

TEST_F(AlertmanagerTest, DownReceiverGetsEverythingAfterARestart) {
  rx_.Stop();  // the receiver is down
  {
    auto am = Open(OneReceiver());
    am->PutAlerts({Firing("Cpu", "a")});
    At(*am, 30 * kSec);
    At(*am, 31 * kSec);
    clock_.Set(kT0 + kMin);
    am->PutAlerts({Firing("Cpu", "b")});
    At(*am, 30 * kSec + 5 * kMin);  // second notification for the same group
    At(*am, 31 * kSec + 5 * kMin);
    am->Stop();
  }
  ASSERT_TRUE(rx_.Start());  // back, same port
  clock_.Set(kT0 + 10 * kMin);
  auto am = Open(OneReceiver());
  am->ProcessDue();
  ASSERT_EQ(rx_.count(), 2u);
  auto reqs = rx_.requests();
  EXPECT_EQ(AlertsIn(reqs[0].body), 1u);
  EXPECT_EQ(AlertsIn(reqs[1].body), 2u);
  // The rebuilt groups flush at once (their alerts are old) but the notification log
  // says the receiver knows them: nothing is sent twice.
  At(*am, 10 * kMin + 30 * kSec);
  At(*am, 16 * kMin);
  EXPECT_EQ(rx_.count(), 2u);

  // The alerts survived too.
  http::Router router;
  am->RegisterRoutes(router);
  http::Request req;
  req.method = "GET";
  req.path = "/api/v2/alerts";
  http::Response res;
  (*router.Find("GET", "/api/v2/alerts").handler)(req, res);
  EXPECT_EQ(Count(res.body, "\"fingerprint\""), 2u);
}

TEST_F(AlertmanagerTest, RetriesContinueWhileTheReceiverIsDown) {
  rx_.Stop();
  auto am = Open(OneReceiver());
  am->PutAlerts({Firing("Cpu", "a")});
  for (int s = 30; s < 60; ++s) At(*am, s * kSec);
  ASSERT_TRUE(rx_.Start());
  At(*am, 61 * kSec);
  EXPECT_EQ(rx_.count(), 1u);
}

TEST_F(AlertmanagerTest, TornQueueTailIsTolerated) {
  rx_.Stop();
  {
    auto am = Open(OneReceiver());
    am->PutAlerts({Firing("Cpu", "a")});
    At(*am, 30 * kSec);
    am->Stop();
  }
  {
    std::ofstream f(dir_.path() / "am" / "notify_queue.log", std::ios::app | std::ios::binary);
    f.write("\x40\x00\x00\x00garbage", 11);
  }
  ASSERT_TRUE(rx_.Start());
  auto am = Open(OneReceiver());
  ASSERT_NE(am, nullptr);
  am->ProcessDue();
  EXPECT_EQ(rx_.count(), 1u);
}

TEST_F(AlertmanagerTest, UnreadableQueueIsMovedAsideNotFatal) {
  std::filesystem::create_directories(dir_.path() / "am");
  {
    std::ofstream f(dir_.path() / "am" / "notify_queue.log", std::ios::binary);
    f.write("not a queue at all", 18);
  }
  auto am = Open(OneReceiver());
  ASSERT_NE(am, nullptr);  // the server still starts
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "am" / "notify_queue.log.corrupt"));
  am->PutAlerts({Firing("Cpu", "a")});
  At(*am, 30 * kSec);
  EXPECT_EQ(rx_.count(), 1u);  // and the new queue works
}

TEST_F(AlertmanagerTest, SlowReceiverDoesNotDelayAnother) {
  perfwatch::testing::WebhookReceiver slow;
  ASSERT_TRUE(slow.Start());
  slow.set_delay_ms(2000);
  AlertmanagerConfig c;
  c.route = MakeRoute("fast", {"alertname"});
  for (const char* name : {"slow", "fast"}) {
    Route child = MakeRoute(name, {"alertname"});
    child.key = "{}/{}";
    child.group_wait_ms = 0;
    child.continue_matching = true;
    c.route.routes.push_back(child);
  }
  c.receivers.push_back(MakeReceiver("slow", slow.url()));
  c.receivers.push_back(MakeReceiver("fast", rx_.url()));
  c.receivers[0].webhook_configs[0].timeout_ms = 10'000;
  auto am = Open(c, /*threads=*/true);
  const auto start = std::chrono::steady_clock::now();
  Alert a;
  a.labels = {{"alertname", "Cpu"}};
  am->PutAlerts({a, Alert{{{"alertname", "Mem"}}}});
  ASSERT_TRUE(rx_.WaitFor(2, 1500));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1500));
  EXPECT_EQ(slow.count(), 0u);
  // Stop does not wait for the slow request to finish.
  const auto stop_start = std::chrono::steady_clock::now();
  am->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - stop_start, std::chrono::milliseconds(1000));
}

TEST_F(AlertmanagerTest, ThreadsDeliverWithoutProcessDue) {
  AlertmanagerConfig c = OneReceiver();
  c.route.group_wait_ms = 50;
  auto am = Open(c, /*threads=*/true);
  Alert a;
  a.labels = {{"alertname", "Cpu"}};
  am->PutAlerts({a});
  EXPECT_TRUE(rx_.WaitFor(1, 3000));
}

class AlertmanagerApiTest : public AlertmanagerTest {
 protected:
  void SetUp() override {
    AlertmanagerTest::SetUp();
    am_ = Open(OneReceiver());
    am_->RegisterRoutes(router_);
  }
  http::Response Call(const std::string& method, const std::string& path,
                      const std::string& query = "", const std::string& body = "") {
    http::Request req;
    req.method = method;
    req.path = path;
    req.query = query;
    req.body = body;
    http::Response res;
    auto m = router_.Find(method, path);
    EXPECT_NE(m.handler, nullptr);
    if (m.handler) (*m.handler)(req, res);
    return res;
  }
  std::unique_ptr<Alertmanager> am_;
  http::Router router_;
};

TEST_F(AlertmanagerApiTest, PostAlertsAnswersAsAlertmanager) {
  auto ok = Call("POST", "/api/v2/alerts", "",
                 R"([{"labels":{"alertname":"Cpu","job":"api","empty":""},"annotations":{"s":"x"},)"
                 R"("startsAt":"2023-11-14T22:00:00Z","generatorURL":"http://g"}])");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "");

  auto invalid = Call(
      "POST", "/api/v2/alerts", "",
      R"([{"labels":{"alertname":"A"},"startsAt":"2023-11-14T22:00:00Z","endsAt":"2023-11-14T21:00:00Z"},)"
      R"({"labels":{"bad-name":"x"}},{"labels":{"alertname":"B"}}])");
  EXPECT_EQ(invalid.status, 400);
  EXPECT_EQ(
      invalid.body,
      "\"start time must be before end time; invalid label set: invalid name \\\"bad-name\\\"\"\n");

  auto malformed = Call("POST", "/api/v2/alerts", "", "[{");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(malformed.body.rfind(
                R"({"code":400,"message":"parsing alerts body from \"\" failed, because )", 0),
            0u);
  auto wrong_type = Call("POST", "/api/v2/alerts", "", R"({"labels":{}})");
  EXPECT_EQ(wrong_type.status, 400);
  auto no_labels =
      Call("POST", "/api/v2/alerts", "", R"([{"labels":{"a":"b"}},{"annotations":{}}])");
  EXPECT_EQ(no_labels.status, 422);
  EXPECT_EQ(no_labels.body, "{\"code\":602,\"message\":\"1.labels in body is required\"}\n");
  auto empty = Call("POST", "/api/v2/alerts", "", "");
  EXPECT_EQ(empty.status, 422);
  EXPECT_EQ(empty.body, "{\"code\":602,\"message\":\"alerts in body is required\"}\n");

  // The valid ones of the invalid batch were stored: Cpu and B.
  auto list = Call("GET", "/api/v2/alerts");
  EXPECT_EQ(list.status, 200);
  EXPECT_EQ(Count(list.body, "\"fingerprint\""), 2u);
  // gettableAlert's keys in Alertmanager's order; empty labels dropped; default endsAt.
  Alert cpu;
  cpu.labels = {{"alertname", "Cpu"}, {"job", "api"}};
  const std::string fp = FingerprintHex(Fingerprint(cpu.labels));
  const std::string expected =
      R"({"annotations":{"s":"x"},"endsAt":"2023-11-14T22:18:20.000Z","fingerprint":")" + fp +
      R"(","receivers":[{"name":"team"}],"startsAt":"2023-11-14T22:00:00.000Z",)"
      R"("status":{"inhibitedBy":[],"silencedBy":[],"state":"active"},"updatedAt":"2023-11-14T22:13:20.000Z",)"
      R"("generatorURL":"http://g","labels":{"alertname":"Cpu","job":"api"}})";
  EXPECT_NE(list.body.find(expected), std::string::npos) << list.body;

  EXPECT_EQ(
      CounterValue("alertmanager_alerts_received_total", {{"status", "firing"}, {"version", "v2"}}),
      3u);
  EXPECT_EQ(CounterValue("alertmanager_alerts_received_total",
                         {{"status", "resolved"}, {"version", "v2"}}),
            1u);
  EXPECT_EQ(CounterValue("alertmanager_alerts_invalid_total", {{"version", "v2"}}), 2u);
}

TEST_F(AlertmanagerApiTest, GetAlertsFilters) {
  Call("POST", "/api/v2/alerts", "",
       R"([{"labels":{"alertname":"Cpu","job":"api"}},{"labels":{"alertname":"Mem","job":"db"}}])");
  EXPECT_EQ(
      Count(Call("GET", "/api/v2/alerts", "filter=alertname%3D%22Cpu%22").body, "\"fingerprint\""),
      1u);
  EXPECT_EQ(
      Count(Call("GET", "/api/v2/alerts", "filter=job%3D~%22api%7Cdb%22&filter=alertname!%3DMem")
                .body,
            "\"fingerprint\""),
      1u);
  EXPECT_EQ(Count(Call("GET", "/api/v2/alerts", "receiver=te.*").body, "\"fingerprint\""), 2u);
  EXPECT_EQ(Call("GET", "/api/v2/alerts", "receiver=nobody").body, "[]\n");
  EXPECT_EQ(Call("GET", "/api/v2/alerts", "active=false").body, "[]\n");
  EXPECT_EQ(Call("GET", "/api/v2/alerts", "receiver=(").status, 400);
  EXPECT_EQ(Call("GET", "/api/v2/alerts", "filter=%3D%3D%3D").status, 400);

  auto groups = Call("GET", "/api/v2/alerts/groups");
  EXPECT_EQ(groups.status, 200);
  EXPECT_EQ(Count(groups.body, "\"receiver\":{\"name\":\"team\"}"), 2u);
  EXPECT_EQ(groups.body.rfind("[{\"alerts\":[{", 0), 0u);
  EXPECT_NE(groups.body.find("\"labels\":{\"alertname\":\"Cpu\"},\"receiver\""), std::string::npos);
}

TEST_F(AlertmanagerApiTest, StatusAndReceivers) {
  auto status = Call("GET", "/api/v2/status");
  EXPECT_EQ(status.status, 200);
  EXPECT_EQ(
      status.body.rfind(
          R"({"cluster":{"peers":[],"status":"disabled"},"config":{"original":"global:\n)", 0),
      0u);
  EXPECT_NE(status.body.find("\"uptime\":\"2023-11-14T22:13:20.000Z\""), std::string::npos);
  EXPECT_NE(status.body.find("\"version\":\"0.25.0\""), std::string::npos);
  EXPECT_EQ(Call("GET", "/api/v2/receivers").body, "[{\"name\":\"team\"}]\n");
}

TEST(AlertmanagerParse, DefaultsAndValidation) {
  auto parsed = ParsePostableAlerts(
      R"([{"Labels":{"a":"1","a":"2"},"endsAt":"2023-11-14T22:00:00Z"}, null])");
  ASSERT_EQ(parsed.error_status, 0) << parsed.error_body;
  ASSERT_EQ(parsed.alerts.size(), 1u);
  EXPECT_EQ(parsed.alerts[0].labels, (LabelSet{{"a", "2"}}));
  Alert a = parsed.alerts[0];
  ApplyPostDefaults(a, kT0, 5 * kMin);
  EXPECT_EQ(a.starts_at_ms, a.ends_at_ms);  // starts_at from ends_at
  EXPECT_FALSE(a.timeout);
  Alert b;
  b.labels = {{"x", "y"}};
  ApplyPostDefaults(b, kT0, 5 * kMin);
  EXPECT_EQ(b.starts_at_ms, kT0);
  EXPECT_EQ(b.ends_at_ms, kT0 + 5 * kMin);
  EXPECT_TRUE(b.timeout);
  EXPECT_EQ(ValidateAlert(b), "");
  b.labels.clear();
  EXPECT_EQ(ValidateAlert(b), "at least one label pair required");
  EXPECT_EQ(ParsePostableAlerts("null").error_status, 0);
  EXPECT_EQ(ParsePostableAlerts(R"([{"labels":{"a":1}}])").error_status, 400);
  EXPECT_EQ(ParsePostableAlerts(R"([{"labels":{"a":"b"},"startsAt":"yesterday"}])").error_status,
            400);
}

}  // namespace
}  // namespace perfwatch::alert
