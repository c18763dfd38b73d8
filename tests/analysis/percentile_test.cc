#include "analysis/percentile.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace perfwatch::analysis {
namespace {

// Brute force: the textbook definition on a fully sorted copy.
double BruteForce(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  double rank = p / 100.0 * static_cast<double>(v.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(rank));
  size_t hi = static_cast<size_t>(std::ceil(rank));
  return v[lo] + (v[hi] - v[lo]) * (rank - static_cast<double>(lo));
}

TEST(PercentileTest, KnownValues) {
  std::vector<double> v = {1, 2, 3, 4};
  EXPECT_DOUBLE_EQ(PercentileOfSorted(v, 0), 1);
  EXPECT_DOUBLE_EQ(PercentileOfSorted(v, 100), 4);
  EXPECT_DOUBLE_EQ(PercentileOfSorted(v, 50), 2.5);
  EXPECT_DOUBLE_EQ(PercentileOfSorted(v, 75), 3.25);
  std::vector<double> one = {7};
  EXPECT_DOUBLE_EQ(PercentileOfSorted(one, 95), 7);
  EXPECT_TRUE(std::isnan(PercentileOfSorted({}, 50)));
}

TEST(PercentileTest, ExactPercentilesMatchBruteForceOnRandomData) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> dist(7.5, 0.6);
  for (int trial = 0; trial < 200; ++trial) {
    size_t n = 1 + rng() % 500;
    std::vector<double> v(n);
    for (auto& x : v) x = trial % 3 == 0 ? std::round(dist(rng) / 100) : dist(rng);  // ties too
    std::vector<double> ps = {95, 50, 0, 75, 99.9, 100, 75, 12.5};
    std::vector<double> work = v;
    auto got = ExactPercentiles(work, ps);
    for (size_t i = 0; i < ps.size(); ++i) {
      EXPECT_DOUBLE_EQ(got[i], BruteForce(v, ps[i])) << "n=" << n << " p=" << ps[i];
    }
  }
}

TEST(PercentileTest, EmptyInputGivesNaN) {
  std::vector<double> empty;
  std::vector<double> ps = {50};
  EXPECT_TRUE(std::isnan(ExactPercentiles(empty, ps)[0]));
}

}  // namespace
}  // namespace perfwatch::analysis
