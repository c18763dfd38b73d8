#pragma once
// Memory-leak detection over heap-size series (issue 15 item 3; docs/analysis.md "Memory
// leaks"): separates sustained growth of the memory that survives garbage collection from
// the GC sawtooth, the warm-up of a fresh process or page, and noise.
//
// Method, per appended sample (t, bytes), in time order (docs/analysis.md has the detail):
// 1. Noise sigma: the MAD of the second differences of the last minute (ramps cancel).
//    A collection: a drop of at least half the largest drop of the last 4 minutes and of
//    6 sigma or 5 % of the heap, whichever is smaller (bursty allocation inflates sigma).
// 2. Baseline points B: with collections at least 2.5 s apart (over 4 minutes), one point
//    per collection, its post-GC trough; with a reversed sawtooth (collections a little
//    slower than 1 sample/s: small drops every sample, a large rise every 2.5-12 s, given
//    back), one point per beat, the sample before its rise; with faster (aliased)
//    collections, the minimum of the last 3 s, per sample; with none visible, the sample.
// 3. Ramp test, over trailing windows W of 10 s to long_window_ms (fractions of onset_ms,
//    multiples of window_ms): against the reference level mu (median of B over the 180 s
//    before the window; with slow collections, over 11 periods, up to 6 minutes, so that it
//    holds the 10 points the test needs) and its spread sd (the larger of MAD and standard
//    deviation; at least the noise sigma, except over a reversed sawtooth's troughs), the
//    least-squares slope l of a ramp B = mu + l·(t - (now - W)) over the window's points;
//    z = l / se, se from sd, inflated by the reference's lag-1 autocorrelation (a slow
//    wobble). Onset when, for some W: z >= the normal quantile of
//    max_p_value / 3000 (Bonferroni; 4.5 by default); l >= 0.6 × threshold_ratio_per_min
//    of mu; the latest points stand above every reference point and every baseline point
//    kept before it (a periodic wobble gives its growth back and never leaves its range);
//    the reference did not rise faster than max_deceleration × l (a warm-up levelling
//    off), and l less the reference's own rise is still 0.6 × the threshold (steady growth
//    below it). It must hold 2 samples in a row.
//    Nothing is reported in the series' first warmup_ms.
// 3c. Second opinion, at 1 sample/s: a ramp test within 0.5 of the threshold is an onset
//    when the sawtooth filter over every sample (analysis/leak_filter.h) says the floor is
//    rising (the filter's reading, held two samples in a row, stands for step 3's).
// 4. Hysteresis: once leaking, the series stays leaking while the Theil–Sen slope of B
//    from since (at least window_ms) is at least half the threshold.
// Sampling interval: spans that must hold samples hold at least so many of the median
// interval of the last 32 (windows 3, reference 36, ...; docs/analysis.md "Sampling
// interval"), samples 1.5 s or more apart of a sawtooth give the lesser of the last two
// as the point, and there a rise (of the ramp test or the sustained-growth test) must
// outgrow every point kept before its window; at 1 sample/s every span is the one above.
// Figures: Theil–Sen slope (bytes/min) of B's points from `since` (at most
// long_window_ms, up to 64 points), ratio over the fitted line's level at since (the heap
// the leak grew from, however long ago; over the least point when a steep rise from a flat
// start puts that level at or below 0); p_value is Mann–Kendall over the same points. Not
// leaking: the same over the last window_ms. severity follows the seeds' levels of
// growth_ratio_per_min: >= 0.20 critical, >= 0.10 high, >= 0.05 medium, below low (a lower
// threshold, or a leak measured just under 5 %/min); "none" when not leaking. since = the
// start of the window with the largest z; kept while the leak lasts. Cost per sample:
// O(windows × reference points) + O(64^2), and the filter's O(500) at 1 sample/s.
//
// Thread safety: DetectLeak is a pure function; a LeakDetector is not thread-safe (one
// owner appends and reads).
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "analysis/leak_filter.h"
#include "common/status.h"

