#include "analysis/stats.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace perfwatch::analysis {
namespace {

// Two-sided tail of Student's t by integrating its density (Simpson's rule on the
// substitution u = 1 / (1 + x)), independent of the incomplete-beta route.
double TailByIntegration(double t, double df) {
  auto pdf = [df](double x) {
    double c = std::exp(std::lgamma((df + 1) / 2) - std::lgamma(df / 2)) / std::sqrt(df * M_PI);
    return c * std::pow(1 + x * x / df, -(df + 1) / 2);
  };
  // integral_t^inf pdf(x) dx = integral_0^{1/(1+t)} pdf(1/u - 1) / u^2 du
  const int n = 200000;
  double hi = 1 / (1 + std::fabs(t)), h = hi / n, sum = 0;
  for (int i = 0; i <= n; ++i) {
    double u = i * h;
    double uu = std::max(u, 1e-9);  // the limit at 0 (non-zero only for df = 1)
    double f = pdf(1 / uu - 1) / (uu * uu);
    sum += f * (i == 0 || i == n ? 1 : (i % 2 ? 4 : 2));
  }
  return 2 * sum * h / 3;
}

TEST(StatsTest, IncompleteBetaKnownValues) {
  EXPECT_NEAR(RegularizedIncompleteBeta(1, 1, 0.37), 0.37, 1e-13);
  EXPECT_NEAR(RegularizedIncompleteBeta(4.5, 4.5, 0.5), 0.5, 1e-13);
  // Integer parameters are a binomial tail: I_x(2, 3) = sum_{j=2..4} C(4,j) x^j (1-x)^(4-j).
  double x = 0.3;
  double expect = 6 * x * x * std::pow(1 - x, 2) + 4 * std::pow(x, 3) * (1 - x) + std::pow(x, 4);
  EXPECT_NEAR(RegularizedIncompleteBeta(2, 3, x), expect, 1e-13);
  EXPECT_NEAR(RegularizedIncompleteBeta(3, 2, 1 - x), 1 - expect, 1e-13);
  EXPECT_EQ(RegularizedIncompleteBeta(2, 3, 0), 0);
  EXPECT_EQ(RegularizedIncompleteBeta(2, 3, 1), 1);
  EXPECT_TRUE(std::isnan(RegularizedIncompleteBeta(0, 3, 0.5)));
  EXPECT_TRUE(std::isnan(RegularizedIncompleteBeta(2, 3, 1.5)));
}

TEST(StatsTest, StudentTTableValues) {
  // The 95 % two-sided critical values of printed t tables.
  EXPECT_NEAR(StudentTTwoSidedP(12.7062047, 1), 0.05, 1e-7);
  EXPECT_NEAR(StudentTTwoSidedP(2.228138852, 10), 0.05, 1e-8);
  EXPECT_NEAR(StudentTTwoSidedP(1.959963985, 1e9), 0.05, 1e-7);
  EXPECT_NEAR(StudentTTwoSidedP(1, 1), 0.5, 1e-12);  // Cauchy
  EXPECT_EQ(StudentTTwoSidedP(0, 7), 1);
  EXPECT_EQ(StudentTTwoSidedP(INFINITY, 7), 0);
  EXPECT_TRUE(std::isnan(StudentTTwoSidedP(1, 0)));
}

TEST(StatsTest, StudentTMatchesIntegratedDensity) {
  for (double df : {1.0, 2.5, 5.88, 30.0, 200.0}) {
    for (double t : {0.3, 1.0, 2.0, 3.5, 6.0}) {
      EXPECT_NEAR(StudentTTwoSidedP(t, df), TailByIntegration(t, df), 1e-7) << "t=" << t << " df=" << df;
      EXPECT_DOUBLE_EQ(StudentTTwoSidedP(-t, df), StudentTTwoSidedP(t, df));
    }
  }
}

TEST(StatsTest, WelchByHand) {
  std::vector<double> a = {1, 2, 3, 4, 5}, b = {2, 4, 6, 8, 10};
  // means 3 and 6, variances 2.5 and 10: se^2 = 0.5 + 2 = 2.5,
  // df = 2.5^2 / (0.5^2 / 4 + 2^2 / 4) = 6.25 / 1.0625.
  TTestResult r = WelchTTest(a, b);
  EXPECT_NEAR(r.t, 3 / std::sqrt(2.5), 1e-12);
  EXPECT_NEAR(r.df, 6.25 / 1.0625, 1e-12);
  EXPECT_NEAR(r.p, TailByIntegration(r.t, r.df), 1e-7);
  EXPECT_GT(r.p, 0.05);
  EXPECT_LT(r.p, 0.2);
}

TEST(StatsTest, WelchDegenerateSamples) {
  std::vector<double> one = {1}, two = {1, 1}, three = {3, 3, 3};
  EXPECT_EQ(WelchTTest(one, three).p, 1);  // too few values
  EXPECT_EQ(WelchTTest(two, two).p, 1);    // constant and equal
  TTestResult r = WelchTTest(two, three);   // constant and different: certain
  EXPECT_EQ(r.p, 0);
  EXPECT_GT(r.t, 0);
}

TEST(StatsTest, MeanAndVarianceStableForLargeValues) {
  std::vector<double> v = {1e9 + 1, 1e9 + 2, 1e9 + 3};
  MeanVar mv = MeanAndVariance(v);
  EXPECT_DOUBLE_EQ(mv.mean, 1e9 + 2);
  EXPECT_NEAR(mv.var, 1, 1e-6);
  EXPECT_EQ(MeanAndVariance(std::vector<double>{}).var, 0);
}

}  // namespace
}  // namespace perfwatch::analysis
