// The webhook payload (version 4) against a golden JSON, the Go-compatible text helpers,
// and the HTTP POST client against a local receiver.
#include "alert/webhook.h"

#include <gtest/gtest.h>

#include "alert/am_format.h"
#include "alert/http_post.h"
#include "common/metrics.h"
#include "http/server.h"
#include "support/temp_dir.h"
#include "support/tls_certs.h"
#include "support/webhook_receiver.h"

namespace perfwatch::alert {
namespace {

constexpr int64_t kNow = 1'700'000'100'000;

std::vector<Alert> GoldenAlerts() {
  Alert a;
  a.labels = {{"alertname", "HighLatency"}, {"instance", "a:9100"}, {"job", "api"}};
  a.annotations = {{"summary", "p99 > 1s <x>"}};
  a.starts_at_ms = 1'700'000'000'123;
  a.ends_at_ms = 0;
  a.generator_url = "http://pw/graph?g0.expr=x&y";
  Alert b;
  b.labels = {{"alertname", "HighLatency"}, {"instance", "b:9100"}, {"job", "api"}};
  b.annotations = {{"summary", "p99 > 1s <x>"}};
  b.starts_at_ms = 1'700'000'000'000;
  b.ends_at_ms = 1'700'000'060'000;
  return {a, b};
}

NotificationContext GoldenContext() {
  return {"team.ops",
          "{}:{alertname=\"HighLatency\"}",
          {{"alertname", "HighLatency"}},
          "http://pw:9797",
          kNow};
}

TEST(WebhookPayload, GoldenVersion4) {
  const std::string expected =
      R"({"receiver":"team\\.ops","status":"firing","alerts":[)"
      R"({"status":"firing","labels":{"alertname":"HighLatency","instance":"a:9100","job":"api"},)"
      R"("annotations":{"summary":"p99 \u003e 1s \u003cx\u003e"},"startsAt":"2023-11-14T22:13:20.123Z",)"
      R"("endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://pw/graph?g0.expr=x\u0026y","fingerprint":"61fc451c25fc7aeb"},)"
      R"({"status":"resolved","labels":{"alertname":"HighLatency","instance":"b:9100","job":"api"},)"
      R"("annotations":{"summary":"p99 \u003e 1s \u003cx\u003e"},"startsAt":"2023-11-14T22:13:20Z",)"
      R"("endsAt":"2023-11-14T22:14:20Z","generatorURL":"","fingerprint":"d4df3e66cc046dba"}],)"
      R"("groupLabels":{"alertname":"HighLatency"},"commonLabels":{"alertname":"HighLatency","job":"api"},)"
      R"("commonAnnotations":{"summary":"p99 \u003e 1s \u003cx\u003e"},"externalURL":"http://pw:9797",)"
      R"("version":"4","groupKey":"{}:{alertname=\"HighLatency\"}","truncatedAlerts":0})"
      "\n";
  EXPECT_EQ(BuildWebhookPayload(GoldenContext(), GoldenAlerts(), 0), expected);
}

TEST(WebhookPayload, MaxAlertsTruncatesAndCommonLabelsFollow) {
  std::string body = BuildWebhookPayload(GoldenContext(), GoldenAlerts(), 1);
  EXPECT_NE(body.find(R"("truncatedAlerts":1})"), std::string::npos);
  EXPECT_EQ(body.find("b:9100"), std::string::npos);
  // Computed over the alerts sent: the instance of the only alert is common.
  EXPECT_NE(
      body.find(R"("commonLabels":{"alertname":"HighLatency","instance":"a:9100","job":"api"})"),
      std::string::npos);
}

TEST(WebhookPayload, AllResolvedIsResolved) {
  auto alerts = GoldenAlerts();
  alerts.erase(alerts.begin());
  std::string body = BuildWebhookPayload(GoldenContext(), alerts, 0);
  EXPECT_EQ(body.rfind(R"({"receiver":"team\\.ops","status":"resolved",)", 0), 0u);
}

TEST(WebhookFormat, GoQuoteAndLabelSetString) {
  EXPECT_EQ(GoQuote("a\"b\\c\n\x01\x7f"), R"("a\"b\\c\n\x01\x7f")");
  EXPECT_EQ(GoQuote("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
  EXPECT_EQ(GoQuote("\xff"), R"("\xff")");
  EXPECT_EQ(GoQuote("\xc2\xa0"), R"("\u00a0")");
  // Sorted as "name=value" strings: "a0=" sorts before "a=".
  EXPECT_EQ(GoLabelSetString({{"a", "1"}, {"a0", "2"}}), R"({a0="2", a="1"})");
  EXPECT_EQ(GoLabelSetString({}), "{}");
  EXPECT_EQ(GoQuoteMeta("a.b*c"), R"(a\.b\*c)");
}

TEST(WebhookFormat, GoJsonStringEscapesHtmlAndInvalidUtf8) {
  std::string out;
  AppendGoJsonString(out, "<a href=\"x\">&\t\x02\xe2\x80\xa8\xff");
  EXPECT_EQ(out, R"("\u003ca href=\"x\"\u003e\u0026\t\u0002\u2028\ufffd")");
}

TEST(WebhookFormat, ApiTimeAndSortOrders) {
  EXPECT_EQ(FormatApiTime(1'700'000'000'000), "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(FormatApiTime(0), "0001-01-01T00:00:00.000Z");
  // job first, then instance, then LabelSet.Before (fewer labels first).
  EXPECT_TRUE(AlertLabelsLess({{"job", "a"}}, {{"job", "b"}}));
  EXPECT_TRUE(AlertLabelsLess({{"job", "a"}, {"x", "1"}}, {{"a", "1"}}));
  EXPECT_TRUE(AlertLabelsLess({{"a", "1"}}, {{"a", "1"}, {"b", "1"}}));
  EXPECT_TRUE(LabelSetBefore({{"a", "1"}, {"c", "1"}}, {{"a", "1"}, {"b", "1"}}));
}

TEST(WebhookHttp, ParseUrl) {
  auto u = ParseHttpUrl("http://example.com:8080/a/b?c=d#frag");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "example.com");
  EXPECT_EQ(u->port, "8080");
  EXPECT_EQ(u->target, "/a/b?c=d");
  EXPECT_EQ(u->host_header, "example.com:8080");
  u = ParseHttpUrl("HTTP://[::1]");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, "80");
  EXPECT_EQ(u->target, "/");
  u = ParseHttpUrl("HTTPS://events.example/v2/enqueue");
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->https);
  EXPECT_EQ(u->port, "443");
  EXPECT_EQ(u->target, "/v2/enqueue");
  EXPECT_FALSE(ParseHttpUrl("ftp://x/").ok());
  EXPECT_FALSE(ParseHttpUrl("http://u:p@x/").ok());
  EXPECT_FALSE(ParseHttpUrl("http://x:99999/").ok());
  EXPECT_FALSE(ParseHttpUrl("http:///path").ok());
}

TEST(WebhookHttp, PostsWithAlertmanagerHeadersAndAuth) {
  perfwatch::testing::WebhookReceiver rx;
  ASSERT_TRUE(rx.Start());
  WebhookConfig wh;
  wh.url = "http://localhost:" + std::to_string(rx.port()) + "/hook?x=1";
  HttpClientConfig http;
  http.has_basic_auth = true;
  http.basic_auth_username = "user";
  http.basic_auth_password = "pass";
  WebhookAttempt a = SendWebhook(wh, http, "{}\n", nullptr);
  EXPECT_EQ(a.outcome, DeliveryOutcome::kDelivered) << a.error;
  ASSERT_EQ(rx.count(), 1u);
  auto r = rx.requests()[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/hook?x=1");
  EXPECT_EQ(r.headers["user-agent"], "Alertmanager/0.25.0");
  EXPECT_EQ(r.headers["content-type"], "application/json");
  EXPECT_EQ(r.headers["authorization"], "Basic dXNlcjpwYXNz");
  EXPECT_EQ(r.body, "{}\n");

  HttpClientConfig bearer;
  bearer.bearer_token = "tok";
  a = SendWebhook(wh, EffectiveHttpConfig(wh, bearer), "{}", nullptr);
  EXPECT_EQ(rx.requests()[1].headers["authorization"], "Bearer tok");
}

TEST(WebhookHttp, ClassifiesAnswers) {
  perfwatch::testing::WebhookReceiver rx;
  ASSERT_TRUE(rx.Start());
  WebhookConfig wh;
  wh.url = rx.url();
  rx.FailNext(1, 500);
  rx.FailNext(1, 429);
  rx.FailNext(1, 400);
  EXPECT_EQ(SendWebhook(wh, {}, "{}", nullptr).outcome, DeliveryOutcome::kRetry);
  EXPECT_EQ(SendWebhook(wh, {}, "{}", nullptr).outcome, DeliveryOutcome::kRetry);
  WebhookAttempt bad = SendWebhook(wh, {}, "{}", nullptr);
  EXPECT_EQ(bad.outcome, DeliveryOutcome::kDrop);
  EXPECT_EQ(bad.reason, "clientError");
  EXPECT_NE(bad.error.find("unexpected status code 400"), std::string::npos);
  rx.Stop();
  WebhookAttempt down = SendWebhook(wh, {}, "{}", nullptr);
  EXPECT_EQ(down.outcome, DeliveryOutcome::kRetry);
  EXPECT_EQ(down.status, 0);
}

TEST(WebhookHttp, TimeoutIsPerAttempt) {
  perfwatch::testing::WebhookReceiver rx;
  ASSERT_TRUE(rx.Start());
  rx.set_delay_ms(1500);
  WebhookConfig wh;
  wh.url = rx.url();
  wh.timeout_ms = 200;
  auto start = std::chrono::steady_clock::now();
  WebhookAttempt a = SendWebhook(wh, {}, "{}", nullptr);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(a.outcome, DeliveryOutcome::kRetry);
  EXPECT_LT(took, std::chrono::milliseconds(1000));
}

}  // namespace
}  // namespace perfwatch::alert

