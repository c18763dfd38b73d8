// Escalation policies with a FakeClock and ProcessDue (no threads) and one local webhook
// receiver whose paths stand for the receivers (/team, /lead, /manager): the parser's
// errors; the route's receiver at once, the lead after 15 min and the manager after 30
// min, not before; an acknowledgement, a resolution or a silence stops the chain; an
// alert firing again starts a new one; `repeat` runs it again exactly N times; the state
// survives a restart; the API shows it; the metric counts it. The step receivers hear of
// the resolution (webhook, PagerDuty's resolve with the trigger's dedup_key, Slack; not
// with send_resolved: false) and of an acknowledgement (PagerDuty), also after a restart
// and from a version 1 record.
#include "alert/escalation.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "alert/alertmanager.h"
#include "alert/am_format.h"
#include "alert/notify_template.h"
#include "alert/state_file.h"
#include "common/coding.h"
#include "http/router.h"
#include "support/temp_dir.h"
#include "support/webhook_receiver.h"

namespace perfwatch::alert {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;  // 2023-11-14T22:13:20Z
constexpr int64_t kSec = 1000;
constexpr int64_t kMin = 60 * kSec;

using perfwatch::testing::TempDir;

// ------------------------------------------------------------------ configuration

constexpr char kReceivers[] = R"(
receivers:
- name: team
- name: lead
- name: manager
)";

std::string ErrorOf(const std::string& yaml) {
  auto c = ParseAlertmanagerYaml(yaml);
  if (c.ok()) return "ok";
  return c.status().message();
}

