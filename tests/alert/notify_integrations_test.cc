// Notification templates (Alertmanager's data model and default templates), the PagerDuty
// and Slack payloads field by field against what Alertmanager 0.25's pagerduty.go and
// slack.go send for the same alerts, the receivers' configuration parsing, severities,
// and the secrets in /api/v2/status's rendering.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "alert/am_config.h"
#include "alert/integrations.h"
#include "alert/notify_template.h"
#include "alert/severity.h"
#include "support/temp_dir.h"

namespace perfwatch::alert {
namespace {

constexpr int64_t kNow = 1'700'000'100'000;
constexpr char kGroupKey[] = "{}:{alertname=\"HighLatency\"}";

std::vector<Alert> TwoFiring() {
  Alert a;
  a.labels = {{"alertname", "HighLatency"}, {"instance", "a"}, {"job", "api"},
              {"severity", "warning"}};
  a.annotations = {{"summary", "p99 high"}};
  a.starts_at_ms = 1'700'000'000'000;
  a.generator_url = "http://pw/graph?g0.expr=x";
  Alert b = a;
  b.labels = {{"alertname", "HighLatency"}, {"instance", "b"}, {"job", "api"},
              {"severity", "P0"}};
  return {a, b};
}

NotificationContext Ctx() {
  NotificationContext c;
  c.receiver = "team-x";
  c.group_key = kGroupKey;
  c.group_labels = {{"alertname", "HighLatency"}};
  c.external_url = "http://pw:9090";
  c.now_ms = kNow;
  return c;
}

std::string Exec(std::string_view text, const std::vector<Alert>& alerts) {
  auto d = MakeNotificationData(Ctx(), alerts);
  auto r = NotificationTemplates::Defaults()->ExecuteText(text, d);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : "";
}

const char kTwoAlertList[] =
    "Labels:\n - alertname = HighLatency\n - instance = a\n - job = api\n - severity = "
    "warning\nAnnotations:\n - summary = p99 high\nSource: http://pw/graph?g0.expr=x\n"
    "Labels:\n - alertname = HighLatency\n - instance = b\n - job = api\n - severity = "
    "P0\nAnnotations:\n - summary = p99 high\nSource: http://pw/graph?g0.expr=x\n";

TEST(NotifyTemplate, DataModel) {
  const auto alerts = TwoFiring();
  EXPECT_EQ(Exec("{{ .Receiver }} {{ .Status }} {{ len .Alerts }} {{ len .Alerts.Firing }} "
                 "{{ len .Alerts.Resolved }}",
                 alerts),
            "team-x firing 2 2 0");
  EXPECT_EQ(Exec("{{ range .CommonLabels.SortedPairs }}{{ .Name }}={{ .Value }};{{ end }}", alerts),
            "alertname=HighLatency;job=api;");
  EXPECT_EQ(Exec("{{ .CommonLabels.Names | join \",\" }}|{{ .CommonAnnotations.Values | join \",\" }}",
                 alerts),
            "alertname,job|p99 high");
  EXPECT_EQ(Exec("{{ (.CommonLabels.Remove (stringSlice \"job\")).Names }}", alerts), "[alertname]");
  EXPECT_EQ(Exec("{{ range .Alerts }}{{ .Labels.instance }}{{ .Status }}{{ .Fingerprint | len }} {{ end }}",
                 alerts),
            "afiring16 bfiring16 ");
  EXPECT_EQ(Exec("{{ (index .Alerts 1).Labels.severity | toLower }}", alerts), "p0");
  EXPECT_EQ(Exec("{{ title \"hELLO wORLD\" }} {{ toUpper .Status }}", alerts), "Hello World FIRING");
  EXPECT_EQ(Exec("{{ .ExternalURL }}", alerts), "http://pw:9090");
  EXPECT_EQ(Exec("", alerts), "");
}

TEST(NotifyTemplate, DefaultTemplatesMatchAlertmanager) {
  const auto alerts = TwoFiring();
  EXPECT_EQ(Exec(R"({{ template "__subject" . }})", alerts), "[FIRING:2] HighLatency (api)");
  EXPECT_EQ(Exec(R"({{ template "__alertmanagerURL" . }})", alerts),
            "http://pw:9090/#/alerts?receiver=team-x");
  EXPECT_EQ(Exec(R"({{ template "__text_alert_list" .Alerts }})", alerts), kTwoAlertList);
  EXPECT_EQ(Exec(R"({{ template "slack.default.fallback" . }})", alerts),
            "[FIRING:2] HighLatency (api) | http://pw:9090/#/alerts?receiver=team-x");
  // Only group labels in common: the subject keeps its trailing space, as Alertmanager's.
  std::vector<Alert> one = {TwoFiring()[0]};
  NotificationContext c = Ctx();
  c.group_labels = one[0].labels;
  auto d = MakeNotificationData(c, one);
  auto r = NotificationTemplates::Defaults()->ExecuteText(R"({{ template "__subject" . }})", d);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "[FIRING:1] HighLatency a api warning ");
  // Resolved.
  auto resolved = TwoFiring();
  for (auto& a : resolved) a.ends_at_ms = kNow - 1000;
  EXPECT_EQ(Exec(R"({{ template "__subject" . }})", resolved), "[RESOLVED] HighLatency (api)");
}

TEST(NotifyTemplate, FunctionSetsAndErrors) {
  // Rule templates do not have Alertmanager's join; notification templates do not have
  // Prometheus' humanize.
  EXPECT_FALSE(Template::Parse("r", "{{ join \",\" .x }}").ok());
  auto d = MakeNotificationData(Ctx(), TwoFiring());
  auto r = NotificationTemplates::Defaults()->ExecuteText("{{ humanize 1 }}", d);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("function \"humanize\" not defined"), std::string::npos);
  r = NotificationTemplates::Defaults()->ExecuteText(R"({{ template "nope" . }})", d);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("template \"nope\" not defined"), std::string::npos);
  // HTML mode escapes values, not safeHtml.
  auto h = NotificationTemplates::Defaults()->ExecuteHtml(
      "<b>{{ \"<x>&\" }}</b>{{ safeHtml \"<i>\" }}", d);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(*h, "<b>&lt;x&gt;&amp;</b><i>");
}

