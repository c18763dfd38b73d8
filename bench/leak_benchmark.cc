// Memory-leak detection: cost per sample and quality on generated heap series
// (docs/benchmarks.md "Issue 15: memory leaks"), against a plain lower-envelope detector.
//
// The generator (1 sample/s, 600 s per series, seed = the second Arg):
//   level      B log-uniform in [20 MB, 500 MB]
//   warm-up    B·(1 + W·(1 - exp(-t/tau))), W uniform in [0, 0.6], tau in [5, 40] s: fast
//              early growth (up to 400 %/min at t = 0) that levels off
//   sawtooth   one of: regular GC (period 2–20 s, each cycle ±25 %, 40 % of series);
//              aliased GC (period 0.7–1.4 s, sampled at 1 s so it shows as a slow, often
//              reversed sawtooth, 25 %; each cycle's period varies by ±J, J uniform in
//              [0, 4 %] per series: real collections are triggered by allocation volume,
//              so their period is never exact; J near 0 keeps the fully coherent alias);
//              two generations (minor 1–3 s + major 10–30 s, 20 %); none visible (an
//              RSS-like series, 15 %). Depth per cycle 2–30 % of the level (±30 % per
//              cycle); each collection leaves 0–0.3 % of garbage above the level.
//   noise      Gaussian, sigma 0.1–1 % of the level
//   leak       leak series only: + P·L·(t - s)/60 (P = B·(1 + W), the plateau) from a
//              start s uniform in [180, 480) s, L in {5, 7.5, 10, 15, 20} %/min of the
//              level (equal shares)
// Changes (2026-12-04): the aliased kind's period jitter (was exactly periodic), and the
// "found" rule below (was: the first report at or after s, even when the series had been
// flagged all along before s).
// Quality counters (one iteration; a detector "reports" at t when it says leaking after
// the sample at t):
//   found_10pct_30s   leaks of >= 10 %/min found within 30 s: reported at some t in
//                     [s, s + 30] and not reported at any t in [s - 60, s) (a series
//                     flagged just before its leak has not found the leak)
//   found_all_60s     all leaks found within 60 s: reported at some t in [s, s + 60] and
//                     not at any t in [s - 60, s); found_10pct_30s_<kind> and
//                     found_all_60s_<kind> the same per generator kind
//   early             leak series reported at some t < s
//   false_healthy     healthy series (same generator, no leak) reported at any time;
//                     false_<kind> the same per generator kind
//   rate_error        median |estimated / true - 1| of growth_ratio_per_min at s + 120
//   *_envelope        the same for the plain lower-envelope detector: the minimum over the
//                     last 20 s, compared with its value 30 s earlier; reports when that
//                     growth is >= 5 %/min
//   *_envelope_any    the envelope's found_* under the loose rule (any report in [s, s + 30]
//                     or [s, s + 60], whatever it reported before s): the rule under which
//                     it reaches the "about 84 % and 96 %"
// BM_OracleBound: what ramp tests told the leak's start and more (the true level, the
// cycles, the sawtooth's phase) find at the false-alarm rate of healthy series (see Oracle).
// Run: build/bench/leak_benchmark --benchmark_filter='Quality/200/[0-9]+/10000'  (seeds
// 2026, tuned on, and 4711 and 99, checks that the figures are not fitted to one seed);
// --benchmark_filter=Quality adds the threshold sweep on seed 2026;
// --benchmark_filter=EnvelopeSweep the envelope at stricter growth thresholds;
// --benchmark_filter=QualityCoarse the same generator, 30 minutes long, sampled every 1, 2,
// 5, 10, 15 and 30 s; --benchmark_filter=AppendPerSample the cost per sample at 1, 2 and 10 s.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "analysis/leak.h"
#include "analysis/stats.h"

namespace pa = perfwatch::analysis;

