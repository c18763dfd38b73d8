#pragma once
// The error store (tracker issue 14 item 5; docs/errors.md "Storage"): error groups
// (fingerprint -> type, normalised message, first seen, a sample message and stack, the
// fingerprinted frames) and their occurrences (time, app or service, page or route,
// browser, session, user, trace and span id, raw message), durable and rebuilt on start.
// Grouping itself happens at ingest (ingest/errors/); this layer stores what it is given.
//
// Layout under `dir`: groups.log (one record per group, written before the group's first
// occurrence) and one occurrences log per UTC day, occurrences-<day start ms>.log, both in
// the event store's log format (events/log_file.h: checksummed records, torn tail
// truncated at the last good record on open, corruption in the middle an error).
//
// Durability: Append returns after write(2) of the batch (survives kill -9); a background
// thread (Start) fsyncs every fsync_interval_ms (0: fsync before Append returns) and
// applies retention. On error nothing of the batch is kept (the logs are truncated back).
// Retention: occurrence logs of days that ended before now - retention_ms are deleted
// whole (as the event store's partitions); groups stay (their first seen with them).
// Memory: every occurrence of the retention window is held in memory (about 70 bytes
// plus its distinct strings, which are interned); docs/errors.md "Limits".
// Tailing (ListPartitions, ReadOccurrences): an occurrence is identified by (partition
// start ms, row), its row the index of its record in occurrences-<day>.log, so replay
// on Open rebuilds the same numbering. A row whose record holds no occurrence in memory
// (replay skips occurrences of a group missing from groups.log; a failed batch whose
// records could not be truncated off the log) is a gap: counted, never reported.
//
// Thread safety: all public methods are thread-safe; Append serialises, reads take a
// shared lock and may run concurrently with each other.
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

#include "common/metrics.h"
#include "common/snapshot_files.h"
#include "common/status.h"
#include "events/error_reader.h"

namespace perfwatch::events {

struct ErrorOccurrenceInput {
  const ErrorGroupInfo* group = nullptr;  // used when the fingerprint is new
  int64_t time_ms = 0;
  std::string_view scope;     // app or service
  std::string_view location;  // page or route
  std::string_view browser;
  std::string_view session_id;
  std::string_view user_id;
  std::string_view message;   // raw (cut to kMaxMessageBytes)
  std::array<uint8_t, 16> trace_id{};  // zeros: none
  std::array<uint8_t, 8> span_id{};
};

// For readers that tail the store (the ClickHouse forwarder, src/clickhouse/): one
// occurrences log (UTC day) as of ListPartitions.
struct ErrorPartitionView {
  std::shared_ptr<const void> partition;  // for ReadOccurrences; keeps the day's occurrences alive
  int64_t start_ms = 0;
  uint32_t row_count = 0;  // occurrences [0, row_count) are appended and never change
};

struct ErrorStoreOptions {
  int64_t retention_ms = 7LL * 24 * 3600 * 1000;
  int64_t fsync_interval_ms = 100;
  int64_t partition_ms = 24LL * 3600 * 1000;
};

struct ErrorStoreStats {
  uint64_t groups = 0;
  uint64_t occurrences = 0;
  uint64_t partitions = 0;
};

class ErrorStore final : public ErrorReader {
 public:
  static constexpr size_t kMaxStackBytes = 16 << 10;
  static constexpr size_t kMaxMessageBytes = 1024;

  // Opens (creating) the store under `dir` and replays it. `metrics` may be null.
  static Result<std::unique_ptr<ErrorStore>> Open(std::filesystem::path dir, ErrorStoreOptions options,
                                                  MetricsRegistry* metrics);
  ~ErrorStore();
  ErrorStore(const ErrorStore&) = delete;
  ErrorStore& operator=(const ErrorStore&) = delete;

  Status Start();
  void Stop();

  // Stores the batch durably. `is_new` (when not empty: one per input) tells which input
  // was the first occurrence of its group ever stored. An input without a group pointer
  // whose fingerprint is unknown is InvalidArgument (nothing stored).
  Status Append(std::span<const ErrorOccurrenceInput> batch, std::span<bool> is_new = {});
  Status Sync();
  // The store's logs as of now, pinned for a snapshot into `dest` (same layout as the
  // store's directory; common/snapshot_files.h). Taken under the append lock: whole batches
  // only. The caller copies them (CopyPinnedFiles) while appends go on.
  Result<std::vector<PinnedFile>> PinForSnapshot(const std::filesystem::path& dest) const;
  Status EnforceRetention(int64_t now_ms);
  // events.retention and events.fsync_interval at run time (a configuration reload; both
  // >= 0, else InvalidArgument and nothing changes): appends from now on fsync by the new
  // policy, the background thread wakes at once (sync, the new retention) and then waits
  // by the new interval. Thread-safe.
  Status SetPolicies(int64_t retention_ms, int64_t fsync_interval_ms);
  int64_t retention_ms() const;

  std::optional<ErrorGroup> FindGroup(uint64_t fingerprint) const;
  bool HasGroup(uint64_t fingerprint) const;
  // Every group (under the shared lock; do not call the store from `fn`).
  void ForEachGroup(const std::function<void(const ErrorGroup&)>& fn) const;
  // Occurrences with from_ms <= time <= to_ms, by group; in no particular order.
  void ScanOccurrences(int64_t from_ms, int64_t to_ms,
                       const std::function<void(const ErrorGroup&, const ErrorOccurrenceView&)>& fn) const;

  // Every partition (day) as of now, in time order, with its row count (see above).
  std::vector<ErrorPartitionView> ListPartitions() const;
  // Occurrences [from_row, to_row) of `partition` (a handle from ListPartitions) in append
  // (= log) order, each with its group; gap rows are skipped. `fn` runs under the store's
  // shared lock: it must not call into the store; the views are valid during the call.
  // InvalidArgument for a null handle or when from_row > to_row or to_row is beyond the
  // partition's current row count (rows appended since ListPartitions are in range). A
  // partition since dropped by retention still reads (its occurrences stay with the handle).
  Status ReadOccurrences(const std::shared_ptr<const void>& partition, uint32_t from_row, uint32_t to_row,
                         const std::function<void(uint32_t row, const ErrorGroup& group,
                                                  const ErrorOccurrenceView& occurrence)>& fn) const;

  ErrorStoreStats Stats() const;

  // ErrorReader: FindGroup and ScanOccurrences (filtered to `only`); the holder is null
  // (groups are never erased, strings never freed).
  Result<std::optional<ErrorGroup>> ReadGroup(uint64_t fingerprint) const override;
  Result<std::shared_ptr<const void>> ScanWindow(int64_t from_ms, int64_t to_ms, std::optional<uint64_t> only,
                                                 const ErrorOccurrenceFn& fn) const override;

 private:
  struct Impl;
  explicit ErrorStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Record codecs (exposed for tests and the fuzzer).
std::string EncodeErrorGroupRecord(const ErrorGroupInfo& info, int64_t first_seen_ms);
Status DecodeErrorGroupRecord(std::string_view payload, ErrorGroupInfo* info, int64_t* first_seen_ms);

}  // namespace perfwatch::events
