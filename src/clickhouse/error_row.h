#pragma once
// Rows of ClickHouse's `error_groups` and `errors` tables read back (clickhouse/error_reader.h):
// a group (fingerprint as 16 hex digits, source name, frames from the JSON the encoder
// wrote, first and last seen) and an occurrence (its fingerprint, strings, ids from hex,
// '' = none). They read ClickHouse's answers, so they are fuzzed
// (fuzz/clickhouse_error_row_fuzzer.cc).
// Thread safety: pure functions (a thread-local JSON parser).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"
#include "events/error_reader.h"

namespace perfwatch::clickhouse {

// The group columns ParseErrorGroupRow reads, in order: the group's row (error_groups,
// the earliest instance's where several sent it) with first seen the earliest of the
// group rows and occurrences, last seen the latest occurrence (INT64_MIN when none).
inline constexpr size_t kErrorGroupReadColumnCount = 10;
// fingerprint, error_source, scope, type, message, sample_message, sample_stack, frames,
// first_seen_ms, last_seen_ms.
Status ParseErrorGroupRow(std::span<const std::string> fields, events::ErrorGroup* out);

// The occurrence columns ParseErrorOccurrenceRow reads, in order.
inline constexpr std::string_view kErrorReadColumns =
    "fingerprint, scope, location, browser, session_id, user_id, raw_message, trace_id, span_id, time_ms";
inline constexpr size_t kErrorReadColumnCount = 10;
// The view borrows `fields`' strings.
Status ParseErrorOccurrenceRow(std::span<const std::string> fields, uint64_t* fingerprint,
                               events::ErrorOccurrenceView* out);

}  // namespace perfwatch::clickhouse
