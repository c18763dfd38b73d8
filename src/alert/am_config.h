#pragma once
// The notification side's configuration: an Alertmanager 0.25 configuration file as it is
// (given under `alerting:` in perfwatch's YAML, or as a file of its own), parsed into
// plain values with Alertmanager's defaults and inheritance applied, plus label matchers
// and the routing tree's matching. Reference: Alertmanager's config/config.go,
// dispatch/route.go, pkg/labels/parse.go. Accepted keys, what is refused and the exact
// errors: docs/alertmanager-config.md.
//
// Defaults (Alertmanager's): global.resolve_timeout 5m; route group_wait 30s,
// group_interval 5m, repeat_interval 4h; webhook send_resolved true, max_alerts 0.
// Children inherit receiver, group_by, group_wait, group_interval and repeat_interval
// (and perfwatch's `escalation`) from their parent when they do not set them. perfwatch's
// extension `escalations:` (policies; escalation.h) is checked after the receivers.
//
// Thread safety: plain values and pure functions. A parsed config is immutable and may be
// shared (shared_ptr<const AlertmanagerConfig>) between threads.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <re2/re2.h>

#include "alert/alert.h"
#include "common/status.h"

namespace YAML {
class Node;
}

namespace perfwatch::alert {

class NotificationTemplates;  // notify_template.h

// One label matcher: name, type (= != =~ !~) and value. Regexes are fully anchored, as in
// Alertmanager (and Prometheus).
struct Matcher {
  enum class Type { kEqual, kNotEqual, kRegexp, kNotRegexp };
  std::string name;
  Type type = Type::kEqual;
  std::string value;
  std::shared_ptr<const re2::RE2> re;  // for kRegexp / kNotRegexp

  static Result<Matcher> Make(std::string name, Type type, std::string value);
  // A missing label matches as the empty value (Alertmanager's semantics).
  bool Matches(std::string_view label_value) const;
  // Alertmanager 0.25's Matcher.String(): name, operator, value in double quotes with
  // OpenMetrics escaping (only \\, \n and \" are escaped; not Go's %q): `job="a\"b"`.
  std::string ToString() const;
};
using Matchers = std::vector<Matcher>;

// True when every matcher matches `labels`.
bool MatchesAll(const Matchers& matchers, const LabelSet& labels);
// Alertmanager's Matchers.String(): "{" + matchers joined by "," + "}".
std::string MatchersToString(const Matchers& matchers);
// Alertmanager's sort order for a route's matchers (name, then value, then type).
void SortMatchers(Matchers& matchers);

// Parses one matcher in Alertmanager's syntax: `name="value"`, `name=~"re"`, unquoted
// `name=value`, `name!=value`; and a list `{a="b", c=~"d"}` or `a="b",c=~"d"` (the form of
// `matchers:` entries, amtool and the v2 API's filter parameter).
Result<Matcher> ParseMatcher(std::string_view text);
Result<Matchers> ParseMatchers(std::string_view text);

struct HttpClientConfig {
  std::string bearer_token;         // Authorization: Bearer (bearer_token, bearer_token_file,
                                    // or authorization: {type: Bearer, credentials})
  std::string authorization_type = "Bearer";  // unless authorization.type says otherwise
  std::string basic_auth_username;  // basic_auth: {username, password, password_file}
  std::string basic_auth_password;
  bool has_basic_auth = false;
  bool follow_redirects = true;
  std::string proxy_url;            // refused when set (no proxy support yet)
  // tls_config, for https:// URLs (paths made absolute against the config's directory).
  std::string tls_ca_file;           // empty: the system's trusted certificates
  std::string tls_cert_file;         // client certificate (mTLS), with tls_key_file
  std::string tls_key_file;
  std::string tls_server_name;       // SNI and the name to verify; empty: the URL's host
  bool tls_insecure_skip_verify = false;
  bool has_tls_config = false;       // tls_config was given
};

struct WebhookConfig {
  std::string url;  // http://host[:port]/path (url or url_file)
  bool send_resolved = true;
  uint64_t max_alerts = 0;  // 0: all
  HttpClientConfig http_config;
  int64_t timeout_ms = 10'000;  // perfwatch's: per attempt (Alertmanager has none per receiver)
};

// pagerduty_configs (Events API v2). Template fields are notification templates
// (notify_template.h); defaults as Alertmanager's DefaultPagerdutyConfig.
struct PagerdutyConfig {
  bool send_resolved = true;
  HttpClientConfig http_config;
  bool has_http_config = false;
  std::string routing_key;  // secret; routing_key or routing_key_file (read at parse time)
  std::string routing_key_file;
  std::string url = "https://events.pagerduty.com/v2/enqueue";  // or global.pagerduty_url
  std::string client = R"({{ template "pagerduty.default.client" . }})";
  std::string client_url = R"({{ template "pagerduty.default.clientURL" . }})";
  std::string description = R"({{ template "pagerduty.default.description" .}})";
  std::vector<std::pair<std::string, std::string>> details;  // sorted; defaults merged in
  struct Image { std::string src, alt, href; };
  struct Link { std::string href, text; };
  std::vector<Image> images;
  std::vector<Link> links;
  std::string source;    // default: client
  std::string severity;  // "" -> the severity label's mapping, else "error"
  std::string class_, component, group;
  int64_t timeout_ms = 10'000;
};

// slack_configs (incoming webhooks); defaults as Alertmanager's DefaultSlackConfig.
struct SlackConfig {
  bool send_resolved = false;
  HttpClientConfig http_config;
  bool has_http_config = false;
  std::string api_url;  // secret; api_url, api_url_file or global.slack_api_url(_file)
  std::string api_url_file;
  std::string channel;
  std::string username = R"({{ template "slack.default.username" . }})";
  std::string color;  // "" -> severity colour or {{ if eq .Status "firing" }}danger{{ else }}good{{ end }}
  bool color_set = false;
  std::string title = R"({{ template "slack.default.title" . }})";
  std::string title_link = R"({{ template "slack.default.titlelink" . }})";
  std::string pretext = R"({{ template "slack.default.pretext" . }})";
  std::string text = R"({{ template "slack.default.text" . }})";
  struct Field { std::string title, value; int short_ = -1; };  // short_: -1 unset
  std::vector<Field> fields;
  bool short_fields = false;
  std::string footer = R"({{ template "slack.default.footer" . }})";
  std::string fallback = R"({{ template "slack.default.fallback" . }})";
  std::string callback_id = R"({{ template "slack.default.callbackid" . }})";
  std::string icon_emoji = R"({{ template "slack.default.iconemoji" . }})";
  std::string icon_url = R"({{ template "slack.default.iconurl" . }})";
  std::string image_url, thumb_url;
  bool link_names = false;
  std::vector<std::string> mrkdwn_in;
  int64_t timeout_ms = 10'000;
};

// email_configs; defaults as Alertmanager's DefaultEmailConfig, with global.smtp_*.
struct EmailConfig {
  bool send_resolved = false;
  std::string to, from, hello;
  std::string smarthost;  // host:port
  std::string auth_username, auth_password /* secret */, auth_password_file, auth_secret,
      auth_identity;
  std::vector<std::pair<std::string, std::string>> headers;  // canonical keys, sorted
  std::string html = R"({{ template "email.default.html" . }})";
  std::string text;
  bool require_tls = true;
  bool require_tls_set = false;
  std::string tls_ca_file, tls_server_name;
  bool tls_insecure_skip_verify = false;
  int64_t timeout_ms = 30'000;
};

struct Receiver {
  std::string name;
  std::vector<WebhookConfig> webhook_configs;
  std::vector<PagerdutyConfig> pagerduty_configs;
  std::vector<SlackConfig> slack_configs;
  std::vector<EmailConfig> email_configs;
  // Other Alertmanager integrations (opsgenie_configs, ...) are refused at parse time,
  // naming the key.
};

// A node of the routing tree, with inherited options resolved.
struct Route {
  std::string receiver;
  std::vector<std::string> group_by;  // label names, sorted; empty with group_by_all
  bool group_by_all = false;          // group_by: ['...']
  Matchers matchers;                  // match, match_re and matchers merged, sorted
  bool continue_matching = false;     // `continue`
  int64_t group_wait_ms = 30'000;
  int64_t group_interval_ms = 300'000;
  int64_t repeat_interval_ms = 4 * 3600'000;
  std::vector<Route> routes;
  // perfwatch's `escalation: NAME` (a policy of AlertmanagerConfig::escalations; empty:
  // none). Inherited by children that do not set it; `escalation: ""` turns it off.
  std::string escalation;
  std::string key;  // Alertmanager's Route.Key(): parent key + "/" + MatchersToString
  int index = 0;    // Alertmanager's route ID suffix: position among siblings

