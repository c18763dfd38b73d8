#pragma once
// Budget check runs kept by the server (tracker issue 17 item 3; docs/budget-runs.md):
// each run's JSON (the `perfwatch budget check --format json` result plus its "id") with
// the fields it is listed by (app, branch, commit, build id, time). Durable and reloaded
// on start; capped at the newest `max_runs` (10,000) by run time.
//
// Layout under `dir` (data_dir/budget-runs): runs.log, one record per run in the event
// store's log format (events/log_file.h: checksummed records; a torn tail is truncated at
// the last good record on open, a corrupt record in the middle is an error). Evicted runs
// stay in the file until it holds `max_runs` dead records, then it is rewritten with the
// kept runs only (runs.log.compact, fsynced, renamed over runs.log; a leftover
// runs.log.compact from a crash is deleted on open). Reopening keeps the same newest
// `max_runs`, so eviction needs no tombstones.
//
// Memory: an index entry per kept run (about 200 bytes); the run JSON stays on disk and is
// read (pread) when listed.
// Durability: Add returns after write(2) and fdatasync of the record (acknowledged runs
// survive kill -9 and power loss). On error nothing is kept (the log is truncated back).
//
// Thread safety: all public methods are thread-safe; Add serialises, List takes a shared
// lock and may run concurrently with other Lists.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "common/snapshot_files.h"
#include "common/status.h"

namespace perfwatch::events {
class LogWriter;
}  // namespace perfwatch::events

namespace perfwatch::budget {

// A run to store: what it is listed by, and its JSON object without "id" (an object with at
// least one member, e.g. {"app":"shop",...}; the store puts "id" first).
struct NewRun {
  std::string app;       // required
  std::string branch;    // may be empty
  std::string commit;    // may be empty
  std::string build_id;  // may be empty
  int64_t time_ms = 0;   // the run's time (unix ms); orders and caps the runs
  std::string json;
};

struct RunFilter {
  std::string app{};     // empty: any
  std::string branch{};  // empty: any
  std::string commit{};  // empty: any; else equal, or a prefix of at least 7 characters (short SHA)
  std::string build_id{};  // empty: any
  size_t limit = 0;      // 0: no limit
};

struct RunStoreOptions {
  size_t max_runs = 10000;  // the newest kept (by time, then arrival); at least 1
};

class RunStore {
 public:
  static constexpr size_t kMaxFieldBytes = 256;       // app, branch, commit, build_id
  static constexpr size_t kMaxJsonBytes = 1u << 20;   // one run's JSON

  // Opens (creating when missing) the store under `dir` and indexes every kept run.
  static Result<std::unique_ptr<RunStore>> Open(const std::filesystem::path& dir, RunStoreOptions options = {});
  ~RunStore();
  RunStore(const RunStore&) = delete;
  RunStore& operator=(const RunStore&) = delete;

  // Validates `run` (app set; fields and JSON within limits; JSON an object), assigns an id
  // (16 lower-case hex digits, unique), writes and fsyncs it, then evicts the oldest runs
  // beyond max_runs (possibly this one, when it is older than all kept runs). Returns the id.
  Result<std::string> Add(NewRun run);
  // The log as of now, pinned for a snapshot into `dest` (events/log_file.h PinLog).
  Result<std::vector<PinnedFile>> PinForSnapshot(const std::filesystem::path& dest) const;

  // The JSON of the runs matching `filter` ({"id":...,<the stored members>}), newest first
  // (by time, then arrival). Fails only when the file cannot be read.
  Result<std::vector<std::string>> List(const RunFilter& filter) const;

  size_t size() const;
  // Records in runs.log, kept and evicted (tests: compaction).
  size_t records_in_file() const;

 private:
  struct Entry {
    std::string id, app, branch, commit, build_id;
    int64_t time_ms = 0;
    uint64_t seq = 0;          // arrival order (file order on open)
    uint64_t json_offset = 0;  // where the JSON (with id) starts in runs.log
    uint32_t json_size = 0;
  };
  static bool Before(const Entry& a, const Entry& b);
  static bool Matches(const Entry& e, const RunFilter& f);

  RunStore(std::filesystem::path dir, RunStoreOptions options, std::unique_ptr<events::LogWriter> writer,
           std::vector<Entry> runs, size_t records_in_file, uint64_t next_seq);
  // Drops the oldest runs beyond max_runs; rewrites the file when it holds max_runs dead
  // records (failures are logged: the old file stays valid).
  void EvictLocked();
  Status CompactLocked();

  const std::filesystem::path dir_;
  const RunStoreOptions options_;
  mutable std::shared_mutex mu_;
  std::unique_ptr<events::LogWriter> writer_;  // guarded by mu_ (exclusive to write or replace)
  std::vector<Entry> runs_;                    // sorted by (time_ms, seq); guarded by mu_
  std::unordered_set<std::string> ids_;        // ids of runs_; guarded by mu_
  size_t records_in_file_ = 0;                 // guarded by mu_
  uint64_t next_seq_ = 0;                      // guarded by mu_
  Status write_error_;                         // set when a compaction could not reopen; guarded by mu_
};

}  // namespace perfwatch::budget
