// Silences with a FakeClock: states changing with time alone, the four matcher types,
// Alertmanager's validation wording, Set's update-or-replace rules, Expire, persistence
// across a reopen, garbage collection after the retention, the v2 API's answers, and the
// notification pipeline (a silenced alert is not delivered, nor its resolution; once the
// silence expires the alert is notified at the group's next tick).
#include "alert/silences.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

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

Matcher M(const std::string& name, Matcher::Type type, const std::string& value) {
  auto m = Matcher::Make(name, type, value);
  EXPECT_TRUE(m.ok());
  return *m;
}
constexpr auto kEq = Matcher::Type::kEqual;
constexpr auto kNe = Matcher::Type::kNotEqual;
constexpr auto kRe = Matcher::Type::kRegexp;
constexpr auto kNre = Matcher::Type::kNotRegexp;

Silence Make(Matchers ms, int64_t start, int64_t end, std::string id = "") {
  Silence s;
  s.id = std::move(id);
  s.matchers = std::move(ms);
  s.starts_at_ms = start;
  s.ends_at_ms = end;
  s.created_by = "alice";
  s.comment = "maintenance";
  return s;
}

size_t Count(const std::string& s, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = s.find(needle); pos != std::string::npos; pos = s.find(needle, pos + 1)) ++n;
  return n;
}

