#pragma once
// GET /api/v1/journeys?app=&name=&window= (issue 16; docs/api.md): the user journeys of the
// event store's "journey" events in a window ending now (or `to`; `from` overrides the
// window), per (app, journey name), as analysis/journeys.h computes them.
// Answer: {"status":"success","data":[{"app","name","started","completed","failed",
// "abandoned","in_progress","completion_rate","p50","p75","target","over_target_ratio",
// "steps":[{"name","p75","reached","drop_off"}],"bottleneck":{"slowest_step",
// "largest_drop_off"}}]}: durations in ms (2 decimals), ratios 0..1 (4 decimals), null
// when unknown. Bad parameters: 400 bad_data.
// The handler answers from a JourneysCache (parsed events kept between requests).
// Thread safety: reads the store only; safe on any worker thread.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analysis/journeys.h"
#include "analysis/record_cache.h"
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

// Parsed journey events kept between requests (analysis/record_cache.h: exact and fresh;
// bounded by `max_bytes`, about 100 bytes per cached journey plus its steps). Thread-safe.
class JourneysCache {
 public:
  explicit JourneysCache(size_t max_bytes = size_t{128} << 20);
  ~JourneysCache();
  JourneysCache(const JourneysCache&) = delete;
  JourneysCache& operator=(const JourneysCache&) = delete;
  RecordCacheStats Stats() const;

 private:
  friend Result<std::vector<JourneyReport>> ComputeJourneys(const events::EventStore&, const JourneysRequest&,
                                                            int64_t, int64_t, JourneysCache&);
  struct Cache;
  std::unique_ptr<Cache> cache_;
};

// `timeout_ms`: rum.journey_timeout (an "abandoned" journey older than this is abandoned).
// Reads and parses every matching event (no cache).
Result<std::vector<JourneyReport>> ComputeJourneys(const events::EventReader& store, const JourneysRequest& request,
                                                   int64_t now_ms, int64_t timeout_ms);
// The same answer from `cache` (parsing only the events appended since the last request).
Result<std::vector<JourneyReport>> ComputeJourneys(const events::EventStore& store, const JourneysRequest& request,
                                                   int64_t now_ms, int64_t timeout_ms, JourneysCache& cache);

std::string RenderJourneysJson(const std::vector<JourneyReport>& journeys);

// Registers GET /api/v1/journeys (scope read, query class).
void RegisterJourneysHandler(http::Router& router, const events::EventStore* store, int64_t timeout_ms);
// The same with the timeout read at each request (rum.journey_timeout reloaded); `timeout_ms`
// must be thread-safe and outlive the router. With `backend` (events.backend: clickhouse) the
// answer is computed from it, without the cache.
void RegisterJourneysHandler(http::Router& router, const events::EventStore* store,
                             std::function<int64_t()> timeout_ms, const events::EventReader* backend = nullptr);

}  // namespace perfwatch::analysis