TEST(EscalationConfigTest, ParsesPoliciesAndInheritsThemAlongTheRoutes) {
  auto c = ParseAlertmanagerYaml(std::string(R"(
route:
  receiver: team
  escalation: page
  routes:
  - matchers: ['a="1"']
  - matchers: ['a="2"']
    escalation: slow
  - matchers: ['a="3"']
    escalation: ""
escalations:
  page:
    steps:
    - {after: 15m, receivers: [lead]}
    - {after: 30m, receivers: [manager, lead]}
    repeat: 2
  slow:
    steps: [{after: 1h, receivers: [manager]}]
)") + kReceivers);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->escalations.size(), 2u);
  const EscalationPolicy* page = c->FindEscalation("page");
  ASSERT_NE(page, nullptr);
  EXPECT_EQ(page->repeat, 2u);
  ASSERT_EQ(page->steps.size(), 2u);
  EXPECT_EQ(page->steps[0].after_ms, 15 * kMin);
  EXPECT_EQ(page->steps[1].receivers, (std::vector<std::string>{"manager", "lead"}));
  EXPECT_EQ(c->FindEscalation("slow")->repeat, 0u);
  EXPECT_EQ(c->route.escalation, "page");
  ASSERT_EQ(c->route.routes.size(), 3u);
  EXPECT_EQ(c->route.routes[0].escalation, "page");  // inherited
  EXPECT_EQ(c->route.routes[1].escalation, "slow");
  EXPECT_EQ(c->route.routes[2].escalation, "");  // turned off

  // The timing rule: run r, step i at start + r * last_after + after_i.
  EXPECT_EQ(EscalationFlatSteps(*page), 6u);
  EXPECT_EQ(EscalationStepDue(*page, kT0, 0), kT0 + 15 * kMin);
  EXPECT_EQ(EscalationStepDue(*page, kT0, 1), kT0 + 30 * kMin);
  EXPECT_EQ(EscalationStepDue(*page, kT0, 2), kT0 + 45 * kMin);
  EXPECT_EQ(EscalationStepDue(*page, kT0, 5), kT0 + 90 * kMin);
}

TEST(EscalationConfigTest, ErrorsNameThePlace) {
  const std::string route = "route:\n  receiver: team\n  escalation: page\n";
  auto with = [&](const std::string& escalations) { return route + escalations + kReceivers; };
  EXPECT_EQ(ErrorOf(with("escalations:\n  page:\n    steps: [{after: 15m, receivers: [lead]}]\n"
                         "    repat: 1\n")),
            "line 7: escalations: policy \"page\": field repat not found in type escalation "
            "policy");
  EXPECT_EQ(ErrorOf(with("escalations:\n  page:\n    steps:\n    - {after: 15m, recievers: [lead]}\n")),
            "line 7: escalations: policy \"page\": steps[0]: field recievers not found in type "
            "escalation step");
  EXPECT_EQ(ErrorOf(with("escalations:\n  page:\n    steps:\n    - {after: 15m, receivers: [boss]}\n")),
            "line 7: escalations: policy \"page\": steps[0]: undefined receiver \"boss\" used in "
            "escalation step");
  EXPECT_EQ(ErrorOf(with("escalations:\n  page:\n    steps:\n    - {after: 30m, receivers: [lead]}\n"
                         "    - {after: 15m, receivers: [manager]}\n")),
            "line 8: escalations: policy \"page\": steps[1]: after (15m) must be greater than the "
            "previous step's (30m)");
  EXPECT_EQ(ErrorOf(with("escalations:\n  page:\n    steps:\n    - {after: 15m, receivers: [lead]}\n"
                         "    - {after: 15m, receivers: [manager]}\n")),
            "line 8: escalations: policy \"page\": steps[1]: after (15m) must be greater than the "
            "previous step's (15m)");
  EXPECT_EQ(ErrorOf(with("escalations:\n  page:\n    steps:\n    - {after: -5m, receivers: [lead]}\n")),
            "line 7: escalations: policy \"page\": steps[0]: not a valid duration string: \"-5m\"");
  EXPECT_EQ(ErrorOf(with("escalations:\n  page:\n    steps:\n    - {receivers: [lead]}\n")),
            "line 7: escalations: policy \"page\": steps[0]: missing after");
  EXPECT_EQ(ErrorOf(with("escalations:\n  page:\n    steps:\n    - {after: 1m}\n")),
            "line 7: escalations: policy \"page\": steps[0]: missing receivers");
  EXPECT_EQ(ErrorOf(with("escalations:\n  page:\n    repeat: 1\n")),
            "line 6: escalations: policy \"page\": no steps");
  EXPECT_EQ(ErrorOf(with("escalations:\n  page:\n    steps: [{after: 0s, receivers: [lead]}]\n"
                         "    repeat: 3\n")),
            "line 6: escalations: policy \"page\": repeat needs a last step with after greater "
            "than 0");
  EXPECT_EQ(ErrorOf(with("escalations: [page]\n")),
            "line 4: escalations: a map from policy names to policies");
  // A route naming a policy that does not exist, at any depth.
  EXPECT_EQ(ErrorOf(std::string("route:\n  receiver: team\n  escalation: pgae\n") + kReceivers),
            "line 3: route: undefined escalation policy \"pgae\"");
  EXPECT_EQ(ErrorOf(std::string("route:\n  receiver: team\n  routes:\n  - receiver: lead\n"
                                "    escalation: nope\n") +
                    "escalations:\n  page:\n    steps: [{after: 1m, receivers: [lead]}]\n" +
                    kReceivers),
            "line 5: route: undefined escalation policy \"nope\"");
}

// ------------------------------------------------------------------ the pipeline

class EscalationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(rx_.Start());
    am_ = Open();
    ASSERT_NE(am_, nullptr);
  }

  std::string Yaml() const {
    return "route:\n"
           "  receiver: team\n"
           "  group_by: [alertname]\n"
           "  group_wait: 30s\n"
           "  group_interval: 5m\n"
           "  repeat_interval: 4h\n"
           "  escalation: page\n"
           "escalations:\n"
           "  page:\n"
           "    steps:\n"
           "    - {after: 15m, receivers: [lead]}\n"
           "    - {after: 30m, receivers: [manager]}\n"
           "    repeat: " + std::to_string(repeat_) + "\n"
           "receivers:\n"
           "- name: team\n  webhook_configs: [{url: '" + rx_.url("/team") + "'}]\n"
           "- name: lead\n  webhook_configs: [{url: '" + rx_.url("/lead") + "'}]\n" +
           lead_extra_ +
           "- name: manager\n  webhook_configs: [{url: '" + rx_.url("/manager") + "'" +
           manager_webhook_opts_ + "}]\n";
  }

  std::unique_ptr<Alertmanager> Open() {
    auto c = ParseAlertmanagerYaml(Yaml());
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    if (!c.ok()) return nullptr;
    AlertmanagerOptions o;
    o.state_dir = dir_.path() / "am";
    o.clock = &clock_;
    o.metrics = &metrics_;
    o.start_threads = false;
    router_ = std::make_unique<http::Router>();
    auto am = Alertmanager::Open(o, std::move(*c));
    EXPECT_TRUE(am.ok()) << am.status().ToString();
    if (!am.ok()) return nullptr;
    EXPECT_TRUE((*am)->Start().ok());
    (*am)->RegisterRoutes(*router_);
    return std::move(*am);
  }

  http::Response Call(const std::string& method, const std::string& path,
                      const std::string& body = "") {
    http::Request req;
    req.method = method;
    req.path = path;
    req.body = body;
    req.principal = "alice";
    http::Response res;
    auto m = router_->Find(method, path);
    EXPECT_NE(m.handler, nullptr) << method << " " << path;
    if (m.handler) (*m.handler)(req, res);
    return res;
  }

  Alert Firing(const std::string& name = "Cpu") {
    Alert a;
    a.labels = {{"alertname", name}, {"instance", "a"}};
    a.starts_at_ms = clock_.NowMs();
    a.ends_at_ms = clock_.NowMs() + 100 * 60 * kMin;
    return a;
  }
  // Moves the clock to kT0 + offset and runs what is due.
  void At(int64_t offset) {
    clock_.Set(kT0 + offset);
    am_->ProcessDue();
  }
  // Runs ProcessDue every 30 s in (from, to].
  void Run(int64_t from, int64_t to) {
    for (int64_t t = from - from % (30 * kSec) + 30 * kSec; t <= to; t += 30 * kSec) At(t);
  }
  size_t Count(const std::string& path) const {
    size_t n = 0;
    for (const auto& r : rx_.requests()) n += r.target == path;
    return n;
  }
  std::string LastBody(const std::string& path) const {
    std::string body;
    for (const auto& r : rx_.requests()) {
      if (r.target == path) body = r.body;
    }
    return body;
  }
  uint64_t EscalationsTotal() {
    return metrics_.GetCounter("perfwatch_alert_escalations_total", "", {{"policy", "page"}})
        ->Value();
  }

  std::vector<std::string> ReadSnapshotForTest() const {
    auto r = ReadSnapshot(dir_.path() / "am" / "escalations.snap", "PWESC001");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<std::string>{};
  }

  // The lead also has PagerDuty (/pd) and Slack (/slack, send_resolved) integrations; the
  // manager's webhook has send_resolved: false.
  void WithPagerdutyAndSlack() {
    lead_extra_ = "  pagerduty_configs: [{routing_key: rk, url: '" + rx_.url("/pd") +
                  "'}]\n  slack_configs: [{api_url: '" + rx_.url("/slack") +
                  "', channel: '#leads', send_resolved: true}]\n";
    manager_webhook_opts_ = ", send_resolved: false";
    am_.reset();
    am_ = Open();
    ASSERT_NE(am_, nullptr);
  }
  std::string BodyAt(const std::string& path, size_t n) const {  // the n-th (0-based)
    for (const auto& r : rx_.requests()) {
      if (r.target == path && n-- == 0) return r.body;
    }
    return "";
  }
  static std::string DedupKey(const std::string& body) {
    const std::string k = "\"dedup_key\":\"";
    const size_t p = body.find(k);
    if (p == std::string::npos) return "<none>";
    return body.substr(p + k.size(), body.find('"', p + k.size()) - p - k.size());
  }
  static std::string Fp(const Alert& a) { return FingerprintHex(Fingerprint(a.labels)); }
  const std::string kGroupKey = "{}:{alertname=\"Cpu\"}";

  uint64_t repeat_ = 0;
  std::string lead_extra_;
  std::string manager_webhook_opts_;
  FakeClock clock_{kT0};
  TempDir dir_;
  perfwatch::testing::WebhookReceiver rx_;
  MetricsRegistry metrics_;
  std::unique_ptr<http::Router> router_;
  std::unique_ptr<Alertmanager> am_;
};

