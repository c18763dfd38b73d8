// The `synthetic:` section and the POST /api/v1/checks body: every key, the errors users
// see (with the line), and the JSON written back parsing to the same check.
#include "synthetic/check_config.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include "synthetic/result_json.h"

namespace perfwatch::synthetic {
namespace {

constexpr const char* kConfig = R"(
listen: 127.0.0.1:0
synthetic:
  max_browsers: 2
  max_concurrent_http: 8
  history: 50
  chromium: /usr/bin/chromium
  status_pages:
    - name: public
      title: Shop status
      checks: [home, api]
  checks:
    - name: home
      interval: 30s
      http:
        url: https://shop.example/
        method: POST
        headers: {X-Probe: "1"}
        body: '{"q":1}'
        timeout: 5s
        follow_redirects: false
        tls_verify: false
      assert:
        - status: 200
        - max_duration: 2s
        - body_contains: Welcome
        - body_regex: "v[0-9]+"
        - json_path: $.status
          equals: ok
        - json_path: $.items[0]
        - header: Content-Type
          matches: "text/html.*"
        - cert_days_left: 14
      labels: {team: web}
    - name: checkout
      interval: 5m
      browser:
        url: http://127.0.0.1:8080/cart
        device: mobile
        throttling: 4g
        timeout: 90s
        app: shop-lab
        steps:
          - goto: http://127.0.0.1:8080/cart
            name: cart
          - click: "#buy"
            name: buy
          - fill: "#email"
            value: a@b.c
          - wait_for: "#done"
            timeout: 3s
          - wait_for_text: Thanks
          - assert_text: Order confirmed
            name: confirm
          - measure: checkout
            from: buy
            to: confirm
      assert:
        - max_duration: 20s
)";

TEST(CheckConfig, ReadsEveryKey) {
  auto c = ParseSyntheticConfig(kConfig);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->max_browsers, 2);
  EXPECT_EQ(c->max_concurrent_http, 8);
  EXPECT_EQ(c->history, 50u);
  EXPECT_EQ(c->chromium, "/usr/bin/chromium");
  ASSERT_EQ(c->status_pages.size(), 1u);
  EXPECT_EQ(c->status_pages[0].title, "Shop status");
  EXPECT_EQ(c->status_pages[0].checks, (std::vector<std::string>{"home", "api"}));
  ASSERT_EQ(c->checks.size(), 2u);
  const CheckSpec& h = c->checks[0];
  EXPECT_EQ(h.interval_ms, 30'000);
  EXPECT_EQ(h.kind, CheckSpec::Kind::kHttp);
  EXPECT_EQ(h.http.method, "POST");
  EXPECT_EQ(h.http.headers, (std::vector<std::pair<std::string, std::string>>{{"X-Probe", "1"}}));
  EXPECT_EQ(h.http.body, "{\"q\":1}");
  EXPECT_EQ(h.http.timeout_ms, 5000);
  EXPECT_FALSE(h.http.follow_redirects);
  EXPECT_FALSE(h.http.tls_verify);
  ASSERT_EQ(h.asserts.size(), 8u);
  EXPECT_EQ(h.asserts[0].status, 200);
  EXPECT_EQ(h.asserts[1].max_duration_ms, 2000);
  EXPECT_EQ(h.asserts[4].equals, std::optional<std::string>("ok"));
  EXPECT_FALSE(h.asserts[5].equals.has_value());
  EXPECT_EQ(h.asserts[6].matches, "text/html.*");
  EXPECT_EQ(h.asserts[7].cert_days_left, 14);
  EXPECT_EQ(h.labels.at("team"), "web");
  const CheckSpec& b = c->checks[1];
  EXPECT_EQ(b.kind, CheckSpec::Kind::kBrowser);
  EXPECT_EQ(b.browser.device, "mobile");
  EXPECT_EQ(b.browser.throttling, "4g");
  EXPECT_EQ(b.browser.timeout_ms, 90'000);
  EXPECT_EQ(b.browser.app, "shop-lab");
  ASSERT_EQ(b.browser.steps.size(), 7u);
  EXPECT_EQ(b.browser.steps[2].name, "fill #email");  // the default name
  EXPECT_EQ(b.browser.steps[2].value, "a@b.c");
  EXPECT_EQ(b.browser.steps[3].timeout_ms, 3000);
  EXPECT_TRUE(b.browser.steps[4].by_text);
  EXPECT_EQ(b.browser.steps[6].kind, BrowserStep::Kind::kMeasure);
  EXPECT_EQ(b.browser.steps[6].from, "buy");
  EXPECT_EQ(b.browser.steps[6].to, "confirm");
}

TEST(CheckConfig, NoSectionIsTheDefaults) {
  auto c = ParseSyntheticConfig("listen: 127.0.0.1:0\n");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->checks.empty());
  EXPECT_EQ(c->max_browsers, 1);
  auto empty = ParseSyntheticConfig("");
  ASSERT_TRUE(empty.ok());
}

// The error of a config with one broken check, and that it names the key and line.
std::string ErrorOf(const std::string& check_yaml) {
  auto c = ParseSyntheticConfig("synthetic:\n  checks:\n" + check_yaml);
  return c.ok() ? "" : c.status().message();
}

TEST(CheckConfig, ErrorsNameTheKeyAndLine) {
  EXPECT_EQ(ErrorOf("    - name: a\n      interval: 5s\n      http: {url: http://x/}\n"),
            "synthetic.checks[0].interval (line 4): must be at least 10s");
  EXPECT_EQ(ErrorOf("    - name: a\n      http: {url: ftp://x/}\n"),
            "synthetic.checks[0].http.url (line 4): \"ftp://x/\" is not an http:// or https:// URL");
  EXPECT_EQ(ErrorOf("    - name: a b\n      http: {url: http://x/}\n"),
            "synthetic.checks[0].name (line 3): \"a b\" is not a valid name (letters, digits, _ . -; at most 128)");
  EXPECT_EQ(ErrorOf("    - name: a\n      http: {url: http://x/, retries: 2}\n"),
            "synthetic.checks[0].http.retries (line 4): unknown key");
  EXPECT_EQ(ErrorOf("    - name: a\n"), "synthetic.checks[0] (line 3): a check has exactly one of http: or browser:");
  EXPECT_EQ(ErrorOf("    - name: a\n      http: {url: http://x/}\n      assert: [{body_regex: \"(\"}]\n"),
            "synthetic.checks[0].assert[0].body_regex (line 5): invalid regular expression: missing ): (");
  EXPECT_EQ(ErrorOf("    - name: a\n      http: {url: http://x/}\n      assert: [{stauts: 200}]\n"),
            "synthetic.checks[0].assert[0] (line 5): unknown assertion; expected one of status, max_duration, "
            "body_contains, body_regex, json_path, header, cert_days_left");
  EXPECT_EQ(ErrorOf("    - name: a\n      http: {url: http://x/}\n    - name: a\n      http: {url: http://y/}\n"),
            "synthetic.checks[1].name (line 5): two checks are named \"a\"");
  EXPECT_EQ(ErrorOf("    - name: a\n      browser:\n        url: http://x/\n        steps:\n"
                    "          - measure: m\n            from: nope\n            to: nope\n"),
            "synthetic.checks[0].browser.steps[0].from (line 7): no earlier step is named \"nope\"");
  EXPECT_EQ(ErrorOf("    - name: a\n      browser: {url: http://x/}\n      assert: [{status: 200}]\n"),
            "synthetic.checks[0].assert[0] (line 5): browser checks support max_duration here; check page text "
            "with an assert_text step");
  EXPECT_EQ(ErrorOf("    - name: a\n      http: {url: http://x/}\n      labels: {check: x}\n"),
            "synthetic.checks[0].labels.check (line 5): not a usable label name (check, instance, phase, step and "
            "vital are perfwatch's)");
  auto bad = ParseSyntheticConfig("synthetic:\n  max_browsers: 0\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "synthetic.max_browsers (line 2): must be between 1 and 16");
  auto unknown = ParseSyntheticConfig("synthetic:\n  chekcs: []\n");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(), "synthetic.chekcs (line 2): unknown key");
}

TEST(CheckConfig, JsonBodyAndRoundTrip) {
  auto c = ParseSyntheticConfig(kConfig);
  ASSERT_TRUE(c.ok());
  for (const CheckSpec& spec : c->checks) {
    const std::string json = CheckSpecToJson(spec);
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    ASSERT_EQ(parser.parse(json).get(root), simdjson::SUCCESS) << json;
    auto again = ParseCheckText(json);
    ASSERT_TRUE(again.ok()) << again.status().message() << "\n" << json;
    EXPECT_EQ(CheckSpecToJson(*again), json);
    EXPECT_EQ(again->asserts.size(), spec.asserts.size());
    EXPECT_EQ(again->browser.steps.size(), spec.browser.steps.size());
  }
  auto posted = ParseCheckText(R"({"name":"api","interval":"15s","http":{"url":"http://127.0.0.1:9/h"},
                                   "assert":[{"status":204},{"json_path":"$.ok","equals":true}]})");
  ASSERT_TRUE(posted.ok()) << posted.status().message();
  EXPECT_EQ(posted->asserts[1].equals, std::optional<std::string>("true"));
  auto broken = ParseCheckText("{\"name\":");
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("not valid JSON or YAML"), std::string::npos);
}

