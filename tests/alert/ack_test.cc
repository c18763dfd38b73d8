// Acknowledgement with a FakeClock and ProcessDue (no threads) and a local webhook
// receiver: an acknowledged alert gets no repeat notifications; resolving, firing again,
// `until` passing and un-acknowledging each bring repeats back; the resolution is still
// sent; acknowledgements are on disk when the API answers and survive a reopen; the API's
// answers for unknown alerts and bad bodies; the listings' "acknowledgement" object.
#include "alert/acks.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "alert/alertmanager.h"
#include "alert/am_format.h"
#include "http/router.h"
#include "support/temp_dir.h"
#include "support/webhook_receiver.h"

namespace perfwatch::alert {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;  // 2023-11-14T22:13:20Z
constexpr int64_t kSec = 1000;
constexpr int64_t kMin = 60 * kSec;
constexpr int64_t kHour = 60 * kMin;

using perfwatch::testing::TempDir;

size_t Count(const std::string& s, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = s.find(needle); pos != std::string::npos; pos = s.find(needle, pos + 1)) ++n;
  return n;
}

class AckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(rx_.Start());
    am_ = Open();
    ASSERT_NE(am_, nullptr);
  }

  std::unique_ptr<Alertmanager> Open() {
    AlertmanagerConfig c;
    c.route.receiver = "team";
    c.route.group_by = {"alertname"};
    c.route.key = "{}";
    c.route.group_wait_ms = 30 * kSec;
    c.route.group_interval_ms = 5 * kMin;
    c.route.repeat_interval_ms = kHour;
    Receiver r;
    r.name = "team";
    WebhookConfig wh;
    wh.url = rx_.url();
    wh.send_resolved = true;
    wh.timeout_ms = 2000;
    r.webhook_configs.push_back(wh);
    c.receivers.push_back(r);
    AlertmanagerOptions o;
    o.state_dir = dir_.path() / "am";
    o.clock = &clock_;
    o.metrics = &metrics_;
    o.start_threads = false;
    router_ = std::make_unique<http::Router>();
    auto am = Alertmanager::Open(o, std::move(c));
    EXPECT_TRUE(am.ok()) << am.status().ToString();
    if (!am.ok()) return nullptr;
    EXPECT_TRUE((*am)->Start().ok());
    (*am)->RegisterRoutes(*router_);
    return std::move(*am);
  }

  http::Response Call(const std::string& method, const std::string& path,
                      const std::string& body = "", const std::string& principal = "") {
    http::Request req;
    req.method = method;
    req.path = path;
    req.body = body;
    req.principal = principal;
    http::Response res;
    auto m = router_->Find(method, path);
    EXPECT_NE(m.handler, nullptr) << method << " " << path;
    if (m.handler) (*m.handler)(req, res);
    return res;
  }
  http::Response Ack(const Alert& a, const std::string& body = "",
                     const std::string& principal = "alice") {
    return Call("POST", AckPath(a), body, principal);
  }
  static std::string AckPath(const Alert& a) {
    return "/api/v1/alerts/" + FingerprintHex(Fingerprint(a.labels)) + "/ack";
  }

  Alert Firing(const std::string& name, const std::string& instance) {
    Alert a;
    a.labels = {{"alertname", name}, {"instance", instance}};
    a.starts_at_ms = clock_.NowMs();
    a.ends_at_ms = clock_.NowMs() + 10 * kHour;
    return a;
  }
  // Moves the clock to kT0 + offset and runs what is due.
  void At(int64_t offset) {
    clock_.Set(kT0 + offset);
    am_->ProcessDue();
  }
  // Runs every group_interval tick (30s + k * 5m) in (from, to].
  void TicksUntil(int64_t from, int64_t to) {
    for (int64_t t = 30 * kSec; t <= to; t += 5 * kMin) {
      if (t > from) At(t);
    }
  }
  std::string LastBody() { return rx_.requests().back().body; }

  FakeClock clock_{kT0};
  TempDir dir_;
  perfwatch::testing::WebhookReceiver rx_;
  MetricsRegistry metrics_;
  std::unique_ptr<http::Router> router_;
  std::unique_ptr<Alertmanager> am_;
};

