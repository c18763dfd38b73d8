// Pure kernels of PromQL functions with Prometheus 2.42's numerics (functions.go,
// quantile.go): extrapolated rates, regression, *_over_time, quantiles, math and dates.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <numbers>
#include <string>
#include <unordered_map>

#include "query/promql_functions.h"

namespace perfwatch::query::promql {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Go's math.Max / math.Min (NaN wins unless the other is the matching infinity).
double GoMax(double x, double y) {
  if (std::isinf(x) && x > 0) return x;
  if (std::isinf(y) && y > 0) return y;
  if (std::isnan(x) || std::isnan(y)) return kNaN;
  if (x == 0 && x == y) return std::signbit(x) ? y : x;
  return x > y ? x : y;
}
double GoMin(double x, double y) {
  if (std::isinf(x) && x < 0) return x;
  if (std::isinf(y) && y < 0) return y;
  if (std::isnan(x) || std::isnan(y)) return kNaN;
  if (x == 0 && x == y) return std::signbit(x) ? x : y;
  return x < y ? x : y;
}

void KahanSumInc(double inc, double& sum, double& c) {
  double t = sum + inc;
  if (std::fabs(sum) >= std::fabs(inc)) {
    c += (sum - t) + inc;
  } else {
    c += (inc - t) + sum;
  }
  sum = t;
}

void LinearRegression(std::span<const Point> s, int64_t intercept_time, double* slope, double* intercept) {
  double n = 0, sum_x = 0, c_x = 0, sum_y = 0, c_y = 0, sum_xy = 0, c_xy = 0, sum_x2 = 0, c_x2 = 0;
  const double init_y = s[0].v;
  bool const_y = true;
  for (size_t i = 0; i < s.size(); ++i) {
    if (const_y && i > 0 && s[i].v != init_y) const_y = false;
    n += 1.0;
    const double x = static_cast<double>(s[i].t - intercept_time) / 1e3;
    KahanSumInc(x, sum_x, c_x);
    KahanSumInc(s[i].v, sum_y, c_y);
    KahanSumInc(x * s[i].v, sum_xy, c_xy);
    KahanSumInc(x * x, sum_x2, c_x2);
  }
  if (const_y) {
    if (std::isinf(init_y)) {
      *slope = kNaN;
      *intercept = kNaN;
      return;
    }
    *slope = 0;
    *intercept = init_y;
    return;
  }
  sum_x += c_x;
  sum_y += c_y;
  sum_xy += c_xy;
  sum_x2 += c_x2;
  const double cov_xy = sum_xy - sum_x * sum_y / n;
  const double var_x = sum_x2 - sum_x * sum_x / n;
  *slope = cov_xy / var_x;
  *intercept = sum_y / n - *slope * sum_x / n;
}

bool ExtrapolatedRate(std::span<const Point> s, const RangeCall& c, bool is_counter, bool is_rate, double* out) {
  if (s.size() < 2) return false;
  double result = s.back().v - s.front().v;
  if (is_counter) {
    double prev = s[0].v;
    for (size_t i = 1; i < s.size(); ++i) {
      if (s[i].v < prev) result += prev;
      prev = s[i].v;
    }
  }
  double duration_to_start = static_cast<double>(s.front().t - c.range_start) / 1000;
  const double duration_to_end = static_cast<double>(c.range_end - s.back().t) / 1000;
  const double sampled_interval = static_cast<double>(s.back().t - s.front().t) / 1000;
  const double avg_between = sampled_interval / static_cast<double>(s.size() - 1);
  if (is_counter && result > 0 && s.front().v >= 0) {
    const double duration_to_zero = sampled_interval * (s.front().v / result);
    if (duration_to_zero < duration_to_start) duration_to_start = duration_to_zero;
  }
  const double threshold = avg_between * 1.1;
  double extrapolate_to = sampled_interval;
  extrapolate_to += duration_to_start < threshold ? duration_to_start : avg_between / 2;
  extrapolate_to += duration_to_end < threshold ? duration_to_end : avg_between / 2;
  double factor = extrapolate_to / sampled_interval;
  if (is_rate) factor /= static_cast<double>(c.range_ms) / 1000;
  *out = result * factor;
  return true;
}

bool InstantValue(std::span<const Point> s, bool is_rate, double* out) {
  if (s.size() < 2) return false;
  const Point& last = s[s.size() - 1];
  const Point& prev = s[s.size() - 2];
  double result = (is_rate && last.v < prev.v) ? last.v : last.v - prev.v;
  const int64_t interval = last.t - prev.t;
  if (interval == 0) return false;
  if (is_rate) result /= static_cast<double>(interval) / 1000;
  *out = result;
  return true;
}

double CalcTrendValue(int i, double tf, double s0, double s1, double b) {
  if (i == 0) return b;
  return tf * (s1 - s0) + (1 - tf) * b;
}

inline bool NaNFirstLess(double a, double b) {
  if (std::isnan(a)) return !std::isnan(b);
  if (std::isnan(b)) return false;
  return a < b;
}

}  // namespace

