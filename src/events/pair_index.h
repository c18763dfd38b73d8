#pragma once
// The replace-on-repeat index of one partition: maps a 32-bit hash of an event's
// (session_id, id) pair to the rows carrying that hash. Only the hash is kept; a hash
// match is a *candidate* that the caller confirms by reading the row's record from the
// log and comparing the strings, so collisions never merge distinct events.
//
// Layout (docs/events.md, "Replace-on-repeat"): a "recent" table in memory - a flat
// mmap'ed array of 8-byte slots (hash << 32 | row + 1; 0 = empty), linear probing, home
// slot = hash * capacity >> 32, grown by 1.5x up to 80% load, deletion by backward shift -
// holding at most `recent_cap` entries. When it is full its entries are SPILLED: sorted
// and written to a run file in the partition directory (events/pair_run.h), of which only
// a Bloom filter and a page table stay in memory (~1.5 bytes per entry). Runs are merged
// in tiers (`fan_in` runs of one tier make one run of the next), so a lookup probes
// O(log n) Bloom filters and reads one 4 KiB page from a run only when its filter says
// "maybe". A failed spill or merge loses nothing: the entries stay in memory (the table
// grows past its cap) and the spill is retried after another `recent_cap` inserts.
//
// Spilled entries are never rewritten: Replace(hash, old, new) with `old` spilled inserts
// (hash, new) into the recent table, and Erase of a spilled entry only reports it found.
// The superseded entry stays in its run, so the caller's `confirm` must reject rows that
// were replaced (the store checks the row's dead flag before reading the log).
//
// Run files are derived data: the constructor deletes any pairs-*.run left in `dir` (the
// store rebuilds the index by replaying the log), and they go with the directory.
//
// Thread safety: not thread-safe (the store uses it only under its append mutex), except
// MemoryBytes, which any thread may call.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "events/pair_run.h"

namespace perfwatch::events {

class PairIndex {
 public:
  static constexpr size_t kDefaultRecentCap = 65536;
  static constexpr size_t kDefaultFanIn = 4;

  // In memory only: never spills (tests, tools).
  PairIndex() = default;
  // Spills to run files in `dir` once `recent_cap` entries are in memory.
  explicit PairIndex(std::filesystem::path dir, size_t recent_cap = kDefaultRecentCap,
                     size_t fan_in = kDefaultFanIn);
  ~PairIndex();
  PairIndex(const PairIndex&) = delete;
  PairIndex& operator=(const PairIndex&) = delete;

  // Calls `confirm(row)` for each row stored under `hash` (the recent table first, then
  // runs from newest to oldest) until it returns true; returns that row.
  std::optional<uint32_t> Find(uint32_t hash, const std::function<bool(uint32_t row)>& confirm) const;
  void Insert(uint32_t hash, uint32_t row);
  // Replaces the entry (hash, old_row) by (hash, new_row); false if it was not found.
  bool Replace(uint32_t hash, uint32_t old_row, uint32_t new_row);
  // Removes the entry (hash, row) (a spilled one stays on disk, superseded); false if it
  // was not found.
  bool Erase(uint32_t hash, uint32_t row);

  // Entries indexed: in memory plus spilled (superseded spilled entries included).
  size_t size() const { return size_ + spilled_; }
  size_t recent_size() const { return size_; }
  size_t run_count() const { return runs_.size(); }
  // Spills or merges that failed, and run pages that could not be read (I/O error or
  // checksum mismatch: their entries are missed by lookups).
  uint64_t spill_failures() const { return spill_failures_; }
  uint64_t read_errors() const { return read_errors_; }
  // Bytes held in memory: recent table, Bloom filters, page tables, page buffer.
  // Safe to call from any thread.
  size_t MemoryBytes() const { return memory_bytes_.load(std::memory_order_relaxed); }
  // Issues prefetches for `hash`'s home slot and Bloom blocks (lookups in several partitions).
  void Prefetch(uint32_t hash) const;

 private:
  struct Run {
    std::unique_ptr<PairRun> run;
    uint64_t id;  // unique within this index (names the page buffer's contents)
    int tier;
  };
  struct PageBuffer {
    uint64_t run_id = 0;  // 0: empty
    size_t page = 0;
    uint32_t n = 0;
    uint64_t entries[PairRun::kPageEntries];
  };

  size_t Home(uint32_t hash) const { return (static_cast<uint64_t>(hash) * capacity_) >> 32; }
  size_t FindSlot(uint32_t hash, uint32_t row) const;  // capacity_ when absent
  void Grow();
  void Spill();
  void MergeTiers();
  bool SpilledContains(uint32_t hash, uint32_t row) const;
  // Entries of page `page` of `r` (through the one-page buffer); nullptr on read error.
  const PageBuffer* LoadPage(const Run& r, size_t page) const;
  std::filesystem::path RunPath(uint64_t id) const;
  void UpdateMemory() const;

  // Recent table.
  uint64_t* slots_ = nullptr;
  size_t capacity_ = 0;
  size_t size_ = 0;
  // Spilling (disabled when dir_ is empty).
  std::filesystem::path dir_;
  size_t recent_cap_ = 0;
  size_t full_capacity_ = 0;  // table capacity that holds recent_cap_ entries
  size_t fan_in_ = kDefaultFanIn;
  size_t next_spill_at_ = 0;
  std::vector<Run> runs_;  // oldest first; tiers never increase towards the newest
  uint64_t next_run_id_ = 1;
  size_t spilled_ = 0;
  uint64_t spill_failures_ = 0;
  mutable uint64_t read_errors_ = 0;
  mutable std::unique_ptr<PageBuffer> page_;
  mutable std::atomic<size_t> memory_bytes_{0};
};

}  // namespace perfwatch::events