TEST_F(AckTest, AckStopsRepeatsAndIsListed) {
  const Alert a = Firing("Cpu", "a");
  am_->PutAlerts({a});
  At(0);
  At(30 * kSec);
  ASSERT_EQ(rx_.count(), 1u);

  clock_.Set(kT0 + 2 * kMin);
  auto res = Ack(a, R"({"comment":"looking into it"})");
  ASSERT_EQ(res.status, 200) << res.body;
  const std::string fp = FingerprintHex(Fingerprint(a.labels));
  EXPECT_EQ(res.body, "{\"fingerprint\":\"" + fp +
                          "\",\"acknowledgedBy\":\"alice\",\"acknowledgedAt\":\"" +
                          FormatApiTime(kT0 + 2 * kMin) +
                          "\",\"comment\":\"looking into it\",\"until\":null}");
  EXPECT_EQ(metrics_.GetCounter("perfwatch_alert_acknowledgements_total", "")->Value(), 1u);

  // Without the acknowledgement the repeat would go out at 1h05m30s.
  TicksUntil(2 * kMin, 5 * kHour);
  EXPECT_EQ(rx_.count(), 1u);

  auto alerts = Call("GET", "/api/v2/alerts");
  EXPECT_NE(alerts.body.find("\"status\":{\"acknowledgement\":{\"fingerprint\":\"" + fp +
                             "\",\"acknowledgedBy\":\"alice\""),
            std::string::npos)
      << alerts.body;
  EXPECT_NE(alerts.body.find("\"state\":\"active\""), std::string::npos);
  EXPECT_EQ(Count(Call("GET", "/api/v2/alerts/groups").body, "\"acknowledgement\":"), 1u);
  ASSERT_TRUE(am_->AcknowledgementOf(a.labels).has_value());
  EXPECT_EQ(am_->AcknowledgementOf(a.labels)->comment, "looking into it");
}

TEST_F(AckTest, AnotherUnacknowledgedAlertInTheGroupStillRepeats) {
  const Alert a = Firing("Cpu", "a"), b = Firing("Cpu", "b");
  am_->PutAlerts({a, b});
  At(0);
  At(30 * kSec);
  ASSERT_EQ(rx_.count(), 1u);
  ASSERT_EQ(Ack(a).status, 200);
  TicksUntil(30 * kSec, kHour + 6 * kMin);
  EXPECT_EQ(rx_.count(), 2u);  // the group's repeat, for b
}

TEST_F(AckTest, ResolutionIsStillSentAndClearsTheAck) {
  Alert a = Firing("Cpu", "a");
  am_->PutAlerts({a});
  At(0);
  At(30 * kSec);
  ASSERT_EQ(Ack(a).status, 200);
  TicksUntil(30 * kSec, 2 * kHour);
  ASSERT_EQ(rx_.count(), 1u);

  clock_.Set(kT0 + 2 * kHour + kMin);
  a.ends_at_ms = clock_.NowMs();
  am_->PutAlerts({a});
  TicksUntil(2 * kHour, 2 * kHour + 10 * kMin);
  ASSERT_EQ(rx_.count(), 2u);
  EXPECT_NE(LastBody().find("\"status\":\"resolved\""), std::string::npos) << LastBody();
  EXPECT_FALSE(am_->AcknowledgementOf(a.labels).has_value());
  EXPECT_EQ(Call("DELETE", AckPath(a)).status, 404);  // swept

  // Firing again: notified at once, and repeats resume.
  clock_.Set(kT0 + 3 * kHour);
  Alert again = Firing("Cpu", "a");
  am_->PutAlerts({again});
  TicksUntil(3 * kHour - kMin, 3 * kHour + 6 * kMin);
  ASSERT_EQ(rx_.count(), 3u);
  TicksUntil(3 * kHour + 6 * kMin, 4 * kHour + 11 * kMin);
  EXPECT_EQ(rx_.count(), 4u);
}

