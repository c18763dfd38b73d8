#include "analysis/leak.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <vector>

#include "analysis/stats.h"

namespace perfwatch::analysis {
namespace {

constexpr int kConfirmSamples = 2;          // evaluations in a row an onset must hold
constexpr size_t kMaxFitPoints = 64;        // points per Theil–Sen / Mann–Kendall fit
constexpr int64_t kReferenceMs = 180'000;   // the reference level: the points of this before a window
constexpr int64_t kMaxReferenceMs = 360'000;  // with slow collections, longer, up to this
constexpr double kCoarseReferenceSamples = 36;  // and at least this many sampling intervals
constexpr double kCoarseStepMs = 1500;  // samples 2 s or more apart: minima of 2, KeptTop all
constexpr double kSparseStepMs = 4000;          // 5 s or more apart: windows of 4-16 intervals too
constexpr ptrdiff_t kMinReference = 10;     // reference points, at least
constexpr ptrdiff_t kMinWindowPoints = 2;   // points in a window, at least
constexpr double kTests = 3000;             // ramp tests per series: p is corrected for this many
constexpr double kMinRateShare = 0.6;       // the window's slope: at least this × the threshold
constexpr double kMaxRho = 0.9;             // serial correlation of the reference used, at most
constexpr int64_t kSlowCollectionMs = 2500;  // collections at least this far apart: one point each
constexpr int64_t kFastMinimumMs = 3000;    // faster collections: the minimum over this
constexpr double kMaxReversedBeatMs = 12'000;  // a reversed sawtooth's beat, at most (AddPoint)
constexpr double kSecondOpinionZ = 0.5;        // step 3c: that far below the threshold
constexpr ptrdiff_t kMinSustainedPoints = 12;  // points of a sustained-growth test, at least
constexpr int64_t kMinSustainedMs = 60'000;    // and the time they span

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(mid), v.end());
  const double hi = v[mid];
  if (v.size() % 2 == 1) return hi;
  return (*std::max_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(mid)) + hi) / 2;
}

}  // namespace

Status ValidateLeakOptions(const LeakOptions& o) {
  if (!(o.threshold_ratio_per_min > 0) || !std::isfinite(o.threshold_ratio_per_min)) {
    return InvalidArgument("threshold_ratio_per_min must be a positive number (0.05 = 5 %/min)");
  }
  if (!(o.max_p_value > 0 && o.max_p_value < 1)) return InvalidArgument("max_p_value must be between 0 and 1");
  if (o.onset_ms < 5000) return InvalidArgument("onset window must be at least 5s");
  if (o.window_ms < 1000) return InvalidArgument("window must be at least 1s");
  if (o.warmup_ms < 0) return InvalidArgument("warmup must be >= 0");
  if (o.long_window_ms < o.window_ms) return InvalidArgument("long_window must be at least window");
  if (!(o.max_deceleration >= 1)) return InvalidArgument("max_deceleration must be at least 1");
  return Status::Ok();
}

std::string_view LeakSeverityName(LeakSeverity s) {
  switch (s) {
    case LeakSeverity::kNone: return "none";
    case LeakSeverity::kLow: return "low";
    case LeakSeverity::kMedium: return "medium";
    case LeakSeverity::kHigh: return "high";
    case LeakSeverity::kCritical: return "critical";
  }
  return "none";
}

LeakSeverity LeakSeverityFor(double r) {
  if (r >= 0.20) return LeakSeverity::kCritical;
  if (r >= 0.10) return LeakSeverity::kHigh;
  if (r >= 0.05) return LeakSeverity::kMedium;
  return LeakSeverity::kLow;
}

LeakDetector::LeakDetector(const LeakOptions& options)
    : options_(options), filter_(options.threshold_ratio_per_min) {
  // The ramp test's windows: fractions of the onset window, then multiples of the window,
  // up to the long window.
  auto add = [&](double w) {
    const auto ms = static_cast<int64_t>(w);
    if (ms >= 5000 && ms <= options_.long_window_ms &&
        std::find(windows_.begin(), windows_.end(), ms) == windows_.end()) {
      windows_.push_back(ms);
    }
  };
  const auto onset = static_cast<double>(options_.onset_ms), window = static_cast<double>(options_.window_ms);
  for (double f : {1.0 / 3, 0.5, 2.0 / 3, 1.0, 1.5}) add(onset * f);
  for (double f : {1.0, 1.5, 2.0, 3.0, 4.0}) add(window * f);
  add(static_cast<double>(options_.long_window_ms));
  std::sort(windows_.begin(), windows_.end());
  // The ramp test's z for a one-sided p of max_p_value / kTests (Bonferroni over about 11
  // windows × 5 minutes of evaluations): 4.5 for the default 0.01.
  double lo = 0, hi = 40;
  for (int i = 0; i < 100; ++i) {
    const double mid = (lo + hi) / 2;
    (NormalUpperTail(mid) > options_.max_p_value / kTests ? lo : hi) = mid;
  }
  min_z_ = hi;
}

