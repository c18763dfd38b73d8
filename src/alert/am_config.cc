// Parses an Alertmanager 0.25 configuration (config/config.go, config/notifiers.go, the
// HTTP client configuration of prometheus/common v0.38) into AlertmanagerConfig. Decoding
// is strict like Alertmanager's yaml.UnmarshalStrict: unknown and repeated keys are
// errors. The order of checks follows Alertmanager: each value is decoded and checked in
// document order, then the whole-file checks (receivers unique, root route, receivers
// used by routes) run. This file: the global block, receivers, inhibit rules, the whole
// file and the entry points; the helpers are in am_config_internal.h.
#include "alert/am_config.h"

#include <yaml-cpp/yaml.h>

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "alert/am_config_internal.h"
#include "alert/am_format.h"
#include "alert/notify_template.h"
#include "common/label_validation.h"

namespace perfwatch::alert {
namespace amconfig {
namespace {

// ------------------------------------------------------------------ global

struct GlobalConfig {
  int64_t resolve_timeout_ms = 5 * 60'000;
  HttpClientConfig http_config;
  // Inherited by email, Slack and PagerDuty configs (Alertmanager's DefaultGlobalConfig).
  std::string smtp_from, smtp_smarthost, smtp_hello = "localhost", smtp_auth_username,
      smtp_auth_password, smtp_auth_password_file, smtp_auth_secret, smtp_auth_identity;
  bool smtp_require_tls = true;
  std::string slack_api_url, slack_api_url_file;
  std::string pagerduty_url = "https://events.pagerduty.com/v2/enqueue";
};

Status ParseGlobal(const YAML::Node& n, std::string_view base_dir, GlobalConfig* out) {
  *out = GlobalConfig{};
  std::string slack_api_url, slack_api_url_file, opsgenie_api_key, opsgenie_api_key_file,
      victorops_api_key, victorops_api_key_file, smtp_auth_password, smtp_auth_password_file;
  PW_RETURN_IF_ERROR(
      ForEachField(n, "config.plain",
                   {"resolve_timeout",
                    "http_config",
                    "smtp_from",
                    "smtp_hello",
                    "smtp_smarthost",
                    "smtp_auth_username",
                    "smtp_auth_password",
                    "smtp_auth_password_file",
                    "smtp_auth_secret",
                    "smtp_auth_identity",
                    "smtp_require_tls",
                    "slack_api_url",
                    "slack_api_url_file",
                    "pagerduty_url",
                    "opsgenie_api_url",
                    "opsgenie_api_key",
                    "opsgenie_api_key_file",
                    "wechat_api_url",
                    "wechat_api_secret",
                    "wechat_api_corp_id",
                    "victorops_api_url",
                    "victorops_api_key",
                    "victorops_api_key_file",
                    "telegram_api_url",
                    "webex_api_url"},
                   [&](const YAML::Node&, const std::string& key, const YAML::Node& v) -> Status {
                     if (key == "resolve_timeout") {
                       if (v.IsNull()) {
                         out->resolve_timeout_ms = 0;  // yaml.v2 sets the zero value
                         return Status::Ok();
                       }
                       return ReadDuration(v, &out->resolve_timeout_ms);
                     }
                     if (key == "http_config") {
                       if (v.IsNull()) return Status::Ok();
                       return ParseHttpConfig(v, base_dir, &out->http_config);
                     }
                     if (key == "smtp_require_tls") return ReadBool(v, &out->smtp_require_tls);
                     std::string s;
                     PW_RETURN_IF_ERROR(ReadString(v, &s));
                     if (key == "smtp_smarthost") {
                       Status st = CheckHostPort(s);
                       if (!st.ok()) return ErrAt(v, st.message());
                     } else if (key.ends_with("_url") && !v.IsNull()) {
                       // URL fields: parsed and checked; slack_api_url is a secret URL that may be
                       // "<secret>" (a configuration read back from the API).
                       if (!(key == "slack_api_url" && s == "<secret>")) {
                         auto u = ParseHttpUrl(s);
                         if (!u.ok()) return ErrAt(v, u.status().message());
                       }
                     }
                     if (key == "slack_api_url") slack_api_url = s;
                     if (key == "slack_api_url_file") slack_api_url_file = s;
                     if (key == "opsgenie_api_key") opsgenie_api_key = s;
                     if (key == "opsgenie_api_key_file") opsgenie_api_key_file = s;
                     if (key == "victorops_api_key") victorops_api_key = s;
                     if (key == "victorops_api_key_file") victorops_api_key_file = s;
                     if (key == "smtp_auth_password") smtp_auth_password = s;
                     if (key == "smtp_auth_password_file") smtp_auth_password_file = s;
                     if (key == "smtp_from") out->smtp_from = s;
                     if (key == "smtp_smarthost") out->smtp_smarthost = s;
                     if (key == "smtp_hello") out->smtp_hello = s;
                     if (key == "smtp_auth_username") out->smtp_auth_username = s;
                     if (key == "smtp_auth_secret") out->smtp_auth_secret = s;
                     if (key == "smtp_auth_identity") out->smtp_auth_identity = s;
                     if (key == "pagerduty_url" && !v.IsNull()) out->pagerduty_url = s;
                     return Status::Ok();
                   }));
  // Config.UnmarshalYAML's checks of the global block.
  if (!slack_api_url.empty() && !slack_api_url_file.empty()) {
    return ErrAt(n, "at most one of slack_api_url & slack_api_url_file must be configured");
  }
  if (!opsgenie_api_key.empty() && !opsgenie_api_key_file.empty()) {
    return ErrAt(n, "at most one of opsgenie_api_key & opsgenie_api_key_file must be configured");
  }
  if (!victorops_api_key.empty() && !victorops_api_key_file.empty()) {
    return ErrAt(n, "at most one of victorops_api_key & victorops_api_key_file must be configured");
  }
  if (!smtp_auth_password.empty() && !smtp_auth_password_file.empty()) {
    return ErrAt(n,
                 "at most one of smtp_auth_password & smtp_auth_password_file must be configured");
  }
  out->slack_api_url = slack_api_url;
  out->slack_api_url_file = slack_api_url_file;
  out->smtp_auth_password = smtp_auth_password;
  out->smtp_auth_password_file = smtp_auth_password_file;
  return Status::Ok();
}

// ------------------------------------------------------------------ receivers

struct RawReceiver {
  YAML::Mark mark;
  Receiver receiver;
  std::vector<bool> webhook_has_http_config;
  std::vector<YAML::Mark> pagerduty_marks, slack_marks, email_marks;
};

// Config.UnmarshalYAML's inheritance from the global block for email, Slack and PagerDuty
// configs, plus the secret files read (perfwatch reads them at load time).
Status InheritGlobal(const GlobalConfig& g, const ParseContext& ctx, RawReceiver& r) {
  Receiver& rc = r.receiver;
  const std::string where = "receiver " + GoQuote(rc.name) + ": ";
  for (size_t i = 0; i < rc.email_configs.size(); ++i) {
    EmailConfig& ec = rc.email_configs[i];
    const YAML::Mark& m = r.email_marks[i];
    if (ec.smarthost.empty()) {
      if (g.smtp_smarthost.empty()) return ErrAt(m, "no global SMTP smarthost set");
      ec.smarthost = g.smtp_smarthost;
    }
    if (ec.from.empty()) {
      if (g.smtp_from.empty()) return ErrAt(m, "no global SMTP from set");
      ec.from = g.smtp_from;
    }
    if (ec.hello.empty()) ec.hello = g.smtp_hello;
    if (ec.auth_username.empty()) ec.auth_username = g.smtp_auth_username;
    if (ec.auth_password.empty() && ec.auth_password_file.empty()) {
      ec.auth_password = g.smtp_auth_password;
      ec.auth_password_file = g.smtp_auth_password_file;
    }
    if (ec.auth_secret.empty()) ec.auth_secret = g.smtp_auth_secret;
    if (ec.auth_identity.empty()) ec.auth_identity = g.smtp_auth_identity;
    if (!ec.require_tls_set) ec.require_tls = g.smtp_require_tls;
    if (ec.auth_password.empty() && !ec.auth_password_file.empty()) {
      auto content = ReadConfigFile("auth_password_file", ec.auth_password_file, ctx.base_dir);
      if (!content.ok()) return ErrAt(m, where + "email_configs: " + content.status().message());
      ec.auth_password = std::move(content).value();
    }
  }
  for (size_t i = 0; i < rc.slack_configs.size(); ++i) {
    SlackConfig& sc = rc.slack_configs[i];
    const YAML::Mark& m = r.slack_marks[i];
    if (sc.api_url.empty() && sc.api_url_file.empty()) {
      if (g.slack_api_url.empty() && g.slack_api_url_file.empty()) {
        return ErrAt(m, "no global Slack API URL set either inline or in a file");
      }
      sc.api_url = g.slack_api_url;
      sc.api_url_file = g.slack_api_url_file;
    }
    if (sc.api_url.empty()) {
      auto content = ReadConfigFile("api_url_file", sc.api_url_file, ctx.base_dir);
      if (!content.ok()) return ErrAt(m, where + "slack_configs: " + content.status().message());
      auto u = ParseHttpUrl(*content);
      if (!u.ok()) return ErrAt(m, where + "slack_configs: api_url_file: " + u.status().message());
      sc.api_url = std::move(content).value();
    }
    if (!sc.has_http_config) sc.http_config = g.http_config;
  }
  for (size_t i = 0; i < rc.pagerduty_configs.size(); ++i) {
    PagerdutyConfig& pc = rc.pagerduty_configs[i];
    const YAML::Mark& m = r.pagerduty_marks[i];
    if (pc.url.empty()) pc.url = g.pagerduty_url;
    if (pc.routing_key.empty()) {
      auto content = ReadConfigFile("routing_key_file", pc.routing_key_file, ctx.base_dir);
      if (!content.ok()) return ErrAt(m, where + "pagerduty_configs: " + content.status().message());
      pc.routing_key = std::move(content).value();
    }
    if (!pc.has_http_config) pc.http_config = g.http_config;
  }
  return Status::Ok();
}

// Integrations Alertmanager 0.25 knows and perfwatch does not deliver to yet.
constexpr std::string_view kUnsupportedIntegrations[] = {
    "discord_configs",  "opsgenie_configs", "wechat_configs", "pushover_configs",
    "victorops_configs", "sns_configs",     "telegram_configs", "webex_configs"};

Status ParseWebhook(const YAML::Node& n, std::string_view receiver_name, const ParseContext& ctx,
                    WebhookConfig* out, bool* has_http_config) {
  *out = WebhookConfig{};
  *has_http_config = false;
  std::string url, url_file;
  bool has_url = false;
  YAML::Node url_node;
  PW_RETURN_IF_ERROR(ForEachField(
      n, "config.plain", {"send_resolved", "http_config", "url", "url_file", "max_alerts"},
      [&](const YAML::Node&, const std::string& key, const YAML::Node& v) -> Status {
        if (key == "send_resolved") return ReadBool(v, &out->send_resolved);
        if (key == "max_alerts") return ReadUint64(v, &out->max_alerts);
        if (key == "url_file") return ReadString(v, &url_file);
        if (key == "url") {
          if (v.IsNull()) return Status::Ok();
          PW_RETURN_IF_ERROR(ReadString(v, &url));
          auto parsed = ParseHttpUrl(url);
          if (!parsed.ok()) return ErrAt(v, parsed.status().message());
          has_url = true;
          url_node = v;
          return Status::Ok();
        }
        if (v.IsNull()) return Status::Ok();
        *has_http_config = true;
        return ParseHttpConfig(v, ctx.base_dir, &out->http_config);
      }));
  const std::string where = "receiver " + GoQuote(receiver_name) + ": webhook_configs: ";
  if (!has_url && url_file.empty()) return ErrAt(n, "missing URL in webhook config");
  if (has_url && !url_file.empty()) {
    return ErrAt(n, "at most one of url & url_file must be configured");
  }
  if (!has_url) {
    auto content = ReadConfigFile("webhook url_file", url_file, ctx.base_dir);
    if (!content.ok()) return ErrAt(n, where + content.status().message());
    url = std::move(content).value();
    auto parsed = ParseHttpUrl(url);
    if (!parsed.ok()) {
      return ErrAt(n, where + "url_file " + url_file + ": " + parsed.status().message());
    }
    url_node = n;
  }
  out->url = std::move(url);
  return Status::Ok();
}

Status ParseReceiver(const YAML::Node& n, const ParseContext& ctx, RawReceiver* out) {
  out->mark = n.Mark();
  std::optional<YAML::Node> webhooks;
  PW_RETURN_IF_ERROR(ForEachField(
      n, "config.plain",
      {"name", "discord_configs", "email_configs", "pagerduty_configs", "slack_configs",
       "webhook_configs", "opsgenie_configs", "wechat_configs", "pushover_configs",
       "victorops_configs", "sns_configs", "telegram_configs", "webex_configs"},
      [&](const YAML::Node& k, const std::string& key, const YAML::Node& v) -> Status {
        if (key == "name") return ReadString(v, &out->receiver.name);
        if (v.IsNull()) return Status::Ok();
        if (!v.IsSequence()) return TypeErr(v, "[]*config.plain");
        if (key == "webhook_configs") {
          webhooks = v;
          return Status::Ok();
        }
        if (key == "pagerduty_configs") {
          for (const auto& item : v) {
            PagerdutyConfig c;
            PW_RETURN_IF_ERROR(ParsePagerduty(item, ctx, &c));
            out->receiver.pagerduty_configs.push_back(std::move(c));
            out->pagerduty_marks.push_back(item.Mark());
          }
          return Status::Ok();
        }
        if (key == "slack_configs") {
          for (const auto& item : v) {
            SlackConfig c;
            PW_RETURN_IF_ERROR(ParseSlack(item, ctx, &c));
            out->receiver.slack_configs.push_back(std::move(c));
            out->slack_marks.push_back(item.Mark());
          }
          return Status::Ok();
        }
        if (key == "email_configs") {
          for (const auto& item : v) {
            EmailConfig c;
            PW_RETURN_IF_ERROR(ParseEmail(item, ctx, &c));
            out->receiver.email_configs.push_back(std::move(c));
            out->email_marks.push_back(item.Mark());
          }
          return Status::Ok();
        }
        if (v.size() == 0) return Status::Ok();
        return ErrAt(
            k, "receiver " + GoQuote(out->receiver.name) + ": " + key + " are not supported yet");
      }));
  // Webhooks are decoded once the name is known (for error messages).
  if (webhooks) {
    for (const auto& w : *webhooks) {
      WebhookConfig wh;
      bool has_http_config;
      PW_RETURN_IF_ERROR(ParseWebhook(w, out->receiver.name, ctx, &wh, &has_http_config));
      out->receiver.webhook_configs.push_back(std::move(wh));
      out->webhook_has_http_config.push_back(has_http_config);
    }
  }
  if (out->receiver.name.empty()) return ErrAt(n, "missing name in receiver");
  return Status::Ok();
}

// ------------------------------------------------------------------ inhibit rules

Status ParseInhibitRule(const YAML::Node& n, InhibitRule* out) {
  Matchers source_eq, source_re, target_eq, target_re;
  std::optional<YAML::Node> source_match, target_match;
  PW_RETURN_IF_ERROR(
      ForEachField(n, "config.plain",
                   {"source_match", "source_match_re", "source_matchers", "target_match",
                    "target_match_re", "target_matchers", "equal"},
                   [&](const YAML::Node&, const std::string& key, const YAML::Node& v) -> Status {
                     if (key == "source_match" || key == "target_match") {
                       std::vector<std::pair<std::string, std::string>> pairs;
                       PW_RETURN_IF_ERROR(ReadStringMap(v, "map[string]string", &pairs));
                       (key == "source_match" ? source_match : target_match) = v;
                       return Status::Ok();
                     }
                     if (key == "source_match_re") return ReadMatchReMap(v, &source_re);
                     if (key == "target_match_re") return ReadMatchReMap(v, &target_re);
                     if (key == "source_matchers") return ReadMatcherList(v, &out->source_matchers);
                     if (key == "target_matchers") return ReadMatcherList(v, &out->target_matchers);
                     std::vector<std::string> names;
                     PW_RETURN_IF_ERROR(ReadStringList(v, "model.LabelNames", &names));
                     size_t i = 0;
                     for (const auto& item : v) {
                       if (!IsValidLabelName(names[i])) {
                         return ErrAt(item, GoQuote(names[i]) + " is not a valid label name");
                       }
                       ++i;
                     }
                     out->equal = std::move(names);
                     return Status::Ok();
                   }));
  if (source_match) PW_RETURN_IF_ERROR(ReadMatchMap(*source_match, &source_eq));
  if (target_match) PW_RETURN_IF_ERROR(ReadMatchMap(*target_match, &target_eq));
  // inhibit.NewInhibitRule: legacy equality, legacy regex, then the matchers lists.
  const auto merge = [](Matchers eq, Matchers re, Matchers& list) {
    SortByName(eq);
    SortByName(re);
    Matchers all;
    for (auto& m : eq) all.push_back(std::move(m));
    for (auto& m : re) all.push_back(std::move(m));
    for (auto& m : list) all.push_back(std::move(m));
    list = std::move(all);
  };
  merge(std::move(source_eq), std::move(source_re), out->source_matchers);
  merge(std::move(target_eq), std::move(target_re), out->target_matchers);
  return Status::Ok();
}

// ------------------------------------------------------------------ the whole file

Result<AlertmanagerConfig> ParseConfigNode(const YAML::Node& root, std::string_view base_dir) {
  if (!root || root.IsNull()) return InvalidArgument("no route provided in config");
  ParseContext ctx;
  ctx.base_dir = std::string(base_dir);
  GlobalConfig global;
  std::optional<RawRoute> route;
  std::vector<RawReceiver> receivers;
  std::optional<YAML::Node> escalations;
  AlertmanagerConfig config;
  PW_RETURN_IF_ERROR(
      ForEachField(root, "config.plain",
                   {"global", "route", "inhibit_rules", "receivers", "templates",
                    "mute_time_intervals", "time_intervals", "escalations"},
                   [&](const YAML::Node& k, const std::string& key, const YAML::Node& v) -> Status {
                     if (key == "global") return ParseGlobal(v, ctx.base_dir, &global);
                     if (key == "route") {
                       if (v.IsNull()) return Status::Ok();
                       RawRoute r;
                       PW_RETURN_IF_ERROR(ParseRoute(v, 0, ctx, &r));
                       route = std::move(r);
                       return Status::Ok();
                     }
                     if (key == "receivers") {
                       if (v.IsNull()) return Status::Ok();
                       if (!v.IsSequence()) return TypeErr(v, "[]*config.Receiver");
                       for (const auto& item : v) {
                         RawReceiver r;
                         PW_RETURN_IF_ERROR(ParseReceiver(item, ctx, &r));
                         receivers.push_back(std::move(r));
                       }
                       return Status::Ok();
                     }
                     if (key == "inhibit_rules") {
                       if (v.IsNull()) return Status::Ok();
                       if (!v.IsSequence()) return TypeErr(v, "[]*config.InhibitRule");
                       for (const auto& item : v) {
                         InhibitRule rule;
                         PW_RETURN_IF_ERROR(ParseInhibitRule(item, &rule));
                         config.inhibit_rules.push_back(std::move(rule));
                       }
                       return Status::Ok();
                     }
                     if (key == "templates")
                       return ReadStringList(v, "[]string", &config.templates);
                     if (key == "escalations") {  // perfwatch's; checked with the receivers
                       escalations = v;
                       return Status::Ok();
                     }
                     // time_intervals, mute_time_intervals.
                     if (v.IsNull() || (v.IsSequence() && v.size() == 0)) return Status::Ok();
                     if (!v.IsSequence()) return TypeErr(v, "[]config.TimeInterval");
                     return ErrAt(k, key + " are not supported yet");
                   }));

  // Config.UnmarshalYAML's whole-file checks, in its order.
  std::set<std::string> names;
  for (auto& r : receivers) {
    if (!names.insert(r.receiver.name).second) {
      return ErrAt(r.mark,
                   "notification config name " + GoQuote(r.receiver.name) + " is not unique");
    }
    for (size_t i = 0; i < r.receiver.webhook_configs.size(); ++i) {
      if (!r.webhook_has_http_config[i]) {
        r.receiver.webhook_configs[i].http_config = global.http_config;
      }
    }
    PW_RETURN_IF_ERROR(InheritGlobal(global, ctx, r));
  }
  if (!route) return InvalidArgument("no routes provided");
  if (route->receiver.empty()) {
    return ErrAt(route->mark, "root route must specify a default receiver");
  }
  if (!route->matchers.empty()) return ErrAt(route->mark, "root route must not have any matchers");
  if (route->has_mute_time_intervals) {
    return ErrAt(route->mark, "root route must not have any mute time intervals");
  }
  if (route->has_active_time_intervals) {
    return ErrAt(route->mark, "root route must not have any active time intervals");
  }
  PW_RETURN_IF_ERROR(CheckReceivers(*route, names));
  // perfwatch's escalation policies, then the routes' references to them.
  if (escalations) PW_RETURN_IF_ERROR(ParseEscalations(*escalations, names, &config.escalations));
  PW_RETURN_IF_ERROR(CheckRouteEscalations(*route, config.escalations));
  // config.Load.
  if (route->continue_matching) {
    return ErrAt(route->mark, "cannot have continue in root route");
  }

  {
    auto templates = NotificationTemplates::Load(config.templates, ctx.base_dir);
    if (!templates.ok()) return templates.status();
    config.notification_templates = std::move(templates).value();
  }
  config.resolve_timeout_ms = global.resolve_timeout_ms;
  config.global_http_config = global.http_config;
  config.route = BuildRoute(*route, nullptr, 0);
  config.receivers.reserve(receivers.size());
  for (auto& r : receivers) config.receivers.push_back(std::move(r.receiver));
  return config;
}

}  // namespace
}  // namespace amconfig

Result<AlertmanagerConfig> ParseAlertmanagerConfig(const YAML::Node& node,
                                                   std::string_view base_dir) {
  try {
    return amconfig::ParseConfigNode(node, base_dir);
  } catch (const YAML::Exception& e) {
    return InvalidArgument("invalid YAML: " + std::string(e.what()));
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("alerting configuration: ") + e.what());
  } catch (...) {
    return InvalidArgument("alerting configuration: unknown error");
  }
}

Result<AlertmanagerConfig> ParseAlertmanagerYaml(std::string_view yaml_text,
                                                 std::string_view base_dir) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    std::string msg = e.msg;
    if (e.mark.line >= 0) {
      return InvalidArgument("line " + std::to_string(e.mark.line + 1) + ": invalid YAML: " + msg);
    }
    return InvalidArgument("invalid YAML: " + msg);
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("invalid YAML: ") + e.what());
  } catch (...) {
    return InvalidArgument("invalid YAML");
  }
  return ParseAlertmanagerConfig(root, base_dir);
}

}  // namespace perfwatch::alert