TEST_F(AckTest, FiringAgainClearsTheAck) {
  Alert a = Firing("Cpu", "a");
  am_->PutAlerts({a});
  At(0);
  At(30 * kSec);
  ASSERT_EQ(Ack(a).status, 200);
  // Resolved and firing again before the group's next tick: a new episode.
  clock_.Set(kT0 + 31 * kMin);
  a.ends_at_ms = clock_.NowMs();
  am_->PutAlerts({a});
  clock_.Set(kT0 + 32 * kMin);
  Alert again = Firing("Cpu", "a");
  am_->PutAlerts({again});
  EXPECT_FALSE(am_->AcknowledgementOf(again.labels).has_value());
  TicksUntil(31 * kMin, 36 * kMin);
  const size_t after_refire = rx_.count();
  // Repeats are back: one more within repeat_interval of the last notification.
  TicksUntil(36 * kMin, 36 * kMin + kHour + 5 * kMin);
  EXPECT_GT(rx_.count(), after_refire);
  EXPECT_EQ(Call("GET", "/api/v2/alerts").body.find("\"acknowledgement\""), std::string::npos);
}

TEST_F(AckTest, UntilExpires) {
  const Alert a = Firing("Cpu", "a");
  am_->PutAlerts({a});
  At(0);
  At(30 * kSec);
  clock_.Set(kT0 + kMin);
  auto res = Ack(a, R"({"until":"2h"})");
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_NE(res.body.find("\"until\":\"" + FormatApiTime(kT0 + kMin + 2 * kHour) + "\""),
            std::string::npos)
      << res.body;
  TicksUntil(kMin, 2 * kHour);
  EXPECT_EQ(rx_.count(), 1u);
  // The first tick after `until` (2h05m30s) repeats.
  TicksUntil(2 * kHour, 2 * kHour + 6 * kMin);
  EXPECT_EQ(rx_.count(), 2u);
  EXPECT_FALSE(am_->AcknowledgementOf(a.labels).has_value());
  EXPECT_EQ(Call("GET", "/api/v2/alerts").body.find("\"acknowledgement\""), std::string::npos);

  // An RFC 3339 `until` works too.
  clock_.Set(kT0 + 2 * kHour + 7 * kMin);
  res = Ack(a, "{\"until\":\"" + FormatApiTime(kT0 + 5 * kHour) + "\"}");
  ASSERT_EQ(res.status, 200) << res.body;
  ASSERT_TRUE(am_->AcknowledgementOf(a.labels).has_value());
  EXPECT_EQ(am_->AcknowledgementOf(a.labels)->until_ms, kT0 + 5 * kHour);
}

TEST_F(AckTest, UnackResumesRepeats) {
  const Alert a = Firing("Cpu", "a");
  am_->PutAlerts({a});
  At(0);
  At(30 * kSec);
  ASSERT_EQ(Ack(a).status, 200);
  TicksUntil(30 * kSec, 2 * kHour);
  ASSERT_EQ(rx_.count(), 1u);
  clock_.Set(kT0 + 2 * kHour + kMin);
  auto res = Call("DELETE", AckPath(a));
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_NE(res.body.find("\"acknowledgedBy\":\"alice\""), std::string::npos);
  TicksUntil(2 * kHour, 2 * kHour + 6 * kMin);  // the next tick
  EXPECT_EQ(rx_.count(), 2u);
  EXPECT_EQ(Call("DELETE", AckPath(a)).status, 404);
}

TEST_F(AckTest, PersistedBeforeAnsweringAndAcrossReopen) {
  const Alert a = Firing("Cpu", "a");
  am_->PutAlerts({a});
  At(0);
  At(30 * kSec);
  ASSERT_EQ(Ack(a, R"({"comment":"db failover"})").status, 200);
  {  // On disk as soon as the API answered (what kill -9 would leave).
    auto on_disk = Acknowledgements::Open(dir_.path() / "am" / "acks.snap");
    ASSERT_TRUE(on_disk.ok()) << on_disk.status().ToString();
    auto got = (*on_disk)->Get(Fingerprint(a.labels));
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->acknowledged_by, "alice");
    EXPECT_EQ(got->comment, "db failover");
    EXPECT_EQ(got->alert_starts_at_ms, kT0);
  }
  am_.reset();
  am_ = Open();
  ASSERT_NE(am_, nullptr);
  ASSERT_TRUE(am_->AcknowledgementOf(a.labels).has_value());
  EXPECT_EQ(am_->AcknowledgementOf(a.labels)->comment, "db failover");
  const size_t before = rx_.count();
  TicksUntil(30 * kSec, 3 * kHour);
  // Reopening rebuilds the group (one notification at most); no repeats after it.
  EXPECT_LE(rx_.count(), before + 1);
  const size_t settled = rx_.count();
  TicksUntil(3 * kHour, 5 * kHour);
  EXPECT_EQ(rx_.count(), settled);
}

