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
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "tsdb/block_directory.h"
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
  int64_t min_t = INT64_MAX;      // first timestamp of `chunks` and `ooo` (not `late`)
};

// One series: 56 bytes, stored in its shard's SeriesBlocks (no allocation of its own), plus
// its label encoding (shard's LabelArena) and its open chunk's segments (shard's
// ChunkSegments). The first timestamp is not stored: it is the open chunk's (decoded from
// its first bytes) or the cold part's min_t, whichever is smaller; the open chunk's first
// timestamp, likewise, is read from its bytes.
struct Head::MemSeries {
  static constexpr int kShardShift = 56;
  static constexpr uint64_t kRefMask = (uint64_t{1} << kShardShift) - 1;

  // Immutable after creation (the label hash is in the shard's table).
  uint64_t ref_shard = 0;           // the ref (below 2^56) | shard index << 56
  const uint8_t* labels = nullptr;  // head_symbols.h encoding, sorted by name

  // Guarded by the shard mutex.
  int64_t last_t = INT64_MIN;  // the last sample (of the open chunk when it has samples)
  uint64_t last_bits = 0;
  std::unique_ptr<HeadSeriesCold> cold;
  OpenChunk open;

  SeriesRef ref() const { return ref_shard & kRefMask; }
  uint32_t shard() const { return static_cast<uint32_t>(ref_shard >> kShardShift); }
  bool has_open() const { return open.num_samples() > 0; }
  bool empty() const { return !has_open() && (!cold || cold->min_t == INT64_MAX); }
  // INT64_MAX when empty. `segs`: the series' shard's pool.
  int64_t first_t(const ChunkSegments& segs) const {
    int64_t t = cold ? cold->min_t : INT64_MAX;
    if (has_open()) t = std::min(t, open.min_time(segs));
    return t;
  }
  std::span<const HeadChunk> chunks() const { return cold ? std::span<const HeadChunk>(cold->chunks) : std::span<const HeadChunk>(); }
  std::span<const Sample> ooo() const { return cold ? std::span<const Sample>(cold->ooo) : std::span<const Sample>(); }
  HeadSeriesCold& Cold() {
    if (!cold) cold = std::make_unique<HeadSeriesCold>();
    return *cold;
  }
};

static_assert(sizeof(Head::MemSeries) <= 56, "a head series' struct grew: see docs/tsdb.md (memory per series)");
static_assert(kHeadShards <= 256, "the shard index is kept in a series' top ref byte");

// A shard's series, in blocks that never move (8, 16, 32, then 64 series each), so a series
// costs no allocation of its own. A series is named by a 24-bit handle, block << 6 | index.
class SeriesBlocks {
 public:
  static constexpr int kBlockBits = 6;
  static constexpr uint32_t kMaxHandles = (uint32_t{1} << 24) - 1;  // exclusive

  // A new series' handle. Throws std::length_error past 2^24 - 64 handles.
  uint32_t emplace_back() {
    if (blocks_.empty() || last_used_ == Capacity(blocks_.size() - 1)) {
      if (((blocks_.size() + 1) << kBlockBits) >= kMaxHandles) throw std::length_error("head shard full");
      blocks_.push_back(std::make_unique<Head::MemSeries[]>(Capacity(blocks_.size())));
      last_used_ = 0;
    }
    ++size_;
    return static_cast<uint32_t>(((blocks_.size() - 1) << kBlockBits) | last_used_++);
  }
  Head::MemSeries& at(uint32_t handle) const { return blocks_[handle >> kBlockBits][handle & ((1u << kBlockBits) - 1)]; }
  size_t size() const { return size_; }
  template <typename F>
  void ForEach(F&& f) const {
    for (size_t b = 0; b < blocks_.size(); ++b) {
      const uint32_t n = b + 1 == blocks_.size() ? last_used_ : Capacity(b);
      for (uint32_t i = 0; i < n; ++i) f(static_cast<const Head::MemSeries&>(blocks_[b][i]));
    }
  }

 private:
  static uint32_t Capacity(size_t block) { return block >= 3 ? 64u : 8u << block; }

