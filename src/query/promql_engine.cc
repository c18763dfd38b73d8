// Engine: query entry points, the storage adapters, time-range planning and result
// shaping (instant vectors, scalars, sorted range-query matrices).
#include "query/promql_engine.h"

#include <algorithm>
#include <limits>

#include "query/promql_eval.h"
#include "tsdb/head.h"
#include "tsdb/tsdb.h"

namespace perfwatch::query::promql {
namespace {

// The [mint, maxt] every selector of `e` needs when `e` is evaluated at times [lo, hi]
// (Prometheus' FindMinMaxTime / getTimeRangesForSelector).
struct RangePlan {
  int64_t mint = std::numeric_limits<int64_t>::max();
  int64_t maxt = std::numeric_limits<int64_t>::min();
  bool any = false;
  void Add(int64_t a, int64_t b) {
    mint = std::min(mint, a);
    maxt = std::max(maxt, b);
    any = true;
  }
};

void PlanRange(const Expr& e, int64_t lo, int64_t hi, const EvalShared& sh, RangePlan& plan) {
  std::visit(
      [&](const auto& n) {
        using T = std::decay_t<decltype(n)>;
        if constexpr (std::is_same_v<T, VectorSelector>) {
          const bool at = n.at != AtKind::kNone;
          const int64_t t = sh.ResolveAt(n.at, n.at_ms);
          plan.Add((at ? t : lo) - n.offset_ms - sh.lookback_ms, (at ? t : hi) - n.offset_ms);
        } else if constexpr (std::is_same_v<T, MatrixSelector>) {
          const VectorSelector& vs = n.selector;
          const bool at = vs.at != AtKind::kNone;
          const int64_t t = sh.ResolveAt(vs.at, vs.at_ms);
          plan.Add((at ? t : lo) - vs.offset_ms - n.range_ms, (at ? t : hi) - vs.offset_ms);
        } else if constexpr (std::is_same_v<T, SubqueryExpr>) {
          const bool at = n.at != AtKind::kNone;
          const int64_t t = sh.ResolveAt(n.at, n.at_ms);
          PlanRange(*n.expr, (at ? t : lo) - n.offset_ms - n.range_ms, (at ? t : hi) - n.offset_ms, sh, plan);
        } else if constexpr (std::is_same_v<T, UnaryExpr> || std::is_same_v<T, ParenExpr>) {
          PlanRange(*n.expr, lo, hi, sh, plan);
        } else if constexpr (std::is_same_v<T, BinaryExpr>) {
          PlanRange(*n.lhs, lo, hi, sh, plan);
          PlanRange(*n.rhs, lo, hi, sh, plan);
        } else if constexpr (std::is_same_v<T, AggregateExpr>) {
          PlanRange(*n.expr, lo, hi, sh, plan);
          if (n.param) PlanRange(*n.param, lo, hi, sh, plan);
        } else if constexpr (std::is_same_v<T, Call>) {
          for (const ExprPtr& a : n.args) PlanRange(*a, lo, hi, sh, plan);
        }
      },
      e.node);
}

int CompareLabelSets(const tsdb::Labels& a, const tsdb::Labels& b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (a[i].name != b[i].name) return a[i].name < b[i].name ? -1 : 1;
    if (a[i].value != b[i].value) return a[i].value < b[i].value ? -1 : 1;
  }
  return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
}

}  // namespace

void SortByLabels(Matrix& m) {
  std::sort(m.begin(), m.end(), [](const Series& a, const Series& b) { return CompareLabelSets(a.metric, b.metric) < 0; });
}

void SortByLabels(Vector& v) {
  std::sort(v.begin(), v.end(), [](const Sample& a, const Sample& b) { return CompareLabelSets(a.metric, b.metric) < 0; });
}

std::string LabelsString(const tsdb::Labels& labels) {
  std::string out = "{";
  bool first = true;
  for (const tsdb::Label& l : labels) {
    if (!first) out += ", ";
    first = false;
    out += l.name;
    out += '=';
    tsdb::AppendQuoted(out, l.value);
  }
  out += '}';
  return out;
}

std::unique_ptr<tsdb::Querier> TsdbQueryable::NewQuerier(int64_t mint, int64_t maxt) const {
  return db_->NewQuerier(mint, maxt);
}

std::unique_ptr<tsdb::Querier> HeadQueryable::NewQuerier(int64_t mint, int64_t maxt) const {
  return head_->NewQuerier(mint, maxt);
}

