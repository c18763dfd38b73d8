#pragma once
// Change-point detection: E-Divisive means with a Student's t significance test, in the
// manner of MongoDB's detector (Daly et al., ICPE 2020) and Apache Otava (formerly
// Hunter): instead of E-Divisive's permutation test, each candidate split is tested with
// Welch's t-test, and the series is cut into half-overlapping windows so the cost stays
// near-linear and many change points in a long series are all found.
//
// Method (docs/analysis.md "Change points" has the full description):
// 1. Split: on each window of `window` points (consecutive windows overlap by half),
//    E-Divisive finds the split maximising the energy-distance statistic Q between the
//    two sides (each side >= min_segment points); if Welch's t-test between the sides
//    gives p < 10 × max_p_value the split is kept and both sides are searched again.
// 2. Merge: every kept point is re-tested against its neighbours (the segment from the
//    previous change point to it, and from it to the next); while some point has
//    p >= max_p_value or a relative change |after - before| / |before| below
//    min_magnitude, the weakest (largest p, then smallest change) is removed.
// The result is the change points in index order with the statistics of the last test.
//
// Thread safety: DetectChangepoints is a pure function; a ChangepointDetector is not
// thread-safe (one owner appends and reads).
#include <cstddef>
#include <span>
#include <vector>

#include "common/status.h"

namespace perfwatch::analysis {

struct ChangepointOptions {
  int min_segment = 10;         // points on each side of a change, at least 2
  int window = 50;              // E-Divisive window, at least 2 * min_segment
  double max_p_value = 0.001;   // significance of the final test
  double min_magnitude = 0.05;  // minimum relative change of the mean (0.05 = 5 %)
};

// An error naming the first option out of range, or OK.
Status ValidateChangepointOptions(const ChangepointOptions& options);

struct Changepoint {
  size_t index = 0;         // the first point of the new segment
  double before_mean = 0;   // mean of the segment ending before `index`
  double after_mean = 0;    // mean of the segment starting at `index`
  double change = 0;        // (after_mean - before_mean) / |before_mean|; ±inf if before is 0
  double p_value = 1;       // Welch's t-test between the two segments
};

// The change points of `values` (finite numbers; the caller drops NaN). Options must be
// valid (ValidateChangepointOptions).
std::vector<Changepoint> DetectChangepoints(std::span<const double> values, const ChangepointOptions& options);

// The same analysis kept up to date as points arrive (Otava's incremental mode): Append
// re-runs the split phase only over the last two windows, keeps the change points found
// before them, and merges over all points. O(window^2) per append plus the merge. The
// windows are aligned to the end rather than the start, so a result can differ from
// DetectChangepoints on the whole series by a point or two in where a change starts.
class ChangepointDetector {
 public:
  explicit ChangepointDetector(const ChangepointOptions& options) : options_(options) {}

  void Append(double value);
  const std::vector<double>& values() const { return values_; }
  const std::vector<Changepoint>& changepoints() const { return changepoints_; }

 private:
  ChangepointOptions options_;
  std::vector<double> values_;
  std::vector<Changepoint> changepoints_;
};

}  // namespace perfwatch::analysis