namespace {

constexpr int kLength = 600;
// Each collection leaves garbage uniform in [0, kGarbage) of the level; each cycle's depth
// is the sawtooth's mean depth x uniform [1 - kDepthSpread / 2, 1 + kDepthSpread / 2).
// The oracles take out the means and weight by the variances these give.
constexpr double kGarbage = 0.003, kDepthSpread = 0.6;
constexpr double kGarbageVar = kGarbage * kGarbage / 12;
const double kDepthSd = kDepthSpread / std::sqrt(12.0);  // relative to the mean depth

constexpr const char* kKindNames[] = {"regular", "aliased", "twogen", "none"};  // Series::kind

struct Series {
  std::vector<double> v;  // v[i] at t = i seconds
  int leak_start = -1;    // -1: healthy
  double leak_rate = 0;   // per minute, of the level
  int kind = 0;           // 0 regular, 1 aliased, 2 two generations, 3 none visible
  std::vector<double> base;  // base[i]: the level without sawtooth and noise (BM_OracleBound)
  std::vector<int> cycle;    // cycle[i]: which cycle of the slowest collection i falls in
  // For the oracles: phase[w][i] in [0, 1), where sample i falls in sawtooth w's cycle
  // (w: fastest first, the slowest last), and the generator's parameters.
  std::vector<std::vector<double>> phase;
  std::vector<double> depth, period;  // each sawtooth's mean depth and nominal period
  std::vector<double> since;          // since[i]: seconds since the slowest one's last collection
  double noise = 0;
};

// `length` samples at 1 s; a leak starts at a second uniform in [leak_from, leak_from +
// leak_span). The defaults are BM_Quality's series (the same draws for the same seed).
Series Generate(std::mt19937& rng, double leak_rate, int length = kLength, int leak_from = 180,
                int leak_span = 300) {
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> g(0, 1);
  Series s;
  const double level = 20e6 * std::pow(25.0, u(rng));
  const double warm = 0.6 * u(rng), tau = 5 + 35 * u(rng);
  const double noise = 0.001 + 0.009 * u(rng);
  const double kind = u(rng);
  // Sawtooth components: period range and depth.
  struct Saw {
    double p_lo, p_hi, depth, period, next_gc, last_gc, garbage, cycle_depth;
  };
  std::vector<Saw> saws;
  double alias_jitter = 0;
  auto depth = [&] { return 0.02 + 0.28 * u(rng); };
  s.kind = kind < 0.40 ? 0 : kind < 0.65 ? 1 : kind < 0.85 ? 2 : 3;
  if (kind < 0.40) {
    saws.push_back({2, 20, depth(), 0, 0, 0, 0, 0});
  } else if (kind < 0.65) {
    saws.push_back({0.7, 1.4, depth(), 0, 0, 0, 0, 0});
    alias_jitter = 0.04 * u(rng);
  } else if (kind < 0.85) {
    saws.push_back({1, 3, 0.5 * depth(), 0, 0, 0, 0, 0});
    saws.push_back({10, 30, depth(), 0, 0, 0, 0, 0});
  }
  for (Saw& w : saws) {
    w.period = w.p_lo + (w.p_hi - w.p_lo) * u(rng);
    w.last_gc = -w.period * u(rng);
    w.next_gc = w.last_gc + w.period;
    w.cycle_depth = w.depth;
  }
  if (leak_rate > 0) {
    s.leak_start = leak_from + static_cast<int>(rng() % static_cast<unsigned>(leak_span));
    s.leak_rate = leak_rate;
  }
  s.v.resize(length);
  s.base.resize(length);
  s.cycle.resize(length);
  s.phase.assign(saws.size(), std::vector<double>(length));
  for (const Saw& w : saws) s.depth.push_back(w.depth), s.period.push_back(w.period);
  s.since.resize(length);
  s.noise = noise;
  int cycle = 0;
  for (int i = 0; i < length; ++i) {
    const double t = i;
    double base = level * (1 + warm * (1 - std::exp(-t / tau)));
    if (s.leak_start >= 0 && i >= s.leak_start) base += level * (1 + warm) * leak_rate * (t - s.leak_start) / 60;
    double frac = 0;
    for (size_t k = 0; k < saws.size(); ++k) {
      Saw& w = saws[k];
      while (w.next_gc <= t) {
        if (&w == &saws.back()) ++cycle;
        w.last_gc = w.next_gc;
        const double jitter = w.p_hi < 2 ? 1 + 2 * alias_jitter * (u(rng) - 0.5) : 1 + 0.5 * (u(rng) - 0.5);
        w.next_gc += w.period * jitter;
        w.garbage = kGarbage * u(rng);
        w.cycle_depth = w.depth * (1 - kDepthSpread / 2 + kDepthSpread * u(rng));
      }
      const double phase = (t - w.last_gc) / (w.next_gc - w.last_gc);
      s.phase[k][i] = phase;
      frac += w.garbage + w.cycle_depth * phase;
    }
    if (!saws.empty()) s.since[i] = t - saws.back().last_gc;
    s.v[i] = base * (1 + frac + noise * g(rng));
    s.base[i] = base;
    s.cycle[i] = saws.empty() ? i : cycle;
  }
  return s;
}

// The plain lower-envelope detector: min over the last `env` samples vs `lag` samples ago;
// reports when that growth is at least `threshold` per minute.
class EnvelopeDetector {
 public:
  // step: seconds between samples (the windows are in samples).
  explicit EnvelopeDetector(double threshold = 0.05, int step = 1)
      : threshold_(threshold), step_(step) {}
  bool Append(double v) {
    window_.push_back(v);
    if (window_.size() > kEnv) window_.pop_front();
    envelope_.push_back(*std::min_element(window_.begin(), window_.end()));
    // LeakOptions' start-up grace (120 s), and 30 samples to look back on.
    if (envelope_.size() * static_cast<size_t>(step_) <= kWarmup || envelope_.size() <= kLag)
      return false;
    const double now = envelope_.back(), before = envelope_[envelope_.size() - 1 - kLag];
    return (now - before) / before * (60.0 / static_cast<double>(kLag * step_)) >= threshold_;
  }

