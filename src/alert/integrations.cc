// Integration indexes, payloads (PagerDuty Events API v2 and Slack, as Alertmanager
// 0.25's notify/pagerduty and notify/slack build them; email in email_notify.cc) and
// delivery attempts.
#include "alert/integrations.h"

#include <optional>
#include <string>
#include <utility>

#include "alert/am_format.h"
#include "alert/delivery.h"
#include "alert/http_post.h"
#include "alert/notify_template.h"
#include "alert/severity.h"
#include "common/log.h"

namespace perfwatch::alert {
namespace {

constexpr uint32_t kPagerduty = 1u << kIntegrationTypeShift;
constexpr uint32_t kSlack = 2u << kIntegrationTypeShift;
constexpr uint32_t kEmail = 3u << kIntegrationTypeShift;

constexpr size_t kPagerdutyMaxEventSize = 512000;
constexpr size_t kPagerdutyMaxSummaryRunes = 1024;
constexpr size_t kSlackMaxTitleRunes = 1024;

const NotificationTemplates& TemplatesOf(const AlertmanagerConfig& c) {
  if (c.notification_templates) return *c.notification_templates;
  return *NotificationTemplates::Defaults();
}

// notify.TmplText: the first error is kept, later texts expand to "".
class Expander {
 public:
  Expander(const NotificationTemplates& t, const NotificationData& d) : t_(t), d_(d) {}
  std::string operator()(std::string_view text) {
    if (!err_.ok()) return "";
    auto r = t_.ExecuteText(text, d_);
    if (!r.ok()) {
      err_ = r.status();
      return "";
    }
    return std::move(r).value();
  }
  const Status& status() const { return err_; }

