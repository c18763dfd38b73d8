// /api/v2/status's rendering of pagerduty_configs, slack_configs and email_configs, with
// every secret printed as "<secret>" as Alertmanager prints config.Secret values.
#include <string>

#include "alert/am_format.h"
#include "alert/integrations.h"

namespace perfwatch::alert {
namespace {

void Str(std::string& y, const std::string& indent, const char* key, const std::string& v) {
  if (!v.empty()) y += indent + key + ": " + GoQuote(v) + "\n";
}
void Secret(std::string& y, const std::string& indent, const char* key, const std::string& v) {
  if (!v.empty()) y += indent + key + ": <secret>\n";
}

}  // namespace

void AppendYamlHttpConfig(std::string& y, const HttpClientConfig& h, const std::string& indent) {
  y += indent + "http_config:\n";
  if (h.has_basic_auth) {
    y += indent + "  basic_auth:\n" + indent + "    username: " + GoQuote(h.basic_auth_username) +
         "\n" + indent + "    password: <secret>\n";
  }
  if (!h.bearer_token.empty()) {
    y += indent + "  authorization:\n" + indent + "    type: " +
         (h.authorization_type.empty() ? std::string("Bearer") : h.authorization_type) + "\n" +
         indent + "    credentials: <secret>\n";
  }
  y += indent + "  follow_redirects: " + (h.follow_redirects ? "true" : "false") + "\n";
}

void AppendYamlNotifiers(std::string& y, const Receiver& r) {
  const std::string in = "    ";
  if (!r.email_configs.empty()) {
    y += "  email_configs:\n";
    for (const EmailConfig& e : r.email_configs) {
      y += std::string("  - send_resolved: ") + (e.send_resolved ? "true" : "false") + "\n";
      Str(y, in, "to", e.to);
      Str(y, in, "from", e.from);
      Str(y, in, "hello", e.hello);
      Str(y, in, "smarthost", e.smarthost);
      Str(y, in, "auth_username", e.auth_username);
      Secret(y, in, "auth_password", e.auth_password);
      Secret(y, in, "auth_secret", e.auth_secret);
      Str(y, in, "auth_identity", e.auth_identity);
      if (!e.headers.empty()) {
        y += in + "headers:\n";
        for (const auto& [k, v] : e.headers) y += in + "  " + k + ": " + GoQuote(v) + "\n";
      }
      Str(y, in, "html", e.html);
      Str(y, in, "text", e.text);
      y += in + "require_tls: " + (e.require_tls ? "true" : "false") + "\n";
    }
  }
  if (!r.pagerduty_configs.empty()) {
    y += "  pagerduty_configs:\n";
    for (const PagerdutyConfig& p : r.pagerduty_configs) {
      y += std::string("  - send_resolved: ") + (p.send_resolved ? "true" : "false") + "\n";
      AppendYamlHttpConfig(y, p.http_config, in);
      Secret(y, in, "routing_key", p.routing_key);
      Str(y, in, "routing_key_file", p.routing_key_file);
      Str(y, in, "url", p.url);
      Str(y, in, "client", p.client);
      Str(y, in, "client_url", p.client_url);
      Str(y, in, "description", p.description);
      if (!p.details.empty()) {
        y += in + "details:\n";
        for (const auto& [k, v] : p.details) y += in + "  " + k + ": " + GoQuote(v) + "\n";
      }
      Str(y, in, "source", p.source);
      Str(y, in, "severity", p.severity);
      Str(y, in, "class", p.class_);
      Str(y, in, "component", p.component);
      Str(y, in, "group", p.group);
    }
  }
  if (!r.slack_configs.empty()) {
    y += "  slack_configs:\n";
    for (const SlackConfig& s : r.slack_configs) {
      y += std::string("  - send_resolved: ") + (s.send_resolved ? "true" : "false") + "\n";
      AppendYamlHttpConfig(y, s.http_config, in);
      y += in + "api_url: <secret>\n";
      Str(y, in, "channel", s.channel);
      Str(y, in, "username", s.username);
      Str(y, in, "color", s.color);
      Str(y, in, "title", s.title);
      Str(y, in, "title_link", s.title_link);
      Str(y, in, "pretext", s.pretext);
      Str(y, in, "text", s.text);
      y += in + "short_fields: " + (s.short_fields ? "true" : "false") + "\n";
      Str(y, in, "footer", s.footer);
      Str(y, in, "fallback", s.fallback);
      Str(y, in, "callback_id", s.callback_id);
      Str(y, in, "icon_emoji", s.icon_emoji);
      Str(y, in, "icon_url", s.icon_url);
      Str(y, in, "image_url", s.image_url);
      Str(y, in, "thumb_url", s.thumb_url);
      y += in + "link_names: " + (s.link_names ? "true" : "false") + "\n";
    }
  }
}

}  // namespace perfwatch::alert