// Spans that must hold enough samples grow with the sampling interval: max(ms, samples ×
// the median interval). At 1 sample/s (or faster) they are the constants themselves.
int64_t LeakDetector::Span(int64_t ms, double samples) const {
  return std::max(ms, static_cast<int64_t>(samples * step_ms_));
}

int64_t LeakDetector::LongWindow() const { return Span(options_.long_window_ms, 20); }
int64_t LeakDetector::FigureWindow() const { return Span(options_.window_ms, 8); }
int64_t LeakDetector::MaxReference() const { return Span(kMaxReferenceMs, 30); }
double LeakDetector::SlowPeriod() const {
  return static_cast<double>(Span(kSlowCollectionMs, 2.5));
}

// The ramp test's windows, each holding at least 3 samples; with samples 4 s or more apart,
// also 4 to 16 intervals (the fixed windows would hold too few, or all, of them).
const std::vector<int64_t>& LeakDetector::Windows() {
  if (windows_step_ != step_ms_) {
    windows_step_ = step_ms_;
    scaled_windows_.clear();
    for (int64_t w : windows_) scaled_windows_.push_back(Span(w, 3));
    if (step_ms_ >= kSparseStepMs) {
      for (double k : {4, 6, 8, 12, 16}) scaled_windows_.push_back(Span(0, k));
    }
    for (int64_t& w : scaled_windows_) w = std::min(w, LongWindow());
    std::sort(scaled_windows_.begin(), scaled_windows_.end());
    scaled_windows_.erase(std::unique(scaled_windows_.begin(), scaled_windows_.end()),
                          scaled_windows_.end());
  }
  return scaled_windows_;
}

double LeakDetector::Sigma() const {
  // Second differences of the last minute: a linear ramp cancels, white noise of sigma
  // gives sigma·sqrt(6). Those touching a collection's drop are left out.
  std::vector<double> d2;
  const size_t n = samples_.size();
  const size_t from = n > 62 ? n - 62 : 0;
  for (size_t i = from + 2; i < n; ++i) {
    const double a = samples_[i - 2].v, b = samples_[i - 1].v, c = samples_[i].v;
    if (c < b || b < a) {
      // keep only small decreases (noise); a large one is a collection
      const double drop = std::max(a - b, b - c);
      if (drop > 0.02 * b) continue;
    }
    d2.push_back(a - 2 * b + c);
  }
  if (d2.size() < 5) return 0;
  const double med = Median(d2);
  for (double& x : d2) x = std::abs(x - med);
  return 1.4826 * Median(d2) / std::sqrt(6.0);
}

LeakDetector::Fit LeakDetector::FitPoints(int64_t from, std::optional<int64_t> level_at) const {
  Fit f;
  auto first = std::lower_bound(points_.begin(), points_.end(), from,
                                [](const Point& p, int64_t t) { return p.t < t; });
  const size_t n = static_cast<size_t>(points_.end() - first);
  if (n < 3) return f;
  const size_t step = (n + kMaxFitPoints - 1) / kMaxFitPoints;
  std::vector<double> x, y;
  for (size_t i = n; i-- > 0;) {
    if ((n - 1 - i) % step) continue;
    const Point& p = *(first + static_cast<ptrdiff_t>(i));
    x.push_back(static_cast<double>(p.t));
    y.push_back(p.v);
  }
  std::reverse(x.begin(), x.end());
  std::reverse(y.begin(), y.end());
  const TheilSenResult ts = TheilSen(x, y);
  f.slope_per_ms = ts.slope;
  f.n = x.size();
  // The fitted level at level_at (where a leak started, so that a long leak's ratio stays
  // over the heap it grew from) or where the points start; a steep rise from a flat start
  // puts that line's start below zero (the line follows the rise): then the least point is
  // the level.
  double level = ts.intercept + ts.slope * (level_at ? static_cast<double>(*level_at) : x.front());
  if (!(level > 0)) level = *std::min_element(y.begin(), y.end());
  f.ratio_per_min = level > 0 ? ts.slope * 60'000 / level : 0;
  f.p = MannKendall(y).p_increasing;
  return f;
}