TEST(CheckResultJson, RoundTripsWhatItWrites) {
  CheckResult r;
  r.time_ms = 1'760'000'000'123;
  r.success = false;
  r.error = "status 500, expected 200";
  r.failed_assertion = 0;
  r.retried = true;
  r.duration_s = 0.25;
  r.phases = {0.001, 0.002, 0.003, 0.2, 0.044};
  r.status_code = 500;
  r.redirects = 1;
  r.http_version = 11;
  r.earliest_cert_expiry = 1.8e9;
  r.response = ResponseSnapshot{500, {{"Content-Type", "text/plain"}}, "boom \"quoted\""};
  r.console_errors = {"TypeError: x is undefined"};
  std::string json;
  AppendCheckResultJson(json, r, true);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(json).get(root), simdjson::SUCCESS) << json;
  auto back = ParseCheckResultJson(root);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->time_ms, r.time_ms);
  EXPECT_EQ(back->error, r.error);
  EXPECT_TRUE(back->retried);
  EXPECT_DOUBLE_EQ(back->phases.processing, 0.2);
  EXPECT_EQ(back->status_code, 500);
  ASSERT_TRUE(back->response.has_value());
  EXPECT_EQ(back->response->headers, r.response->headers);
  EXPECT_EQ(back->response->body_prefix, r.response->body_prefix);
  EXPECT_EQ(back->console_errors, r.console_errors);
  std::string again;
  AppendCheckResultJson(again, *back, true);
  EXPECT_EQ(again, json);
  // The light form leaves out what only failures keep.
  std::string light;
  AppendCheckResultJson(light, r, false);
  EXPECT_EQ(light.find("response"), std::string::npos);
  ASSERT_EQ(parser.parse(std::string_view("{\"time\":\"x\"}")).get(root), simdjson::SUCCESS);
  EXPECT_FALSE(ParseCheckResultJson(root).ok());
}

}  // namespace
}  // namespace perfwatch::synthetic