 private:
  const NotificationTemplates& t_;
  const NotificationData& d_;
  Status err_ = Status::Ok();
};

void Field(std::string& out, std::string_view name, std::string_view value, bool& first) {
  if (!first) out.push_back(',');
  first = false;
  AppendGoJsonString(out, name);
  out.push_back(':');
  AppendGoJsonString(out, value);
}

void OptField(std::string& out, std::string_view name, std::string_view value, bool& first) {
  if (!value.empty()) Field(out, name, value, first);
}

std::string Redact(std::string s, const std::string& secret) {
  if (secret.empty()) return s;
  for (size_t pos = 0; (pos = s.find(secret, pos)) != std::string::npos;) {
    s.replace(pos, secret.size(), "<redacted>");
    pos += 10;
  }
  return s;
}

std::string PagerdutyJson(const PagerdutyConfig& pd, const std::string& event_action,
                          const std::string& dedup_key, const std::string& routing_key,
                          const std::string& summary, const std::string& source,
                          const std::string& severity, const std::string& class_,
                          const std::string& component, const std::string& group,
                          const LabelSet& details, const std::string& client,
                          const std::string& client_url,
                          const std::vector<PagerdutyConfig::Image>& images,
                          const std::vector<PagerdutyConfig::Link>& links,
                          const std::optional<EscalationMark>& escalation) {
  std::string out = "{";
  bool first = true;
  OptField(out, "routing_key", routing_key, first);
  OptField(out, "dedup_key", dedup_key, first);
  Field(out, "event_action", event_action, first);
  out += ",\"payload\":{";
  bool pf = true;
  Field(out, "summary", summary, pf);
  Field(out, "source", source, pf);
  Field(out, "severity", severity, pf);
  OptField(out, "class", class_, pf);
  OptField(out, "component", component, pf);
  OptField(out, "group", group, pf);
  if (escalation) {
    // perfwatch's marker: the details, then "escalation":{"policy","step","run"} (a
    // configured detail of that name gives way to it).
    LabelSet rest;
    for (const auto& kv : details) {
      if (kv.first != "escalation") rest.push_back(kv);
    }
    out += ",\"custom_details\":";
    AppendGoJsonObject(out, rest);
    out.pop_back();  // the closing brace
    if (!rest.empty()) out.push_back(',');
    out += "\"escalation\":";
    AppendEscalationMarkJson(out, *escalation);
    out += "}";
  } else if (!details.empty()) {
    out += ",\"custom_details\":";
    AppendGoJsonObject(out, details);
  }
  out += "}";
  OptField(out, "client", client, first);
  OptField(out, "client_url", client_url, first);
  if (!images.empty()) {
    out += ",\"images\":[";
    for (size_t i = 0; i < images.size(); ++i) {
      if (i > 0) out.push_back(',');
      bool f = true;
      out.push_back('{');
      Field(out, "src", images[i].src, f);
      Field(out, "alt", images[i].alt, f);
      Field(out, "href", images[i].href, f);
      out.push_back('}');
    }
    out += "]";
  }
  if (!links.empty()) {
    out += ",\"links\":[";
    for (size_t i = 0; i < links.size(); ++i) {
      if (i > 0) out.push_back(',');
      bool f = true;
      out.push_back('{');
      Field(out, "href", links[i].href, f);
      Field(out, "text", links[i].text, f);
      out.push_back('}');
    }
    out += "]";
  }
  out += "}\n";
  return out;
}

}  // namespace

std::vector<uint32_t> IntegrationIndexes(const Receiver& r) {
  std::vector<uint32_t> out;
  for (uint32_t i = 0; i < r.webhook_configs.size(); ++i) out.push_back(i);
  for (uint32_t i = 0; i < r.pagerduty_configs.size(); ++i) out.push_back(kPagerduty + i);
  for (uint32_t i = 0; i < r.slack_configs.size(); ++i) out.push_back(kSlack + i);
  for (uint32_t i = 0; i < r.email_configs.size(); ++i) out.push_back(kEmail + i);
  return out;
}

std::string_view IntegrationType(uint32_t index) {
  const uint32_t t = index >> kIntegrationTypeShift;
  return t < 4 ? kIntegrationTypes[t] : "unknown";
}

bool IntegrationSendResolved(const Receiver& r, uint32_t index) {
  const uint32_t pos = IntegrationPosition(index);
  switch (index >> kIntegrationTypeShift) {
    case 0: return pos < r.webhook_configs.size() && r.webhook_configs[pos].send_resolved;
    case 1: return pos < r.pagerduty_configs.size() && r.pagerduty_configs[pos].send_resolved;
    case 2: return pos < r.slack_configs.size() && r.slack_configs[pos].send_resolved;
    case 3: return pos < r.email_configs.size() && r.email_configs[pos].send_resolved;
  }
  return false;
}

IntegrationConfig IntegrationConfigAt(const AlertmanagerConfig& c, const Receiver& r,
                                      uint32_t index) {
  IntegrationConfig out;
  out.type = std::string(IntegrationType(index));
  const uint32_t pos = IntegrationPosition(index);
  switch (index >> kIntegrationTypeShift) {
    case 0:
      if (pos < r.webhook_configs.size()) {
        out.webhook = r.webhook_configs[pos];
        out.http = EffectiveHttpConfig(out.webhook, c.global_http_config);
      }
      break;
    case 1:
      if (pos < r.pagerduty_configs.size()) {
        out.pagerduty = r.pagerduty_configs[pos];
        out.http = out.pagerduty.http_config;
      }
      break;
    case 2:
      if (pos < r.slack_configs.size()) {
        out.slack = r.slack_configs[pos];
        out.http = out.slack.http_config;
      }
      break;
    case 3:
      if (pos < r.email_configs.size()) out.email = r.email_configs[pos];
      break;
  }
  return out;
}

Result<std::string> BuildPagerdutyPayload(const PagerdutyConfig& pd,
                                          const NotificationTemplates& tmpl,
                                          const NotificationContext& ctx,
                                          const std::vector<Alert>& alerts) {
  const NotificationData data = MakeNotificationData(ctx, alerts);
  const std::string event_action = data.status == "resolved" ? "resolve" : "trigger";
  // Notify: details first, each failing one naming its key.
  LabelSet details;
  for (const auto& [k, v] : pd.details) {
    auto r = tmpl.ExecuteText(v, data);
    if (!r.ok()) {
      return InvalidArgument(GoQuote(k) + ": failed to template " + GoQuote(v) + ": " +
                             r.status().message());
    }
    details.emplace_back(k, std::move(r).value());
  }
  Expander t(tmpl, data);
  std::string severity = pd.severity;
  if (severity.empty()) {
    severity = std::string(PagerdutySeverity(NotificationPriority(alerts, ctx.now_ms)));
    if (severity.empty()) severity = "error";
  }
  bool truncated = false;
  std::string summary = TruncateInRunes(t(pd.description), kPagerdutyMaxSummaryRunes, &truncated);
  if (truncated) {
    PW_LOG_WARN("Truncated summary", "key={} max_runes={}", LogQuote(ctx.group_key),
                kPagerdutyMaxSummaryRunes);
  }
  const std::string client = t(pd.client);
  const std::string client_url = t(pd.client_url);
  const std::string routing_key = t(pd.routing_key);
  const std::string source = t(pd.source);
  const std::string sev = t(severity);
  const std::string class_ = t(pd.class_);
  const std::string component = t(pd.component);
  const std::string group = t(pd.group);
  std::vector<PagerdutyConfig::Image> images;
  for (const auto& img : pd.images) {
    PagerdutyConfig::Image e{t(img.src), t(img.alt), t(img.href)};
    if (!e.src.empty()) images.push_back(std::move(e));
  }
  std::vector<PagerdutyConfig::Link> links;
  for (const auto& l : pd.links) {
    PagerdutyConfig::Link e{t(l.href), t(l.text)};
    if (!e.href.empty()) links.push_back(std::move(e));
  }
  if (!t.status().ok()) {
    return InvalidArgument("failed to template PagerDuty v2 message: " + t.status().message());
  }
  if (routing_key.empty()) return InvalidArgument("routing key cannot be empty");
  const std::string dedup = GroupKeyHash(ctx.group_key);
  std::string body = PagerdutyJson(pd, event_action, dedup, routing_key, summary, source, sev,
                                   class_, component, group, details, client, client_url,
                                   images, links, ctx.escalation);
  if (body.size() > kPagerdutyMaxEventSize) {
    PW_LOG_WARN("Truncated Details because message exceeds limit", "size={} limit=512KB",
                body.size());
    LabelSet err = {{"error",
                     "Custom details have been removed because the original event exceeds the "
                     "maximum size of 512KB"}};
    body = PagerdutyJson(pd, event_action, dedup, routing_key, summary, source, sev, class_,
                         component, group, err, client, client_url, images, links,
                         ctx.escalation);
  }
  return body;
}

namespace {

// The sender fields of a Slack message (channel, username, icons), expanded once and
// written first by both the notification and the acknowledgement message.
struct SlackSender {
  std::string channel, username, icon_emoji, icon_url;
};

template <typename Expand>
SlackSender ExpandSlackSender(const SlackConfig& sc, Expand& t) {
  return {t(sc.channel), t(sc.username), t(sc.icon_emoji), t(sc.icon_url)};
}

void AppendSlackSender(std::string& out, const SlackSender& s, bool& first) {
  OptField(out, "channel", s.channel, first);
  OptField(out, "username", s.username, first);
  OptField(out, "icon_emoji", s.icon_emoji, first);
  OptField(out, "icon_url", s.icon_url, first);
}

}  // namespace

Result<std::string> BuildSlackPayload(const SlackConfig& sc, const NotificationTemplates& tmpl,
                                      const NotificationContext& ctx,
                                      const std::vector<Alert>& alerts) {
  const NotificationData data = MakeNotificationData(ctx, alerts);
  Expander t(tmpl, data);
  bool truncated = false;
  const std::string title = TruncateInRunes(t(sc.title), kSlackMaxTitleRunes, &truncated);
  if (truncated) {
    PW_LOG_WARN("Truncated title", "key={} max_runes={}", LogQuote(ctx.group_key),
                kSlackMaxTitleRunes);
  }
  const std::string title_link = t(sc.title_link);
  const std::string pretext = t(sc.pretext);
  const std::string text = t(sc.text);
  const std::string fallback = t(sc.fallback);
  const std::string callback_id = t(sc.callback_id);
  const std::string image_url = t(sc.image_url);
  const std::string thumb_url = t(sc.thumb_url);
  const std::string footer = t(sc.footer);
  std::string color_text = sc.color;
  if (!sc.color_set) {
    const std::string_view sev = SlackColor(NotificationPriority(alerts, ctx.now_ms));
    color_text = sev.empty() || data.status != "firing"
                     ? R"({{ if eq .Status "firing" }}danger{{ else }}good{{ end }})"
                     : std::string(sev);
  }
  const std::string color = t(color_text);
  std::vector<std::pair<std::string, std::string>> fields;
  for (const auto& f : sc.fields) fields.emplace_back(t(f.title), t(f.value));
  std::vector<int> fields_short;
  for (const auto& f : sc.fields) fields_short.push_back(f.short_ >= 0 ? f.short_ == 1 : sc.short_fields);
  if (ctx.escalation) {  // perfwatch's marker, after the configured fields
    fields.emplace_back("Escalation", EscalationMarkText(*ctx.escalation));
    fields_short.push_back(0);
  }
  const SlackSender sender = ExpandSlackSender(sc, t);
  if (!t.status().ok()) return t.status();

  std::string out = "{";
  bool first = true;
  AppendSlackSender(out, sender, first);
  if (sc.link_names) {
    if (!first) out.push_back(',');
    first = false;
    out += "\"link_names\":true";
  }
  if (!first) out.push_back(',');
  out += "\"attachments\":[{";
  bool af = true;
  OptField(out, "title", title, af);
  OptField(out, "title_link", title_link, af);
  OptField(out, "pretext", pretext, af);
  Field(out, "text", text, af);
  Field(out, "fallback", fallback, af);
  Field(out, "callback_id", callback_id, af);
  if (!fields.empty()) {
    out += ",\"fields\":[";
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) out.push_back(',');
      out.push_back('{');
      bool ff = true;
      OptField(out, "title", fields[i].first, ff);
      OptField(out, "value", fields[i].second, ff);
      const bool short_ = fields_short[i] != 0;
      if (!ff) out.push_back(',');
      out += std::string("\"short\":") + (short_ ? "true" : "false") + "}";
    }
    out += "]";
  }
  OptField(out, "image_url", image_url, af);
  OptField(out, "thumb_url", thumb_url, af);
  Field(out, "footer", footer, af);
  OptField(out, "color", color, af);
  const std::vector<std::string> mrkdwn =
      sc.mrkdwn_in.empty() ? std::vector<std::string>{"fallback", "pretext", "text"}
                           : sc.mrkdwn_in;
  out += ",\"mrkdwn_in\":[";
  for (size_t i = 0; i < mrkdwn.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendGoJsonString(out, mrkdwn[i]);
  }
  out += "]}]}\n";
  return out;
}