TEST_F(AckTest, AnonymousWithoutAuth) {
  const Alert a = Firing("Cpu", "a");
  am_->PutAlerts({a});
  auto res = Ack(a, "", /*principal=*/"");
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_NE(res.body.find("\"acknowledgedBy\":\"anonymous\""), std::string::npos);
}

TEST_F(AckTest, UnknownInactiveAndBadRequests) {
  Alert a = Firing("Cpu", "a");
  auto res = Ack(a);  // not in the store yet
  EXPECT_EQ(res.status, 404);
  EXPECT_NE(res.body.find("\"status\":\"error\",\"errorType\":\"not_found\""), std::string::npos)
      << res.body;
  EXPECT_EQ(Call("POST", "/api/v1/alerts/0123456789abcdef/ack").status, 404);

  am_->PutAlerts({a});
  EXPECT_EQ(Call("POST", "/api/v1/alerts/xyz/ack").status, 400);
  EXPECT_EQ(Call("POST", "/api/v1/alerts/0123456789abcdeg/ack").status, 400);
  EXPECT_EQ(Call("POST", "/api/v1/alerts/" + FingerprintHex(Fingerprint(a.labels))).status, 404);
  for (const char* body : {"[]", "{", "\"x\"", R"({"comment":3})", R"({"until":5})",
                           R"({"until":"soon"})", R"({"until":"-1h"})",
                           R"({"until":"2020-01-01T00:00:00Z"})"}) {
    res = Ack(a, body);
    EXPECT_EQ(res.status, 400) << body;
    EXPECT_NE(res.body.find("\"errorType\":\"bad_data\""), std::string::npos) << res.body;
  }
  EXPECT_EQ(Call("DELETE", AckPath(a)).status, 404);  // not acknowledged
  EXPECT_EQ(metrics_.GetCounter("perfwatch_alert_acknowledgements_total", "")->Value(), 0u);

  // A resolved alert cannot be acknowledged.
  clock_.Set(kT0 + kMin);
  a.ends_at_ms = clock_.NowMs();
  am_->PutAlerts({a});
  clock_.Set(kT0 + 2 * kMin);
  EXPECT_EQ(Ack(a).status, 404);
}

