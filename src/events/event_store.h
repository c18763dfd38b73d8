#pragma once
// The raw event store: every accepted beacon, durable, time-partitioned, queryable.
// On-disk layout: docs/format/events.md. Design and engine choice: docs/events.md.
//
// Durability (DESIGN.md): Append returns only after the records reached the partition's
// log through write(2), so they survive kill -9; a background thread fsyncs every
// `fsync_interval_ms`. Replace-on-repeat: an event whose (session_id, id) pair is already
// stored replaces the stored one's value and fields (counted once).
// Retention: partitions (one per UTC day) older than `retention_ms` are deleted whole.
//
// Thread safety: all public methods are thread-safe. Appends serialize on one mutex;
// scans run concurrently with appends (see the implementation's locking notes).
#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.h"
#include "common/metrics.h"
#include "common/snapshot_files.h"
#include "common/status.h"
#include "events/event.h"
#include "events/event_reader.h"

namespace perfwatch::events {

// kJsonLines: one JSON object per line (export_json.h); kCsv: RFC 4180 with a header
// record (export_csv.h, columns there).
enum class ExportFormat { kJsonLines, kCsv };

struct ExportQuery {
  int64_t from_ms = 0;
  int64_t to_ms = INT64_MAX;
  std::optional<EventType> type;  // all types when unset
  ExportFormat format = ExportFormat::kJsonLines;
};

// One partition's share of SelectRows. `partition` names the partition for ReadRows and
// for caches: it keeps the partition's memory alive while held, and a std::weak_ptr to it
// expires once retention dropped the partition (identities are never reused). Rows
// [0, row_count) never change, except that a live row can become dead (replaced); rows
// are only ever appended. `rows`: the selected live rows, ascending.
struct SelectedRows {
  std::shared_ptr<const void> partition;
  int64_t start_ms = 0;
  uint32_t row_count = 0;
  std::span<const uint32_t> rows;
};

struct EventStoreStats {
  uint64_t events = 0;          // events currently stored (after replace-on-repeat)
  uint64_t partitions = 0;
  uint64_t disk_bytes = 0;
  uint64_t replaced = 0;        // since start: appends that replaced an earlier event
  uint64_t memory_bytes = 0;    // heap held by the in-memory state (rows, dictionaries, indexes)
};

class EventStore final : public EventReader {
 public:
  // Opens (creating if needed) the store under `dir` and replays its logs. A torn tail is
  // truncated at the last good record and logged; corruption in the middle is reported
  // with the file and offset.
  static Result<std::unique_ptr<EventStore>> Open(std::filesystem::path dir, EventsConfig config,
                                                  MetricsRegistry* metrics);
  ~EventStore();
  EventStore(const EventStore&) = delete;
  EventStore& operator=(const EventStore&) = delete;

  // Starts the fsync and retention thread. Stop() fsyncs and joins it; idempotent.
  Status Start();
  void Stop();

  // Appends a batch durably (see above). On error nothing of the batch is acknowledged
  // (records may or may not be in the log).
  // `replaced`, when not empty, must have events.size() elements; on success replaced[i]
  // tells whether events[i] replaced a stored event with the same (session_id, id) (one
  // stored earlier, or one earlier in this batch). Unspecified on error.
  Status Append(std::span<const EventInput> events, std::span<bool> replaced = {});

  // fsyncs every open log now.
  Status Sync();
  // The store's logs as of now, pinned for a snapshot into `dest` (same layout as the
  // store's directory; common/snapshot_files.h). Taken under the append lock: whole batches
  // only. The caller copies them (CopyPinnedFiles) while appends go on.
  Result<std::vector<PinnedFile>> PinForSnapshot(const std::filesystem::path& dest) const;

  // Groups vitals for the vitals API; see VitalGroupFn.
  Status ScanVitals(const VitalScan& scan, const VitalGroupFn& fn) const override;
  // The same scan cut into steps of `step_ms` (> 0) aligned to multiples of it since the
  // Unix epoch; steps without events are not reported. InvalidArgument when the range
  // holds more than `max_steps` steps.
  Status ScanVitalSteps(const VitalScan& scan, int64_t step_ms, int64_t max_steps, const VitalStepFn& fn) const override;

  // Writes matching events as JSON lines (one object per event, the beacon's fields plus
  // the derived ones, "timestamp" (event time) and "received" in ms) or as CSV (a header
  // record first, even when nothing matches) to `sink`, in chunks of roughly 64 KiB, in
  // time order per partition. Field list: docs/events.md; CSV columns: export_csv.h.
  // Stops early (OK) when `sink` returns false.
  Status Export(const ExportQuery& query, const std::function<bool(std::string_view chunk)>& sink) const;

  // Calls `fn` for every live event matching `scan`, partition by partition in log
  // (append) order, decoding each record from the log (~0.1 µs per event on top of the
  // row scan). `fn` runs under the store's shared lock: it must not call into the store.
  Status ScanRecords(const RecordScan& scan, const std::function<void(const EventRecord&)>& fn) const override;

  // ScanRecords' selection without reading the log (for incremental readers such as
  // analysis/record_cache.h): the same live rows ScanRecords would decode, as row numbers,
  // one call per partition with a match, in partition order. `fn` runs without the store's
  // lock and may call ReadRows; a non-OK status from it stops the scan and is returned.
  Status SelectRows(const RecordScan& scan, const std::function<Status(const SelectedRows&)>& fn) const;
  // Decodes rows of `partition` (from SelectedRows) in row order: with `rows` empty, every
  // live row in [from_row, to_row) whose kind `want(type, vital)` accepts (all when `want`
  // is empty; it is asked from the row's kind byte, before any decoding); else exactly the
  // given rows (ascending, < to_row), dead ones included. `fn(row, record)` runs under the
  // store's shared lock: it must not call into the store. Dimension filters do not apply;
  // a partition since dropped by retention still reads.
  Status ReadRows(const std::shared_ptr<const void>& partition, uint32_t from_row, uint32_t to_row,
                  const std::function<bool(EventType, Vital)>& want, std::span<const uint32_t> rows,
                  const std::function<void(uint32_t row, const EventRecord&)>& fn) const;

  // Every partition as of now, in time order: its handle (as SelectedRows::partition, for
  // ReadRows), start and row count (rows [0, row_count) are appended and never move).
  // For readers that tail the store, such as the ClickHouse forwarder (src/clickhouse/).
  std::vector<SelectedRows> ListPartitions() const;

  // Drops partitions that ended before now - retention (also done periodically by Start()).
  Status EnforceRetention(int64_t now_ms);

  // events.retention and events.fsync_interval at run time (a configuration reload):
  // appends from now on fsync by the new policy, the background thread wakes at once to
  // sync and apply the new retention, then waits by the new interval. Both >= 0 (0: no
  // retention / fsync before every acknowledgement); InvalidArgument changes nothing.
  static Status CheckPolicies(int64_t retention_ms, int64_t fsync_interval_ms);
  Status SetPolicies(int64_t retention_ms, int64_t fsync_interval_ms);
  int64_t retention_ms() const;
  int64_t fsync_interval_ms() const;

  EventStoreStats Stats() const;

 private:
  struct Impl;
  explicit EventStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace perfwatch::events