Result<std::string> BuildIntegrationBody(const AlertmanagerConfig& c, const Receiver& r,
                                         uint32_t index, const NotificationContext& ctx,
                                         const std::vector<Alert>& alerts) {
  const uint32_t pos = IntegrationPosition(index);
  switch (index >> kIntegrationTypeShift) {
    case 0:
      if (pos >= r.webhook_configs.size()) break;
      return BuildWebhookPayload(ctx, alerts, r.webhook_configs[pos].max_alerts);
    case 1:
      if (pos >= r.pagerduty_configs.size()) break;
      return BuildPagerdutyPayload(r.pagerduty_configs[pos], TemplatesOf(c), ctx, alerts);
    case 2:
      if (pos >= r.slack_configs.size()) break;
      return BuildSlackPayload(r.slack_configs[pos], TemplatesOf(c), ctx, alerts);
    case 3:
      if (pos >= r.email_configs.size()) break;
      return BuildEmailPayload(r.email_configs[pos], TemplatesOf(c), ctx, alerts);
  }
  return InvalidArgument("no integration " + std::to_string(index) + " in receiver " +
                         GoQuote(r.name));
}

Result<std::string> BuildPagerdutyAcknowledge(const AlertmanagerConfig& c, const Receiver& r,
                                              uint32_t index, const NotificationContext& ctx,
                                              const std::vector<Alert>& alerts) {
  const uint32_t pos = IntegrationPosition(index);
  if (index >> kIntegrationTypeShift != 1 || pos >= r.pagerduty_configs.size())
    return InvalidArgument("no PagerDuty integration " + std::to_string(index));
  const NotificationData data = MakeNotificationData(ctx, alerts);
  Expander t(TemplatesOf(c), data);
  const std::string routing_key = t(r.pagerduty_configs[pos].routing_key);
  if (!t.status().ok()) {
    return InvalidArgument("failed to template PagerDuty v2 message: " + t.status().message());
  }
  if (routing_key.empty()) return InvalidArgument("routing key cannot be empty");
  std::string out = "{";
  bool first = true;
  Field(out, "routing_key", routing_key, first);
  Field(out, "dedup_key", GroupKeyHash(ctx.group_key), first);
  Field(out, "event_action", "acknowledge", first);
  out += "}";
  return out;
}

