#pragma once
// A receiver's integrations as one list for the notification pipeline: webhook_configs,
// pagerduty_configs, slack_configs and email_configs, each addressed by a stable
// "integration index" (the type's base + the position within the type's list:
// webhooks 0.., PagerDuty 1<<20.., Slack 2<<20.., email 3<<20..), the index the persisted
// queue and the delivery workers use; the nflog key uses the type's name and position,
// as Alertmanager's does. For each: the body built when a group flushes (PagerDuty Events
// API v2 JSON, Slack attachment JSON, the email's MIME message; pagerduty.go / slack.go /
// email.go of Alertmanager 0.25) and one delivery attempt.
// Thread safety: pure functions; SendIntegration blocks for at most the config's timeout.
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "alert/acks.h"
#include "alert/alert.h"
#include "alert/am_config.h"
#include "alert/webhook.h"
#include "common/metrics.h"
#include "common/status.h"

namespace perfwatch::alert {

struct DeliveryMetrics;  // delivery.h

inline constexpr uint32_t kIntegrationTypeShift = 20;
inline constexpr std::string_view kIntegrationTypes[] = {"webhook", "pagerduty", "slack",
                                                         "email"};

// Every integration index of `r`, in order (webhooks, PagerDuty, Slack, email).
std::vector<uint32_t> IntegrationIndexes(const Receiver& r);
// "webhook", "pagerduty", "slack", "email" for an integration index.
std::string_view IntegrationType(uint32_t index);
// The position within its type's list.
inline uint32_t IntegrationPosition(uint32_t index) {
  return index & ((1u << kIntegrationTypeShift) - 1);
}
// The integration's send_resolved.
bool IntegrationSendResolved(const Receiver& r, uint32_t index);

// What a delivery worker needs to send: one of the configs, by type.
struct IntegrationConfig {
  std::string type;  // "webhook", "pagerduty", "slack", "email"
  WebhookConfig webhook;
  HttpClientConfig http;  // webhook: the effective config; Slack / PagerDuty: their own
  PagerdutyConfig pagerduty;
  SlackConfig slack;
  EmailConfig email;
};
IntegrationConfig IntegrationConfigAt(const AlertmanagerConfig& c, const Receiver& r,
                                      uint32_t index);

// The body to queue for a notification of `alerts` (already filtered by send_resolved).
// Errors: a template that fails (the notification is then not sent, as Alertmanager's
// notifiers return a non-retryable error).
Result<std::string> BuildIntegrationBody(const AlertmanagerConfig& c, const Receiver& r,
                                         uint32_t index, const NotificationContext& ctx,
                                         const std::vector<Alert>& alerts);

// PagerDuty's "acknowledge" event (Events API v2) for the incident the group's
// notifications opened: {"routing_key","dedup_key","event_action":"acknowledge"} with the
// trigger's dedup_key (the group key's hash). `index` must be one of r's PagerDuty
// integrations. Sent when every firing alert of the group is acknowledged (acks.h).
Result<std::string> BuildPagerdutyAcknowledge(const AlertmanagerConfig& c, const Receiver& r,
                                              uint32_t index, const NotificationContext& ctx,
                                              const std::vector<Alert>& alerts);

// A Slack message telling the channel that `alert` was acknowledged (incoming webhooks
// cannot edit the earlier message, so a new one follows it): the integration's channel,
// username and icon, one attachment titled as the notifications are, with the text
// "Acknowledged by NAME[ until TIME]: COMMENT" and colour #439FE0. `index` must be one of
// r's Slack integrations; `alerts` are the group's firing alerts (for the title).
Result<std::string> BuildSlackAcknowledge(const AlertmanagerConfig& c, const Receiver& r, uint32_t index,
                                          const NotificationContext& ctx, const std::vector<Alert>& alerts,
                                          const Alert& alert, const Acknowledgement& ack);

// The payloads, separately for tests.
Result<std::string> BuildPagerdutyPayload(const PagerdutyConfig& pd,
                                          const NotificationTemplates& tmpl,
                                          const NotificationContext& ctx,
                                          const std::vector<Alert>& alerts);
Result<std::string> BuildSlackPayload(const SlackConfig& sc, const NotificationTemplates& tmpl,
                                      const NotificationContext& ctx,
                                      const std::vector<Alert>& alerts);
// Email (email_notify.cc): the queued form is the envelope sender's address, a line
// feed, the recipients' addresses comma-separated, a line feed, an empty line, then the
// MIME message (CRLF line ends): the config's headers plus Subject (default
// email.default.subject prefixed with the severity, severity.h), To, From, then
// Message-Id, Date, multipart/alternative with text/plain (when `text` is set) and
// text/html parts, quoted-printable.
Result<std::string> BuildEmailPayload(const EmailConfig& ec, const NotificationTemplates& tmpl,
                                      const NotificationContext& ctx,
                                      const std::vector<Alert>& alerts);
// Email header helpers (email_notify.cc; also used by scheduled reports, report/):
// time.RFC1123Z in UTC ("Mon, 02 Jan 2006 15:04:05 +0000") for Date, and this host's
// name ("localhost.localdomain" when unknown) for Message-Id.
std::string Rfc1123z(int64_t ms);
std::string Hostname();
// One SMTP delivery of a queued email: sent -> delivered; 4xx replies, connection, TLS
// and timeout errors -> retried; 5xx replies and local refusals -> dropped.
WebhookAttempt SendEmail(const EmailConfig& ec, std::string_view body,
                         const std::atomic<bool>* cancel);

// One attempt. PagerDuty: 2xx delivered, 429 and 5xx retried, other statuses dropped
// (pagerduty.go's retrier); Slack: 2xx delivered, 5xx and 429 retried (Alertmanager
// retries 5xx only; perfwatch also retries 429, as for webhooks), others dropped.
// Secret URLs (Slack's api_url) never appear in errors: they read "<redacted>".
WebhookAttempt SendIntegration(const IntegrationConfig& c, std::string_view body,
                               const std::atomic<bool>* cancel);

// The receiver's PagerDuty, Slack and email configs as YAML for /api/v2/status, secrets
// (routing_key, api_url, auth_password, auth_secret, http_config credentials) as
// "<secret>" (integrations_yaml.cc).
void AppendYamlNotifiers(std::string& y, const Receiver& r);
// An http_config block at `indent`, credentials as <secret> (used for webhooks and global too).
void AppendYamlHttpConfig(std::string& y, const HttpClientConfig& h, const std::string& indent);

// Alertmanager's notification metrics for one integration type (registered once for
// every type so that they are exported at zero), and alertmanager_notifications_total.
DeliveryMetrics IntegrationMetrics(MetricsRegistry& m, std::string_view type);
Counter* NotificationsTotal(MetricsRegistry& m, std::string_view type);

}  // namespace perfwatch::alert
