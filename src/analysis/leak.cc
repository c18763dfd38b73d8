#include "analysis/leak.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "analysis/stats.h"

namespace perfwatch::analysis {
namespace {

constexpr size_t kTroughGaps = 8;  // recent trough spacings behind max_block
constexpr double kDropFactor = 1.0;  // a trough's drop over the median step
constexpr size_t kSteps = 32;      // recent |v[i] - v[i-1]| behind the drop threshold

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
  if (o.window_ms < 1000) return InvalidArgument("window must be at least 1s");
  if (o.warmup_ms < 0) return InvalidArgument("warmup must be >= 0");
  if (o.long_window_ms < o.window_ms) return InvalidArgument("long_window must be at least window");
  if (o.min_minima < 4) return InvalidArgument("min_minima must be at least 4");
  if (o.min_block < 1) return InvalidArgument("min_block must be at least 1");
  if (!(o.max_deceleration >= 0 && o.max_deceleration <= 1)) {
    return InvalidArgument("max_deceleration must be between 0 and 1");
  }
  if (o.max_minima < static_cast<size_t>(2 * o.min_minima)) return InvalidArgument("max_minima is too small");
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

void LeakDetector::AddMinimum(Point p) {
  minima_.push_back(p);
  while (minima_.size() > options_.max_minima) minima_.pop_front();
  // History beyond the long window plus a minute (the level before a leak) is not needed.
  const int64_t keep_from = p.t - options_.long_window_ms - 60'000;
  while (!minima_.empty() && minima_.front().t < keep_from) minima_.pop_front();
  since_minimum_ = 0;
  block_low_.reset();
}

bool LeakDetector::Append(int64_t t_ms, double value) {
  if (!std::isfinite(value)) return false;
  if (result_.samples == 0) origin_ = t_ms;
  const Point s{t_ms - origin_, value};
  if (prev1_ && s.t <= prev1_->t) return false;
  ++result_.samples;
  if (prev1_) {
    // prev1_ is now known: a trough, or one more sample of the current block.
    const Point c = *prev1_;
    const int64_t c_index = index_ - 1;
    // A collection's drop stands out from the sample-to-sample steps (allocation and
    // noise): it must exceed 3 × the median step of the recent samples.
    bool trough = false;
    if (prev2_ && c.v < prev2_->v && c.v <= s.v) {
      std::vector<double> steps(steps_.begin(), steps_.end());
      trough = steps.size() < 4 || prev2_->v - c.v > kDropFactor * Median(std::move(steps));
    }
    steps_.push_back(std::abs(s.v - c.v));
    if (steps_.size() > kSteps) steps_.pop_front();
    if (trough) {
      if (last_trough_index_ >= 0) {
        trough_gaps_.push_back(c_index - last_trough_index_);
        if (trough_gaps_.size() > kTroughGaps) trough_gaps_.pop_front();
      }
      last_trough_index_ = c_index;
      AddMinimum(c);
    } else {
      ++since_minimum_;
      if (!block_low_ || c.v < block_low_->v) block_low_ = c;
      int64_t max_block = options_.min_block;
      if (!trough_gaps_.empty()) {
        std::vector<double> gaps(trough_gaps_.begin(), trough_gaps_.end());
        max_block = std::max<int64_t>(max_block, static_cast<int64_t>(2 * Median(gaps)));
      }
      if (since_minimum_ >= max_block) AddMinimum(*block_low_);
    }
  }
  prev2_ = prev1_;
  prev1_ = s;
  ++index_;
  Evaluate();
  return true;
}

LeakDetector::WindowFit LeakDetector::Fit(int64_t window_ms) const {
  WindowFit f;
  const int64_t from = prev1_->t - window_ms;
  auto first = std::lower_bound(minima_.begin(), minima_.end(), from,
                                [](const Point& p, int64_t t) { return p.t < t; });
  const size_t n = static_cast<size_t>(minima_.end() - first);
  f.n = n;
  if (n < static_cast<size_t>(options_.min_minima)) return f;
  f.enough = true;
  std::vector<double> x, y;
  x.reserve(n);
  y.reserve(n);
  for (auto it = first; it != minima_.end(); ++it) {
    x.push_back(static_cast<double>(it->t));
    y.push_back(it->v);
  }
  f.start_ms = first->t;
  const TheilSenResult ts = TheilSen(x, y);
  f.slope_per_ms = ts.slope;
  f.intercept = ts.intercept;
  const double level = ts.intercept + ts.slope * x.front();
  f.ratio_per_min = level > 0 ? ts.slope * 60'000 / level : 0;
  f.p = MannKendall(y).p_increasing;
  bool levelling_off = false;
  if (n >= 8) {
    const size_t half = n / 2;
    const TheilSenResult a = TheilSen(std::span(x).first(half), std::span(y).first(half));
    const TheilSenResult b = TheilSen(std::span(x).subspan(half), std::span(y).subspan(half));
    levelling_off = a.slope > 0 && b.slope < options_.max_deceleration * a.slope;
  }
  // A rise that stays within the range the minima already covered before the window is a
  // slower collection's ramp (a major GC's sawtooth over the minor ones), not yet growth:
  // the fitted level now must exceed the 90th percentile of the earlier minima.
  bool above_history = true;
  std::vector<double> before;
  for (auto it = minima_.begin(); it != first; ++it) {
    if (it->t >= prev1_->t - options_.long_window_ms) before.push_back(it->v);
  }
  if (before.size() >= 5) {
    const size_t k = before.size() * 9 / 10;
    std::nth_element(before.begin(), before.begin() + static_cast<ptrdiff_t>(k), before.end());
    above_history = ts.intercept + ts.slope * static_cast<double>(prev1_->t) > before[k];
  }
  f.reports = f.ratio_per_min >= options_.threshold_ratio_per_min && f.p < options_.max_p_value && !levelling_off &&
              above_history;
  return f;
}

void LeakDetector::Evaluate() {
  if (minima_.empty()) return;
  const WindowFit fast = Fit(options_.window_ms);
  const WindowFit slow = Fit(options_.long_window_ms);
  const WindowFit* use = slow.reports ? &slow : fast.reports ? &fast : nullptr;
  if (prev1_->t < options_.warmup_ms) use = nullptr;
  const bool was_leaking = result_.leaking;
  result_.leaking = use != nullptr;
  if (!use) use = slow.enough ? &slow : &fast;
  result_.growth_bytes_per_min = use->slope_per_ms * 60'000;
  result_.growth_ratio_per_min = use->ratio_per_min;
  result_.p_value = use->p;
  result_.minima = use->n;
  if (!result_.leaking) {
    result_.severity = LeakSeverity::kNone;
    result_.since_ms.reset();
    return;
  }
  result_.severity = LeakSeverityFor(result_.growth_ratio_per_min);
  if (was_leaking && result_.since_ms) return;
  // When the growth started: the fitted line meets the level of the minute before the
  // reporting window; without minima there, the window's first minimum.
  std::vector<double> before;
  for (const Point& p : minima_) {
    if (p.t >= use->start_ms) break;
    if (p.t >= use->start_ms - 60'000) before.push_back(p.v);
  }
  int64_t since = use->start_ms;
  if (before.size() >= 3 && use->slope_per_ms > 0) {
    const double at = (Median(before) - use->intercept) / use->slope_per_ms;
    if (std::isfinite(at)) {
      since = std::clamp(static_cast<int64_t>(std::llround(at)), use->start_ms - 60'000, prev1_->t);
    }
  }
  result_.since_ms = std::max<int64_t>(since, 0) + origin_;
}

LeakResult DetectLeak(std::span<const int64_t> t_ms, std::span<const double> values, const LeakOptions& options) {
  LeakDetector d(options);
  const size_t n = std::min(t_ms.size(), values.size());
  for (size_t i = 0; i < n; ++i) d.Append(t_ms[i], values[i]);
  return d.result();
}

}  // namespace perfwatch::analysis