TEST_F(EscalationTest, LeadAfter15MinutesManagerAfter30NotBefore) {
  am_->PutAlerts({Firing()});
  At(0);
  At(30 * kSec);
  EXPECT_EQ(Count("/team"), 1u);  // the route's receiver, after group_wait
  Run(30 * kSec, 15 * kMin - kSec);
  EXPECT_EQ(Count("/lead"), 0u);
  EXPECT_EQ(EscalationsTotal(), 0u);

  At(15 * kMin);
  ASSERT_EQ(Count("/lead"), 1u);
  EXPECT_EQ(Count("/manager"), 0u);
  const std::string body = LastBody("/lead");
  EXPECT_NE(body.find("\"receiver\":\"lead\",\"status\":\"firing\""), std::string::npos) << body;
  EXPECT_NE(body.find(",\"escalation\":{\"policy\":\"page\",\"step\":1,\"run\":1}}"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("\"groupKey\":\"{}:{alertname=\\\"Cpu\\\"}\""), std::string::npos) << body;
  // The route's own notifications carry no marker.
  EXPECT_EQ(LastBody("/team").find("\"escalation\""), std::string::npos);

  // The API shows where the chain is.
  auto alerts = Call("GET", "/api/v2/alerts");
  EXPECT_NE(alerts.body.find("\"escalation\":{\"policy\":\"page\",\"step\":1,\"run\":1,"
                             "\"startedAt\":\"" + FormatApiTime(kT0) + "\",\"nextAt\":\"" +
                             FormatApiTime(kT0 + 30 * kMin) + "\"}"),
            std::string::npos)
      << alerts.body;

  Run(15 * kMin, 30 * kMin - kSec);
  EXPECT_EQ(Count("/lead"), 1u);
  EXPECT_EQ(Count("/manager"), 0u);
  At(30 * kMin);
  ASSERT_EQ(Count("/manager"), 1u);
  EXPECT_NE(LastBody("/manager").find("\"escalation\":{\"policy\":\"page\",\"step\":2,\"run\":1}"),
            std::string::npos);
  EXPECT_EQ(EscalationsTotal(), 2u);

  // Done: nothing more, however long it fires (the route's receiver still repeats).
  Run(30 * kMin, 5 * 60 * kMin);
  EXPECT_EQ(Count("/lead"), 1u);
  EXPECT_EQ(Count("/manager"), 1u);
  EXPECT_GE(Count("/team"), 2u);
  alerts = Call("GET", "/api/v2/alerts");
  EXPECT_NE(alerts.body.find("\"step\":2,\"run\":1,\"startedAt\":\"" + FormatApiTime(kT0) +
                             "\",\"nextAt\":null}"),
            std::string::npos)
      << alerts.body;
}

TEST_F(EscalationTest, AckAt20MinutesStopsTheManagerStep) {
  const Alert a = Firing();
  am_->PutAlerts({a});
  Run(-30 * kSec, 20 * kMin);
  ASSERT_EQ(Count("/lead"), 1u);
  auto res = Call("POST", "/api/v1/alerts/" + FingerprintHex(Fingerprint(a.labels)) + "/ack",
                  R"({"comment":"mine"})");
  ASSERT_EQ(res.status, 200) << res.body;
  Run(20 * kMin, 3 * 60 * kMin);
  EXPECT_EQ(Count("/manager"), 0u);
  EXPECT_EQ(Count("/lead"), 1u);
  EXPECT_EQ(EscalationsTotal(), 1u);
}

TEST_F(EscalationTest, UnacknowledgingResumesTheChain) {
  const Alert a = Firing();
  am_->PutAlerts({a});
  Run(-30 * kSec, 20 * kMin);
  const std::string path = "/api/v1/alerts/" + FingerprintHex(Fingerprint(a.labels)) + "/ack";
  ASSERT_EQ(Call("POST", path).status, 200);
  Run(20 * kMin, 40 * kMin);
  EXPECT_EQ(Count("/manager"), 0u);
  ASSERT_EQ(Call("DELETE", path).status, 200);
  At(40 * kMin + kSec);  // the step that came due while acknowledged goes out now, once
  EXPECT_EQ(Count("/manager"), 1u);
  Run(41 * kMin, 2 * 60 * kMin);
  EXPECT_EQ(Count("/manager"), 1u);
}

TEST_F(EscalationTest, ResolvingStopsTheChain) {
  Alert a = Firing();
  am_->PutAlerts({a});
  Run(-30 * kSec, 20 * kMin);
  ASSERT_EQ(Count("/lead"), 1u);
  a.ends_at_ms = clock_.NowMs();
  am_->PutAlerts({a});
  Run(20 * kMin, 3 * 60 * kMin);
  EXPECT_EQ(Count("/manager"), 0u);
  ASSERT_EQ(Count("/lead"), 2u);  // the step, then the resolution
  EXPECT_NE(LastBody("/lead").find("\"status\":\"resolved\""), std::string::npos);
}

TEST_F(EscalationTest, FiringAgainStartsANewChain) {
  Alert a = Firing();
  am_->PutAlerts({a});
  Run(-30 * kSec, 20 * kMin);
  ASSERT_EQ(Count("/lead"), 1u);
  a.ends_at_ms = clock_.NowMs();
  am_->PutAlerts({a});
  Run(20 * kMin, 40 * kMin);
  EXPECT_EQ(Count("/manager"), 0u);
  EXPECT_EQ(Count("/lead"), 2u);  // the step, then the resolution

  clock_.Set(kT0 + 40 * kMin);
  am_->PutAlerts({Firing()});  // startsAt 40 min
  Run(40 * kMin, 55 * kMin - kSec);
  EXPECT_EQ(Count("/lead"), 2u);
  At(55 * kMin);
  EXPECT_EQ(Count("/lead"), 3u);
  EXPECT_NE(LastBody("/lead").find("\"status\":\"firing\""), std::string::npos);
  Run(55 * kMin, 70 * kMin - kSec);
  EXPECT_EQ(Count("/manager"), 0u);
  At(70 * kMin);
  EXPECT_EQ(Count("/manager"), 1u);
}

TEST_F(EscalationTest, RepeatRunsTheChainAgainExactlyNTimes) {
  am_.reset();
  repeat_ = 2;
  am_ = Open();
  ASSERT_NE(am_, nullptr);
  am_->PutAlerts({Firing()});
  // Runs at 15/30, 45/60, 75/90 min.
  Run(-30 * kSec, 45 * kMin - kSec);
  EXPECT_EQ(Count("/lead"), 1u);
  EXPECT_EQ(Count("/manager"), 1u);
  At(45 * kMin);
  EXPECT_EQ(Count("/lead"), 2u);
  EXPECT_NE(LastBody("/lead").find("\"escalation\":{\"policy\":\"page\",\"step\":1,\"run\":2}"),
            std::string::npos);
  Run(45 * kMin, 90 * kMin - kSec);
  EXPECT_EQ(Count("/lead"), 3u);
  EXPECT_EQ(Count("/manager"), 2u);
  At(90 * kMin);
  EXPECT_EQ(Count("/manager"), 3u);
  EXPECT_NE(LastBody("/manager").find("\"step\":2,\"run\":3}"), std::string::npos);
  Run(90 * kMin, 10 * 60 * kMin);
  EXPECT_EQ(Count("/lead"), 3u);
  EXPECT_EQ(Count("/manager"), 3u);
  EXPECT_EQ(EscalationsTotal(), 6u);
}

TEST_F(EscalationTest, SilenceMutesTheChainWhileItLasts) {
  am_->PutAlerts({Firing()});
  Run(-30 * kSec, 10 * kMin);
  auto res = Call("POST", "/api/v2/silences",
                  R"({"matchers":[{"name":"alertname","value":"Cpu","isRegex":false}],)"
                  R"("startsAt":")" + FormatApiTime(kT0 + 10 * kMin) + R"(","endsAt":")" +
                      FormatApiTime(kT0 + 40 * kMin) +
                      R"(","createdBy":"alice","comment":"maintenance"})");
  ASSERT_EQ(res.status, 200) << res.body;
  Run(10 * kMin, 40 * kMin - kSec);
  EXPECT_EQ(Count("/lead"), 0u);
  EXPECT_EQ(Count("/manager"), 0u);
  // Still firing when the silence ends: the steps that came due go out, each once.
  Run(40 * kMin - kSec, 2 * 60 * kMin);
  EXPECT_EQ(Count("/lead"), 1u);
  EXPECT_EQ(Count("/manager"), 1u);
}

