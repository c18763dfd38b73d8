#include "alert/rules_api.h"

#include <set>

#include "alert/am_format.h"
#include "alert/template_internal.h"
#include "common/json_writer.h"

namespace perfwatch::alert {
namespace {

// Prometheus' API encodes as Go's encoding/json does (HTML characters escaped).
void AppendLabels(std::string& out, const LabelSet& labels) { AppendGoJsonObject(out, labels); }

LabelSet SortedSpecLabels(const std::vector<std::pair<std::string, std::string>>& pairs) {
  LabelSet out(pairs.begin(), pairs.end());
  NormalizeLabelSet(out);
  return out;
}

void AppendSeconds(std::string& out, double seconds) { AppendJsonNumber(out, seconds); }

void AppendAlert(std::string& out, const RuleAlert& a, const Acknowledgement* ack = nullptr,
                 const std::string* escalation = nullptr) {
  out += "{\"labels\":";
  AppendLabels(out, a.labels);
  out += ",\"annotations\":";
  AppendLabels(out, a.annotations);
  out += ",\"state\":";
  AppendGoJsonString(out, AlertStateName(a.state));
  out += ",\"activeAt\":";
  AppendGoJsonString(out, FormatGoTime(a.active_at_ms));
  if (a.keep_firing_since_ms != 0) {
    out += ",\"keepFiringSince\":";
    AppendGoJsonString(out, FormatGoTime(a.keep_firing_since_ms));
  }
  out += ",\"value\":";
  AppendGoJsonString(out, FormatGoExp(a.value));
  if (ack != nullptr) {
    out += ",\"acknowledgedBy\":";
    AppendGoJsonString(out, ack->acknowledged_by);
    out += ",\"acknowledgedAt\":";
    AppendGoJsonString(out, FormatGoTime(ack->acknowledged_at_ms));
  }
  if (escalation != nullptr) out += ",\"escalation\":" + *escalation;
  out += '}';
}

void AppendRuleCommon(std::string& out, const Rule& rule) {
  out += ",\"health\":";
  AppendGoJsonString(out, RuleHealthName(rule.health()));
  std::string err = rule.last_error();
  if (!err.empty()) {
    out += ",\"lastError\":";
    AppendGoJsonString(out, err);
  }
  out += ",\"evaluationTime\":";
  AppendSeconds(out, rule.eval_duration_ns() / 1e9);
  out += ",\"lastEvaluation\":";
  AppendGoJsonString(out, FormatGoTime(rule.last_eval_ms()));
}

void AppendRule(std::string& out, const Rule& rule) {
  if (rule.is_alerting()) {
    const auto& ar = static_cast<const AlertingRule&>(rule);
    out += "{\"state\":";
    AppendGoJsonString(out, AlertStateName(ar.State()));
    out += ",\"name\":";
    AppendGoJsonString(out, rule.name());
    out += ",\"query\":";
    AppendGoJsonString(out, rule.query());
    out += ",\"duration\":";
    AppendSeconds(out, rule.spec().for_ms / 1000.0);
    out += ",\"keepFiringFor\":";
    AppendSeconds(out, rule.spec().keep_firing_for_ms / 1000.0);
    out += ",\"labels\":";
    AppendLabels(out, SortedSpecLabels(rule.spec().labels));
    out += ",\"annotations\":";
    AppendLabels(out, SortedSpecLabels(rule.spec().annotations));
    out += ",\"alerts\":[";
    std::vector<RuleAlert> alerts = ar.Alerts();
    for (size_t i = 0; i < alerts.size(); ++i) {
      if (i) out += ',';
      AppendAlert(out, alerts[i]);
    }
    out += ']';
    AppendRuleCommon(out, rule);
    out += ",\"type\":\"alerting\"}";
    return;
  }
  out += "{\"name\":";
  AppendGoJsonString(out, rule.name());
  out += ",\"query\":";
  AppendGoJsonString(out, rule.query());
  if (!rule.spec().labels.empty()) {
    out += ",\"labels\":";
    AppendLabels(out, SortedSpecLabels(rule.spec().labels));
  }
  AppendRuleCommon(out, rule);
  out += ",\"type\":\"recording\"}";
}

std::set<std::string> ParamSet(const http::Request& req, std::string_view name) {
  std::vector<std::string> values = req.Params(name);
  return {values.begin(), values.end()};
}

void HandleRules(const RuleManager* manager, const http::Request& req, http::Response& res) {
  std::string type = req.Param("type").value_or("");
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!type.empty() && type != "alert" && type != "record") {
    http::WriteApiError(res, 400, "bad_data", "invalid parameter \"type\": not supported value \"" + type + "\"");
    return;
  }
  const bool alerts = type.empty() || type == "alert";
  const bool records = type.empty() || type == "record";
  const std::set<std::string> names = ParamSet(req, "rule_name[]");
  const std::set<std::string> group_names = ParamSet(req, "rule_group[]");
  const std::set<std::string> files = ParamSet(req, "file[]");
  const bool filtered = !names.empty() || !group_names.empty() || !files.empty();

