#pragma once
// RuleQuerier over the PromQL engine: instant queries as Prometheus' EngineQueryFunc runs
// them for rules (a scalar becomes one sample with no labels; strings and range vectors
// are "rule result is not a vector or scalar").
// Thread safety: thread-safe (the engine is).
#include "alert/rules.h"
#include "query/promql_engine.h"

namespace perfwatch::alert {

// A PromQL value as a rule's result: a vector's samples, a scalar as one sample without
// labels; anything else InvalidArgument "rule result is not a vector or scalar" (shared by
// the engine's querier and query.backend's, alert/backend_querier.h).
Result<std::vector<QuerySample>> RuleResult(const query::promql::Value& value);

class EngineRuleQuerier final : public RuleQuerier {
 public:
  // `engine` outlives the querier.
  explicit EngineRuleQuerier(const query::promql::Engine* engine) : engine_(engine) {}
  Result<std::vector<QuerySample>> Query(const query::promql::Expr& expr, int64_t ts_ms) const override;
  Result<std::vector<QuerySample>> QueryText(std::string_view expr, int64_t ts_ms) const override;

 private:
  const query::promql::Engine* engine_;
};

}  // namespace perfwatch::alert
