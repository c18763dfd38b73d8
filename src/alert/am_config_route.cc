// The routing tree of an Alertmanager configuration (config.Route, dispatch.NewRoute):
// matchers as the config writes them (matchers lists, legacy match / match_re maps),
// routes decoded with their checks, then built with inheritance from their parents.
#include <re2/re2.h>

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "alert/am_config_internal.h"
#include "alert/am_format.h"
#include "common/label_validation.h"

namespace perfwatch::alert::amconfig {
namespace {

// Bounds against hostile input (YAML aliases can repeat a subtree exponentially).
constexpr int kMaxRouteDepth = 100;
constexpr size_t kMaxRoutes = 10'000;

// Alertmanager's route defaults (dispatch.DefaultRouteOpts).
constexpr int64_t kDefaultGroupWaitMs = 30'000;
constexpr int64_t kDefaultGroupIntervalMs = 300'000;
constexpr int64_t kDefaultRepeatIntervalMs = 4 * 3600'000;

}  // namespace

// ------------------------------------------------------------------ matchers in the config

// config.Matchers: a list of strings in matcher syntax, each possibly several matchers.
Status ReadMatcherList(const YAML::Node& n, Matchers* out) {
  std::vector<std::string> lines;
  PW_RETURN_IF_ERROR(ReadStringList(n, "[]string", &lines));
  size_t i = 0;
  for (const auto& item : n) {
    auto parsed = ParseMatchers(lines[i++]);
    if (!parsed.ok()) return ErrAt(item, parsed.status().message());
    for (auto& m : *parsed) out->push_back(std::move(m));
  }
  SortMatchers(*out);
  return Status::Ok();
}

// The legacy `match:` map: equality matchers, label names checked (no colons).
Status ReadMatchMap(const YAML::Node& n, Matchers* out) {
  std::vector<std::pair<std::string, std::string>> pairs;
  PW_RETURN_IF_ERROR(ReadStringMap(n, "map[string]string", &pairs));
  for (auto& [name, value] : pairs) {
    if (!IsValidLabelName(name)) return ErrAt(n, "invalid label name " + GoQuote(name));
    PW_ASSIGN_OR_RETURN(auto m, Matcher::Make(name, Matcher::Type::kEqual, value));
    out->push_back(std::move(m));
  }
  return Status::Ok();
}

// The legacy `match_re:` map. Alertmanager compiles "^(?:re)$" and later builds the route's
// matcher from that anchored text, so the matcher's value (and the route key) shows
// `^(?:re)$` and the regex is anchored twice (same language).
Status ReadMatchReMap(const YAML::Node& n, Matchers* out) {
  if (n.IsNull()) return Status::Ok();
  if (!n.IsMap()) return TypeErr(n, "config.plain");
  std::set<std::string> seen;
  for (const auto& kv : n) {
    std::string name, value;
    PW_RETURN_IF_ERROR(ReadString(kv.first, &name));
    if (!seen.insert(name).second) {
      return ErrAt(kv.first, "key " + GoQuote(name) + " already set in map");
    }
    if (!kv.second.IsNull()) {
      PW_RETURN_IF_ERROR(ReadString(kv.second, &value));
      RE2::Options opts;
      opts.set_log_errors(false);
      RE2 check("^(?:" + value + ")$", opts);
      if (!check.ok()) return ErrAt(kv.second, "error parsing regexp: " + check.error());
    }
    if (!IsValidLabelName(name)) return ErrAt(kv.first, "invalid label name " + GoQuote(name));
    if (kv.second.IsNull()) return ErrAt(kv.first, "invalid regexp value for " + GoQuote(name));
    auto m = Matcher::Make(name, Matcher::Type::kRegexp, "^(?:" + value + ")$");
    if (!m.ok()) return ErrAt(kv.second, m.status().message());
    out->push_back(std::move(m).value());
  }
  return Status::Ok();
}

void SortByName(Matchers& ms) {
  std::stable_sort(ms.begin(), ms.end(),
                   [](const Matcher& a, const Matcher& b) { return a.name < b.name; });
}

// ------------------------------------------------------------------ routes

Status ParseRoute(const YAML::Node& n, int depth, ParseContext& ctx, RawRoute* out) {
  if (depth > kMaxRouteDepth) {
    return ErrAt(n, "routes are nested more than " + std::to_string(kMaxRouteDepth) + " deep");
  }
  if (++ctx.routes > kMaxRoutes) {
    return ErrAt(n, "more than " + std::to_string(kMaxRoutes) + " routes");
  }
  out->mark = n.Mark();
  Matchers legacy_eq, legacy_re, matchers;
  std::optional<YAML::Node> match_node;
  std::vector<std::string> group_by_str;
  YAML::Node group_by_node, group_interval_node, repeat_interval_node;
  PW_RETURN_IF_ERROR(ForEachField(
      n, "config.plain",
      {"receiver", "group_by", "match", "match_re", "matchers", "mute_time_intervals",
       "active_time_intervals", "continue", "routes", "group_wait", "group_interval",
       "repeat_interval", "escalation"},
      [&](const YAML::Node& k, const std::string& key, const YAML::Node& v) -> Status {
        if (key == "receiver") return ReadString(v, &out->receiver);
        if (key == "group_by") {
          group_by_node = k;
          return ReadStringList(v, "[]string", &group_by_str);
        }
        if (key == "match") {
          // Names are checked after the whole route is decoded, as Alertmanager does.
          std::vector<std::pair<std::string, std::string>> pairs;
          PW_RETURN_IF_ERROR(ReadStringMap(v, "map[string]string", &pairs));
          match_node = v;
          return Status::Ok();
        }
        if (key == "match_re") return ReadMatchReMap(v, &legacy_re);
        if (key == "matchers") return ReadMatcherList(v, &matchers);
        if (key == "mute_time_intervals" || key == "active_time_intervals") {
          std::vector<std::string> names;
          PW_RETURN_IF_ERROR(ReadStringList(v, "[]string", &names));
          if (names.empty()) return Status::Ok();
          if (depth > 0) return ErrAt(k, "route: " + key + " are not supported yet");
          // On the root route Alertmanager's own error is reported later.
          (key == "mute_time_intervals" ? out->has_mute_time_intervals
                                        : out->has_active_time_intervals) = true;
          return Status::Ok();
        }
        if (key == "continue") return ReadBool(v, &out->continue_matching);
        if (key == "escalation") {  // perfwatch's: a policy of `escalations:` (escalation.h)
          std::string name;
          PW_RETURN_IF_ERROR(ReadString(v, &name));
          out->escalation = std::move(name);
          out->escalation_mark = v.Mark();
          return Status::Ok();
        }
        if (key == "routes") {
          if (v.IsNull()) return Status::Ok();
          if (!v.IsSequence()) return TypeErr(v, "[]*config.Route");
          for (const auto& child : v) {
            RawRoute r;
            PW_RETURN_IF_ERROR(ParseRoute(child, depth + 1, ctx, &r));
            out->routes.push_back(std::move(r));
          }
          return Status::Ok();
        }
        std::optional<int64_t>* target = key == "group_wait"       ? &out->group_wait_ms
                                         : key == "group_interval" ? &out->group_interval_ms
                                                                   : &out->repeat_interval_ms;
        if (key == "group_interval") group_interval_node = k;
        if (key == "repeat_interval") repeat_interval_node = k;
        if (v.IsNull()) {
          target->reset();  // a null pointer: inherited
          return Status::Ok();
        }
        int64_t ms;
        PW_RETURN_IF_ERROR(ReadDuration(v, &ms));
        *target = ms;
        return Status::Ok();
      }));

  // Route.UnmarshalYAML's checks, in its order.
  if (match_node) PW_RETURN_IF_ERROR(ReadMatchMap(*match_node, &legacy_eq));
  for (const auto& name : group_by_str) {
    if (name == "...") {
      out->group_by_all = true;
    } else {
      if (!IsValidLabelName(name)) {
        return ErrAt(group_by_node, "invalid label name " + GoQuote(name) + " in group_by list");
      }
      out->group_by_set = true;
      out->group_by.push_back(name);
    }
  }
  if (out->group_by_set && out->group_by_all) {
    return ErrAt(group_by_node,
                 "cannot have wildcard group_by (`...`) and other other labels at the same time");
  }
  {
    std::set<std::string> seen;
    for (const auto& name : out->group_by) {
      if (!seen.insert(name).second) {
        return ErrAt(group_by_node, "duplicated label " + GoQuote(name) + " in group_by");
      }
    }
  }
  if (out->group_interval_ms && *out->group_interval_ms == 0) {
    return ErrAt(group_interval_node, "group_interval cannot be zero");
  }
  if (out->repeat_interval_ms && *out->repeat_interval_ms == 0) {
    return ErrAt(repeat_interval_node, "repeat_interval cannot be zero");
  }
  // dispatch.NewRoute: match, then match_re, then matchers, all sorted together.
  for (auto& m : legacy_eq) out->matchers.push_back(std::move(m));
  for (auto& m : legacy_re) out->matchers.push_back(std::move(m));
  for (auto& m : matchers) out->matchers.push_back(std::move(m));
  SortMatchers(out->matchers);
  return Status::Ok();
}

// dispatch.NewRoute: options inherited from the parent, or Alertmanager's defaults.
Route BuildRoute(RawRoute& raw, const Route* parent, int index) {
  Route r;
  if (parent != nullptr) {
    r.receiver = parent->receiver;
    r.group_by = parent->group_by;
    r.group_by_all = parent->group_by_all;
    r.group_wait_ms = parent->group_wait_ms;
    r.group_interval_ms = parent->group_interval_ms;
    r.repeat_interval_ms = parent->repeat_interval_ms;
    r.escalation = parent->escalation;
  } else {
    r.group_wait_ms = kDefaultGroupWaitMs;
    r.group_interval_ms = kDefaultGroupIntervalMs;
    r.repeat_interval_ms = kDefaultRepeatIntervalMs;
  }
  if (!raw.receiver.empty()) r.receiver = raw.receiver;
  if (raw.group_by_set) {
    r.group_by = raw.group_by;
    std::sort(r.group_by.begin(), r.group_by.end());
    r.group_by_all = false;
  } else if (raw.group_by_all) {
    // Alertmanager keeps the parent's names beside GroupByAll, which then wins; the
    // names are dropped here so that group_by is empty whenever group_by_all is set.
    r.group_by_all = true;
    r.group_by.clear();
  }
  if (raw.group_wait_ms) r.group_wait_ms = *raw.group_wait_ms;
  if (raw.group_interval_ms) r.group_interval_ms = *raw.group_interval_ms;
  if (raw.repeat_interval_ms) r.repeat_interval_ms = *raw.repeat_interval_ms;
  if (raw.escalation) r.escalation = *raw.escalation;
  r.matchers = std::move(raw.matchers);
  r.continue_matching = raw.continue_matching;
  r.index = index;
  r.key = parent != nullptr ? parent->key + "/" + MatchersToString(r.matchers)
                            : MatchersToString(r.matchers);
  r.routes.reserve(raw.routes.size());
  for (size_t i = 0; i < raw.routes.size(); ++i) {
    r.routes.push_back(BuildRoute(raw.routes[i], &r, static_cast<int>(i)));
  }
  return r;
}

// config.checkReceiver: children first, then the node itself.
Status CheckReceivers(const RawRoute& r, const std::set<std::string>& names) {
  for (const auto& child : r.routes) PW_RETURN_IF_ERROR(CheckReceivers(child, names));
  if (r.receiver.empty()) return Status::Ok();
  if (!names.count(r.receiver)) {
    return ErrAt(r.mark, "undefined receiver " + GoQuote(r.receiver) + " used in route");
  }
  return Status::Ok();
}

}  // namespace perfwatch::alert::amconfig
