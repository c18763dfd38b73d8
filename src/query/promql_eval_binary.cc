// Binary operators: scalar/scalar, vector/scalar, vector/vector with on/ignoring,
// group_left/group_right and bool, and the set operators and/or/unless (Prometheus'
// VectorBinop, VectorscalarBinop, VectorAnd/Or/Unless).
#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "query/promql_eval.h"
#include "query/promql_eval_labels.h"

namespace perfwatch::query::promql {
namespace {

bool ShouldDropMetricName(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd: case BinaryOp::kSub: case BinaryOp::kMul:
    case BinaryOp::kDiv: case BinaryOp::kPow: case BinaryOp::kMod:
      return true;
    default:
      return false;
  }
}

// Prometheus' vectorElemBinop: the value and whether a comparison keeps the sample.
inline bool ElemBinop(BinaryOp op, double l, double r, double* out) {
  switch (op) {
    case BinaryOp::kAdd: *out = l + r; return true;
    case BinaryOp::kSub: *out = l - r; return true;
    case BinaryOp::kMul: *out = l * r; return true;
    case BinaryOp::kDiv: *out = l / r; return true;
    case BinaryOp::kPow: *out = std::pow(l, r); return true;
    case BinaryOp::kMod: *out = std::fmod(l, r); return true;
    case BinaryOp::kAtan2: *out = std::atan2(l, r); return true;
    case BinaryOp::kEql: *out = l; return l == r;
    case BinaryOp::kNeq: *out = l; return l != r;
    case BinaryOp::kGtr: *out = l; return l > r;
    case BinaryOp::kLss: *out = l; return l < r;
    case BinaryOp::kGte: *out = l; return l >= r;
    case BinaryOp::kLte: *out = l; return l <= r;
    default: *out = 0; return false;
  }
}

inline double ScalarBinop(BinaryOp op, double l, double r) {
  double v;
  bool keep = ElemBinop(op, l, r, &v);
  if (IsComparison(op)) return keep ? 1 : 0;
  return v;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

Result<Matrix> Evaluator::EvalBinary(const BinaryExpr& b) {
  const ValueType lt = b.lhs->type();
  const ValueType rt = b.rhs->type();
  if (lt == ValueType::kScalar && rt == ValueType::kScalar) return EvalBinaryScalarScalar(b);
  if (lt == ValueType::kVector && rt == ValueType::kScalar) return EvalBinaryVectorScalar(b, true);
  if (lt == ValueType::kScalar && rt == ValueType::kVector) return EvalBinaryVectorScalar(b, false);
  if (IsSetOperator(b.op)) return EvalSetOperation(b);
  return EvalBinaryVectorVector(b);
}

Result<Matrix> Evaluator::EvalBinaryScalarScalar(const BinaryExpr& b) {
  const int64_t original = sh_->current_samples;
  PW_ASSIGN_OR_RETURN(std::vector<double> l, EvalScalarArg(*b.lhs));
  PW_ASSIGN_OR_RETURN(std::vector<double> r, EvalScalarArg(*b.rhs));
  RangeEvalAccounting acc(sh_, original);
  Matrix out(1);
  out[0].points.reserve(num_steps_);
  size_t k = 0;
  for (int64_t ts = start_; ts <= end_; ts += interval_, ++k) {
    PW_RETURN_IF_ERROR(acc.Step(2, 1));
    out[0].points.push_back(Point{ts, ScalarBinop(b.op, l[k], r[k])});
  }
  acc.Finish(out);
  return out;
}

Result<Matrix> Evaluator::EvalBinaryVectorScalar(const BinaryExpr& b, bool vector_on_left) {
  const int64_t original = sh_->current_samples;
  const Expr& vexpr = vector_on_left ? *b.lhs : *b.rhs;
  const Expr& sexpr = vector_on_left ? *b.rhs : *b.lhs;
  PW_ASSIGN_OR_RETURN(Matrix vec, Eval(vexpr));
  PW_ASSIGN_OR_RETURN(std::vector<double> sc, EvalScalarArg(sexpr));
  const bool drop_name = ShouldDropMetricName(b.op) || b.return_bool;
  const bool comparison = IsComparison(b.op);
  std::vector<uint32_t> in(num_steps_, 1), outc(num_steps_, 0);
  SeriesCollector col(num_steps_);
  for (const Series& s : vec) {
    int64_t out_idx = -1;
    for (const Point& p : s.points) {
      const size_t k = StepIndex(p.t);
      ++in[k];
      double lv = p.v, rv = sc[k];
      if (!vector_on_left) std::swap(lv, rv);
      double value;
      bool keep = ElemBinop(b.op, lv, rv, &value);
      if (comparison && !vector_on_left) value = rv;
      if (b.return_bool) {
        value = keep ? 1.0 : 0.0;
        keep = true;
      }
      if (!keep) continue;
      if (out_idx < 0) out_idx = col.Intern(drop_name ? DropMetricName(s.metric) : s.metric);
      PW_RETURN_IF_ERROR(col.Add(static_cast<uint32_t>(out_idx), p.t, value));
      ++outc[k];
    }
  }
  return FinishSteps(sh_, original, in, outc, col);
}

Result<Matrix> Evaluator::EvalBinaryVectorVector(const BinaryExpr& b) {
  using Card = VectorMatching::Cardinality;
  const int64_t original = sh_->current_samples;
  PW_ASSIGN_OR_RETURN(Matrix lhs, Eval(*b.lhs));
  PW_ASSIGN_OR_RETURN(Matrix rhs, Eval(*b.rhs));
  const VectorMatching kDefault;
  const VectorMatching& m = b.matching ? *b.matching : kDefault;
  const std::vector<std::string> names = Sorted(m.labels);
  const bool swapped = m.card == Card::kOneToMany;
  const Matrix& many = swapped ? rhs : lhs;
  const Matrix& one = swapped ? lhs : rhs;

  // Dense signature ids per series.
  std::unordered_map<uint64_t, uint32_t> sig_ids;
  auto sig_of = [&](const Series& s) {
    auto [it, _] = sig_ids.emplace(Signature(s.metric, m.on, names), static_cast<uint32_t>(sig_ids.size()));
    return it->second;
  };
  std::vector<uint32_t> many_sig(many.size()), one_sig(one.size());
  for (size_t i = 0; i < many.size(); ++i) many_sig[i] = sig_of(many[i]);
  for (size_t i = 0; i < one.size(); ++i) one_sig[i] = sig_of(one[i]);
  const size_t nsig = sig_ids.size();
  std::vector<uint32_t> one_epoch(nsig, 0), one_at(nsig, 0), matched_epoch(nsig, 0);
  std::vector<double> one_val(nsig, 0);

  SeriesCollector col(num_steps_);
  std::vector<uint32_t> out_epoch, out_sig;
  std::unordered_map<uint64_t, uint32_t> pair_out;
  std::vector<int64_t> last_one(many.size(), -1);
  std::vector<uint32_t> last_out(many.size(), 0);
  LabelsBuilder lb;
  auto result_metric = [&](uint32_t mi, uint32_t oi) -> uint32_t {
    if (last_one[mi] == oi) return last_out[mi];
    uint64_t key = (uint64_t{mi} << 32) | oi;
    auto it = pair_out.find(key);
    uint32_t idx;
    if (it != pair_out.end()) {
      idx = it->second;
    } else {
      const tsdb::Labels& ml = many[mi].metric;
      const tsdb::Labels& ol = one[oi].metric;
      lb.Reset(ml);
      if (ShouldDropMetricName(b.op) || b.return_bool) lb.Del(tsdb::kMetricNameLabel);
      if (m.card == Card::kOneToOne) {
        if (m.on) {
          lb.Keep(names);
        } else {
          for (const std::string& n : names) lb.Del(n);
        }
      }
      for (const std::string& n : m.include) {
        std::string_view v = ol.Get(n);
        if (!v.empty()) {
          lb.Set(n, v);
        } else {
          lb.Del(n);
        }
      }
      idx = col.Intern(lb.Build());
      pair_out.emplace(key, idx);
    }
    last_one[mi] = oi;
    last_out[mi] = idx;
    return idx;
  };

  StepCursor many_cur(many), one_cur(one);
  std::vector<StepSample> ms, os;
  std::vector<uint32_t> in(num_steps_, 0), outc(num_steps_, 0);
  uint32_t epoch = 0;
  size_t k = 0;
  for (int64_t ts = start_; ts <= end_; ts += interval_, ++k) {
    if ((k & 255) == 255) PW_RETURN_IF_ERROR(sh_->CheckDeadline());
    many_cur.Gather(ts, ms);
    one_cur.Gather(ts, os);
    in[k] = static_cast<uint32_t>(ms.size() + os.size());
    if (ms.empty() || os.empty()) continue;
    ++epoch;
    for (uint32_t j = 0; j < os.size(); ++j) {
      const uint32_t sig = one_sig[os[j].series];
      if (one_epoch[sig] == epoch) {
        const tsdb::Labels& dup = one[one_at[sig]].metric;
        const tsdb::Labels& cur = one[os[j].series].metric;
        return ExecError("found duplicate series for the match group " +
                         LabelsString(MatchLabels(cur, m.on, names)) + " on the " + (swapped ? "left" : "right") +
                         " hand-side of the operation: [" + LabelsString(cur) + ", " + LabelsString(dup) +
                         "];many-to-many matching not allowed: matching labels must be unique on one side");
      }
      one_epoch[sig] = epoch;
      one_at[sig] = os[j].series;
      one_val[sig] = os[j].v;
    }
    for (const StepSample& l : ms) {
      const uint32_t sig = many_sig[l.series];
      if (one_epoch[sig] != epoch) continue;
      const uint32_t oi = one_at[sig];
      const double ov = one_val[sig];
      double vl = l.v, vr = ov;
      if (swapped) std::swap(vl, vr);
      double value;
      bool keep = ElemBinop(b.op, vl, vr, &value);
      if (b.return_bool) {
        value = keep ? 1.0 : 0.0;
      } else if (!keep) {
        continue;
      }
      const uint32_t out_idx = result_metric(l.series, oi);
      if (m.card == Card::kOneToOne) {
        if (matched_epoch[sig] == epoch) {
          return ExecError(
              "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)");
        }
        matched_epoch[sig] = epoch;
      } else {
        if (out_epoch.size() <= out_idx) {
          out_epoch.resize(out_idx + 1, 0);
          out_sig.resize(out_idx + 1, 0);
        }
        if (out_epoch[out_idx] == epoch && out_sig[out_idx] == sig) {
          return ExecError("multiple matches for labels: grouping labels must ensure unique matches");
        }
        out_epoch[out_idx] = epoch;
        out_sig[out_idx] = sig;
      }
      PW_RETURN_IF_ERROR(col.Add(out_idx, ts, value));
      ++outc[k];
    }
  }
  return FinishSteps(sh_, original, in, outc, col);
}

Result<Matrix> Evaluator::EvalSetOperation(const BinaryExpr& b) {
  const int64_t original = sh_->current_samples;
  PW_ASSIGN_OR_RETURN(Matrix lhs, Eval(*b.lhs));
  PW_ASSIGN_OR_RETURN(Matrix rhs, Eval(*b.rhs));
  const VectorMatching kDefault;
  const VectorMatching& m = b.matching ? *b.matching : kDefault;
  const std::vector<std::string> names = Sorted(m.labels);
  std::unordered_map<uint64_t, uint32_t> sig_ids;
  auto sig_of = [&](const Series& s) {
    auto [it, _] = sig_ids.emplace(Signature(s.metric, m.on, names), static_cast<uint32_t>(sig_ids.size()));
    return it->second;
  };
  std::vector<uint32_t> lsig(lhs.size()), rsig(rhs.size());
  for (size_t i = 0; i < lhs.size(); ++i) lsig[i] = sig_of(lhs[i]);
  for (size_t i = 0; i < rhs.size(); ++i) rsig[i] = sig_of(rhs[i]);
  std::vector<uint32_t> mark(sig_ids.size(), 0);
  std::vector<int64_t> lout(lhs.size(), -1), rout(rhs.size(), -1);
  SeriesCollector col(num_steps_);
  auto emit = [&](const Matrix& src, std::vector<int64_t>& cache, const StepSample& s, int64_t ts) -> Status {
    if (cache[s.series] < 0) cache[s.series] = col.Intern(src[s.series].metric);
    return col.Add(static_cast<uint32_t>(cache[s.series]), ts, s.v);
  };
  StepCursor lcur(lhs), rcur(rhs);
  std::vector<StepSample> ls, rs;
  std::vector<uint32_t> in(num_steps_, 0), outc(num_steps_, 0);
  uint32_t epoch = 0;
  size_t k = 0;
  for (int64_t ts = start_; ts <= end_; ts += interval_, ++k) {
    if ((k & 255) == 255) PW_RETURN_IF_ERROR(sh_->CheckDeadline());
    lcur.Gather(ts, ls);
    rcur.Gather(ts, rs);
    in[k] = static_cast<uint32_t>(ls.size() + rs.size());
    ++epoch;
    uint32_t n = 0;
    switch (b.op) {
      case BinaryOp::kAnd:
        if (ls.empty() || rs.empty()) break;
        for (const StepSample& r : rs) mark[rsig[r.series]] = epoch;
        for (const StepSample& l : ls) {
          if (mark[lsig[l.series]] == epoch) {
            PW_RETURN_IF_ERROR(emit(lhs, lout, l, ts));
            ++n;
          }
        }
        break;
      case BinaryOp::kOr:
        for (const StepSample& l : ls) {
          mark[lsig[l.series]] = epoch;
          PW_RETURN_IF_ERROR(emit(lhs, lout, l, ts));
          ++n;
        }
        for (const StepSample& r : rs) {
          if (mark[rsig[r.series]] != epoch) {
            PW_RETURN_IF_ERROR(emit(rhs, rout, r, ts));
            ++n;
          }
        }
        break;
      default:  // unless
        for (const StepSample& r : rs) mark[rsig[r.series]] = epoch;
        for (const StepSample& l : ls) {
          if (mark[lsig[l.series]] != epoch) {
            PW_RETURN_IF_ERROR(emit(lhs, lout, l, ts));
            ++n;
          }
        }
        break;
    }
    outc[k] = n;
  }
  return FinishSteps(sh_, original, in, outc, col);
}

}  // namespace perfwatch::query::promql
