#pragma once
// GET /api/v1/journeys?app=&name=&window= (issue 16; docs/api.md): the user journeys of the
// event store's "journey" events in a window ending now (or `to`; `from` overrides the
// window), per (app, journey name), as analysis/journeys.h computes them.
// Answer: {"status":"success","data":[{"app","name","started","completed","failed",
// "abandoned","in_progress","completion_rate","p50","p75","target","over_target_ratio",
// "steps":[{"name","p75","reached","drop_off"}],"bottleneck":{"slowest_step",
// "largest_drop_off"}}]}: durations in ms (2 decimals), ratios 0..1 (4 decimals), null
// when unknown. Bad parameters: 400 bad_data.
// Thread safety: reads the store only; safe on any worker thread.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analysis/journeys.h"
#include "common/status.h"
#include "events/event_store.h"
#include "http/router.h"

namespace perfwatch::analysis {

struct JourneysRequest {
  std::optional<std::string> app, name;
  int64_t from_ms = 0, to_ms = 0;
};

// window: a positive duration (default 24h).
Result<JourneysRequest> ParseJourneysRequest(const http::Request& req, int64_t now_ms);

// `timeout_ms`: rum.journey_timeout (an "abandoned" journey older than this is abandoned).
Result<std::vector<JourneyReport>> ComputeJourneys(const events::EventStore& store, const JourneysRequest& request,
                                                   int64_t now_ms, int64_t timeout_ms);

std::string RenderJourneysJson(const std::vector<JourneyReport>& journeys);

// Registers GET /api/v1/journeys (scope read, query class).
void RegisterJourneysHandler(http::Router& router, const events::EventStore* store, int64_t timeout_ms);

}  // namespace perfwatch::analysis
