#pragma once
// Exact percentiles. Definition (the same as PromQL's quantile_over_time and numpy's
// default "linear" method): sort the n values, take rank r = p/100 * (n - 1), and
// interpolate linearly between the values at floor(r) and ceil(r). p = 0 is the minimum,
// p = 100 the maximum; a single value is every percentile of itself.
// Thread safety: pure functions.
#include <span>
#include <vector>

namespace perfwatch::analysis {

// The percentiles `ps` (each in [0, 100], any order) of `values`, reordering `values` in
// place (nth_element, O(n) per distinct rank instead of a full sort). Returns NaN for each
// percentile when `values` is empty.
std::vector<double> ExactPercentiles(std::span<double> values, std::span<const double> ps);

// One percentile of a sorted span (the definition above, for tests and small inputs).
double PercentileOfSorted(std::span<const double> sorted, double p);

}  // namespace perfwatch::analysis
