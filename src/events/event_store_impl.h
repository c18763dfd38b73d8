#pragma once
// EventStore's private state, shared by event_store.cc (open, append, retention,
// background thread), event_store_replay.cc (replay on open) and event_store_read.cc
// (ScanVitals, Export). Not a public header.
//
// Locking (order: append_mu -> state_mu):
//  - append_mu serialises every mutation: Append, EnforceRetention, and replay (which runs
//    before the store is shared). The pair indexes are touched only under it.
//  - state_mu (shared_mutex) guards what readers see: the partition map and, inside each
//    partition, rows, dead flags, dictionary and combos. Mutators hold it exclusively for
//    the short in-memory steps only (never across write(2) or fsync); ScanVitals and
//    Export hold it shared, Export only per ~64 KiB output chunk (never while calling the
//    sink). Holders of append_mu may read partition state without state_mu.
//  - Log writers: Write/Truncate under append_mu; Sync from any thread.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "events/event_store.h"
#include "events/partition.h"

namespace perfwatch::events {

struct EventStore::Impl {
  // ---- immutable after Open
  std::filesystem::path dir;
  EventsConfig config;
  std::unique_ptr<MetricsRegistry> own_metrics;  // when Open was given none
  Counter* appended = nullptr;
  Counter* replaced = nullptr;
  Counter* fsyncs = nullptr;
  Counter* replay_truncations = nullptr;
  Gauge* stored_gauge = nullptr;
  Gauge* partitions_gauge = nullptr;
  Gauge* disk_bytes_gauge = nullptr;

  // ---- reloadable (SetPolicies); `config` keeps the values Open was given
  std::atomic<int64_t> retention_ms{0};
  std::atomic<int64_t> fsync_interval_ms{0};

  // ---- counters readable without locks
  std::atomic<uint64_t> stored_events{0};  // live rows over all partitions
  std::atomic<uint64_t> disk_bytes{0};     // sum of log sizes
  std::atomic<uint64_t> replaced_since_start{0};

  std::mutex append_mu;
  uint64_t next_seq = 1;  // guarded by append_mu
  // Append scratch, guarded by append_mu (reused so appends do not allocate).
  struct Touched {
    Partition* partition;
    Partition::Mark mark;
    uint64_t log_size_before;
    std::string buf;
  };
  std::vector<Touched> touched;
  std::vector<uint32_t> ev_touched, ev_offset, ev_combo;
  std::string scratch;

  mutable std::shared_mutex state_mu;
  std::map<int64_t, std::shared_ptr<Partition>> partitions;  // by start_ms; guarded by state_mu

  // ---- background thread
  std::mutex bg_mu;
  std::condition_variable bg_cv;
  bool bg_stop = false;  // guarded by bg_mu
  bool bg_policies_changed = false;  // guarded by bg_mu: SetPolicies wants a pass now
  std::mutex lifecycle_mu;  // serialises Start/Stop
  std::thread bg;           // guarded by lifecycle_mu
  std::function<Status(int64_t now_ms)> retention_fn;  // EventStore::EnforceRetention; set by Start

  // Helpers (definitions in event_store.cc unless noted).
  // The partition that must hold time t, creating it (directory + log) if needed.
  // Requires append_mu.
  Result<Partition*> PartitionFor(int64_t t);
  // Looks for a stored event with this pair in every partition (p first) and, if found,
  // marks it dead and moves the index entry to (p, row); else indexes (p, row). A repeat
  // whose time is earlier than the stored event's is marked dead itself instead.
  // Requires append_mu and exclusive state_mu. Returns true when the pair was a repeat.
  bool ApplyPair(Partition* p, uint32_t row, std::string_view session_id, std::string_view id);
  void UpdateGauges();
  Status SyncAll();
  void BackgroundLoop();
  // Replays every partition under `dir` (event_store_replay.cc).
  Status Replay();
};

// "part-<start_ms>"
std::string PartitionDirName(int64_t start_ms);

}  // namespace perfwatch::events
