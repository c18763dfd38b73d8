#pragma once
// Memory-leak detection over heap-size series (issue 15 item 3; docs/analysis.md "Memory
// leaks"): separates sustained growth of the memory that survives garbage collection from
// the GC sawtooth, the warm-up of a fresh process or page, and noise.
//
// Method, per appended sample (t, bytes), in time order (docs/analysis.md has the detail):
// 1. Noise sigma: the MAD of the second differences of the last minute (ramps cancel).
//    A collection: a drop of at least half the largest drop of the last 4 minutes and 6
//    sigma; the sample after it is a post-GC trough.
// 2. Lower envelope E(t): with >= 3 collections in 4 minutes, the median of the latest
//    troughs covering about 8 s (1 to 5 of them); otherwise the minimum of the last 8 s.
// 3. Onset, over each of the trailing windows onset_ms (30 s), window_ms and
//    long_window_ms: E's growth over the window relative to E at its start is
//    >= threshold_ratio_per_min; the rise exceeds 4 sigma plus E's range over the 90 s
//    before the window (its wobble); E still rises over the later half (and, when E
//    updates often enough, each half carries >= 20 % of the rise: a step is not growth);
//    the window before rose less than max_deceleration × as much (a warm-up levelling
//    off); Mann–Kendall over E's points in the window (one-sided, increasing,
//    tie-corrected) gives p < max_p_value. It must hold 2 samples in a row. Nothing is
//    reported in the series' first warmup_ms.
// 4. Hysteresis: once leaking, the series stays leaking while the Theil–Sen slope of E
//    over the last window_ms is at least half the threshold.
// Figures: Theil–Sen slope (bytes/min) of E's points from `since` (at most
// long_window_ms, up to 64 points), ratio over the fitted level at since; p_value is
// Mann–Kendall over the same points. Not leaking: the same over the last window_ms.
// severity follows the seeds' levels of growth_ratio_per_min: >= 0.20 critical, >= 0.10
// high, >= 0.05 medium, below low (only reachable with a threshold under 5 %/min); "none"
// when not leaking. since = the last time in the reporting window that E stood at its
// level of the window's start, less half the envelope's span; kept while the leak lasts.
// Cost per sample: O(64^2) at most.
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

#include "common/status.h"

namespace perfwatch::analysis {

struct LeakOptions {
  double threshold_ratio_per_min = 0.05;  // the seeds' 5 % growth per minute
  double max_p_value = 0.01;              // Mann–Kendall, one-sided
  int64_t onset_ms = 30'000;              // the fast window (fast leaks)
  int64_t window_ms = 60'000;             // the middle window; hysteresis and figures when not leaking
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
  double growth_bytes_per_min = 0;   // Theil–Sen slope of the lower envelope
  double growth_ratio_per_min = 0;   // the slope over the envelope at since (0.05 = 5 %/min)
  LeakSeverity severity = LeakSeverity::kNone;
  std::optional<int64_t> since_ms;   // when the growth started (set while leaking)
  double p_value = 1;                // Mann–Kendall, one-sided (increasing)
  size_t samples = 0;                // samples appended
  size_t minima = 0;                 // envelope points the figures come from
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
  struct Fit {
    double slope_per_ms = 0;
    double ratio_per_min = 0;
    double p = 1;
    size_t n = 0;
  };
  double EnvelopeAt(int64_t t) const;  // E at the latest point at or before t
  Fit FitEnvelope(int64_t from) const;
  bool Onset(int64_t window, double sigma, int64_t* rise_from) const;
  double Sigma() const;
  void Evaluate();

  LeakOptions options_;
  LeakResult result_;
  int64_t origin_ = 0;           // first sample's time: times are kept relative to it
  std::deque<Point> samples_;    // the last ~2 minutes
  std::deque<Point> envelope_;   // E(t), kept long_window_ms + 2 windows
  struct Drop {
    int64_t t;     // the sample after the drop
    double size;
    double v;      // that sample's value
  };
  std::deque<Drop> drops_;       // drops, the last 4 minutes
  int64_t env_window_ms_ = 4000;
  int onset_run_ = 0;            // evaluations in a row that found an onset
};

// Runs a LeakDetector over the whole series (timestamps in ms, ascending; values in bytes)
// and returns its final result. Samples out of order or not finite are skipped.
LeakResult DetectLeak(std::span<const int64_t> t_ms, std::span<const double> values, const LeakOptions& options);

}  // namespace perfwatch::analysis