// PagerDuty is told once every firing alert of a group it was notified of is
// acknowledged: Events API v2 "acknowledge" with the trigger's dedup_key.
TEST_F(AckTest, PagerdutyGetsAnAcknowledgeEventWithTheTriggersDedupKey) {
  perfwatch::testing::WebhookReceiver pd;
  ASSERT_TRUE(pd.Start());
  AlertmanagerConfig c;
  c.route.receiver = "oncall";
  c.route.group_by = {"alertname"};
  c.route.key = "{}";
  c.route.group_wait_ms = 30 * kSec;
  c.route.group_interval_ms = 5 * kMin;
  c.route.repeat_interval_ms = kHour;
  Receiver r;
  r.name = "oncall";
  PagerdutyConfig p;
  p.url = pd.url();
  p.routing_key = "rk-123";
  r.pagerduty_configs.push_back(p);
  c.receivers.push_back(r);
  ASSERT_TRUE(am_->ApplyConfig(c).ok());

  const Alert a = Firing("Cpu", "a"), b = Firing("Cpu", "b");
  am_->PutAlerts({a, b});
  At(0);
  At(30 * kSec);
  ASSERT_TRUE(pd.WaitFor(1, 10'000));
  const std::string trigger = pd.requests()[0].body;
  ASSERT_NE(trigger.find("\"event_action\":\"trigger\""), std::string::npos) << trigger;
  const size_t k = trigger.find("\"dedup_key\":\"");
  ASSERT_NE(k, std::string::npos);
  const std::string dedup = trigger.substr(k + 13, trigger.find('"', k + 13) - k - 13);

  ASSERT_EQ(Ack(a).status, 200);  // b is still unacknowledged: PagerDuty is not told
  am_->ProcessDue();
  EXPECT_EQ(pd.count(), 1u);
  ASSERT_EQ(Ack(b).status, 200);
  am_->ProcessDue();  // runs the delivery attempt
  ASSERT_TRUE(pd.WaitFor(2, 10'000));
  EXPECT_EQ(pd.requests()[1].body, "{\"routing_key\":\"rk-123\",\"dedup_key\":\"" + dedup +
                                       "\",\"event_action\":\"acknowledge\"}");
  TicksUntil(30 * kSec, 3 * kHour);
  EXPECT_EQ(pd.count(), 2u);  // and no repeated trigger
}

TEST_F(AckTest, SlackGetsAMessagePerAcknowledgedAlertInTheChannelItNotified) {
  perfwatch::testing::WebhookReceiver slack;
  ASSERT_TRUE(slack.Start());
  AlertmanagerConfig c;
  c.route.receiver = "team";
  c.route.group_by = {"alertname"};
  c.route.key = "{}";
  c.route.group_wait_ms = 30 * kSec;
  c.route.group_interval_ms = 5 * kMin;
  c.route.repeat_interval_ms = kHour;
  Receiver r;
  r.name = "team";
  SlackConfig sc;
  sc.api_url = slack.url();
  sc.channel = "#ops";
  r.slack_configs.push_back(sc);
  c.receivers.push_back(r);
  ASSERT_TRUE(am_->ApplyConfig(c).ok());

  const Alert a = Firing("Cpu", "a"), b = Firing("Cpu", "b");
  am_->PutAlerts({a, b});
  ASSERT_EQ(Ack(a).status, 200);  // before the channel was told: nothing to follow up
  am_->ProcessDue();
  EXPECT_EQ(slack.count(), 0u);
  ASSERT_EQ(Call("DELETE", AckPath(a), "", "").status, 200);
  At(0);
  At(30 * kSec);
  ASSERT_TRUE(slack.WaitFor(1, 10'000));
  ASSERT_EQ(Ack(a, R"({"comment":"looking into it"})").status, 200);  // b is not: Slack is told anyway
  am_->ProcessDue();
  ASSERT_TRUE(slack.WaitFor(2, 10'000));
  const std::string msg = slack.requests()[1].body;
  EXPECT_NE(msg.find("\"channel\":\"#ops\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"text\":\"Acknowledged by alice: looking into it\\nCpu {instance=a}\""), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("\"color\":\"#439FE0\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"title\":\"[FIRING:2] Cpu"), std::string::npos) << msg;
}

TEST(AckBody, Parse) {
  auto r = ParseAckBody("", kT0);
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(r.until_ms, 0);
  r = ParseAckBody(R"({"comment":"x","until":"90m","other":1})", kT0);
  EXPECT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.comment, "x");
  EXPECT_EQ(r.until_ms, kT0 + 90 * kMin);
  r = ParseAckBody(R"({"comment":null,"until":null})", kT0);
  EXPECT_TRUE(r.error.empty()) << r.error;
  r = ParseAckBody(R"({"until":"0s"})", kT0);
  EXPECT_FALSE(r.error.empty());
}

TEST(AckEncoding, RoundTrips) {
  Acknowledgement a{0xfedcba9876543210ull, kT0, "bob", kT0 + 5, "c\"x", kT0 + kHour};
  Acknowledgement b;
  ASSERT_TRUE(DecodeAck(EncodeAck(a), &b));
  EXPECT_EQ(b.fingerprint, a.fingerprint);
  EXPECT_EQ(b.acknowledged_by, "bob");
  EXPECT_EQ(b.comment, "c\"x");
  EXPECT_EQ(b.until_ms, kT0 + kHour);
  EXPECT_FALSE(DecodeAck(EncodeAck(a).substr(1), &b));
}

}  // namespace
}  // namespace perfwatch::alert
