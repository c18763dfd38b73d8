#include "analysis/changepoint.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace perfwatch::analysis {
namespace {

// `n` points around `base` with relative Gaussian noise `noise`, multiplied by
// (1 + shift) from each shift's index on.
std::vector<double> Series(size_t n, double base, double noise, std::vector<std::pair<size_t, double>> shifts,
                           uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> gauss(0, 1);
  std::vector<double> v(n);
  for (size_t i = 0; i < n; ++i) {
    double level = base;
    for (auto [at, shift] : shifts) {
      if (i >= at) level *= 1 + shift;
    }
    v[i] = level * (1 + noise * gauss(rng));
  }
  return v;
}

TEST(ChangepointTest, FindsOneShiftWithItsStatistics) {
  auto v = Series(120, 100, 0.02, {{60, 0.20}}, 1);
  auto cps = DetectChangepoints(v, {});
  ASSERT_EQ(cps.size(), 1u);
  EXPECT_NEAR(static_cast<double>(cps[0].index), 60, 1);
  EXPECT_NEAR(cps[0].before_mean, 100, 1.5);
  EXPECT_NEAR(cps[0].after_mean, 120, 1.5);
  EXPECT_NEAR(cps[0].change, 0.20, 0.02);
  EXPECT_LT(cps[0].p_value, 1e-10);
}

TEST(ChangepointTest, FindsSeveralShiftsBothWays) {
  auto v = Series(400, 50, 0.03, {{100, 0.3}, {220, -0.25}, {330, 0.15}}, 2);
  auto cps = DetectChangepoints(v, {});
  ASSERT_EQ(cps.size(), 3u);
  EXPECT_NEAR(static_cast<double>(cps[0].index), 100, 2);
  EXPECT_NEAR(static_cast<double>(cps[1].index), 220, 2);
  EXPECT_NEAR(static_cast<double>(cps[2].index), 330, 2);
  EXPECT_GT(cps[0].change, 0);
  EXPECT_LT(cps[1].change, 0);
  EXPECT_GT(cps[2].change, 0);
}

TEST(ChangepointTest, NoShiftNoChangepoint) {
  int reported = 0;
  for (uint32_t seed = 0; seed < 50; ++seed) {
    reported += DetectChangepoints(Series(300, 200, 0.05, {}, 100 + seed), {}).empty() ? 0 : 1;
  }
  EXPECT_LE(reported, 1);
}

TEST(ChangepointTest, MinimumMagnitudeFiltersSmallButSignificantChanges) {
  auto v = Series(200, 100, 0.002, {{100, 0.03}}, 3);  // 3 %, far beyond the noise
  EXPECT_TRUE(DetectChangepoints(v, {}).empty());
  ChangepointOptions o;
  o.min_magnitude = 0.01;
  auto cps = DetectChangepoints(v, o);
  ASSERT_EQ(cps.size(), 1u);
  EXPECT_EQ(cps[0].index, 100u);
}

TEST(ChangepointTest, ConstantSegmentsAreCertain) {
  std::vector<double> v(40, 5.0);
  for (size_t i = 25; i < v.size(); ++i) v[i] = 9.0;
  auto cps = DetectChangepoints(v, {});
  ASSERT_EQ(cps.size(), 1u);
  EXPECT_EQ(cps[0].index, 25u);
  EXPECT_EQ(cps[0].p_value, 0);
  EXPECT_DOUBLE_EQ(cps[0].change, 0.8);
}

TEST(ChangepointTest, ShortAndEmptySeries) {
  EXPECT_TRUE(DetectChangepoints(std::vector<double>{}, {}).empty());
  EXPECT_TRUE(DetectChangepoints(std::vector<double>{1, 2, 3, 50, 60, 70}, {}).empty());  // < 2 segments
  std::vector<double> zeros(30, 0.0);
  for (size_t i = 15; i < 30; ++i) zeros[i] = 1;
  auto cps = DetectChangepoints(zeros, {});
  ASSERT_EQ(cps.size(), 1u);
  EXPECT_TRUE(std::isinf(cps[0].change));
}

TEST(ChangepointTest, MinimumSegmentIsHonoured) {
  auto v = Series(100, 100, 0.01, {{97, 0.5}}, 4);  // only 3 points after the shift
  EXPECT_TRUE(DetectChangepoints(v, {}).empty());
  ChangepointOptions o;
  o.min_segment = 3;
  o.window = 50;
  auto cps = DetectChangepoints(v, o);
  ASSERT_EQ(cps.size(), 1u);
  EXPECT_EQ(cps[0].index, 97u);
}

TEST(ChangepointTest, OptionsAreValidated) {
  EXPECT_TRUE(ValidateChangepointOptions({}).ok());
  EXPECT_FALSE(ValidateChangepointOptions({.min_segment = 1}).ok());
  EXPECT_FALSE(ValidateChangepointOptions({.min_segment = 10, .window = 15}).ok());
  EXPECT_FALSE(ValidateChangepointOptions({.max_p_value = 0}).ok());
  EXPECT_FALSE(ValidateChangepointOptions({.max_p_value = 1}).ok());
  EXPECT_FALSE(ValidateChangepointOptions({.min_magnitude = -0.1}).ok());
  EXPECT_FALSE(ValidateChangepointOptions({.min_magnitude = NAN}).ok());
}

TEST(ChangepointTest, IncrementalAgreesWithBatch) {
  auto v = Series(500, 80, 0.03, {{120, 0.2}, {300, -0.15}, {420, 0.4}}, 5);
  ChangepointDetector detector({});
  size_t seen_first_at = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    detector.Append(v[i]);
    if (seen_first_at == 0 && !detector.changepoints().empty()) seen_first_at = i;
  }
  auto batch = DetectChangepoints(v, {});
  ASSERT_EQ(detector.changepoints().size(), batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    EXPECT_NEAR(static_cast<double>(detector.changepoints()[i].index), static_cast<double>(batch[i].index), 2);
  }
  // The first shift is reported within a few points of its start, not at the end.
  EXPECT_GE(seen_first_at, 120u);
  EXPECT_LE(seen_first_at, 131u);  // min_segment (10) points after it
  EXPECT_EQ(detector.values().size(), v.size());
}

}  // namespace
}  // namespace perfwatch::analysis