TEST(NotifyTemplate, ConfigFilesOverrideDefaults) {
  perfwatch::testing::TempDir dir;
  std::ofstream(dir.path() / "a.tmpl")
      << R"({{ define "__subject" }}custom {{ .Status }}{{ end }}{{ define "mine" }}M{{ end }})";
  auto t = NotificationTemplates::Load({"*.tmpl"}, dir.path().string());
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  auto d = MakeNotificationData(Ctx(), TwoFiring());
  auto r = (*t)->ExecuteText(R"({{ template "pagerduty.default.description" . }}{{ template "mine" . }})", d);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "custom firingM");
  std::ofstream(dir.path() / "b.tmpl") << "{{ define \"x\" }}{{ end ";
  EXPECT_FALSE(NotificationTemplates::Load({"*.tmpl"}, dir.path().string()).ok());
}

// Alertmanager's key.Hash() for the group key: sha256 hex.
TEST(Pagerduty, DedupKeyIsGroupKeyHash) {
  EXPECT_EQ(GroupKeyHash(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(GroupKeyHash(kGroupKey).size(), 64u);
}

TEST(Pagerduty, PayloadGolden) {
  auto cfg = ParseAlertmanagerYaml(R"(
route: {receiver: pd}
receivers:
- name: pd
  pagerduty_configs:
  - routing_key: rk123
    url: http://127.0.0.1:1/v2/enqueue
)");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  const PagerdutyConfig& pd = cfg->receivers[0].pagerduty_configs[0];
  EXPECT_TRUE(pd.send_resolved);
  auto body = BuildPagerdutyPayload(pd, *cfg->notification_templates, Ctx(), TwoFiring());
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  // json.Encoder's output of pagerDutyMessage for the same alerts; the severity is
  // perfwatch's default from the severity label (P0 = critical; Alertmanager: "error").
  const std::string expected =
      "{\"routing_key\":\"rk123\",\"dedup_key\":\"" + GroupKeyHash(kGroupKey) +
      "\",\"event_action\":\"trigger\",\"payload\":{\"summary\":\"[FIRING:2] HighLatency "
      "(api)\",\"source\":\"Alertmanager\",\"severity\":\"critical\",\"custom_details\":{"
      "\"firing\":\"" +
      std::string("Labels:\\n - alertname = HighLatency\\n - instance = a\\n - job = api\\n - "
                  "severity = warning\\nAnnotations:\\n - summary = p99 high\\nSource: "
                  "http://pw/graph?g0.expr=x\\nLabels:\\n - alertname = HighLatency\\n - "
                  "instance = b\\n - job = api\\n - severity = P0\\nAnnotations:\\n - summary = "
                  "p99 high\\nSource: http://pw/graph?g0.expr=x\\n") +
      "\",\"num_firing\":\"2\",\"num_resolved\":\"0\",\"resolved\":\"\"}},\"client\":"
      "\"Alertmanager\",\"client_url\":\"http://pw:9090/#/alerts?receiver=team-x\"}\n";
  EXPECT_EQ(*body, expected);

  // Resolved: event_action resolve, same dedup_key; without a severity label "error".
  auto resolved = TwoFiring();
  for (auto& a : resolved) {
    a.ends_at_ms = kNow - 1;
    a.labels.erase(a.labels.begin() + 3);
  }
  body = BuildPagerdutyPayload(pd, *cfg->notification_templates, Ctx(), resolved);
  ASSERT_TRUE(body.ok());
  EXPECT_NE(body->find("\"event_action\":\"resolve\""), std::string::npos);
  EXPECT_NE(body->find("\"dedup_key\":\"" + GroupKeyHash(kGroupKey) + "\""), std::string::npos);
  EXPECT_NE(body->find("\"severity\":\"error\""), std::string::npos);
  EXPECT_NE(body->find("\"summary\":\"[RESOLVED] HighLatency (api)\""), std::string::npos);
}

TEST(Pagerduty, SummaryTruncatedAndConfiguredFields) {
  auto cfg = ParseAlertmanagerYaml(R"(
route: {receiver: pd}
receivers:
- name: pd
  pagerduty_configs:
  - routing_key: rk
    description: '{{ range $i, $e := stringSlice "a" "b" }}{{ end }})" + std::string(1100, 'x') + R"('
    severity: warning
    class: cls
    component: '{{ .CommonLabels.job }}'
    group: g
    details: {num_firing: 'custom'}
    links: [{href: 'http://l', text: 'L'}, {href: '', text: 'dropped'}]
    images: [{src: 'http://i', alt: 'A', href: 'http://h'}]
)");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  const PagerdutyConfig& pd = cfg->receivers[0].pagerduty_configs[0];
  auto body = BuildPagerdutyPayload(pd, *cfg->notification_templates, Ctx(), TwoFiring());
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_NE(body->find("\"summary\":\"" + std::string(1023, 'x') + "\xE2\x80\xA6\""),
            std::string::npos);
  EXPECT_NE(body->find("\"severity\":\"warning\",\"class\":\"cls\",\"component\":\"api\","
                       "\"group\":\"g\""),
            std::string::npos);
  EXPECT_NE(body->find("\"num_firing\":\"custom\""), std::string::npos);
  EXPECT_NE(body->find("\"images\":[{\"src\":\"http://i\",\"alt\":\"A\",\"href\":\"http://h\"}],"
                       "\"links\":[{\"href\":\"http://l\",\"text\":\"L\"}]}"),
            std::string::npos);
}

TEST(Slack, PayloadGolden) {
  auto cfg = ParseAlertmanagerYaml(R"(
global: {slack_api_url: 'http://127.0.0.1:1/hook'}
route: {receiver: s}
receivers:
- name: s
  slack_configs:
  - channel: '#ops'
    fields: [{title: 'job', value: '{{ .CommonLabels.job }}'}, {title: t, value: v, short: false}]
    short_fields: true
)");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  const SlackConfig& sc = cfg->receivers[0].slack_configs[0];
  EXPECT_FALSE(sc.send_resolved);
  EXPECT_EQ(sc.api_url, "http://127.0.0.1:1/hook");
  auto alerts = TwoFiring();
  for (auto& a : alerts) a.labels.erase(a.labels.begin() + 3);  // no severity label
  auto body = BuildSlackPayload(sc, *cfg->notification_templates, Ctx(), alerts);
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(*body,
            "{\"channel\":\"#ops\",\"username\":\"Alertmanager\",\"attachments\":[{\"title\":"
            "\"[FIRING:2] HighLatency (api)\",\"title_link\":\"http://pw:9090/#/"
            "alerts?receiver=team-x\",\"text\":\"\",\"fallback\":\"[FIRING:2] HighLatency (api) "
            "| http://pw:9090/#/alerts?receiver=team-x\",\"callback_id\":\"\",\"fields\":[{"
            "\"title\":\"job\",\"value\":\"api\",\"short\":true},{\"title\":\"t\",\"value\":"
            "\"v\",\"short\":false}],\"footer\":\"\",\"color\":\"danger\",\"mrkdwn_in\":["
            "\"fallback\",\"pretext\",\"text\"]}]}\n");
  // Severity colour (perfwatch's default when no color is set); resolved stays "good".
  auto warn = TwoFiring();
  warn[1].labels[3].second = "warning";
  body = BuildSlackPayload(sc, *cfg->notification_templates, Ctx(), warn);
  ASSERT_TRUE(body.ok());
  EXPECT_NE(body->find("\"color\":\"warning\""), std::string::npos);
  for (auto& a : warn) a.ends_at_ms = kNow - 1;
  body = BuildSlackPayload(sc, *cfg->notification_templates, Ctx(), warn);
  EXPECT_NE(body->find("\"color\":\"good\""), std::string::npos);
}

// An escalation step's notification (ctx.escalation): PagerDuty's custom_details end with
// "escalation":{"policy","step","run"} (replacing a configured detail of that name); Slack's
// attachment ends its fields with "Escalation"; without the mark neither appears.
TEST(EscalationMarker, PagerdutyCustomDetailsAndSlackField) {
  auto cfg = ParseAlertmanagerYaml(R"(
route: {receiver: pd}
receivers:
- name: pd
  pagerduty_configs:
  - routing_key: rk
    details: {a: '1', escalation: 'mine'}
  slack_configs:
  - api_url: http://127.0.0.1:1/hook
    channel: '#ops'
    fields: [{title: 'job', value: '{{ .CommonLabels.job }}', short: true}]
)");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  NotificationContext ctx = Ctx();
  ctx.escalation = EscalationMark{"page \"x\"", 2, 3};
  const PagerdutyConfig& pd = cfg->receivers[0].pagerduty_configs[0];
  auto body = BuildPagerdutyPayload(pd, *cfg->notification_templates, ctx, TwoFiring());
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_NE(body->find("\"event_action\":\"trigger\""), std::string::npos) << *body;
  // The configured details (with Alertmanager's defaults: firing, num_firing, ...), then
  // the marker last.
  EXPECT_NE(body->find("\"custom_details\":{\"a\":\"1\",\"firing\":"), std::string::npos)
      << *body;
  EXPECT_NE(body->find("\"resolved\":\"\",\"escalation\":{\"policy\":\"page "
                       "\\\"x\\\"\",\"step\":2,\"run\":3}}},\"client\""),
            std::string::npos)
      << *body;
  EXPECT_EQ(body->find("mine"), std::string::npos) << *body;
  // Without configured details: an object with the marker alone.
  PagerdutyConfig bare = pd;
  bare.details.clear();
  body = BuildPagerdutyPayload(bare, *cfg->notification_templates, ctx, TwoFiring());
  ASSERT_TRUE(body.ok());
  EXPECT_NE(body->find("\"custom_details\":{\"escalation\":{\"policy\":\"page \\\"x\\\"\","
                       "\"step\":2,\"run\":3}}}"),
            std::string::npos)
      << *body;
  // Not an escalation: the configured detail stays, no marker.
  body = BuildPagerdutyPayload(pd, *cfg->notification_templates, Ctx(), TwoFiring());
  ASSERT_TRUE(body.ok());
  EXPECT_NE(body->find("\"custom_details\":{\"a\":\"1\",\"escalation\":\"mine\",\"firing\":"),
            std::string::npos)
      << *body;

  const SlackConfig& sc = cfg->receivers[0].slack_configs[0];
  body = BuildSlackPayload(sc, *cfg->notification_templates, ctx, TwoFiring());
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_NE(body->find("\"fields\":[{\"title\":\"job\",\"value\":\"api\",\"short\":true},{"
                       "\"title\":\"Escalation\",\"value\":\"step 2 of policy page \\\"x\\\", "
                       "run 3\",\"short\":false}],"),
            std::string::npos)
      << *body;
  SlackConfig no_fields = sc;
  no_fields.fields.clear();
  body = BuildSlackPayload(no_fields, *cfg->notification_templates, ctx, TwoFiring());
  ASSERT_TRUE(body.ok());
  EXPECT_NE(body->find("\"fields\":[{\"title\":\"Escalation\",\"value\":\"step 2 of policy "
                       "page \\\"x\\\", run 3\",\"short\":false}]"),
            std::string::npos)
      << *body;
  body = BuildSlackPayload(no_fields, *cfg->notification_templates, Ctx(), TwoFiring());
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->find("\"fields\""), std::string::npos) << *body;
  EXPECT_EQ(body->find("Escalation"), std::string::npos) << *body;
}

TEST(Slack, TitleTruncatedTo1024Runes) {
  SlackConfig sc;
  sc.api_url = "http://x/";
  sc.title = std::string(600, 'a') + std::string(600, 'b');
  auto body = BuildSlackPayload(sc, *NotificationTemplates::Defaults(), Ctx(), TwoFiring());
  ASSERT_TRUE(body.ok());
  EXPECT_NE(body->find("\"title\":\"" + std::string(600, 'a') + std::string(423, 'b') +
                       "\xE2\x80\xA6\""),
            std::string::npos);
}

TEST(ReceiverConfig, ErrorsWordedLikeAlertmanager) {
  const auto err = [](const std::string& yaml) {
    auto c = ParseAlertmanagerYaml(yaml);
    return c.ok() ? std::string("ok") : c.status().message();
  };
  const std::string head = "route: {receiver: r}\nreceivers:\n- name: r\n";
  EXPECT_NE(err(head + "  pagerduty_configs: [{}]\n").find(
                "missing service or routing key in PagerDuty config"),
            std::string::npos);
  EXPECT_NE(err(head + "  pagerduty_configs: [{routing_key: a, routing_key_file: b}]\n")
                .find("at most one of routing_key & routing_key_file must be configured"),
            std::string::npos);
  EXPECT_NE(err(head + "  pagerduty_configs: [{routing_key: a, bogus: 1}]\n")
                .find("field bogus not found"),
            std::string::npos);
  EXPECT_NE(err(head + "  slack_configs: [{channel: x}]\n")
                .find("no global Slack API URL set either inline or in a file"),
            std::string::npos);
  EXPECT_NE(err(head + "  slack_configs: [{api_url: 'http://a/', api_url_file: f}]\n")
                .find("at most one of api_url & api_url_file must be configured"),
            std::string::npos);
  EXPECT_NE(err(head + "  slack_configs: [{api_url: 'http://a/', fields: [{title: t}]}]\n")
                .find("missing value in Slack field configuration"),
            std::string::npos);
  EXPECT_NE(err(head + "  email_configs: [{from: a@b}]\n").find("missing to address in email config"),
            std::string::npos);
  EXPECT_TRUE(ParseAlertmanagerYaml(head + "  email_configs: [{to: a@b, smarthost: 'h:25', from: c@d}]\n").ok());
  EXPECT_NE(err(head + "  opsgenie_configs: [{}]\n").find("opsgenie_configs are not supported yet"),
            std::string::npos);
}

TEST(ReceiverConfig, DefaultsAndGlobalInheritance) {
  perfwatch::testing::TempDir dir;
  std::ofstream(dir.path() / "key") << "  filekey \n";
  auto cfg = ParseAlertmanagerYaml(R"(
global:
  pagerduty_url: 'http://127.0.0.1:9/enqueue'
  http_config: {bearer_token: tok}
route: {receiver: r}
receivers:
- name: r
  pagerduty_configs:
  - routing_key_file: key
    send_resolved: false
    client: perfwatch
)",
                                   dir.path().string());
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  const PagerdutyConfig& pd = cfg->receivers[0].pagerduty_configs[0];
  EXPECT_EQ(pd.routing_key, "filekey");
  EXPECT_EQ(pd.url, "http://127.0.0.1:9/enqueue");
  EXPECT_EQ(pd.source, "perfwatch");  // source defaults to client
  EXPECT_FALSE(pd.send_resolved);
  EXPECT_EQ(pd.http_config.bearer_token, "tok");
  EXPECT_EQ(pd.details.size(), 4u);
  auto def = ParseAlertmanagerYaml("route: {receiver: r}\nreceivers:\n- name: r\n"
                                   "  pagerduty_configs: [{routing_key: k}]\n");
  ASSERT_TRUE(def.ok());
  EXPECT_EQ(def->receivers[0].pagerduty_configs[0].url, "https://events.pagerduty.com/v2/enqueue");
}

