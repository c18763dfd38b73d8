#pragma once
// Internal to the evaluator (promql_eval*.cc, promql_functions*.cc, promql_aggregate.cc):
// the per-query shared state and the step evaluator. Every expression evaluates to a
// Matrix whose points sit exactly on the evaluator's steps (start, start+interval, ...,
// end), as in Prometheus' evaluator; scalars are one label-less series with a point at
// every step. Raw range vectors (a matrix selector as the whole query) keep sample times.
//
// Thread safety: one query, one thread.
#include <chrono>
#include <functional>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "query/promql_ast.h"
#include "query/promql_value.h"
#include "tsdb/querier.h"

namespace perfwatch::query::promql {

// "execution" errors (see promql_engine.h for the code mapping).
inline Status ExecError(std::string msg) { return Status(StatusCode::kNotFound, std::move(msg)); }

// State shared by all evaluators of one query.
struct EvalShared {
  tsdb::Querier* querier = nullptr;
  int64_t lookback_ms = 0;
  int64_t max_samples = 0;
  int64_t default_subquery_step_ms = 0;
  int64_t query_start = 0;  // for `@ start()` / `@ end()`
  int64_t query_end = 0;
  std::chrono::steady_clock::time_point deadline;
  std::function<bool()> cancelled;  // QueryOptions::cancelled (may be empty)
  std::chrono::steady_clock::time_point next_cancel_check;
  int64_t current_samples = 0;
  int64_t peak_samples = 0;
  uint32_t deadline_counter = 0;

  // Cooperative timeout and cancellation check; cheap enough for every step / series (the
  // cancellation callback, a poll(2), is asked at most every 10 ms).
  Status CheckDeadline(std::string_view stage = "expression evaluation") {
    const auto now = std::chrono::steady_clock::now();
    if (now > deadline) return Status(StatusCode::kUnavailable, "query timed out in " + std::string(stage));
    if (cancelled && now >= next_cancel_check) {
      next_cancel_check = now + std::chrono::milliseconds(10);
      if (cancelled()) return Status(StatusCode::kCancelled, "query was canceled in " + std::string(stage));
    }
    return Status::Ok();
  }
  void UpdatePeak() {
    if (current_samples > peak_samples) peak_samples = current_samples;
  }
  static Status TooManySamples() {
    return Status(StatusCode::kResourceExhausted,
                  "query processing would load too many samples into memory in query execution");
  }
  int64_t ResolveAt(AtKind kind, int64_t at_ms) const {
    switch (kind) {
      case AtKind::kStart: return query_start;
      case AtKind::kEnd: return query_end;
      default: return at_ms;
    }
  }
};

// Emulates Prometheus' rangeEval sample accounting (currentSamples / peak) for an
// operator that consumed `original` samples before its arguments were evaluated.
class RangeEvalAccounting {
 public:
  RangeEvalAccounting(EvalShared* sh, int64_t original)
      : sh_(sh), original_(original), temp_(sh->current_samples) {}
  // One step: `inputs` samples gathered from the arguments, `outputs` produced.
  Status Step(size_t inputs, size_t outputs) {
    sh_->current_samples = temp_;
    if (sh_->current_samples + static_cast<int64_t>(inputs) > sh_->max_samples) return EvalShared::TooManySamples();
    sh_->current_samples += static_cast<int64_t>(inputs);
    sh_->UpdatePeak();
    sh_->current_samples += static_cast<int64_t>(outputs);
    temp_ += static_cast<int64_t>(outputs);
    sh_->UpdatePeak();
    if (sh_->current_samples > sh_->max_samples) return EvalShared::TooManySamples();
    return Status::Ok();
  }
  // The operator is done; only its result stays in memory.
  void Finish(const Matrix& result);

 private:
  EvalShared* sh_;
  int64_t original_;
  int64_t temp_;
};

size_t TotalPoints(const Matrix& m);

// An operator that read in[k] and wrote out[k] samples at step k, replayed through
// Prometheus' rangeEval accounting (RangeEvalAccounting::Step per step).
Status AccountSteps(EvalShared* sh, int64_t original, const std::vector<uint32_t>& in,
                    const std::vector<uint32_t>& out);
// The operator is done: only `result` stays in memory (RangeEvalAccounting::Finish).
void KeepResult(EvalShared* sh, int64_t original, const Matrix& result);

// Collects output series by label set, in first-seen order; detects two samples with the
// same labels at the same step ("vector cannot contain metrics with the same labelset").
class SeriesCollector {
 public:
  explicit SeriesCollector(size_t expected_points_per_series = 1) : reserve_(expected_points_per_series) {}
  // The output index for `labels` (created when new).
  uint32_t Intern(tsdb::Labels labels);
  // Appends (t, v); t must not go backwards for one series within one Add sequence unless
  // `AllowUnordered` was called (then Take() sorts and checks).
  Status Add(uint32_t idx, int64_t t, double v) {
    Series& s = out_[idx];
    if (!s.points.empty()) {
      int64_t last = s.points.back().t;
      if (last == t) return ExecError("vector cannot contain metrics with the same labelset");
      if (last > t) unordered_ = true;
    } else if (s.points.capacity() == 0) {
      s.points.reserve(reserve_);
    }
    s.points.push_back(Point{t, v});
    return Status::Ok();
  }
  size_t size() const { return out_.size(); }
  // Drops series without points; sorts merged series (error on a duplicate timestamp).
  Result<Matrix> Take();

