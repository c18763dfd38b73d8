#pragma once
// perfwatch's ClickHouse schema and its migrations (docs/format/clickhouse.md): a
// `schema_version` table (one row per applied migration); version 1: the `events` table,
// one row per event-store record, partitioned by UTC day of the event time, ordered for
// the vitals queries (app, page, metric, time_ms); version 2: `spans` (one row per span)
// and `errors` (one row per error occurrence, with its group); version 3: `error_groups`
// (one row per group and perfwatch instance: sample, stack, frames, first seen; a
// ReplacingMergeTree, read with GROUP BY fingerprint). The encoders write one
// row as TabSeparated in their column list's order.
// Thread safety: EnsureSchema serialises its callers within a process and may run
// concurrently from several perfwatch instances (every statement is idempotent); the
// encoders are pure functions.
#include <cstdint>
#include <string>
#include <string_view>

#include "clickhouse/client.h"
#include "common/status.h"
#include "events/error_store.h"
#include "events/event_store.h"
#include "events/span_record.h"

namespace perfwatch::clickhouse {

inline constexpr uint32_t kSchemaVersion = 3;
inline constexpr std::string_view kEventsTable = "events";
inline constexpr std::string_view kVersionTable = "schema_version";
inline constexpr std::string_view kSpansTable = "spans";
inline constexpr std::string_view kErrorsTable = "errors";
inline constexpr std::string_view kErrorGroupsTable = "error_groups";
// The INSERT column list, in EncodeEventRow's order (the DEFAULT columns `time` and
// `value` are computed by ClickHouse from time_ms and value_bits).
inline constexpr std::string_view kEventColumns =
    "(app, page, metric, time_ms, received_ms, type, value_bits, device, connection, browser, name, session_id, id, "
    "attrs, source, log_partition, log_row)";

// The INSERT column lists of the spans and errors tables (DEFAULT columns: time, duration_ns).
inline constexpr std::string_view kSpanColumns =
    "(trace_id, span_id, parent_span_id, service, name, route, kind, status_code, status_message, start_ns, end_ns, "
    "attributes, events, source, log_partition, log_row, span_index)";
inline constexpr std::string_view kErrorColumns =
    "(fingerprint, error_source, type, message, scope, location, browser, session_id, user_id, raw_message, "
    "trace_id, span_id, time_ms, source, log_partition, log_row)";

inline constexpr std::string_view kErrorGroupColumns =
    "(fingerprint, error_source, scope, type, message, sample_message, sample_stack, frames, first_seen_ms, source)";

// The statements of migration `version` (1..kSchemaVersion) for `database`.
std::vector<std::string> MigrationStatements(uint32_t version, std::string_view database);

// Creates the database and tables as needed and applies the migrations above the stored
// version, recording each. Returns the version now in place. Internal when the
// database holds a newer schema than this perfwatch knows.
Result<uint32_t> EnsureSchema(const Client& client, const std::atomic<bool>* cancel = nullptr);

// Appends `e` (row `row` of the event-store partition starting at `partition_start_ms` of
// the perfwatch instance `source`) as one TabSeparated row ending in '\n'.
void EncodeEventRow(std::string& out, const events::EventRecord& e, std::string_view source,
                    int64_t partition_start_ms, uint32_t row);

// Appends span `index` of block `block` of the span-store partition starting at
// `partition_start_ms`.
void EncodeSpanRow(std::string& out, const events::SpanRecord& s, std::string_view source, int64_t partition_start_ms,
                   uint32_t block, uint32_t index);
// Appends occurrence `row` of the error-store partition starting at `partition_start_ms`.
void EncodeErrorRow(std::string& out, const events::ErrorGroup& group, const events::ErrorOccurrenceView& o,
                    std::string_view source, int64_t partition_start_ms, uint32_t row);
// Appends `group` as one row of error_groups (frames as events::AppendErrorFramesJson).
void EncodeErrorGroupRow(std::string& out, const events::ErrorGroup& group, std::string_view source);

}  // namespace perfwatch::clickhouse
