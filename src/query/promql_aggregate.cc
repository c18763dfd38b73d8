// Aggregation operators (Prometheus' aggregation()): sum avg min max count stddev stdvar
// group topk bottomk quantile count_values, with by/without. Group keys and output labels
// are computed once per input series; each step accumulates into dense per-group slots.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "query/promql_eval.h"
#include "query/promql_eval_labels.h"
#include "query/promql_functions.h"

namespace perfwatch::query::promql {
namespace {

struct GroupAcc {
  double value = 0;
  double mean = 0;
  int64_t count = 0;
  std::vector<StepSample> heap;  // topk / bottomk / quantile
};

// Go's container/heap over vectorByValueHeap (min-heap, NaN smallest) and
// vectorByReverseValueHeap (max-heap, NaN largest), expressed for std::*_heap.
inline bool TopkHeapComp(const StepSample& a, const StepSample& b) {  // "a is below b" in std terms
  // Less(b, a): b is NaN or b < a.
  return std::isnan(b.v) || b.v < a.v;
}
inline bool BottomkHeapComp(const StepSample& a, const StepSample& b) {
  // Less(b, a) for the reverse heap: b is NaN or b > a.
  return std::isnan(b.v) || b.v > a.v;
}

}  // namespace

Result<Matrix> Evaluator::EvalAggregate(const AggregateExpr& a) {
  const int64_t original = sh_->current_samples;
  const AggregateOp op = a.op;
  std::vector<double> param;
  std::string value_label;
  if (op == AggregateOp::kCountValues) {
    const auto* sl = std::get_if<StringLiteral>(&Unwrap(*a.param).node);
    if (sl == nullptr) return Status(StatusCode::kInvalidArgument, "count_values needs a string parameter");
    value_label = sl->value;
  } else if (a.param) {
    PW_ASSIGN_OR_RETURN(param, EvalScalarArg(*a.param));
  }
  PW_ASSIGN_OR_RETURN(Matrix vec, Eval(*a.expr));
  if (op == AggregateOp::kCountValues && !IsValidLabelName(value_label)) {
    return ExecError("invalid label name \"" + value_label + "\"");
  }
  std::vector<std::string> grouping = a.grouping;
  std::sort(grouping.begin(), grouping.end());

  // Group of each input series (not for count_values, whose groups depend on values).
  std::vector<uint32_t> series_group(vec.size(), 0);
  std::vector<const tsdb::Labels*> group_first;  // a member of each group (for its labels)
  LabelsBuilder lb;
  auto group_labels = [&](const tsdb::Labels& metric) {
    lb.Reset(metric);
    if (a.without) {
      for (const std::string& g : grouping) lb.Del(g);
      lb.Del(tsdb::kMetricNameLabel);
    } else {
      lb.Keep(grouping);
    }
    return lb.Build();
  };
  if (op != AggregateOp::kCountValues) {
    std::unordered_map<uint64_t, uint32_t> ids;
    for (size_t i = 0; i < vec.size(); ++i) {
      uint64_t key = a.without ? SignatureWithout(vec[i].metric, grouping)
                               : (grouping.empty() ? 0 : SignatureOn(vec[i].metric, grouping));
      auto [it, inserted] = ids.emplace(key, static_cast<uint32_t>(group_first.size()));
      if (inserted) group_first.push_back(&vec[i].metric);
      series_group[i] = it->second;
    }
  }
  std::vector<GroupAcc> accs(group_first.size());
  std::vector<uint32_t> group_epoch(group_first.size(), 0);
  std::vector<int64_t> group_out(group_first.size(), -1);
  std::vector<int64_t> series_out(vec.size(), -1);  // topk / bottomk
  std::vector<uint32_t> order;
  order.reserve(group_first.size());

  // count_values: groups by (labels with the value label) -> output index.
  std::unordered_map<uint64_t, uint32_t> cv_ids;
  std::vector<tsdb::Labels> cv_labels;
  std::vector<int64_t> cv_count;
  std::vector<uint32_t> cv_epoch;

  SeriesCollector col(num_steps_);
  StepCursor cur(vec);
  std::vector<StepSample> ss;
  std::vector<StepSample> scratch;
  RangeEvalAccounting acc(sh_, original);
  uint32_t epoch = 0;
  size_t k = 0;
  char numbuf[64];
  for (int64_t ts = start_; ts <= end_; ts += interval_, ++k) {
    if ((k & 255) == 255) PW_RETURN_IF_ERROR(sh_->CheckDeadline());
    cur.Gather(ts, ss);
    ++epoch;
    order.clear();
    size_t produced = 0;
    const size_t inputs = ss.size() + (a.param && op != AggregateOp::kCountValues ? 1 : 0);

    if (op == AggregateOp::kCountValues) {
      for (const StepSample& s : ss) {
        std::string_view vs = FormatFloatForLabel(s.v, numbuf, sizeof numbuf);
        lb.Reset(vec[s.series].metric);
        lb.Set(value_label, vs);
        tsdb::Labels with_value = lb.Build();
        tsdb::Labels g = a.without ? group_labels(with_value) : [&] {
          std::vector<std::string> gv = grouping;
          gv.push_back(value_label);
          lb.Reset(with_value);
          lb.Keep(gv);
          return lb.Build();
        }();
        uint64_t h = HashOfLabels(g);
        auto it = cv_ids.find(h);
        uint32_t id;
        if (it == cv_ids.end()) {
          id = static_cast<uint32_t>(cv_labels.size());
          cv_ids.emplace(h, id);
          cv_labels.push_back(std::move(g));
          cv_count.push_back(0);
          cv_epoch.push_back(0);
        } else {
          id = it->second;
        }
        if (cv_epoch[id] != epoch) {
          cv_epoch[id] = epoch;
          cv_count[id] = 0;
          order.push_back(id);
        }
        ++cv_count[id];
      }
      for (uint32_t id : order) {
        if (group_out.size() <= id) group_out.resize(id + 1, -1);
        if (group_out[id] < 0) group_out[id] = col.Intern(cv_labels[id]);
        PW_RETURN_IF_ERROR(col.Add(static_cast<uint32_t>(group_out[id]), ts, static_cast<double>(cv_count[id])));
        ++produced;
      }
      PW_RETURN_IF_ERROR(acc.Step(inputs, produced));
      continue;
    }

    int64_t topk = 0;
    double q = 0;
    if (op == AggregateOp::kTopk || op == AggregateOp::kBottomk) {
      const double f = param[k];
      if (!(f <= 9.223372036854775807e18 && f >= -9.223372036854775808e18)) {
        return ExecError("Scalar value " + FormatGoFloat(f) + " overflows int64");
      }
      topk = static_cast<int64_t>(f);
      if (topk < 1) {
        PW_RETURN_IF_ERROR(acc.Step(inputs, 0));
        continue;
      }
    } else if (op == AggregateOp::kQuantile) {
      q = param[k];
    }

    for (const StepSample& s : ss) {
      const uint32_t gid = series_group[s.series];
      GroupAcc& g = accs[gid];
      if (group_epoch[gid] != epoch) {
        group_epoch[gid] = epoch;
        order.push_back(gid);
        g.value = s.v;
        g.mean = s.v;
        g.count = 1;
        g.heap.clear();
        switch (op) {
          case AggregateOp::kStddev: case AggregateOp::kStdvar: g.value = 0; break;
          case AggregateOp::kTopk: case AggregateOp::kBottomk: case AggregateOp::kQuantile: g.heap.push_back(s); break;
          case AggregateOp::kGroup: g.value = 1; break;
          default: break;
        }
        continue;
      }
      switch (op) {
        case AggregateOp::kSum:
          g.value += s.v;
          break;
        case AggregateOp::kAvg:
          ++g.count;
          if (std::isinf(g.mean)) {
            if (std::isinf(s.v) && (g.mean > 0) == (s.v > 0)) break;
            if (!std::isinf(s.v) && !std::isnan(s.v)) break;
          }
          g.mean += s.v / static_cast<double>(g.count) - g.mean / static_cast<double>(g.count);
          break;
        case AggregateOp::kGroup:
          break;
        case AggregateOp::kMax:
          if (g.value < s.v || std::isnan(g.value)) g.value = s.v;
          break;
        case AggregateOp::kMin:
          if (g.value > s.v || std::isnan(g.value)) g.value = s.v;
          break;
        case AggregateOp::kCount:
          ++g.count;
          break;
        case AggregateOp::kStddev: case AggregateOp::kStdvar: {
          ++g.count;
          const double delta = s.v - g.mean;
          g.mean += delta / static_cast<double>(g.count);
          g.value += delta * (s.v - g.mean);
          break;
        }
        case AggregateOp::kTopk:
          if (static_cast<int64_t>(g.heap.size()) < topk || g.heap[0].v < s.v || std::isnan(g.heap[0].v)) {
            if (static_cast<int64_t>(g.heap.size()) == topk) {
              if (topk == 1) {
                g.heap[0] = s;
                break;
              }
              std::pop_heap(g.heap.begin(), g.heap.end(), TopkHeapComp);
              g.heap.pop_back();
            }
            g.heap.push_back(s);
            std::push_heap(g.heap.begin(), g.heap.end(), TopkHeapComp);
          }
          break;
        case AggregateOp::kBottomk:
          if (static_cast<int64_t>(g.heap.size()) < topk || g.heap[0].v > s.v || std::isnan(g.heap[0].v)) {
            if (static_cast<int64_t>(g.heap.size()) == topk) {
              if (topk == 1) {
                g.heap[0] = s;
                break;
              }
              std::pop_heap(g.heap.begin(), g.heap.end(), BottomkHeapComp);
              g.heap.pop_back();
            }
            g.heap.push_back(s);
            std::push_heap(g.heap.begin(), g.heap.end(), BottomkHeapComp);
          }
          break;
        case AggregateOp::kQuantile:
          g.heap.push_back(s);
          break;
        default:
          break;
      }
    }

    for (uint32_t gid : order) {
      GroupAcc& g = accs[gid];
      double v = g.value;
      switch (op) {
        case AggregateOp::kAvg: v = g.mean; break;
        case AggregateOp::kCount: v = static_cast<double>(g.count); break;
        case AggregateOp::kStdvar: v = g.value / static_cast<double>(g.count); break;
        case AggregateOp::kStddev: v = std::sqrt(g.value / static_cast<double>(g.count)); break;
        case AggregateOp::kTopk: case AggregateOp::kBottomk: {
          const bool top = op == AggregateOp::kTopk;
          std::stable_sort(g.heap.begin(), g.heap.end(), [top](const StepSample& x, const StepSample& y) {
            if (std::isnan(x.v)) return false;
            if (std::isnan(y.v)) return true;
            return top ? x.v > y.v : x.v < y.v;
          });
          for (const StepSample& s : g.heap) {
            if (series_out[s.series] < 0) series_out[s.series] = col.Intern(vec[s.series].metric);
            PW_RETURN_IF_ERROR(col.Add(static_cast<uint32_t>(series_out[s.series]), ts, s.v));
            ++produced;
          }
          continue;
        }
        case AggregateOp::kQuantile: {
          scratch.clear();
          for (const StepSample& s : g.heap) scratch.push_back(s);
          v = QuantileOf(q, scratch);
          break;
        }
        default: break;
      }
      if (group_out[gid] < 0) group_out[gid] = col.Intern(group_labels(*group_first[gid]));
      PW_RETURN_IF_ERROR(col.Add(static_cast<uint32_t>(group_out[gid]), ts, v));
      ++produced;
    }
    PW_RETURN_IF_ERROR(acc.Step(inputs, produced));
  }
  PW_ASSIGN_OR_RETURN(Matrix out, col.Take());
  acc.Finish(out);
  return out;
}

}  // namespace perfwatch::query::promql
