#pragma once
// Function kernels of the evaluator (Prometheus' promql/functions.go and quantile.go),
// shared by promql_functions*.cc and promql_aggregate.cc. Kernels are pure: they read a
// window of points or a value and write a result, with Prometheus 2.42's numerics.
// Thread safety: pure functions.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "query/promql_eval.h"
#include "query/promql_value.h"

namespace perfwatch::query::promql {

// The functions the evaluator implements.
enum class Fn : uint8_t {
  // range-vector functions
  kRate, kIncrease, kDelta, kIrate, kIdelta, kDeriv, kPredictLinear, kResets, kChanges,
  kAvgOverTime, kMinOverTime, kMaxOverTime, kSumOverTime, kCountOverTime, kQuantileOverTime,
  kStddevOverTime, kStdvarOverTime, kLastOverTime, kPresentOverTime, kAbsentOverTime, kHoltWinters,
  // element-wise math
  kAbs, kCeil, kFloor, kExp, kLn, kLog2, kLog10, kSqrt, kSgn, kRound, kClamp, kClampMin, kClampMax,
  kAcos, kAcosh, kAsin, kAsinh, kAtan, kAtanh, kCos, kCosh, kSin, kSinh, kTan, kTanh, kDeg, kRad,
  // date
  kMinute, kHour, kDayOfWeek, kDayOfMonth, kDayOfYear, kDaysInMonth, kMonth, kYear,
  // others
  kPi, kTime, kTimestamp, kVector, kScalar, kLabelReplace, kLabelJoin, kSort, kSortDesc, kAbsent,
  kHistogramQuantile,
};
// Null when perfwatch's evaluator does not know `name`.
const Fn* LookupFn(std::string_view name);

// What a range-vector kernel sees for one series at one step.
struct RangeCall {
  int64_t range_start = 0;  // ms, inclusive window [range_start, range_end]
  int64_t range_end = 0;
  int64_t range_ms = 0;
  int64_t ts = 0;           // evaluation time of the step
  double arg0 = 0;          // scalar arguments (quantile, duration, factors)
  double arg1 = 0;
};
// Applies a range function to a non-empty window; false drops the sample.
bool ApplyRangeFn(Fn fn, std::span<const Point> w, const RangeCall& c, double* out);
// Element-wise math (abs ... rad, sgn).
double ApplyMathFn(Fn fn, double v);
// clamp / clamp_min / clamp_max with Go's math.Max/Min NaN rules.
double ApplyClamp(double v, double lo, double hi);
double ApplyClampMin(double v, double lo);
double ApplyClampMax(double v, double hi);
// Date functions on Unix seconds (already truncated as Go's time.Unix(int64(v), 0)).
double ApplyDateFn(Fn fn, int64_t unix_seconds);

// Prometheus' quantile(): sorts `values` (NaN first); NaN for none, ±Inf for q outside [0,1].
double QuantileOf(double q, std::vector<StepSample>& values);
struct Bucket {
  double upper_bound;
  double count;
};
// Prometheus' bucketQuantile() over classic buckets (sorted and fixed up in place).
double BucketQuantile(double q, std::vector<Bucket>& buckets);

// Go's strconv.FormatFloat(v, 'f', -1, 64) into `buf`.
std::string_view FormatFloatForLabel(double v, char* buf, size_t n);
// Go's fmt %v of a float64 (for error messages).
std::string FormatGoFloat(double v);
// Go's time.Unix(int64(v), 0) truncation; false when v is not representable.
bool FloatToUnixSeconds(double v, int64_t* out);
// A date function of a sample value, as Prometheus computes it: for NaN, ±Inf and values
// outside int64, Go's int64(v) is math.MinInt64 on amd64 and time.Unix wraps that to
// 292277026596-12-04T15:30:08Z (a Sunday, day 339), so those inputs give that date's
// fields rather than NaN.
double ApplyDateFnToValue(Fn fn, double v);

// Go's regexp.Expand template syntax ($1, ${1}, $name, ${name}, $$).
std::string ExpandTemplate(std::string_view tmpl, std::string_view src, std::span<const std::string_view> groups,
                           std::span<const std::string> group_names);

}  // namespace perfwatch::query::promql