const Fn* LookupFn(std::string_view name) {
  static const std::unordered_map<std::string_view, Fn> kFns = {
      {"rate", Fn::kRate}, {"increase", Fn::kIncrease}, {"delta", Fn::kDelta}, {"irate", Fn::kIrate},
      {"idelta", Fn::kIdelta}, {"deriv", Fn::kDeriv}, {"predict_linear", Fn::kPredictLinear},
      {"resets", Fn::kResets}, {"changes", Fn::kChanges}, {"avg_over_time", Fn::kAvgOverTime},
      {"min_over_time", Fn::kMinOverTime}, {"max_over_time", Fn::kMaxOverTime},
      {"sum_over_time", Fn::kSumOverTime}, {"count_over_time", Fn::kCountOverTime},
      {"quantile_over_time", Fn::kQuantileOverTime}, {"stddev_over_time", Fn::kStddevOverTime},
      {"stdvar_over_time", Fn::kStdvarOverTime}, {"last_over_time", Fn::kLastOverTime},
      {"present_over_time", Fn::kPresentOverTime}, {"absent_over_time", Fn::kAbsentOverTime},
      {"holt_winters", Fn::kHoltWinters}, {"abs", Fn::kAbs}, {"ceil", Fn::kCeil}, {"floor", Fn::kFloor},
      {"exp", Fn::kExp}, {"ln", Fn::kLn}, {"log2", Fn::kLog2}, {"log10", Fn::kLog10}, {"sqrt", Fn::kSqrt},
      {"sgn", Fn::kSgn}, {"round", Fn::kRound}, {"clamp", Fn::kClamp}, {"clamp_min", Fn::kClampMin},
      {"clamp_max", Fn::kClampMax}, {"acos", Fn::kAcos}, {"acosh", Fn::kAcosh}, {"asin", Fn::kAsin},
      {"asinh", Fn::kAsinh}, {"atan", Fn::kAtan}, {"atanh", Fn::kAtanh}, {"cos", Fn::kCos},
      {"cosh", Fn::kCosh}, {"sin", Fn::kSin}, {"sinh", Fn::kSinh}, {"tan", Fn::kTan}, {"tanh", Fn::kTanh},
      {"deg", Fn::kDeg}, {"rad", Fn::kRad}, {"minute", Fn::kMinute}, {"hour", Fn::kHour},
      {"day_of_week", Fn::kDayOfWeek}, {"day_of_month", Fn::kDayOfMonth}, {"day_of_year", Fn::kDayOfYear},
      {"days_in_month", Fn::kDaysInMonth}, {"month", Fn::kMonth}, {"year", Fn::kYear}, {"pi", Fn::kPi},
      {"time", Fn::kTime}, {"timestamp", Fn::kTimestamp}, {"vector", Fn::kVector}, {"scalar", Fn::kScalar},
      {"label_replace", Fn::kLabelReplace}, {"label_join", Fn::kLabelJoin}, {"sort", Fn::kSort},
      {"sort_desc", Fn::kSortDesc}, {"absent", Fn::kAbsent}, {"histogram_quantile", Fn::kHistogramQuantile},
  };
  auto it = kFns.find(name);
  return it == kFns.end() ? nullptr : &it->second;
}