// The highest of `top` and the points kept before `end` that a rise must outgrow, not only
// those of the span it is compared with. With samples 1.5 s or more apart, every point
// kept: a sawtooth's beat against the sampling drifts for many minutes. At 1 sample/s, the
// baseline points (post-collection troughs, or a series without visible collections) since
// they became one; the raw samples kept before are the allocation ramp, peaks included.
double LeakDetector::KeptTop(std::deque<Point>::const_iterator end, double top) const {
  const bool sparse = step_ms_ >= kCoarseStepMs;
  if (!sparse && !points_are_baseline_) return top;
  for (auto it = points_.begin(); it != end; ++it) {
    if (sparse || it->t >= baseline_since_) top = std::max(top, it->v);
  }
  return top;
}

// The ramp test of one window [now - window, now] against the reference before it: its z
// (below the threshold too, as far as step 3c reads it), or 0 when it does not pass.
double LeakDetector::RampZ(int64_t window, double sigma) const {
  const int64_t now = samples_.back().t, cut = now - window;
  // Reference: the points of the kReferenceMs before the window. Slow collections (one
  // point each, every 10-30 s: a major generation) leave fewer than kMinReference points
  // there, and no test at all; then the reference spans kMinReference + 1 periods.
  // Sparse samples of a sawtooth wobble as its collections beat against the sampling
  // (the sampled phase drifts for minutes): a reference of 36 samples spans a beat.
  const int64_t min_reference = Span(kReferenceMs, kCoarseReferenceSamples);
  int64_t reference_ms = min_reference;
  if (period_ms_ >= SlowPeriod()) {
    reference_ms = std::clamp(static_cast<int64_t>(period_ms_ * (kMinReference + 1)), min_reference,
                              MaxReference());
  }
  auto ref_begin = std::lower_bound(points_.begin(), points_.end(), cut - reference_ms,
                                    [](const Point& p, int64_t t) { return p.t < t; });
  auto win_begin = std::upper_bound(points_.begin(), points_.end(), cut,
                                    [](int64_t t, const Point& p) { return t < p.t; });
  const auto n_ref = win_begin - ref_begin, n_win = points_.end() - win_begin;
  if (n_ref < kMinReference || n_win < kMinWindowPoints) return 0;
  if (ref_begin == points_.begin() && points_.front().t > cut - reference_ms / 2) return 0;  // too little history
  std::vector<double> ref;
  ref.reserve(static_cast<size_t>(n_ref));
  for (auto it = ref_begin; it != win_begin; ++it) ref.push_back(it->v);
  const double mu = Median(ref);
  std::vector<double> dev;
  dev.reserve(ref.size());
  for (double v : ref) dev.push_back(std::abs(v - mu));
  // The larger of the MAD and the standard deviation: trough phases give heavy tails. At
  // least the samples' noise sigma, except over a reversed sawtooth's troughs: there the
  // beats' rises, one every few samples, pass into the second differences Sigma() reads
  // and inflate it, often several times over the troughs' own spread.
  const double sd = std::max({1.4826 * Median(dev), std::sqrt(MeanAndVariance(ref).var),
                              reversed_ ? 0.0 : sigma, 1e-4 * std::abs(mu)});
  if (!(mu > 0)) return 0;
  // Serial correlation of the reference (a slow wobble): inflates the variance.
  double c0 = 0, c1 = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double r = std::clamp(ref[i] - mu, -4 * sd, 4 * sd);
    c0 += r * r;
    if (i) c1 += r * std::clamp(ref[i - 1] - mu, -4 * sd, 4 * sd);
  }
  const double rho = c0 > 0 ? std::clamp(c1 / c0, 0.0, kMaxRho) : 0;
  const double inflation = (1 + rho) / (1 - rho);
  // Least squares of a ramp starting at cut: b = mu + l·(t - cut).
  double sxx = 0, sxy = 0, sx = 0;
  for (auto it = win_begin; it != points_.end(); ++it) {
    const double x = static_cast<double>(it->t - cut) / 1000.0;
    sxx += x * x;
    sx += x;
    sxy += x * (it->v - mu);
  }
  if (!(sxx > 0)) return 0;
  const double slope = sxy / sxx;  // bytes per second
  const double min_slope = kMinRateShare * options_.threshold_ratio_per_min * mu / 60;
  if (slope < min_slope) return 0;
  if (!(points_.back().v > mu)) return 0;
  // Growth that a periodic wobble gives back never leaves the range it has shown: the
  // latest points (the median of the last third) stand above the reference's highest,
  // and above the points kept before it (KeptTop: 36 sparse samples need not hold a
  // beat's top).
  {
    std::vector<double> recent;
    const auto m = std::max<ptrdiff_t>(1, n_win / 3);
    for (auto it = points_.end() - m; it != points_.end(); ++it) recent.push_back(it->v);
    if (!(Median(recent) > KeptTop(ref_begin, *std::max_element(ref.begin(), ref.end())))) return 0;
  }
  const double var_mu = 1.57 * sd * sd / static_cast<double>(ref.size());
  const double se = std::sqrt(inflation * (sd * sd / sxx + var_mu * sx * sx / (sxx * sxx)));
  const double z = slope / se;
  // Below the threshold only a second opinion (step 3c, at 1 sample/s) can use z.
  if (z < min_z_ - (step_ms_ < kCoarseStepMs ? kSecondOpinionZ : 0)) return 0;
  // A warm-up levelling off: the reference rose faster than the window does.
  std::vector<double> x, y;
  const size_t step = (ref.size() + 31) / 32;
  for (auto it = ref_begin; it < win_begin; it += static_cast<ptrdiff_t>(step)) {
    x.push_back(static_cast<double>(it->t) / 1000.0);
    y.push_back(it->v);
    if (win_begin - it <= static_cast<ptrdiff_t>(step)) break;
  }
  const double ref_slope = TheilSen(x, y).slope;
  if (ref_slope > options_.max_deceleration * slope) return 0;
  // A steady growth below the threshold (a reference that already rises as fast) passes
  // the ramp through the reference's median with a slope too steep: the growth the window
  // adds to the reference's own must reach the share of the threshold.
  if (slope - std::max(ref_slope, 0.0) < min_slope) return 0;
  return z;
}

