#pragma once
// The time-series store as the server sees it: the head plus its write-ahead log and the
// persisted blocks, opened from a data directory, with a background thread that fsyncs
// the log. Queries merge the blocks and the head (merge_querier.h).
//
// Flush() persists the head: under the head lock it swaps in a fresh, empty head (new
// series refs continue after the old head's) and cuts the WAL, so appends go on at once;
// the old head keeps answering queries while it is written into blocks, one per
// chunk_range window; once the blocks are durable the old head is dropped with the WAL
// segments and checkpoints that held its data. A crash in between replays those segments
// again: the samples are then in a block and in the head, and queries de-duplicate them.
// Out-of-order checks only see the head: a sample older than a series' flushed data is
// accepted into the new head (and merged in time order by queries).
//
// Layout under TsdbOptions::dir:
//   blocks/<id>/              persisted blocks (docs/format/blocks.md)
//   wal/00000001 ...          WAL segments (docs/format/wal.md)
//   wal/checkpoint.00000007/  snapshot of the head as of the end of segment 7 (same
//                             segment format; series, chunk and samples records), written
//                             when a WAL write error must be repaired
// Durability (DESIGN.md): AppendBatch returns after the batch's write(2) to the WAL, so an
// acknowledged batch survives kill -9; the WAL is fdatasync'ed every wal_fsync_interval
// (100 ms; 0 = after every batch, before AppendBatch returns).
//
// Open replays the newest checkpoint and the segments after it. A torn tail (incomplete or
// zero-filled record at the end of a segment) is truncated and logged; a record failing
// its checksum in the middle of a segment is reported (segment, offset, bytes dropped) and
// the segment truncated there (truncate-and-report); later segments are still replayed.
//
// Thread safety: thread-safe after Open. Start/Stop/Flush are serialised internally.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/metrics.h"
#include "common/status.h"
#include "tsdb/block_store.h"
#include "tsdb/change_tracker.h"
#include "tsdb/head.h"
#include "tsdb/querier.h"

namespace perfwatch::tsdb {

class WalWriter;

// Told about appends that reached the head, for event-driven rule evaluation
// (alert/rule_manager.h). Called on the appending thread after the WAL write, with the
// batch as the caller gave it (samples that were rejected or duplicates included); it
// must be fast, must not block and must not append to the store.
class AppendObserver {
 public:
  virtual ~AppendObserver() = default;
  // `refs[i]` is the series ref of batch[i] in the head of `head_generation` (0 when the
  // entry was rejected as a whole); refs are never reused, so they identify series.
  virtual void OnAppend(std::span<const SeriesSamples> batch, std::span<const SeriesRef> refs,
                        uint64_t head_generation) = 0;
  // Samples appended by ref (the scrape cache); `head` (of `head_generation`) resolves
  // the refs' labels.
  virtual void OnAppendRefs(std::span<const RefSample> batch, const Head& head, uint64_t head_generation) = 0;
};

struct TsdbOptions {
  std::filesystem::path dir;                              // created if missing
  std::chrono::milliseconds wal_fsync_interval{100};      // 0: fsync every batch
  uint64_t wal_segment_bytes = 128ull << 20;
  HeadOptions head;                                       // limits, chunk cutting
  int64_t out_of_order_window_ms = 0;                     // 0: none; overrides head's when > 0
  int64_t retention_ms = 30LL * 24 * 3600 * 1000;         // blocks older than this are deleted
  uint64_t max_block_bytes = 0;                           // oldest blocks go beyond this; 0 = no limit
  BlockStoreOptions blocks;
  // WAL segments a flush or checkpoint would delete but a reader still needs (SetWalHold)
  // are kept up to this many bytes in all; beyond, the oldest go. 0: nothing is held.
  uint64_t wal_hold_max_bytes = 4ull << 30;
  // How often the background thread checks whether to flush (head spans 1.5 chunk ranges,
  // or an hour passed: compaction and retention); 0 = never (tests, tools).
  std::chrono::milliseconds maintenance_interval{60'000};
};

// The options a configuration reload changes at run time (SetRuntimeOptions; TsdbOptions'
// values until then): limits for appends from then on, retention and max_block_bytes at
// the next maintenance flush, wal_hold_max_bytes at the next flush or checkpoint, the fsync
// interval at once.
struct TsdbRuntimeOptions {
  HeadLimits limits;
  int64_t retention_ms = 0;
  uint64_t max_block_bytes = 0;
  uint64_t wal_hold_max_bytes = 0;
  std::chrono::milliseconds wal_fsync_interval{0};
};

// What Open found in the WAL.
struct ReplayReport {
  uint32_t checkpoint = 0;            // segment index the loaded checkpoint covers (0: none)
  uint32_t segments = 0;              // segments replayed (checkpoint files included)
  uint64_t records = 0;
  uint64_t series = 0;
  uint64_t samples = 0;
  uint64_t orphan_samples = 0;        // samples of series with no series record (dropped)
  std::vector<std::string> problems;  // torn tails and corruption, "segment N offset O: ..."
  double seconds = 0;
};

class Tsdb {
 public:
  static Result<std::unique_ptr<Tsdb>> Open(TsdbOptions opts, MetricsRegistry* metrics);
  ~Tsdb();  // Stop()
  Tsdb(const Tsdb&) = delete;
  Tsdb& operator=(const Tsdb&) = delete;