bool ApplyRangeFn(Fn fn, std::span<const Point> w, const RangeCall& c, double* out) {
  switch (fn) {
    case Fn::kRate: return ExtrapolatedRate(w, c, true, true, out);
    case Fn::kIncrease: return ExtrapolatedRate(w, c, true, false, out);
    case Fn::kDelta: return ExtrapolatedRate(w, c, false, false, out);
    case Fn::kIrate: return InstantValue(w, true, out);
    case Fn::kIdelta: return InstantValue(w, false, out);
    case Fn::kDeriv: {
      if (w.size() < 2) return false;
      double slope, intercept;
      LinearRegression(w, w[0].t, &slope, &intercept);
      *out = slope;
      return true;
    }
    case Fn::kPredictLinear: {
      if (w.size() < 2) return false;
      double slope, intercept;
      LinearRegression(w, c.ts, &slope, &intercept);
      *out = slope * c.arg0 + intercept;
      return true;
    }
    case Fn::kResets: {
      int n = 0;
      for (size_t i = 1; i < w.size(); ++i) n += w[i].v < w[i - 1].v ? 1 : 0;
      *out = n;
      return true;
    }
    case Fn::kChanges: {
      int n = 0;
      for (size_t i = 1; i < w.size(); ++i) {
        const double cur = w[i].v, prev = w[i - 1].v;
        if (cur != prev && !(std::isnan(cur) && std::isnan(prev))) ++n;
      }
      *out = n;
      return true;
    }
    case Fn::kAvgOverTime: {
      // Fast path: a plain sum when it stays finite (no division in the loop, so it
      // pipelines); the result is within rounding of Prometheus' incremental mean, which
      // exists to avoid overflow, and that case takes the incremental path below.
      double sum = 0;
      for (const Point& p : w) sum += p.v;
      if (std::isfinite(sum)) {
        *out = sum / static_cast<double>(w.size());
        return true;
      }
      double mean = 0, count = 0;
      for (const Point& p : w) {
        count++;
        if (std::isinf(mean)) {
          if (std::isinf(p.v) && (mean > 0) == (p.v > 0)) continue;
          if (!std::isinf(p.v) && !std::isnan(p.v)) continue;
        }
        mean += p.v / count - mean / count;
      }
      *out = mean;
      return true;
    }
    case Fn::kMinOverTime: {
      double m = w[0].v;
      for (const Point& p : w) {
        if (p.v < m || std::isnan(m)) m = p.v;
      }
      *out = m;
      return true;
    }
    case Fn::kMaxOverTime: {
      double m = w[0].v;
      for (const Point& p : w) {
        if (p.v > m || std::isnan(m)) m = p.v;
      }
      *out = m;
      return true;
    }
    case Fn::kSumOverTime: {
      double sum = 0;
      for (const Point& p : w) sum += p.v;
      *out = sum;
      return true;
    }
    case Fn::kCountOverTime: *out = static_cast<double>(w.size()); return true;
    case Fn::kQuantileOverTime: {
      std::vector<StepSample> vals;
      vals.reserve(w.size());
      for (const Point& p : w) vals.push_back(StepSample{0, p.v});
      *out = QuantileOf(c.arg0, vals);
      return true;
    }
    case Fn::kStddevOverTime: case Fn::kStdvarOverTime: {
      double aux = 0, count = 0, mean = 0;
      for (const Point& p : w) {
        count++;
        const double delta = p.v - mean;
        mean += delta / count;
        aux += delta * (p.v - mean);
      }
      *out = fn == Fn::kStddevOverTime ? std::sqrt(aux / count) : aux / count;
      return true;
    }
    case Fn::kLastOverTime: *out = w.back().v; return true;
    case Fn::kPresentOverTime: case Fn::kAbsentOverTime: *out = 1; return true;
    case Fn::kHoltWinters: {
      const double sf = c.arg0, tf = c.arg1;
      if (w.size() < 2) return false;
      double s0 = 0, s1 = w[0].v, b = w[1].v - w[0].v;
      for (size_t i = 1; i < w.size(); ++i) {
        const double x = sf * w[i].v;
        b = CalcTrendValue(static_cast<int>(i) - 1, tf, s0, s1, b);
        const double y = (1 - sf) * (s1 + b);
        s0 = s1;
        s1 = x + y;
      }
      *out = s1;
      return true;
    }
    default:
      return false;
  }
}

