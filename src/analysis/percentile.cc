#include "analysis/percentile.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace perfwatch::analysis {

double PercentileOfSorted(std::span<const double> sorted, double p) {
  if (sorted.empty()) return std::numeric_limits<double>::quiet_NaN();
  double rank = p / 100.0 * static_cast<double>(sorted.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(rank));
  size_t hi = std::min(lo + 1, sorted.size() - 1);
  double frac = rank - static_cast<double>(lo);
  if (frac == 0 || lo == hi) return sorted[lo];
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

std::vector<double> ExactPercentiles(std::span<double> values, std::span<const double> ps) {
  std::vector<double> out(ps.size(), std::numeric_limits<double>::quiet_NaN());
  if (values.empty()) return out;
  const size_t n = values.size();
  // Process percentiles in increasing rank order so each nth_element works on the part
  // of the array to the right of the previous one.
  std::vector<size_t> order(ps.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ps[a] < ps[b]; });
  size_t done = 0;  // values[0, done) are <= everything after and already partitioned
  for (size_t i : order) {
    double rank = std::clamp(ps[i], 0.0, 100.0) / 100.0 * static_cast<double>(n - 1);
    size_t lo = static_cast<size_t>(std::floor(rank));
    double frac = rank - static_cast<double>(lo);
    if (lo >= done) {
      std::nth_element(values.begin() + done, values.begin() + lo, values.end());
    }
    double lo_v = values[lo];
    double v = lo_v;
    if (frac > 0 && lo + 1 < n) {
      // The next order statistic is the minimum of everything to the right of lo.
      double hi_v = *std::min_element(values.begin() + lo + 1, values.end());
      v = lo_v + (hi_v - lo_v) * frac;
    }
    out[i] = v;
    done = std::max(done, lo);
  }
  return out;
}

}  // namespace perfwatch::analysis
