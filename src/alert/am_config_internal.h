#pragma once
// Internal to the Alertmanager configuration parser (am_config*.cc), not for other code:
// the strict yaml.v2-style value readers (am_config_yaml.cc), the HTTP client
// configuration and URL checks (am_config_http.cc), and the routing tree's raw form
// (am_config_route.cc). Errors are InvalidArgument with "line N: " prefixes and
// Alertmanager's messages.
// Thread safety: pure functions over immutable inputs.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alert/am_config.h"
#include "common/status.h"

namespace perfwatch::alert::amconfig {

// ------------------------------------------------------------------ YAML values
// (am_config_yaml.cc)

// InvalidArgument("line N: msg") at `n`'s position (no prefix when it has none).
Status ErrAt(const YAML::Node& n, std::string_view msg);
// For errors found after decoding: the raw structs keep marks, never nodes (assigning to
// a yaml-cpp node that is bound rewrites the document).
Status ErrAt(const YAML::Mark& mark, std::string_view msg);
// "cannot unmarshal !!seq `x` into <into>", as yaml.v2 words it.
Status TypeErr(const YAML::Node& n, std::string_view into);

// A string field: any scalar's text (yaml.v2 decodes 1, true, 1.5 into strings); null is "".
Status ReadString(const YAML::Node& n, std::string* out);
// yaml.v2 booleans (y/yes/on/true, n/no/off/false in their cases); null is false.
Status ReadBool(const YAML::Node& n, bool* out);
// A non-negative integer in yaml.v2's syntax (0x, 0o, 0b, underscores); null is 0.
Status ReadUint64(const YAML::Node& n, uint64_t* out);
// A list of strings; null is empty. `type_name` is the Go type for type errors.
Status ReadStringList(const YAML::Node& n, std::string_view type_name,
                      std::vector<std::string>* out);
// Calls `fn(key_node, key, value)` for each entry of a mapping decoded strictly into
// `type_name`: unknown keys ("field x not found in type config.plain") and repeated keys
// are errors. A null node has no entries.
Status ForEachField(
    const YAML::Node& n, std::string_view type_name, std::initializer_list<std::string_view> known,
    const std::function<Status(const YAML::Node&, const std::string&, const YAML::Node&)>& fn);
// A map[string]string, in document order; repeated keys are errors.
Status ReadStringMap(const YAML::Node& n, std::string_view type_name,
                     std::vector<std::pair<std::string, std::string>>* out);
// A model.Duration string ("5m", "1h30m").
Status ReadDuration(const YAML::Node& n, int64_t* ms);

// ------------------------------------------------------------------ HTTP (am_config_http.cc)

struct ParsedUrl {
  std::string scheme;  // lower case
  std::string host;    // without port
};

// The checks of Go's url.Parse that matter here, then Alertmanager's parseURL: the scheme
// is http or https and the host is not empty.
Result<ParsedUrl> ParseHttpUrl(std::string_view s);

// Go's net.SplitHostPort as HostPort.UnmarshalYAML uses it (empty is allowed).
Status CheckHostPort(std::string_view s);

// Reads a small regular file named by the configuration (relative to `base_dir`),
// trimmed of surrounding spaces. FIFOs, devices and files over 1 MiB are refused.
Result<std::string> ReadConfigFile(std::string_view what, const std::string& path,
                                   std::string_view base_dir);

// prometheus/common's HTTPClientConfig: decoded, validated as its Validate() does, and
// with the credential files read (relative to `base_dir`).
Status ParseHttpConfig(const YAML::Node& n, std::string_view base_dir, HttpClientConfig* out);

// ------------------------------------------------------------------ routes (am_config_route.cc)

// config.Matchers: a list of strings in matcher syntax, each possibly several matchers.
Status ReadMatcherList(const YAML::Node& n, Matchers* out);
// The legacy `match:` map: equality matchers, label names checked.
Status ReadMatchMap(const YAML::Node& n, Matchers* out);
// The legacy `match_re:` map: anchored regex matchers.
Status ReadMatchReMap(const YAML::Node& n, Matchers* out);
// Stable sort by label name only.
void SortByName(Matchers& ms);

// A route as written, before inheritance.
struct RawRoute {
  YAML::Mark mark;
  std::string receiver;
  bool group_by_set = false;  // group_by names other than '...' (AM: GroupBy != nil)
  std::vector<std::string> group_by;
  bool group_by_all = false;
  Matchers matchers;  // match, match_re and matchers merged and sorted
  bool continue_matching = false;
  std::optional<int64_t> group_wait_ms, group_interval_ms, repeat_interval_ms;
  bool has_mute_time_intervals = false;
  bool has_active_time_intervals = false;
  std::optional<std::string> escalation;  // perfwatch's `escalation:` (set, even empty)
  YAML::Mark escalation_mark;
  std::vector<RawRoute> routes;
};

// State shared by the whole parse: the directory relative files are read from, and the
// number of routes so far (bounded against YAML alias bombs).
struct ParseContext {
  std::string base_dir;
  size_t routes = 0;
};

// Receivers' integrations (am_config_receivers.cc): decoded and checked as
// config/notifiers.go's UnmarshalYAML does; global inheritance is the caller's.
Status ParsePagerduty(const YAML::Node& n, const ParseContext& ctx, PagerdutyConfig* out);
Status ParseSlack(const YAML::Node& n, const ParseContext& ctx, SlackConfig* out);
Status ParseEmail(const YAML::Node& n, const ParseContext& ctx, EmailConfig* out);

// Decodes one route and its children (depth 0 is the root).
Status ParseRoute(const YAML::Node& n, int depth, ParseContext& ctx, RawRoute* out);
// dispatch.NewRoute: options inherited from the parent (nullptr for the root), or
// Alertmanager's defaults.
Route BuildRoute(RawRoute& raw, const Route* parent, int index);
// config.checkReceiver: every receiver a route names is in `names`.
Status CheckReceivers(const RawRoute& r, const std::set<std::string>& names);

// ------------------------------------------------------------------ escalations
// (escalation.cc)

// perfwatch's `escalations:` map, decoded and checked (keys, steps, strictly increasing
// `after`, receivers named in `receivers`); sorted by name.
Status ParseEscalations(const YAML::Node& n, const std::set<std::string>& receivers,
                        std::vector<EscalationPolicy>* out);
// Every `escalation:` a route sets names a policy in `policies` (or is empty).
Status CheckRouteEscalations(const RawRoute& r, const std::vector<EscalationPolicy>& policies);

}  // namespace perfwatch::alert::amconfig
