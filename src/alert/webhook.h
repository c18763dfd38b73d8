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
#include <string>
#include <string_view>
#include <vector>

#include "alert/alert.h"
#include "alert/am_config.h"

namespace perfwatch::alert {

inline constexpr std::string_view kNotifierUserAgent = "Alertmanager/0.25.0";

// What template.Data needs besides the alerts.
struct NotificationContext {
  std::string receiver;
  std::string group_key;
  LabelSet group_labels;
  std::string external_url;
  int64_t now_ms = 0;  // alerts resolved at now are "resolved"; others hide endsAt
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