  std::string out = R"({"status":"success","data":{"groups":[)";
  bool first_group = true;
  for (const auto& group : manager->Groups()) {
    if (!group_names.empty() && !group_names.count(group->name())) continue;
    if (!files.empty() && !files.count(group->file())) continue;
    std::string rules;
    for (const auto& rule : group->rules()) {
      if (rule->is_alerting() ? !alerts : !records) continue;
      if (!names.empty() && !names.count(rule->name())) continue;
      if (!rules.empty()) rules += ',';
      AppendRule(rules, *rule);
    }
    if (filtered && rules.empty()) continue;
    if (!first_group) out += ',';
    first_group = false;
    out += "{\"name\":";
    AppendGoJsonString(out, group->name());
    out += ",\"file\":";
    AppendGoJsonString(out, group->file());
    out += ",\"rules\":[";
    out += rules;
    out += "],\"interval\":";
    AppendSeconds(out, group->interval_ms() / 1000.0);
    out += ",\"limit\":";
    AppendJsonInt(out, group->limit());
    out += ",\"evaluationTime\":";
    AppendSeconds(out, group->eval_duration_ns() / 1e9);
    out += ",\"lastEvaluation\":";
    AppendGoJsonString(out, FormatGoTime(group->last_eval_ms()));
    out += '}';
  }
  out += "]}}";
  res.body = std::move(out);
}

void HandleAlerts(const RuleManager* manager, const AckLookup& acks,
                  const EscalationLookup& escalations, const http::Request&, http::Response& res) {
  std::string out = R"({"status":"success","data":{"alerts":[)";
  bool first = true;
  for (const auto& group : manager->Groups()) {
    for (const auto& rule : group->rules()) {
      if (!rule->is_alerting()) continue;
      for (const RuleAlert& a : static_cast<const AlertingRule&>(*rule).Alerts()) {
        if (!first) out += ',';
        first = false;
        std::optional<Acknowledgement> ack;
        std::optional<std::string> escalation;
        if ((acks || escalations) && a.state == AlertState::kFiring) {
          LabelSet sent = a.labels;  // as AlertsToSend adds them
          for (const auto& [n, v] : *manager->external_labels()) {
            if (GetLabel(sent, n).empty()) sent.emplace_back(n, v);
          }
          NormalizeLabelSet(sent);
          if (acks) ack = acks(sent);
          if (escalations) escalation = escalations(sent);
        }
        AppendAlert(out, a, ack ? &*ack : nullptr, escalation ? &*escalation : nullptr);
      }
    }
  }
  out += "]}}";
  res.body = std::move(out);
}

}  // namespace

std::string FormatGoExp(double v) { return tmpl::GoFormatFloat(v, 'e', -1); }

void RegisterRulesApi(http::Router& router, const RuleManager* manager, AckLookup acks,
                      EscalationLookup escalations) {
  auto rules = [manager](const http::Request& req, http::Response& res) { HandleRules(manager, req, res); };
  auto alerts = [manager, acks = std::move(acks), escalations = std::move(escalations)](
                    const http::Request& req, http::Response& res) {
    HandleAlerts(manager, acks, escalations, req, res);
  };
  router.Handle("GET", "/api/v1/rules", rules, {.scope = http::Scope::kRead});
  router.Handle("GET", "/api/v1/alerts", alerts, {.scope = http::Scope::kRead});
}

}  // namespace perfwatch::alert