namespace perfwatch::alert {
namespace {

// An HTTPS receiver: perfwatch's own server with a test certificate (CN server-one, SAN
// localhost and 127.0.0.1, signed by the test CA), recording the bodies posted to /hook.
class HttpsReceiver {
 public:
  explicit HttpsReceiver(const perfwatch::testing::TestCerts& certs) {
    http::Router r;
    r.Handle("POST", "/hook", [this](const http::Request& req, http::Response& res) {
      std::lock_guard lock(mu_);
      bodies_.emplace_back(req.body);
      res.body = "ok";
    }, {.scope = http::Scope::kPublic});
    HttpConfig c;
    c.listen = "127.0.0.1:0";
    c.threads = 1;
    c.tls.cert_file = certs.server_cert;
    c.tls.key_file = certs.server_key;
    auto s = http::Server::Create(c, std::move(r), &metrics_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
    EXPECT_TRUE(server_->Start().ok());
  }
  ~HttpsReceiver() { server_->Stop(); }
  uint16_t port() const { return server_->port(); }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mu_);
    return bodies_;
  }

 private:
  MetricsRegistry metrics_;
  std::unique_ptr<http::Server> server_;
  std::mutex mu_;
  std::vector<std::string> bodies_;
};

TEST(WebhookHttps, VerifiesTheServerAndDelivers) {
  perfwatch::testing::TempDir dir;
  perfwatch::testing::TestCerts certs = perfwatch::testing::GenerateTestCerts(dir.path());
  if (!certs.error.empty()) GTEST_SKIP() << "openssl: " << certs.error;
  HttpsReceiver rx(certs);
  WebhookConfig wh;
  wh.url = "https://localhost:" + std::to_string(rx.port()) + "/hook";

  // The test CA is not in the system's store: refused, retried later, and the reason says why.
  WebhookAttempt untrusted = SendWebhook(wh, {}, "{\"n\":0}", nullptr);
  EXPECT_EQ(untrusted.outcome, DeliveryOutcome::kRetry);
  EXPECT_NE(untrusted.error.find("certificate verify failed"), std::string::npos) << untrusted.error;

  HttpClientConfig trusted;
  trusted.has_tls_config = true;
  trusted.tls_ca_file = certs.ca_cert;
  WebhookAttempt ok = SendWebhook(wh, trusted, "{\"n\":1}", nullptr);
  EXPECT_EQ(ok.outcome, DeliveryOutcome::kDelivered) << ok.error;

  // The certificate names localhost and 127.0.0.1, not this server_name.
  HttpClientConfig wrong_name = trusted;
  wrong_name.tls_server_name = "hooks.example";
  WebhookAttempt mismatch = SendWebhook(wh, wrong_name, "{\"n\":2}", nullptr);
  EXPECT_EQ(mismatch.outcome, DeliveryOutcome::kRetry);
  EXPECT_NE(mismatch.error.find("certificate verify failed"), std::string::npos) << mismatch.error;

  HttpClientConfig skip;
  skip.has_tls_config = true;
  skip.tls_insecure_skip_verify = true;
  WebhookConfig by_ip = wh;
  by_ip.url = "https://127.0.0.1:" + std::to_string(rx.port()) + "/hook";
  WebhookAttempt skipped = SendWebhook(by_ip, skip, "{\"n\":3}", nullptr);
  EXPECT_EQ(skipped.outcome, DeliveryOutcome::kDelivered) << skipped.error;

  EXPECT_EQ(rx.bodies(), (std::vector<std::string>{"{\"n\":1}", "{\"n\":3}"}));
}

TEST(WebhookHttps, PlainHttpServerIsAnErrorNotAHang) {
  perfwatch::testing::WebhookReceiver rx;  // speaks plain HTTP
  ASSERT_TRUE(rx.Start());
  WebhookConfig wh;
  wh.url = "https://127.0.0.1:" + std::to_string(rx.port()) + "/hook";
  wh.timeout_ms = 3000;
  HttpClientConfig skip;
  skip.has_tls_config = true;
  skip.tls_insecure_skip_verify = true;
  WebhookAttempt a = SendWebhook(wh, skip, "{}", nullptr);
  EXPECT_EQ(a.outcome, DeliveryOutcome::kRetry);
  EXPECT_EQ(a.status, 0);
  EXPECT_FALSE(a.error.empty());
}

}  // namespace
}  // namespace perfwatch::alert
