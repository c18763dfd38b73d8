#include "analysis/score.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace perfwatch::analysis {
namespace {

// Abramowitz and Stegun 7.1.26 (|error| < 1.5e-7): the approximation Lighthouse uses, so
// scores match Lighthouse's to the last digit.
double Erf(double x) {
  const double sign = x < 0 ? -1.0 : (x > 0 ? 1.0 : 0.0);
  x = std::fabs(x);
  constexpr double a1 = 0.254829592, a2 = -0.284496736, a3 = 1.421413741, a4 = -1.453152027, a5 = 1.061405429;
  constexpr double p = 0.3275911;
  const double t = 1 / (1 + p * x);
  const double y = t * (a1 + t * (a2 + t * (a3 + t * (a4 + t * a5))));
  return sign * (1 - y * std::exp(-x * x));
}

// The doubles just inside each band (Lighthouse clamps to them).
constexpr double kMinPassing = 0.9;
const double kMaxAverage = std::nextafter(0.9, 0.0);
constexpr double kMinAverage = 0.5;
const double kMaxFailing = std::nextafter(0.5, 0.0);

// Sentry's control points {good, meh} per kScoredVitals index: desktop, then mobile/tablet.
constexpr ControlPoints kDesktop[5] = {{1200, 2400}, {200, 500}, {900, 1600}, {0.1, 0.25}, {200, 400}};
constexpr ControlPoints kMobile[5] = {{2500, 4000}, {200, 500}, {1800, 3000}, {0.1, 0.25}, {800, 1800}};

}  // namespace

double LogNormalScore(double good, double meh, double value) {
  if (!(value > 0)) return 1;
  // erfc^-1(1/5): with σ = |ln(good/meh)| / (√2·erfc^-1(1/5)), the complementary
  // percentile is erfc(ln(value/meh) / (√2·σ)) / 2 = (1 − erf(z)) / 2 with z as below.
  constexpr double kInverseErfcOneFifth = 0.9061938024368232;
  const double min_double = std::numeric_limits<double>::denorm_min();
  const double x_log_ratio = std::log(std::max(min_double, value / meh));
  const double good_log_ratio = -std::log(std::max(min_double, good / meh));
  const double z = x_log_ratio * kInverseErfcOneFifth / good_log_ratio;
  const double p = (1 - Erf(z)) / 2;
  if (value <= good) return std::max(kMinPassing, std::min(1.0, p));
  if (value <= meh) return std::max(kMinAverage, std::min(kMaxAverage, p));
  return std::max(0.0, std::min(kMaxFailing, p));
}

int ScoredVitalIndex(events::Vital v) {
  for (size_t i = 0; i < kScoredVitals.size(); ++i) {
    if (kScoredVitals[i] == v) return static_cast<int>(i);
  }
  return -1;
}

ControlPoints ScoreControlPoints(int index, bool mobile) { return mobile ? kMobile[index] : kDesktop[index]; }

bool IsMobileDevice(std::string_view device) { return device == "mobile" || device == "tablet"; }

std::optional<double> ScorePageView(const ViewVitals& view) {
  double weighted = 0, weights = 0;
  for (size_t i = 0; i < kScoredVitals.size(); ++i) {
    if (!view.values[i]) continue;
    const ControlPoints cp = ScoreControlPoints(static_cast<int>(i), view.mobile);
    weighted += kScoreWeights[i] * LogNormalScore(cp.good, cp.meh, *view.values[i]);
    weights += kScoreWeights[i];
  }
  if (weights == 0) return std::nullopt;
  return weighted / weights;
}

ScoreAccumulator::View& ScoreAccumulator::NewView(std::string_view page, std::string_view device) {
  auto [it, inserted] = page_ids_.try_emplace(std::string(page), static_cast<uint32_t>(pages_.size()));
  if (inserted) pages_.emplace_back(page);
  View& v = views_.emplace_back();
  v.page = it->second;
  v.vitals.mobile = IsMobileDevice(device);
  return v;
}

void ScoreAccumulator::Add(std::string_view view_key, std::string_view page, std::string_view device,
                           events::Vital vital, double value) {
  const int index = ScoredVitalIndex(vital);
  if (index < 0 || std::isnan(value)) return;
  View* view;
  if (view_key.empty()) {
    view = &NewView(page, device);
  } else {
    auto [it, inserted] = keyed_.try_emplace(std::string(view_key), static_cast<uint32_t>(views_.size()));
    view = inserted ? &NewView(page, device) : &views_[it->second];
  }
  view->vitals.values[static_cast<size_t>(index)] = value;
}

ScoreReport ScoreAccumulator::Finish() const {
  std::vector<double> sum(pages_.size(), 0.0);
  std::vector<int64_t> count(pages_.size(), 0);
  double total = 0;
  ScoreReport report;
  for (const View& v : views_) {
    const std::optional<double> s = ScorePageView(v.vitals);
    if (!s) continue;  // not reachable: every view has at least one vital
    sum[v.page] += *s;
    ++count[v.page];
    total += *s;
    ++report.views;
  }
  if (report.views == 0) return report;
  report.score = 100 * total / static_cast<double>(report.views);
  for (size_t p = 0; p < pages_.size(); ++p) {
    if (count[p] == 0) continue;
    PageScore ps;
    ps.page = pages_[p];
    ps.views = count[p];
    ps.score = 100 * sum[p] / static_cast<double>(count[p]);
    ps.opportunity = (100 - ps.score) * static_cast<double>(count[p]) / static_cast<double>(report.views);
    report.pages.push_back(std::move(ps));
  }
  std::sort(report.pages.begin(), report.pages.end(), [](const PageScore& a, const PageScore& b) {
    if (a.opportunity != b.opportunity) return a.opportunity > b.opportunity;
    return a.page < b.page;
  });
  return report;
}

std::string_view FindPageViewId(std::string_view j) {
  constexpr std::string_view kKey = "pageViewId";
  // Walks the object's top level: keys at depth 1, skipping strings and nested values.
  size_t i = 0;
  const size_t n = j.size();
  int depth = 0;
  bool expect_key = false;
  while (i < n) {
    const char c = j[i];
    if (c == '"') {
      const size_t start = i + 1;
      size_t k = start;
      while (k < n && j[k] != '"') k += (j[k] == '\\') ? 2 : 1;
      if (k >= n) return {};
      const std::string_view s = j.substr(start, k - start);
      i = k + 1;
      if (depth == 1 && expect_key) {
        expect_key = false;
        if (s == kKey && i < n && j[i] == ':') {
          ++i;
          if (i >= n || j[i] != '"') return {};
          size_t e = i + 1;
          while (e < n && j[e] != '"') e += (j[e] == '\\') ? 2 : 1;
          if (e >= n) return {};
          return j.substr(i + 1, e - i - 1);
        }
      }
      continue;
    }
    if (c == '{' || c == '[') {
      ++depth;
      expect_key = (c == '{' && depth == 1);
    } else if (c == '}' || c == ']') {
      --depth;
    } else if (c == ',' && depth == 1) {
      expect_key = true;
    }
    ++i;
  }
  return {};
}

}  // namespace perfwatch::analysis
