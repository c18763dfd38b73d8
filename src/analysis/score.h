#pragma once
// The performance score (issue 15 item 4; formula and worked example: docs/score.md).
//
// Each page view's vitals are scored on Lighthouse's log-normal curve (getLogNormalScore:
// the "good" control point scores 0.90, the "meh" point 0.50) with Sentry's control points
// (desktop vs mobile/tablet) and weights (LCP 30, INP 30, FCP 15, CLS 15, TTFB 10),
// renormalised over the vitals the view reported; an app's or page's score is the mean of
// its views' scores × 100. A page's opportunity is (100 − page score) × page views / total
// views: how many points the app's score would gain if that page scored 100 (the
// opportunities of all pages add up to 100 − app score).
//
// A page view is the vital beacons sharing a `pageViewId` (ScoreAccumulator::Add with the
// same key); a vital without one is a view of its own (an empty key).
// Thread safety: pure functions; a ScoreAccumulator is not thread-safe.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "events/event.h"

namespace perfwatch::analysis {

// Lighthouse's getLogNormalScore: the score in [0, 1] of `value` on the log-normal curve
// through (good, 0.9) and (meh, 0.5); requires 0 < good < meh. Values <= 0 score 1.
double LogNormalScore(double good, double meh, double value);

// The five scored vitals, in this order everywhere (weights, control points, views).
inline constexpr std::array<events::Vital, 5> kScoredVitals = {
    events::Vital::kLCP, events::Vital::kINP, events::Vital::kFCP, events::Vital::kCLS, events::Vital::kTTFB};
inline constexpr std::array<double, 5> kScoreWeights = {30, 30, 15, 15, 10};

// Index of `v` in kScoredVitals, or -1 (FID, kNone).
int ScoredVitalIndex(events::Vital v);

struct ControlPoints {
  double good = 0;  // scores 0.90
  double meh = 0;   // scores 0.50
};
// Sentry's control points of kScoredVitals[i] for a device class ("mobile" and "tablet"
// use the mobile points; anything else the desktop ones).
ControlPoints ScoreControlPoints(int index, bool mobile);
bool IsMobileDevice(std::string_view device);

// One page view's reported vitals (index as kScoredVitals; nullopt: not reported).
struct ViewVitals {
  std::array<std::optional<double>, 5> values;
  bool mobile = false;
};

// The view's score in [0, 1]: Σ weight·score / Σ weight over its reported vitals;
// nullopt when it reported none.
std::optional<double> ScorePageView(const ViewVitals& view);

struct PageScore {
  std::string page;
  double score = 0;  // 0..100
  int64_t views = 0;
  double opportunity = 0;
};

struct ScoreReport {
  std::optional<double> score;  // 0..100; nullopt without views
  int64_t views = 0;
  std::vector<PageScore> pages;  // by opportunity, descending (then page name)
};

// Collects vital events into page views and scores them.
class ScoreAccumulator {
 public:
  // One vital event. `view_key` is the page view's identity (app + pageViewId); empty:
  // the event is a view of its own. The view's page and device are its first event's; a
  // vital reported twice in one view keeps the later call's value. FID, kNone and NaN
  // values are ignored.
  void Add(std::string_view view_key, std::string_view page, std::string_view device, events::Vital vital,
           double value);
  ScoreReport Finish() const;
  size_t views() const { return views_.size(); }

 private:
  struct View {
    uint32_t page;  // index in pages_
    ViewVitals vitals;
  };
  View& NewView(std::string_view page, std::string_view device);
  std::vector<View> views_;
  std::unordered_map<std::string, uint32_t> keyed_;  // view_key -> index in views_
  std::vector<std::string> pages_;
  std::unordered_map<std::string, uint32_t> page_ids_;
};

// The top-level "pageViewId" string of a beacon's attrs_json (a compact JSON object), or
// "" when absent or not a string. Escaped strings are returned as their raw JSON text
// (still a stable identity).
std::string_view FindPageViewId(std::string_view attrs_json);

}  // namespace perfwatch::analysis