namespace perfwatch::analysis {

struct LeakOptions {
  double threshold_ratio_per_min = 0.05;  // the seeds' 5 % growth per minute
  double max_p_value = 0.01;              // the ramp test, one-sided, before the /3000 correction
  int64_t onset_ms = 30'000;              // the fast windows: 1/3, 1/2, 2/3, 1, 1.5 × this
  int64_t window_ms = 60'000;             // 1, 1.5, 2, 3, 4 × this; hysteresis and figures when not leaking
  int64_t long_window_ms = 300'000;       // slow leaks
  int64_t warmup_ms = 120'000;            // no report in the series' first 2 minutes (start-up growth)
  double max_deceleration = 1.5;          // the window before rose this much more: a warm-up
};

// An error naming the first option out of range, or OK.
Status ValidateLeakOptions(const LeakOptions& options);

enum class LeakSeverity { kNone, kLow, kMedium, kHigh, kCritical };
std::string_view LeakSeverityName(LeakSeverity s);  // "none", "low", "medium", "high", "critical"
LeakSeverity LeakSeverityFor(double growth_ratio_per_min);  // the level of a growth rate (never kNone)

struct LeakResult {
  bool leaking = false;
  double growth_bytes_per_min = 0;   // Theil–Sen slope of the baseline points
  double growth_ratio_per_min = 0;   // the slope over the baseline at since (0.05 = 5 %/min)
  LeakSeverity severity = LeakSeverity::kNone;
  std::optional<int64_t> since_ms;   // when the growth started (set while leaking)
  double p_value = 1;                // Mann–Kendall, one-sided (increasing)
  size_t samples = 0;                // samples appended
  size_t minima = 0;                 // baseline points the figures come from
};

class LeakDetector {
 public:
  explicit LeakDetector(const LeakOptions& options = {});

  // Appends a sample; returns false (and ignores it) when t_ms is not after the previous
  // sample's or the value is not finite. Updates result().
  bool Append(int64_t t_ms, double value);
  const LeakResult& result() const { return result_; }

 private:
  struct Point {
    int64_t t;
    double v;
  };
  struct Fit {
    double slope_per_ms = 0;
    double ratio_per_min = 0;
    double p = 1;
    size_t n = 0;
  };
  Fit FitPoints(int64_t from, std::optional<int64_t> level_at = std::nullopt) const;
  int64_t Span(int64_t ms, double samples) const;
  int64_t LongWindow() const;
  int64_t FigureWindow() const;
  int64_t MaxReference() const;
  double SlowPeriod() const;  // collections at least this far apart are slow: one point each
  const std::vector<int64_t>& Windows();
  double KeptTop(std::deque<Point>::const_iterator end, double top) const;
  double RampZ(int64_t window, double sigma) const;
  bool SustainedGrowth(int64_t now, int64_t* from) const;
  double Sigma() const;
  void AddPoint(double sigma);
  void DropOldPoints();
  void Evaluate();

  LeakOptions options_;
  LeakResult result_;
  SawtoothFilter filter_;                // the second opinion at 1 sample/s (step 3c)
  std::vector<int64_t> windows_;         // the trailing windows tested at 1 sample/s, ms
  std::vector<int64_t> scaled_windows_;  // those for the current sampling interval (Windows())
  double windows_step_ = -1;             // the interval scaled_windows_ were made for
  double step_ms_ = 0;           // the median interval of the last 32 samples (0: one sample)
  double min_z_ = 0;             // the ramp test's threshold
  int64_t origin_ = 0;           // first sample's time: times are kept relative to it
  std::deque<Point> samples_;    // the last ~2 minutes
  std::deque<Point> points_;     // the baseline B(t): one point per slow collection, else per sample
  struct Step {
    int64_t t;    // the sample after the step
    double size;  // how far it fell (drops_) or rose (rises_)
  };
  // The collection-sized steps among drops_ or rises_: those of at least half the largest
  // and of `floor`; their mean period (0: fewer than 3).
  struct Collections {
    double biggest = 0, big = 0, period = 0, total = 0;  // total: of all the steps
    size_t count = 0;
  };
  static Collections CollectionsOf(const std::deque<Step>& steps, double floor);
  std::deque<Step> drops_;       // drops, the last 4 minutes
  std::deque<Step> rises_;       // rises, the same
  bool reversed_ = false;        // the points are a reversed sawtooth's troughs (AddPoint)
  int onset_run_ = 0;            // evaluations in a row that found an onset
  bool points_are_baseline_ = false;  // points_ are post-GC troughs, or no collection ever showed
  double period_ms_ = 0;              // the collections' mean period over the last 4 minutes (0: too few)
  int64_t baseline_since_ = 0;        // since when they have been
};

// Runs a LeakDetector over the whole series (timestamps in ms, ascending; values in bytes)
// and returns its final result. Samples out of order or not finite are skipped.
LeakResult DetectLeak(std::span<const int64_t> t_ms, std::span<const double> values, const LeakOptions& options);

}  // namespace perfwatch::analysis
