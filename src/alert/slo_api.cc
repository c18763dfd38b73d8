#include "alert/slo_api.h"

#include <cmath>
#include <map>

#include "common/json_writer.h"

namespace perfwatch::alert {
namespace {

constexpr std::string_view kErrorPrefix = "slo:sli_error:ratio_rate";
constexpr std::string_view kBudgetRecord = "slo:error_budget_remaining:ratio";
constexpr std::string_view kBurnWindows[] = {"5m", "30m", "1h", "2h", "6h", "1d", "3d"};

void AppendNumberOrNull(std::string& out, std::optional<double> v) {
  if (!v || !std::isfinite(*v)) {
    out += "null";
  } else {
    AppendJsonNumber(out, *v);
  }
}

}  // namespace

Result<std::string> RenderSlos(const std::vector<SloDefinition>& slos, const RuleQuerier& querier,
                               const RuleManager* manager, int64_t now_ms) {
  std::vector<std::shared_ptr<RuleGroup>> groups;
  if (manager) groups = manager->Groups();
  std::string out = "{\"status\":\"success\",\"data\":[";
  bool first = true;
  for (const SloDefinition& slo : slos) {
    const std::string q = "{__name__=~\"slo:sli_error:ratio_rate.+|slo:error_budget_remaining:ratio\",slo=" +
                          QuotePromString(slo.name) + "}";
    auto samples = querier.QueryText(q, now_ms);
    if (!samples.ok()) return samples.status();
    std::map<std::string, double, std::less<>> values;  // by metric name
    for (const QuerySample& s : *samples) values[std::string(GetLabel(s.labels, "__name__"))] = s.value;
    auto value_of = [&](std::string_view name) -> std::optional<double> {
      auto it = values.find(name);
      if (it == values.end()) return std::nullopt;
      return it->second;
    };
    const double budget = 1 - slo.objective / 100;
    if (!first) out += ',';
    first = false;
    out += "{\"name\":";
    AppendJsonString(out, slo.name);
    out += ",\"objective\":";
    AppendJsonNumber(out, slo.objective);
    out += ",\"window\":";
    AppendJsonString(out, slo.window);
    out += ",\"sli\":";
    auto window_error = value_of(slo.window_record);
    AppendNumberOrNull(out, window_error ? std::optional<double>(1 - *window_error) : std::nullopt);
    out += ",\"errorBudgetRemaining\":";
    AppendNumberOrNull(out, value_of(kBudgetRecord));
    out += ",\"burnRates\":{";
    for (size_t i = 0; i < std::size(kBurnWindows); ++i) {
      if (i) out += ',';
      AppendJsonString(out, kBurnWindows[i]);
      out += ':';
      auto e = value_of(std::string(kErrorPrefix) + std::string(kBurnWindows[i]));
      AppendNumberOrNull(out, e ? std::optional<double>(*e / budget) : std::nullopt);
    }
    out += "},\"alerts\":[";
    bool first_alert = true;
    for (const auto& group : groups) {
      if (group->name() != kSloGroup || !group->file().ends_with("#alerts")) continue;
      for (const auto& rule : group->rules()) {
        if (!rule->is_alerting() || rule->name() != slo.name) continue;
        const auto* alerting = dynamic_cast<const AlertingRule*>(rule.get());
        if (!alerting) continue;
        std::string severity;
        for (const auto& [n, v] : rule->spec().labels) {
          if (n == "severity") severity = v;
        }
        if (!first_alert) out += ',';
        first_alert = false;
        out += "{\"alertname\":";
        AppendJsonString(out, rule->name());
        out += ",\"severity\":";
        AppendJsonString(out, severity);
        out += ",\"state\":";
        AppendJsonString(out, AlertStateName(alerting->State()));
        out += '}';
      }
    }
    out += "]}";
  }
  out += "]}";
  return out;
}

void RegisterSloApi(http::Router& router, const SloCatalog* catalog, const RuleQuerier* querier,
                    const RuleManager* manager, const Clock* clock) {
  if (!clock) clock = SystemClock::Get();
  router.Handle("GET", "/api/v1/slos", [catalog, querier, manager, clock](const http::Request&, http::Response& res) {
    auto slos = catalog->Get();
    auto body = RenderSlos(*slos, *querier, manager, clock->NowMs());
    if (!body.ok()) return http::WriteApiError(res, 422, "execution", body.status().message());
    res.content_type = "application/json";
    res.body = std::move(body).value();
  }, {.scope = http::Scope::kRead, .route_class = http::RouteClass::kQuery});
}

}  // namespace perfwatch::alert
