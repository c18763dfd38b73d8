#pragma once
// POST /api/v1/analysis/leak: the memory-leak detector (analysis/leak.h) over a heap-size
// series the caller sends (docs/analysis.md "Memory leaks").
//
// Request body: {"timestamps":[unix seconds (numbers) or RFC 3339 strings, ascending],
// "values":[bytes], optional "threshold" (growth ratio per minute, 0.05 = 5 %/min),
// "max_p_value", "window" and "long_window" (Prometheus durations or seconds)}. Both
// arrays are required, of the same length, up to kMaxLeakPoints finite values.
// Answer 200: {"status":"success","data":{F},F...} where F is "leaking" (bool),
// "growth_bytes_per_min", "growth_ratio_per_min", "severity" ("none", "low", "medium",
// "high", "critical"), "since" (RFC 3339 with ms, null when not leaking), "p_value",
// "samples", "minima": the fields sit both at the top level (the shape) and in
// Prometheus' envelope. Bad input: 400 bad_data naming the field.
// Thread safety: pure functions; the handler keeps no state.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/leak.h"
#include "common/status.h"
#include "http/router.h"

namespace perfwatch::analysis {

inline constexpr size_t kMaxLeakPoints = 1'000'000;

struct LeakRequest {
  std::vector<int64_t> t_ms;
  std::vector<double> values;
  LeakOptions options;
};

Result<LeakRequest> ParseLeakRequest(std::string_view body);

// The fields of a result as JSON object members without braces: "leaking":...,"p_value":...
std::string RenderLeakFields(const LeakResult& r);

// Registers POST /api/v1/analysis/leak (scope read, query class).
void RegisterLeakHandler(http::Router& router);

}  // namespace perfwatch::analysis
