// The email integration (Alertmanager 0.25's notify/email): the MIME message built when a
// group flushes, queued with its envelope, and one SMTP delivery attempt.
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <random>
#include <string>

#include "alert/integrations.h"
#include "alert/notify_template.h"
#include "alert/severity.h"
#include "alert/smtp_client.h"
#include "alert/webhook.h"

namespace perfwatch::alert {
namespace {

constexpr std::string_view kDefaultSubject = R"({{ template "email.default.subject" . }})";

std::string RandomHex(size_t bytes) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes; ++i) {
    const auto b = static_cast<uint8_t>(rng());
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

}  // namespace

std::string Hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost.localdomain";
  return buf;
}

std::string Rfc1123z(int64_t ms) {
  const time_t t = static_cast<time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

Result<std::string> BuildEmailPayload(const EmailConfig& ec, const NotificationTemplates& tmpl,
                                      const NotificationContext& ctx,
                                      const std::vector<Alert>& alerts) {
  const NotificationData data = MakeNotificationData(ctx, alerts);
  auto from = tmpl.ExecuteText(ec.from, data);
  if (!from.ok()) return InvalidArgument("execute 'from' template: " + from.status().message());
  auto to = tmpl.ExecuteText(ec.to, data);
  if (!to.ok()) return InvalidArgument("execute 'to' template: " + to.status().message());
  auto from_addrs = ParseAddressList(*from);
  if (!from_addrs.ok()) {
    return InvalidArgument("parse 'from' addresses: " + from_addrs.status().message());
  }
  if (from_addrs->size() != 1) {
    return InvalidArgument("must be exactly one 'from' address (got: " +
                           std::to_string(from_addrs->size()) + ")");
  }
  auto to_addrs = ParseAddressList(*to);
  if (!to_addrs.ok()) return InvalidArgument("parse 'to' addresses: " + to_addrs.status().message());

  // Headers: the config's, plus Subject / To / From defaults (email.New), in key order.
  std::vector<std::pair<std::string, std::string>> headers = ec.headers;
  auto has = [&](std::string_view k) {
    for (const auto& h : headers) {
      if (h.first == k) return true;
    }
    return false;
  };
  bool default_subject = false;
  if (!has("Subject")) {
    headers.emplace_back("Subject", std::string(kDefaultSubject));
    default_subject = true;
  }
  if (!has("To")) headers.emplace_back("To", ec.to);
  if (!has("From")) headers.emplace_back("From", ec.from);
  std::sort(headers.begin(), headers.end());

  std::string msg;
  for (const auto& [k, v] : headers) {
    auto value = tmpl.ExecuteText(v, data);
    if (!value.ok()) {
      return InvalidArgument("execute \"" + k + "\" header template: " + value.status().message());
    }
    std::string text = std::move(value).value();
    if (k == "Subject" && default_subject) {
      text = std::string(EmailSubjectPrefix(NotificationPriority(alerts, ctx.now_ms))) + text;
    }
    if (k == "Subject" && ctx.escalation) {  // perfwatch's marker, configured subjects too
      text = "[escalation step " + std::to_string(ctx.escalation->step) + "] " + text;
    }
    // Header values are one line.
    for (char& c : text) {
      if (c == '\r' || c == '\n') c = ' ';
    }
    msg += k + ": " + MimeQEncodeHeader(text) + "\r\n";
  }
  if (!has("Message-Id")) {
    msg += "Message-Id: <" + std::to_string(ctx.now_ms) + "." + RandomHex(8) + "@" + Hostname() +
           ">\r\n";
  }
  if (ctx.escalation) {
    std::string v = "policy=" + ctx.escalation->policy +
                    "; step=" + std::to_string(ctx.escalation->step) +
                    "; run=" + std::to_string(ctx.escalation->run);
    for (char& c : v) {
      if (c == '\r' || c == '\n') c = ' ';
    }
    msg += "X-Perfwatch-Escalation: " + MimeQEncodeHeader(v) + "\r\n";
  }
  const std::string boundary = RandomHex(30);
  msg += "Date: " + Rfc1123z(ctx.now_ms) + "\r\n";
  msg += "Content-Type: multipart/alternative;  boundary=" + boundary + "\r\n";
  msg += "MIME-Version: 1.0\r\n\r\n";
  auto part = [&](std::string_view type, const std::string& body) {
    msg += "--" + boundary + "\r\nContent-Transfer-Encoding: quoted-printable\r\n" +
           "Content-Type: " + std::string(type) + "; charset=UTF-8\r\n\r\n" +
           QuotedPrintable(body) + "\r\n";
  };
  if (!ec.text.empty()) {
    auto body = tmpl.ExecuteText(ec.text, data);
    if (!body.ok()) return InvalidArgument("execute text template: " + body.status().message());
    part("text/plain", *body);
  }
  if (!ec.html.empty()) {
    // Preferred alternative last (RFC 2046 5.1.4).
    auto body = tmpl.ExecuteHtml(ec.html, data);
    if (!body.ok()) return InvalidArgument("execute html template: " + body.status().message());
    part("text/html", *body);
  }
  msg += "--" + boundary + "--\r\n";

  // Queued form: the envelope sender, the recipients (comma-separated), an empty line,
  // then the message.
  std::string out = (*from_addrs)[0] + "\n";
  for (size_t i = 0; i < to_addrs->size(); ++i) out += (i ? "," : "") + (*to_addrs)[i];
  out += "\n\n";
  out += msg;
  return out;
}

WebhookAttempt SendEmail(const EmailConfig& ec, std::string_view body,
                         const std::atomic<bool>* cancel) {
  WebhookAttempt a;
  a.reason = "other";
  const size_t l1 = body.find('\n');
  const size_t l2 = l1 == std::string_view::npos ? l1 : body.find('\n', l1 + 1);
  if (l2 == std::string_view::npos || body.substr(l2 + 1, 1) != "\n") {
    a.outcome = DeliveryOutcome::kDrop;
    a.error = "malformed queued email";
    return a;
  }
  const std::string from(body.substr(0, l1));
  std::vector<std::string> to;
  std::string_view rcpts = body.substr(l1 + 1, l2 - l1 - 1);
  while (!rcpts.empty()) {
    const size_t comma = rcpts.find(',');
    to.emplace_back(rcpts.substr(0, comma));
    if (comma == std::string_view::npos) break;
    rcpts.remove_prefix(comma + 1);
  }
  SmtpOptions o;
  if (Status st = SplitHostPort(ec.smarthost, &o.host, &o.port); !st.ok()) {
    a.outcome = DeliveryOutcome::kDrop;
    a.error = st.message();
    return a;
  }
  o.implicit_tls = o.port == "465";  // as email.go
  o.hello = ec.hello;
  o.require_tls = ec.require_tls;
  o.tls_ca_file = ec.tls_ca_file;
  o.tls_server_name = ec.tls_server_name;
  o.tls_insecure_skip_verify = ec.tls_insecure_skip_verify;
  o.auth_username = ec.auth_username;
  o.auth_password = ec.auth_password;
  o.auth_identity = ec.auth_identity;
  o.auth_secret = ec.auth_secret;
  o.timeout_ms = ec.timeout_ms;
  o.cancel = cancel;
  SmtpResult r = SmtpSend(o, from, to, body.substr(l2 + 2));
  if (r.sent) {
    a.outcome = DeliveryOutcome::kDelivered;
    return a;
  }
  a.outcome = r.retryable ? DeliveryOutcome::kRetry : DeliveryOutcome::kDrop;
  a.error = r.error;
  return a;
}

}  // namespace perfwatch::alert
