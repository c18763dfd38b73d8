#pragma once
// One row of ClickHouse's `spans` table read back into a SpanRecord (clickhouse/span_reader.h):
// ids from hex ('' is all zeros), attributes and events from the JSON the encoder wrote
// (schema.h EncodeSpanRow; a JSON number without fraction or exponent becomes an int
// attribute, another a double: either prints the same in the traces API). It reads
// ClickHouse's answers, so it is fuzzed (fuzz/clickhouse_span_row_fuzzer.cc).
// Thread safety: pure function (a thread-local JSON parser).
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"
#include "events/span_record.h"

namespace perfwatch::clickhouse {

// The columns ParseSpanRow reads, in order.
inline constexpr std::string_view kSpanReadColumns =
    "trace_id, span_id, parent_span_id, service, name, kind, status_code, status_message, start_ns, end_ns, "
    "attributes, events";
inline constexpr size_t kSpanReadColumnCount = 12;

// InvalidArgument for a row of the wrong shape (field count, hex, numbers, JSON).
Status ParseSpanRow(std::span<const std::string> fields, events::SpanRecord* out);

}  // namespace perfwatch::clickhouse
