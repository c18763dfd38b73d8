// pagerduty_configs, slack_configs and email_configs (Alertmanager 0.25's
// config/notifiers.go: PagerdutyConfig, SlackConfig, EmailConfig and their
// UnmarshalYAML checks), decoded strictly into am_config.h's structs. Inheritance from
// the global block is applied later by the caller (am_config.cc), as Config.UnmarshalYAML
// does.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "alert/am_config_internal.h"
#include "alert/am_format.h"

namespace perfwatch::alert::amconfig {
namespace {

Status CheckUrlField(const YAML::Node& v, const std::string& s) {
  if (s == "<secret>") return Status::Ok();
  auto u = ParseHttpUrl(s);
  if (!u.ok()) return ErrAt(v, u.status().message());
  return Status::Ok();
}

// textproto.CanonicalMIMEHeaderKey for valid header names.
std::string CanonicalHeaderKey(std::string_view k) {
  std::string out(k);
  bool upper = true;
  for (char& c : out) {
    if (c == ' ' || static_cast<unsigned char>(c) > 127) return std::string(k);
  }
  for (char& c : out) {
    if (upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (!upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    upper = c == '-';
  }
  return out;
}

}  // namespace

Status ParsePagerduty(const YAML::Node& n, const ParseContext& ctx, PagerdutyConfig* out) {
  *out = PagerdutyConfig{};
  std::string service_key, service_key_file;
  bool url_set = false;
  bool details_set = false;
  PW_RETURN_IF_ERROR(ForEachField(
      n, "config.plain",
      {"send_resolved", "http_config", "service_key", "service_key_file", "routing_key",
       "routing_key_file", "url", "client", "client_url", "description", "details", "images",
       "links", "source", "severity", "class", "component", "group"},
      [&](const YAML::Node&, const std::string& key, const YAML::Node& v) -> Status {
        if (key == "send_resolved") return ReadBool(v, &out->send_resolved);
        if (key == "http_config") {
          if (v.IsNull()) return Status::Ok();
          out->has_http_config = true;
          return ParseHttpConfig(v, ctx.base_dir, &out->http_config);
        }
        if (key == "details") {
          details_set = true;
          return ReadStringMap(v, "map[string]string", &out->details);
        }
        if (key == "images" || key == "links") {
          if (v.IsNull()) return Status::Ok();
          if (!v.IsSequence()) return TypeErr(v, key == "images" ? "[]config.PagerdutyImage"
                                                                 : "[]config.PagerdutyLink");
          for (const auto& item : v) {
            if (key == "images") {
              PagerdutyConfig::Image img;
              PW_RETURN_IF_ERROR(ForEachField(
                  item, "config.PagerdutyImage", {"src", "alt", "href"},
                  [&](const YAML::Node&, const std::string& k2, const YAML::Node& v2) {
                    return ReadString(v2, k2 == "src" ? &img.src : k2 == "alt" ? &img.alt : &img.href);
                  }));
              out->images.push_back(std::move(img));
            } else {
              PagerdutyConfig::Link link;
              PW_RETURN_IF_ERROR(ForEachField(
                  item, "config.PagerdutyLink", {"href", "text"},
                  [&](const YAML::Node&, const std::string& k2, const YAML::Node& v2) {
                    return ReadString(v2, k2 == "href" ? &link.href : &link.text);
                  }));
              out->links.push_back(std::move(link));
            }
          }
          return Status::Ok();
        }
        std::string s;
        PW_RETURN_IF_ERROR(ReadString(v, &s));
        if (key == "service_key") service_key = s;
        else if (key == "service_key_file") service_key_file = s;
        else if (key == "routing_key") out->routing_key = s;
        else if (key == "routing_key_file") out->routing_key_file = s;
        else if (key == "url") {
          if (v.IsNull()) return Status::Ok();
          PW_RETURN_IF_ERROR(CheckUrlField(v, s));
          out->url = s;
          url_set = true;
        } else if (key == "client") out->client = s;
        else if (key == "client_url") out->client_url = s;
        else if (key == "description") out->description = s;
        else if (key == "source") out->source = s;
        else if (key == "severity") out->severity = s;
        else if (key == "class") out->class_ = s;
        else if (key == "component") out->component = s;
        else if (key == "group") out->group = s;
        return Status::Ok();
      }));
  (void)details_set;
  if (out->routing_key.empty() && service_key.empty() && out->routing_key_file.empty() &&
      service_key_file.empty()) {
    return ErrAt(n, "missing service or routing key in PagerDuty config");
  }
  if (!out->routing_key.empty() && !out->routing_key_file.empty()) {
    return ErrAt(n, "at most one of routing_key & routing_key_file must be configured");
  }
  if (!service_key.empty() && !service_key_file.empty()) {
    return ErrAt(n, "at most one of service_key & service_key_file must be configured");
  }
  if (!service_key.empty() || !service_key_file.empty()) {
    return ErrAt(n,
                 "service_key: PagerDuty's Events API v1 is not supported (use routing_key, "
                 "Events API v2)");
  }
  if (out->source.empty()) out->source = out->client;
  // DefaultPagerdutyDetails fill the names the config does not set.
  const std::pair<const char*, const char*> kDefaults[] = {
      {"firing", R"({{ template "pagerduty.default.instances" .Alerts.Firing }})"},
      {"num_firing", "{{ .Alerts.Firing | len }}"},
      {"num_resolved", "{{ .Alerts.Resolved | len }}"},
      {"resolved", R"({{ template "pagerduty.default.instances" .Alerts.Resolved }})"}};
  for (const auto& def : kDefaults) {
    const std::string_view name = def.first;  // not a structured binding: clang 14 cannot capture one
    if (std::none_of(out->details.begin(), out->details.end(),
                     [&](const auto& p) { return p.first == name; })) {
      out->details.emplace_back(def.first, def.second);
    }
  }
  std::sort(out->details.begin(), out->details.end());
  if (!url_set) out->url.clear();  // global.pagerduty_url applies (set by the caller)
  return Status::Ok();
}

Status ParseSlack(const YAML::Node& n, const ParseContext& ctx, SlackConfig* out) {
  *out = SlackConfig{};
  PW_RETURN_IF_ERROR(ForEachField(
      n, "config.plain",
      {"send_resolved", "http_config", "api_url", "api_url_file", "channel", "username", "color",
       "title", "title_link", "pretext", "text", "fields", "short_fields", "footer", "fallback",
       "callback_id", "icon_emoji", "icon_url", "image_url", "thumb_url", "link_names",
       "mrkdwn_in", "actions"},
      [&](const YAML::Node& k, const std::string& key, const YAML::Node& v) -> Status {
        if (key == "send_resolved") return ReadBool(v, &out->send_resolved);
        if (key == "short_fields") return ReadBool(v, &out->short_fields);
        if (key == "link_names") return ReadBool(v, &out->link_names);
        if (key == "http_config") {
          if (v.IsNull()) return Status::Ok();
          out->has_http_config = true;
          return ParseHttpConfig(v, ctx.base_dir, &out->http_config);
        }
        if (key == "mrkdwn_in") return ReadStringList(v, "[]string", &out->mrkdwn_in);
        if (key == "actions") {
          if (v.IsNull() || (v.IsSequence() && v.size() == 0)) return Status::Ok();
          return ErrAt(k, "slack_configs: actions are not supported yet (interactive buttons need "
                          "a Slack app, not an incoming webhook)");
        }
        if (key == "fields") {
          if (v.IsNull()) return Status::Ok();
          if (!v.IsSequence()) return TypeErr(v, "[]*config.SlackField");
          for (const auto& item : v) {
            SlackConfig::Field f;
            PW_RETURN_IF_ERROR(ForEachField(
                item, "config.plain", {"title", "value", "short"},
                [&](const YAML::Node&, const std::string& k2, const YAML::Node& v2) -> Status {
                  if (k2 == "short") {
                    bool b = false;
                    PW_RETURN_IF_ERROR(ReadBool(v2, &b));
                    f.short_ = b ? 1 : 0;
                    return Status::Ok();
                  }
                  return ReadString(v2, k2 == "title" ? &f.title : &f.value);
                }));
            if (f.title.empty()) return ErrAt(item, "missing title in Slack field configuration");
            if (f.value.empty()) return ErrAt(item, "missing value in Slack field configuration");
            out->fields.push_back(std::move(f));
          }
          return Status::Ok();
        }
        std::string s;
        PW_RETURN_IF_ERROR(ReadString(v, &s));
        if (key == "api_url") {
          if (v.IsNull()) return Status::Ok();
          PW_RETURN_IF_ERROR(CheckUrlField(v, s));
          out->api_url = s;
        } else if (key == "api_url_file") out->api_url_file = s;
        else if (key == "channel") out->channel = s;
        else if (key == "username") out->username = s;
        else if (key == "color") {
          out->color = s;
          out->color_set = !s.empty();
        } else if (key == "title") out->title = s;
        else if (key == "title_link") out->title_link = s;
        else if (key == "pretext") out->pretext = s;
        else if (key == "text") out->text = s;
        else if (key == "footer") out->footer = s;
        else if (key == "fallback") out->fallback = s;
        else if (key == "callback_id") out->callback_id = s;
        else if (key == "icon_emoji") out->icon_emoji = s;
        else if (key == "icon_url") out->icon_url = s;
        else if (key == "image_url") out->image_url = s;
        else if (key == "thumb_url") out->thumb_url = s;
        return Status::Ok();
      }));
  if (!out->api_url.empty() && !out->api_url_file.empty()) {
    return ErrAt(n, "at most one of api_url & api_url_file must be configured");
  }
  return Status::Ok();
}

Status ParseEmail(const YAML::Node& n, const ParseContext& ctx, EmailConfig* out) {
  *out = EmailConfig{};
  std::vector<std::pair<std::string, std::string>> headers;
  YAML::Node headers_node;
  PW_RETURN_IF_ERROR(ForEachField(
      n, "config.plain",
      {"send_resolved", "to", "from", "hello", "smarthost", "auth_username", "auth_password",
       "auth_password_file", "auth_secret", "auth_identity", "headers", "html", "text",
       "require_tls", "tls_config"},
      [&](const YAML::Node&, const std::string& key, const YAML::Node& v) -> Status {
        if (key == "send_resolved") return ReadBool(v, &out->send_resolved);
        if (key == "require_tls") {
          if (v.IsNull()) return Status::Ok();
          out->require_tls_set = true;
          return ReadBool(v, &out->require_tls);
        }
        if (key == "headers") {
          headers_node = v;
          return ReadStringMap(v, "map[string]string", &headers);
        }
        if (key == "tls_config") {
          return ForEachField(
              v, "config.plain",
              {"ca_file", "cert_file", "key_file", "server_name", "insecure_skip_verify",
               "min_version", "max_version", "ca", "cert", "key"},
              [&](const YAML::Node& k2n, const std::string& k2, const YAML::Node& v2) -> Status {
                if (k2 == "insecure_skip_verify") return ReadBool(v2, &out->tls_insecure_skip_verify);
                if (k2 == "ca_file") return ReadString(v2, &out->tls_ca_file);
                if (k2 == "server_name") return ReadString(v2, &out->tls_server_name);
                std::string ignored;
                PW_RETURN_IF_ERROR(ReadString(v2, &ignored));
                if (ignored.empty()) return Status::Ok();
                return ErrAt(k2n, "email_configs: tls_config: " + k2 + " is not supported yet");
              });
        }
        std::string s;
        PW_RETURN_IF_ERROR(ReadString(v, &s));
        if (key == "to") out->to = s;
        else if (key == "from") out->from = s;
        else if (key == "hello") out->hello = s;
        else if (key == "smarthost") {
          Status st = CheckHostPort(s);
          if (!st.ok()) return ErrAt(v, st.message());
          out->smarthost = s;
        } else if (key == "auth_username") out->auth_username = s;
        else if (key == "auth_password") out->auth_password = s;
        else if (key == "auth_password_file") out->auth_password_file = s;
        else if (key == "auth_secret") out->auth_secret = s;
        else if (key == "auth_identity") out->auth_identity = s;
        else if (key == "html") out->html = s;
        else if (key == "text") out->text = s;
        return Status::Ok();
      }));
  if (out->to.empty()) return ErrAt(n, "missing to address in email config");
  for (auto& [k, v] : headers) {
    std::string canon = CanonicalHeaderKey(k);
    if (std::any_of(out->headers.begin(), out->headers.end(),
                    [&](const auto& p) { return p.first == canon; })) {
      return ErrAt(headers_node, "duplicate header " + GoQuote(canon) + " in email config");
    }
    out->headers.emplace_back(std::move(canon), v);
  }
  std::sort(out->headers.begin(), out->headers.end());
  (void)ctx;
  return Status::Ok();
}

}  // namespace perfwatch::alert::amconfig
