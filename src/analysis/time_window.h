#pragma once
// The time range of the analysis GET endpoints (score, network, journeys, attribution):
// `window` (a duration ending at `to`, default 24h), `to` (default now) and `from`
// (default to - window), times as Prometheus takes them (unix seconds or RFC 3339).
// Errors name the parameter: "invalid window \"x\": expected a duration such as 24h",
// "invalid \"to\": ...", "invalid \"from\": ...", "\"from\" must not be after \"to\"".
// Thread safety: pure function.
#include <cstdint>

#include "common/status.h"
#include "http/router.h"

namespace perfwatch::analysis {

inline constexpr int64_t kDefaultAnalysisWindowMs = 24LL * 3600 * 1000;

struct TimeWindow {
  int64_t from_ms = 0;
  int64_t to_ms = 0;
};

Result<TimeWindow> ParseTimeWindow(const http::Request& req, int64_t now_ms,
                                   int64_t default_window_ms = kDefaultAnalysisWindowMs);

}  // namespace perfwatch::analysis
