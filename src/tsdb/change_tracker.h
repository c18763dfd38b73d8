#pragma once
// ChangeTracker: which time ranges of the store changed since a moment. Every append
// records the oldest sample timestamp it carried; a cache of query results (query/
// promql_cache.h) notes the epoch before it evaluates and later asks whether anything
// appended since then could change data at or before the query's end time. Appends of
// new data (later than every cached query's end) leave cached results valid, which is
// the common case: scrapes and remote write append "now", dashboards look at the past.
// Retention deleting blocks changes everything (InvalidateAll).
//
// Recent appends are kept in a ring of kHistory entries; an epoch older than the ring
// answers "changed" (correct, just a cache miss).
// Thread safety: thread-safe; one mutex guards the ring.
#include <array>
#include <cstdint>
#include <mutex>

namespace perfwatch::tsdb {

class ChangeTracker {
 public:
  static constexpr size_t kHistory = 4096;

  // The epoch to note before reading the store.
  uint64_t epoch() const;
  // An append stored samples at timestamps >= min_t.
  void Record(int64_t min_t);
  // Data anywhere may have changed (retention deleted blocks).
  void InvalidateAll();
  // True when nothing recorded after `epoch` touched data at or before `t`.
  bool UnchangedSince(uint64_t epoch, int64_t t) const;

 private:
  mutable std::mutex mu_;
  uint64_t epoch_ = 0;                        // guarded by mu_: appends recorded so far
  uint64_t invalidated_at_ = 0;               // guarded by mu_: epoch of the last InvalidateAll
  std::array<int64_t, kHistory> min_t_{};     // guarded by mu_: min_t of append e at [e % kHistory]
};

}  // namespace perfwatch::tsdb
