#pragma once
// The span store's read API (tracker issue 14 item 2; docs/api.md "Traces"; shapes as
// /work/notes/apm-contracts.md agreed them):
//   GET /api/v1/traces?service=&route=&name=&min_duration=&status=&start=&end=&sort=&limit=
//       entry spans (SERVER spans and roots), newest (default) or slowest first;
//       limit default 20, at most kMaxTraceListLimit (larger values are clamped).
//   GET /api/v1/traces/{traceId}
//       the whole trace as a tree (children by start time; spans whose parent is not
//       stored are extra roots with "orphan":true); at most kMaxTraceSpans spans (the
//       earliest-starting), then "truncated":true and spanCount the number stored.
// Errors: 400 bad_data for a bad parameter or trace id, 404 not_found for an unknown trace,
// 503 unavailable when the store is unreachable (ClickHouse down), 500 internal when it
// fails. Scope read, admission class query.
//
// Thread safety: the handlers are called concurrently; SpanReader implementations are
// thread-safe. With events.backend: clickhouse the reader is ClickHouse (clickhouse/span_reader.h).
#include <cstddef>
#include <string>
#include <vector>

#include "events/span_record.h"
#include "events/span_reader.h"
#include "http/router.h"

namespace perfwatch::query {

inline constexpr size_t kMaxTraceListLimit = 1000;
inline constexpr size_t kDefaultTraceListLimit = 20;
inline constexpr size_t kMaxTraceSpans = 10000;

// The `data` object of GET /api/v1/traces/{traceId} for `spans` (one trace, any order;
// duplicate span ids are shown once). `stored` is the number of spans the store holds.
std::string TraceTreeJson(const std::vector<events::SpanRecord>& spans, uint64_t stored);

void RegisterTracesApi(http::Router& router, const events::SpanReader* store);

}  // namespace perfwatch::query
