#include "analysis/web_vitals.h"

namespace perfwatch::analysis {

std::optional<VitalThresholds> ThresholdsFor(events::Vital vital) {
  using events::Vital;
  switch (vital) {
    case Vital::kLCP: return VitalThresholds{2500, 4000};
    case Vital::kINP: return VitalThresholds{200, 500};
    case Vital::kCLS: return VitalThresholds{0.1, 0.25};
    case Vital::kFCP: return VitalThresholds{1800, 3000};
    case Vital::kTTFB: return VitalThresholds{800, 1800};
    case Vital::kFID: return VitalThresholds{100, 300};
    case Vital::kNone: return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace perfwatch::analysis