TEST_F(EscalationTest, StateSurvivesARestart) {
  am_->PutAlerts({Firing()});
  Run(-30 * kSec, 16 * kMin);
  ASSERT_EQ(Count("/lead"), 1u);
  am_.reset();  // Stop() persists
  am_ = Open();
  ASSERT_NE(am_, nullptr);
  Run(16 * kMin, 30 * kMin - kSec);
  EXPECT_EQ(Count("/lead"), 1u);  // not sent again
  EXPECT_EQ(Count("/manager"), 0u);
  At(30 * kMin);
  EXPECT_EQ(Count("/manager"), 1u);  // nor forgotten

  // Steps are on disk as soon as they are sent (no clean shutdown needed).
  auto records = ReadSnapshotForTest();
  ASSERT_EQ(records.size(), 1u);
  EscalationEntry e;
  ASSERT_TRUE(DecodeEscalationEntry(records[0], &e));
  EXPECT_EQ(e.policy, "page");
  EXPECT_EQ(e.next, 2u);
  EXPECT_EQ(e.chain_start_ms, kT0);
}

TEST_F(EscalationTest, ResolutionReachesTheStepReceivers) {
  WithPagerdutyAndSlack();
  Alert a = Firing();
  am_->PutAlerts({a});
  Run(-30 * kSec, 31 * kMin);
  ASSERT_EQ(Count("/lead"), 1u);
  ASSERT_EQ(Count("/pd"), 1u);
  ASSERT_EQ(Count("/slack"), 1u);
  ASSERT_EQ(Count("/manager"), 1u);
  // The step's PagerDuty trigger, keyed on the group, marked in custom_details.
  const std::string trigger = BodyAt("/pd", 0);
  EXPECT_NE(trigger.find("{\"routing_key\":\"rk\",\"dedup_key\":\"" +
                         GroupKeyHash(kGroupKey) + "\",\"event_action\":\"trigger\","),
            std::string::npos)
      << trigger;
  EXPECT_NE(trigger.find(",\"escalation\":{\"policy\":\"page\",\"step\":1,\"run\":1}}}"),
            std::string::npos)
      << trigger;
  EXPECT_NE(BodyAt("/slack", 0).find("{\"title\":\"Escalation\",\"value\":\"step 1 of policy "
                                     "page, run 1\",\"short\":false}"),
            std::string::npos)
      << BodyAt("/slack", 0);

  a.ends_at_ms = clock_.NowMs();
  am_->PutAlerts({a});
  At(31 * kMin + kSec);  // at the next check, not at the group's next flush
  ASSERT_EQ(Count("/lead"), 2u);
  const std::string lead = BodyAt("/lead", 1);
  EXPECT_NE(lead.find("{\"receiver\":\"lead\",\"status\":\"resolved\",\"alerts\":[{\"status\":"
                      "\"resolved\""),
            std::string::npos)
      << lead;
  EXPECT_NE(lead.find("\"fingerprint\":\"" + Fp(a) + "\"}]"), std::string::npos) << lead;
  EXPECT_NE(lead.find("\"groupKey\":\"{}:{alertname=\\\"Cpu\\\"}\",\"truncatedAlerts\":0,"
                      "\"escalation\":{\"policy\":\"page\",\"step\":2,\"run\":1}}"),
            std::string::npos)
      << lead;
  // PagerDuty: resolve, with the trigger's dedup_key.
  ASSERT_EQ(Count("/pd"), 2u);
  const std::string resolve = BodyAt("/pd", 1);
  EXPECT_NE(resolve.find("\"event_action\":\"resolve\""), std::string::npos) << resolve;
  EXPECT_EQ(DedupKey(resolve), DedupKey(trigger));
  EXPECT_NE(resolve.find("\"summary\":\"[RESOLVED] Cpu "), std::string::npos) << resolve;
  ASSERT_EQ(Count("/slack"), 2u);
  EXPECT_NE(BodyAt("/slack", 1).find("\"title\":\"[RESOLVED] Cpu (a)\""), std::string::npos)
      << BodyAt("/slack", 1);
  // send_resolved: false: not told.
  EXPECT_EQ(Count("/manager"), 1u);

  // Once only; the route's receiver hears of it at its group's flush, unmarked.
  Run(31 * kMin + kSec, 3 * 60 * kMin);
  EXPECT_EQ(Count("/lead"), 2u);
  EXPECT_EQ(Count("/pd"), 2u);
  EXPECT_EQ(Count("/slack"), 2u);
  EXPECT_EQ(Count("/manager"), 1u);
  const std::string team = LastBody("/team");
  EXPECT_NE(team.find("\"status\":\"resolved\""), std::string::npos) << team;
  EXPECT_EQ(team.find("\"escalation\""), std::string::npos) << team;
  EXPECT_EQ(EscalationsTotal(), 4u);  // the steps' 3 + 1 integrations; resolutions are not steps
}