 private:
  static constexpr size_t kEnv = 20, kLag = 30, kWarmup = 120;
  double threshold_;
  int step_;
  std::deque<double> window_;
  std::vector<double> envelope_;
};

struct Outcome {
  std::vector<bool> reported;  // reported[t]: the detector said leaking after the sample at t
  double rate_at_120 = 0;

  bool Any(int from, int to) const {  // reported at some t in [from, to]
    for (int t = std::max(from, 0); t <= to && t < static_cast<int>(reported.size()); ++t) {
      if (reported[t]) return true;
    }
    return false;
  }
  // Found within `delay` s of the start s: reported in [s, s + delay], not in [s - 60, s).
  bool Found(int s, int delay) const { return Any(s, s + delay) && !Any(s - 60, s - 1); }
};

template <typename Fn>
Outcome Run(const Series& s, Fn&& append) {
  Outcome o;
  o.reported.resize(kLength);
  for (int i = 0; i < kLength; ++i) {
    double rate = 0;
    o.reported[i] = append(i, s.v[i], &rate);
    if (s.leak_start >= 0 && i == s.leak_start + 120) o.rate_at_120 = rate;
  }
  return o;
}

void BM_Quality(benchmark::State& state) {
  const int per_rate = static_cast<int>(state.range(0));
  const auto seed = static_cast<uint32_t>(state.range(1));
  pa::LeakOptions options;
  options.max_p_value = static_cast<double>(state.range(2)) * 1e-6;
  const double rates[] = {0.05, 0.075, 0.10, 0.15, 0.20};
  double big = 0, all = 0, healthy = 0;
  double found30[2] = {0, 0}, found60[2] = {0, 0}, early[2] = {0, 0}, false_h[2] = {0, 0};
  double any30 = 0, any60 = 0;  // the envelope under the loose rule
  double kind_healthy[4] = {}, kind_false[4] = {}, kind_big[4] = {}, kind_found30[4] = {};
  double kind_all[4] = {}, kind_found60[4] = {};
  std::vector<double> errors;
  for (auto _ : state) {
    std::mt19937 rng(seed);
    auto detect = [&](const Series& s, int which) {
      if (which == 0) {
        pa::LeakDetector d(options);
        return Run(s, [&](int i, double v, double* rate) {
          d.Append(int64_t{i} * 1000 + 1'700'000'000'000, v);
          *rate = d.result().growth_ratio_per_min;
          return d.result().leaking;
        });
      }
      EnvelopeDetector e;
      return Run(s, [&](int, double v, double*) { return e.Append(v); });
    };
    for (double rate : rates) {
      for (int k = 0; k < per_rate; ++k) {
        const Series s = Generate(rng, rate);
        ++all;
        if (rate >= 0.10) ++big, ++kind_big[s.kind];
        ++kind_all[s.kind];
        for (int which = 0; which < 2; ++which) {
          const Outcome o = detect(s, which);
          if (rate >= 0.10 && o.Found(s.leak_start, 30)) {
            ++found30[which];
            if (which == 0) ++kind_found30[s.kind];
          }
          if (o.Found(s.leak_start, 60)) {
            ++found60[which];
            if (which == 0) ++kind_found60[s.kind];
          }
          early[which] += o.Any(0, s.leak_start - 1);
          if (which == 1) {
            any30 += rate >= 0.10 && o.Any(s.leak_start, s.leak_start + 30);
            any60 += o.Any(s.leak_start, s.leak_start + 60);
          }
          if (which == 0) errors.push_back(std::abs(o.rate_at_120 / rate - 1));
        }
      }
    }
    for (int k = 0; k < 5 * per_rate; ++k) {
      const Series s = Generate(rng, 0);
      ++healthy;
      ++kind_healthy[s.kind];
      for (int which = 0; which < 2; ++which) {
        const Outcome o = detect(s, which);
        const bool flagged = o.Any(0, kLength - 1);
        false_h[which] += flagged;
        if (which == 0) kind_false[s.kind] += flagged;
      }
    }
  }
  std::nth_element(errors.begin(), errors.begin() + errors.size() / 2, errors.end());
  state.counters["found_10pct_30s"] = found30[0] / big;
  state.counters["found_all_60s"] = found60[0] / all;
  state.counters["early"] = early[0] / all;
  state.counters["false_healthy"] = false_h[0] / healthy;
  state.counters["rate_error"] = errors[errors.size() / 2];
  state.counters["found_10pct_30s_envelope"] = found30[1] / big;
  state.counters["found_all_60s_envelope"] = found60[1] / all;
  state.counters["early_envelope"] = early[1] / all;
  state.counters["false_healthy_envelope"] = false_h[1] / healthy;
  state.counters["found_10pct_30s_envelope_any"] = any30 / big;
  state.counters["found_all_60s_envelope_any"] = any60 / all;
  for (int k = 0; k < 4; ++k) {
    state.counters[std::string("false_") + kKindNames[k]] = kind_false[k] / std::max(1.0, kind_healthy[k]);
    state.counters[std::string("found_10pct_30s_") + kKindNames[k]] = kind_found30[k] / std::max(1.0, kind_big[k]);
    state.counters[std::string("found_all_60s_") + kKindNames[k]] =
        kind_found60[k] / std::max(1.0, kind_all[k]);
  }
}
// Args: series per leak rate, seed, max_p_value in millionths (10000: the default 0.01).
// The last three runs sweep the threshold on seed 2026 (z about 3.5, 4 and 5 instead of
// 4.5): how much a looser or stricter test trades detection for false alarms.
BENCHMARK(BM_Quality)
    ->Args({200, 2026, 10000})
    ->Args({200, 4711, 10000})
    ->Args({200, 99, 10000})
    ->Args({200, 2026, 700000})
    ->Args({200, 2026, 95000})
    ->Args({200, 2026, 860})
    ->Iterations(1)
    ->Unit(benchmark::kSecond);

// The plain lower-envelope detector at stricter growth thresholds (Arg 1, %/min), on the
// series of BM_Quality (seed = Arg 0, 200 per rate, 1,000 healthy): what it finds once it is
// held near the false-alarm rate asked of perfwatch (its default 5 %/min flags half of the
// healthy series).
void BM_EnvelopeSweep(benchmark::State& state) {
  std::mt19937 rng(static_cast<uint32_t>(state.range(0)));
  const double threshold = static_cast<double>(state.range(1)) / 100;
  const double rates[] = {0.05, 0.075, 0.10, 0.15, 0.20};
  double big = 0, all = 0, found30 = 0, found60 = 0, healthy = 0, flagged = 0;
  auto run = [&](const Series& s) {
    EnvelopeDetector e(threshold);
    return Run(s, [&](int, double v, double*) { return e.Append(v); });
  };
  for (auto _ : state) {
    for (double rate : rates) {
      for (int k = 0; k < 200; ++k) {
        const Series s = Generate(rng, rate);
        const Outcome o = run(s);
        ++all;
        if (rate >= 0.10) ++big, found30 += o.Found(s.leak_start, 30);
        found60 += o.Found(s.leak_start, 60);
      }
    }
    for (int k = 0; k < 1000; ++k) {
      const Outcome o = run(Generate(rng, 0));
      ++healthy;
      flagged += o.Any(0, kLength - 1);
    }
  }
  state.counters["found_10pct_30s"] = found30 / big;
  state.counters["found_all_60s"] = found60 / all;
  state.counters["false_healthy"] = flagged / healthy;
}
BENCHMARK(BM_EnvelopeSweep)
    ->ArgsProduct({{2026, 4711, 99}, {5, 10, 20, 25, 30}})
    ->Iterations(1)
    ->Unit(benchmark::kSecond);

// Oracles (BM_OracleBound): what a ramp test finds when it is told what no detector can
// know, at the false-alarm rate of healthy series. Each returns the z of a ramp from the
// leak's start s (known) over the samples up to `until`; they differ in what they are told:
//   line     the true level before s and which samples share a cycle of the slowest
//            collection; each cycle's level is the least-squares line through its samples
//            read at its first sample; mean and spread from the complete cycles of [150 s, s)
//   trough   the same with each cycle's first sample alone
//   phase    also every collection's instant (so each sample's phase in each sawtooth),
//            each sawtooth's mean depth and the noise sigma, but not each cycle's own
//            depth (+-30 %) or garbage: every sample, less the mean garbage and the mean
//            depth x phase, weighted by the spread those leave
//   rate     (regular collections only) the leak's start and what a detector can estimate:
//            each collection to the sample, the allocation rate R = depth / period and
//            sigma, not the true level (warm-up included); the first three samples after
//            each collection, less R x their time since it (the k-th sample: k - 0.5 s),
//            weighted by sigma^2 + R^2 / 12 + (0.25 R tau)^2
// Each oracle's threshold is the z its healthy series (pseudo-starts every 36 s from 200 s)
// exceed in 0.1 % of single tests; a nominal z means little here (the line oracle's healthy
// z exceed 9 that often: its spread comes from a few cycles).
enum Oracle { kLine, kTrough, kPhase, kRate, kOracles };
constexpr const char* kOracleNames[] = {"line", "trough", "phase", "rate"};

double LineOracleZ(const Series& s, int until, bool single_trough) {
  auto cycle_point = [&](int first, int last) {
    const int n = last - first + 1;
    if (n == 1 || single_trough) return s.v[first];
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (int i = first; i <= last; ++i) {
      const double x = i - first;
      sx += x, sy += s.v[i], sxx += x * x, sxy += x * s.v[i];
    }
    const double b = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    return (sy - b * sx) / n;
  };
  const double level = s.base[s.leak_start - 1];
  std::vector<double> pre;
  std::vector<std::pair<double, double>> post;
  int i = 150;
  while (i < kLength && s.cycle[i] == s.cycle[i - 1]) ++i;
  while (i <= until && i < kLength) {
    int j = i;
    while (j + 1 < kLength && s.cycle[j + 1] == s.cycle[i]) ++j;
    if (j < s.leak_start) {
      pre.push_back(cycle_point(i, j) / s.base[i] - 1);
    } else if (i >= s.leak_start) {
      post.push_back({i - s.leak_start + 0.5, cycle_point(i, std::min(j, until)) / level - 1});
    }
    i = j + 1;
  }
  if (pre.size() < 3 || post.empty()) return 0;
  const pa::MeanVar calibration = pa::MeanAndVariance(pre);
  double sxy = 0, sxx = 0;
  for (auto [x, r] : post) sxy += x * (r - calibration.mean), sxx += x * x;
  return sxy / std::sqrt(calibration.var * sxx);
}

// phase and rate: weighted points (x = seconds since s, r = level relative to the true
// level, var = r's variance by the model); the ramp against the weighted mean of the
// points before s, its variance scaled up when those scatter more than the model says.
struct WeightedPoint {
  double x, r, var;
};

// The value at rank q·n of the sorted values (an oracle's threshold from healthy z).
double UpperQuantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * static_cast<double>(v.size()))];
}
double WeightedRampZ(const std::vector<WeightedPoint>& pre, const std::vector<WeightedPoint>& post) {
  if (pre.size() < 3 || post.empty()) return 0;
  double sw = 0, swr = 0, chi = 0, sxy = 0, sxx = 0;
  for (const WeightedPoint& p : pre) sw += 1 / p.var, swr += p.r / p.var;
  const double mu = swr / sw;
  for (const WeightedPoint& p : pre) chi += (p.r - mu) * (p.r - mu) / p.var;
  const double excess = std::max(1.0, chi / static_cast<double>(pre.size() - 1));
  for (const WeightedPoint& p : post) sxy += p.x * (p.r - mu) / p.var, sxx += p.x * p.x / p.var;
  return sxy / std::sqrt(excess * sxx);
}

