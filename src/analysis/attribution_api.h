#pragma once
// GET /api/v1/vitals/attribution?metric=LCP|INP|CLS&app=&page=&window= (issue 16;
// docs/api.md): what makes a vital slow, from the stored vital events' `attribution`
// (attrs_json): the top targets by selector (LCP: attribution.element; INP, CLS:
// attribution.target), each with its count, share of the views, exact p75 of the metric
// (analysis/percentile.h; ms, CLS unitless) and the p75 of each subpart present (LCP: ttfb,
// loadDelay, loadDuration, renderDelay; INP: inputDelay, processing, presentation; CLS:
// none), and for INP the scripts of its long animation frames (by total duration).
// Answer: {"status":"success","data":{"metric","views","targets":[{"selector","count",
// "share","p75","subparts":{...},"scripts":[{"src","fn","invoker","count","p75"}] (INP)}]}}.
// views: the metric's events in the window (with or without attribution); events without
// a selector count in views only. Targets: the `limit` (default 20) largest counts, ties by
// selector. Bad parameters: 400 bad_data.
// The handler answers from an AttributionCache (parsed events kept between requests).
// Thread safety: reads the store only; safe on any worker thread.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "analysis/record_cache.h"
#include "common/status.h"
#include "events/event.h"
#include "events/event_store.h"
#include "http/router.h"

namespace perfwatch::analysis {

struct AttributionRequest {
  events::Vital metric = events::Vital::kLCP;
  std::optional<std::string> app, page;
  int64_t from_ms = 0, to_ms = 0;
  size_t limit = 20;
};

struct AttributionScript {
  std::string src, fn, invoker;
  uint64_t count = 0;
  double total = 0;            // ms
  std::optional<double> p75;   // ms
};

struct AttributionTarget {
  std::string selector;
  uint64_t count = 0;
  double share = 0;
  std::optional<double> p75;
  std::vector<std::pair<std::string, std::optional<double>>> subparts;  // the metric's, in order
  std::vector<AttributionScript> scripts;                              // INP: at most 5
};

struct AttributionReport {
  events::Vital metric = events::Vital::kLCP;
  uint64_t views = 0;
  std::vector<AttributionTarget> targets;
};

Result<AttributionRequest> ParseAttributionRequest(const http::Request& req, int64_t now_ms);

// Parsed attribution events of LCP, INP and CLS, kept between requests (analysis/record_cache.h:
// exact and fresh; each metric's cache bounded by `max_bytes_per_metric`, about 80 bytes
// per cached event plus its strings). Thread-safe.
class AttributionCache {
 public:
  explicit AttributionCache(size_t max_bytes_per_metric = size_t{128} << 20);
  ~AttributionCache();
  AttributionCache(const AttributionCache&) = delete;
  AttributionCache& operator=(const AttributionCache&) = delete;
  RecordCacheStats Stats() const;  // the three metrics' caches together

 private:
  friend Result<AttributionReport> ComputeAttribution(const events::EventStore&, const AttributionRequest&,
                                                      AttributionCache&);
  struct Caches;
  std::unique_ptr<Caches> caches_;
};

// Reads and parses every matching event (no cache).
Result<AttributionReport> ComputeAttribution(const events::EventReader& store, const AttributionRequest& request);
// The same answer from `cache` (parsing only the events appended since the last request).
Result<AttributionReport> ComputeAttribution(const events::EventStore& store, const AttributionRequest& request,
                                             AttributionCache& cache);

std::string RenderAttributionJson(const AttributionReport& report);

// Registers GET /api/v1/vitals/attribution (scope read, query class). An exact route: it
// wins over nothing else (GET /api/v1/vitals is another exact route).
void RegisterAttributionHandler(http::Router& router, const events::EventStore* store,
                                const events::EventReader* backend = nullptr);

}  // namespace perfwatch::analysis