TEST_F(EscalationTest, OneResolvedAlertOfTwoKeepsTheIncidentOpen) {
  WithPagerdutyAndSlack();
  Alert a = Firing();
  Alert b = Firing();
  b.labels = {{"alertname", "Cpu"}, {"instance", "b"}};
  am_->PutAlerts({a, b});
  Run(-30 * kSec, 16 * kMin);
  ASSERT_EQ(Count("/pd"), 1u);  // one step notification for both
  a.ends_at_ms = clock_.NowMs();
  am_->PutAlerts({a});
  At(16 * kMin + kSec);
  // The lead is told a resolved and b still firing: PagerDuty's incident stays open.
  ASSERT_EQ(Count("/pd"), 2u);
  EXPECT_NE(BodyAt("/pd", 1).find("\"event_action\":\"trigger\""), std::string::npos);
  ASSERT_EQ(Count("/lead"), 2u);
  const std::string lead = BodyAt("/lead", 1);
  EXPECT_NE(lead.find("\"status\":\"firing\",\"alerts\":[{\"status\":\"resolved\""),
            std::string::npos)
      << lead;
  EXPECT_NE(lead.find("\"fingerprint\":\"" + Fp(a) + "\"},{\"status\":\"firing\""),
            std::string::npos)
      << lead;
  b.ends_at_ms = clock_.NowMs();
  am_->PutAlerts({b});
  At(16 * kMin + 2 * kSec);
  ASSERT_EQ(Count("/pd"), 3u);
  EXPECT_NE(BodyAt("/pd", 2).find("\"event_action\":\"resolve\""), std::string::npos);
  EXPECT_EQ(DedupKey(BodyAt("/pd", 2)), DedupKey(BodyAt("/pd", 0)));
}