class SilencesTest : public ::testing::Test {
 protected:
  std::unique_ptr<Silences> Open(int64_t retention = 120 * kHour) {
    SilencesOptions o;
    o.file = dir_.path() / "silences.snap";
    o.retention_ms = retention;
    o.clock = &clock_;
    auto s = Silences::Open(o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  FakeClock clock_{kT0};
  TempDir dir_;
};

TEST_F(SilencesTest, PendingBecomesActiveThenExpiredOnTime) {
  auto sils = Open();
  auto id = sils->Set(Make({M("job", kEq, "api")}, kT0 + kMin, kT0 + kHour));
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_TRUE(LooksLikeUuid(*id));
  EXPECT_EQ((*id)[14], '4');
  const LabelSet api = {{"alertname", "X"}, {"job", "api"}};

  auto c = sils->CountAt(kT0);
  EXPECT_EQ(c.pending, 1);
  EXPECT_EQ(c.active, 0);
  EXPECT_EQ(c.next_change_ms, kT0 + kMin);
  EXPECT_TRUE(sils->MutedBy(api, kT0).empty());
  EXPECT_TRUE(sils->MutedBy(api, kT0 + kMin - 1).empty());
  EXPECT_EQ(sils->MutedBy(api, kT0 + kMin), std::vector<std::string>{*id});
  c = sils->CountAt(kT0 + kMin);
  EXPECT_EQ(c.active, 1);
  EXPECT_EQ(c.next_change_ms, kT0 + kHour);
  EXPECT_EQ(sils->MutedBy(api, kT0 + kHour - 1).size(), 1u);
  EXPECT_TRUE(sils->MutedBy(api, kT0 + kHour).empty());  // [startsAt, endsAt)
  c = sils->CountAt(kT0 + kHour);
  EXPECT_EQ(c.expired, 1);
  EXPECT_EQ(c.active + c.pending, 0);
  EXPECT_EQ(c.next_change_ms, kT0 + kHour + 120 * kHour);  // its collection
}

TEST_F(SilencesTest, MatchesAllFourMatcherTypes) {
  auto sils = Open();
  auto eq = *sils->Set(Make({M("alertname", kEq, "Cpu")}, kT0, kT0 + kHour));
  auto ne = *sils->Set(Make({M("alertname", kEq, "Cpu"), M("env", kNe, "prod")}, kT0, kT0 + kHour));
  auto re = *sils->Set(Make({M("instance", kRe, "web-[0-9]+")}, kT0, kT0 + kHour));
  auto nre = *sils->Set(Make({M("alertname", kEq, "Mem"), M("team", kNre, "db|ops")}, kT0, kT0 + kHour));
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(sils->MutedBy({{"alertname", "Cpu"}, {"env", "prod"}}, kT0), std::vector<std::string>{eq});
  EXPECT_EQ(sils->MutedBy({{"alertname", "Cpu"}, {"env", "dev"}}, kT0), sorted({eq, ne}));
  EXPECT_EQ(sils->MutedBy({{"alertname", "Cpu"}}, kT0), sorted({eq, ne}));  // missing env = ""
  // Regexes are anchored: "web-1x" does not match web-[0-9]+.
  EXPECT_EQ(sils->MutedBy({{"alertname", "Disk"}, {"instance", "web-12"}}, kT0), std::vector<std::string>{re});
  EXPECT_TRUE(sils->MutedBy({{"alertname", "Disk"}, {"instance", "web-1x"}}, kT0).empty());
  EXPECT_TRUE(sils->MutedBy({{"alertname", "Disk"}, {"instance", "xweb-1"}}, kT0).empty());
  EXPECT_EQ(sils->MutedBy({{"alertname", "Mem"}, {"team", "web"}}, kT0), std::vector<std::string>{nre});
  EXPECT_EQ(sils->MutedBy({{"alertname", "Mem"}}, kT0), std::vector<std::string>{nre});
  EXPECT_TRUE(sils->MutedBy({{"alertname", "Mem"}, {"team", "ops"}}, kT0).empty());
}

TEST_F(SilencesTest, ValidationAsAlertmanagerWordsIt) {
  auto sils = Open();
  auto err = [&](Matchers ms) {
    auto r = sils->Set(Make(std::move(ms), kT0, kT0 + kHour));
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string() : r.status().message();
  };
  EXPECT_EQ(err({}), "silence invalid: at least one matcher required");
  Matcher bad_name;
  bad_name.name = "bad-name";
  bad_name.value = "x";
  EXPECT_EQ(err({M("a", kEq, "b"), bad_name}),
            "silence invalid: invalid label matcher 1: invalid label name \"bad-name\"");
  Matcher bad_re;
  bad_re.name = "job";
  bad_re.type = kRe;
  bad_re.value = "(";
  EXPECT_EQ(err({bad_re}),
            "silence invalid: invalid label matcher 0: invalid regular expression \"(\": "
            "error parsing regexp: missing closing ): `(`");
  EXPECT_EQ(err({M("job", kEq, ""), M("x", kRe, "a*")}),
            "silence invalid: at least one matcher must not match the empty string");
  // != and !~ never count as matching the empty string.
  EXPECT_TRUE(sils->Set(Make({M("job", kNe, "")}, kT0, kT0 + kHour)).ok());
  auto nf = sils->Set(Make({M("job", kEq, "a")}, kT0, kT0 + kHour, "00000000-0000-4000-8000-000000000000"));
  ASSERT_FALSE(nf.ok());
  EXPECT_EQ(nf.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(nf.status().message(), "silence not found");
  EXPECT_EQ(sils->List().size(), 1u);
}

TEST_F(SilencesTest, UpdateInPlaceOrReplace) {
  auto sils = Open();
  // A pending silence: its start may move (not into the past) and its end too.
  std::string pending = *sils->Set(Make({M("job", kEq, "a")}, kT0 + kHour, kT0 + 2 * kHour));
  clock_.Advance(kMin);
  auto same = sils->Set(Make({M("job", kEq, "a")}, kT0 + 30 * kMin, kT0 + 3 * kHour, pending));
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*same, pending);
  EXPECT_EQ(sils->Get(pending)->starts_at_ms, kT0 + 30 * kMin);
  EXPECT_EQ(sils->Get(pending)->updated_at_ms, kT0 + kMin);
  // Starting it in the past cannot be an update: the old one is expired (start = end =
  // now, as it was pending) and a new one starts now.
  auto replaced = sils->Set(Make({M("job", kEq, "a")}, kT0, kT0 + 3 * kHour, pending));
  ASSERT_TRUE(replaced.ok());
  EXPECT_NE(*replaced, pending);
  EXPECT_EQ(sils->Get(pending)->starts_at_ms, kT0 + kMin);
  EXPECT_EQ(sils->Get(pending)->ends_at_ms, kT0 + kMin);
  EXPECT_EQ(sils->Get(*replaced)->starts_at_ms, kT0 + kMin);  // moved up to now

  // An active silence: same start second and a later end update in place.
  std::string active = *replaced;
  clock_.Advance(kMin);
  auto extended = sils->Set(Make({M("job", kEq, "a")}, kT0 + kMin + 400, kT0 + 5 * kHour, active));
  ASSERT_TRUE(extended.ok());
  EXPECT_EQ(*extended, active);
  EXPECT_EQ(sils->Get(active)->ends_at_ms, kT0 + 5 * kHour);
  // Other matchers: a new silence, the old one ends now.
  auto other = sils->Set(Make({M("job", kEq, "b")}, kT0, kT0 + 5 * kHour, active));
  ASSERT_TRUE(other.ok());
  EXPECT_NE(*other, active);
  EXPECT_EQ(sils->Get(active)->ends_at_ms, kT0 + 2 * kMin);
  EXPECT_EQ(SilenceStateAt(*sils->Get(active), clock_.NowMs()), SilenceState::kExpired);
  // An expired one is never updated: a new id, the old one left as it was.
  auto revived = sils->Set(Make({M("job", kEq, "a")}, kT0, kT0 + 5 * kHour, active));
  ASSERT_TRUE(revived.ok());
  EXPECT_NE(*revived, active);
  EXPECT_EQ(sils->Get(active)->ends_at_ms, kT0 + 2 * kMin);
  // An invalid update changes nothing.
  EXPECT_FALSE(sils->Set(Make({}, kT0, kT0 + 5 * kHour, *other)).ok());
  EXPECT_EQ(SilenceStateAt(*sils->Get(*other), clock_.NowMs()), SilenceState::kActive);
  EXPECT_EQ(sils->List().size(), 4u);
}

TEST_F(SilencesTest, ExpireRules) {
  auto sils = Open();
  std::string active = *sils->Set(Make({M("job", kEq, "a")}, kT0, kT0 + kHour));
  std::string pending = *sils->Set(Make({M("job", kEq, "a")}, kT0 + kHour, kT0 + 2 * kHour));
  clock_.Advance(kMin);
  ASSERT_TRUE(sils->Expire(active).ok());
  EXPECT_EQ(sils->Get(active)->ends_at_ms, kT0 + kMin);
  EXPECT_EQ(sils->Get(active)->starts_at_ms, kT0);
  ASSERT_TRUE(sils->Expire(pending).ok());
  EXPECT_EQ(sils->Get(pending)->starts_at_ms, kT0 + kMin);
  EXPECT_EQ(sils->Get(pending)->ends_at_ms, kT0 + kMin);
  clock_.Advance(kMin);
  EXPECT_TRUE(sils->Expire(active).ok());  // already expired: unchanged
  EXPECT_EQ(sils->Get(active)->ends_at_ms, kT0 + kMin);
  EXPECT_EQ(sils->Expire("nope").code(), StatusCode::kNotFound);
}

TEST_F(SilencesTest, SurviveReopenAndAreCollectedAfterRetention) {
  std::string a, b;
  {
    auto sils = Open(10 * kHour);
    a = *sils->Set(Make({M("job", kEq, "a"), M("i", kNre, "x|y")}, kT0, kT0 + kHour));
    b = *sils->Set(Make({M("job", kRe, "b.*")}, kT0, kT0 + 3 * kHour));
    ASSERT_TRUE(sils->Expire(a).ok());
  }  // no Stop, no flush: what Set returned is on disk
  auto sils = Open(10 * kHour);
  ASSERT_EQ(sils->List().size(), 2u);
  auto got = sils->Get(b);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->created_by, "alice");
  EXPECT_EQ(got->comment, "maintenance");
  EXPECT_EQ(got->ends_at_ms, kT0 + 3 * kHour);
  ASSERT_EQ(got->matchers.size(), 1u);
  EXPECT_EQ(got->matchers[0].ToString(), "job=~\"b.*\"");
  EXPECT_EQ(sils->MutedBy({{"job", "bee"}}, kT0), std::vector<std::string>{b});
  EXPECT_EQ(sils->Get(a)->ends_at_ms, kT0);
  EXPECT_EQ(sils->Get(a)->matchers[1].type, kNre);

  EXPECT_EQ(sils->GarbageCollect(kT0 + 10 * kHour - 1), 0u);
  EXPECT_EQ(sils->GarbageCollect(kT0 + 10 * kHour), 1u);  // a ended at kT0
  EXPECT_FALSE(sils->Get(a));
  EXPECT_EQ(sils->GarbageCollect(kT0 + 13 * kHour), 1u);
  sils.reset();
  EXPECT_TRUE(Open()->List().empty());
}

TEST_F(SilencesTest, DamagedFileIsDataLoss) {
  std::ofstream(dir_.path() / "silences.snap") << "garbage!";
  SilencesOptions o;
  o.file = dir_.path() / "silences.snap";
  o.clock = &clock_;
  auto s = Silences::Open(o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kDataLoss);
}

TEST(SilenceParse, PostableSilenceAsGoSwagger) {
  auto ok = ParsePostableSilence(
      R"({"matchers":[{"name":"job","value":"api","isRegex":false},)"
      R"({"name":"env","value":"p.*","isRegex":true,"isEqual":false}],)"
      R"("startsAt":"2023-11-14T22:00:00Z","endsAt":"2023-11-14T23:00:00.5Z",)"
      R"("CreatedBy":"bob","comment":"c","unknown":1})");
  ASSERT_EQ(ok.error_status, 0) << ok.error_body;
  EXPECT_EQ(ok.silence.created_by, "bob");
  ASSERT_EQ(ok.silence.matchers.size(), 2u);
  EXPECT_EQ(ok.silence.matchers[0].type, kEq);
  EXPECT_EQ(ok.silence.matchers[1].type, kNre);
  EXPECT_EQ(ok.silence.ends_at_ms, 1699999200000 + 3600'500);

  auto status = [](std::string_view body) {
    auto r = ParsePostableSilence(body);
    return std::to_string(r.error_status) + " " + r.error_body;
  };
  EXPECT_EQ(status(""), "422 {\"code\":602,\"message\":\"silence in body is required\"}");
  EXPECT_EQ(status("{}"), "422 {\"code\":602,\"message\":\"comment in body is required\"}");
  EXPECT_EQ(status(R"({"comment":"","createdBy":"a","endsAt":"2023-11-14T23:00:00Z","matchers":[]})"),
            "422 {\"code\":612,\"message\":\"matchers in body should have at least 1 items\"}");
  EXPECT_EQ(status(R"({"comment":"","createdBy":"a","endsAt":"2023-11-14T23:00:00Z","matchers":[{"name":"a","value":"b"}]})"),
            "422 {\"code\":602,\"message\":\"matchers.0.isRegex in body is required\"}");
  EXPECT_EQ(status(R"({"comment":"","createdBy":"a","endsAt":"2023-11-14T23:00:00Z","matchers":[{"name":"a","value":"b","isRegex":false}]})"),
            "422 {\"code\":602,\"message\":\"startsAt in body is required\"}");
  EXPECT_EQ(status("{").rfind("400 {\"code\":400,\"message\":\"parsing silence body from \\\"\\\" failed, because ", 0), 0u);
  EXPECT_EQ(status(R"({"comment":5})").rfind("400 ", 0), 0u);
  EXPECT_EQ(status(R"({"endsAt":"tomorrow"})").rfind("400 ", 0), 0u);
}

TEST(SilenceUuid, Format) {
  EXPECT_TRUE(LooksLikeUuid("5f1c7bf0-3c5e-4a52-9f0b-2a6e0f7d8c11"));
  EXPECT_TRUE(LooksLikeUuid("5F1C7BF03C5E4A529F0B2A6E0F7D8C11"));
  EXPECT_FALSE(LooksLikeUuid("5f1c7bf0-3c5e-4a52-9f0b-2a6e0f7d8c1"));
  EXPECT_FALSE(LooksLikeUuid("xyz"));
  EXPECT_NE(NewUuidV4(), NewUuidV4());
}

// --------------------------------------------------------------------- the Alertmanager

class SilencePipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(rx_.Start());
    am_ = Open();
    am_->RegisterRoutes(*router_);
  }
  std::unique_ptr<Alertmanager> Open() {
    AlertmanagerConfig c;
    c.route.receiver = "team";
    c.route.group_by = {"alertname"};
    c.route.key = "{}";
    c.route.group_wait_ms = 30 * kSec;
    c.route.group_interval_ms = 5 * kMin;
    c.route.repeat_interval_ms = 4 * kHour;
    Receiver r;
    r.name = "team";
    WebhookConfig wh;
    wh.url = rx_.url();
    wh.timeout_ms = 2000;
    r.webhook_configs.push_back(wh);
    c.receivers.push_back(r);
    AlertmanagerOptions o;
    o.state_dir = dir_.path() / "am";
    o.clock = &clock_;
    o.metrics = &metrics_;
    o.start_threads = false;
    auto am = Alertmanager::Open(o, std::move(c));
    EXPECT_TRUE(am.ok()) << am.status().ToString();
    EXPECT_TRUE((*am)->Start().ok());
    return std::move(*am);
  }
  http::Response Call(const std::string& method, const std::string& path,
                      const std::string& query = "", const std::string& body = "") {
    http::Request req;
    req.method = method;
    req.path = path;
    req.query = query;
    req.body = body;
    http::Response res;
    auto m = router_->Find(method, path);
    EXPECT_NE(m.handler, nullptr) << method << " " << path;
    if (m.handler) (*m.handler)(req, res);
    return res;
  }
  std::string PostSilence(const std::string& matchers, int64_t start, int64_t end,
                          const std::string& id = "") {
    std::string body = "{" + (id.empty() ? std::string() : "\"id\":\"" + id + "\",") +
                       "\"matchers\":" + matchers + ",\"startsAt\":\"" + FormatApiTime(start) +
                       "\",\"endsAt\":\"" + FormatApiTime(end) +
                       "\",\"createdBy\":\"alice\",\"comment\":\"deploy\"}";
    auto res = Call("POST", "/api/v2/silences", "", body);
    EXPECT_EQ(res.status, 200) << res.body;
    const std::string prefix = "{\"silenceID\":\"";
    EXPECT_EQ(res.body.rfind(prefix, 0), 0u) << res.body;
    return res.body.substr(prefix.size(), 36);
  }
  Alert Firing(const std::string& name, const std::string& instance) {
    Alert a;
    a.labels = {{"alertname", name}, {"instance", instance}};
    a.starts_at_ms = clock_.NowMs();
    a.ends_at_ms = clock_.NowMs() + 10 * kHour;
    return a;
  }
  void At(int64_t offset) {
    clock_.Set(kT0 + offset);
    am_->ProcessDue();
  }
  double GaugeValue(const std::string& name, const MetricLabels& labels) {
    return metrics_.GetGauge(name, "", labels)->Value();
  }

