#pragma once
// Memory-leak detection over heap-size series (issue 15 item 3; docs/analysis.md "Memory
// leaks"): separates sustained growth of the memory that survives garbage collection from
// the GC sawtooth, the warm-up of a fresh process or page, and noise.
//
// Method, per appended sample (t, bytes), in time order:
// 1. Post-GC minima. A sample is a minimum when it is a trough (lower than the sample
//    before it by more than the median step of the last 32 samples, and not higher
//    than the one after it: the first sample after a collection). When no trough comes for `max_block` samples
//    (twice the recent trough spacing, at least min_block: a series without visible GC,
//    such as a steadily growing RSS), the lowest sample of that block counts instead.
//    A minimum is known one sample after it arrives.
// 2. Trend, over the minima of each of two trailing windows (`window_ms`, the fast one,
//    and `long_window_ms` for slow leaks): the Theil–Sen slope (median pairwise slope)
//    and the Mann–Kendall test (one-sided, increasing, with tie correction).
// 3. A window reports a leak when it holds >= min_minima minima, the growth relative to
//    the fitted level at the window's start is >= threshold_ratio_per_min, Mann–Kendall's
//    p < max_p_value, and the growth is not levelling off: a warm-up (the later half's
//    slope below max_deceleration × the earlier half's) is not a leak.
// 4. leaking = either window reports one, once the series is older than `warmup_ms` (a
//    process or page grows while it starts: that growth is not a leak, and until it
//    levels off nothing tells the two apart). severity follows the seeds' levels of
//    growth_ratio_per_min: >= 0.20 critical, >= 0.10 high, >= 0.05 medium, below low (only
//    reachable with a threshold under 5 %/min); "none" when not leaking.
//    since = when the growth started: where the fitted line meets the median level of the
//    minima before the reporting window (kept while the leak lasts).
// The reported slope and p-value come from the reporting window (the long one when both
// report), or, when not leaking, from the long window when it has enough minima.
// Cost per sample: O(m^2) in the minima of a window (m <= window / GC period), bounded by
// max_minima.
//
// Thread safety: DetectLeak is a pure function; a LeakDetector is not thread-safe (one
// owner appends and reads).
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string_view>

#include "common/status.h"

namespace perfwatch::analysis {

struct LeakOptions {
  double threshold_ratio_per_min = 0.05;  // the seeds' 5 % growth per minute
  double max_p_value = 0.01;              // Mann–Kendall, one-sided
  int64_t window_ms = 60'000;
  int64_t long_window_ms = 300'000;
  int64_t warmup_ms = 120'000;            // no report in the series' first 2 minutes (start-up growth)
  int min_minima = 6;                     // minima a window needs before it can report
  int min_block = 4;                      // samples without a trough before a block minimum
  double max_deceleration = 0.5;          // later/earlier half slope below this: levelling off
  size_t max_minima = 2048;               // minima kept (history for `since` included)
};

// An error naming the first option out of range, or OK.
Status ValidateLeakOptions(const LeakOptions& options);

enum class LeakSeverity { kNone, kLow, kMedium, kHigh, kCritical };
std::string_view LeakSeverityName(LeakSeverity s);  // "none", "low", "medium", "high", "critical"
LeakSeverity LeakSeverityFor(double growth_ratio_per_min);  // the level of a growth rate (never kNone)

struct LeakResult {
  bool leaking = false;
  double growth_bytes_per_min = 0;   // Theil–Sen slope of the post-GC minima
  double growth_ratio_per_min = 0;   // the slope over the fitted level (0.05 = 5 %/min)
  LeakSeverity severity = LeakSeverity::kNone;
  std::optional<int64_t> since_ms;   // when the growth started (set while leaking)
  double p_value = 1;                // Mann–Kendall, one-sided (increasing)
  size_t samples = 0;                // samples appended
  size_t minima = 0;                 // post-GC minima in the window the figures come from
};

class LeakDetector {
 public:
  explicit LeakDetector(const LeakOptions& options = {}) : options_(options) {}

  // Appends a sample; returns false (and ignores it) when t_ms is not after the previous
  // sample's or the value is not finite. Updates result().
  bool Append(int64_t t_ms, double value);
  const LeakResult& result() const { return result_; }

 private:
  struct Point {
    int64_t t;
    double v;
  };
  struct WindowFit {
    bool enough = false;
    bool reports = false;
    double slope_per_ms = 0;
    double intercept = 0;  // at t = 0 of the origin (ms relative to origin_)
    double ratio_per_min = 0;
    double p = 1;
    size_t n = 0;
    int64_t start_ms = 0;  // first minimum in the window
  };
  void AddMinimum(Point p);
  WindowFit Fit(int64_t window_ms) const;
  void Evaluate();

  LeakOptions options_;
  LeakResult result_;
  int64_t origin_ = 0;             // first sample's time: times are kept relative to it
  std::optional<Point> prev2_, prev1_;  // the two latest samples (prev1_ newest)
  std::deque<Point> minima_;
  // Block fallback: samples since the last minimum, and their lowest.
  int since_minimum_ = 0;
  std::optional<Point> block_low_;
  std::deque<double> steps_;         // recent |v[i] - v[i-1]|
  std::deque<int64_t> trough_gaps_;  // samples between recent troughs (for max_block)
  int64_t last_trough_index_ = -1;
  int64_t index_ = 0;
};

// Runs a LeakDetector over the whole series (timestamps in ms, ascending; values in bytes)
// and returns its final result. Samples out of order or not finite are skipped.
LeakResult DetectLeak(std::span<const int64_t> t_ms, std::span<const double> values, const LeakOptions& options);

}  // namespace perfwatch::analysis
