// The step evaluator: dispatch, literals, selectors, subqueries and unary minus.
// Binary operators: promql_eval_binary.cc; aggregations: promql_aggregate.cc; function
// calls: promql_functions*.cc.
#include "query/promql_eval.h"

#include <algorithm>
#include <unordered_set>

#include "query/promql_eval_labels.h"

namespace perfwatch::query::promql {

const Expr& Unwrap(const Expr& e) {
  const Expr* p = &e;
  while (const auto* pe = std::get_if<ParenExpr>(&p->node)) p = pe->expr.get();
  return *p;
}

size_t TotalPoints(const Matrix& m) {
  size_t n = 0;
  for (const Series& s : m) n += s.points.size();
  return n;
}

void RangeEvalAccounting::Finish(const Matrix& result) { KeepResult(sh_, original_, result); }

void KeepResult(EvalShared* sh, int64_t original, const Matrix& result) {
  sh->current_samples = original + static_cast<int64_t>(TotalPoints(result));
  sh->UpdatePeak();
}

Status AccountSteps(EvalShared* sh, int64_t original, const std::vector<uint32_t>& in,
                    const std::vector<uint32_t>& out) {
  RangeEvalAccounting acc(sh, original);
  for (size_t k = 0; k < in.size(); ++k) PW_RETURN_IF_ERROR(acc.Step(in[k], out[k]));
  return Status::Ok();
}

Result<Matrix> FinishSteps(EvalShared* sh, int64_t original, const std::vector<uint32_t>& in,
                           const std::vector<uint32_t>& out, SeriesCollector& col) {
  PW_RETURN_IF_ERROR(AccountSteps(sh, original, in, out));
  PW_ASSIGN_OR_RETURN(Matrix result, col.Take());
  KeepResult(sh, original, result);
  return result;
}

uint32_t SeriesCollector::Intern(tsdb::Labels labels) {
  uint64_t h = HashOfLabels(labels);
  auto [lo, hi] = index_.equal_range(h);
  for (auto it = lo; it != hi; ++it) {
    if (out_[it->second].metric == labels) return it->second;
  }
  uint32_t idx = static_cast<uint32_t>(out_.size());
  out_.push_back(Series{std::move(labels), {}});
  index_.emplace(h, idx);
  return idx;
}

Result<Matrix> SeriesCollector::Take() {
  Matrix out;
  out.reserve(out_.size());
  for (Series& s : out_) {
    if (s.points.empty()) continue;
    if (unordered_) {
      auto by_t = [](const Point& a, const Point& b) { return a.t < b.t; };
      if (!std::is_sorted(s.points.begin(), s.points.end(), by_t)) {
        std::stable_sort(s.points.begin(), s.points.end(), by_t);
        for (size_t i = 1; i < s.points.size(); ++i) {
          if (s.points[i].t == s.points[i - 1].t) {
            return ExecError("vector cannot contain metrics with the same labelset");
          }
        }
      }
    }
    out.push_back(std::move(s));
  }
  out_.clear();
  index_.clear();
  return out;
}

Result<Matrix> Evaluator::Eval(const Expr& e) {
  PW_RETURN_IF_ERROR(sh_->CheckDeadline());
  return std::visit(
      [&](const auto& n) -> Result<Matrix> {
        using T = std::decay_t<decltype(n)>;
        if constexpr (std::is_same_v<T, NumberLiteral>) {
          return EvalNumber(n.value);
        } else if constexpr (std::is_same_v<T, StringLiteral>) {
          return Status(StatusCode::kInternal, "string literal evaluated as a series");
        } else if constexpr (std::is_same_v<T, VectorSelector>) {
          return EvalVectorSelector(n);
        } else if constexpr (std::is_same_v<T, MatrixSelector>) {
          return EvalMatrixSelector(n);
        } else if constexpr (std::is_same_v<T, SubqueryExpr>) {
          return EvalSubquery(n);
        } else if constexpr (std::is_same_v<T, UnaryExpr>) {
          return EvalUnary(n);
        } else if constexpr (std::is_same_v<T, BinaryExpr>) {
          return EvalBinary(n);
        } else if constexpr (std::is_same_v<T, AggregateExpr>) {
          return EvalAggregate(n);
        } else if constexpr (std::is_same_v<T, Call>) {
          return EvalCall(n);
        } else {
          return Eval(*n.expr);
        }
      },
      e.node);
}

Result<std::vector<double>> Evaluator::EvalScalarArg(const Expr& e) {
  PW_ASSIGN_OR_RETURN(Matrix m, Eval(e));
  std::vector<double> out(num_steps_, std::numeric_limits<double>::quiet_NaN());
  if (!m.empty()) {
    for (const Point& p : m[0].points) out[StepIndex(p.t)] = p.v;
  }
  return out;
}

Result<Matrix> Evaluator::EvalNumber(double v) {
  RangeEvalAccounting acc(sh_, sh_->current_samples);
  Matrix out(1);
  out[0].points.reserve(num_steps_);
  for (int64_t ts = start_; ts <= end_; ts += interval_) {
    PW_RETURN_IF_ERROR(acc.Step(0, 1));
    out[0].points.push_back(Point{ts, v});
  }
  acc.Finish(out);
  return out;
}

Result<Matrix> Evaluator::EvalVectorSelector(const VectorSelector& vs) {
  const bool has_at = vs.at != AtKind::kNone;
  const int64_t at = sh_->ResolveAt(vs.at, vs.at_ms);
  const int64_t lookback = sh_->lookback_ms;
  const int64_t mint = (has_at ? at : start_) - vs.offset_ms - lookback;
  const int64_t maxt = (has_at ? at : end_) - vs.offset_ms;
  Matrix out;
  std::vector<Point> buf;
  Status st = ForEachSelectedSeries(
      sh_, vs, mint, maxt, /*drop_stale=*/false, buf,
      [&](const tsdb::Labels& labels, std::span<const Point> pts) -> Status {
        Series s;
        if (has_at) {
          const int64_t ref = at - vs.offset_ms;
          auto it = std::upper_bound(pts.begin(), pts.end(), ref, [](int64_t t, const Point& p) { return t < p.t; });
          if (it == pts.begin()) return Status::Ok();
          const Point& p = *(it - 1);
          if (p.t < ref - lookback || IsStaleNaN(p.v)) return Status::Ok();
          s.points.reserve(num_steps_);
          for (int64_t ts = start_; ts <= end_; ts += interval_) s.points.push_back(Point{ts, p.v});
        } else {
          size_t j = 0;
          const size_t n = pts.size();
          for (int64_t ts = start_; ts <= end_; ts += interval_) {
            const int64_t ref = ts - vs.offset_ms;
            while (j < n && pts[j].t <= ref) ++j;
            if (j == 0) continue;
            const Point& p = pts[j - 1];
            if (p.t < ref - lookback || IsStaleNaN(p.v)) continue;
            if (s.points.empty()) s.points.reserve(num_steps_);
            s.points.push_back(Point{ts, p.v});
          }
        }
        if (s.points.empty()) return Status::Ok();
        if (sh_->current_samples + static_cast<int64_t>(s.points.size()) > sh_->max_samples) {
          return EvalShared::TooManySamples();
        }
        sh_->current_samples += static_cast<int64_t>(s.points.size());
        s.metric = labels;
        out.push_back(std::move(s));
        return Status::Ok();
      });
  PW_RETURN_IF_ERROR(st);
  sh_->UpdatePeak();
  return out;
}

Result<Matrix> Evaluator::EvalMatrixSelector(const MatrixSelector& ms) {
  const VectorSelector& vs = ms.selector;
  const int64_t ref = (vs.at != AtKind::kNone ? sh_->ResolveAt(vs.at, vs.at_ms) : start_) - vs.offset_ms;
  Matrix out;
  std::vector<Point> buf;
  Status st = ForEachSelectedSeries(sh_, vs, ref - ms.range_ms, ref, /*drop_stale=*/true, buf,
                                    [&](const tsdb::Labels& labels, std::span<const Point> pts) -> Status {
                                      if (pts.empty()) return Status::Ok();
                                      if (sh_->current_samples + static_cast<int64_t>(pts.size()) > sh_->max_samples) {
                                        return EvalShared::TooManySamples();
                                      }
                                      sh_->current_samples += static_cast<int64_t>(pts.size());
                                      out.push_back(Series{labels, std::vector<Point>(pts.begin(), pts.end())});
                                      return Status::Ok();
                                    });
  PW_RETURN_IF_ERROR(st);
  sh_->UpdatePeak();
  return out;
}

Result<Matrix> Evaluator::EvalSubquery(const SubqueryExpr& sq) {
  const int64_t step = sq.step_ms > 0 ? sq.step_ms : sh_->default_subquery_step_ms;
  const bool has_at = sq.at != AtKind::kNone;
  const int64_t at = sh_->ResolveAt(sq.at, sq.at_ms);
  const int64_t base_start = has_at ? at : start_;
  const int64_t base_end = has_at ? at : end_;
  const int64_t lo = base_start - sq.offset_ms - sq.range_ms;
  int64_t inner_start = step * (lo / step);
  if (inner_start < lo) inner_start += step;
  const int64_t inner_end = base_end - sq.offset_ms;
  if (inner_start > inner_end) return Matrix{};
  Evaluator inner(sh_, inner_start, inner_end, step);
  return inner.Eval(*sq.expr);
}

Result<Matrix> Evaluator::EvalUnary(const UnaryExpr& u) {
  PW_ASSIGN_OR_RETURN(Matrix m, Eval(*u.expr));
  if (!u.negate) return m;
  bool dup = false;
  for (Series& s : m) {
    if (HasMetricName(s.metric)) s.metric = DropMetricName(s.metric);
    for (Point& p : s.points) p.v = -p.v;
  }
  if (m.size() > 1) {
    std::unordered_multimap<uint64_t, uint32_t> idx;
    for (uint32_t i = 0; i < m.size() && !dup; ++i) {
      uint64_t h = HashOfLabels(m[i].metric);
      auto [a, b] = idx.equal_range(h);
      for (auto it = a; it != b; ++it) {
        if (m[it->second].metric == m[i].metric) dup = true;
      }
      idx.emplace(h, i);
    }
  }
  if (dup) return ExecError("vector cannot contain metrics with the same labelset");
  return m;
}

}  // namespace perfwatch::query::promql
