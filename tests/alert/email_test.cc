// The email integration against a real SMTP server on loopback (tests/support/smtp_sink.py,
// run with python3): the message's headers and multipart structure, dot-stuffing,
// STARTTLS required / missing / verified, AUTH PLAIN and LOGIN, plaintext AUTH refused
// off loopback, a 4xx answer retried then delivered and a 5xx dropped by the delivery
// worker; a configuration's email receiver through the whole pipeline; plus the encoders
// and the address parser alone.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "alert/alertmanager.h"
#include "alert/am_config.h"
#include "alert/delivery.h"
#include "alert/integrations.h"
#include "alert/notify_queue.h"
#include "alert/notify_template.h"
#include "alert/smtp_client.h"
#include "common/base64.h"
#include "common/metrics.h"
#include "support/smtp_sink.h"
#include "support/temp_dir.h"
#include "support/tls_certs.h"

extern char** environ;

namespace perfwatch::alert {
namespace {

namespace fs = std::filesystem;
using perfwatch::testing::ReadFileText;

constexpr int64_t kNow = 1'700'000'100'000;

using SmtpSink = perfwatch::testing::SmtpSinkProcess;

std::vector<Alert> Alerts(const std::string& severity) {
  Alert a;
  a.labels = {{"alertname", "DiskFull"}, {"instance", "db1"}, {"severity", severity}};
  a.annotations = {{"summary", "disk 97% full"}};
  a.starts_at_ms = 1'700'000'000'000;
  Alert b = a;
  b.labels = {{"alertname", "DiskFull"}, {"instance", "db2"}, {"severity", "warning"}};
  return {a, b};
}

NotificationContext Ctx() {
  NotificationContext c;
  c.receiver = "ops";
  c.group_key = "{}:{alertname=\"DiskFull\"}";
  c.group_labels = {{"alertname", "DiskFull"}};
  c.external_url = "http://pw:9090";
  c.now_ms = kNow;
  return c;
}

EmailConfig Config(const SmtpSink& sink) {
  EmailConfig ec;
  ec.to = "oncall@example.test, \"Lead, Team\" <lead@example.test>";
  ec.from = "perfwatch@example.test";
  ec.smarthost = sink.smarthost();
  ec.require_tls = false;
  ec.timeout_ms = 20'000;
  return ec;
}

WebhookAttempt BuildAndSend(const EmailConfig& ec, const std::vector<Alert>& alerts) {
  auto body = BuildEmailPayload(ec, *NotificationTemplates::Defaults(), Ctx(), alerts);
  if (!body.ok()) {
    WebhookAttempt a;
    a.outcome = DeliveryOutcome::kDrop;
    a.error = "build: " + body.status().message();
    return a;
  }
  return SendEmail(ec, *body, nullptr);
}

std::string DecodeQp(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '=' && i + 2 < s.size() + 1 && s.substr(i + 1, 2) == "\r\n") {
      i += 2;
    } else if (s[i] == '=' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string Header(const std::string& msg, const std::string& name) {
  const size_t end = msg.find("\r\n\r\n");
  size_t pos = 0;
  while (pos < end) {
    const size_t eol = msg.find("\r\n", pos);
    const std::string line = msg.substr(pos, eol - pos);
    if (line.rfind(name + ": ", 0) == 0) return line.substr(name.size() + 2);
    pos = eol + 2;
  }
  return "<none>";
}

TEST(EmailEncoding, DotStuffingAndLineEnds) {
  EXPECT_EQ(SmtpDataPayload("a\n.b\n.\nc"), "a\r\n..b\r\n..\r\nc\r\n.\r\n");
  EXPECT_EQ(SmtpDataPayload(".x\r\ny\r\n"), "..x\r\ny\r\n.\r\n");
  EXPECT_EQ(SmtpDataPayload(""), ".\r\n");
}

TEST(EmailEncoding, QuotedPrintableAndHeaders) {
  EXPECT_EQ(QuotedPrintable("a=b caf\xc3\xa9\nend "), "a=3Db caf=C3=A9\r\nend=20");
  EXPECT_EQ(QuotedPrintable("x \ny"), "x=20\r\ny");
  const std::string long_line(200, 'a');
  const std::string qp = QuotedPrintable(long_line);
  for (size_t pos = 0, eol; (eol = qp.find("\r\n", pos)) != std::string::npos; pos = eol + 2) {
    EXPECT_LE(eol - pos, 76u);
  }
  EXPECT_EQ(DecodeQp(qp), long_line);
  EXPECT_EQ(MimeQEncodeHeader("[FIRING:1] plain"), "[FIRING:1] plain");
  EXPECT_EQ(MimeQEncodeHeader("caf\xc3\xa9 ok"), "=?utf-8?q?caf=C3=A9_ok?=");
  EXPECT_EQ(Base64Encode(std::string("\0u\0p", 4)), "AHUAcA==");
}

TEST(EmailEncoding, AddressList) {
  auto a = ParseAddressList("a@x.test, \"Doe, J\" <j@y.test>,<k@z.test>");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(*a, (std::vector<std::string>{"a@x.test", "j@y.test", "k@z.test"}));
  EXPECT_FALSE(ParseAddressList("").ok());
  EXPECT_FALSE(ParseAddressList("a@x.test,").ok());
  EXPECT_FALSE(ParseAddressList("nobody").ok());
}

TEST(EmailSmtp, MessageContentAndMultipartOverStartTls) {
  perfwatch::testing::TempDir certs_dir("pw_smtp_certs_");
  auto certs = perfwatch::testing::GenerateTestCerts(certs_dir.path());
  ASSERT_TRUE(certs.ok()) << certs.error;
  SmtpSink sink({"--cert", certs.server_cert, "--key", certs.server_key});
  ASSERT_TRUE(sink.ok());
  EmailConfig ec = Config(sink);
  ec.require_tls = true;
  ec.tls_ca_file = certs.ca_cert;
  ec.tls_server_name = "localhost";
  ec.hello = "pw.example.test";
  ec.text = "Alerts: {{ len .Alerts }}\n.starts with a dot\n.\n..two dots\ncaf\xc3\xa9 = ok";
  ec.headers = {{"X-Team", "{{ .CommonLabels.alertname }}-team"}};
  const WebhookAttempt a = BuildAndSend(ec, Alerts("critical"));
  ASSERT_EQ(a.outcome, DeliveryOutcome::kDelivered) << a.error;
  ASSERT_EQ(sink.messages(), 1);
  EXPECT_EQ(sink.File(1, ".env"),
            "from perfwatch@example.test\nto oncall@example.test\nto lead@example.test\n"
            "tls yes\nauth -\n");
  const std::string msg = sink.File(1, ".eml");
  EXPECT_EQ(Header(msg, "From"), "perfwatch@example.test");
  EXPECT_EQ(Header(msg, "To"), ec.to);
  // The default subject with the severity prefix (critical beats warning).
  EXPECT_EQ(Header(msg, "Subject"), "[CRITICAL] [FIRING:2] DiskFull ");
  EXPECT_EQ(Header(msg, "X-Team"), "DiskFull-team");
  EXPECT_EQ(Header(msg, "Date"), "Tue, 14 Nov 2023 22:15:00 +0000");
  EXPECT_EQ(Header(msg, "MIME-Version"), "1.0");
  EXPECT_NE(Header(msg, "Message-Id").find("@"), std::string::npos);
  const std::string ct = Header(msg, "Content-Type");
  ASSERT_EQ(ct.rfind("multipart/alternative;  boundary=", 0), 0u) << ct;
  const std::string boundary = ct.substr(ct.find('=') + 1);
  // Two parts, text then HTML, and the closing delimiter.
  const std::string body = msg.substr(msg.find("\r\n\r\n") + 4);
  std::vector<std::string> parts;
  size_t pos = body.find("--" + boundary + "\r\n");
  ASSERT_EQ(pos, 0u);
  while (pos != std::string::npos) {
    const size_t start = pos + boundary.size() + 4;
    const size_t next = body.find("\r\n--" + boundary, start);
    ASSERT_NE(next, std::string::npos);
    parts.push_back(body.substr(start, next - start));
    if (body.compare(next + 4 + boundary.size(), 2, "--") == 0) break;
    pos = next + 2;
  }
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].rfind("Content-Transfer-Encoding: quoted-printable\r\n"
                           "Content-Type: text/plain; charset=UTF-8\r\n\r\n", 0), 0u) << parts[0];
  EXPECT_EQ(DecodeQp(parts[0].substr(parts[0].find("\r\n\r\n") + 4)),
            "Alerts: 2\r\n.starts with a dot\r\n.\r\n..two dots\r\ncaf\xc3\xa9 = ok");
  EXPECT_NE(parts[1].find("Content-Type: text/html; charset=UTF-8"), std::string::npos);
  const std::string html = DecodeQp(parts[1].substr(parts[1].find("\r\n\r\n") + 4));
  EXPECT_NE(html.find("<!DOCTYPE html>"), std::string::npos);
  EXPECT_NE(html.find("disk 97% full"), std::string::npos);
  // On the wire, lines starting with "." were doubled.
  const std::string raw = sink.File(1, ".raw");
  EXPECT_NE(raw.find("\r\n..starts with a dot\r\n..\r\n...two dots\r\n"), std::string::npos);
  EXPECT_EQ(raw.substr(raw.size() - 5), "\r\n.\r\n");
}

// An escalation step's email: "[escalation step N] " before the subject (the default one
// with its severity prefix, or a configured one) and an X-Perfwatch-Escalation header.
TEST(EmailSmtp, EscalationMarkerInSubjectAndHeader) {
  SmtpSink sink;
  ASSERT_TRUE(sink.ok());
  EmailConfig ec = Config(sink);
  NotificationContext ctx = Ctx();
  ctx.escalation = EscalationMark{"page", 2, 1};
  auto body = BuildEmailPayload(ec, *NotificationTemplates::Defaults(), ctx, Alerts("critical"));
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  WebhookAttempt a = SendEmail(ec, *body, nullptr);
  ASSERT_EQ(a.outcome, DeliveryOutcome::kDelivered) << a.error;
  ec.headers = {{"Subject", "disk {{ .Status }}"}};
  ctx.escalation = EscalationMark{"slow", 1, 3};
  body = BuildEmailPayload(ec, *NotificationTemplates::Defaults(), ctx, Alerts("critical"));
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  a = SendEmail(ec, *body, nullptr);
  ASSERT_EQ(a.outcome, DeliveryOutcome::kDelivered) << a.error;
  // Not an escalation: neither.
  a = BuildAndSend(ec, Alerts("critical"));
  ASSERT_EQ(a.outcome, DeliveryOutcome::kDelivered) << a.error;
  ASSERT_EQ(sink.messages(), 3);
  std::string msg = sink.File(1, ".eml");
  EXPECT_EQ(Header(msg, "Subject"), "[escalation step 2] [CRITICAL] [FIRING:2] DiskFull ");
  EXPECT_EQ(Header(msg, "X-Perfwatch-Escalation"), "policy=page; step=2; run=1");
  msg = sink.File(2, ".eml");
  EXPECT_EQ(Header(msg, "Subject"), "[escalation step 1] disk firing");
  EXPECT_EQ(Header(msg, "X-Perfwatch-Escalation"), "policy=slow; step=1; run=3");
  msg = sink.File(3, ".eml");
  EXPECT_EQ(Header(msg, "Subject"), "disk firing");
  EXPECT_EQ(Header(msg, "X-Perfwatch-Escalation"), "<none>");
}

TEST(EmailSmtp, RequireTlsWithoutStartTlsFails) {
  SmtpSink sink;
  ASSERT_TRUE(sink.ok());
  EmailConfig ec = Config(sink);
  ec.require_tls = true;
  const WebhookAttempt a = BuildAndSend(ec, Alerts("info"));
  EXPECT_EQ(a.outcome, DeliveryOutcome::kRetry);
  EXPECT_NE(a.error.find("does not advertise the STARTTLS extension"), std::string::npos)
      << a.error;
  EXPECT_EQ(sink.messages(), 0);
  // Without require_tls the same server takes the message in plain text.
  ec.require_tls = false;
  EXPECT_EQ(BuildAndSend(ec, Alerts("info")).outcome, DeliveryOutcome::kDelivered);
  EXPECT_EQ(sink.File(1, ".env").find("tls yes"), std::string::npos);
  // The highest severity among the alerts (info, warning) wins.
  EXPECT_EQ(Header(sink.File(1, ".eml"), "Subject"), "[WARNING] [FIRING:2] DiskFull ");
}

TEST(EmailSmtp, StartTlsVerifiesTheCertificate) {
  perfwatch::testing::TempDir certs_dir("pw_smtp_certs_");
  auto certs = perfwatch::testing::GenerateTestCerts(certs_dir.path());
  ASSERT_TRUE(certs.ok()) << certs.error;
  SmtpSink sink({"--cert", certs.server_cert, "--key", certs.server_key});
  ASSERT_TRUE(sink.ok());
  EmailConfig ec = Config(sink);
  ec.require_tls = true;
  ec.tls_ca_file = certs.other_ca_cert;
  WebhookAttempt a = BuildAndSend(ec, Alerts("warning"));
  EXPECT_EQ(a.outcome, DeliveryOutcome::kRetry);
  EXPECT_NE(a.error.find("certificate verify failed"), std::string::npos) << a.error;
  EXPECT_EQ(sink.messages(), 0);
  ec.tls_insecure_skip_verify = true;
  a = BuildAndSend(ec, Alerts("warning"));
  EXPECT_EQ(a.outcome, DeliveryOutcome::kDelivered) << a.error;
  // Server name checked: the certificate names localhost and 127.0.0.1, not this.
  ec.tls_insecure_skip_verify = false;
  ec.tls_ca_file = certs.ca_cert;
  ec.tls_server_name = "mail.example.test";
  a = BuildAndSend(ec, Alerts("warning"));
  EXPECT_EQ(a.outcome, DeliveryOutcome::kRetry);
  EXPECT_EQ(sink.messages(), 1);
}

TEST(EmailSmtp, OpportunisticStartTlsFallsBackToPlainText) {
  perfwatch::testing::TempDir certs_dir("pw_smtp_certs_");
  auto certs = perfwatch::testing::GenerateTestCerts(certs_dir.path());
  ASSERT_TRUE(certs.ok()) << certs.error;
  SmtpSink sink({"--cert", certs.server_cert, "--key", certs.server_key});
  ASSERT_TRUE(sink.ok());
  EmailConfig ec = Config(sink);  // require_tls: false
  ec.tls_ca_file = certs.ca_cert;
  WebhookAttempt a = BuildAndSend(ec, Alerts("info"));
  ASSERT_EQ(a.outcome, DeliveryOutcome::kDelivered) << a.error;
  EXPECT_NE(sink.File(1, ".env").find("tls yes"), std::string::npos);
  // Offered but not verifiable: sent again in plain text (require_tls is false).
  ec.tls_ca_file = certs.other_ca_cert;
  a = BuildAndSend(ec, Alerts("info"));
  ASSERT_EQ(a.outcome, DeliveryOutcome::kDelivered) << a.error;
  EXPECT_NE(sink.File(2, ".env").find("tls no"), std::string::npos);
}

TEST(EmailSmtp, ImplicitTls) {
  perfwatch::testing::TempDir certs_dir("pw_smtp_certs_");
  auto certs = perfwatch::testing::GenerateTestCerts(certs_dir.path());
  ASSERT_TRUE(certs.ok()) << certs.error;
  SmtpSink sink({"--cert", certs.server_cert, "--key", certs.server_key, "--implicit-tls"});
  ASSERT_TRUE(sink.ok());
  SmtpOptions o;
  o.host = "127.0.0.1";
  o.port = sink.smarthost().substr(10);
  o.implicit_tls = true;
  o.tls_ca_file = certs.ca_cert;
  o.timeout_ms = 20'000;
  SmtpResult r = SmtpSend(o, "a@x.test", {"b@y.test"}, "Subject: hi\n\nbody\n");
  ASSERT_TRUE(r.sent) << r.error;
  EXPECT_EQ(sink.File(1, ".env"), "from a@x.test\nto b@y.test\ntls yes\nauth -\n");
  EXPECT_EQ(sink.File(1, ".eml"), "Subject: hi\r\n\r\nbody\r\n");
  // Plain SMTP against the TLS port: the greeting never comes; retryable.
  o.implicit_tls = false;
  o.timeout_ms = 1'000;
  r = SmtpSend(o, "a@x.test", {"b@y.test"}, "x\n");
  EXPECT_FALSE(r.sent);
  EXPECT_TRUE(r.retryable);
}

TEST(EmailSmtp, AuthCramMd5) {
  SmtpSink sink({"--auth", "alice:shared-secret", "--auth-mechs", "CRAM-MD5"});
  ASSERT_TRUE(sink.ok());
  EmailConfig ec = Config(sink);
  ec.auth_username = "alice";
  ec.auth_password = "unused";
  WebhookAttempt a = BuildAndSend(ec, Alerts("info"));
  EXPECT_EQ(a.outcome, DeliveryOutcome::kDrop);
  EXPECT_NE(a.error.find("missing secret for CRAM-MD5 auth mechanism"), std::string::npos)
      << a.error;
  ec.auth_secret = "shared-secret";
  a = BuildAndSend(ec, Alerts("info"));
  ASSERT_EQ(a.outcome, DeliveryOutcome::kDelivered) << a.error;
  EXPECT_NE(sink.File(1, ".env").find("auth alice"), std::string::npos);
}

TEST(EmailSmtp, AuthPlainAndLogin) {
  perfwatch::testing::TempDir certs_dir("pw_smtp_certs_");
  auto certs = perfwatch::testing::GenerateTestCerts(certs_dir.path());
  ASSERT_TRUE(certs.ok()) << certs.error;
  for (const char* mech : {"PLAIN", "LOGIN"}) {
    SCOPED_TRACE(mech);
    SmtpSink sink({"--cert", certs.server_cert, "--key", certs.server_key, "--auth",
                   "alice:s3cret-pw", "--auth-mechs", mech});
    ASSERT_TRUE(sink.ok());
    EmailConfig ec = Config(sink);
    ec.require_tls = true;
    ec.tls_ca_file = certs.ca_cert;
    // No username: no AUTH, and this server requires it.
    WebhookAttempt a = BuildAndSend(ec, Alerts("high"));
    EXPECT_EQ(a.outcome, DeliveryOutcome::kDrop);
    EXPECT_NE(a.error.find("530"), std::string::npos) << a.error;
    ec.auth_username = "alice";
    ec.auth_password = "wrong-pw";
    a = BuildAndSend(ec, Alerts("high"));
    EXPECT_EQ(a.outcome, DeliveryOutcome::kDrop);
    EXPECT_NE(a.error.find("535"), std::string::npos) << a.error;
    EXPECT_EQ(a.error.find("wrong-pw"), std::string::npos) << a.error;
    ec.auth_password = "s3cret-pw";
    a = BuildAndSend(ec, Alerts("high"));
    ASSERT_EQ(a.outcome, DeliveryOutcome::kDelivered) << a.error;
    EXPECT_NE(sink.File(1, ".env").find("tls yes\nauth alice\n"), std::string::npos);
    EXPECT_EQ(Header(sink.File(1, ".eml"), "Subject"), "[HIGH] [FIRING:2] DiskFull ");
  }
}

TEST(EmailSmtp, PlaintextAuthOnlyOnLoopbackNames) {
  // 127.0.0.2 is loopback on Linux but not one of Go's "localhost" names: refused.
  SmtpSink sink({"--host", "127.0.0.2", "--auth", "alice:pw"});
  ASSERT_TRUE(sink.ok());
  EmailConfig ec = Config(sink);
  ec.smarthost = sink.smarthost("127.0.0.2");
  ec.auth_username = "alice";
  ec.auth_password = "pw";
  WebhookAttempt a = BuildAndSend(ec, Alerts("info"));
  EXPECT_EQ(a.outcome, DeliveryOutcome::kDrop);
  EXPECT_NE(a.error.find("unencrypted connection"), std::string::npos) << a.error;
  SmtpSink local({"--auth", "alice:pw"});
  ASSERT_TRUE(local.ok());
  ec.smarthost = local.smarthost();
  a = BuildAndSend(ec, Alerts("info"));
  EXPECT_EQ(a.outcome, DeliveryOutcome::kDelivered) << a.error;
  EXPECT_NE(local.File(1, ".env").find("tls no\nauth alice\n"), std::string::npos);
}

struct WorkerRig {
  perfwatch::testing::TempDir dir{"pw_smtp_queue_"};
  FakeClock clock{kNow};
  MetricsRegistry metrics;
  std::unique_ptr<NotifyQueue> queue;
  std::unique_ptr<DeliveryWorker> worker;
  DeliveryMetrics dm;

