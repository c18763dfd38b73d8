#pragma once
// Internals of the head shared by head.cc, head_append.cc, head_read.cc and head_wal.cc:
// the in-memory series, the shards and the ref -> series table.
// Thread safety: as documented per field (the shard mutex guards its series' samples).
#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <new>
#include <span>
#include <unordered_map>
#include <vector>

#include "tsdb/chunk.h"
#include "tsdb/head.h"
#include "tsdb/head_chunk.h"
#include "tsdb/head_symbols.h"

namespace perfwatch::tsdb {

inline uint32_t ShardOf(uint64_t hash) { return static_cast<uint32_t>(hash >> (64 - kHeadShardBits)); }


struct HeadChunk {
  int64_t mint = 0;
  int64_t maxt = 0;
  uint32_t num_samples = 0;
  std::vector<uint8_t> bytes;
};

// What only some series need, allocated on first use: sealed chunks (a series with more
// than chunk_max_samples samples or older than a chunk range), out-of-order samples.
struct HeadSeriesCold {
  std::vector<HeadChunk> chunks;  // sealed, oldest first
  std::vector<Sample> ooo;        // accepted out-of-order samples (within the window), sorted
  std::vector<Sample> late;       // replay only: samples older than last_t, merged at the end
};

// One series: 88 bytes, stored in its shard's SeriesBlocks (no allocation of its own), plus its
// label encoding (shard's LabelArena) and open chunk buffer.
struct Head::MemSeries {
  // Immutable after creation (the label hash is in the shard's table; the shard index in
  // open.owner_byte).
  SeriesRef ref = 0;
  const uint8_t* labels = nullptr;  // head_symbols.h encoding, sorted by name

  // Guarded by the shard mutex.
  OpenChunk open;  // its last sample is (last_t, last_bits) when it has samples
  int64_t open_mint = 0;  // first timestamp of the open chunk
  int64_t first_t = INT64_MAX;
  int64_t last_t = INT64_MIN;
  uint64_t last_bits = 0;
  std::unique_ptr<HeadSeriesCold> cold;

  uint32_t shard() const { return open.owner_byte; }
  bool empty() const { return first_t == INT64_MAX; }
  bool has_open() const { return open.num_samples() > 0; }
  std::span<const HeadChunk> chunks() const { return cold ? std::span<const HeadChunk>(cold->chunks) : std::span<const HeadChunk>(); }
  std::span<const Sample> ooo() const { return cold ? std::span<const Sample>(cold->ooo) : std::span<const Sample>(); }
  HeadSeriesCold& Cold() {
    if (!cold) cold = std::make_unique<HeadSeriesCold>();
    return *cold;
  }
};

static_assert(sizeof(Head::MemSeries) <= 88, "a head series' struct grew: see docs/tsdb.md (memory per series)");

// A shard's series, in blocks that never move (8, 16, ... 256 series each), so a series
// costs no allocation of its own.
class SeriesBlocks {
 public:
  Head::MemSeries& emplace_back() {
    if (blocks_.empty() || last_used_ == last_size_) {
      last_size_ = blocks_.empty() ? 8 : std::min<uint32_t>(last_size_ * 2, 256);
      blocks_.push_back(std::make_unique<Head::MemSeries[]>(last_size_));
      last_used_ = 0;
    }
    ++size_;
    return blocks_.back()[last_used_++];
  }
  size_t size() const { return size_; }
  template <typename F>
  void ForEach(F&& f) const {
    for (size_t b = 0; b < blocks_.size(); ++b) {
      const uint32_t n = b + 1 == blocks_.size() ? last_used_ : (b < 5 ? 8u << b : 256u);
      for (uint32_t i = 0; i < n; ++i) f(static_cast<const Head::MemSeries&>(blocks_[b][i]));
    }
  }

