#include "alert/webhook.h"

#include "alert/am_format.h"
#include "alert/http_post.h"

namespace perfwatch::alert {
namespace {

// Labels common to every alert (Alertmanager's commonLabels / commonAnnotations).
LabelSet CommonPairs(const std::vector<Alert>& alerts, size_t n, LabelSet Alert::*field) {
  if (n == 0) return {};
  LabelSet common = alerts[0].*field;
  for (size_t i = 1; i < n && !common.empty(); ++i) {
    const LabelSet& other = alerts[i].*field;
    LabelSet kept;
    for (auto& kv : common) {
      auto it =
          std::lower_bound(other.begin(), other.end(), kv.first,
                           [](const auto& p, const std::string& name) { return p.first < name; });
      // A missing name compares as "" (Go's map lookup), which equals an empty value.
      std::string_view v =
          (it != other.end() && it->first == kv.first) ? std::string_view(it->second) : "";
      if (v == kv.second) kept.push_back(std::move(kv));
    }
    common = std::move(kept);
  }
  return common;
}

}  // namespace

std::string BuildWebhookPayload(const NotificationContext& ctx, const std::vector<Alert>& alerts,
                                uint64_t max_alerts) {
  size_t n = alerts.size();
  uint64_t truncated = 0;
  if (max_alerts != 0 && n > max_alerts) {
    truncated = n - max_alerts;
    n = static_cast<size_t>(max_alerts);
  }
  bool any_firing = false;
  for (size_t i = 0; i < n; ++i) any_firing |= !alerts[i].ResolvedAt(ctx.now_ms);

  std::string out;
  out.reserve(512 + n * 512);
  out += "{\"receiver\":";
  AppendGoJsonString(out, GoQuoteMeta(ctx.receiver));
  out += ",\"status\":";
  out += any_firing ? "\"firing\"" : "\"resolved\"";
  out += ",\"alerts\":[";
  for (size_t i = 0; i < n; ++i) {
    const Alert& a = alerts[i];
    const bool resolved = a.ResolvedAt(ctx.now_ms);
    if (i > 0) out.push_back(',');
    out += "{\"status\":";
    out += resolved ? "\"resolved\"" : "\"firing\"";
    out += ",\"labels\":";
    AppendGoJsonObject(out, a.labels);
    out += ",\"annotations\":";
    AppendGoJsonObject(out, a.annotations);
    out += ",\"startsAt\":\"" + FormatGoTime(a.starts_at_ms) + "\"";
    out += ",\"endsAt\":\"" + FormatGoTime(resolved ? a.ends_at_ms : 0) + "\"";
    out += ",\"generatorURL\":";
    AppendGoJsonString(out, a.generator_url);
    out += ",\"fingerprint\":\"" + FingerprintHex(Fingerprint(a.labels)) + "\"}";
  }
  out += "],\"groupLabels\":";
  AppendGoJsonObject(out, ctx.group_labels);
  out += ",\"commonLabels\":";
  AppendGoJsonObject(out, CommonPairs(alerts, n, &Alert::labels));
  out += ",\"commonAnnotations\":";
  AppendGoJsonObject(out, CommonPairs(alerts, n, &Alert::annotations));
  out += ",\"externalURL\":";
  AppendGoJsonString(out, ctx.external_url);
  out += ",\"version\":\"4\",\"groupKey\":";
  AppendGoJsonString(out, ctx.group_key);
  out += ",\"truncatedAlerts\":" + std::to_string(truncated);
  if (ctx.escalation) {  // perfwatch's marker of an escalation step's notification
    out += ",\"escalation\":";
    AppendEscalationMarkJson(out, *ctx.escalation);
  }
  out += "}\n";
  return out;
}

void AppendEscalationMarkJson(std::string& out, const EscalationMark& m) {
  out += "{\"policy\":";
  AppendGoJsonString(out, m.policy);
  out += ",\"step\":" + std::to_string(m.step) + ",\"run\":" + std::to_string(m.run) + "}";
}

std::string EscalationMarkText(const EscalationMark& m) {
  return "step " + std::to_string(m.step) + " of policy " + m.policy + ", run " +
         std::to_string(m.run);
}

HttpClientConfig EffectiveHttpConfig(const WebhookConfig& webhook, const HttpClientConfig& global) {
  const HttpClientConfig& own = webhook.http_config;
  if (own.has_basic_auth || !own.bearer_token.empty() || own.has_tls_config) return own;
  return global;
}

WebhookAttempt SendWebhook(const WebhookConfig& config, const HttpClientConfig& http_config,
                           std::string_view body, const std::atomic<bool>* cancel) {
  WebhookAttempt out;
  auto url = ParseHttpUrl(config.url);
  if (!url.ok()) {
    out.outcome = DeliveryOutcome::kDrop;
    out.error = url.status().message();
    out.reason = "other";
    return out;
  }
  HttpPostRequest req;
  req.url = std::move(*url);
  req.body = body;
  req.timeout_ms = config.timeout_ms;
  req.cancel = cancel;
  if (req.url.https && http_config.has_tls_config) {
    auto ctx = ClientTlsContextFor(http_config);
    if (!ctx.ok()) {
      out.outcome = DeliveryOutcome::kDrop;
      out.error = ctx.status().message();
      out.reason = "other";
      return out;
    }
    req.tls = std::move(*ctx);
    req.tls_server_name = http_config.tls_server_name;
  }
  req.headers.emplace_back("User-Agent", std::string(kNotifierUserAgent));
  req.headers.emplace_back("Content-Type", "application/json");
  if (http_config.has_basic_auth) {
    req.headers.emplace_back("Authorization", BasicAuthHeader(http_config.basic_auth_username,
                                                              http_config.basic_auth_password));
  } else if (!http_config.bearer_token.empty()) {
    std::string type =
        http_config.authorization_type.empty() ? "Bearer" : http_config.authorization_type;
    req.headers.emplace_back("Authorization", type + " " + http_config.bearer_token);
  }
  HttpPostResult res = HttpPost(req);
  out.status = res.status;
  if (res.status == 0) {
    out.outcome = DeliveryOutcome::kRetry;
    out.error = "Post \"" + config.url + "\": " + res.error;
    out.reason = "other";
    return out;
  }
  if (res.status / 100 == 2) {
    out.outcome = DeliveryOutcome::kDelivered;
    return out;
  }
  out.outcome = (res.status / 100 == 5 || res.status == 429) ? DeliveryOutcome::kRetry
                                                             : DeliveryOutcome::kDrop;
  out.reason = res.status / 100 == 5 ? "serverError" : "clientError";
  out.error = "unexpected status code " + std::to_string(res.status) + ": " + config.url;
  if (!res.body.empty()) out.error += ": " + res.body;
  return out;
}

}  // namespace perfwatch::alert
