#pragma once
// GET /api/v1/regressions (scope read): the continuous watches' regressions of the last
// pass (analysis/watch.h; docs/analysis.md "Continuous watches and regressions").
// Parameters: app, service (exact label match), active (true|false; absent: both).
// Answer: {"status":"success","data":[{"id","app"|"service","page"|"route","metric",
// "before","after","change","p_value","time","deploy","active","labels"}]}, active first,
// then newest first. "deploy" is the Deploy JSON of events/deploy_store.h or null.
// Thread safety: stateless; the watcher is thread-safe.
#include <string>
#include <vector>

#include "analysis/watch.h"
#include "http/router.h"

namespace perfwatch::analysis {

// The JSON answer for `regressions` (already filtered).
std::string RenderRegressions(const std::vector<Regression>& regressions);

// Registers GET (and POST form) /api/v1/regressions. `watcher` may be null (an empty list).
void RegisterRegressionsHandler(http::Router& router, const Watcher* watcher);

}  // namespace perfwatch::analysis
