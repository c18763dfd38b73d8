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

}  // namespace perfwatch::analysis