  FakeClock clock_{kT0};
  TempDir dir_;
  perfwatch::testing::WebhookReceiver rx_;
  MetricsRegistry metrics_;
  std::unique_ptr<http::Router> router_ = std::make_unique<http::Router>();
  std::unique_ptr<Alertmanager> am_;
};

TEST_F(SilencePipelineTest, SilencedAlertIsNotDeliveredUntilTheSilenceExpires) {
  const std::string id =
      PostSilence(R"([{"name":"instance","value":"a","isRegex":false}])", kT0, kT0 + 20 * kMin);
  am_->PutAlerts({Firing("Cpu", "a")});
  At(30 * kSec);
  EXPECT_EQ(rx_.count(), 0u);
  EXPECT_EQ(GaugeValue("alertmanager_silences", {{"state", "active"}}), 1);
  EXPECT_EQ(GaugeValue("alertmanager_alerts", {{"state", "suppressed"}}), 1);
  EXPECT_EQ(GaugeValue("alertmanager_alerts", {{"state", "active"}}), 0);

  auto alerts = Call("GET", "/api/v2/alerts");
  EXPECT_NE(alerts.body.find("\"status\":{\"inhibitedBy\":[],\"silencedBy\":[\"" + id +
                             "\"],\"state\":\"suppressed\"}"),
            std::string::npos)
      << alerts.body;
  EXPECT_EQ(Call("GET", "/api/v2/alerts", "silenced=false").body, "[]\n");
  EXPECT_EQ(Call("GET", "/api/v2/alerts", "active=false").body, alerts.body);
  EXPECT_NE(Call("GET", "/api/v2/alerts/groups").body.find("\"silencedBy\":[\"" + id + "\"]"),
            std::string::npos);
  EXPECT_EQ(Call("GET", "/api/v2/alerts/groups", "silenced=false").body, "[]\n");

  // Another alert of the same group, not silenced, goes out alone.
  clock_.Set(kT0 + kMin);
  am_->PutAlerts({Firing("Cpu", "b")});
  At(30 * kSec + 5 * kMin);
  ASSERT_EQ(rx_.count(), 1u);
  EXPECT_EQ(Count(rx_.requests()[0].body, "\"fingerprint\""), 1u);
  EXPECT_NE(rx_.requests()[0].body.find("\"instance\":\"b\""), std::string::npos);

  // The silence ends at 20 min with no request; the next tick (30s + 20m) notifies a.
  At(30 * kSec + 10 * kMin);
  At(30 * kSec + 15 * kMin);
  EXPECT_EQ(rx_.count(), 1u);
  At(20 * kMin);
  EXPECT_EQ(GaugeValue("alertmanager_silences", {{"state", "expired"}}), 1);
  EXPECT_EQ(GaugeValue("alertmanager_silences", {{"state", "active"}}), 0);
  EXPECT_EQ(GaugeValue("alertmanager_alerts", {{"state", "active"}}), 2);
  EXPECT_EQ(rx_.count(), 1u);
  At(30 * kSec + 20 * kMin);
  ASSERT_EQ(rx_.count(), 2u);
  EXPECT_NE(rx_.requests()[1].body.find("\"instance\":\"a\""), std::string::npos);
  EXPECT_EQ(Call("GET", "/api/v2/alerts", "silenced=false").body, Call("GET", "/api/v2/alerts").body);
}