double ApplyMathFn(Fn fn, double v) {
  switch (fn) {
    case Fn::kAbs: return std::fabs(v);
    case Fn::kCeil: return std::ceil(v);
    case Fn::kFloor: return std::floor(v);
    case Fn::kExp: return std::exp(v);
    case Fn::kLn: return std::log(v);
    case Fn::kLog2: return std::log2(v);
    case Fn::kLog10: return std::log10(v);
    case Fn::kSqrt: return std::sqrt(v);
    case Fn::kSgn: return v < 0 ? -1 : (v > 0 ? 1 : v);
    case Fn::kAcos: return std::acos(v);
    case Fn::kAcosh: return std::acosh(v);
    case Fn::kAsin: return std::asin(v);
    case Fn::kAsinh: return std::asinh(v);
    case Fn::kAtan: return std::atan(v);
    case Fn::kAtanh: return std::atanh(v);
    case Fn::kCos: return std::cos(v);
    case Fn::kCosh: return std::cosh(v);
    case Fn::kSin: return std::sin(v);
    case Fn::kSinh: return std::sinh(v);
    case Fn::kTan: return std::tan(v);
    case Fn::kTanh: return std::tanh(v);
    case Fn::kDeg: return v * 180 / std::numbers::pi;
    case Fn::kRad: return v * std::numbers::pi / 180;
    default: return kNaN;
  }
}

double ApplyClamp(double v, double lo, double hi) { return GoMax(lo, GoMin(hi, v)); }
double ApplyClampMin(double v, double lo) { return GoMax(lo, v); }
double ApplyClampMax(double v, double hi) { return GoMin(hi, v); }

double ApplyDateFn(Fn fn, int64_t secs) {
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  // Howard Hinnant's civil_from_days.
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  static constexpr int kCum[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  switch (fn) {
    case Fn::kMinute: return static_cast<double>(rem / 60 % 60);
    case Fn::kHour: return static_cast<double>(rem / 3600);
    case Fn::kDayOfWeek: {
      int64_t wd = (days + 4) % 7;  // 1970-01-01 was a Thursday
      if (wd < 0) wd += 7;
      return static_cast<double>(wd);
    }
    case Fn::kDayOfMonth: return static_cast<double>(d);
    case Fn::kDayOfYear: return static_cast<double>(kCum[m - 1] + d + (leap && m > 2 ? 1 : 0));
    case Fn::kDaysInMonth: return static_cast<double>(kDays[m - 1] + (leap && m == 2 ? 1 : 0));
    case Fn::kMonth: return static_cast<double>(m);
    case Fn::kYear: return static_cast<double>(y);
    default: return kNaN;
  }
}

double QuantileOf(double q, std::vector<StepSample>& values) {
  if (values.empty() || std::isnan(q)) return kNaN;
  if (q < 0) return -std::numeric_limits<double>::infinity();
  if (q > 1) return std::numeric_limits<double>::infinity();
  std::sort(values.begin(), values.end(), [](const StepSample& a, const StepSample& b) { return NaNFirstLess(a.v, b.v); });
  const double n = static_cast<double>(values.size());
  const double rank = q * (n - 1);
  const double lower = std::max(0.0, std::floor(rank));
  const double upper = std::min(n - 1, lower + 1);
  const double weight = rank - std::floor(rank);
  return values[static_cast<size_t>(lower)].v * (1 - weight) + values[static_cast<size_t>(upper)].v * weight;
}

double BucketQuantile(double q, std::vector<Bucket>& buckets) {
  if (std::isnan(q)) return kNaN;
  if (q < 0) return -std::numeric_limits<double>::infinity();
  if (q > 1) return std::numeric_limits<double>::infinity();
  std::sort(buckets.begin(), buckets.end(),
            [](const Bucket& a, const Bucket& b) { return a.upper_bound < b.upper_bound; });
  if (!(std::isinf(buckets.back().upper_bound) && buckets.back().upper_bound > 0)) return kNaN;
  // coalesceBuckets
  size_t i = 0;
  Bucket last = buckets[0];
  for (size_t j = 1; j < buckets.size(); ++j) {
    if (buckets[j].upper_bound == last.upper_bound) {
      last.count += buckets[j].count;
    } else {
      buckets[i++] = last;
      last = buckets[j];
    }
  }
  buckets[i] = last;
  buckets.resize(i + 1);
  // ensureMonotonic
  double max = -std::numeric_limits<double>::infinity();
  for (Bucket& b : buckets) {
    if (b.count > max) {
      max = b.count;
    } else if (b.count < max) {
      b.count = max;
    }
  }
  if (buckets.size() < 2) return kNaN;
  const double observations = buckets.back().count;
  if (observations == 0) return kNaN;
  double rank = q * observations;
  size_t b = 0;
  {
    // sort.Search(len-1, count >= rank)
    size_t lo = 0, hi = buckets.size() - 1;
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (!(buckets[mid].count >= rank)) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    b = lo;
  }
  if (b == buckets.size() - 1) return buckets[buckets.size() - 2].upper_bound;
  if (b == 0 && buckets[0].upper_bound <= 0) return buckets[0].upper_bound;
  double bucket_start = 0;
  const double bucket_end = buckets[b].upper_bound;
  double count = buckets[b].count;
  if (b > 0) {
    bucket_start = buckets[b - 1].upper_bound;
    count -= buckets[b - 1].count;
    rank -= buckets[b - 1].count;
  }
  return bucket_start + (bucket_end - bucket_start) * (rank / count);
}

std::string_view FormatFloatForLabel(double v, char* buf, size_t n) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  auto r = std::to_chars(buf, buf + n, v, std::chars_format::fixed);
  if (r.ec != std::errc()) return "NaN";
  return std::string_view(buf, r.ptr - buf);
}