// Sample i at x as the phase or rate oracle sees it, relative to `level`: less the mean
// sawtooth at its phase (phase), or less the allocation since the last collection (rate,
// regular kind: only the three samples after a collection, nullopt for the others), with
// the variance that leaves.
std::optional<WeightedPoint> OraclePoint(Oracle o, const Series& s, int i, double level, double x) {
  double r = s.v[i] / level - 1, var = s.noise * s.noise;
  if (o == kPhase) {
    for (size_t w = 0; w < s.depth.size(); ++w) {
      r -= kGarbage / 2 + s.depth[w] * s.phase[w][i];
      var += kGarbageVar + std::pow(kDepthSd * s.depth[w] * s.phase[w][i], 2);
    }
  } else {
    if (s.since[i] > 3) return std::nullopt;
    const double rate = s.depth[0] / s.period[0], tau = std::ceil(s.since[i]) - 0.5;
    r -= kGarbage / 2 + rate * tau;
    var += kGarbageVar + rate * rate / 12 + std::pow(0.25 * rate * tau, 2);
  }
  return WeightedPoint{x, r, var};
}

// The phase oracle reads samples before s against the true level of their time; the rate
// oracle reads every sample against the level at s.
double PhaseOrRateOracleZ(Oracle o, const Series& s, int until) {
  if (o == kRate && s.kind != 0) return 0;
  const double level = s.base[s.leak_start - 1];
  std::vector<WeightedPoint> pre, post;
  for (int i = 150; i <= until && i < kLength; ++i) {
    const bool before = i < s.leak_start;
    const auto p = OraclePoint(o, s, i, o == kPhase && before ? s.base[i] : level, static_cast<double>(i - s.leak_start));
    if (p) (before ? pre : post).push_back(*p);
  }
  return WeightedRampZ(pre, post);
}