  // Starts the fsync thread and the maintenance thread (background flushes, compaction,
  // retention). Stop() joins them and fsyncs once more; idempotent.
  Status Start();
  void Stop();

  // Head::AppendBatch (rules and status codes there), plus fsync when the interval is 0.
  // After a WAL write error (kIo), appends first retry a checkpoint and answer
  // Unavailable (503) until one succeeds, so nothing in the head is left unlogged.
  // `refs`: see Head::AppendBatch. Refs stay valid until a flush replaces the head
  // (head_generation() changes); AppendRefs reports refs it no longer knows.
  Status AppendBatch(std::span<const SeriesSamples> batch, AppendResult* result = nullptr,
                     std::span<SeriesRef> refs = {});
  // Head::AppendRefs with the same logging, fsync and change tracking as AppendBatch.
  Status AppendRefs(std::span<const RefSample> batch, AppendResult* result, std::vector<uint32_t>* unknown);
  // Changes whenever Flush swaps in a new head (series refs handed out before are gone).
  uint64_t head_generation() const { return head_generation_.load(std::memory_order_acquire); }
  // Blocks, the head being flushed (if any) and the head, merged; the returned querier and
  // its series sets keep the heads they read alive.
  std::unique_ptr<Querier> NewQuerier(int64_t mint, int64_t maxt) const;

  // Persists the head into blocks and drops the WAL that held it (see above), then
  // compacts blocks and applies retention. Returns when done.
  Status Flush();
  // Snapshots the head into a checkpoint covering the WAL up to the current segment and
  // drops the segments it covers, so replay stays short. Also how the log is repaired
  // after a write error (the snapshot captures what the log missed).
  Status Checkpoint();
  // fdatasync the WAL now.
  Status Sync();
  // A consistent copy of the store in `dest` (which must not exist), made of hard links:
  // under the flush lock (no flush, compaction or retention meanwhile) the WAL is cut
  // between two appends, then the blocks, the checkpoints and the closed segments are
  // linked. Opening `dest` replays the head as it was at the cut. `with_head` false
  // (Prometheus' skip_head) links the blocks only. Appends go on during the links.
  struct SnapshotStats {
    uint64_t files = 0;
    uint64_t bytes = 0;
    uint32_t blocks = 0;
  };
  Result<SnapshotStats> Snapshot(const std::filesystem::path& dest, bool with_head);