std::string FormatGoFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string s(buf, r.ptr);
  size_t e = s.find('e');
  int exp = std::stoi(s.substr(e + 1));
  if (exp < -4 || exp >= 21) return s;
  r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  return std::string(buf, r.ptr);
}

bool FloatToUnixSeconds(double v, int64_t* out) {
  if (!(v >= -9.2e18 && v <= 9.2e18)) return false;
  *out = static_cast<int64_t>(v);
  return true;
}

double ApplyDateFnToValue(Fn fn, double v) {
  int64_t secs;
  if (FloatToUnixSeconds(v, &secs)) return ApplyDateFn(fn, secs);
  switch (fn) {  // time.Unix(math.MinInt64, 0).UTC(), as Prometheus 2.42 answers on amd64
    case Fn::kMinute: return 30;
    case Fn::kHour: return 15;
    case Fn::kDayOfWeek: return 0;
    case Fn::kDayOfMonth: return 4;
    case Fn::kDayOfYear: return 339;
    case Fn::kDaysInMonth: return 31;
    case Fn::kMonth: return 12;
    case Fn::kYear: return 292277026596.0;
    default: return kNaN;
  }
}

std::string ExpandTemplate(std::string_view tmpl, std::string_view src, std::span<const std::string_view> groups,
                           std::span<const std::string> group_names) {
  (void)src;
  std::string out;
  auto is_name_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  while (!tmpl.empty()) {
    size_t dollar = tmpl.find('$');
    if (dollar == std::string_view::npos) break;
    out.append(tmpl.substr(0, dollar));
    tmpl.remove_prefix(dollar + 1);
    if (!tmpl.empty() && tmpl[0] == '$') {
      out.push_back('$');
      tmpl.remove_prefix(1);
      continue;
    }
    // extract()
    std::string_view str = tmpl;
    bool brace = false;
    if (!str.empty() && str[0] == '{') {
      brace = true;
      str.remove_prefix(1);
    }
    size_t i = 0;
    while (i < str.size() && is_name_char(str[i])) ++i;
    if (i == 0 || (brace && (i >= str.size() || str[i] != '}'))) {
      out.push_back('$');  // malformed: keep the '$' as text
      continue;
    }
    std::string_view name = str.substr(0, i);
    tmpl = str.substr(i + (brace ? 1 : 0));
    int64_t num = 0;
    for (char ch : name) {
      if (ch < '0' || ch > '9' || num >= 100000000) {
        num = -1;
        break;
      }
      num = num * 10 + (ch - '0');
    }
    if (name[0] == '0' && name.size() > 1) num = -1;
    if (num >= 0) {
      if (static_cast<size_t>(num) < groups.size()) out.append(groups[num]);
    } else {
      for (size_t g = 0; g < group_names.size() && g < groups.size(); ++g) {
        if (group_names[g] == name) {
          out.append(groups[g]);
          break;
        }
      }
    }
  }
  out.append(tmpl);
  return out;
}

}  // namespace perfwatch::query::promql