double OracleZ(Oracle o, const Series& s, int until) {
  switch (o) {
    case kLine: return LineOracleZ(s, until, false);
    case kTrough: return LineOracleZ(s, until, true);
    default: return PhaseOrRateOracleZ(o, s, until);
  }
}

void BM_OracleBound(benchmark::State& state) {
  const auto seed = static_cast<uint32_t>(state.range(0));
  const double rates[] = {0.05, 0.075, 0.10, 0.15, 0.20};
  struct Leak {
    int kind;
    bool big;
    double z30[kOracles], z60[kOracles];
  };
  std::vector<Leak> leaks;
  std::vector<double> healthy30[kOracles], healthy60[kOracles];
  for (auto _ : state) {
    std::mt19937 rng(seed);  // the same series as BM_Quality's of this seed
    for (double rate : rates) {
      for (int k = 0; k < 200; ++k) {
        const Series s = Generate(rng, rate);
        Leak l{s.kind, rate >= 0.10, {}, {}};
        for (int o = 0; o < kOracles; ++o) {
          l.z30[o] = OracleZ(Oracle(o), s, s.leak_start + 30);
          l.z60[o] = OracleZ(Oracle(o), s, s.leak_start + 60);
        }
        leaks.push_back(l);
      }
    }
    for (int k = 0; k < 1000; ++k) {
      Series s = Generate(rng, 0);
      for (int start = 200; start < kLength - 60; start += 36) {
        s.leak_start = start;
        for (int o = 0; o < kOracles; ++o) {
          if (o == kRate && s.kind != 0) continue;
          healthy30[o].push_back(OracleZ(Oracle(o), s, start + 30));
          healthy60[o].push_back(OracleZ(Oracle(o), s, start + 60));
        }
      }
    }
  }
  for (int o = 0; o < kOracles; ++o) {  // exceeded by 0.1 % of healthy single tests
    const double t30 = UpperQuantile(healthy30[o], 0.999), t60 = UpperQuantile(healthy60[o], 0.999);
    double big = 0, all = 0, found30 = 0, found60 = 0, kind_big[4] = {}, kind_found30[4] = {};
    for (const Leak& l : leaks) {
      if (o == kRate && l.kind != 0) continue;
      ++all;
      found60 += l.z60[o] > t60;
      if (!l.big) continue;
      ++big, ++kind_big[l.kind];
      found30 += l.z30[o] > t30;
      kind_found30[l.kind] += l.z30[o] > t30;
    }
    const std::string name = kOracleNames[o];
    state.counters[name + "_z_threshold_30s"] = t30;
    state.counters[name + "_found_10pct_30s"] = found30 / big;
    state.counters[name + "_found_all_60s"] = found60 / all;
    for (int k = 0; k < 4 && o != kRate; ++k) {
      state.counters[name + "_found_10pct_30s_" + kKindNames[k]] = kind_found30[k] / std::max(1.0, kind_big[k]);
    }
  }
  double big = 0, nominal = 0;  // the line oracle at the nominal z 4.5 (the twentieth session's figure)
  for (const Leak& l : leaks) big += l.big, nominal += l.big && l.z30[kLine] >= 4.5;
  state.counters["line_found_10pct_30s_at_z4.5"] = nominal / big;
}
BENCHMARK(BM_OracleBound)->Arg(2026)->Arg(4711)->Arg(99)->Iterations(1)->Unit(benchmark::kSecond);