TEST_F(SilencePipelineTest, ResolvedWhileSilencedIsNotNotified) {
  Alert a = Firing("Disk", "a");
  am_->PutAlerts({a});
  At(30 * kSec);
  ASSERT_EQ(rx_.count(), 1u);  // firing, before any silence
  PostSilence(R"([{"name":"alertname","value":"Di.*","isRegex":true}])", kT0 + kMin, kT0 + kHour);
  clock_.Set(kT0 + 2 * kMin);
  a.ends_at_ms = clock_.NowMs();
  am_->PutAlerts({a});
  At(30 * kSec + 5 * kMin);
  At(30 * kSec + 10 * kMin);
  EXPECT_EQ(rx_.count(), 1u);  // the resolution is muted too, as in Alertmanager
}

TEST_F(SilencePipelineTest, ApiAnswersAsAlertmanager) {
  const std::string active =
      PostSilence(R"([{"name":"job","value":"api","isRegex":false,"isEqual":false}])", kT0 - kMin, kT0 + 2 * kHour);
  const std::string pending =
      PostSilence(R"([{"name":"job","value":"a.*","isRegex":true}])", kT0 + kHour, kT0 + 3 * kHour);
  const std::string soon =
      PostSilence(R"([{"name":"job","value":"x","isRegex":false}])", kT0, kT0 + kHour);
  ASSERT_EQ(Call("DELETE", "/api/v2/silence/" + soon).status, 200);

  auto one = Call("GET", "/api/v2/silence/" + active);
  EXPECT_EQ(one.status, 200);
  // gettableSilence's keys as go-swagger writes them; a past start was moved to now.
  EXPECT_EQ(one.body,
            "{\"id\":\"" + active +
                "\",\"status\":{\"state\":\"active\"},\"updatedAt\":\"2023-11-14T22:13:20.000Z\","
                "\"comment\":\"deploy\",\"createdBy\":\"alice\",\"endsAt\":\"2023-11-15T00:13:20.000Z\","
                "\"matchers\":[{\"isEqual\":false,\"isRegex\":false,\"name\":\"job\",\"value\":\"api\"}],"
                "\"startsAt\":\"2023-11-14T22:13:20.000Z\"}\n");

  auto list = Call("GET", "/api/v2/silences");
  EXPECT_EQ(list.status, 200);
  const size_t pa = list.body.find(active), pp = list.body.find(pending), ps = list.body.find(soon);
  ASSERT_NE(ps, std::string::npos);
  EXPECT_LT(pa, pp);  // active, then pending, then expired
  EXPECT_LT(pp, ps);
  EXPECT_NE(list.body.find("{\"state\":\"expired\"}"), std::string::npos);
  // filter= keeps silences having an identical matcher.
  auto filtered = Call("GET", "/api/v2/silences", "filter=job%3D~%22a.*%22");
  EXPECT_EQ(Count(filtered.body, "\"id\""), 1u);
  EXPECT_NE(filtered.body.find(pending), std::string::npos);
  EXPECT_EQ(Call("GET", "/api/v2/silences", "filter=job%3D%22a.*%22").body, "[]\n");
  EXPECT_EQ(Call("GET", "/api/v2/silences", "filter=%3D%3D%3D").status, 400);

  auto post = [&](const std::string& body) {
    auto r = Call("POST", "/api/v2/silences", "", body);
    return std::to_string(r.status) + " " + r.body;
  };
  const std::string ms = R"("matchers":[{"name":"job","value":"x","isRegex":false}],"createdBy":"a","comment":"c")";
  EXPECT_EQ(post("{" + ms + ",\"startsAt\":\"2023-11-14T23:00:00Z\",\"endsAt\":\"2023-11-14T23:00:00Z\"}"),
            "400 \"Failed to create silence: start time must be before end time\"\n");
  EXPECT_EQ(post("{" + ms + ",\"startsAt\":\"2023-11-14T20:00:00Z\",\"endsAt\":\"2023-11-14T21:00:00Z\"}"),
            "400 \"Failed to create silence: end time can't be in the past\"\n");
  EXPECT_EQ(post("{" + ms + ",\"id\":\"nope\",\"startsAt\":\"2023-11-14T23:00:00Z\",\"endsAt\":\"2023-11-15T23:00:00Z\"}"),
            "404 \"silence not found\"\n");
  EXPECT_EQ(post(R"({"matchers":[{"name":"a-b","value":"x","isRegex":false}],"createdBy":"a","comment":"c",)"
                 R"("startsAt":"2023-11-14T23:00:00Z","endsAt":"2023-11-15T23:00:00Z"})"),
            "400 \"silence invalid: invalid label matcher 0: invalid label name \\\"a-b\\\"\"\n");

  EXPECT_EQ(Call("GET", "/api/v2/silence/00000000-0000-4000-8000-000000000000").status, 404);
  EXPECT_EQ(Call("GET", "/api/v2/silence/00000000-0000-4000-8000-000000000000").body, "");
  auto bad = Call("GET", "/api/v2/silence/xyz");
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(bad.body, "{\"code\":601,\"message\":\"silenceID in path must be of type strfmt.UUID: \\\"xyz\\\"\"}\n");
  auto gone = Call("DELETE", "/api/v2/silence/00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(gone.status, 500);  // Alertmanager 0.25 answers an unknown id with 500
  EXPECT_EQ(gone.body, "\"silence not found\"\n");
  EXPECT_EQ(Call("DELETE", "/api/v2/silence/" + soon).status, 200);  // already expired: fine

  // Silences survive the Alertmanager's restart.
  am_.reset();
  router_ = std::make_unique<http::Router>();
  am_ = Open();
  am_->RegisterRoutes(*router_);
  EXPECT_EQ(Count(Call("GET", "/api/v2/silences").body, "\"id\""), 3u);
  At(0);
  EXPECT_EQ(GaugeValue("alertmanager_silences", {{"state", "pending"}}), 1);
}

}  // namespace
}  // namespace perfwatch::alert
