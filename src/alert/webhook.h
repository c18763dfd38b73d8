#pragma once
// The webhook integration: the payload (Alertmanager's notify/webhook Message, version
// "4", byte for byte as Go's json.Encoder writes it, trailing newline included) and one
// delivery attempt with Alertmanager's headers (Content-Type application/json,
// User-Agent Alertmanager/0.25.0, Authorization from http_config).
// Outcome of an attempt: 2xx delivered; 5xx, 429 and transport errors retried; any other
// status dropped (Alertmanager's webhook does not retry 4xx; perfwatch also retries 429).
// Thread safety: pure functions; SendWebhook blocks for at most config.timeout_ms.
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alert/alert.h"
#include "alert/am_config.h"

namespace perfwatch::alert {

inline constexpr std::string_view kNotifierUserAgent = "Alertmanager/0.25.0";

// Which escalation step a notification is for (escalation.h): the policy's name, the
// step's 1-based position in the policy and the 1-based run of the chain.
struct EscalationMark {
  std::string policy;
  uint64_t step = 0;
  uint64_t run = 0;
};

// The marker's forms: {"policy":"page","step":2,"run":1} (webhook, PagerDuty's
// custom_details.escalation) and "step 2 of policy page, run 1" (Slack's field).
void AppendEscalationMarkJson(std::string& out, const EscalationMark& m);
std::string EscalationMarkText(const EscalationMark& m);

// What template.Data needs besides the alerts.
struct NotificationContext {
  std::string receiver;
  std::string group_key;
  LabelSet group_labels;
  std::string external_url;
  int64_t now_ms = 0;  // alerts resolved at now are "resolved"; others hide endsAt
  // Set for an escalation step's notification (and the resolution sent to a step's
  // receivers): the webhook payload then ends with perfwatch's
  // "escalation":{"policy","step","run"}, PagerDuty's custom_details has "escalation",
  // Slack's attachment an "Escalation" field, email's Subject an "[escalation step N] "
  // prefix and an X-Perfwatch-Escalation header (absent otherwise; docs/notifications.md).
  std::optional<EscalationMark> escalation;
};

// The version 4 payload for `alerts` (in notification order), truncated to `max_alerts`
// (0: all) with truncatedAlerts counting the rest.
std::string BuildWebhookPayload(const NotificationContext& ctx, const std::vector<Alert>& alerts,
                                uint64_t max_alerts);

enum class DeliveryOutcome { kDelivered, kRetry, kDrop };

struct WebhookAttempt {
  DeliveryOutcome outcome = DeliveryOutcome::kRetry;
  int status = 0;      // HTTP status, 0 when none
  std::string error;   // empty when delivered
  std::string reason;  // metrics label: "clientError", "serverError", "other"
};

// The HTTP client config in effect: the webhook's own, or global.http_config when the
// webhook sets no authorization of its own.
HttpClientConfig EffectiveHttpConfig(const WebhookConfig& webhook, const HttpClientConfig& global);

// One POST of `body` to `config.url`.
WebhookAttempt SendWebhook(const WebhookConfig& config, const HttpClientConfig& http_config,
                           std::string_view body, const std::atomic<bool>* cancel);

}  // namespace perfwatch::alert
