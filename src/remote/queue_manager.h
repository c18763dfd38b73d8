#pragma once
// Forwarding of every sample the TSDB stores to Prometheus remote-write receivers
// (`remote_write:`, docs/remote-write-out.md), reading the head's WAL as Prometheus'
// storage/remote does.
//
// One RemoteQueue per receiver, with one reader thread: it reads samples from the WAL
// (wal_reader.h) in rounds of at most queue_config.capacity samples (whole records), a
// round ending early when the reader has caught up and the round holds
// max_samples_per_send samples or its first sample is batch_send_deadline old. A round is
// split by series over N shards (N = the round's batches, between min_shards and
// min(max_shards, kMaxShardThreads)), so a series' samples stay in order; each shard sends
// its batches of max_samples_per_send samples in order from its own thread (remote-write
// 1.0: snappy-compressed WriteRequest protobuf). 429, 5xx and connection errors are retried
// with exponential backoff (min_backoff doubling up to max_backoff) until they succeed or
// the queue stops; other 4xx answers drop the batch (counted as failed).
//
// Progress (`<data_dir>/remote_write/<remote name>/progress`): the WAL position up to which
// everything was acknowledged, plus the round in flight and how many batches each shard
// had acknowledged; written (write + rename) after an acknowledged batch at most every
// 100 ms, when a round completes (durably, with fsync, at most once a second), and
// durably when a stop interrupts a round. A restart re-reads the unfinished round from the
// same position with the same split and sends only the batches not yet acknowledged, so
// nothing is lost or doubled across a clean restart; a crash sends again the batches
// acknowledged since the last write (at most 100 ms of them: at least once).
//
// ApplyConfigs (a configuration reload) changes the set of remotes while running: an
// unchanged remote keeps its queue; a changed one (any key, or what its secret files hold)
// is stopped and a new queue resumes from its saved progress, so nothing is lost or sent
// twice; a removed one stops and no longer holds the WAL.
//
// Thread safety: Start/Stop/ApplyConfigs from one thread; Stats, size and
// OldestPositionNeeded are thread-safe.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/metrics.h"
#include "common/status.h"
#include "remote/relabel.h"
#include "remote/remote_config.h"
#include "remote/wal_reader.h"
#include "tsdb/tsdb.h"

namespace perfwatch::remote {

struct ForwarderOptions {
  std::filesystem::path wal_dir;         // <data_dir>/tsdb/wal
  std::filesystem::path state_dir;       // <data_dir>/remote_write
  std::string user_agent = "perfwatch";  // "perfwatch/<version>"
  int64_t poll_interval_ms = 50;         // how often a caught-up reader looks for new records
  int64_t unknown_ref_grace_ms = 2'000;
  // The forwarder's threads run this many nice steps below the thread that started it (at
  // most 19; 0: as it): ingest first, see docs/remote-write-out.md#cpu-and-priority.
  int nice = 10;
};

// What a remote has done, for /metrics and tests.
struct RemoteStats {
  uint64_t samples_sent = 0;
  uint64_t samples_failed = 0;
  uint64_t samples_dropped = 0;   // write_relabel_configs drops
  uint64_t samples_retried = 0;
  uint64_t samples_pending = 0;
  uint64_t batches_sent = 0;
  uint64_t wal_segments_skipped = 0;
  uint64_t unknown_series_samples = 0;
  double highest_read_timestamp_s = 0;
  double highest_sent_timestamp_s = 0;
  int shards = 0;
};

class RemoteQueue;

class RemoteWriteForwarder {
 public:
  // Compiles relabel rules and reads secret files; registers each remote's
  // prometheus_remote_storage_* metrics in `metrics` (null: a private registry).
  static Result<std::unique_ptr<RemoteWriteForwarder>> Create(std::vector<RemoteWriteConfig> configs,
                                                              ForwarderOptions options, MetricsRegistry* metrics);
  ~RemoteWriteForwarder();  // Stop()

  void Start();
  // Stops reading and sending (retries are abandoned; the round in flight resumes at the
  // next start). Idempotent.
  void Stop();

  // Reload: the remotes of `configs`, matched by RemoteName() (see above). Every queue is
  // prepared (relabel rules, URL, secret files) before any changes: on error nothing does.
  // While a changed remote's new queue has not read its progress it holds the whole WAL.
  Status ApplyConfigs(std::vector<RemoteWriteConfig> configs);
  // ApplyConfigs in two steps, so a reload can check everything before it changes anything:
  // PrepareConfigs can fail and changes nothing; CommitConfigs cannot fail.
  using PreparedQueues = std::vector<std::shared_ptr<RemoteQueue>>;
  Result<PreparedQueues> PrepareConfigs(std::vector<RemoteWriteConfig> configs) const;
  void CommitConfigs(PreparedQueues prepared);

  size_t size() const;
  RemoteStats Stats(size_t i) const;
  std::vector<std::string> Names() const;  // RemoteName() of each queue, in order
  // The lowest committed WAL position of the remotes (everything before it is
  // acknowledged; segment 0: nothing yet, e.g. before a progress file is loaded), for
  // Tsdb::SetWalHold. Thread-safe.
  tsdb::Tsdb::WalReadPosition OldestPositionNeeded() const;

 private:
  RemoteWriteForwarder() = default;
  static Result<std::unique_ptr<RemoteQueue>> MakeQueue(RemoteWriteConfig config,
                                                        const ForwarderOptions& options,
                                                        MetricsRegistry* metrics);
  std::unique_ptr<MetricsRegistry> own_metrics_;  // when Create was given none
  MetricsRegistry* metrics_ = nullptr;
  ForwarderOptions options_;
  bool started_ = false;   // controlling thread only
  mutable std::mutex mu_;  // guards queues_ (ApplyConfigs replaces it)
  std::vector<std::shared_ptr<RemoteQueue>> queues_;
};

}  // namespace perfwatch::remote
