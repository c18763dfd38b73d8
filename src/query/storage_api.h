#pragma once
// The storage half of the Prometheus HTTP API, answered straight from the store (PromQL
// comes with the query engine): GET/POST /api/v1/series, /api/v1/labels,
// /api/v1/label/<name>/values with match[], start, end in Prometheus' JSON shapes;
// GET /api/v1/status/tsdb (Prometheus' head cardinality: top `limit`, default 10, of each
// list, largest first, ties by name), GET /api/v1/export (VictoriaMetrics' JSON lines) and
// POST /api/v1/admin/flush as
// DESIGN.md specifies. Errors use Prometheus' shape: 400 bad_data, 503 unavailable.
// Thread safety: handlers only use the store's thread-safe interfaces.
#include <cstdint>
#include <vector>

#include "common/status.h"
#include "http/router.h"
#include "tsdb/matcher.h"
#include "tsdb/tsdb.h"

namespace perfwatch::query {

// The time range and selectors of a series/labels/export request.
struct SelectionRequest {
  int64_t start_ms;
  int64_t end_ms;
  std::vector<std::vector<tsdb::Matcher>> selectors;  // one per match[]
};

// Parses match[] (each a series selector), start and end (Unix seconds with fractions or
// RFC 3339; missing = unbounded). `require_match` makes a missing match[] an error.
Result<SelectionRequest> ParseSelectionRequest(const http::Request& req, bool require_match);

void RegisterStorageApi(http::Router& router, tsdb::Tsdb* store);

}  // namespace perfwatch::query
