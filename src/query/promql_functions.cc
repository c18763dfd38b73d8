// Function calls that take instant vectors or scalars: element-wise math, rounding and
// clamping, dates, timestamp(), label_replace/label_join, sort, vector/scalar, absent,
// time/pi and histogram_quantile. Range-vector functions: promql_functions_range.cc.
#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numbers>
#include <unordered_map>

#include "common/hash.h"

#include "query/promql_eval.h"
#include "query/promql_eval_labels.h"
#include "query/promql_functions.h"

namespace perfwatch::query::promql {

tsdb::Labels AbsentLabels(const Expr& arg);  // promql_functions_range.cc

namespace {

bool IsDateFn(Fn fn) { return fn >= Fn::kMinute && fn <= Fn::kYear; }
bool IsMathFn(Fn fn) { return (fn >= Fn::kAbs && fn <= Fn::kSgn) || (fn >= Fn::kAcos && fn <= Fn::kRad); }

const std::string& StringArg(const Call& c, size_t i) {
  static const std::string kEmpty;
  const auto* s = std::get_if<StringLiteral>(&Unwrap(*c.args[i]).node);
  return s != nullptr ? s->value : kEmpty;
}

// Go's strconv.ParseFloat for `le` values.
bool ParseGoFloat(std::string_view s, double* out) {
  if (s.empty() || s[0] == ' ' || s[0] == '\t' || s[0] == '\n') return false;
  std::string tmp(s);
  char* end = nullptr;
  *out = std::strtod(tmp.c_str(), &end);
  return end == tmp.c_str() + tmp.size();
}

}  // namespace

Result<Matrix> Evaluator::EvalCall(const Call& c) {
  const Fn* fnp = LookupFn(c.func->name);
  if (fnp == nullptr) {
    return Status(StatusCode::kInvalidArgument, "function \"" + std::string(c.func->name) + "\" is not supported");
  }
  if (*fnp == Fn::kTimestamp) {
    if (const auto* vs = std::get_if<VectorSelector>(&Unwrap(*c.args[0]).node)) return EvalTimestampOfSelector(*vs);
  }
  for (size_t i = 0; i < c.args.size(); ++i) {
    const Expr& a = Unwrap(*c.args[i]);
    if (std::holds_alternative<MatrixSelector>(a.node) || std::holds_alternative<SubqueryExpr>(a.node)) {
      return EvalRangeFunction(c, i);
    }
  }
  return EvalInstantFunction(c);
}

Result<Matrix> Evaluator::EvalTimestampOfSelector(const VectorSelector& vs) {
  const int64_t original = sh_->current_samples;
  const bool has_at = vs.at != AtKind::kNone;
  const int64_t at = sh_->ResolveAt(vs.at, vs.at_ms);
  const int64_t lookback = sh_->lookback_ms;
  std::vector<uint32_t> in(num_steps_, 0), outc(num_steps_, 0);
  SeriesCollector col(num_steps_);
  std::vector<Point> buf;
  PW_RETURN_IF_ERROR(ForEachSelectedSeries(
      sh_, vs, (has_at ? at : start_) - vs.offset_ms - lookback, (has_at ? at : end_) - vs.offset_ms,
      /*drop_stale=*/false, buf, [&](const tsdb::Labels& labels, std::span<const Point> pts) -> Status {
        int64_t out_idx = -1;
        size_t j = 0;
        size_t k = 0;
        for (int64_t ts = start_; ts <= end_; ts += interval_, ++k) {
          const int64_t ref = (has_at ? at : ts) - vs.offset_ms;
          if (has_at) j = 0;
          while (j < pts.size() && pts[j].t <= ref) ++j;
          if (j == 0) continue;
          const Point& p = pts[j - 1];
          if (p.t < ref - lookback || IsStaleNaN(p.v)) continue;
          if (out_idx < 0) out_idx = col.Intern(DropMetricName(labels));
          PW_RETURN_IF_ERROR(col.Add(static_cast<uint32_t>(out_idx), ts, static_cast<double>(p.t) / 1000));
          ++outc[k];
        }
        return Status::Ok();
      }));
  return FinishSteps(sh_, original, in, outc, col);
}

Result<Matrix> Evaluator::EvalInstantFunction(const Call& c) {
  const Fn fn = *LookupFn(c.func->name);
  const int64_t original = sh_->current_samples;
  std::vector<uint32_t> in(num_steps_, 0), outc(num_steps_, 0);

  // Label-less series computed from the step time and scalar arguments.
  auto per_step = [&](size_t inputs, auto value_at) -> Result<Matrix> {
    Matrix out(1);
    out[0].points.reserve(num_steps_);
    size_t k = 0;
    for (int64_t ts = start_; ts <= end_; ts += interval_, ++k) {
      out[0].points.push_back(Point{ts, value_at(ts, k)});
      in[k] = static_cast<uint32_t>(inputs);
      outc[k] = 1;
    }
    PW_RETURN_IF_ERROR(AccountSteps(sh_, original, in, outc));
    KeepResult(sh_, original, out);
    return out;
  };

  switch (fn) {
    case Fn::kPi:
      return per_step(0, [](int64_t, size_t) { return std::numbers::pi; });
    case Fn::kTime:
      return per_step(0, [](int64_t ts, size_t) { return static_cast<double>(ts) / 1000; });
    case Fn::kVector: {
      PW_ASSIGN_OR_RETURN(std::vector<double> s, EvalScalarArg(*c.args[0]));
      return per_step(1, [&](int64_t, size_t k) { return s[k]; });
    }
    default:
      break;
  }
  if (IsDateFn(fn) && c.args.empty()) {
    return per_step(0, [fn](int64_t ts, size_t) { return ApplyDateFn(fn, ts / 1000); });
  }

  if (fn == Fn::kScalar || fn == Fn::kAbsent) {
    PW_ASSIGN_OR_RETURN(Matrix vec, Eval(*c.args[0]));
    std::vector<double> last(num_steps_, 0);
    for (const Series& s : vec) {
      for (const Point& p : s.points) {
        const size_t k = StepIndex(p.t);
        ++in[k];
        last[k] = p.v;
      }
    }
    Matrix out(1);
    size_t k = 0;
    for (int64_t ts = start_; ts <= end_; ts += interval_, ++k) {
      if (fn == Fn::kScalar) {
        out[0].points.push_back(Point{ts, in[k] == 1 ? last[k] : std::numeric_limits<double>::quiet_NaN()});
        outc[k] = 1;
      } else if (in[k] == 0) {
        out[0].points.push_back(Point{ts, 1});
        outc[k] = 1;
      }
    }
    PW_RETURN_IF_ERROR(AccountSteps(sh_, original, in, outc));
    if (fn == Fn::kAbsent) {
      if (out[0].points.empty()) out.clear();
      else out[0].metric = AbsentLabels(*c.args[0]);
    }
    KeepResult(sh_, original, out);
    return out;
  }

  if (fn == Fn::kHistogramQuantile) {
    PW_ASSIGN_OR_RETURN(std::vector<double> q, EvalScalarArg(*c.args[0]));
    PW_ASSIGN_OR_RETURN(Matrix vec, Eval(*c.args[1]));
    std::vector<int32_t> series_group(vec.size(), -1);
    std::vector<double> upper(vec.size(), 0);
    std::vector<const tsdb::Labels*> group_first;
    std::unordered_map<uint64_t, uint32_t> ids;
    for (size_t i = 0; i < vec.size(); ++i) {
      if (!ParseGoFloat(vec[i].metric.Get("le"), &upper[i])) continue;
      uint64_t h = 0x3c6ef372fe94f82bULL;
      for (const tsdb::Label& l : vec[i].metric) {
        if (l.name == "le") continue;
        h = HashBytes(l.value, HashBytes(l.name, h));
      }
      auto [it, inserted] = ids.emplace(h, static_cast<uint32_t>(group_first.size()));
      if (inserted) group_first.push_back(&vec[i].metric);
      series_group[i] = static_cast<int32_t>(it->second);
    }
    std::vector<std::vector<Bucket>> buckets(group_first.size());
    std::vector<uint32_t> epoch_of(group_first.size(), 0);
    std::vector<int64_t> group_out(group_first.size(), -1);
    std::vector<uint32_t> order;
    SeriesCollector col(num_steps_);
    StepCursor cur(vec);
    std::vector<StepSample> ss;
    LabelsBuilder lb;
    uint32_t epoch = 0;
    size_t k = 0;
    for (int64_t ts = start_; ts <= end_; ts += interval_, ++k) {
      if ((k & 255) == 255) PW_RETURN_IF_ERROR(sh_->CheckDeadline());
      cur.Gather(ts, ss);
      in[k] = static_cast<uint32_t>(ss.size() + 1);
      ++epoch;
      order.clear();
      for (const StepSample& s : ss) {
        const int32_t g = series_group[s.series];
        if (g < 0) continue;
        if (epoch_of[g] != epoch) {
          epoch_of[g] = epoch;
          buckets[g].clear();
          order.push_back(static_cast<uint32_t>(g));
        }
        buckets[g].push_back(Bucket{upper[s.series], s.v});
      }
      for (uint32_t g : order) {
        if (group_out[g] < 0) {
          lb.Reset(*group_first[g]);
          lb.Del(tsdb::kMetricNameLabel);
          lb.Del("le");
          group_out[g] = col.Intern(lb.Build());
        }
        PW_RETURN_IF_ERROR(col.Add(static_cast<uint32_t>(group_out[g]), ts, BucketQuantile(q[k], buckets[g])));
      }
      outc[k] = static_cast<uint32_t>(order.size());
    }
    return FinishSteps(sh_, original, in, outc, col);
  }

  // Element-wise functions of one instant vector, evaluated series by series.
  PW_ASSIGN_OR_RETURN(Matrix vec, Eval(*c.args[0]));
  std::vector<std::vector<double>> scalars;
  if (fn == Fn::kRound || fn == Fn::kClamp || fn == Fn::kClampMin || fn == Fn::kClampMax) {
    for (size_t i = 1; i < c.args.size(); ++i) {
      PW_ASSIGN_OR_RETURN(std::vector<double> v, EvalScalarArg(*c.args[i]));
      scalars.push_back(std::move(v));
    }
  }
  std::unique_ptr<RE2> re;
  std::vector<std::string> group_names;
  std::string dst, repl, src, sep;
  std::vector<std::string> join_src;
  if (fn == Fn::kLabelReplace) {
    dst = StringArg(c, 1);
    repl = StringArg(c, 2);
    src = StringArg(c, 3);
    const std::string& regex = StringArg(c, 4);
    re = std::make_unique<RE2>("^(?:" + regex + ")$", RE2::Quiet);
    if (!re->ok()) return ExecError("invalid regular expression in label_replace(): " + regex);
    if (!IsValidLabelName(dst)) return ExecError("invalid destination label name in label_replace(): " + dst);
    group_names.resize(re->NumberOfCapturingGroups() + 1);
    for (const auto& [name, idx] : re->NamedCapturingGroups()) group_names[idx] = name;
  } else if (fn == Fn::kLabelJoin) {
    dst = StringArg(c, 1);
    sep = StringArg(c, 2);
    for (size_t i = 3; i < c.args.size(); ++i) {
      join_src.push_back(StringArg(c, i));
      if (!IsValidLabelName(join_src.back())) {
        return ExecError("invalid source label name in label_join(): " + join_src.back());
      }
    }
    if (!IsValidLabelName(dst)) return ExecError("invalid destination label name in label_join(): " + dst);
  }
  const uint32_t scalar_inputs = static_cast<uint32_t>(scalars.size());
  for (uint32_t& x : in) x = scalar_inputs;

  LabelsBuilder lb;
  auto out_labels = [&](const tsdb::Labels& m) -> tsdb::Labels {
    switch (fn) {
      case Fn::kSort: case Fn::kSortDesc: return m;
      case Fn::kLabelReplace: {
        std::string_view sv = m.Get(src);
        std::vector<re2::StringPiece> pieces(group_names.size());
        if (!re->Match(re2::StringPiece(sv.data(), sv.size()), 0, sv.size(), RE2::UNANCHORED, pieces.data(),
                       static_cast<int>(pieces.size()))) {
          return m;
        }
        std::vector<std::string_view> groups(pieces.size());
        for (size_t g = 0; g < pieces.size(); ++g) groups[g] = std::string_view(pieces[g].data(), pieces[g].size());
        std::string res = ExpandTemplate(repl, sv, groups, group_names);
        lb.Reset(m);
        lb.Del(dst);
        if (!res.empty()) lb.Set(dst, res);
        return lb.Build();
      }
      case Fn::kLabelJoin: {
        std::string joined;
        for (size_t i = 0; i < join_src.size(); ++i) {
          if (i > 0) joined += sep;
          joined += m.Get(join_src[i]);
        }
        lb.Reset(m);
        if (joined.empty()) {
          lb.Del(dst);
        } else {
          lb.Set(dst, joined);
        }
        return lb.Build();
      }
      default: return DropMetricName(m);
    }
  };

  SeriesCollector col(num_steps_);
  size_t si = 0;
  for (const Series& s : vec) {
    if ((++si & 63) == 0) PW_RETURN_IF_ERROR(sh_->CheckDeadline());
    int64_t out_idx = -1;
    for (const Point& p : s.points) {
      const size_t k = StepIndex(p.t);
      ++in[k];
      double v = p.v;
      if (IsMathFn(fn)) {
        v = ApplyMathFn(fn, v);
      } else if (IsDateFn(fn)) {
        v = ApplyDateFnToValue(fn, v);
      } else {
        switch (fn) {
          case Fn::kTimestamp: v = static_cast<double>(p.t) / 1000; break;
          case Fn::kRound: {
            const double inv = 1.0 / (scalars.empty() ? 1.0 : scalars[0][k]);
            v = std::floor(v * inv + 0.5) / inv;
            break;
          }
          case Fn::kClamp:
            if (scalars[1][k] < scalars[0][k]) continue;
            v = ApplyClamp(v, scalars[0][k], scalars[1][k]);
            break;
          case Fn::kClampMin: v = ApplyClampMin(v, scalars[0][k]); break;
          case Fn::kClampMax: v = ApplyClampMax(v, scalars[0][k]); break;
          default: break;
        }
      }
      if (out_idx < 0) out_idx = col.Intern(out_labels(s.metric));
      PW_RETURN_IF_ERROR(col.Add(static_cast<uint32_t>(out_idx), p.t, v));
      ++outc[k];
    }
  }
  PW_RETURN_IF_ERROR(AccountSteps(sh_, original, in, outc));
  PW_ASSIGN_OR_RETURN(Matrix out, col.Take());
  if ((fn == Fn::kSort || fn == Fn::kSortDesc) && num_steps_ == 1) {
    const bool desc = fn == Fn::kSortDesc;
    std::stable_sort(out.begin(), out.end(), [desc](const Series& a, const Series& b) {
      const double x = a.points[0].v, y = b.points[0].v;
      if (std::isnan(x)) return false;
      if (std::isnan(y)) return true;
      return desc ? x > y : x < y;
    });
  }
  KeepResult(sh_, original, out);
  return out;
}

}  // namespace perfwatch::query::promql