// The same phase and rate oracles without the leak's start, as a detector meets it: at every
// second t from 120 s, ramp tests over the trailing windows W (10 to 120 s) against the
// reference [t - W - 180 s, t - W) (from 100 s on, at least 60 s long), the largest z; a
// window is skipped when the reference's last minute rose faster than the window (slope x
// 1.5: a warm-up levelling off). Levels are relative to the median of the last 300 s (the
// true level is not used). Reported when z holds two samples in a row. The threshold is
// the z that 1 % of healthy series exceed anywhere (the false-alarm target).
double Median(std::vector<double> x) {
  auto m = x.begin() + static_cast<std::ptrdiff_t>(x.size() / 2);
  std::nth_element(x.begin(), m, x.end());
  return *m;
}

double WeightedSlope(const std::vector<WeightedPoint>& p) {
  double sw = 0, swx = 0, swr = 0, swxx = 0, swxr = 0;
  for (const WeightedPoint& q : p) {
    const double w = 1 / q.var;
    sw += w, swx += w * q.x, swr += w * q.r, swxx += w * q.x * q.x, swxr += w * q.x * q.r;
  }
  const double d = sw * swxx - swx * swx;
  return d > 0 ? (sw * swxr - swx * swr) / d : 0;
}

std::vector<double> ScanOracleZ(Oracle o, const Series& s) {
  constexpr int kWindows[] = {10, 15, 20, 25, 30, 40, 50, 60, 90, 120};
  constexpr int kFirstReference = 100, kReference = 180, kMinReference = 60;
  std::vector<double> z(kLength, 0), held(kLength, 0);
  for (int t = 120; t < kLength; ++t) {
    const double level = Median({s.v.begin() + std::max(0, t - 300), s.v.begin() + t + 1});
    for (int w : kWindows) {
      const int split = t - w + 1;  // the window: [split, t]
      const int from = std::max(kFirstReference, split - kReference);
      if (split - from < kMinReference) continue;
      std::vector<WeightedPoint> pre, post;
      for (int i = from; i <= t; ++i) {
        const auto p = OraclePoint(o, s, i, level, static_cast<double>(i - split));
        if (p) (i < split ? pre : post).push_back(*p);
      }
      std::vector<WeightedPoint> last_minute;
      for (const WeightedPoint& p : pre) {
        if (p.x >= -60) last_minute.push_back(p);
      }
      if (last_minute.size() >= 3 && post.size() >= 2 && 1.5 * WeightedSlope(last_minute) > WeightedSlope(post)) continue;
      z[t] = std::max(z[t], WeightedRampZ(pre, post));
    }
    held[t] = std::min(z[t], z[t - 1]);
  }
  return held;
}

