#pragma once
// The time-series and distribution views of the vitals behind the dashboard's Web Vitals
// page (docs/api.md):
//   GET /api/v1/vitals/series     exact percentiles per step: steps aligned to multiples of
//                                 `step` since the Unix epoch, each labelled by its start
//                                 and covering [t, t + step); steps without events left out
//   GET /api/v1/vitals/histogram  the distribution in buckets, with the rating thresholds
// Both take /api/v1/vitals' parameters (metric, window or from/to, filters; `by` for the
// series) and compute from the event store's values, never from bucketed aggregates.
// Thread safety: stateless; safe from any thread while the store is live.
#include <array>
#include <map>
#include <string>
#include <vector>

#include "analysis/vitals_report.h"
#include "common/status.h"
#include "events/event_store.h"
#include "http/router.h"

namespace perfwatch::analysis {

// Most steps one series answer may hold (as Prometheus limits range queries).
inline constexpr int64_t kMaxVitalSteps = 11'000;

struct VitalSeries {
  std::array<std::string, events::kDimCount> key;  // value per grouped dim ("" otherwise)
  std::vector<int64_t> step_starts_ms;              // ascending
  std::vector<double> values;                       // the percentile per step
  std::vector<uint64_t> counts;                     // events per step
};

// Series sorted by their label values. InvalidArgument for too many steps.
Result<std::vector<VitalSeries>> ComputeVitalSeries(const events::EventReader& store, const VitalsRequest& request,
                                                    int64_t step_ms);

struct VitalHistogram {
  std::vector<double> edges;      // bucket i covers [edges[i], edges[i+1]); the last is open
  std::vector<uint64_t> counts;   // edges.size() buckets (the last: >= edges.back())
  uint64_t count = 0;
  double p50 = 0, p75 = 0, p95 = 0;
};

// `edges`: explicit ascending bucket lower bounds, or empty to choose `buckets` equal
// widths from 0 to a rounded bound over the poor threshold and the p99.
Result<VitalHistogram> ComputeVitalHistogram(const events::EventReader& store, const VitalsRequest& request,
                                             int buckets, std::vector<double> edges);

// Registers GET (and POST form) /api/v1/vitals/series and /api/v1/vitals/histogram.
// Registers them first for ClickHouse (before RegisterVitalsHandler: the router takes the
// first exact match).
void RegisterVitalsSeriesHandlers(http::Router& router, const events::EventReader* store);

}  // namespace perfwatch::analysis