// A leak older than any flat reference (one that began with the page, or within the
// reference of every ramp window): over all points of the last long window (at least
// kMinSustainedMs of them), the Theil–Sen slope is at least the threshold, Mann–Kendall is
// significant at max_p_value / kTests, the later half still rises at least half as fast as
// the earlier one (a warm-up levels off), and the latest point stands above every point
// of the earlier half and those kept before it (KeptTop; growth never given back). Only
// over baseline points (troughs of slow collections, or a series without visible
// collections). `from`: the last point still at the level of the window's first quarter.
// Points from the warm-up are left out: a start-up growth still levelling off at its end
// passed the test at the first evaluation (without them, the leak benchmark's false alarms
// fell from 28 to 22 of 3,000).
bool LeakDetector::SustainedGrowth(int64_t now, int64_t* from) const {
  const int64_t start = std::max({now - LongWindow(), options_.warmup_ms, baseline_since_});
  auto first = std::lower_bound(points_.begin(), points_.end(), start,
                                [](const Point& p, int64_t t) { return p.t < t; });
  const ptrdiff_t n = points_.end() - first;
  if (!points_are_baseline_ || n < kMinSustainedPoints || now - first->t < kMinSustainedMs) return false;
  const Fit f = FitPoints(first->t);
  if (f.ratio_per_min < options_.threshold_ratio_per_min) return false;
  if (f.p > options_.max_p_value / kTests) return false;
  const int64_t mid_t = first->t + (now - first->t) / 2;
  auto mid = std::lower_bound(first, points_.end(), mid_t, [](const Point& p, int64_t t) { return p.t < t; });
  auto slope = [](auto b, auto e) {
    std::vector<double> x, y;
    for (auto it = b; it != e; ++it) x.push_back(static_cast<double>(it->t)), y.push_back(it->v);
    return x.size() < 3 ? 0.0 : TheilSen(x, y).slope;
  };
  const double early = slope(first, mid), late = slope(mid, points_.end());
  if (!(late > 0) || late < 0.5 * early) return false;
  double early_max = first->v;
  for (auto it = first; it != mid; ++it) early_max = std::max(early_max, it->v);
  if (!(points_.back().v > KeptTop(first, early_max))) return false;
  // The rise began after the last point still at the level of the window's first quarter.
  std::vector<double> head;
  for (auto it = first; it != points_.end() && it->t <= first->t + (now - first->t) / 4; ++it) head.push_back(it->v);
  std::nth_element(head.begin(), head.begin() + static_cast<ptrdiff_t>(head.size() / 2), head.end());
  const double start_level = head[head.size() / 2];
  *from = first->t;
  for (auto it = points_.end(); it != first;) {
    --it;
    if (it->v <= start_level) {
      *from = it->t;
      break;
    }
  }
  return true;
}