 private:
  size_t reserve_;
  bool unordered_ = false;
  Matrix out_;
  std::unordered_multimap<uint64_t, uint32_t> index_;
};

// The usual end of a step-wise operator: AccountSteps, the collector's result, KeepResult.
Result<Matrix> FinishSteps(EvalShared* sh, int64_t original, const std::vector<uint32_t>& in,
                           const std::vector<uint32_t>& out, SeriesCollector& col);

// Per-step cursor over a step-aligned Matrix: Gather(ts) yields the series with a point at ts.
struct StepSample {
  uint32_t series;
  double v;
};
class StepCursor {
 public:
  explicit StepCursor(const Matrix& m) : m_(&m), pos_(m.size(), 0) {}
  void Gather(int64_t ts, std::vector<StepSample>& out) {
    out.clear();
    const Matrix& m = *m_;
    for (uint32_t i = 0; i < m.size(); ++i) {
      const auto& pts = m[i].points;
      uint32_t& p = pos_[i];
      if (p < pts.size() && pts[p].t == ts) {
        out.push_back(StepSample{i, pts[p].v});
        ++p;
      }
    }
  }

 private:
  const Matrix* m_;
  std::vector<uint32_t> pos_;
};

class Evaluator {
 public:
  Evaluator(EvalShared* sh, int64_t start, int64_t end, int64_t interval)
      : sh_(sh), start_(start), end_(end), interval_(interval),
        num_steps_(static_cast<size_t>((end - start) / interval) + 1) {}

  // Evaluates any non-string expression.
  Result<Matrix> Eval(const Expr& e);

  int64_t start() const { return start_; }
  int64_t end() const { return end_; }
  int64_t interval() const { return interval_; }
  size_t num_steps() const { return num_steps_; }
  size_t StepIndex(int64_t ts) const { return static_cast<size_t>((ts - start_) / interval_); }
  EvalShared* shared() const { return sh_; }

  // Scalar argument values at each step (a scalar Matrix has a point at every step).
  Result<std::vector<double>> EvalScalarArg(const Expr& e);

 private:
  Result<Matrix> EvalNumber(double v);
  Result<Matrix> EvalVectorSelector(const VectorSelector& vs);
  Result<Matrix> EvalMatrixSelector(const MatrixSelector& ms);
  Result<Matrix> EvalSubquery(const SubqueryExpr& sq);
  Result<Matrix> EvalUnary(const UnaryExpr& u);
  Result<Matrix> EvalBinary(const BinaryExpr& b);
  Result<Matrix> EvalBinaryScalarScalar(const BinaryExpr& b);
  Result<Matrix> EvalBinaryVectorScalar(const BinaryExpr& b, bool vector_on_left);
  Result<Matrix> EvalBinaryVectorVector(const BinaryExpr& b);
  Result<Matrix> EvalSetOperation(const BinaryExpr& b);
  Result<Matrix> EvalAggregate(const AggregateExpr& a);
  Result<Matrix> EvalCall(const Call& c);
  Result<Matrix> EvalRangeFunction(const Call& c, size_t matrix_arg);
  Result<Matrix> EvalTimestampOfSelector(const VectorSelector& vs);
  Result<Matrix> EvalInstantFunction(const Call& c);

  EvalShared* sh_;
  int64_t start_;
  int64_t end_;
  int64_t interval_;
  size_t num_steps_;
};

// Strips ParenExpr wrappers.
const Expr& Unwrap(const Expr& e);

// Streams the series a selector matches, in label order, each decoded into a list of
// points restricted to [mint, maxt] (`drop_stale` removes staleness markers), to `fn`.
// Checks the deadline per series. After the first kSequentialSeries series, a producer
// thread reads and decodes the rest in batches while the calling thread runs `fn`, so
// storage work overlaps evaluation (promql_select.cc). `buf` is scratch for the
// sequential part.
using SeriesFn = std::function<Status(const tsdb::Labels& labels, std::span<const Point> points)>;
Status ForEachSelectedSeries(EvalShared* sh, const VectorSelector& vs, int64_t mint, int64_t maxt, bool drop_stale,
                             std::vector<Point>& buf, const SeriesFn& fn);

}  // namespace perfwatch::query::promql
