#pragma once
// The PromQL half of the Prometheus HTTP API (Prometheus 2.42 web/api/v1/api.go shapes):
//   GET/POST /api/v1/query         query, time (Unix seconds or RFC 3339; default now), timeout
//   GET/POST /api/v1/query_range   query, start, end, step (seconds or a duration), timeout
//   GET      /api/v1/status/buildinfo
//   GET/POST /api/v1/query_exemplars   (perfwatch stores no exemplars: always [])
// Results: {"status":"success","data":{"resultType":"vector|matrix|scalar|string","result":...}},
// sample values as strings formatted like Prometheus ("1", "0.25", "1e-07", "+Inf", "NaN"),
// timestamps as Unix seconds with millisecond decimals. Errors: {"status":"error",
// "errorType":...,"error":...} with 400 bad_data (bad parameters, parse errors: `invalid
// parameter "query": 1:5: parse error: ...`), 422 execution, 503 timeout, 500 internal.
// Range queries are limited to 11,000 points per series, as in Prometheus. Repeated
// queries may be answered from a QueryCache (promql_cache.h).
// Thread safety: handlers run on HTTP worker threads; the Engine is thread-safe.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/router.h"
#include "query/promql_cache.h"
#include "query/promql_engine.h"
#include "query/promql_value.h"

namespace perfwatch::query {

struct BuildInfo {
  std::string version;  // perfwatch's own version ("0.1.0")
  std::string revision;
  std::string build_date;
};

// Appends a sample value as Prometheus writes it in JSON (without the quotes).
void AppendPromValue(std::string& out, double v);
// Appends a millisecond timestamp as Prometheus writes it: Unix seconds, then "." and
// three millisecond digits when the fraction is not zero ("1700000000", "1700000000.250").
void AppendPromTimestamp(std::string& out, int64_t ms);
// The `data` object of a query answer: {"resultType":...,"result":...}.
void AppendQueryData(std::string& out, const promql::Value& value);

// Parses a Prometheus duration parameter (step, timeout): float seconds ("15", "0.5") or a
// duration ("1m30s"). Errors read `cannot parse "x" to a valid duration`.
Result<int64_t> ParseDurationParam(std::string_view text);

// `cache` (may be null: no caching) answers repeated queries (promql_cache.h).
void RegisterPromqlApi(http::Router& router, const promql::Engine* engine, BuildInfo build_info,
                       QueryCache* cache = nullptr);

}  // namespace perfwatch::query
