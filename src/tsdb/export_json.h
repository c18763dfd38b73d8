#pragma once
// /api/v1/export's producer: one JSON line per series in VictoriaMetrics' export format
//   {"metric":{"__name__":"up","job":"x"},"values":[1,0.5],"timestamps":[1700000000000,...]}
// timestamps in ms, `__name__` first, then the other labels in name order. Values are
// written as the Debian VictoriaMetrics 1.79 binary writes them (checked against it):
// finite numbers in the shortest form that round-trips, +Inf and -Inf as the bare tokens
// `+Inf` and `-Inf` (not valid JSON; that is what VictoriaMetrics emits), NaN as `null`. Prometheus staleness markers are NaNs, so they export as `null` too (VM
// keeps stale markers at ingest and exports them as null; it drops other NaNs at ingest,
// perfwatch keeps them: both come out as null). Series without samples in range are skipped.
//
// Output is streamed in pieces of about 64 KiB to `sink`; a sink returning false stops the
// export (client gone) and the function returns OK.
//
// Thread safety: pure function of its inputs; safe to run concurrently with appends.
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"
#include "tsdb/matcher.h"
#include "tsdb/querier.h"

namespace perfwatch::tsdb {

inline constexpr size_t kExportChunkBytes = 64 << 10;

// Exports series matching `matchers` with samples in [start_ms, end_ms] (inclusive,
// intersected with the querier's range).
Status ExportJsonLines(const Querier& querier, std::span<const Matcher> matchers, int64_t start_ms, int64_t end_ms,
                       const std::function<bool(std::string_view chunk)>& sink);

// Appends one value as the export writes it (exposed for tests).
void AppendExportValue(std::string& out, double v);

}  // namespace perfwatch::tsdb