bool LeakDetector::Append(int64_t t_ms, double value) {
  if (!std::isfinite(value)) return false;
  if (result_.samples == 0) origin_ = t_ms;
  const Point s{t_ms - origin_, value};
  if (!samples_.empty() && s.t <= samples_.back().t) return false;
  ++result_.samples;
  if (!samples_.empty() && samples_.back().v > s.v)
    drops_.push_back({s.t, samples_.back().v - s.v});
  if (!samples_.empty() && samples_.back().v < s.v)
    rises_.push_back({s.t, s.v - samples_.back().v});
  samples_.push_back(s);
  // The sampling interval: the median of the last (up to) 32.
  if (samples_.size() >= 2) {
    std::vector<double> gaps;
    for (size_t i = samples_.size() - 1; i > 0 && gaps.size() < 32; --i) {
      gaps.push_back(static_cast<double>(samples_[i].t - samples_[i - 1].t));
    }
    step_ms_ = Median(std::move(gaps));
  }
  if (step_ms_ < kCoarseStepMs) filter_.Append(s.t, s.v);
  while (samples_.front().t < s.t - Span(120'000, 64)) samples_.pop_front();
  for (auto* steps : {&drops_, &rises_}) {
    while (!steps->empty() && steps->front().t < s.t - Span(240'000, 40)) steps->pop_front();
  }
  Evaluate();
  return true;
}

LeakDetector::Collections LeakDetector::CollectionsOf(const std::deque<Step>& steps, double floor) {
  Collections c;
  for (const Step& d : steps) c.biggest = std::max(c.biggest, d.size), c.total += d.size;
  c.big = std::max(0.5 * c.biggest, floor);
  int64_t first = 0, last = 0;
  for (const Step& d : steps) {
    if (d.size >= c.big && d.size > 0) {
      if (!c.count++) first = d.t;
      last = d.t;
    }
  }
  if (c.count >= 3) c.period = static_cast<double>(last - first) / static_cast<double>(c.count - 1);
  return c;
}

void LeakDetector::AddPoint(double sigma) {
  const int64_t now = samples_.back().t;
  // 1. Collections: the large drops (at least half the largest of the last 4 minutes and
  //    6 sigma of noise, or 5 % of the heap when allocation comes in bursts: a real page's
  //    heap climbs in steps that inflate sigma); the sample after one is a post-GC trough.
  const double floor = std::min(6 * sigma, 0.05 * samples_.back().v);
  const Collections falls = CollectionsOf(drops_, floor);
  const double biggest = falls.biggest, big = falls.big;
  const size_t collections = falls.count;
  double period = falls.period;
  // A reversed sawtooth: collections a little slower than the sampling (1.0-1.4 s at 1 s)
  // move the sampled phase back each sample, so the heap falls a little per sample and
  // rises by most of the depth once a beat. Its troughs are the samples before those
  // rises, one point per beat, as for slow collections. Entered on beats of 2.5 to
  // kMaxReversedBeatMs whose rises are at least twice any drop and 2 % of the heap (not
  // noise), and given back: the drops add up to at least half the rises (a heap growing
  // in allocation bursts, a page loading, rises in steps and keeps them). Kept while the
  // largest rise outgrows the largest drop, however rare the large rises become (a beat
  // slowing down), so that a beat near a threshold does not switch point kinds back and
  // forth: a reference of one kind against a window of the other is a false alarm.
  const double slow = SlowPeriod();
  bool reversed = false;
  Collections rises;
  if (step_ms_ < kCoarseStepMs) {
    rises = CollectionsOf(rises_, floor);
    const bool enter = rises.period >= slow && rises.period <= kMaxReversedBeatMs &&
                       rises.biggest > 2 * biggest && rises.biggest >= 0.02 * samples_.back().v &&
                       falls.total >= 0.5 * rises.total;
    const bool stay = reversed_ && rises.biggest > biggest && rises.count > 0;
    reversed = enter || stay;
    if (reversed && rises.period > 0) period = rises.period;
  }
  reversed_ = reversed;
  period_ms_ = period;
  // Whether the points are a baseline a sustained rise can be read from: troughs of slow
  // collections, or a series that never showed a collection (RSS-like). Between one or two
  // rare collections the raw samples are the allocation ramp, not the baseline.
  const bool baseline = period >= slow || (collections == 0 && biggest < 0.02 * samples_.back().v);
  if (baseline && !points_are_baseline_) baseline_since_ = now;
  points_are_baseline_ = baseline;
  if (reversed) {
    // One point per beat: the sample before its large rise.
    if (rises_.back().t != now || rises_.back().size < rises.big || samples_.size() < 2) return;
    const Point trough = samples_[samples_.size() - 2];
    if (!points_.empty() && points_.back().t >= trough.t) return;
    points_.push_back(trough);
    DropOldPoints();
    return;
  }
  double v = samples_.back().v;
  if (step_ms_ >= kCoarseStepMs && (period > 0 || biggest >= 0.02 * v)) {
    // Sparse samples of a sawtooth land at random phases of its cycles: the lesser of the
    // last two is a point (the one nearer a trough).
    if (samples_.size() >= 2) v = std::min(v, samples_[samples_.size() - 2].v);
  } else if (period >= slow) {
    // Slow collections: one point per collection, its trough.
    if (drops_.empty() || drops_.back().t != now || drops_.back().size < big) return;
  } else if (period > 0) {
    // Fast or aliased collections: the minimum of the last few samples.
    const int64_t fast = Span(kFastMinimumMs, 3);
    for (auto it = samples_.rbegin(); it != samples_.rend() && it->t > now - fast; ++it)
      v = std::min(v, it->v);
  }
  points_.push_back({now, v});
  DropOldPoints();
}

// Points older than the longest window and its longest reference (and a margin) are no
// longer read.
void LeakDetector::DropOldPoints() {
  const int64_t now = samples_.back().t;
  while (points_.front().t < now - LongWindow() - MaxReference() - Span(10'000, 10))
    points_.pop_front();
}

void LeakDetector::Evaluate() {
  const int64_t now = samples_.back().t;
  const double sigma = Sigma();
  AddPoint(sigma);
  const bool was_leaking = result_.leaking;
  bool leaking = false;
  int64_t rise_from = 0;
  if (now >= options_.warmup_ms && !points_.empty()) {
    double best = 0;
    for (int64_t w : Windows()) {
      const double z = RampZ(w, sigma);
      if (z > best) best = z, rise_from = now - w;
    }
    // 3c. The second opinion: at 1 sample/s, a ramp test that came within kSecondOpinionZ
    //    of the threshold is an onset when the sawtooth filter's floor is rising.
    //    The filter has held its reading two samples in a row already.
    const bool second = best < min_z_ && best >= min_z_ - kSecondOpinionZ &&
                        step_ms_ < kCoarseStepMs && filter_.Rising();
    leaking = best >= min_z_ || second;
    if (!leaking) leaking = SustainedGrowth(now, &rise_from);
    onset_run_ = leaking ? onset_run_ + 1 : 0;
    if (!was_leaking && onset_run_ < kConfirmSamples && !second) leaking = false;
    if (!leaking && was_leaking) {
      const int64_t since = *result_.since_ms - origin_;
      const int64_t from = std::max(since, now - LongWindow());
      leaking = FitPoints(std::min(from, now - FigureWindow()), since).ratio_per_min >=
                0.5 * options_.threshold_ratio_per_min;
    }
  }
  result_.leaking = leaking;
  if (leaking && !(was_leaking && result_.since_ms)) result_.since_ms = std::max<int64_t>(rise_from, 0) + origin_;
  if (!leaking) result_.since_ms.reset();
  std::optional<int64_t> since;
  if (leaking) since = *result_.since_ms - origin_;
  const int64_t from = since ? std::max(*since, now - LongWindow()) : now - FigureWindow();
  Fit f = FitPoints(from, since);
  result_.growth_bytes_per_min = f.slope_per_ms * 60'000;
  result_.growth_ratio_per_min = f.ratio_per_min;
  result_.p_value = f.p;
  result_.minima = f.n;
  result_.severity = leaking ? LeakSeverityFor(result_.growth_ratio_per_min) : LeakSeverity::kNone;
}

LeakResult DetectLeak(std::span<const int64_t> t_ms, std::span<const double> values, const LeakOptions& options) {
  LeakDetector d(options);
  const size_t n = std::min(t_ms.size(), values.size());
  for (size_t i = 0; i < n; ++i) d.Append(t_ms[i], values[i]);
  return d.result();
}

}  // namespace perfwatch::analysis
