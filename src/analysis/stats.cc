#include "analysis/stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

namespace perfwatch::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The continued fraction of I_x(a, b) (DLMF 8.17.22) by the modified Lentz method:
// 1 / (1 + d1 / (1 + d2 / (1 + ...))).
double BetaContinuedFraction(double a, double b, double x) {
  constexpr double kTiny = 1e-300;
  constexpr double kEps = 1e-15;
  double f = kTiny, c = f, d = 0;
  for (int j = 1; j <= 400; ++j) {
    double num;
    if (j == 1) {
      num = 1;
    } else {
      int k = j - 1;  // d_k
      int m = k / 2;
      if (k % 2 == 1) {
        num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
      } else {
        num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
      }
    }
    d = 1 + num * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1 + num / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    double delta = c * d;
    f *= delta;
    if (j > 1 && std::fabs(delta - 1) < kEps) break;
  }
  return f;
}

}  // namespace

double RegularizedIncompleteBeta(double a, double b, double x) {
  if (!(a > 0) || !(b > 0) || !(x >= 0) || !(x <= 1)) return kNaN;
  if (x == 0) return 0;
  if (x == 1) return 1;
  // The fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry
  // I_x(a, b) = 1 - I_{1-x}(b, a) on the other side.
  if (x > (a + 1) / (a + b + 2)) return 1 - RegularizedIncompleteBeta(b, a, 1 - x);
  double log_front = a * std::log(x) + b * std::log1p(-x) -
                     (std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b)) - std::log(a);
  return std::exp(log_front) * BetaContinuedFraction(a, b, x);
}

double StudentTTwoSidedP(double t, double df) {
  if (!(df > 0) || std::isnan(t)) return kNaN;
  if (std::isinf(t)) return 0;
  return RegularizedIncompleteBeta(df / 2, 0.5, df / (df + t * t));
}

double NormalUpperTail(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

MeanVar MeanAndVariance(std::span<const double> values) {
  MeanVar out;
  if (values.empty()) return out;
  // Two passes: the mean from the plain sum (exact for the small integers of latencies in
  // ms), then the squared deviations from it (stable for large, nearly equal values).
  const double n = static_cast<double>(values.size());
  double sum = 0;
  for (double v : values) sum += v;
  out.mean = sum / n;
  if (values.size() < 2) return out;
  double m2 = 0;
  for (double v : values) m2 += (v - out.mean) * (v - out.mean);
  out.var = m2 / (n - 1);
  return out;
}

TTestResult WelchTTest(std::span<const double> a, std::span<const double> b) {
  TTestResult out;
  if (a.size() < 2 || b.size() < 2) return out;
  MeanVar ma = MeanAndVariance(a), mb = MeanAndVariance(b);
  double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
  double va = ma.var / na, vb = mb.var / nb;
  double se2 = va + vb;
  double diff = mb.mean - ma.mean;
  if (se2 <= 0) {
    out.t = diff == 0 ? 0 : std::copysign(std::numeric_limits<double>::infinity(), diff);
    out.df = na + nb - 2;
    out.p = diff == 0 ? 1 : 0;
    return out;
  }
  out.t = diff / std::sqrt(se2);
  double denom = 0;
  if (va > 0) denom += va * va / (na - 1);
  if (vb > 0) denom += vb * vb / (nb - 1);
  out.df = se2 * se2 / denom;
  out.p = StudentTTwoSidedP(out.t, out.df);
  return out;
}

MannWhitneyResult MannWhitneyU(std::span<const double> a, std::span<const double> b) {
  MannWhitneyResult out;
  if (a.empty() || b.empty()) return out;
  // Rank the pooled values (average ranks for ties); the flag marks b's values.
  std::vector<std::pair<double, bool>> all;
  all.reserve(a.size() + b.size());
  for (double v : a) all.emplace_back(v, false);
  for (double v : b) all.emplace_back(v, true);
  std::sort(all.begin(), all.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  const double n = static_cast<double>(all.size());
  double rank_sum_b = 0, tie_term = 0;
  for (size_t i = 0; i < all.size();) {
    size_t j = i;
    while (j < all.size() && all[j].first == all[i].first) ++j;
    const double t = static_cast<double>(j - i);
    const double avg_rank = (static_cast<double>(i) + 1 + static_cast<double>(j)) / 2;
    for (size_t k = i; k < j; ++k) {
      if (all[k].second) rank_sum_b += avg_rank;
    }
    tie_term += t * t * t - t;
    i = j;
  }
  const double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
  out.u = rank_sum_b - nb * (nb + 1) / 2;
  out.effect = out.u / (na * nb);
  const double mean = na * nb / 2;
  const double var = na * nb / 12 * ((n + 1) - tie_term / (n * (n - 1)));
  if (!(var > 0)) return out;  // every value equal (or n = 1... impossible here): no evidence
  const double diff = out.u - mean;
  const double corrected = std::max(std::abs(diff) - 0.5, 0.0);
  out.z = std::copysign(corrected / std::sqrt(var), diff);
  out.p = std::min(1.0, 2 * NormalUpperTail(std::abs(out.z)));
  return out;
}

MannKendallResult MannKendall(std::span<const double> values) {
  MannKendallResult out;
  const size_t n = values.size();
  if (n < 3) return out;
  double s = 0;
  for (size_t i = 0; i + 1 < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) s += (values[j] > values[i]) - (values[j] < values[i]);
  }
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  double ties = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && sorted[j] == sorted[i]) ++j;
    const double t = static_cast<double>(j - i);
    ties += t * (t - 1) * (2 * t + 5);
    i = j;
  }
  const double dn = static_cast<double>(n);
  out.s = s;
  out.var_s = (dn * (dn - 1) * (2 * dn + 5) - ties) / 18;
  if (!(out.var_s > 0)) return out;  // all equal: no evidence either way
  if (s > 0) out.z = (s - 1) / std::sqrt(out.var_s);
  if (s < 0) out.z = (s + 1) / std::sqrt(out.var_s);
  out.p = std::min(1.0, 2 * NormalUpperTail(std::abs(out.z)));
  out.p_increasing = NormalUpperTail(out.z);
  return out;
}

namespace {
double MedianInPlace(std::vector<double>& v) {
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(mid), v.end());
  double hi = v[mid];
  if (v.size() % 2 == 1) return hi;
  double lo = *std::max_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(mid));
  return (lo + hi) / 2;
}
}  // namespace

TheilSenResult TheilSen(std::span<const double> x, std::span<const double> y) {
  TheilSenResult out;
  const size_t n = std::min(x.size(), y.size());
  if (n == 0) return out;
  std::vector<double> slopes;
  slopes.reserve(n * (n - 1) / 2);
  for (size_t i = 0; i + 1 < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) {
      if (x[j] != x[i]) slopes.push_back((y[j] - y[i]) / (x[j] - x[i]));
    }
  }
  out.pairs = slopes.size();
  if (!slopes.empty()) out.slope = MedianInPlace(slopes);
  std::vector<double> residuals(n);
  for (size_t i = 0; i < n; ++i) residuals[i] = y[i] - out.slope * x[i];
  out.intercept = MedianInPlace(residuals);
  return out;
}

}  // namespace perfwatch::analysis