 private:
  std::vector<std::unique_ptr<Head::MemSeries[]>> blocks_;
  uint32_t last_size_ = 0;
  uint32_t last_used_ = 0;
  size_t size_ = 0;
};

// A shard: its lock, an open-addressing table (label hash -> series, linear probing, at
// most half full) and the series it owns. A slot is 8 bytes: the series pointer (x86-64 /
// AArch64 user addresses fit in 48 bits) under 16 tag bits of the label hash (bits 32-47:
// the shard index takes the top bits, the home slot the low ones), so a probe rejects
// other series without touching them. Growing recomputes each series' hash from its labels.
struct alignas(64) Head::Shard {
  struct Slot {
    uint64_t bits = 0;  // 0: empty slot
    static uint64_t Tag(uint64_t hash) { return (hash >> 32) & 0xFFFF; }
    bool empty() const { return bits == 0; }
    bool TagMatches(uint64_t hash) const { return (bits >> 48) == Tag(hash); }
    MemSeries* series() const { return reinterpret_cast<MemSeries*>(bits & ((uint64_t{1} << 48) - 1)); }
    static Slot Make(uint64_t hash, MemSeries* s) {
      if (reinterpret_cast<uintptr_t>(s) >> 48) std::abort();  // no such user-space address on Linux
      return Slot{(Tag(hash) << 48) | static_cast<uint64_t>(reinterpret_cast<uintptr_t>(s))};
    }
  };
  static_assert(sizeof(Slot) == 8);
  std::mutex mu;
  std::vector<Slot> slots;       // guarded by mu; size is a power of two
  SeriesBlocks series;           // guarded by mu (owner; elements never move)
  LabelArena label_arena;        // guarded by mu

  size_t Home(uint64_t hash) const { return static_cast<size_t>(hash) & (slots.size() - 1); }
  // `hash_of(const MemSeries&)` recomputes a series' label hash (on growth only).
  template <typename HashOf>
  void Insert(uint64_t hash, MemSeries* s, HashOf&& hash_of) {
    if (series.size() * 2 > slots.size()) Grow(hash_of);
    size_t i = Home(hash);
    while (!slots[i].empty()) i = (i + 1) & (slots.size() - 1);
    slots[i] = Slot::Make(hash, s);
  }
  template <typename HashOf>
  void Grow(HashOf&& hash_of) {
    std::vector<Slot> old = std::move(slots);
    slots.assign(old.empty() ? 64 : old.size() * 2, Slot{});
    for (const Slot& o : old) {
      if (o.empty()) continue;
      size_t i = Home(hash_of(*o.series()));
      while (!slots[i].empty()) i = (i + 1) & (slots.size() - 1);
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

  // The top-level array (512 KiB) comes zeroed from calloc, i.e. untouched pages from the
  // kernel: a head with few series does not pay for it in RSS or in start-up time.
  SeriesTable() : blocks_(static_cast<std::atomic<Block*>*>(std::calloc(kMaxBlocks, sizeof(std::atomic<Block*>)))) {
    static_assert(std::atomic<Block*>::is_always_lock_free);
    if (!blocks_) throw std::bad_alloc();
  }
  ~SeriesTable() {
    size_t end = used_blocks_.load(std::memory_order_relaxed);
    for (size_t i = 0; i < end; ++i) delete blocks_[i].load(std::memory_order_relaxed);
    std::free(blocks_);
  }
  SeriesTable(const SeriesTable&) = delete;
  SeriesTable& operator=(const SeriesTable&) = delete;
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
        if (b + 1 > used_blocks_.load(std::memory_order_relaxed)) used_blocks_.store(b + 1, std::memory_order_relaxed);
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
  std::atomic<Block*>* const blocks_;       // kMaxBlocks entries, calloc'ed
  std::atomic<size_t> used_blocks_{0};       // blocks_[i] is null for i >= this; written under mu_
  std::mutex mu_;  // serialises block allocation
};

}  // namespace perfwatch::tsdb