  explicit WorkerRig(const EmailConfig& ec) {
    queue = std::move(NotifyQueue::Open(dir.path())).value();
    IntegrationConfig ic;
    ic.type = "email";
    ic.email = ec;
    DeliveryOptions opts;
    opts.clock = &clock;
    dm = IntegrationMetrics(metrics, "email");
    worker = std::make_unique<DeliveryWorker>("ops", 3u << kIntegrationTypeShift, ic,
                                              queue.get(), opts, dm);
    std::vector<QueuedNotification> batch(1);
    batch[0].receiver = "ops";
    batch[0].integration_index = 3u << kIntegrationTypeShift;
    batch[0].created_ms = kNow;
    batch[0].group_key = Ctx().group_key;
    batch[0].body =
        BuildEmailPayload(ec, *NotificationTemplates::Defaults(), Ctx(), Alerts("critical"))
            .value();
    EXPECT_TRUE(queue->Append(batch).ok());
    worker->Enqueue(batch[0]);
  }
};

TEST(EmailDelivery, TransientFailureRetriedThenDelivered) {
  SmtpSink sink({"--fail-first", "2"});
  ASSERT_TRUE(sink.ok());
  WorkerRig rig(Config(sink));
  for (int i = 0; i < 10 && rig.worker->pending() > 0; ++i) {
    const int64_t next = rig.worker->RunDue();
    if (next != INT64_MAX) rig.clock.Set(next);
  }
  EXPECT_EQ(rig.worker->pending(), 0u);
  EXPECT_EQ(sink.Log(), "deferred 451\ndeferred 451\naccepted\n");
  EXPECT_EQ(sink.messages(), 1);
  EXPECT_EQ(rig.dm.requests_total->Value(), 3u);
  EXPECT_EQ(rig.dm.requests_failed_total->Value(), 2u);
  EXPECT_EQ(rig.queue->size(), 0u);
}

TEST(EmailDelivery, PermanentFailureDropped) {
  SmtpSink sink({"--reject"});
  ASSERT_TRUE(sink.ok());
  WorkerRig rig(Config(sink));
  EXPECT_EQ(rig.worker->RunDue(), INT64_MAX);
  EXPECT_EQ(rig.worker->pending(), 0u);
  EXPECT_EQ(sink.Log(), "rejected 554\n");
  EXPECT_EQ(sink.messages(), 0);
  EXPECT_EQ(rig.dm.requests_failed_total->Value(), 1u);
  EXPECT_EQ(rig.dm.failed_other->Value(), 1u);
}

TEST(EmailConfigTest, ParsedInheritedAndSecretHidden) {
  auto cfg = ParseAlertmanagerYaml(R"(
global:
  smtp_smarthost: 'mail.example.test:587'
  smtp_from: 'pw@example.test'
  smtp_auth_username: alice
  smtp_auth_password: SECRET-PW
route: {receiver: r}
receivers:
- name: r
  email_configs:
  - to: 'a@example.test'
    headers: {subject: 'custom {{ .Status }}'}
)");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  const EmailConfig& ec = cfg->receivers[0].email_configs[0];
  EXPECT_EQ(ec.smarthost, "mail.example.test:587");
  EXPECT_EQ(ec.from, "pw@example.test");
  EXPECT_EQ(ec.auth_password, "SECRET-PW");
  EXPECT_TRUE(ec.require_tls);
  EXPECT_FALSE(ec.send_resolved);
  std::string y;
  AppendYamlNotifiers(y, cfg->receivers[0]);
  EXPECT_EQ(y.find("SECRET"), std::string::npos) << y;
  EXPECT_NE(y.find("auth_password: <secret>"), std::string::npos) << y;
  // A configured Subject is used as is: no severity prefix.
  auto body = BuildEmailPayload(ec, *NotificationTemplates::Defaults(), Ctx(), Alerts("critical"));
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_NE(body->find("\r\nSubject: custom firing\r\n"), std::string::npos) << *body;
  EXPECT_EQ(body->rfind("pw@example.test\na@example.test\n\n", 0), 0u);
}

TEST(EmailPipeline, ConfiguredReceiverGetsTheGroupNotification) {
  SmtpSink sink;
  ASSERT_TRUE(sink.ok());
  auto cfg = ParseAlertmanagerYaml(
      "global:\n  smtp_smarthost: '" + sink.smarthost() +
      "'\n  smtp_from: 'pw@example.test'\n  smtp_require_tls: false\n"
      "route: {receiver: mail, group_by: [alertname], group_wait: 30s}\n"
      "receivers:\n- name: mail\n  email_configs:\n  - to: 'db@example.test'\n"
      "    send_resolved: true\n    text: '{{ len .Alerts.Firing }} firing'\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  perfwatch::testing::TempDir dir("pw_email_am_");
  FakeClock clock(kNow);
  MetricsRegistry metrics;
  AlertmanagerOptions o;
  o.state_dir = dir.path() / "am";
  o.external_url = "http://pw:9797";
  o.clock = &clock;
  o.metrics = &metrics;
  o.start_threads = false;
  auto am = Alertmanager::Open(o, std::move(cfg).value());
  ASSERT_TRUE(am.ok()) << am.status().ToString();
  ASSERT_TRUE((*am)->Start().ok());
  std::vector<Alert> alerts = Alerts("critical");
  for (Alert& a : alerts) {
    a.starts_at_ms = kNow;
    a.ends_at_ms = kNow + 3'600'000;
  }
  (*am)->PutAlerts(alerts);
  (*am)->ProcessDue();
  EXPECT_EQ(sink.messages(), 0);  // group_wait
  clock.Advance(30'000);
  (*am)->ProcessDue();
  ASSERT_EQ(sink.messages(), 1);
  EXPECT_EQ(sink.File(1, ".env"), "from pw@example.test\nto db@example.test\ntls no\nauth -\n");
  const std::string msg = sink.File(1, ".eml");
  EXPECT_EQ(Header(msg, "Subject"), "[CRITICAL] [FIRING:2] DiskFull ");
  EXPECT_NE(msg.find("\r\n\r\n2 firing\r\n"), std::string::npos) << msg;
  EXPECT_EQ(metrics.GetCounter("alertmanager_notifications_total", "", {{"integration", "email"}})
                ->Value(),
            1u);
}

}  // namespace
}  // namespace perfwatch::alert
