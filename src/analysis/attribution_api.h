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
// Thread safety: reads the store only; safe on any worker thread.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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

Result<AttributionReport> ComputeAttribution(const events::EventStore& store, const AttributionRequest& request);

std::string RenderAttributionJson(const AttributionReport& report);

// Registers GET /api/v1/vitals/attribution (scope read, query class). An exact route: it
// wins over nothing else (GET /api/v1/vitals is another exact route).
void RegisterAttributionHandler(http::Router& router, const events::EventStore* store);

}  // namespace perfwatch::analysis