TEST_F(EscalationTest, AcknowledgementReachesTheStepsPagerduty) {
  WithPagerdutyAndSlack();
  Alert a = Firing();
  am_->PutAlerts({a});
  Run(-30 * kSec, 20 * kMin);
  ASSERT_EQ(Count("/pd"), 1u);
  ASSERT_EQ(Call("POST", "/api/v1/alerts/" + Fp(a) + "/ack", R"({"comment":"mine"})").status,
            200);
  At(20 * kMin + kSec);  // delivers what the ack queued
  ASSERT_EQ(Count("/pd"), 2u);
  EXPECT_EQ(BodyAt("/pd", 1), "{\"routing_key\":\"rk\",\"dedup_key\":\"" +
                                  DedupKey(BodyAt("/pd", 0)) +
                                  "\",\"event_action\":\"acknowledge\"}");
  Run(20 * kMin + kSec, 40 * kMin);
  EXPECT_EQ(Count("/manager"), 0u);  // the ack held the chain
  // Resolving an acknowledged alert still closes the incident.
  a.ends_at_ms = clock_.NowMs();
  am_->PutAlerts({a});
  At(40 * kMin + kSec);
  ASSERT_EQ(Count("/pd"), 3u);
  EXPECT_NE(BodyAt("/pd", 2).find("\"event_action\":\"resolve\""), std::string::npos);
  EXPECT_EQ(Count("/manager"), 0u);
}

