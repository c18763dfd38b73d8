#include "analysis/vitals_report.h"

#include <algorithm>
#include <map>

#include "analysis/percentile.h"
#include "analysis/web_vitals.h"

namespace perfwatch::analysis {

Result<std::vector<VitalsGroup>> ComputeVitals(const events::EventReader& store, const VitalsRequest& request) {
  auto thresholds = ThresholdsFor(request.scan.vital);
  if (!thresholds) return InvalidArgument("no thresholds for this metric");
  // Merge per-partition groups by key. std::map keeps the groups sorted by label values.
  std::map<std::array<std::string, events::kDimCount>, std::vector<double>> merged;
  PW_RETURN_IF_ERROR(store.ScanVitals(
      request.scan, [&](const std::array<std::string_view, events::kDimCount>& key, std::span<const double> values) {
        std::array<std::string, events::kDimCount> k;
        for (int d = 0; d < events::kDimCount; ++d) k[d] = std::string(key[d]);
        auto& dst = merged[k];
        dst.insert(dst.end(), values.begin(), values.end());
      }));
  std::vector<VitalsGroup> groups;
  groups.reserve(merged.size());
  const double ps[4] = {request.percentile, 50, 75, 95};
  for (auto& [key, values] : merged) {
    if (values.empty()) continue;
    VitalsGroup g;
    g.key = key;
    g.count = values.size();
    uint64_t good = 0, poor = 0;
    for (double v : values) {
      Rating r = Rate(*thresholds, v);
      good += r == Rating::kGood;
      poor += r == Rating::kPoor;
    }
    auto q = ExactPercentiles(values, ps);
    g.value = q[0];
    g.p50 = q[1];
    g.p75 = q[2];
    g.p95 = q[3];
    double n = static_cast<double>(g.count);
    g.good = static_cast<double>(good) / n;
    g.poor = static_cast<double>(poor) / n;
    g.needs_improvement = static_cast<double>(g.count - good - poor) / n;
    groups.push_back(std::move(g));
  }
  return groups;
}

}  // namespace perfwatch::analysis
