#include "alert/rule_querier.h"

#include "query/promql_parser.h"

namespace perfwatch::alert {

Result<std::vector<QuerySample>> RuleResult(const query::promql::Value& value) {
  std::vector<QuerySample> out;
  if (auto* vec = std::get_if<query::promql::Vector>(&value)) {
    out.reserve(vec->size());
    for (const query::promql::Sample& s : *vec) {
      QuerySample q;
      q.labels.reserve(s.metric.size());
      for (const tsdb::Label& l : s.metric) q.labels.emplace_back(l.name, l.value);
      q.value = s.v;
      out.push_back(std::move(q));
    }
    return out;
  }
  if (auto* scalar = std::get_if<query::promql::Scalar>(&value)) {
    out.push_back(QuerySample{{}, scalar->v});
    return out;
  }
  return InvalidArgument("rule result is not a vector or scalar");
}

Result<std::vector<QuerySample>> EngineRuleQuerier::Query(const query::promql::Expr& expr, int64_t ts_ms) const {
  auto value = engine_->InstantQuery(expr, ts_ms);
  if (!value.ok()) return value.status();
  return RuleResult(*value);
}

Result<std::vector<QuerySample>> EngineRuleQuerier::QueryText(std::string_view expr, int64_t ts_ms) const {
  auto parsed = query::promql::ParseExpr(expr);
  if (!parsed.ok()) return parsed.status();
  return Query(*parsed.value(), ts_ms);
}

}  // namespace perfwatch::alert
