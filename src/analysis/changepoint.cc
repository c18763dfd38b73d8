#include "analysis/changepoint.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "analysis/stats.h"

namespace perfwatch::analysis {
namespace {

// A copy of `values` with outliers clipped: points further than 5 scaled MADs (about five
// standard deviations of normal noise) from the median are set to that bound, so a single
// spike can neither hide a shift (by inflating the variance) nor fake one (by moving a
// short segment's mean). Unchanged when the MAD is 0.
std::vector<double> ClipOutliers(std::span<const double> values) {
  std::vector<double> out(values.begin(), values.end());
  if (out.size() < 3) return out;
  std::vector<double> tmp = out;
  auto median_of = [](std::vector<double>& v) {
    size_t mid = v.size() / 2;
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
    double m = v[mid];
    if (v.size() % 2 == 0) m = (m + *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid))) / 2;
    return m;
  };
  double median = median_of(tmp);
  for (double& x : tmp) x = std::fabs(x - median);
  double mad = median_of(tmp);
  if (mad <= 0) return out;
  double bound = 5 * 1.4826 * mad;
  for (double& x : out) x = std::clamp(x, median - bound, median + bound);
  return out;
}

// Welch's t-test of two adjacent segments after clipping each one's outliers.
TTestResult RobustTTest(std::span<const double> before, std::span<const double> after) {
  std::vector<double> a = ClipOutliers(before), b = ClipOutliers(after);
  return WelchTTest(a, b);
}

// E-Divisive over one window: the pairwise distances |x_i - x_j| once, then the best split
// of any sub-range in O(length^2) by moving one point at a time from the right side to
// the left and updating the three sums of the statistic.
class EDivisive {
 public:
  EDivisive(std::span<const double> window, int min_segment, double split_p)
      : x_(window), n_(window.size()), min_segment_(static_cast<size_t>(min_segment)), split_p_(split_p),
        d_(n_ * n_) {
    for (size_t i = 0; i < n_; ++i) {
      for (size_t j = 0; j < n_; ++j) d_[i * n_ + j] = std::fabs(x_[i] - x_[j]);
    }
  }

  // Appends to `out` (window-relative indexes) the significant splits of [a, b).
  void Split(size_t a, size_t b, std::vector<size_t>* out) const {
    if (b - a < 2 * min_segment_) return;
    size_t tau = BestSplit(a, b);
    TTestResult t = RobustTTest(x_.subspan(a, tau - a), x_.subspan(tau, b - tau));
    if (!(t.p < split_p_)) return;
    out->push_back(tau);
    Split(a, tau, out);
    Split(tau, b, out);
  }

 private:
  double D(size_t i, size_t j) const { return d_[i * n_ + j]; }

  // argmax over tau in [a + s, b - s] of
  //   Q = m k / (m + k) * (2/(m k) * between - within_left / C(m,2) - within_right / C(k,2)).
  size_t BestSplit(size_t a, size_t b) const {
    double within_left = 0, between = 0, within_right = 0;
    for (size_t i = a; i < b; ++i) {
      for (size_t j = i + 1; j < b; ++j) within_right += D(i, j);
    }
    size_t best = a + min_segment_;
    double best_q = -std::numeric_limits<double>::infinity();
    for (size_t tau = a; tau <= b - min_segment_; ++tau) {
      // Move point `tau` from the right side to the left one.
      if (tau > a) {
        size_t e = tau - 1;
        double to_left = 0, to_right = 0;
        for (size_t i = a; i < e; ++i) to_left += D(i, e);
        for (size_t j = e + 1; j < b; ++j) to_right += D(e, j);
        within_left += to_left;
        within_right -= to_right;
        between += to_right - to_left;
      }
      size_t m = tau - a, k = b - tau;
      if (m < min_segment_) continue;
      double dm = static_cast<double>(m), dk = static_cast<double>(k);
      double q = dm * dk / (dm + dk) *
                 (2 * between / (dm * dk) - within_left / (dm * (dm - 1) / 2) - within_right / (dk * (dk - 1) / 2));
      if (q > best_q) {
        best_q = q;
        best = tau;
      }
    }
    return best;
  }

  std::span<const double> x_;
  size_t n_;
  size_t min_segment_;
  double split_p_;
  std::vector<double> d_;
};

// Split phase over [from, values.size()): the significant splits of each window, windows
// overlapping by half; a window after a found split starts at that split.
std::vector<size_t> SplitPhase(std::span<const double> values, size_t from, const ChangepointOptions& o) {
  const size_t n = values.size();
  const size_t window = static_cast<size_t>(o.window);
  const size_t step = std::max<size_t>(1, window / 2);
  const double split_p = std::min(1.0, o.max_p_value * 10);
  std::vector<size_t> found;
  size_t start = from;
  while (start < n) {
    size_t end = std::min(start + window, n);
    EDivisive ed(values.subspan(start, end - start), o.min_segment, split_p);
    std::vector<size_t> local;
    ed.Split(0, end - start, &local);
    size_t last = 0;
    for (size_t i : local) {
      found.push_back(start + i);
      last = std::max(last, start + i);
    }
    if (end == n) break;
    start = std::max(last, start + step);
  }
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  return found;
}