Result<std::string> BuildSlackAcknowledge(const AlertmanagerConfig& c, const Receiver& r, uint32_t index,
                                          const NotificationContext& ctx, const std::vector<Alert>& alerts,
                                          const Alert& alert, const Acknowledgement& ack) {
  const uint32_t pos = IntegrationPosition(index);
  if (index >> kIntegrationTypeShift != 2 || pos >= r.slack_configs.size())
    return InvalidArgument("no Slack integration " + std::to_string(index));
  const SlackConfig& sc = r.slack_configs[pos];
  const NotificationData data = MakeNotificationData(ctx, alerts);
  Expander t(TemplatesOf(c), data);
  bool truncated = false;
  const std::string title = TruncateInRunes(t(sc.title), kSlackMaxTitleRunes, &truncated);
  const SlackSender sender = ExpandSlackSender(sc, t);
  if (!t.status().ok()) return t.status();
  std::string who(GetLabel(alert.labels, "alertname"));  // "Name {a=x, b=y}"
  std::string rest;
  for (const auto& [n, v] : alert.labels) {
    if (n != "alertname") rest += (rest.empty() ? "" : ", ") + n + "=" + v;
  }
  if (!rest.empty()) who += " {" + rest + "}";
  std::string text = "Acknowledged by " + ack.acknowledged_by;
  if (ack.until_ms != 0) text += " until " + FormatGoTime(ack.until_ms);
  text += ack.comment.empty() ? "." : ": " + ack.comment;
  text += "\n" + who;
  std::string out = "{";
  bool first = true;
  AppendSlackSender(out, sender, first);
  if (!first) out.push_back(',');
  out += "\"attachments\":[{";
  bool af = true;
  OptField(out, "title", title, af);
  Field(out, "text", text, af);
  Field(out, "fallback", "Acknowledged by " + ack.acknowledged_by + ": " + title, af);
  Field(out, "color", "#439FE0", af);
  out += "}]}";
  return out;
}