void BM_ScanOracleBound(benchmark::State& state) {
  const auto seed = static_cast<uint32_t>(state.range(0));
  const int per_rate = static_cast<int>(state.range(1));
  const double rates[] = {0.05, 0.075, 0.10, 0.15, 0.20};
  constexpr Oracle kScanned[] = {kPhase, kRate};
  struct Leak {
    int kind, start;
    bool big;
    std::vector<double> z[2];
  };
  std::vector<Leak> leaks;
  std::vector<double> healthy_max[2];
  for (auto _ : state) {
    std::mt19937 rng(seed);  // the same series as BM_Quality's of this seed
    for (double rate : rates) {
      for (int k = 0; k < per_rate; ++k) {
        const Series s = Generate(rng, rate);
        Leak l{s.kind, s.leak_start, rate >= 0.10, {}};
        for (int o = 0; o < 2; ++o) {
          if (kScanned[o] != kRate || s.kind == 0) l.z[o] = ScanOracleZ(kScanned[o], s);
        }
        leaks.push_back(std::move(l));
      }
    }
    for (int k = 0; k < 5 * per_rate; ++k) {
      const Series s = Generate(rng, 0);
      for (int o = 0; o < 2; ++o) {
        if (kScanned[o] == kRate && s.kind != 0) continue;
        const std::vector<double> z = ScanOracleZ(kScanned[o], s);
        healthy_max[o].push_back(*std::max_element(z.begin(), z.end()));
      }
    }
  }
  for (int o = 0; o < 2; ++o) {
    const double threshold = UpperQuantile(healthy_max[o], 0.99);
    double big = 0, all = 0, found30 = 0, found60 = 0, kind_big[4] = {}, kind_found30[4] = {};
    for (const Leak& l : leaks) {
      if (l.z[o].empty()) continue;
      Outcome reports;  // the same "found" rule as BM_Quality's
      for (double z : l.z[o]) reports.reported.push_back(z > threshold);
      ++all;
      found60 += reports.Found(l.start, 60);
      if (!l.big) continue;
      const bool found = reports.Found(l.start, 30);
      ++big, ++kind_big[l.kind], found30 += found, kind_found30[l.kind] += found;
    }
    const std::string name = std::string("scan_") + kOracleNames[kScanned[o]];
    state.counters[name + "_z_threshold"] = threshold;
    state.counters[name + "_found_10pct_30s"] = found30 / big;
    state.counters[name + "_found_all_60s"] = found60 / all;
    for (int k = 0; k < 4 && kScanned[o] != kRate; ++k) {
      state.counters[name + "_found_10pct_30s_" + kKindNames[k]] = kind_found30[k] / std::max(1.0, kind_big[k]);
    }
  }
}
BENCHMARK(BM_ScanOracleBound)->Args({2026, 200})->Args({4711, 200})->Args({99, 200})->Iterations(1)->Unit(benchmark::kSecond);