TEST_F(EscalationTest, ResolutionAfterARestart) {
  WithPagerdutyAndSlack();
  Alert a = Firing();
  am_->PutAlerts({a});
  Run(-30 * kSec, 16 * kMin);
  ASSERT_EQ(Count("/pd"), 1u);
  // What is on disk: version 2, with the group's labels and the receivers told.
  auto records = ReadSnapshotForTest();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0][0], '\x02');
  EscalationEntry e;
  ASSERT_TRUE(DecodeEscalationEntry(records[0], &e));
  EXPECT_EQ(e.group_key, kGroupKey);
  EXPECT_EQ(e.group_labels, (LabelSet{{"alertname", "Cpu"}}));
  EXPECT_EQ(e.notified, (std::vector<std::string>{"lead"}));
  EXPECT_TRUE(e.notified_known);
  EXPECT_EQ(EncodeEscalationEntry(e), records[0]);

  am_.reset();
  am_ = Open();
  ASSERT_NE(am_, nullptr);
  a.ends_at_ms = kT0 + 20 * kMin;
  clock_.Set(kT0 + 20 * kMin);
  am_->PutAlerts({a});
  Run(20 * kMin - kSec, 25 * kMin);
  ASSERT_EQ(Count("/lead"), 2u);
  EXPECT_NE(BodyAt("/lead", 1).find("\"status\":\"resolved\""), std::string::npos);
  ASSERT_EQ(Count("/pd"), 2u);
  EXPECT_NE(BodyAt("/pd", 1).find("\"event_action\":\"resolve\""), std::string::npos);
  EXPECT_EQ(DedupKey(BodyAt("/pd", 1)), DedupKey(BodyAt("/pd", 0)));
  EXPECT_EQ(Count("/manager"), 0u);  // never told of it
}

