// Range-vector function calls (rate, *_over_time, ...): one series at a time, a sliding
// window per step over the series' decoded samples (Prometheus' matrixIterSlice:
// [t - offset - range, t - offset], both ends inclusive, staleness markers dropped).
#include <unordered_map>

#include "query/promql_eval.h"
#include "query/promql_eval_labels.h"
#include "query/promql_functions.h"

namespace perfwatch::query::promql {

// Labels absent() and absent_over_time() report: the selector's equality matchers,
// except __name__ and names matched more than once or otherwise.
tsdb::Labels AbsentLabels(const Expr& arg) {
  const Expr& e = Unwrap(arg);
  const VectorSelector* vs = nullptr;
  if (const auto* v = std::get_if<VectorSelector>(&e.node)) vs = v;
  if (const auto* m = std::get_if<MatrixSelector>(&e.node)) vs = &m->selector;
  if (vs == nullptr) return {};
  std::vector<tsdb::LabelView> set;
  std::vector<std::string_view> empty;
  for (const tsdb::Matcher& m : vs->matchers) {
    if (m.name() == tsdb::kMetricNameLabel) continue;
    bool has = false;
    for (const auto& l : set) has |= l.name == m.name();
    if (m.type() == tsdb::MatchType::kEqual && !has) {
      set.push_back({m.name(), m.value()});
    } else {
      empty.push_back(m.name());
    }
  }
  std::erase_if(set, [&](const tsdb::LabelView& l) {
    for (std::string_view n : empty) {
      if (n == l.name) return true;
    }
    return false;
  });
  return tsdb::Labels::FromViews(set);
}

Result<Matrix> Evaluator::EvalRangeFunction(const Call& c, size_t matrix_arg) {
  const Fn fn = *LookupFn(c.func->name);
  // Scalar arguments (quantile_over_time's q, predict_linear's t, holt_winters' factors).
  std::vector<std::vector<double>> scalars;
  for (size_t i = 0; i < c.args.size(); ++i) {
    if (i == matrix_arg) continue;
    PW_ASSIGN_OR_RETURN(std::vector<double> v, EvalScalarArg(*c.args[i]));
    scalars.push_back(std::move(v));
  }
  const Expr& arg = Unwrap(*c.args[matrix_arg]);
  const bool keep_name = fn == Fn::kLastOverTime;

  int64_t range_ms, offset_ms;
  bool has_at;
  int64_t at;
  Matrix subquery_result;
  int64_t subquery_samples = 0;
  const MatrixSelector* ms = std::get_if<MatrixSelector>(&arg.node);
  if (ms != nullptr) {
    range_ms = ms->range_ms;
    offset_ms = ms->selector.offset_ms;
    has_at = ms->selector.at != AtKind::kNone;
    at = sh_->ResolveAt(ms->selector.at, ms->selector.at_ms);
  } else {
    const auto& sq = std::get<SubqueryExpr>(arg.node);
    range_ms = sq.range_ms;
    offset_ms = sq.offset_ms;
    has_at = sq.at != AtKind::kNone;
    at = sh_->ResolveAt(sq.at, sq.at_ms);
    PW_ASSIGN_OR_RETURN(subquery_result, EvalSubquery(sq));
    subquery_samples = static_cast<int64_t>(TotalPoints(subquery_result));
  }

  Matrix out;
  std::vector<Point> window_copy;
  bool validated = fn != Fn::kHoltWinters;
  auto process = [&](const tsdb::Labels& labels, std::span<const Point> pts) -> Status {
    Series s;
    size_t lo = 0, hi = 0;
    const size_t n = pts.size();
    size_t k = 0, work = 0;
    for (int64_t ts = start_; ts <= end_; ts += interval_, ++k) {
      const int64_t ref = (has_at ? at : ts) - offset_ms;
      const int64_t wmin = ref - range_ms;
      while (hi < n && pts[hi].t <= ref) ++hi;
      while (lo < hi && pts[lo].t < wmin) ++lo;
      if (lo == hi) continue;
      const size_t wn = hi - lo;
      // Long windows of one series (a fine subquery): the timeout and cancellation are
      // checked every million window points too, not only between series.
      if ((work += wn) >= (size_t{1} << 20)) {
        work = 0;
        PW_RETURN_IF_ERROR(sh_->CheckDeadline());
      }
      if (sh_->current_samples + static_cast<int64_t>(wn) > sh_->max_samples) return EvalShared::TooManySamples();
      RangeCall call;
      call.range_start = wmin;
      call.range_end = ref;
      call.range_ms = range_ms;
      call.ts = ts;
      if (!scalars.empty()) call.arg0 = scalars[0][k];
      if (scalars.size() > 1) call.arg1 = scalars[1][k];
      if (!validated) {
        if (call.arg0 <= 0 || call.arg0 >= 1) {
          return ExecError("invalid smoothing factor. Expected: 0 < sf < 1, got: " + std::to_string(call.arg0));
        }
        if (call.arg1 <= 0 || call.arg1 >= 1) {
          return ExecError("invalid trend factor. Expected: 0 < tf < 1, got: " + std::to_string(call.arg1));
        }
      }
      double v;
      if (!ApplyRangeFn(fn, pts.subspan(lo, wn), call, &v)) continue;
      if (s.points.empty()) s.points.reserve(num_steps_);
      s.points.push_back(Point{ts, v});
    }
    if (s.points.empty()) return Status::Ok();
    if (sh_->current_samples + static_cast<int64_t>(s.points.size()) > sh_->max_samples) {
      return EvalShared::TooManySamples();
    }
    sh_->current_samples += static_cast<int64_t>(s.points.size());
    sh_->UpdatePeak();
    s.metric = keep_name ? labels : DropMetricName(labels);
    out.push_back(std::move(s));
    return Status::Ok();
  };

  if (ms != nullptr) {
    const int64_t mint = (has_at ? at : start_) - offset_ms - range_ms;
    const int64_t maxt = (has_at ? at : end_) - offset_ms;
    std::vector<Point> buf;
    PW_RETURN_IF_ERROR(ForEachSelectedSeries(sh_, ms->selector, mint, maxt, /*drop_stale=*/true, buf, process));
  } else {
    size_t i = 0;
    for (const Series& s : subquery_result) {
      if ((++i & 63) == 0) PW_RETURN_IF_ERROR(sh_->CheckDeadline());
      PW_RETURN_IF_ERROR(process(s.metric, s.points));
    }
    sh_->current_samples -= subquery_samples;
  }

  if (fn == Fn::kAbsentOverTime) {
    std::vector<uint8_t> found(num_steps_, 0);
    for (const Series& s : out) {
      for (const Point& p : s.points) found[StepIndex(p.t)] = 1;
    }
    Matrix res;
    Series a;
    for (int64_t ts = start_, k = 0; ts <= end_; ts += interval_, ++k) {
      if (!found[k]) a.points.push_back(Point{ts, 1});
    }
    if (!a.points.empty()) {
      a.metric = ms != nullptr ? AbsentLabels(arg) : tsdb::Labels();
      res.push_back(std::move(a));
    }
    return res;
  }
  if (out.size() > 1) {
    std::unordered_multimap<uint64_t, uint32_t> idx;
    for (uint32_t i = 0; i < out.size(); ++i) {
      const uint64_t h = HashOfLabels(out[i].metric);
      auto [a, b] = idx.equal_range(h);
      for (auto it = a; it != b; ++it) {
        if (out[it->second].metric == out[i].metric) {
          return ExecError("vector cannot contain metrics with the same labelset");
        }
      }
      idx.emplace(h, i);
    }
  }
  return out;
}

}  // namespace perfwatch::query::promql