WebhookAttempt SendIntegration(const IntegrationConfig& c, std::string_view body,
                               const std::atomic<bool>* cancel) {
  if (c.type == "webhook") return SendWebhook(c.webhook, c.http, body, cancel);
  if (c.type == "pagerduty" || c.type == "slack") {
    WebhookConfig w;
    w.url = c.type == "pagerduty" ? c.pagerduty.url : c.slack.api_url;
    w.timeout_ms = c.type == "pagerduty" ? c.pagerduty.timeout_ms : c.slack.timeout_ms;
    WebhookAttempt a = SendWebhook(w, c.http, body, cancel);
    if (c.type == "slack") a.error = Redact(std::move(a.error), w.url);
    if (c.type == "slack" && !a.error.empty()) {
      a.error += " (channel " + GoQuote(c.slack.channel) + ")";
    }
    return a;
  }
  if (c.type == "email") return SendEmail(c.email, body, cancel);
  WebhookAttempt a;
  a.outcome = DeliveryOutcome::kDrop;
  a.reason = "other";
  a.error = c.type + " delivery is not implemented";
  return a;
}

DeliveryMetrics IntegrationMetrics(MetricsRegistry& m, std::string_view type) {
  const MetricLabels integration = {{"integration", std::string(type)}};
  DeliveryMetrics d;
  auto failed = [&](const char* reason) {
    return m.GetCounter("alertmanager_notifications_failed_total",
                        "The total number of failed notifications.",
                        {{"integration", std::string(type)}, {"reason", reason}});
  };
  d.failed_client_error = failed("clientError");
  d.failed_server_error = failed("serverError");
  d.failed_other = failed("other");
  d.requests_total =
      m.GetCounter("alertmanager_notification_requests_total",
                   "The total number of attempted notification requests.", integration);
  d.requests_failed_total =
      m.GetCounter("alertmanager_notification_requests_failed_total",
                   "The total number of failed notification requests.", integration);
  d.latency_seconds =
      m.GetHistogram("alertmanager_notification_latency_seconds",
                     "The latency of notifications in seconds.", {1, 5, 10, 15, 20}, integration);
  return d;
}

Counter* NotificationsTotal(MetricsRegistry& m, std::string_view type) {
  return m.GetCounter("alertmanager_notifications_total",
                      "The total number of attempted notifications.",
                      {{"integration", std::string(type)}});
}

}  // namespace perfwatch::alert
