// MannWhitneyU (analysis/stats.h) against values computed by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "analysis/stats.h"

namespace perfwatch::analysis {
namespace {

TEST(MannWhitneyTest, NoTiesByHand) {
  // a = {1,2,3}, b = {4,5,6}: b's ranks 4+5+6 = 15, U = 15 - 3*4/2 = 9; mean 4.5;
  // variance 3*3/12 * (6+1) = 5.25; z = (9 - 4.5 - 0.5) / sqrt(5.25) = 1.745743;
  // p = erfc(z / sqrt 2) = 0.0808556 (scipy.stats.mannwhitneyu(..., method="asymptotic")).
  std::vector<double> a = {3, 1, 2}, b = {6, 4, 5};
  MannWhitneyResult r = MannWhitneyU(a, b);
  EXPECT_DOUBLE_EQ(r.u, 9);
  EXPECT_NEAR(r.z, 1.7457431, 1e-6);
  EXPECT_NEAR(r.p, 0.0808556, 1e-6);
  EXPECT_DOUBLE_EQ(r.effect, 1.0);
  // Swapped: the same p, the opposite direction.
  MannWhitneyResult s = MannWhitneyU(b, a);
  EXPECT_DOUBLE_EQ(s.u, 0);
  EXPECT_NEAR(s.z, -1.7457431, 1e-6);
  EXPECT_NEAR(s.p, r.p, 1e-12);
}

TEST(MannWhitneyTest, TiesByHand) {
  // Pooled: 1a 2a 2a 2b 3a 3b 4b 4b 5b. Ranks: 1; the 2s 2,3,4 -> 3; the 3s 5,6 -> 5.5;
  // the 4s 7,8 -> 7.5; 5 -> 9. b: 3 + 5.5 + 7.5 + 7.5 + 9 = 32.5, U = 32.5 - 15 = 17.5.
  // Ties: (27-3) + (8-2) + (8-2) = 36; variance 20/12 * (10 - 36/72) = 15.8333;
  // z = (17.5 - 10 - 0.5) / sqrt(15.8333) = 1.7591864; p = 0.0785459.
  std::vector<double> a = {1, 2, 2, 3}, b = {2, 3, 4, 4, 5};
  MannWhitneyResult r = MannWhitneyU(a, b);
  EXPECT_DOUBLE_EQ(r.u, 17.5);
  EXPECT_NEAR(r.z, 1.7591864, 1e-6);
  EXPECT_NEAR(r.p, 0.0785459, 1e-6);
  EXPECT_DOUBLE_EQ(r.effect, 17.5 / 20);
}

TEST(MannWhitneyTest, DegenerateInputs) {
  std::vector<double> empty, one = {1}, same = {2, 2, 2};
  EXPECT_EQ(MannWhitneyU(empty, one).p, 1);
  EXPECT_EQ(MannWhitneyU(one, empty).p, 1);
  MannWhitneyResult r = MannWhitneyU(same, same);  // all values tied: no evidence
  EXPECT_EQ(r.p, 1);
  EXPECT_DOUBLE_EQ(r.effect, 0.5);
}

TEST(MannWhitneyTest, LargeShiftIsSignificant) {
  std::vector<double> a, b;
  for (int i = 0; i < 200; ++i) {
    a.push_back(1000 + (i * 37 % 200));
    b.push_back(1100 + (i * 53 % 200));
  }
  MannWhitneyResult r = MannWhitneyU(a, b);
  EXPECT_LT(r.p, 1e-6);
  EXPECT_GT(r.z, 0);
  // Equal distributions (the same multiset): U at its mean, p = 1.
  MannWhitneyResult same = MannWhitneyU(a, a);
  EXPECT_DOUBLE_EQ(same.u, 200.0 * 200 / 2);
  EXPECT_EQ(same.p, 1);
}

}  // namespace
}  // namespace perfwatch::analysis
