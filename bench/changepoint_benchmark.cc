// Change-point detection: cost (one 1,000-point series; one incremental append) and
// quality on generated series (docs/benchmarks.md "Change points"). The generator:
// series of 300 points around a random level in [10, 1000] with relative Gaussian noise
// of 1, 3 or 5 %, and 1 % outliers (the point times 1.5 to 3). Shift series carry one
// shift of 2, 5, 10, 20 or 50 % up or down at a random index in [100, 240); flat series
// none; ramp series a slow linear drift of 5 % over the whole series and no shift.
// Quality counters (one iteration, fixed seeds so runs compare):
//   found_10pct_batch     shifts >= 10 % found by DetectChangepoints within 10 points of the truth
//   found_10pct_live      shifts >= 10 % reported by the incremental detector by the time
//                         10 points after the shift have arrived (at an index within 10)
//   found_small_batch     shifts of 2 and 5 % found (for information; min_magnitude 5 % hides most)
//   false_flat, false_ramp  series with any change point reported
// Run: build/bench/changepoint_benchmark --benchmark_filter=Quality
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdlib>
#include <random>
#include <vector>

#include "analysis/changepoint.h"

namespace pa = perfwatch::analysis;

namespace {

struct Generated {
  std::vector<double> values;
  size_t shift_at = 0;  // 0: none
  double shift = 0;
};

enum class Kind { kShift, kFlat, kRamp };

Generated Generate(std::mt19937& rng, Kind kind, double shift) {
  constexpr size_t kLength = 300;
  std::uniform_real_distribution<double> level_dist(10, 1000), unit(0, 1);
  std::normal_distribution<double> gauss(0, 1);
  const double noises[] = {0.01, 0.03, 0.05};
  double noise = noises[rng() % 3];
  double level = level_dist(rng);
  Generated g;
  if (kind == Kind::kShift) {
    g.shift_at = 100 + rng() % 140;
    g.shift = (rng() % 2 ? 1 : -1) * shift;
  }
  g.values.resize(kLength);
  for (size_t i = 0; i < kLength; ++i) {
    double mean = level;
    if (kind == Kind::kShift && i >= g.shift_at) mean *= 1 + g.shift;
    if (kind == Kind::kRamp) mean *= 1 + 0.05 * static_cast<double>(i) / kLength;
    double v = mean * (1 + noise * gauss(rng));
    if (unit(rng) < 0.01) v *= 1.5 + 1.5 * unit(rng);
    g.values[i] = v;
  }
  return g;
}

bool FoundNear(const std::vector<pa::Changepoint>& cps, size_t at, size_t tolerance) {
  for (const auto& c : cps) {
    if (c.index + tolerance >= at && c.index <= at + tolerance) return true;
  }
  return false;
}

void BM_Detect1000(benchmark::State& state) {
  std::mt19937 rng(7);
  std::vector<double> v;
  for (int i = 0; i < 4; ++i) {
    auto g = Generate(rng, Kind::kShift, 0.2);
    v.insert(v.end(), g.values.begin(), g.values.begin() + 250);
  }
  for (auto _ : state) benchmark::DoNotOptimize(pa::DetectChangepoints(v, {}));
  state.counters["points"] = static_cast<double>(v.size());
}
BENCHMARK(BM_Detect1000)->Unit(benchmark::kMillisecond);

void BM_AppendAt1000(benchmark::State& state) {
  std::mt19937 rng(8);
  std::vector<double> v;
  for (int i = 0; i < 8; ++i) {
    auto g = Generate(rng, Kind::kShift, 0.2);
    v.insert(v.end(), g.values.begin(), g.values.end());
  }
  pa::ChangepointDetector detector({});
  for (size_t i = 0; i < 1000; ++i) detector.Append(v[i]);
  size_t next = 1000;
  for (auto _ : state) {
    detector.Append(v[next]);
    if (++next == v.size()) next = 1000;
  }
}
BENCHMARK(BM_AppendAt1000)->Unit(benchmark::kMicrosecond);

void BM_Quality(benchmark::State& state) {
  const int per_case = static_cast<int>(state.range(0));
  double found_batch = 0, found_live = 0, big = 0, found_small = 0, small = 0;
  double false_flat = 0, false_ramp = 0;
  for (auto _ : state) {
    std::mt19937 rng(2026);
    for (double size : {0.02, 0.05, 0.10, 0.20, 0.50}) {
      for (int i = 0; i < per_case; ++i) {
        Generated g = Generate(rng, Kind::kShift, size);
        auto cps = pa::DetectChangepoints(g.values, {});
        bool batch = FoundNear(cps, g.shift_at, 10);
        if (size >= 0.10) {
          ++big;
          found_batch += batch;
          pa::ChangepointDetector live({});
          for (size_t k = 0; k <= g.shift_at + 10; ++k) live.Append(g.values[k]);
          found_live += FoundNear(live.changepoints(), g.shift_at, 10);
        } else {
          ++small;
          found_small += batch;
        }
      }
    }
    for (int i = 0; i < 3 * per_case; ++i) {
      false_flat += !pa::DetectChangepoints(Generate(rng, Kind::kFlat, 0).values, {}).empty();
      false_ramp += !pa::DetectChangepoints(Generate(rng, Kind::kRamp, 0).values, {}).empty();
    }
  }
  state.counters["found_10pct_batch"] = found_batch / big;
  state.counters["found_10pct_live"] = found_live / big;
  state.counters["found_small_batch"] = found_small / small;
  state.counters["false_flat"] = false_flat / (3 * per_case);
  state.counters["false_ramp"] = false_ramp / (3 * per_case);
}
BENCHMARK(BM_Quality)->Arg(400)->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace
