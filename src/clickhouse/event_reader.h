#pragma once
// The event store's read side answered from ClickHouse (events.backend: clickhouse), so the
// analyses that read events (vitals series and histogram, attribution, network, journeys,
// score) see every perfwatch instance's events with the numbers the local store would
// give (docs/format/clickhouse.md "Queries").
//  - LiveEventsSql: the SELECT of the live events of a selection: rows without a
//    (session_id, id) pair as they are, and of each pair's rows the one with the largest
//    (time_ms, source, log_partition, log_row), as EventStore's replace-on-repeat keeps the
//    newest event and, on equal times, the later one; the selection (time range, type,
//    vital, dimension filters) applies to that row.
//  - EventReader::ScanRecords: those rows in (log_partition, source, log_row) order — for
//    one instance, the local store's order (partition by partition, in append order).
//  - ScanVitals / ScanVitalSteps: the values grouped in perfwatch, once per group.
// A whole answer is read before the callbacks run (Client's 256 MiB answer limit);
// ClickHouse unreachable: Unavailable.
// Thread safety: thread-safe (the client is; no state).
#include <array>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "clickhouse/client.h"
#include "events/event_reader.h"

namespace perfwatch::clickhouse {

struct LiveMatch {
  int64_t from_ms = 0;
  int64_t to_ms = INT64_MAX;
  std::optional<events::EventType> type;
  std::optional<events::Vital> vital;  // implies type vital
  std::array<std::optional<std::string>, events::kDimCount> filters;
};

// SELECT `columns` (columns of the events table) FROM the live events of `table` (quoted
// `db`.`events`) matching `m`; no FORMAT clause.
std::string LiveEventsSql(std::string_view table, const LiveMatch& m, std::span<const std::string_view> columns);

// The column of dimension d ("app", "page", "device", "connection", "browser").
std::string_view DimColumn(int d);

class EventReader final : public events::EventReader {
 public:
  explicit EventReader(std::shared_ptr<const Client> client) : client_(std::move(client)) {}

  Status ScanRecords(const events::RecordScan& scan,
                     const std::function<void(const events::EventRecord&)>& fn) const override;
  Status ScanVitals(const events::VitalScan& scan, const events::VitalGroupFn& fn) const override;
  Status ScanVitalSteps(const events::VitalScan& scan, int64_t step_ms, int64_t max_steps,
                        const events::VitalStepFn& fn) const override;

 private:
  // step_ms 0: one step (ScanVitals).
  Status Vitals(const events::VitalScan& scan, int64_t step_ms, const events::VitalStepFn& fn) const;
  std::shared_ptr<const Client> client_;
};

}  // namespace perfwatch::clickhouse