  // The current head (replaced by Flush: don't hold the reference across one).
  Head& head() { return *CurrentHead(); }
  const Head& head() const { return *CurrentHead(); }
  // The current head, kept alive by the pointer (safe across a concurrent Flush).
  std::shared_ptr<const Head> SharedHead() const { return CurrentHead(); }
  const BlockStore& blocks() const { return *blocks_; }
  const ReplayReport& replay_report() const { return replay_; }
  // What changed since when: for caches of query results.
  const ChangeTracker& changes() const { return changes_; }
  // Installs the one append observer (null removes it). The observer must stay valid until
  // it is removed; removal waits for calls in progress to return.
  void SetAppendObserver(AppendObserver* observer);
  // The options as opened (the reloadable ones as they were then: runtime_options()).
  const TsdbOptions& options() const { return opts_; }
  // InvalidArgument (naming the key) for negative retention or fsync interval.
  static Status CheckRuntimeOptions(const TsdbRuntimeOptions& o);
  // Applies `o` (see TsdbRuntimeOptions); a lowered max_series keeps the series the head
  // has and refuses new ones. Nothing changes when CheckRuntimeOptions fails.
  Status SetRuntimeOptions(const TsdbRuntimeOptions& o);
  TsdbRuntimeOptions runtime_options() const;
  // For a reader of the WAL that must not miss segments (remote write out,
  // docs/remote-write-out.md): `hold` returns the position up to which it has read
  // everything (segment 0: nothing yet, hold every segment). Flush and Checkpoint then keep
  // the segments from there on that they would delete, up to TsdbOptions::wal_hold_max_bytes
  // in all (the oldest beyond are deleted and counted in
  // perfwatch_tsdb_wal_held_segments_dropped_total). Replay skips them: an empty checkpoint
  // directory marks what the blocks already hold. `hold` is called from the flushing thread
  // with no TSDB lock held, so it must be thread-safe and must not call into the Tsdb. Null
  // removes the hold.
  struct WalReadPosition {
    uint32_t segment = 0;
    uint64_t offset = 0;  // bytes of `segment` read
  };
  void SetWalHold(std::function<WalReadPosition()> hold);

 private:
  Tsdb(TsdbOptions opts, MetricsRegistry* metrics);
  Status Replay();  // fills replay_, truncates torn/corrupt segments
  void SyncLoop();
  void MaintenanceLoop();
  std::shared_ptr<Head> CurrentHead() const;
  // AppendBatch/AppendRefs: the WAL repair check, `append` under the head lock, change
  // tracking (`min_t`: the batch's oldest timestamp) and the fsync policy.
  template <typename AppendFn>
  Status Append(int64_t min_t, AppendFn&& append);
  // Writes `head`'s samples into blocks, one per chunk_range window.
  Status PersistHead(const Head& head);
  // After a flush (`flush`) or a checkpoint of everything up to segment `covered`: deletes
  // the segments and checkpoints that replaces, except what the WAL hold keeps (then, after
  // a flush, an empty checkpoint.<covered> marks them as in blocks). Requires flush_mu_.
  Status DropCoveredWal(uint32_t covered, bool flush);

  const TsdbOptions opts_;
  std::unique_ptr<MetricsRegistry> own_metrics_;
  MetricsRegistry* const metrics_;
  const std::filesystem::path wal_dir_;
  std::unique_ptr<BlockStore> blocks_;
  std::unique_ptr<WalWriter> wal_;

  // Appends and queries take it shared; Flush takes it exclusively to swap heads.
  mutable std::shared_mutex head_mu_;
  std::shared_ptr<Head> head_;      // guarded by head_mu_
  std::shared_ptr<Head> flushing_;  // guarded by head_mu_: the head being persisted
  std::atomic<uint64_t> head_generation_{0};  // bumped under head_mu_ when head_ is replaced
  ReplayReport replay_;
  ChangeTracker changes_;
  // Appends read it under observer_mu_ shared; SetAppendObserver writes it exclusively.
  mutable std::shared_mutex observer_mu_;
  AppendObserver* observer_ = nullptr;  // guarded by observer_mu_
  std::atomic<bool> has_observer_{false};
  Counter* wal_fsyncs_;
  Counter* wal_fsync_errors_;
  Counter* wal_corruptions_;
  Counter* checkpoints_;

  // The reloadable options; limits also live in the current head (Head::SetLimits), the
  // fsync interval also in wal_fsync_interval_ms_ (read by every append).
  mutable std::mutex runtime_mu_;
  TsdbRuntimeOptions runtime_;  // guarded by runtime_mu_
  std::atomic<int64_t> wal_fsync_interval_ms_{0};

  std::mutex flush_mu_;  // serialises Flush
  std::function<WalReadPosition()> wal_hold_;  // guarded by flush_mu_
  Counter* wal_held_dropped_ = nullptr;
  // Set when a WAL write failed; cleared by a successful checkpoint (Flush), which every
  // AppendBatch attempts first while it is set.
  std::atomic<bool> wal_broken_{false};

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  bool started_ = false;            // guarded by mu_
  uint64_t sync_generation_ = 0;    // guarded by mu_: bumped when the fsync interval changes
  std::thread sync_thread_;         // guarded by mu_ (started/joined under it)
  std::thread maintenance_thread_;  // guarded by mu_ (started/joined under it)
};

}  // namespace perfwatch::tsdb
