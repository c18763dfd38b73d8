#pragma once
// perfwatch's ClickHouse schema and its migrations (docs/format/clickhouse.md): a
// `schema_version` table (one row per applied migration) and the `events` table, one row
// per event-store record, partitioned by UTC day of the event time, ordered for the
// vitals queries (app, page, metric, time_ms). EncodeEventRow writes one record as a
// TabSeparated row in kEventColumns order.
// Thread safety: EnsureSchema may run concurrently from several perfwatch instances
// (every statement is idempotent); the encoders are pure functions.
#include <cstdint>
#include <string>
#include <string_view>

#include "clickhouse/client.h"
#include "common/status.h"
#include "events/event_store.h"

namespace perfwatch::clickhouse {

inline constexpr uint32_t kSchemaVersion = 1;
inline constexpr std::string_view kEventsTable = "events";
inline constexpr std::string_view kVersionTable = "schema_version";
// The INSERT column list, in EncodeEventRow's order (the DEFAULT columns `time` and
// `value` are computed by ClickHouse from time_ms and value_bits).
inline constexpr std::string_view kEventColumns =
    "(app, page, metric, time_ms, received_ms, type, value_bits, device, connection, browser, name, session_id, id, "
    "attrs, source, log_partition, log_row)";

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

}  // namespace perfwatch::clickhouse