// escalations.snap written before record version 2 (no group labels, no receivers told):
// still read, the receivers derived from the policy's steps before the chain's position.
TEST_F(EscalationTest, VersionOneRecordsAreRead) {
  Alert a = Firing();
  am_->PutAlerts({a});
  Run(-30 * kSec, 16 * kMin);
  ASSERT_EQ(Count("/lead"), 1u);
  am_.reset();
  std::string v1;
  v1.push_back('\x01');
  PutString(v1, kGroupKey);
  PutString(v1, "page");
  PutVarint(v1, Fingerprint(a.labels));
  PutVarint(v1, ZigZag(kT0));
  PutVarint(v1, 1);
  EscalationEntry e;
  ASSERT_TRUE(DecodeEscalationEntry(v1, &e));
  EXPECT_FALSE(e.notified_known);
  EXPECT_EQ(e.next, 1u);
  EXPECT_TRUE(e.notified.empty());
  EXPECT_EQ(EncodeEscalationEntry(e), v1);  // still unknown: kept as version 1
  EscalationPolicy p;
  p.steps = {{15 * kMin, {"lead", "x"}}, {30 * kMin, {"manager"}}};
  EXPECT_EQ(EscalationNotified(e, &p), (std::vector<std::string>{"lead", "x"}));
  e.next = 5;
  EXPECT_EQ(EscalationNotified(e, &p), (std::vector<std::string>{"lead", "manager", "x"}));
  EXPECT_TRUE(EscalationNotified(e, nullptr).empty());
  std::string bad = v1 + "x";  // trailing bytes
  EXPECT_FALSE(DecodeEscalationEntry(bad, &e));
  ASSERT_TRUE(
      WriteSnapshot(dir_.path() / "am" / "escalations.snap", "PWESC001", {v1}).ok());

  am_ = Open();
  ASSERT_NE(am_, nullptr);
  a.ends_at_ms = kT0 + 20 * kMin;
  clock_.Set(kT0 + 20 * kMin);
  am_->PutAlerts({a});
  At(20 * kMin);
  ASSERT_EQ(Count("/lead"), 2u);
  EXPECT_NE(BodyAt("/lead", 1).find("\"status\":\"resolved\""), std::string::npos);
  EXPECT_NE(BodyAt("/lead", 1).find("\"escalation\":{\"policy\":\"page\",\"step\":1,\"run\":1}"),
            std::string::npos);
  EXPECT_EQ(Count("/manager"), 0u);
}

TEST(EscalationTrackerTest, SendsOnlyTheLastRunsWorthWhenFarBehind) {
  EscalationPolicy p;
  p.name = "p";
  p.steps = {{10 * kMin, {"a"}}, {20 * kMin, {"b"}}};
  p.repeat = 3;
  EscalationTracker t;
  Alert a;
  a.labels = {{"alertname", "x"}};
  a.starts_at_ms = kT0;
  const auto no = [] { return false; };
  const auto yes = [] { return true; };
  t.BeginSweep();
  EXPECT_TRUE(t.Observe("g", {}, p, a, no, kT0 + 5 * kMin).empty());
  // 65 min: flat steps 0..5 are due (10, 20, 30, 40, 50, 60): only 4 and 5.
  EXPECT_EQ(t.Observe("g", {}, p, a, no, kT0 + 65 * kMin), (std::vector<uint64_t>{4, 5}));
  EXPECT_TRUE(t.Observe("g", {}, p, a, yes, kT0 + 95 * kMin).empty());  // muted
  EXPECT_EQ(t.NextDeadline(AlertmanagerConfig{}), INT64_MAX);
  EXPECT_EQ(t.Observe("g", {}, p, a, no, kT0 + 10 * 60 * kMin), (std::vector<uint64_t>{6, 7}));
  EXPECT_TRUE(t.Observe("g", {}, p, a, no, kT0 + 20 * 60 * kMin).empty());
  EXPECT_TRUE(t.EndSweep().empty());
  t.BeginSweep();
  EXPECT_EQ(t.EndSweep().size(), 1u);  // not seen: dropped
  EXPECT_EQ(t.size(), 0u);
}

}  // namespace
}  // namespace perfwatch::alert
