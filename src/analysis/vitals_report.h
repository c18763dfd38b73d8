#pragma once
// The Web Vitals report behind GET /api/v1/vitals: groups vital events, computes exact
// percentiles (see percentile.h) and good / needs-improvement / poor shares from the
// values with the web-vitals thresholds (never from the client's rating).
// Thread safety: stateless; safe from any thread while the store is live.
#include <array>
#include <string>
#include <vector>

#include "common/status.h"
#include "events/event_store.h"

namespace perfwatch::analysis {

struct VitalsRequest {
  events::VitalScan scan;     // vital, time range (ms, inclusive), filters, group_by
  double percentile = 75;     // 0..100
};

struct VitalsGroup {
  std::array<std::string, events::kDimCount> key;  // value per grouped dim ("" otherwise)
  uint64_t count = 0;
  double value = 0;  // the requested percentile
  double p50 = 0, p75 = 0, p95 = 0;
  double good = 0, needs_improvement = 0, poor = 0;  // shares of count, summing to 1
};

// Groups sorted by their label values (lexicographically, in dim order).
Result<std::vector<VitalsGroup>> ComputeVitals(const events::EventReader& store, const VitalsRequest& request);

}  // namespace perfwatch::analysis
