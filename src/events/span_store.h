#pragma once
// The span store: every span of the retention window, for drill-down (GET /api/v1/traces
// and /api/v1/traces/{traceId}). Design and layout: docs/otlp.md "Span store".
//
// Layout: one partition per `partition_ms` (by span start time), a directory
// part-<start_ms> holding spans.log, the event store's log format (events/log_file.h:
// checksummed records). Each record is one block of up to kMaxSpansPerBlock spans
// (events/span_codec.h), zstd-compressed. In memory per partition: the dictionary, the
// block offsets, a trace-id hash table (trace -> blocks holding its spans) and the entry
// spans (SERVER spans and roots: service, name, route, start, duration, status, block)
// for the list queries. All of it is rebuilt from the logs on Open.
//
// Durability as the event store's (docs/events.md): Append returns after its records
// reached the logs through write(2) (they survive kill -9); a background thread fsyncs
// every `fsync_interval_ms` (0: Append fsyncs before returning). On error nothing of the
// batch is kept. A torn tail is truncated on Open; a corrupt record cuts the log there
// (the rest is saved as spans.log.corrupt-<offset>).
// Retention: partitions that ended before now - retention_ms are deleted whole.
//
// Tailing (ListPartitions, ReadBlocks): a block is identified by (partition start ms,
// block number); blocks are numbered in log order from 0, never change once published,
// and replay on Open rebuilds the same numbering.
//
// Thread safety: all public methods are thread-safe. Appends serialise on one mutex;
// queries run concurrently with appends.
#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/metrics.h"
#include "common/snapshot_files.h"
#include "common/status.h"
#include "events/span_reader.h"
#include "events/span_record.h"

namespace perfwatch::events {

struct SpanStoreOptions {
  int64_t retention_ms = 7LL * 24 * 3600 * 1000;
  int64_t fsync_interval_ms = 100;      // 0: fsync before every acknowledgement
  int64_t partition_ms = 3600 * 1000;   // one partition per hour
  int zstd_level = 3;
};

// For readers that tail the store (the ClickHouse forwarder, src/clickhouse/): every
// partition as of now, in time order, with its number of blocks (blocks [0, block_count)
// are appended and never change).
struct SpanPartitionView {
  std::shared_ptr<const void> partition;  // for ReadBlocks; keeps what ReadBlocks needs alive
  int64_t start_ms = 0;
  uint32_t block_count = 0;
};

struct SpanStoreStats {
  uint64_t spans = 0;
  uint64_t entry_spans = 0;
  uint64_t blocks = 0;
  uint64_t partitions = 0;
  uint64_t disk_bytes = 0;
  uint64_t memory_bytes = 0;  // heap held by the indexes and dictionaries
};

class SpanStore final : public SpanReader {
 public:
  // Opens (creating if needed) the store under `dir` and replays its logs.
  static Result<std::unique_ptr<SpanStore>> Open(std::filesystem::path dir, SpanStoreOptions options,
                                                 MetricsRegistry* metrics);
  ~SpanStore();
  SpanStore(const SpanStore&) = delete;
  SpanStore& operator=(const SpanStore&) = delete;

  // Starts the fsync and retention thread. Stop() fsyncs and joins it; idempotent.
  Status Start();
  void Stop();
  // otlp.span_retention at run time (a configuration reload; <= 0 keeps everything): the
  // next retention pass (at most a minute away with Start(), or EnforceRetention) uses it.
  void SetRetention(int64_t retention_ms);
  int64_t retention_ms() const;

  // Appends spans durably (see above). end < start is stored as a zero duration.
  Status Append(std::span<const SpanRecord> spans);
  Status Sync();
  // The store's logs as of now, pinned for a snapshot into `dest` (same layout as the
  // store's directory; common/snapshot_files.h). Taken under the append lock: whole batches
  // only. The caller copies them (CopyPinnedFiles) while appends go on.
  Result<std::vector<PinnedFile>> PinForSnapshot(const std::filesystem::path& dest) const;

  // The spans of one trace (at most `max_spans`, the earliest-starting when there are more),
  // ordered by start time; *total is how many are stored. Empty when unknown.
  Status GetTrace(const std::array<uint8_t, 16>& trace_id, size_t max_spans, std::vector<SpanRecord>* out,
                  uint64_t* total) const override;
  // Entry spans matching `query`, sorted and limited as it asks.
  Status ListEntrySpans(const SpanListQuery& query, std::vector<SpanRecord>* out) const override;

  // Every partition as of now, in time order (see SpanPartitionView). Cheap: no I/O.
  std::vector<SpanPartitionView> ListPartitions() const;
  // Decodes blocks [from_block, to_block) of `partition` (a handle from ListPartitions) in
  // block order: fn(block, spans of that block, in the order they were appended), spans
  // as Append stored them (end < start as a zero duration). The blocks are read and
  // decoded as GetTrace does; `fn` runs without the store's lock (it may call the store)
  // and `spans` is valid during the call only. InvalidArgument for a null handle or when
  // from_block > to_block or to_block is beyond the partition's current block count
  // (blocks published since ListPartitions are in range). A partition since dropped by
  // retention still reads: the handle keeps its log open. DataLoss / IoError when a block
  // cannot be read or decoded (fn has then been called for the blocks before it).
  Status ReadBlocks(const std::shared_ptr<const void>& partition, uint32_t from_block, uint32_t to_block,
                    const std::function<void(uint32_t block, std::span<const SpanRecord> spans)>& fn) const;

  // Drops partitions that ended before now - retention (also done periodically by Start()).
  Status EnforceRetention(int64_t now_ms);
  // events.fsync_interval at run time (a configuration reload; >= 0, else InvalidArgument):
  // appends from now on fsync by it; the background thread wakes at once, then waits by it.
  Status SetFsyncInterval(int64_t fsync_interval_ms);

  SpanStoreStats Stats() const;

 private:
  struct Impl;
  explicit SpanStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace perfwatch::events