TEST(ReceiverConfig, StatusRenderingHidesSecrets) {
  auto cfg = ParseAlertmanagerYaml(R"(
route: {receiver: r}
receivers:
- name: r
  pagerduty_configs: [{routing_key: SECRET-RK, http_config: {basic_auth: {username: u, password: SECRET-PW}}}]
  slack_configs: [{api_url: 'http://hooks/SECRET-URL'}]
)");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  std::string y;
  AppendYamlNotifiers(y, cfg->receivers[0]);
  EXPECT_EQ(y.find("SECRET"), std::string::npos) << y;
  EXPECT_NE(y.find("routing_key: <secret>"), std::string::npos);
  EXPECT_NE(y.find("api_url: <secret>"), std::string::npos);
  EXPECT_NE(y.find("password: <secret>"), std::string::npos);
}

TEST(ReceiverConfig, IntegrationIndexes) {
  Receiver r;
  r.webhook_configs.resize(2);
  r.pagerduty_configs.resize(1);
  r.slack_configs.resize(1);
  auto idx = IntegrationIndexes(r);
  ASSERT_EQ(idx.size(), 4u);
  EXPECT_EQ(IntegrationType(idx[1]), "webhook");
  EXPECT_EQ(IntegrationType(idx[2]), "pagerduty");
  EXPECT_EQ(IntegrationType(idx[3]), "slack");
  EXPECT_EQ(IntegrationPosition(idx[3]), 0u);
  EXPECT_TRUE(IntegrationSendResolved(r, idx[2]));
  EXPECT_FALSE(IntegrationSendResolved(r, idx[3]));
}

TEST(Severity, Mapping) {
  EXPECT_EQ(ParsePriority("CRITICAL"), Priority::kCritical);
  EXPECT_EQ(ParsePriority("p0"), Priority::kCritical);
  EXPECT_EQ(ParsePriority("Page"), Priority::kCritical);
  EXPECT_EQ(ParsePriority("P1"), Priority::kHigh);
  EXPECT_EQ(ParsePriority("high"), Priority::kHigh);
  EXPECT_EQ(ParsePriority("p2"), Priority::kWarning);
  EXPECT_EQ(ParsePriority("Warning"), Priority::kWarning);
  EXPECT_EQ(ParsePriority("P3"), Priority::kInfo);
  EXPECT_EQ(ParsePriority("info"), Priority::kInfo);
  EXPECT_EQ(ParsePriority("page-me"), Priority::kNone);
  EXPECT_EQ(ParsePriority(""), Priority::kNone);
  EXPECT_EQ(PagerdutySeverity(Priority::kHigh), "error");
  EXPECT_EQ(PagerdutySeverity(Priority::kNone), "");
  EXPECT_EQ(SlackColor(Priority::kCritical), "danger");
  EXPECT_EQ(EmailSubjectPrefix(Priority::kWarning), "[WARNING] ");
  // The highest firing priority wins; resolved alerts count only when none fires.
  auto alerts = TwoFiring();  // warning, P0
  EXPECT_EQ(NotificationPriority(alerts, kNow), Priority::kCritical);
  alerts[1].ends_at_ms = kNow - 1;
  EXPECT_EQ(NotificationPriority(alerts, kNow), Priority::kWarning);
  alerts[0].ends_at_ms = kNow - 1;
  EXPECT_EQ(NotificationPriority(alerts, kNow), Priority::kCritical);
}

}  // namespace
}  // namespace perfwatch::alert
