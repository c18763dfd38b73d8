#pragma once
// Small statistics toolbox for the detectors in analysis/: distributions and the tests
// the change-point, leak and release-impact analyses need. Definitions follow the usual
// textbook forms (DLMF for the special functions; Welch 1947 for the unequal-variance
// t-test); p-values are two-sided unless a name says otherwise.
// Thread safety: pure functions.
#include <span>

namespace perfwatch::analysis {

// The regularized incomplete beta function I_x(a, b) for a, b > 0 and x in [0, 1]
// (continued fraction, DLMF 8.17.22; relative accuracy about 1e-12). NaN outside the domain.
double RegularizedIncompleteBeta(double a, double b, double x);

// Two-sided p-value of Student's t distribution with `df` degrees of freedom (df > 0,
// not necessarily an integer): P(|T| >= |t|). 1 for t = 0, NaN for df <= 0.
double StudentTTwoSidedP(double t, double df);

// The standard normal distribution's upper tail P(Z >= z).
double NormalUpperTail(double z);

struct TTestResult {
  double t = 0;     // (mean(b) - mean(a)) / standard error
  double df = 0;    // Welch–Satterthwaite degrees of freedom
  double p = 1;     // two-sided
};

// Welch's unequal-variance t-test of the means of `a` and `b`. Each needs at least two
// values; with fewer, or when both samples are constant and equal, p = 1. Two constant
// samples with different values give p = 0 (the difference is certain).
TTestResult WelchTTest(std::span<const double> a, std::span<const double> b);

struct MeanVar {
  double mean = 0;
  double var = 0;  // sample variance (n - 1 in the denominator); 0 for n < 2
};
MeanVar MeanAndVariance(std::span<const double> values);

struct MannKendallResult {
  double s = 0;         // sum over i < j of sign(x[j] - x[i])
  double var_s = 0;     // Var(S) under no trend, with the tie correction
  double z = 0;         // (S - 1) / sqrt(Var S) for S > 0, (S + 1) / ... for S < 0, 0 otherwise
  double p = 1;         // two-sided
  double p_increasing = 1;  // one-sided: P(Z >= z), evidence of an upward trend
};

// The Mann–Kendall trend test of `values` taken in order (Kendall 1975; Hipel & McLeod
// 1994 for the tie correction Var S = [n(n-1)(2n+5) - sum t(t-1)(2t+5)] / 18 over groups
// of t equal values) with the normal approximation and continuity correction. Fewer than
// three values, or all equal: p = 1. O(n^2).
MannKendallResult MannKendall(std::span<const double> values);

struct TheilSenResult {
  double slope = 0;      // median of the pairwise slopes (y[j] - y[i]) / (x[j] - x[i]), x[i] != x[j]
  double intercept = 0;  // median of y[i] - slope * x[i]
  size_t pairs = 0;      // pairs with distinct x; 0: slope and intercept are 0 (or median(y))
};

// The Theil–Sen estimator (Theil 1950, Sen 1968) of the line through (x[i], y[i]); x and
// y have the same length. The median of an even count is the mean of the middle two.
// O(n^2) time and memory: callers pass bounded windows.
TheilSenResult TheilSen(std::span<const double> x, std::span<const double> y);

struct MannWhitneyResult {
  double u = 0;      // U of `b`: pairs (a_i, b_j) with b_j > a_i, plus half the ties
  double z = 0;      // normal approximation, tie-corrected variance, continuity-corrected
  double p = 1;      // two-sided
  double effect = 0.5;  // U / (n_a n_b): the probability that a value of b exceeds one of a
};

// The Mann–Whitney U (Wilcoxon rank-sum) test of `b` against `a` with the normal
// approximation: mean n_a n_b / 2, variance n_a n_b / 12 * ((n + 1) - sum(t^3 - t) / (n (n - 1)))
// over tie groups of size t, and a continuity correction of 0.5 towards the mean (as
// scipy.stats.mannwhitneyu(method="asymptotic")). An empty sample, or all values equal,
// gives p = 1. NaN values are not allowed.
MannWhitneyResult MannWhitneyU(std::span<const double> a, std::span<const double> b);

}  // namespace perfwatch::analysis
