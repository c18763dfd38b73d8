#pragma once
// The replace-on-repeat index of one partition: maps a 32-bit hash of an event's
// (session_id, id) pair to the rows carrying that hash. Only the hash is kept in memory;
// a hash match is a *candidate* that the caller confirms by reading the row's record
// from the log and comparing the strings, so collisions never merge distinct events.
//
// Layout: one flat array of 8-byte slots (hash << 32 | row + 1; 0 = empty), linear
// probing, home slot = hash * capacity >> 32, grown by 1.5x at 80% load, deletion by
// backward shift (no tombstones). The array is mmap'ed so that growth returns memory to
// the OS at once. About 8 / load = 10-15 bytes per indexed event.
//
// Thread safety: not thread-safe; the store uses it only under its append mutex.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>

namespace perfwatch::events {

class PairIndex {
 public:
  PairIndex() = default;
  ~PairIndex();
  PairIndex(const PairIndex&) = delete;
  PairIndex& operator=(const PairIndex&) = delete;

  // Calls `confirm(row)` for each row stored under `hash` until it returns true; returns
  // that row.
  std::optional<uint32_t> Find(uint32_t hash, const std::function<bool(uint32_t row)>& confirm) const;
  void Insert(uint32_t hash, uint32_t row);
  // Replaces the entry (hash, old_row) by (hash, new_row); false if it was not found.
  bool Replace(uint32_t hash, uint32_t old_row, uint32_t new_row);
  // Removes the entry (hash, row); false if it was not found.
  bool Erase(uint32_t hash, uint32_t row);

  size_t size() const { return size_; }
  // Safe to call from any thread (reads an atomic mirror of the capacity).
  size_t MemoryBytes() const { return memory_bytes_.load(std::memory_order_relaxed); }
  // Issues a prefetch for the home slot of `hash` (lookups in several partitions).
  void Prefetch(uint32_t hash) const;

 private:
  size_t Home(uint32_t hash) const { return (static_cast<uint64_t>(hash) * capacity_) >> 32; }
  size_t FindSlot(uint32_t hash, uint32_t row) const;  // capacity_ when absent
  void Grow();

  uint64_t* slots_ = nullptr;
  size_t capacity_ = 0;
  size_t size_ = 0;
  std::atomic<size_t> memory_bytes_{0};
};

}  // namespace perfwatch::events