  // Alertmanager's Route.Match: the routes an alert with `labels` goes to (depth-first,
  // `continue` honoured; the node itself when no child matches).
  std::vector<const Route*> Match(const LabelSet& labels) const;
};

struct InhibitRule {
  Matchers source_matchers;  // source_matchers plus legacy source_match / source_match_re
  Matchers target_matchers;
  std::vector<std::string> equal;
};

// perfwatch's escalation policies (`escalations:`, escalation.h, docs/notifications.md):
// steps with strictly increasing delays from the alert's startsAt, each naming receivers;
// the whole chain runs 1 + repeat times.
struct EscalationStep {
  int64_t after_ms = 0;
  std::vector<std::string> receivers;
};
struct EscalationPolicy {
  std::string name;
  std::vector<EscalationStep> steps;  // at least one
  uint64_t repeat = 0;
};

struct AlertmanagerConfig {
  int64_t resolve_timeout_ms = 5 * 60'000;  // global.resolve_timeout
  HttpClientConfig global_http_config;       // global.http_config (receivers inherit it)
  Route route;
  std::vector<Receiver> receivers;
  std::vector<InhibitRule> inhibit_rules;
  std::vector<EscalationPolicy> escalations;  // sorted by name
  std::vector<std::string> templates;  // template file globs, loaded at parse time
  // The default templates plus the `templates:` files (never null after parsing).
  std::shared_ptr<const NotificationTemplates> notification_templates;

  const Receiver* FindReceiver(std::string_view name) const;
  const EscalationPolicy* FindEscalation(std::string_view name) const;
};

// Parses an Alertmanager configuration. Errors are InvalidArgument with a line number
// when one is known: "line 12: route: receiver \"x\" does not exist". Checks what
// Alertmanager checks (root route has a receiver and no matchers, every receiver named
// by a route exists, receiver names unique, group_by has no duplicates, '...' alone) and
// refuses clearly what perfwatch does not do yet (time intervals, non-webhook integrations).
// Files named by the configuration (url_file, bearer_token_file, password_file,
// credentials_file) are read at parse time; relative paths are taken relative to
// `base_dir` (the directory of the configuration file) when it is not empty. Never throws.
Result<AlertmanagerConfig> ParseAlertmanagerConfig(const YAML::Node& node,
                                                   std::string_view base_dir = {});
Result<AlertmanagerConfig> ParseAlertmanagerYaml(std::string_view yaml_text,
                                                 std::string_view base_dir = {});
// The configuration used when perfwatch's YAML has no `alerting:` key: a root route to a
// receiver "default" with no integrations (alerts are kept and listed, nothing is sent).
AlertmanagerConfig DefaultAlertmanagerConfig();

}  // namespace perfwatch::alert
