#pragma once
// Web Vitals thresholds and ratings, as web-vitals defines them: a value is "good" when
// <= the good threshold, "poor" when > the poor threshold, else "needs-improvement".
// Values are in beacon units: milliseconds for timings, unitless for CLS.
// Thread safety: pure functions over constants.
#include <optional>

#include "events/event.h"

namespace perfwatch::analysis {

struct VitalThresholds {
  double good;  // value <= good -> good
  double poor;  // value > poor -> poor
};

enum class Rating { kGood, kNeedsImprovement, kPoor };

// Thresholds for LCP, INP, CLS, FCP, TTFB (and FID: 100/300 ms); nullopt for kNone.
std::optional<VitalThresholds> ThresholdsFor(events::Vital vital);

inline Rating Rate(const VitalThresholds& t, double value) {
  if (value <= t.good) return Rating::kGood;
  if (value > t.poor) return Rating::kPoor;
  return Rating::kNeedsImprovement;
}

}  // namespace perfwatch::analysis
