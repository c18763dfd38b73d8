#include "analysis/stats.h"

#include <cmath>
#include <limits>

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

}  // namespace perfwatch::analysis
