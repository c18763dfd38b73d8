#include "analysis/leak_filter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace perfwatch::analysis {
namespace {

constexpr int64_t kFilterT0 = 1'700'000'000'000;
constexpr double kFilterBase = 100e6;

// Collections every `period` s (±jitter per cycle, each cycle's depth mean_depth ±30 %)
// sampled once a second for `seconds`, noise ±0.3 % of the level, and from `leak_from` on
// a leak of `rate` × kFilterBase per minute.
std::vector<double> FilterSawtooth(unsigned seed, double period, double mean_depth, int seconds,
                                   int leak_from = -1, double rate = 0) {
  std::mt19937 rng(seed);
  auto u = [&] { return static_cast<double>(rng() >> 8) / 16777216.0; };
  std::vector<double> v;
  double last = 0, next = period, depth = mean_depth;
  for (int t = 0; t < seconds; ++t) {
    while (next <= t) {
      last = next;
      next += period * (1 + 0.02 * (2 * u() - 1));
      depth = mean_depth * (0.7 + 0.6 * u());
    }
    const double leak = leak_from >= 0 && t >= leak_from ? rate * (t - leak_from) / 60 : 0;
    v.push_back(kFilterBase *
                (1 + leak + depth * (t - last) / (next - last) + 0.003 * (2 * u() - 1)));
  }
  return v;
}

// The first second from `from` on at which the filter says the floor is rising.
std::optional<int> FirstFilterRising(const std::vector<double>& v, int from) {
  SawtoothFilter f(0.05);
  for (size_t t = 0; t < v.size(); ++t) {
    f.Append(kFilterT0 + static_cast<int64_t>(t) * 1000, v[t]);
    if (static_cast<int>(t) >= from && f.Rising()) return static_cast<int>(t);
  }
  return std::nullopt;
}

// Aliased collections (0.8-1.3 s seen once a second: a slow, forward or reversed beat,
// 10-25 % deep). Healthy, the floor never rises after the two minutes' grace; with a
// 10 %/min leak from the fifth minute, it rises within a minute.
TEST(SawtoothFilterTest, AliasedBeatsRiseOnlyWithALeak) {
  const double periods[] = {0.8, 0.9, 1.15, 1.3};
  const double depths[] = {0.1, 0.25};
  unsigned seed = 0;
  for (double period : periods) {
    for (double depth : depths) {
      ++seed;
      SCOPED_TRACE("period " + std::to_string(period) + " depth " + std::to_string(depth));
      EXPECT_EQ(FirstFilterRising(FilterSawtooth(seed, period, depth, 600), 120), std::nullopt);
      const std::optional<int> first =
          FirstFilterRising(FilterSawtooth(seed, period, depth, 600, 300, 0.10), 120);
      ASSERT_TRUE(first.has_value()) << "never rising";
      EXPECT_GE(*first, 300);
      EXPECT_LE(*first, 360);
    }
  }
}

// A fresh process's warm-up (50 % of growth levelling off, tau 30 s) without collections
// is not a rising floor once the grace period is over: its velocity falls.
TEST(SawtoothFilterTest, AWarmUpLevellingOffDoesNotRise) {
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0, 0.002);
  std::vector<double> v;
  for (int t = 0; t < 600; ++t)
    v.push_back(kFilterBase * (1 + 0.5 * (1 - std::exp(-t / 30.0)) + noise(rng)));
  EXPECT_EQ(FirstFilterRising(v, 120), std::nullopt);
}

// The same series gives the same answers (a fixed seed).
TEST(SawtoothFilterTest, Deterministic) {
  const std::vector<double> v = FilterSawtooth(3, 0.9, 0.2, 400, 200, 0.2);
  SawtoothFilter a(0.05), b(0.05);
  for (size_t t = 0; t < v.size(); ++t) {
    a.Append(kFilterT0 + static_cast<int64_t>(t) * 1000, v[t]);
    b.Append(kFilterT0 + static_cast<int64_t>(t) * 1000, v[t]);
    ASSERT_EQ(a.Rising(), b.Rising()) << t;
  }
}

}  // namespace
}  // namespace perfwatch::analysis
