// Parsing an Alertmanager 0.25 configuration: every key, defaults, inheritance, the
// checks Alertmanager makes (with its messages) and what perfwatch refuses for now.
#include "alert/am_config.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>

#include "support/temp_dir.h"

namespace perfwatch::alert {
namespace {

AlertmanagerConfig MustParse(std::string_view text, std::string_view base_dir = {}) {
  auto c = ParseAlertmanagerYaml(text, base_dir);
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? std::move(c).value() : AlertmanagerConfig{};
}

std::string Err(std::string_view text, std::string_view base_dir = {}) {
  auto c = ParseAlertmanagerYaml(text, base_dir);
  EXPECT_FALSE(c.ok()) << text;
  if (c.ok()) return "";
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  return c.status().message();
}

constexpr std::string_view kMinimal = "route:\n  receiver: r\nreceivers:\n- name: r\n";

using perfwatch::testing::TempDir;

TEST(AmConfig, MinimalDefaults) {
  AlertmanagerConfig c = MustParse(kMinimal);
  EXPECT_EQ(c.resolve_timeout_ms, 5 * 60'000);
  EXPECT_EQ(c.route.receiver, "r");
  EXPECT_EQ(c.route.key, "{}");
  EXPECT_EQ(c.route.group_wait_ms, 30'000);
  EXPECT_EQ(c.route.group_interval_ms, 5 * 60'000);
  EXPECT_EQ(c.route.repeat_interval_ms, 4 * 3600'000);
  EXPECT_FALSE(c.route.continue_matching);
  ASSERT_EQ(c.receivers.size(), 1u);
  EXPECT_EQ(c.receivers[0].name, "r");
  EXPECT_TRUE(c.inhibit_rules.empty());
  EXPECT_TRUE(c.templates.empty());
  EXPECT_TRUE(c.global_http_config.follow_redirects);
  EXPECT_EQ(c.global_http_config.authorization_type, "Bearer");
  EXPECT_EQ(c.FindReceiver("r"), &c.receivers[0]);
}

TEST(AmConfig, FullExample) {
  AlertmanagerConfig c = MustParse(R"(
global:
  resolve_timeout: 1h30m
  smtp_from: am@example.org
  smtp_smarthost: smtp.example.org:587
  smtp_hello: example.org
  smtp_auth_username: u
  smtp_auth_password: p
  smtp_auth_secret: s
  smtp_auth_identity: i
  smtp_require_tls: false
  slack_api_url: https://hooks.slack.com/services/x
  pagerduty_url: https://events.pagerduty.com/v2/enqueue
  opsgenie_api_url: https://api.opsgenie.com/
  opsgenie_api_key: k
  wechat_api_url: https://qyapi.weixin.qq.com/cgi-bin/
  wechat_api_secret: s
  wechat_api_corp_id: c
  victorops_api_url: https://alert.victorops.com/integrations/generic/20131114/alert/
  victorops_api_key: k
  telegram_api_url: https://api.telegram.org
  webex_api_url: https://webexapis.com/v1/messages
  http_config:
    bearer_token: global-token
    follow_redirects: false
    enable_http2: true
templates: ['/etc/am/*.tmpl', 'extra.tmpl']
route:
  receiver: team
  group_by: [alertname]
  routes:
  - receiver: ops
    matchers: ['severity="page"']
inhibit_rules:
- source_matchers: [severity="critical"]
  target_matchers: ['severity=~"warning|info"']
  equal: [alertname, cluster]
receivers:
- name: team
  webhook_configs:
  - url: http://hooks.internal:8080/alert
  - url: http://hooks.internal:8080/other
    send_resolved: false
    max_alerts: 10
    http_config:
      basic_auth: {username: bob, password: secret}
- name: ops
  email_configs: []
  slack_configs:
- name: unused
)");
  EXPECT_EQ(c.resolve_timeout_ms, 90 * 60'000);
  EXPECT_EQ(c.templates, (std::vector<std::string>{"/etc/am/*.tmpl", "extra.tmpl"}));
  EXPECT_EQ(c.global_http_config.bearer_token, "global-token");
  EXPECT_FALSE(c.global_http_config.follow_redirects);
  ASSERT_EQ(c.receivers.size(), 3u);
  const Receiver* team = c.FindReceiver("team");
  ASSERT_NE(team, nullptr);
  ASSERT_EQ(team->webhook_configs.size(), 2u);
  const WebhookConfig& w0 = team->webhook_configs[0];
  EXPECT_EQ(w0.url, "http://hooks.internal:8080/alert");
  EXPECT_TRUE(w0.send_resolved);
  EXPECT_EQ(w0.max_alerts, 0u);
  EXPECT_EQ(w0.timeout_ms, 10'000);
  // Without its own http_config a webhook takes the global one, whole.
  EXPECT_EQ(w0.http_config.bearer_token, "global-token");
  EXPECT_FALSE(w0.http_config.follow_redirects);
  const WebhookConfig& w1 = team->webhook_configs[1];
  EXPECT_FALSE(w1.send_resolved);
  EXPECT_EQ(w1.max_alerts, 10u);
  // Its own http_config replaces the global one (no merge): defaults apply.
  EXPECT_TRUE(w1.http_config.has_basic_auth);
  EXPECT_EQ(w1.http_config.basic_auth_username, "bob");
  EXPECT_EQ(w1.http_config.basic_auth_password, "secret");
  EXPECT_EQ(w1.http_config.bearer_token, "");
  EXPECT_TRUE(w1.http_config.follow_redirects);
  EXPECT_TRUE(c.FindReceiver("ops")->webhook_configs.empty());
  ASSERT_EQ(c.route.routes.size(), 1u);
  EXPECT_EQ(c.route.routes[0].receiver, "ops");
  EXPECT_EQ(c.route.routes[0].group_by, std::vector<std::string>{"alertname"});
  ASSERT_EQ(c.inhibit_rules.size(), 1u);
  const InhibitRule& ir = c.inhibit_rules[0];
  EXPECT_EQ(MatchersToString(ir.source_matchers), R"({severity="critical"})");
  EXPECT_EQ(MatchersToString(ir.target_matchers), R"({severity=~"warning|info"})");
  EXPECT_EQ(ir.equal, (std::vector<std::string>{"alertname", "cluster"}));
}

TEST(AmConfig, EmptyGlobalKeepsDefaults) {
  AlertmanagerConfig c = MustParse(std::string("global:\n") + std::string(kMinimal));
  EXPECT_EQ(c.resolve_timeout_ms, 300'000);
  c = MustParse(std::string("global: {resolve_timeout: 0}\n") + std::string(kMinimal));
  EXPECT_EQ(c.resolve_timeout_ms, 0);
}

TEST(AmConfig, Durations) {
  const auto wait = [](std::string_view d) -> int64_t {
    auto c = ParseAlertmanagerYaml("route: {receiver: r, group_wait: " + std::string(d) +
                                   "}\nreceivers: [{name: r}]\n");
    return c.ok() ? c->route.group_wait_ms : -1;
  };
  EXPECT_EQ(wait("30s"), 30'000);
  EXPECT_EQ(wait("5m"), 300'000);
  EXPECT_EQ(wait("4h"), 4 * 3600'000);
  EXPECT_EQ(wait("1d"), 24 * 3600'000);
  EXPECT_EQ(wait("1w"), 7LL * 24 * 3600'000);
  EXPECT_EQ(wait("1y"), 365LL * 24 * 3600'000);
  EXPECT_EQ(wait("1h30m"), 90 * 60'000);
  EXPECT_EQ(wait("1m500ms"), 60'500);
  EXPECT_EQ(wait("250ms"), 250);
  EXPECT_EQ(wait("0s"), 0);
  EXPECT_EQ(wait("0"), 0);  // the one plain number Prometheus accepts
  EXPECT_EQ(wait("'10s'"), 10'000);
  const std::string tail = "}\nreceivers: [{name: r}]\n";
  EXPECT_EQ(Err("route: {receiver: r, group_wait: 30" + tail),
            "line 1: not a valid duration string: \"30\"");
  EXPECT_EQ(Err("route: {receiver: r, group_wait: 1.5s" + tail),
            "line 1: not a valid duration string: \"1.5s\"");
  EXPECT_EQ(Err("route: {receiver: r, group_wait: 30m1h" + tail),
            "line 1: not a valid duration string: \"30m1h\"");
  EXPECT_EQ(Err("route: {receiver: r, group_wait: -1s" + tail),
            "line 1: not a valid duration string: \"-1s\"");
  EXPECT_EQ(Err("route: {receiver: r, group_wait: 1s1s" + tail),
            "line 1: not a valid duration string: \"1s1s\"");
  EXPECT_EQ(Err("route: {receiver: r, group_wait: ''" + tail), "line 1: empty duration string");
  EXPECT_EQ(Err("route: {receiver: r, group_wait: 300y" + tail), "line 1: duration out of range");
  EXPECT_EQ(Err("route: {receiver: r, group_wait: 99999999999999999999999s" + tail),
            "line 1: duration out of range");
  EXPECT_EQ(wait("292y"), 292LL * 365 * 24 * 3600'000);
  EXPECT_EQ(Err("route: {receiver: r, group_interval: 0s" + tail),
            "line 1: group_interval cannot be zero");
  EXPECT_EQ(Err("route: {receiver: r, repeat_interval: 0" + tail),
            "line 1: repeat_interval cannot be zero");
  EXPECT_EQ(Err("global: {resolve_timeout: 5}\n" + std::string(kMinimal)),
            "line 1: not a valid duration string: \"5\"");
}

TEST(AmConfig, StrictKeys) {
  EXPECT_EQ(Err("route: {receiver: r}\nreceivers: [{name: r}]\nfoo: 1\n"),
            "line 3: field foo not found in type config.plain");
  EXPECT_EQ(Err("route:\n  receiver: r\n  recever: x\nreceivers: [{name: r}]\n"),
            "line 3: field recever not found in type config.plain");
  EXPECT_EQ(Err("global:\n  smtp_form: x\n" + std::string(kMinimal)),
            "line 2: field smtp_form not found in type config.plain");
  EXPECT_EQ(Err("route: {receiver: r}\nreceivers:\n- name: r\n  webhook_configs:\n"
                "  - url: http://a/\n    urll: x\n"),
            "line 6: field urll not found in type config.plain");
  EXPECT_EQ(Err("route: {receiver: r}\nreceivers: [{name: r}]\ninhibit_rules:\n- equals: [a]\n"),
            "line 4: field equals not found in type config.plain");
  EXPECT_EQ(Err("route:\n  receiver: r\n  receiver: s\nreceivers: [{name: r}]\n"),
            "line 3: key \"receiver\" already set in map");
  EXPECT_EQ(Err("route:\n  receiver: r\n  match: {a: b, a: c}\nreceivers: [{name: r}]\n"),
            "line 3: key \"a\" already set in map");
  EXPECT_EQ(Err("global:\n  http_config:\n    basic_auth: {user: x}\n" + std::string(kMinimal)),
            "line 3: field user not found in type config.plain");
  EXPECT_EQ(Err("global:\n  http_config:\n    authorization: {kind: x}\n" + std::string(kMinimal)),
            "line 3: field kind not found in type config.Authorization");
}

TEST(AmConfig, TypeErrors) {
  EXPECT_EQ(Err("route:\n  receiver: [a]\nreceivers: [{name: r}]\n"),
            "line 2: cannot unmarshal !!seq into string");
  EXPECT_EQ(Err("route:\n  receiver: r\n  continue: maybe\nreceivers: [{name: r}]\n"),
            "line 3: cannot unmarshal !!str `maybe` into bool");
  EXPECT_EQ(Err("route:\n  receiver: r\n  group_by: a\nreceivers: [{name: r}]\n"),
            "line 3: cannot unmarshal !!str `a` into []string");
  EXPECT_EQ(Err("route: {receiver: r}\nreceivers:\n- name: r\n  webhook_configs:\n"
                "  - {url: 'http://a/', max_alerts: -1}\n"),
            "line 5: cannot unmarshal !!int `-1` into uint64");
  EXPECT_EQ(Err("route: {receiver: r}\nreceivers:\n- name: r\n  webhook_configs:\n"
                "  - {url: 'http://a/', send_resolved: 'true'}\n"),
            "line 5: cannot unmarshal !!str `true` into bool");
  EXPECT_EQ(Err("just a string"),
            "line 1: cannot unmarshal !!str `just a string` into config.plain");
  EXPECT_EQ(Err("route: {receiver: r}\nreceivers: {name: r}\n"),
            "line 2: cannot unmarshal !!map into []*config.Receiver");
  // Scalars of any type are strings where a string is expected, as in yaml.v2.
  AlertmanagerConfig c = MustParse("route: {receiver: 123}\nreceivers: [{name: 123}]\n");
  EXPECT_EQ(c.route.receiver, "123");
  // YAML 1.1 booleans.
  c = MustParse("route: {receiver: r, routes: [{continue: yes}]}\nreceivers: [{name: r}]\n");
  EXPECT_TRUE(c.route.routes[0].continue_matching);
  c = MustParse(
      "route: {receiver: r}\nreceivers:\n- name: r\n  webhook_configs:\n"
      "  - {url: 'http://a/', max_alerts: 0x10, send_resolved: off}\n");
  EXPECT_EQ(c.receivers[0].webhook_configs[0].max_alerts, 16u);
  EXPECT_FALSE(c.receivers[0].webhook_configs[0].send_resolved);
}

TEST(AmConfig, InvalidYaml) {
  std::string e = Err("route: {receiver: r\nreceivers: [\n");
  EXPECT_TRUE(e.find("invalid YAML") != std::string::npos) << e;
  EXPECT_TRUE(e.starts_with("line ")) << e;
  std::string deep(100000, '[');
  e = Err(deep);
  EXPECT_TRUE(e.find("invalid YAML") != std::string::npos) << e;
}

TEST(AmConfig, RootRouteChecks) {
  EXPECT_EQ(Err(""), "no route provided in config");
  EXPECT_EQ(Err("   \n"), "no route provided in config");
  EXPECT_EQ(Err("receivers: [{name: r}]\n"), "no routes provided");
  EXPECT_EQ(Err("route:\nreceivers: [{name: r}]\n"), "no routes provided");
  EXPECT_EQ(Err("route: {group_wait: 1s}\nreceivers: [{name: r}]\n"),
            "line 1: root route must specify a default receiver");
  EXPECT_EQ(Err("route: {receiver: r, matchers: [a=b]}\nreceivers: [{name: r}]\n"),
            "line 1: root route must not have any matchers");
  EXPECT_EQ(Err("route: {receiver: r, match: {a: b}}\nreceivers: [{name: r}]\n"),
            "line 1: root route must not have any matchers");
  EXPECT_EQ(Err("route: {receiver: r, match_re: {a: b}}\nreceivers: [{name: r}]\n"),
            "line 1: root route must not have any matchers");
  EXPECT_EQ(Err("route: {receiver: r, continue: true}\nreceivers: [{name: r}]\n"),
            "line 1: cannot have continue in root route");
  EXPECT_EQ(Err("route: {receiver: r, mute_time_intervals: [x]}\nreceivers: [{name: r}]\n"),
            "line 1: root route must not have any mute time intervals");
  EXPECT_EQ(Err("route: {receiver: r, active_time_intervals: [x]}\nreceivers: [{name: r}]\n"),
            "line 1: root route must not have any active time intervals");
  // An empty matchers list is no matcher.
  MustParse("route: {receiver: r, matchers: [], match: {}}\nreceivers: [{name: r}]\n");
}

TEST(AmConfig, ReceiverChecks) {
  EXPECT_EQ(Err("route:\n  receiver: r\n  routes:\n  - receiver: x\n"
                "receivers: [{name: r}]\n"),
            "line 4: undefined receiver \"x\" used in route");
  EXPECT_EQ(Err("route: {receiver: nope}\nreceivers: [{name: r}]\n"),
            "line 1: undefined receiver \"nope\" used in route");
  // Children are checked before their parent, as Alertmanager does.
  EXPECT_EQ(Err("route:\n  receiver: p\n  routes:\n  - receiver: c\n"
                "receivers: [{name: r}]\n"),
            "line 4: undefined receiver \"c\" used in route");
  EXPECT_EQ(Err("route: {receiver: r}\nreceivers:\n- name: r\n- name: r\n"),
            "line 4: notification config name \"r\" is not unique");
  EXPECT_EQ(Err("route: {receiver: r}\nreceivers:\n- name: r\n- webhook_configs: []\n"),
            "line 4: missing name in receiver");
  EXPECT_EQ(Err("route: {receiver: r}\n"), "line 1: undefined receiver \"r\" used in route");
}

TEST(AmConfig, GroupByChecks) {
  const std::string tail = "\nreceivers: [{name: r}]\n";
  EXPECT_EQ(
      Err("route: {receiver: r, group_by: ['...', a]}" + tail),
      "line 1: cannot have wildcard group_by (`...`) and other other labels at the same time");
  EXPECT_EQ(Err("route: {receiver: r, group_by: [a, b, a]}" + tail),
            "line 1: duplicated label \"a\" in group_by");
  EXPECT_EQ(Err("route: {receiver: r, group_by: [a-b]}" + tail),
            "line 1: invalid label name \"a-b\" in group_by list");
  EXPECT_EQ(Err("route: {receiver: r, group_by: ['a:b']}" + tail),
            "line 1: invalid label name \"a:b\" in group_by list");
  AlertmanagerConfig c = MustParse("route: {receiver: r, group_by: [...]}" + tail);
  EXPECT_TRUE(c.route.group_by_all);
  c = MustParse("route: {receiver: r, group_by: ['...', '...']}" + tail);
  EXPECT_TRUE(c.route.group_by_all);
}

TEST(AmConfig, RouteMatcherErrors) {
  const std::string head = "route:\n  receiver: r\n  routes:\n  - ";
  const std::string tail = "\nreceivers: [{name: r}]\n";
  EXPECT_EQ(Err(head + "matchers: ['a b']" + tail), "line 4: bad matcher format: a b");
  EXPECT_EQ(Err(head + "matchers: ['a=\"b']" + tail),
            "line 4: matcher value contains unescaped double quote: \"b");
  EXPECT_TRUE(
      Err(head + "matchers: ['a=~(']" + tail).starts_with("line 4: error parsing regexp: "));
  EXPECT_EQ(Err(head + "match: {a-b: c}" + tail), "line 4: invalid label name \"a-b\"");
  EXPECT_EQ(Err(head + "match: {'a:b': c}" + tail), "line 4: invalid label name \"a:b\"");
  EXPECT_EQ(Err(head + "match_re: {a-b: c}" + tail), "line 4: invalid label name \"a-b\"");
  EXPECT_EQ(Err(head + "match_re: {a: }" + tail), "line 4: invalid regexp value for \"a\"");
  EXPECT_TRUE(
      Err(head + "match_re: {a: '('}" + tail).starts_with("line 4: error parsing regexp: "));
  EXPECT_EQ(Err(head + "matchers: a=b" + tail),
            "line 4: cannot unmarshal !!str `a=b` into []string");
  // A list entry with several matchers, braces or not.
  AlertmanagerConfig c =
      MustParse(head + "matchers: ['{b=\"2\", a=~\"x|y\"}', 'c!=3,d!~4']" + tail);
  EXPECT_EQ(c.route.routes[0].key, R"({}/{a=~"x|y",b="2",c!="3",d!~"4"})");
  // Matcher names may contain colons (matcher syntax), unlike match: keys.
  c = MustParse(head + "matchers: ['a:b=c']" + tail);
  EXPECT_EQ(c.route.routes[0].matchers[0].name, "a:b");
}

TEST(AmConfig, TimeIntervalsRefused) {
  const std::string base(kMinimal);
  EXPECT_EQ(Err(base + "time_intervals:\n- name: x\n  time_intervals: []\n"),
            "line 5: time_intervals are not supported yet");
  EXPECT_EQ(Err(base + "mute_time_intervals:\n- name: x\n"),
            "line 5: mute_time_intervals are not supported yet");
  EXPECT_EQ(Err("route:\n  receiver: r\n  routes:\n  - mute_time_intervals: [x]\n"
                "receivers: [{name: r}]\n"),
            "line 4: route: mute_time_intervals are not supported yet");
  EXPECT_EQ(Err("route:\n  receiver: r\n  routes:\n  - active_time_intervals: [x]\n"
                "receivers: [{name: r}]\n"),
            "line 4: route: active_time_intervals are not supported yet");
  MustParse(base + "time_intervals: []\nmute_time_intervals:\n");
  MustParse(
      "route:\n  receiver: r\n  routes:\n  - mute_time_intervals: []\n"
      "receivers: [{name: r}]\n");
}

TEST(AmConfig, IntegrationsRefused) {
  // pagerduty_configs, slack_configs and email_configs are supported
  // (notify_integrations_test.cc, email_test.cc).
  for (std::string key : {"opsgenie_configs",
                          "pushover_configs", "victorops_configs", "wechat_configs",
                          "telegram_configs", "sns_configs", "webex_configs", "discord_configs"}) {
    EXPECT_EQ(Err("route: {receiver: x}\nreceivers:\n- name: x\n  " + key + ":\n  - {}\n"),
              "line 4: receiver \"x\": " + key + " are not supported yet");
    MustParse("route: {receiver: x}\nreceivers:\n- name: x\n  " + key + ": []\n");
  }
  EXPECT_EQ(Err("route: {receiver: x}\nreceivers:\n- name: x\n  msteams_configs: []\n"),
            "line 4: field msteams_configs not found in type config.plain");
}

TEST(AmConfig, WebhookUrls) {
  const auto hook = [](const std::string& fields) {
    return "route: {receiver: r}\nreceivers:\n- name: r\n  webhook_configs:\n  - " + fields + "\n";
  };
  EXPECT_EQ(
      MustParse(hook("url: 'http://user:pw@[::1]:9/x?y#z'")).receivers[0].webhook_configs[0].url,
      "http://user:pw@[::1]:9/x?y#z");
  EXPECT_EQ(MustParse(hook("url: 'HTTP://h/'")).receivers[0].webhook_configs[0].url, "HTTP://h/");
  EXPECT_EQ(MustParse(hook("url: 'https://h/'")).receivers[0].webhook_configs[0].url, "https://h/");
  EXPECT_EQ(Err(hook("send_resolved: true")), "line 5: missing URL in webhook config");
  EXPECT_EQ(Err(hook("{url: }")), "line 5: missing URL in webhook config");
  EXPECT_EQ(Err(hook("url: 'ftp://h/'")), "line 5: unsupported scheme \"ftp\" for URL");
  EXPECT_EQ(Err(hook("url: 'localhost:9093/'")),
            "line 5: unsupported scheme \"localhost\" for URL");
  EXPECT_EQ(Err(hook("url: '/path'")), "line 5: unsupported scheme \"\" for URL");
  EXPECT_EQ(Err(hook("url: 'http:///path'")), "line 5: missing host for URL");
  EXPECT_EQ(Err(hook("url: 'http:h'")), "line 5: missing host for URL");
  EXPECT_EQ(Err(hook("url: 'http://h:8x/'")), "line 5: invalid port after host");
  EXPECT_EQ(Err(hook("url: \"http://h/\\x01\"")),
            "line 5: net/url: invalid control character in URL");
}

TEST(AmConfig, WebhookUrlFile) {
  TempDir dir;
  std::string file = dir.Write("url", "  http://hooks.internal:9/secret-path\n");
  const auto hook = [](const std::string& fields) {
    return "route: {receiver: r}\nreceivers:\n- name: r\n  webhook_configs:\n  - " + fields + "\n";
  };
  EXPECT_EQ(MustParse(hook("url_file: " + file)).receivers[0].webhook_configs[0].url,
            "http://hooks.internal:9/secret-path");
  // Relative to the configuration's directory.
  EXPECT_EQ(
      MustParse(hook("url_file: url"), dir.path().string()).receivers[0].webhook_configs[0].url,
      "http://hooks.internal:9/secret-path");
  EXPECT_EQ(Err(hook("{url: 'http://a/', url_file: " + file + "}")),
            "line 5: at most one of url & url_file must be configured");
  EXPECT_EQ(Err(hook("url_file: " + dir.path().string() + "/missing")),
            "line 5: receiver \"r\": webhook_configs: unable to read webhook url_file " +
                dir.path().string() + "/missing: No such file or directory");
  EXPECT_EQ(Err(hook("url_file: " + dir.path().string())),
            "line 5: receiver \"r\": webhook_configs: unable to read webhook url_file " +
                dir.path().string() + ": not a regular file");
  std::string https = dir.Write("https", "https://h/");
  EXPECT_EQ(MustParse(hook("url_file: " + https)).receivers[0].webhook_configs[0].url, "https://h/");
  std::string bad = dir.Write("bad", "nope");
  EXPECT_EQ(Err(hook("url_file: " + bad)), "line 5: receiver \"r\": webhook_configs: url_file " +
                                               bad + ": unsupported scheme \"\" for URL");
}

TEST(AmConfig, HttpConfig) {
  TempDir dir;
  std::string token = dir.Write("token", "file-token\n");
  std::string pw = dir.Write("pw", "file-pw\n");
  const auto http = [](const std::string& body) {
    return "global:\n  http_config:\n" + body + "route: {receiver: r}\nreceivers: [{name: r}]\n";
  };
  auto c = MustParse(http("    bearer_token_file: " + token + "\n"));
  EXPECT_EQ(c.global_http_config.bearer_token, "file-token");
  EXPECT_EQ(c.global_http_config.authorization_type, "Bearer");
  c = MustParse(http("    authorization: {type: Token, credentials: abc}\n"));
  EXPECT_EQ(c.global_http_config.authorization_type, "Token");
  EXPECT_EQ(c.global_http_config.bearer_token, "abc");
  c = MustParse(http("    authorization: {credentials_file: token}\n"), dir.path().string());
  EXPECT_EQ(c.global_http_config.authorization_type, "Bearer");
  EXPECT_EQ(c.global_http_config.bearer_token, "file-token");
  c = MustParse(http("    basic_auth: {username: u, password_file: " + pw + "}\n"));
  EXPECT_TRUE(c.global_http_config.has_basic_auth);
  EXPECT_EQ(c.global_http_config.basic_auth_username, "u");
  EXPECT_EQ(c.global_http_config.basic_auth_password, "file-pw");
  c = MustParse(http("    tls_config: {}\n"));
  c = MustParse(
      http("    tls_config: {insecure_skip_verify: true, server_name: x, min_version: TLS12}\n"));
  c = MustParse(http("    proxy_url: ''\n    oauth2:\n"));

  EXPECT_EQ(Err(http("    bearer_token: a\n    bearer_token_file: b\n")),
            "line 3: at most one of bearer_token & bearer_token_file must be configured");
  EXPECT_EQ(Err(http("    bearer_token: a\n    basic_auth: {username: u}\n")),
            "line 3: at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be "
            "configured");
  EXPECT_EQ(Err(http("    basic_auth: {username: u, password: p, password_file: f}\n")),
            "line 3: at most one of basic_auth password & password_file must be configured");
  EXPECT_EQ(Err(http("    bearer_token: a\n    authorization: {credentials: b}\n")),
            "line 3: authorization is not compatible with bearer_token & bearer_token_file");
  EXPECT_EQ(Err(http("    authorization: {credentials: b, credentials_file: f}\n")),
            "line 3: at most one of authorization credentials & credentials_file must be "
            "configured");
  EXPECT_EQ(Err(http("    authorization: {type: ' Basic '}\n")),
            "line 3: authorization type cannot be set to \"basic\", use \"basic_auth\" instead");
  EXPECT_EQ(Err(http("    authorization: {credentials: b}\n    basic_auth: {username: u}\n")),
            "line 3: at most one of basic_auth, oauth2 & authorization must be configured");
  EXPECT_EQ(Err(http("    proxy_url: http://proxy:3128\n")),
            "line 3: http_config: proxy_url is not supported yet");
  EXPECT_EQ(Err(http("    oauth2: {client_id: x}\n")),
            "line 3: http_config: oauth2 is not supported yet");
  // tls_config's files are loaded with the configuration, so a wrong one fails it.
  const std::string missing_ca = Err(http("    tls_config: {ca_file: /no/such/ca.pem}\n"));
  EXPECT_EQ(missing_ca.rfind("line 3: http_config: tls_config", 0), 0u) << missing_ca;
  EXPECT_NE(missing_ca.find("/no/such/ca.pem"), std::string::npos) << missing_ca;
  EXPECT_EQ(Err(http("    tls_config: {cert_file: /c.pem}\n")),
            "line 3: client cert file \"/c.pem\" specified without client key file");
  EXPECT_EQ(Err(http("    tls_config: {key_file: /k.pem}\n")),
            "line 3: client key file \"/k.pem\" specified without client cert file");
  {
    HttpClientConfig c =
        MustParse(http("    tls_config: {server_name: hooks.internal, insecure_skip_verify: true}\n"))
            .global_http_config;
    EXPECT_TRUE(c.has_tls_config);
    EXPECT_TRUE(c.tls_insecure_skip_verify);
    EXPECT_EQ(c.tls_server_name, "hooks.internal");
  }
  EXPECT_EQ(Err(http("    tls_config: {min_version: TLS9}\n")),
            "line 3: unknown TLS version: TLS9");
  EXPECT_EQ(Err(http("    bearer_token_file: " + dir.path().string() + "/none\n")),
            "line 3: unable to read authorization credentials file " + dir.path().string() +
                "/none: No such file or directory");
  EXPECT_EQ(Err(http("    follow_redirects: sometimes\n")),
            "line 3: cannot unmarshal !!str `sometimes` into bool");
}

TEST(AmConfig, GlobalChecks) {
  const std::string base(kMinimal);
  EXPECT_EQ(Err("global:\n  slack_api_url: http://a/\n  slack_api_url_file: /f\n" + base),
            "line 2: at most one of slack_api_url & slack_api_url_file must be configured");
  EXPECT_EQ(Err("global:\n  opsgenie_api_key: a\n  opsgenie_api_key_file: /f\n" + base),
            "line 2: at most one of opsgenie_api_key & opsgenie_api_key_file must be configured");
  EXPECT_EQ(Err("global:\n  victorops_api_key: a\n  victorops_api_key_file: /f\n" + base),
            "line 2: at most one of victorops_api_key & victorops_api_key_file must be configured");
  EXPECT_EQ(Err("global:\n  smtp_auth_password: a\n  smtp_auth_password_file: /f\n" + base),
            "line 2: at most one of smtp_auth_password & smtp_auth_password_file must be "
            "configured");
  EXPECT_EQ(Err("global:\n  pagerduty_url: ftp://x/\n" + base),
            "line 2: unsupported scheme \"ftp\" for URL");
  EXPECT_EQ(Err("global:\n  smtp_smarthost: localhost\n" + base),
            "line 2: address localhost: missing port in address");
  EXPECT_EQ(Err("global:\n  smtp_smarthost: 'localhost:'\n" + base),
            "line 2: address \"localhost:\": port cannot be empty");
  MustParse("global:\n  slack_api_url: <secret>\n  smtp_smarthost: '[::1]:25'\n" + base);
}

TEST(AmConfig, InhibitRules) {
  AlertmanagerConfig c = MustParse(std::string(kMinimal) + R"(
inhibit_rules:
- source_match: {severity: critical, a: b}
  source_match_re: {team: 'x|y'}
  source_matchers: ['{z="1"}']
  target_match: {severity: warning}
  target_match_re: {job: '.+'}
  target_matchers: [job!=db]
  equal: [cluster]
- {}
)");
  ASSERT_EQ(c.inhibit_rules.size(), 2u);
  const InhibitRule& r = c.inhibit_rules[0];
  EXPECT_EQ(MatchersToString(r.source_matchers),
            R"({a="b",severity="critical",team=~"^(?:x|y)$",z="1"})");
  EXPECT_EQ(MatchersToString(r.target_matchers),
            R"({severity="warning",job=~"^(?:.+)$",job!="db"})");
  EXPECT_EQ(r.equal, std::vector<std::string>{"cluster"});
  EXPECT_TRUE(MatchesAll(r.source_matchers,
                         {{"a", "b"}, {"severity", "critical"}, {"team", "y"}, {"z", "1"}}));
  EXPECT_TRUE(c.inhibit_rules[1].source_matchers.empty());

  const std::string base(kMinimal);
  EXPECT_EQ(Err(base + "inhibit_rules:\n- equal: ['a-b']\n"),
            "line 6: \"a-b\" is not a valid label name");
  EXPECT_EQ(Err(base + "inhibit_rules:\n- source_match: {'a b': c}\n"),
            "line 6: invalid label name \"a b\"");
  EXPECT_EQ(Err(base + "inhibit_rules:\n- target_match: {'1a': c}\n"),
            "line 6: invalid label name \"1a\"");
  EXPECT_EQ(Err(base + "inhibit_rules:\n- target_matchers: ['x']\n"),
            "line 6: bad matcher format: x");
  EXPECT_EQ(Err(base + "inhibit_rules:\n- source_match_re: {a: }\n"),
            "line 6: invalid regexp value for \"a\"");
}

TEST(AmConfig, LimitsAgainstHostileInput) {
  // Nesting beyond 100 routes deep is refused.
  std::string yaml = "route:\n  receiver: r\n";
  std::string indent = "  ";
  for (int i = 0; i < 101; ++i) {
    yaml += indent + "routes:\n" + indent + "- receiver: r\n";
    indent += "  ";
  }
  yaml += "receivers: [{name: r}]\n";
  // Level 101's entry is on line 2 * 101 + 2.
  EXPECT_EQ(Err(yaml), "line 204: routes are nested more than 100 deep");
  // An alias bomb: each level repeats the previous one twice (2^30 routes if expanded).
  std::string nested = "route:\n  receiver: r\n  routes:\n";
  nested += "  - &a0 {receiver: r}\n";
  for (int i = 1; i < 30; ++i) {
    nested += "  - &a" + std::to_string(i) + " {receiver: r, routes: [*a" + std::to_string(i - 1) +
              ", *a" + std::to_string(i - 1) + "]}\n";
  }
  nested += "receivers: [{name: r}]\n";
  EXPECT_TRUE(Err(nested).ends_with("more than 10000 routes")) << Err(nested);
}

TEST(AmConfig, ParseFromNode) {
  YAML::Node node = YAML::Load(std::string(kMinimal));
  auto c = ParseAlertmanagerConfig(node);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->route.receiver, "r");
  // An undefined node (a missing key) means no configuration.
  YAML::Node missing = node["alerting"];
  EXPECT_EQ(ParseAlertmanagerConfig(missing).status().message(), "no route provided in config");
}

}  // namespace
}  // namespace perfwatch::alert