  std::vector<std::unique_ptr<Head::MemSeries[]>> blocks_;
  uint32_t last_used_ = 0;
  size_t size_ = 0;
};

// A shard: its lock, an open-addressing table (label hash -> series, linear probing, at
// most half full), the series it owns and the pools of their labels and open chunks. A
// slot is 4 bytes: the series' handle + 1 under 8 tag bits of the label hash (bits 32-39:
// the shard index takes the top bits, the home slot the low ones), so a probe rejects
// other series without touching them. Growing recomputes each series' hash from its labels.
struct alignas(64) Head::Shard {
  struct Slot {
    uint32_t bits = 0;  // 0: empty slot
    static uint32_t Tag(uint64_t hash) { return static_cast<uint32_t>(hash >> 32) & 0xFF; }
    bool empty() const { return bits == 0; }
    bool TagMatches(uint64_t hash) const { return (bits >> 24) == Tag(hash); }
    uint32_t handle() const { return (bits & 0xFFFFFF) - 1; }
    static Slot Make(uint64_t hash, uint32_t handle) { return Slot{(Tag(hash) << 24) | (handle + 1)}; }
  };
  static_assert(sizeof(Slot) == 4);
  static_assert(SeriesBlocks::kMaxHandles <= 0xFFFFFF);  // handle + 1 fits 24 bits
  std::mutex mu;
  std::vector<Slot> slots;       // guarded by mu; size is a power of two
  SeriesBlocks series;           // guarded by mu (owner; elements never move)
  LabelArena label_arena;        // guarded by mu
  ChunkSegments segments;        // guarded by mu: the series' open chunk bytes

  MemSeries* At(Slot slot) const { return &series.at(slot.handle()); }
  size_t Home(uint64_t hash) const { return static_cast<size_t>(hash) & (slots.size() - 1); }
  // `hash_of(const MemSeries&)` recomputes a series' label hash (on growth only).
  template <typename HashOf>
  void Insert(uint64_t hash, uint32_t handle, HashOf&& hash_of) {
    if (series.size() * 2 > slots.size()) Grow(hash_of);
    size_t i = Home(hash);
    while (!slots[i].empty()) i = (i + 1) & (slots.size() - 1);
    slots[i] = Slot::Make(hash, handle);
  }
  template <typename HashOf>
  void Grow(HashOf&& hash_of) {
    std::vector<Slot> old = std::move(slots);
    slots.assign(old.empty() ? 64 : old.size() * 2, Slot{});
    for (const Slot& o : old) {
      if (o.empty()) continue;
      size_t i = Home(hash_of(*At(o)));
      while (!slots[i].empty()) i = (i + 1) & (slots.size() - 1);
      slots[i] = o;
    }
  }
};

// ref -> series, readable without locks: a directory of lazily allocated blocks of atomic
// pointers (block_directory.h), starting with room for 64 Ki refs.
class Head::SeriesTable {
 public:
  static constexpr int kBlockBits = 12;
  static constexpr size_t kBlockSize = size_t{1} << kBlockBits;
  static constexpr size_t kMaxBlocks = size_t{1} << 16;  // 268 M refs

  SeriesTable() : blocks_(16, kMaxBlocks) {}
  ~SeriesTable() {
    blocks_.ForEach([](Block* b) { delete b; });
  }
  SeriesTable(const SeriesTable&) = delete;
  SeriesTable& operator=(const SeriesTable&) = delete;
  MemSeries* Get(SeriesRef ref) const {
    Block* block = blocks_.Get(ref >> kBlockBits);
    return block ? block->slots[ref & (kBlockSize - 1)].load(std::memory_order_acquire) : nullptr;
  }
  bool Set(SeriesRef ref, MemSeries* s) {
    size_t b = ref >> kBlockBits;
    if (b >= kMaxBlocks) return false;
    Block* block = blocks_.Get(b);
    if (!block) {
      std::lock_guard lock(mu_);
      block = blocks_.Get(b);
      if (!block) {
        block = new Block();
        blocks_.Set(b, block);
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
  BlockDirectory<Block> blocks_;  // Set under mu_
  std::mutex mu_;                 // serialises block allocation
};

}  // namespace perfwatch::tsdb