QueryErrorType ErrorTypeFor(const Status& st) {
  switch (st.code()) {
    case StatusCode::kOk: return QueryErrorType::kNone;
    case StatusCode::kInvalidArgument: return QueryErrorType::kBadData;
    case StatusCode::kUnavailable: return QueryErrorType::kTimeout;
    case StatusCode::kCancelled: return QueryErrorType::kCanceled;
    case StatusCode::kResourceExhausted:
    case StatusCode::kNotFound: return QueryErrorType::kExecution;
    default: return QueryErrorType::kInternal;
  }
}

std::string_view QueryErrorTypeName(QueryErrorType t) {
  switch (t) {
    case QueryErrorType::kNone: return "";
    case QueryErrorType::kBadData: return "bad_data";
    case QueryErrorType::kTimeout: return "timeout";
    case QueryErrorType::kCanceled: return "canceled";
    case QueryErrorType::kExecution: return "execution";
    case QueryErrorType::kInternal: return "internal";
  }
  return "internal";
}

Engine::Engine(const Queryable* storage, EngineOptions opts)
    : storage_(storage), opts_(std::make_shared<const EngineOptions>(opts)) {}

void Engine::SetOptions(EngineOptions opts) { opts_.store(std::make_shared<const EngineOptions>(opts)); }

Result<Matrix> Engine::Run(const Expr& expr, int64_t start, int64_t end, int64_t interval,
                           const QueryOptions& qo) const {
  EvalShared sh;
  const std::shared_ptr<const EngineOptions> eo = opts_.load();  // once per query
  sh.lookback_ms = qo.lookback_delta_ms > 0 ? qo.lookback_delta_ms : eo->lookback_delta_ms;
  sh.max_samples = qo.max_samples > 0 ? qo.max_samples : eo->max_samples;
  sh.default_subquery_step_ms = eo->default_subquery_step_ms;
  sh.query_start = start;
  sh.query_end = end;
  sh.deadline = std::chrono::steady_clock::now() + (qo.timeout.count() > 0 ? qo.timeout : eo->timeout);
  sh.cancelled = qo.cancelled;
  RangePlan plan;
  PlanRange(expr, start, end, sh, plan);
  std::unique_ptr<tsdb::Querier> querier;
  if (plan.any) {
    querier = storage_->NewQuerier(plan.mint, plan.maxt);
    if (querier == nullptr) return Status(StatusCode::kInternal, "no querier for the query range");
    sh.querier = querier.get();
  }
  PW_RETURN_IF_ERROR(sh.CheckDeadline("query preparation"));
  Evaluator ev(&sh, start, end, interval);
  Result<Matrix> res = ev.Eval(expr);
  if (qo.stats != nullptr) qo.stats->peak_samples = sh.peak_samples;
  if (!res.ok()) return res.status();
  PW_RETURN_IF_ERROR(sh.CheckDeadline());
  return res;
}

Result<Value> Engine::InstantQuery(const Expr& expr, int64_t t, QueryOptions opts) const {
  const ValueType type = expr.type();
  if (type == ValueType::kString) {
    const auto* s = std::get_if<StringLiteral>(&Unwrap(expr).node);
    return Value(String{t, s != nullptr ? s->value : std::string()});
  }
  PW_ASSIGN_OR_RETURN(Matrix m, Run(expr, t, t, 1, opts));
  switch (type) {
    case ValueType::kScalar: {
      double v = m.empty() || m[0].points.empty() ? std::numeric_limits<double>::quiet_NaN() : m[0].points[0].v;
      return Value(Scalar{t, v});
    }
    case ValueType::kVector: {
      Vector vec;
      vec.reserve(m.size());
      for (Series& s : m) {
        if (s.points.empty()) continue;
        vec.push_back(Sample{std::move(s.metric), t, s.points[0].v});
      }
      return Value(std::move(vec));
    }
    default:
      return Value(std::move(m));
  }
}

Result<Matrix> Engine::RangeQuery(const Expr& expr, int64_t start, int64_t end, int64_t step, QueryOptions opts) const {
  if (step <= 0) {
    return Status(StatusCode::kInvalidArgument,
                  "zero or negative query resolution step widths are not accepted. Try a positive integer");
  }
  if (end < start) return Status(StatusCode::kInvalidArgument, "end timestamp must not be before start time");
  const ValueType type = expr.type();
  if (type != ValueType::kScalar && type != ValueType::kVector) {
    return Status(StatusCode::kInvalidArgument, "invalid expression type \"" + std::string(ValueTypeName(type)) +
                                                    "\" for range query, must be Scalar or instant Vector");
  }
  PW_ASSIGN_OR_RETURN(Matrix m, Run(expr, start, end, step, opts));
  std::erase_if(m, [](const Series& s) { return s.points.empty(); });
  SortByLabels(m);
  return m;
}

}  // namespace perfwatch::query::promql
