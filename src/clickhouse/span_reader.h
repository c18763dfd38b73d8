#pragma once
// GET /api/v1/traces[/{traceId}] answered from ClickHouse's `spans` table
// (events.backend: clickhouse; schema.h, docs/format/clickhouse.md), so every perfwatch
// instance shows every edge's traces with the JSON the local span store gives:
//  - GetTrace: the trace's rows ordered by (start_ns, log position), as the local store
//    orders its spans (start time, then log order), at most max_spans, and their count;
//  - ListEntrySpans: SERVER spans and roots (parent_span_id '') matching the query, newest
//    (start_ns) or slowest (duration_ns, then start_ns) first, limited. The local store
//    breaks exact ties in its own order.
// Rows are read back with ParseSpanRow (span_row.h).
// ClickHouse unreachable: Unavailable (the API's 503).
// Thread safety: thread-safe (the client is; no state).
#include <memory>
#include <string>

#include "clickhouse/client.h"
#include "clickhouse/span_row.h"
#include "events/span_reader.h"

namespace perfwatch::clickhouse {

class SpanReader final : public events::SpanReader {
 public:
  explicit SpanReader(std::shared_ptr<const Client> client) : client_(std::move(client)) {}
  Status GetTrace(const std::array<uint8_t, 16>& trace_id, size_t max_spans, std::vector<events::SpanRecord>* out,
                  uint64_t* total) const override;
  Status ListEntrySpans(const events::SpanListQuery& query, std::vector<events::SpanRecord>* out) const override;

 private:
  Status Select(const std::string& where_order_limit, std::vector<events::SpanRecord>* out) const;
  std::shared_ptr<const Client> client_;
};

}  // namespace perfwatch::clickhouse
