#pragma once
// GET /api/v1/leaks (scope read): the findings of the last memory-leak pass
// (analysis/leak_watch.h; docs/analysis.md "Memory leaks", docs/api.md).
// Parameters (all optional): app (exact), source (rum | tsdb), leaking (true | false).
// Answer: {"status":"success","data":[F, ...]} in LeakFindingBefore order, where F has
// "source", "metric", the detector's fields (analysis/leak_api.h RenderLeakFields:
// "leaking", "growth_bytes_per_min", "growth_ratio_per_min", "severity", "since",
// "p_value", "samples", "minima"), "last_bytes", "evaluated_at", "labels", "points"
// ([[unix seconds, bytes], ...]); RUM findings add "app", "page", "sessions",
// "sessions_leaking", "sessions_leaking_ratio", "sessions_detail"; TSDB findings "job"
// and "instance" (from the labels, "" when absent).
// Thread safety: stateless; the watcher is thread-safe.
#include <string>
#include <vector>

#include "analysis/leak_watch.h"
#include "http/router.h"

namespace perfwatch::analysis {

// The JSON answer for `findings` (already filtered).
std::string RenderLeaks(const std::vector<LeakFinding>& findings);

// Registers GET (and POST form) /api/v1/leaks. `watcher` may be null (an empty list).
void RegisterLeaksHandler(http::Router& router, const LeakWatcher* watcher);

}  // namespace perfwatch::analysis
