#pragma once
// The time-series store as the server sees it: the head plus its write-ahead log, opened
// from a data directory, with a background thread that fsyncs the log. Persisted blocks,
// compaction and retention (issue 4, part 4) will hang off this object; today Flush()
// writes a WAL checkpoint (a snapshot of the head) and drops the segments it covers.
//
// Layout under TsdbOptions::dir:
//   wal/00000001 ...          WAL segments (docs/format/wal.md)
//   wal/checkpoint.00000007/  snapshot of the head as of the end of segment 7 (same
//                             segment format; series, chunk and samples records)
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
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/metrics.h"
#include "common/status.h"
#include "tsdb/head.h"
#include "tsdb/querier.h"

namespace perfwatch::tsdb {

class WalWriter;

struct TsdbOptions {
  std::filesystem::path dir;                              // created if missing
  std::chrono::milliseconds wal_fsync_interval{100};      // 0: fsync every batch
  uint64_t wal_segment_bytes = 128ull << 20;
  HeadOptions head;                                       // limits, chunk cutting
  int64_t out_of_order_window_ms = 0;                     // 0: none; overrides head's when > 0
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

  // Starts the fsync thread. Stop() joins it and fsyncs once more; idempotent.
  Status Start();
  void Stop();

  // Head::AppendBatch (rules and status codes there), plus fsync when the interval is 0.
  // After a WAL write error (kIo), appends first retry a checkpoint and answer
  // Unavailable (503) until one succeeds, so nothing in the head is left unlogged.
  Status AppendBatch(std::span<const SeriesSamples> batch, AppendResult* result = nullptr);
  std::unique_ptr<Querier> NewQuerier(int64_t mint, int64_t maxt) const { return head_->NewQuerier(mint, maxt); }

  // Today: checkpoint the WAL (snapshot the head, fsync, drop covered segments). Returns
  // when done. With blocks: persist the head into blocks, then checkpoint.
  Status Flush();
  // fdatasync the WAL now.
  Status Sync();

  Head& head() { return *head_; }
  const Head& head() const { return *head_; }
  const ReplayReport& replay_report() const { return replay_; }
  const TsdbOptions& options() const { return opts_; }

 private:
  Tsdb(TsdbOptions opts, MetricsRegistry* metrics);
  Status Replay();  // fills replay_, truncates torn/corrupt segments
  void SyncLoop();

  const TsdbOptions opts_;
  std::unique_ptr<MetricsRegistry> own_metrics_;
  MetricsRegistry* const metrics_;
  const std::filesystem::path wal_dir_;
  std::unique_ptr<Head> head_;
  std::unique_ptr<WalWriter> wal_;
  ReplayReport replay_;
  Counter* wal_fsyncs_;
  Counter* wal_fsync_errors_;
  Counter* wal_corruptions_;
  Counter* checkpoints_;

  std::mutex flush_mu_;  // serialises Flush
  // Set when a WAL write failed; cleared by a successful checkpoint (Flush), which every
  // AppendBatch attempts first while it is set.
  std::atomic<bool> wal_broken_{false};

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread sync_thread_;  // guarded by mu_ (started/joined under it)
};

}  // namespace perfwatch::tsdb
