#pragma once
// Release impact of a deploy (tracker issue 15 item 2; docs/analysis.md "Deploys and
// release impact"): in two equal windows, [t - w, t) before and [t, t + w) after the
// deploy at t (w shrinks to now - t while the after window is still running):
//   - an app's deploy: per page, each vital's p75 (raw vital events of the event store);
//   - a service's deploy: per route (entry spans of the span store; the http.route
//     attribute, else the span name), the duration p95 and the error ratio;
//   - error groups of the app or service first seen in the after window (error store).
// Each comparison carries a two-sided Mann–Whitney U test on the raw values (durations,
// vital values; 0/1 per call for the error ratio): significant when p < alpha and both
// windows hold at least min_samples values; the verdict follows the test's direction.
// Thread safety: stateless; reads the stores (each thread-safe) only.
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "events/deploy_store.h"
#include "events/error_reader.h"
#include "events/event_reader.h"
#include "events/span_reader.h"

namespace perfwatch::analysis {

struct ImpactOptions {
  int64_t window_ms = 3600 * 1000;
  double alpha = 0.05;
  uint64_t min_samples = 10;
  size_t max_spans = 200'000;  // per window; more are cut (the newest kept) and "truncated" set
};

struct ImpactComparison {
  std::string scope;     // page (app deploys) or route (service deploys)
  std::string metric;    // "LCP", "INP", "CLS", "FCP", "TTFB", "p95", "error_ratio"
  double before = 0, after = 0;  // p75 (vitals), p95 seconds, error ratio
  uint64_t before_count = 0, after_count = 0;
  double change = 0;     // (after - before) / before; NaN when before is 0
  double p_value = 1;    // Mann–Whitney, two-sided
  double effect = 0.5;   // P(after value > before value)
  bool significant = false;
  std::string verdict;   // "worse", "better", "unchanged"
};

struct NewErrorGroup {
  uint64_t fingerprint = 0;
  std::string type, message, source;
  int64_t first_seen_ms = 0;
  uint64_t count = 0;  // occurrences in the after window
};

struct ImpactReport {
  events::Deploy deploy;
  int64_t window_ms = 0;  // effective (<= requested)
  int64_t before_start_ms = 0, before_end_ms = 0, after_start_ms = 0, after_end_ms = 0;  // [start, end)
  std::vector<ImpactComparison> pages;
  std::vector<ImpactComparison> routes;
  std::vector<NewErrorGroup> new_errors;
  bool truncated = false;
};

// The comparison of two raw samples (metric, before and after filled in by the caller).
void CompareSamples(std::vector<double>& before, std::vector<double>& after, double percentile,
                    const ImpactOptions& options, ImpactComparison* out);

// Any store may be null (its part is then empty).
Result<ImpactReport> ComputeReleaseImpact(const events::Deploy& deploy, const ImpactOptions& options, int64_t now_ms,
                                          const events::EventReader* events, const events::SpanReader* spans,
                                          const events::ErrorReader* errors);

// The "data" object of GET /api/v1/deploys/{id}/impact (docs/api.md).
std::string RenderImpactJson(const ImpactReport& report);

}  // namespace perfwatch::analysis
