#include "alert/rule_state.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>

#include "alert/am_format.h"
#include "common/file_util.h"
#include "common/json_writer.h"

namespace perfwatch::alert {
namespace {

void AppendField(std::string& out, const char* name, int64_t v) {
  out += ",\"";
  out += name;
  out += "\":";
  AppendJsonInt(out, v);
}

Result<LabelSet> ReadLabelObject(simdjson::dom::element e) {
  simdjson::dom::object obj;
  if (e.get(obj)) return InvalidArgument("labels: expected an object");
  LabelSet out;
  for (auto field : obj) {
    std::string_view v;
    if (field.value.get(v)) return InvalidArgument("labels: expected string values");
    out.emplace_back(std::string(field.key), std::string(v));
  }
  NormalizeLabelSet(out);
  return out;
}

// A sample value: a number, or "NaN", "+Inf", "-Inf" as strings.
double ReadValue(simdjson::simdjson_result<simdjson::dom::element> e) {
  double value = 0;
  if (e.get(value)) {
    std::string_view special;
    value = 0;
    if (!e.get(special)) value = special == "NaN" ? NAN : special == "-Inf" ? -INFINITY : INFINITY;
  }
  return value;
}

}  // namespace

std::string RuleStateKey(const RuleGroup& group, const Rule& rule) {
  std::string key = group.key() + ";" + rule.name();
  LabelSet labels(rule.spec().labels.begin(), rule.spec().labels.end());
  NormalizeLabelSet(labels);
  for (const auto& [n, v] : labels) {
    key += ';';
    key += n;
    key += '=';
    key += v;
  }
  return key;
}

Status WriteRuleState(const std::filesystem::path& path, const std::vector<std::shared_ptr<RuleGroup>>& groups) {
  std::string out = "{\"version\":1,\"rules\":[";
  bool first_rule = true;
  for (const auto& group : groups) {
    for (const auto& rule : group->rules()) {
      if (!rule->is_alerting()) continue;
      std::vector<RuleAlert> alerts = static_cast<const AlertingRule&>(*rule).Alerts(true);
      if (!first_rule) out += ',';
      first_rule = false;
      out += "{\"key\":";
      AppendJsonString(out, RuleStateKey(*group, *rule));
      out += ",\"alerts\":[";
      for (size_t i = 0; i < alerts.size(); ++i) {
        const RuleAlert& a = alerts[i];
        if (i) out += ',';
        out += "{\"labels\":";
        AppendGoJsonObject(out, a.labels);
        out += ",\"annotations\":";
        AppendGoJsonObject(out, a.annotations);
        out += ",\"state\":";
        AppendJsonString(out, AlertStateName(a.state));
        out += ",\"value\":";
        AppendJsonNumber(out, a.value);
        AppendField(out, "activeAt", a.active_at_ms);
        AppendField(out, "firedAt", a.fired_at_ms);
        AppendField(out, "resolvedAt", a.resolved_at_ms);
        AppendField(out, "lastSentAt", a.last_sent_at_ms);
        AppendField(out, "validUntil", a.valid_until_ms);
        AppendField(out, "keepFiringSince", a.keep_firing_since_ms);
        if (a.flapping) out += ",\"flapping\":true";
        out += '}';
      }
      out += ']';
      std::vector<FlapRecord> flaps = static_cast<const AlertingRule&>(*rule).Flaps();
      if (!flaps.empty()) {
        out += ",\"flaps\":[";
        for (size_t i = 0; i < flaps.size(); ++i) {
          const FlapRecord& f = flaps[i];
          if (i) out += ',';
          out += "{\"labels\":";
          AppendGoJsonObject(out, f.labels);
          out += ",\"annotations\":";
          AppendGoJsonObject(out, f.annotations);
          out += ",\"value\":";
          AppendJsonNumber(out, f.value);
          out += ",\"changes\":[";
          for (size_t c = 0; c < f.changes.size(); ++c) {
            if (c) out += ',';
            AppendJsonInt(out, f.changes[c]);
          }
          out += "],\"flapping\":";
          out += f.flapping ? "true" : "false";
          out += ",\"condition\":";
          out += f.condition ? "true" : "false";
          AppendField(out, "lastChange", f.last_change_ms);
          out += '}';
        }
        out += ']';
      }
      out += '}';
    }
  }
  out += "]}\n";
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  return WriteFileAtomically(path, out).WithContext("save rule state");
}

Result<SavedRuleState> ReadRuleState(const std::filesystem::path& path) {
  PW_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(text).get(root)) return InvalidArgument(path.string() + ": not valid JSON");
  simdjson::dom::array rules;
  if (root["rules"].get(rules)) return InvalidArgument(path.string() + ": no \"rules\" list");
  SavedRuleState out;
  for (simdjson::dom::element r : rules) {
    std::string_view key;
    simdjson::dom::array alerts;
    if (r["key"].get(key) || r["alerts"].get(alerts)) return InvalidArgument(path.string() + ": bad rule entry");
    std::vector<RuleAlert> list;
    for (simdjson::dom::element a : alerts) {
      RuleAlert alert;
      PW_ASSIGN_OR_RETURN(alert.labels, ReadLabelObject(a["labels"]));
      PW_ASSIGN_OR_RETURN(alert.annotations, ReadLabelObject(a["annotations"]));
      std::string_view state;
      if (a["state"].get(state)) return InvalidArgument(path.string() + ": alert without state");
      alert.state = state == "firing" ? AlertState::kFiring
                    : state == "pending" ? AlertState::kPending
                                         : AlertState::kInactive;
      alert.value = ReadValue(a["value"]);
      auto read_int = [&](const char* name) -> int64_t {
        int64_t v = 0;
        if (a[name].get(v)) return 0;
        return v;
      };
      alert.active_at_ms = read_int("activeAt");
      alert.fired_at_ms = read_int("firedAt");
      alert.resolved_at_ms = read_int("resolvedAt");
      alert.last_sent_at_ms = read_int("lastSentAt");
      alert.valid_until_ms = read_int("validUntil");
      alert.keep_firing_since_ms = read_int("keepFiringSince");
      bool flapping = false;
      alert.flapping = !a["flapping"].get(flapping) && flapping;
      list.push_back(std::move(alert));
    }
    SavedRule saved;
    saved.alerts = std::move(list);
    simdjson::dom::array flaps;
    if (!r["flaps"].get(flaps)) {  // optional: absent in files written before flap detection
      for (simdjson::dom::element e : flaps) {
        FlapRecord f;
        PW_ASSIGN_OR_RETURN(f.labels, ReadLabelObject(e["labels"]));
        PW_ASSIGN_OR_RETURN(f.annotations, ReadLabelObject(e["annotations"]));
        f.value = ReadValue(e["value"]);
        simdjson::dom::array changes;
        if (e["changes"].get(changes)) return InvalidArgument(path.string() + ": flap entry without changes");
        for (simdjson::dom::element c : changes) {
          int64_t t = 0;
          if (c.get(t)) return InvalidArgument(path.string() + ": flap change is not an integer");
          f.changes.push_back(t);
        }
        std::sort(f.changes.begin(), f.changes.end());
        bool b = false;
        f.flapping = !e["flapping"].get(b) && b;
        b = false;
        f.condition = !e["condition"].get(b) && b;
        int64_t t = 0;
        f.last_change_ms = e["lastChange"].get(t) ? 0 : t;
        saved.flaps.push_back(std::move(f));
      }
    }
    out[std::string(key)].push_back(std::move(saved));
  }
  return out;
}

}  // namespace perfwatch::alert
