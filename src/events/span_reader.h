#pragma once
// What the traces API (query/traces_api.h) needs of a span store: one trace's spans and
// the entry-span list. Implemented by the local SpanStore (span_store.h) and by ClickHouse
// (clickhouse/span_reader.h, events.backend: clickhouse), so GET /api/v1/traces answers
// from either with the same JSON. Semantics are SpanStore's, documented there.
// Thread safety: implementations are thread-safe.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "events/span_record.h"

namespace perfwatch::events {

// The entry-span list query. Times in unix nanoseconds, inclusive.
struct SpanListQuery {
  int64_t from_ns = 0;
  int64_t to_ns = INT64_MAX;
  std::optional<std::string> service, route, name;  // exact matches when set
  uint64_t min_duration_ns = 0;
  std::optional<uint8_t> status;  // status code when set
  enum class Sort { kNewest, kSlowest } sort = Sort::kNewest;
  size_t limit = 20;
};

class SpanReader {
 public:
  virtual ~SpanReader() = default;
  // The spans of one trace (at most `max_spans`, the earliest-starting when there are more),
  // ordered by start time; *total is how many are stored. Empty when unknown.
  virtual Status GetTrace(const std::array<uint8_t, 16>& trace_id, size_t max_spans, std::vector<SpanRecord>* out,
                          uint64_t* total) const = 0;
  // Entry spans (SERVER spans and roots) matching `query`, sorted and limited as it asks.
  virtual Status ListEntrySpans(const SpanListQuery& query, std::vector<SpanRecord>* out) const = 0;
};

}  // namespace perfwatch::events