// Coarser sampling, as the defaults deliver heap series: the browser SDK samples every 10 s
// (data-memory-interval, which pages may set to 2 or 5 s) and the TSDB pass reads its
// expressions at a 15 s step over 30 minutes. Step 1 gives every sample: the 1 s detector
// on series three times as long as BM_Quality's (healthy series flagged over 28 minutes,
// not 8). The generator's series at 1 s, 1,800 s long, leaks starting in [600, 1200) s,
// of which every `step`-th sample is given to the detector (a GC sawtooth sampled that
// sparsely aliases whatever its period). Args: step (s), seed; 100 series per leak rate,
// 500 healthy. Counters as BM_Quality's, over 2 and 5 minutes (reported at a sample time in
// [s, s + 120] or [s, s + 300] and not in [s - 300, s)); the envelope peer is BM_Quality's
// in samples (minimum of the last 20 against 30 samples earlier, growth per minute over
// that time).
void BM_QualityCoarse(benchmark::State& state) {
  const int step = static_cast<int>(state.range(0));
  std::mt19937 rng(static_cast<uint32_t>(state.range(1)));
  constexpr int kCoarseLength = 1800;
  const double rates[] = {0.05, 0.075, 0.10, 0.15, 0.20};
  double all = 0, healthy = 0, found2[2] = {}, found5[2] = {}, flagged[2] = {}, early[2] = {};
  double kind_all[4] = {}, kind_found5[4] = {}, kind_healthy[4] = {}, kind_flagged[4] = {};
  // reported[k]: after the sample at k * step seconds.
  auto run = [&](const Series& s, int which) {
    std::vector<bool> reported;
    pa::LeakDetector d;
    EnvelopeDetector e(0.05, step);
    for (int i = 0; i < kCoarseLength; i += step) {
      if (which == 0) {
        d.Append(int64_t{i} * 1000 + 1'700'000'000'000, s.v[i]);
        reported.push_back(d.result().leaking);
      } else {
        reported.push_back(e.Append(s.v[i]));
      }
    }
    return reported;
  };
  auto any = [&](const std::vector<bool>& r, int from_s, int to_s) {
    for (size_t k = 0; k < r.size(); ++k) {
      const int t = static_cast<int>(k) * step;
      if (t >= from_s && t <= to_s && r[k]) return true;
    }
    return false;
  };
  for (auto _ : state) {
    for (double rate : rates) {
      for (int k = 0; k < 100; ++k) {
        const Series s = Generate(rng, rate, kCoarseLength, 600, 600);
        ++all, ++kind_all[s.kind];
        for (int which = 0; which < 2; ++which) {
          const std::vector<bool> r = run(s, which);
          const bool before = any(r, s.leak_start - 300, s.leak_start - 1);
          early[which] += any(r, 0, s.leak_start - 1);
          found2[which] += !before && any(r, s.leak_start, s.leak_start + 120);
          const bool f5 = !before && any(r, s.leak_start, s.leak_start + 300);
          found5[which] += f5;
          if (which == 0) kind_found5[s.kind] += f5;
        }
      }
    }
    for (int k = 0; k < 500; ++k) {
      const Series s = Generate(rng, 0, kCoarseLength, 600, 600);
      ++healthy, ++kind_healthy[s.kind];
      for (int which = 0; which < 2; ++which) {
        const bool f = any(run(s, which), 0, kCoarseLength);
        flagged[which] += f;
        if (which == 0) kind_flagged[s.kind] += f;
      }
    }
  }
  const char* names[] = {"", "_envelope"};
  for (int which = 0; which < 2; ++which) {
    state.counters[std::string("found_all_2min") + names[which]] = found2[which] / all;
    state.counters[std::string("found_all_5min") + names[which]] = found5[which] / all;
    state.counters[std::string("early") + names[which]] = early[which] / all;
    state.counters[std::string("false_healthy") + names[which]] = flagged[which] / healthy;
  }
  for (int k = 0; k < 4; ++k) {
    state.counters[std::string("found_all_5min_") + kKindNames[k]] =
        kind_found5[k] / std::max(1.0, kind_all[k]);
    state.counters[std::string("false_") + kKindNames[k]] =
        kind_flagged[k] / std::max(1.0, kind_healthy[k]);
  }
}
BENCHMARK(BM_QualityCoarse)
    ->ArgsProduct({{1, 2, 5, 10, 15, 30}, {2026, 4711, 99}})
    ->Iterations(1)
    ->Unit(benchmark::kSecond);

// Cost of one Append, a sample every Arg seconds (1: the generator's series as they are;
// else every Arg-th sample of series Arg times as long), per GC kind of the generator.
void BM_AppendPerSample(benchmark::State& state) {
  const int step = static_cast<int>(state.range(0));
  std::mt19937 rng(7);
  std::vector<Series> series;
  for (int i = 0; i < 16; ++i)
    series.push_back(Generate(rng, i % 2 ? 0.1 : 0, kLength * step, 180 * step));
  size_t k = 0;
  int64_t appended = 0;
  for (auto _ : state) {
    state.PauseTiming();
    pa::LeakDetector d;
    const Series& s = series[k++ % series.size()];
    state.ResumeTiming();
    for (int i = 0; i < kLength * step; i += step) d.Append(int64_t{i} * 1000, s.v[i]);
    appended += kLength;
    benchmark::DoNotOptimize(d.result());
  }
  state.counters["seconds_per_sample"] = benchmark::Counter(
      static_cast<double>(appended), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_AppendPerSample)->Arg(1)->Arg(2)->Arg(10)->Unit(benchmark::kMillisecond);

}  // namespace