Changepoint Evaluate(std::span<const double> values, size_t prev, size_t index, size_t next) {
  Changepoint cp;
  cp.index = index;
  std::vector<double> before = ClipOutliers(values.subspan(prev, index - prev));
  std::vector<double> after = ClipOutliers(values.subspan(index, next - index));
  cp.before_mean = MeanAndVariance(before).mean;
  cp.after_mean = MeanAndVariance(after).mean;
  double diff = cp.after_mean - cp.before_mean;
  if (cp.before_mean != 0) {
    cp.change = diff / std::fabs(cp.before_mean);
  } else {
    cp.change = diff == 0 ? 0 : std::copysign(std::numeric_limits<double>::infinity(), diff);
  }
  cp.p_value = WelchTTest(before, after).p;
  return cp;
}

// Places each split where the test between its neighbouring segments is strongest,
// within min_segment points of where a window found it: a window sees only min_segment
// points past its split, so a change near a window's end is found a few points early.
// Only splits at `first` or later move.
void RefinePhase(std::span<const double> values, std::vector<size_t>& indexes, const ChangepointOptions& o,
                 size_t first = 0) {
  const size_t s = static_cast<size_t>(o.min_segment);
  for (size_t i = 0; i < indexes.size(); ++i) {
    if (indexes[i] < first) continue;
    size_t prev = i == 0 ? 0 : indexes[i - 1];
    size_t next = i + 1 == indexes.size() ? values.size() : indexes[i + 1];
    size_t lo = std::max(prev + s, indexes[i] > s ? indexes[i] - s : 0);
    size_t hi = std::min(next >= s ? next - s : 0, indexes[i] + s);
    double best_t = -1;
    for (size_t tau = lo; tau <= hi; ++tau) {
      double t = std::fabs(RobustTTest(values.subspan(prev, tau - prev), values.subspan(tau, next - tau)).t);
      if (t > best_t) {
        best_t = t;
        indexes[i] = tau;
      }
    }
  }
}

// Merge phase: re-test each point against its neighbours and drop the weakest failing one
// until every point passes.
std::vector<Changepoint> MergePhase(std::span<const double> values, std::vector<size_t> indexes,
                                    const ChangepointOptions& o) {
  std::vector<Changepoint> cps;
  while (true) {
    cps.clear();
    for (size_t i = 0; i < indexes.size(); ++i) {
      size_t prev = i == 0 ? 0 : indexes[i - 1];
      size_t next = i + 1 == indexes.size() ? values.size() : indexes[i + 1];
      cps.push_back(Evaluate(values, prev, indexes[i], next));
    }
    int weakest = -1;
    for (size_t i = 0; i < cps.size(); ++i) {
      const Changepoint& c = cps[i];
      bool fails = !(c.p_value < o.max_p_value) || std::fabs(c.change) < o.min_magnitude;
      if (!fails) continue;
      if (weakest < 0) {
        weakest = static_cast<int>(i);
        continue;
      }
      const Changepoint& w = cps[static_cast<size_t>(weakest)];
      if (c.p_value > w.p_value || (c.p_value == w.p_value && std::fabs(c.change) < std::fabs(w.change))) {
        weakest = static_cast<int>(i);
      }
    }
    if (weakest < 0) return cps;
    indexes.erase(indexes.begin() + weakest);
  }
}

}  // namespace

Status ValidateChangepointOptions(const ChangepointOptions& o) {
  if (o.min_segment < 2) return InvalidArgument("min_segment must be at least 2");
  if (o.window < 2 * o.min_segment) return InvalidArgument("window must be at least 2 * min_segment");
  if (o.window > 10000) return InvalidArgument("window must be at most 10000");
  if (!(o.max_p_value > 0 && o.max_p_value < 1)) return InvalidArgument("max_p_value must be in (0, 1)");
  if (!(o.min_magnitude >= 0) || !std::isfinite(o.min_magnitude)) {
    return InvalidArgument("min_magnitude must be a finite number >= 0");
  }
  return Status::Ok();
}

std::vector<Changepoint> DetectChangepoints(std::span<const double> values, const ChangepointOptions& options) {
  std::vector<size_t> indexes = SplitPhase(values, 0, options);
  RefinePhase(values, indexes, options);
  return MergePhase(values, std::move(indexes), options);
}

void ChangepointDetector::Append(double value) {
  values_.push_back(value);
  const size_t n = values_.size();
  // Points before `from` keep the change points already found there; the tail is searched
  // again because a new point can make a split in it significant.
  const size_t tail = 2 * static_cast<size_t>(options_.window);
  const size_t from = n > tail ? n - tail : 0;
  // The tail's windows can only find changes at from + min_segment or later.
  const size_t keep_below = from + static_cast<size_t>(options_.min_segment);
  std::vector<size_t> indexes;
  for (const Changepoint& c : changepoints_) {
    if (c.index < keep_below) indexes.push_back(c.index);
  }
  for (size_t i : SplitPhase(values_, from, options_)) {
    if (i >= keep_below) indexes.push_back(i);
  }
  RefinePhase(values_, indexes, options_, keep_below);
  changepoints_ = MergePhase(values_, std::move(indexes), options_);
}

}  // namespace perfwatch::analysis
