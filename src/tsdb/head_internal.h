#pragma once
// Internals of the head shared by head.cc, head_append.cc, head_read.cc and head_wal.cc:
// the in-memory series, the shards and the ref -> series table.
// Thread safety: as documented per field (the shard mutex guards its series' samples).
#include <atomic>
#include <climits>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <unordered_map>
#include <vector>

#include "tsdb/chunk.h"
#include "tsdb/head.h"
#include "tsdb/packed_labels.h"

namespace perfwatch::tsdb {

struct HeadChunk {
  int64_t mint = 0;
  int64_t maxt = 0;
  uint32_t num_samples = 0;
  std::vector<uint8_t> bytes;
};

struct Head::MemSeries {
  // Immutable after creation.
  SeriesRef ref = 0;
  uint64_t hash = 0;
  uint32_t shard = 0;
  PackedLabels labels;  // sorted by name

  // Guarded by the shard mutex.
  std::vector<HeadChunk> chunks;  // sealed, oldest first
  std::unique_ptr<ChunkAppender> open;
  int64_t open_mint = 0;
  int64_t open_end = 0;  // first timestamp that must go to a new chunk
  int64_t first_t = INT64_MAX;
  int64_t last_t = INT64_MIN;
  uint64_t last_bits = 0;
  std::vector<Sample> ooo;   // accepted out-of-order samples (within the window), sorted
  std::vector<Sample> late;  // replay only: samples older than last_t, merged at the end

  bool empty() const { return first_t == INT64_MAX; }
};

// A shard: its lock, an open-addressing table (label hash -> series, linear probing, at
// most half full) and the series it owns.
struct alignas(64) Head::Shard {
  struct Slot {
    uint64_t hash = 0;
    MemSeries* series = nullptr;  // null: empty slot
  };
  std::mutex mu;
  std::vector<Slot> slots;                          // guarded by mu; size is a power of two
  std::vector<std::unique_ptr<MemSeries>> series;  // guarded by mu (owner)

  size_t Home(uint64_t hash) const { return static_cast<size_t>(hash) & (slots.size() - 1); }
  void Insert(uint64_t hash, MemSeries* s) {
    if ((series.size() + 1) * 2 > slots.size()) Grow();
    size_t i = Home(hash);
    while (slots[i].series) i = (i + 1) & (slots.size() - 1);
    slots[i] = Slot{hash, s};
  }
  void Grow() {
    std::vector<Slot> old = std::move(slots);
    slots.assign(old.empty() ? 64 : old.size() * 2, Slot{});
    for (const Slot& o : old) {
      if (!o.series) continue;
      size_t i = Home(o.hash);
      while (slots[i].series) i = (i + 1) & (slots.size() - 1);
      slots[i] = o;
    }
  }
};

// ref -> series, readable without locks: a fixed top-level array of lazily allocated
// blocks of atomic pointers.
class Head::SeriesTable {
 public:
  static constexpr int kBlockBits = 12;
  static constexpr size_t kBlockSize = size_t{1} << kBlockBits;
  static constexpr size_t kMaxBlocks = size_t{1} << 16;  // 268 M refs

  SeriesTable() : blocks_(new std::atomic<Block*>[kMaxBlocks]) {
    for (size_t i = 0; i < kMaxBlocks; ++i) blocks_[i].store(nullptr, std::memory_order_relaxed);
  }
  ~SeriesTable() {
    for (size_t i = 0; i < kMaxBlocks; ++i) delete blocks_[i].load(std::memory_order_relaxed);
  }
  MemSeries* Get(SeriesRef ref) const {
    size_t b = ref >> kBlockBits;
    if (b >= kMaxBlocks) return nullptr;
    Block* block = blocks_[b].load(std::memory_order_acquire);
    return block ? block->slots[ref & (kBlockSize - 1)].load(std::memory_order_acquire) : nullptr;
  }
  bool Set(SeriesRef ref, MemSeries* s) {
    size_t b = ref >> kBlockBits;
    if (b >= kMaxBlocks) return false;
    Block* block = blocks_[b].load(std::memory_order_acquire);
    if (!block) {
      std::lock_guard lock(mu_);
      block = blocks_[b].load(std::memory_order_acquire);
      if (!block) {
        block = new Block();
        blocks_[b].store(block, std::memory_order_release);
      }
    }
    block->slots[ref & (kBlockSize - 1)].store(s, std::memory_order_release);
    return true;
  }

 private:
  struct Block {
    Block() {
      for (auto& s : slots) s.store(nullptr, std::memory_order_relaxed);
    }
    std::atomic<MemSeries*> slots[kBlockSize];
  };
  std::unique_ptr<std::atomic<Block*>[]> blocks_;
  std::mutex mu_;  // serialises block allocation
};

inline uint32_t ShardOf(uint64_t hash) { return static_cast<uint32_t>(hash >> (64 - kHeadShardBits)); }

}  // namespace perfwatch::tsdb
