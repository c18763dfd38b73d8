#pragma once
// GET /api/v1/slos: the SLOs of `alerts.slo` (rule_forms.h) with their current state,
// read back through the PromQL engine from the series their recording rules write:
//   {"status":"success","data":[{"name","objective","window","sli","errorBudgetRemaining",
//     "burnRates":{"5m",...,"3d"},"alerts":[{"alertname","severity","state"}]}]}
// `sli` is the good ratio over the window (1 - slo:sli_error:ratio_rate<window>),
// `errorBudgetRemaining` slo:error_budget_remaining:ratio, a burn rate the window's error
// ratio divided by (1 - objective/100); no data, NaN or infinities answer null. `alerts`
// are the SLO's two burn-rate rules (critical, warning) with their state (inactive,
// pending, firing). A failing query answers 422 errorType "execution". Scope: read.
//
// Thread safety: SloCatalog is thread-safe (Set replaces the list atomically on reload);
// the handler may run concurrently.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "alert/rule_forms.h"
#include "alert/rule_manager.h"
#include "alert/rules.h"
#include "http/router.h"

namespace perfwatch::alert {

class SloCatalog {
 public:
  void Set(std::vector<SloDefinition> slos) {
    slos_.store(std::make_shared<const std::vector<SloDefinition>>(std::move(slos)));
  }
  std::shared_ptr<const std::vector<SloDefinition>> Get() const {
    auto p = slos_.load();
    return p ? p : std::make_shared<const std::vector<SloDefinition>>();
  }

 private:
  std::atomic<std::shared_ptr<const std::vector<SloDefinition>>> slos_;
};

// The response body at `now_ms`, or the failing query's error.
Result<std::string> RenderSlos(const std::vector<SloDefinition>& slos, const RuleQuerier& querier,
                               const RuleManager* manager, int64_t now_ms);

// All pointers outlive the router; `manager` may be null (no alerts listed), `clock` null: the system clock.
void RegisterSloApi(http::Router& router, const SloCatalog* catalog, const RuleQuerier* querier,
                    const RuleManager* manager, const Clock* clock = nullptr);

}  // namespace perfwatch::alert
