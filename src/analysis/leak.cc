#include "analysis/leak.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "analysis/stats.h"

namespace perfwatch::analysis {
namespace {

constexpr double kTroughSpanMs = 8000;      // the envelope's troughs cover about this
constexpr int64_t kMinEnvelopeMs = 8000;
constexpr int kConfirmSamples = 2;          // evaluations in a row an onset must hold
constexpr double kMinHalfShare = 0.2;       // each half's share of a steady rise, at least
constexpr int64_t kMaxEnvelopeMs = 60'000;
constexpr size_t kMaxFitPoints = 64;        // envelope points per Theil–Sen / Mann–Kendall fit
constexpr int64_t kHistoryMs = 90'000;      // the envelope's wobble is measured over this

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

double LeakDetector::EnvelopeAt(int64_t t) const {
  auto it = std::upper_bound(envelope_.begin(), envelope_.end(), t,
                             [](int64_t x, const Point& p) { return x < p.t; });
  if (it == envelope_.begin()) return envelope_.front().v;
  return std::prev(it)->v;
}

LeakDetector::Fit LeakDetector::FitEnvelope(int64_t from) const {
  Fit f;
  auto first = std::lower_bound(envelope_.begin(), envelope_.end(), from,
                                [](const Point& p, int64_t t) { return p.t < t; });
  const size_t n = static_cast<size_t>(envelope_.end() - first);
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
  const double level = ts.intercept + ts.slope * x.front();
  f.ratio_per_min = level > 0 ? ts.slope * 60'000 / level : 0;
  f.p = MannKendall(y).p_increasing;
  return f;
}

bool LeakDetector::Onset(int64_t window, double sigma, int64_t* rise_from) const {
  const int64_t now = envelope_.back().t;
  if (now - 2 * window < envelope_.front().t) return false;  // the window before is needed too
  const double e_now = envelope_.back().v, e_then = EnvelopeAt(now - window),
               e_mid = EnvelopeAt(now - window / 2);
  if (!(e_then > 0)) return false;
  const double rise = e_now - e_then;
  if (rise / e_then * 60'000.0 / static_cast<double>(window) < options_.threshold_ratio_per_min) return false;
  if (!(e_now > e_mid)) return false;  // still rising over the later half
  // A leak rises steadily, a step is something else (an aliased sawtooth's wrap): when
  // the envelope updates often enough, each half of the window carries part of the rise.
  if (3 * env_window_ms_ <= window &&
      (e_mid - e_then < kMinHalfShare * rise || e_now - e_mid < kMinHalfShare * rise)) {
    return false;
  }
  // The envelope's own wobble (sampling phase of the troughs, garbage, noise): its range
  // over the kHistoryMs before this window.
  double lo = e_then, hi = e_then;
  for (auto it = envelope_.rbegin(); it != envelope_.rend() && it->t >= now - window - kHistoryMs; ++it) {
    if (it->t > now - window) continue;
    lo = std::min(lo, it->v);
    hi = std::max(hi, it->v);
  }
  if (rise < 4 * sigma + (hi - lo)) return false;
  // Levelling off (a warm-up): the window before rose clearly more.
  const double before = e_then - EnvelopeAt(now - 2 * window);
  if (before > options_.max_deceleration * rise) return false;
  if (FitEnvelope(now - window).p >= options_.max_p_value) return false;
  // The rise started after the last time E stood at its level of the window's start.
  int64_t from = now - window;
  for (auto it = envelope_.rbegin(); it != envelope_.rend() && it->t >= now - window; ++it) {
    if (it->v <= e_then + 2 * sigma) {
      from = it->t;
      break;
    }
  }
  *rise_from = from;
  return true;
}

bool LeakDetector::Append(int64_t t_ms, double value) {
  if (!std::isfinite(value)) return false;
  if (result_.samples == 0) origin_ = t_ms;
  const Point s{t_ms - origin_, value};
  if (!samples_.empty() && s.t <= samples_.back().t) return false;
  ++result_.samples;
  if (!samples_.empty() && samples_.back().v > s.v) drops_.push_back({s.t, samples_.back().v - s.v, s.v});
  samples_.push_back(s);
  while (samples_.front().t < s.t - 120'000) samples_.pop_front();
  while (!drops_.empty() && drops_.front().t < s.t - 240'000) drops_.pop_front();
  Evaluate();
  return true;
}

void LeakDetector::Evaluate() {
  const int64_t now = samples_.back().t;
  const double sigma = Sigma();
  // 1. Collections: the large drops (at least half the largest of the last 4 minutes and
  //    6 sigma of noise); the sample after one is a post-GC trough.
  double biggest = 0;
  for (const Drop& d : drops_) biggest = std::max(biggest, d.size);
  const double big = std::max(0.5 * biggest, 6 * sigma);
  std::vector<const Drop*> troughs;
  for (const Drop& d : drops_) {
    if (d.size >= big && d.size > 0) troughs.push_back(&d);
  }
  // 2. The lower envelope: with collections, the median of the latest troughs (k of them,
  //    covering about kTroughSpanMs: one for slow collections, a few for fast ones);
  //    without, the minimum of the last kMinEnvelopeMs.
  double e = samples_.back().v;
  if (troughs.size() >= 3) {
    const double period = static_cast<double>(troughs.back()->t - troughs.front()->t) /
                          static_cast<double>(troughs.size() - 1);
    const size_t k = std::clamp<size_t>(static_cast<size_t>(std::lround(kTroughSpanMs / period)), 1, 5);
    std::vector<double> last;
    for (size_t i = troughs.size() - std::min(k, troughs.size()); i < troughs.size(); ++i) last.push_back(troughs[i]->v);
    e = Median(std::move(last));
    env_window_ms_ = static_cast<int64_t>(period * static_cast<double>(k));
  } else {
    for (auto it = samples_.rbegin(); it != samples_.rend() && it->t >= now - kMinEnvelopeMs; ++it) e = std::min(e, it->v);
    env_window_ms_ = kMinEnvelopeMs;
  }
  envelope_.push_back({now, e});
  while (envelope_.front().t < now - options_.long_window_ms - 2 * options_.window_ms - kMaxEnvelopeMs) {
    envelope_.pop_front();
  }
  // 3. Onset, 4. hysteresis.
  const bool was_leaking = result_.leaking;
  bool leaking = false;
  int64_t rise_from = 0;
  if (now >= options_.warmup_ms) {
    for (int64_t w : {options_.onset_ms, options_.window_ms, options_.long_window_ms}) {
      if (Onset(w, sigma, &rise_from)) {
        leaking = true;
        break;
      }
    }
    // An onset must hold for kConfirmSamples evaluations in a row (a blip of the
    // envelope is not growth).
    onset_run_ = leaking ? onset_run_ + 1 : 0;
    if (!was_leaking && onset_run_ < kConfirmSamples) leaking = false;
    if (!leaking && was_leaking) {
      leaking = FitEnvelope(now - options_.window_ms).ratio_per_min >= 0.5 * options_.threshold_ratio_per_min;
    }
  }
  result_.leaking = leaking;
  if (leaking && !(was_leaking && result_.since_ms)) {
    result_.since_ms = std::max<int64_t>(rise_from - env_window_ms_ / 2, 0) + origin_;
  }
  if (!leaking) result_.since_ms.reset();
  const int64_t from = leaking ? std::max(*result_.since_ms - origin_, now - options_.long_window_ms)
                               : now - options_.window_ms;
  Fit f = FitEnvelope(from);
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
