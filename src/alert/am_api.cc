// Alertmanager API v2 handlers (alerts, alert groups, status, receivers). The body
// parser is in am_post.cc. Contract: am_api.h, alertmanager.h.
#include "alert/am_api.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>

#include "alert/alertmanager_impl.h"
#include "alert/integrations.h"
#include "alert/am_format.h"
#include "common/log.h"

namespace perfwatch::alert {
namespace {

// go-openapi's swag.ConvertBool: these values are true, anything else false.
bool ParseBoolParam(const http::Request& req, std::string_view name) {
  std::optional<std::string> v = req.Param(name);
  if (!v) return true;  // every flag defaults to true
  std::string lower = *v;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view t :
       {"true", "1", "yes", "ok", "y", "on", "selected", "checked", "t", "enabled"}) {
    if (lower == t) return true;
  }
  return false;
}

struct AlertFilter {
  Matchers matchers;
  std::unique_ptr<re2::RE2> receiver;  // anchored
  bool active = true;
  bool silenced = true;
  bool inhibited = true;
};

void WriteStringError(http::Response& res, int status, std::string_view message) {
  res.status = status;
  res.content_type = "application/json";
  res.body.clear();
  AppendGoJsonString(res.body, message);
  res.body += "\n";
}

bool ParseAlertFilter(const http::Request& req, AlertFilter* f, http::Response& res) {
  for (const std::string& text : req.Params("filter")) {
    auto m = ParseMatcher(text);
    if (!m.ok()) {
      WriteStringError(res, 400, m.status().message());
      return false;
    }
    f->matchers.push_back(std::move(*m));
  }
  if (std::optional<std::string> r = req.Param("receiver")) {
    f->receiver = std::make_unique<re2::RE2>("^(?:" + *r + ")$", re2::RE2::Quiet);
    if (!f->receiver->ok()) {
      WriteStringError(res, 400, "failed to parse receiver param: " + f->receiver->error());
      return false;
    }
  }
  f->active = ParseBoolParam(req, "active");
  f->silenced = ParseBoolParam(req, "silenced");
  f->inhibited = ParseBoolParam(req, "inhibited");
  return true;
}

// The v2 API's matchFilterLabels: a matcher against "" also accepts a missing label
// (= and =~) or a present one (!= and !~).
bool MatchFilterLabels(const Matchers& matchers, const LabelSet& labels) {
  for (const Matcher& m : matchers) {
    auto it = std::lower_bound(labels.begin(), labels.end(), m.name,
                               [](const auto& kv, const std::string& n) { return kv.first < n; });
    const bool present = it != labels.end() && it->first == m.name;
    const std::string_view v = present ? std::string_view(it->second) : std::string_view();
    const bool negative = m.type == Matcher::Type::kNotEqual || m.type == Matcher::Type::kNotRegexp;
    if (m.value.empty() && (negative ? present : !present)) continue;
    if (!m.Matches(v)) return false;
  }
  return true;
}

// What the API reports about one alert besides its own fields.
struct MuteStatus {
  std::optional<uint64_t> inhibited_by;
  std::vector<std::string> silenced_by;  // active silences' ids, sorted
  std::optional<Acknowledgement> ack;    // perfwatch's acknowledgement in force
  std::optional<EscalationView> escalation;  // perfwatch's escalation state
};

void AppendGettableAlert(std::string& out, const Alert& a,
                         const std::vector<std::string>& receivers, const MuteStatus& mute) {
  const std::optional<uint64_t>& inhibited_by = mute.inhibited_by;
  out += "{\"annotations\":";
  AppendGoJsonObject(out, a.annotations);
  out += ",\"endsAt\":\"" + FormatApiTime(a.ends_at_ms) + "\"";
  out += ",\"fingerprint\":\"" + FingerprintHex(Fingerprint(a.labels)) + "\"";
  out += ",\"receivers\":[";
  for (size_t i = 0; i < receivers.size(); ++i) {
    if (i > 0) out += ",";
    out += "{\"name\":";
    AppendGoJsonString(out, receivers[i]);
    out += "}";
  }
  out += "],\"startsAt\":\"" + FormatApiTime(a.starts_at_ms) + "\"";
  out += ",\"status\":{";
  // perfwatch's extension of Alertmanager's alertStatus, only when acknowledged (amtool
  // and other clients ignore unknown fields).
  if (mute.ack) out += "\"acknowledgement\":" + AckJson(*mute.ack) + ",";
  if (mute.escalation) out += "\"escalation\":" + EscalationViewJson(*mute.escalation) + ",";
  out += "\"inhibitedBy\":[";
  if (inhibited_by) out += "\"" + FingerprintHex(*inhibited_by) + "\"";
  out += "],\"silencedBy\":[";
  for (size_t i = 0; i < mute.silenced_by.size(); ++i) {
    if (i > 0) out += ",";
    AppendGoJsonString(out, mute.silenced_by[i]);
  }
  out += "],\"state\":";
  out += inhibited_by || !mute.silenced_by.empty() ? "\"suppressed\"" : "\"active\"";
  out += "},\"updatedAt\":\"" + FormatApiTime(a.updated_at_ms) + "\"";
  if (!a.generator_url.empty()) {
    out += ",\"generatorURL\":";
    AppendGoJsonString(out, a.generator_url);
  }
  out += ",\"labels\":";
  AppendGoJsonObject(out, a.labels);
  out += "}";
}

// Alertmanager's alertFilter for one alert at `now`; sets *mute.
bool PassesFilter(const Alertmanager::Impl& impl, const AlertFilter& f, const Alert& a, int64_t now,
                  MuteStatus* mute) {
  if (a.ends_at_ms != 0 && a.ends_at_ms < now) return false;
  mute->inhibited_by = impl.inhibitor->InhibitedBy(a.labels, impl.store, now);
  mute->silenced_by = impl.silences->MutedBy(a.labels, now);
  mute->ack = impl.acks->InForce(a, now);
  if (impl.escalations.size() > 0) {
    mute->escalation = impl.escalations.ViewOf(Fingerprint(a.labels), *impl.config);
  }
  const bool suppressed = mute->inhibited_by.has_value() || !mute->silenced_by.empty();
  if (!f.active && !suppressed) return false;
  if (!f.silenced && !mute->silenced_by.empty()) return false;
  if (!f.inhibited && mute->inhibited_by.has_value()) return false;
  return MatchFilterLabels(f.matchers, a.labels);
}

void HandlePostAlerts(Alertmanager::Impl& impl, const http::Request& req, http::Response& res) {
  PostableAlertsParse parsed = ParsePostableAlerts(req.body);
  if (parsed.error_status != 0) {
    res.status = parsed.error_status;
    res.content_type = "application/json";
    res.body = std::move(parsed.error_body);
    res.body += "\n";
    return;
  }
  const int64_t now = impl.clock->NowMs();
  int64_t resolve_timeout;
  {
    std::lock_guard lock(impl.mu);
    resolve_timeout = impl.config->resolve_timeout_ms;
  }
  std::vector<Alert> valid;
  std::string errors;
  for (Alert& a : parsed.alerts) {
    ApplyPostDefaults(a, now, resolve_timeout);
    (a.ends_at_ms > now ? impl.received_firing : impl.received_resolved)->Inc();
  }
  for (Alert& a : parsed.alerts) {
    if (std::string err = ValidateAlert(a); !err.empty()) {
      impl.invalid_total->Inc();
      if (!errors.empty()) errors += "; ";
      errors += err;
      continue;
    }
    valid.push_back(std::move(a));
  }
  impl.Put(std::move(valid), now);
  if (!errors.empty()) {
    PW_LOG_WARN("Failed to validate alerts", "err={}", LogQuote(errors));
    WriteStringError(res, 400, errors);
    return;
  }
  res.status = 200;
  res.content_type.clear();
  res.body.clear();
}

void HandleGetAlerts(Alertmanager::Impl& impl, const http::Request& req, http::Response& res) {
  AlertFilter f;
  if (!ParseAlertFilter(req, &f, res)) return;
  std::string out = "[";
  bool first = true;
  {
    std::lock_guard lock(impl.mu);
    const int64_t now = impl.clock->NowMs();
    // The store is ordered by fingerprint, which is the API's order (fixed-width hex).
    for (const auto& [fp, a] : impl.store.alerts()) {
      std::vector<std::string> receivers;
      for (const Route* r : impl.config->route.Match(a.labels)) receivers.push_back(r->receiver);
      if (f.receiver && std::none_of(receivers.begin(), receivers.end(), [&](const std::string& r) {
            return re2::RE2::FullMatch(r, *f.receiver);
          })) {
        continue;
      }
      MuteStatus mute;
      if (!PassesFilter(impl, f, a, now, &mute)) continue;
      if (!first) out += ",";
      first = false;
      AppendGettableAlert(out, a, receivers, mute);
    }
  }
  out += "]\n";
  res.status = 200;
  res.content_type = "application/json";
  res.body = std::move(out);
}

void HandleGetAlertGroups(Alertmanager::Impl& impl, const http::Request& req, http::Response& res) {
  AlertFilter f;
  if (!ParseAlertFilter(req, &f, res)) return;
  struct Group {
    const AggrGroup* group;
    std::vector<std::pair<const Alert*, MuteStatus>> alerts;
  };
  std::string out = "[";
  {
    std::lock_guard lock(impl.mu);
    const int64_t now = impl.clock->NowMs();
    std::vector<Group> groups;
    std::map<uint64_t, std::vector<std::string>> receivers;
    for (const auto& [id, g] : impl.dispatcher->groups()) {
      const std::string& receiver = g->route->receiver;
      if (f.receiver && !re2::RE2::FullMatch(receiver, *f.receiver)) continue;
      Group out_group{g.get(), {}};
      for (const auto& [fp, a] : g->alerts) {
        MuteStatus mute;
        if (!PassesFilter(impl, f, a, now, &mute)) continue;
        receivers[fp].push_back(receiver);
        out_group.alerts.emplace_back(&a, std::move(mute));
      }
      if (!out_group.alerts.empty()) groups.push_back(std::move(out_group));
    }
    std::sort(groups.begin(), groups.end(), [](const Group& x, const Group& y) {
      if (x.group->labels == y.group->labels)
        return x.group->route->receiver < y.group->route->receiver;
      return LabelSetBefore(x.group->labels, y.group->labels);
    });
    for (auto& [fp, r] : receivers) std::sort(r.begin(), r.end());
    for (size_t gi = 0; gi < groups.size(); ++gi) {
      Group& g = groups[gi];
      std::stable_sort(g.alerts.begin(), g.alerts.end(), [](const auto& x, const auto& y) {
        return AlertLabelsLess(x.first->labels, y.first->labels);
      });
      if (gi > 0) out += ",";
      out += "{\"alerts\":[";
      for (size_t i = 0; i < g.alerts.size(); ++i) {
        if (i > 0) out += ",";
        const Alert& a = *g.alerts[i].first;
        AppendGettableAlert(out, a, receivers[Fingerprint(a.labels)], g.alerts[i].second);
      }
      out += "],\"labels\":";
      AppendGoJsonObject(out, g.group->labels);
      out += ",\"receiver\":{\"name\":";
      AppendGoJsonString(out, g.group->route->receiver);
      out += "}}";
    }
  }
  out += "]\n";
  res.status = 200;
  res.content_type = "application/json";
  res.body = std::move(out);
}


void AppendYamlRoute(std::string& y, const Route& r, const std::string& indent, bool list_item) {
  std::string first = list_item ? indent.substr(0, indent.size() - 2) + "- " : indent;
  y += first + "receiver: " + GoQuote(r.receiver) + "\n";
  if (r.group_by_all) {
    y += indent + "group_by:\n" + indent + "- '...'\n";
  } else if (!r.group_by.empty()) {
    y += indent + "group_by:\n";
    for (const auto& g : r.group_by) y += indent + "- " + GoQuote(g) + "\n";
  }
  if (!r.matchers.empty()) {
    y += indent + "matchers:\n";
    for (const auto& m : r.matchers) y += indent + "- " + GoQuote(m.ToString()) + "\n";
  }
  if (r.continue_matching) y += indent + "continue: true\n";
  y += indent + "group_wait: " + GoModelDuration(r.group_wait_ms) + "\n";
  y += indent + "group_interval: " + GoModelDuration(r.group_interval_ms) + "\n";
  y += indent + "repeat_interval: " + GoModelDuration(r.repeat_interval_ms) + "\n";
  if (!r.escalation.empty()) y += indent + "escalation: " + GoQuote(r.escalation) + "\n";
  if (!r.routes.empty()) {
    y += indent + "routes:\n";
    for (const Route& child : r.routes) AppendYamlRoute(y, child, indent + "  ", true);
  }
}

// The configuration as YAML for /api/v2/status (Alertmanager prints its parsed config
// with secrets as <secret>; this is perfwatch's rendering of the same values).
std::string RenderConfigYaml(const AlertmanagerConfig& c) {
  std::string y = "global:\n  resolve_timeout: " + GoModelDuration(c.resolve_timeout_ms) + "\n";
  AppendYamlHttpConfig(y, c.global_http_config, "  ");
  y += "route:\n";
  AppendYamlRoute(y, c.route, "  ", false);
  if (!c.inhibit_rules.empty()) {
    y += "inhibit_rules:\n";
    for (const InhibitRule& r : c.inhibit_rules) {
      y += "- source_matchers:\n";
      for (const auto& m : r.source_matchers) y += "  - " + GoQuote(m.ToString()) + "\n";
      y += "  target_matchers:\n";
      for (const auto& m : r.target_matchers) y += "  - " + GoQuote(m.ToString()) + "\n";
      if (!r.equal.empty()) {
        y += "  equal:\n";
        for (const auto& e : r.equal) y += "  - " + GoQuote(e) + "\n";
      }
    }
  }
  y += "receivers:\n";
  for (const Receiver& r : c.receivers) {
    y += "- name: " + GoQuote(r.name) + "\n";
    AppendYamlNotifiers(y, r);  // pagerduty/slack/email (integrations_yaml.cc)
    if (r.webhook_configs.empty()) continue;
    y += "  webhook_configs:\n";
    for (const WebhookConfig& w : r.webhook_configs) {
      y += std::string("  - send_resolved: ") + (w.send_resolved ? "true" : "false") + "\n";
      AppendYamlHttpConfig(y, w.http_config, "    ");
      y += "    url: <secret>\n";
      y += "    max_alerts: " + std::to_string(w.max_alerts) + "\n";
    }
  }
  if (!c.escalations.empty()) {  // perfwatch's escalation policies
    y += "escalations:\n";
    for (const EscalationPolicy& p : c.escalations) {
      y += "  " + GoQuote(p.name) + ":\n    steps:\n";
      for (const EscalationStep& st : p.steps) {
        y += "    - after: " + GoModelDuration(st.after_ms) + "\n      receivers:\n";
        for (const auto& r : st.receivers) y += "      - " + GoQuote(r) + "\n";
      }
      y += "    repeat: " + std::to_string(p.repeat) + "\n";
    }
  }
  if (!c.templates.empty()) {
    y += "templates:\n";
    for (const auto& t : c.templates) y += "- " + GoQuote(t) + "\n";
  }
  return y;
}

void HandleGetStatus(Alertmanager::Impl& impl, const http::Request&, http::Response& res) {
  std::string original;
  {
    std::lock_guard lock(impl.mu);
    original = RenderConfigYaml(*impl.config);
  }
  std::string out = "{\"cluster\":{\"peers\":[],\"status\":\"disabled\"},\"config\":{\"original\":";
  AppendGoJsonString(out, original);
  out += "},\"uptime\":\"" + FormatApiTime(impl.start_time_ms) + "\"";
  out +=
      ",\"versionInfo\":{\"branch\":\"perfwatch\",\"buildDate\":\"\",\"buildUser\":\"\","
      "\"goVersion\":\"none\","
      "\"revision\":\"\",\"version\":\"0.25.0\"}}\n";
  res.status = 200;
  res.content_type = "application/json";
  res.body = std::move(out);
}

void HandleGetReceivers(Alertmanager::Impl& impl, const http::Request&, http::Response& res) {
  std::string out = "[";
  {
    std::lock_guard lock(impl.mu);
    for (size_t i = 0; i < impl.config->receivers.size(); ++i) {
      if (i > 0) out += ",";
      out += "{\"name\":";
      AppendGoJsonString(out, impl.config->receivers[i].name);
      out += "}";
    }
  }
  out += "]\n";
  res.status = 200;
  res.content_type = "application/json";
  res.body = std::move(out);
}

}  // namespace

void RegisterAlertmanagerApi(Alertmanager::Impl& impl, http::Router& router) {
  Alertmanager::Impl* p = &impl;
  router.Handle("POST", "/api/v2/alerts", [p](const http::Request& req, http::Response& res) {
    HandlePostAlerts(*p, req, res);
  }, {.scope = http::Scope::kAlert, .route_class = http::RouteClass::kIngest});
  router.Handle("GET", "/api/v2/alerts", [p](const http::Request& req, http::Response& res) {
    HandleGetAlerts(*p, req, res);
  }, {.scope = http::Scope::kRead});
  router.Handle("GET", "/api/v2/alerts/groups", [p](const http::Request& req, http::Response& res) {
    HandleGetAlertGroups(*p, req, res);
  }, {.scope = http::Scope::kRead});
  router.Handle("GET", "/api/v2/status", [p](const http::Request& req, http::Response& res) {
    HandleGetStatus(*p, req, res);
  }, {.scope = http::Scope::kRead});
  router.Handle("GET", "/api/v2/receivers", [p](const http::Request& req, http::Response& res) {
    HandleGetReceivers(*p, req, res);
  }, {.scope = http::Scope::kRead});
}

}  // namespace perfwatch::alert
