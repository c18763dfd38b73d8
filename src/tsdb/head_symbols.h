#pragma once
// The head's label storage: every distinct label name and value is interned once in a
// HeadSymbols table (ids are dense, from 0), and a series keeps its label set as a few
// bytes of varint ids in a LabelArena (varint(count), then varint(name id) varint(value
// id) per label, sorted by name). For RUM and scrape series, whose values repeat across
// many series, a label set costs 15-30 bytes instead of its strings.
//
// Decoding yields views into the symbol table's strings, valid as long as the table.
// Thread safety: HeadSymbols::Intern is thread-safe (a mutex); Get is lock-free and may
// run concurrently with Intern for any id that was published to the reader through a
// happens-before edge (the head publishes series under its shard lock or by an atomic
// release store, after interning their labels). LabelArena is guarded by its owner's lock
// for Add; the bytes it returned are immutable and readable from any thread.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tsdb/block_directory.h"
#include "tsdb/labels.h"

namespace perfwatch::tsdb {

class HeadSymbols {
 public:
  HeadSymbols();
  ~HeadSymbols();
  HeadSymbols(const HeadSymbols&) = delete;
  HeadSymbols& operator=(const HeadSymbols&) = delete;

  // The id of `s`, interning it when new. Throws std::length_error past 2^26 symbols.
  uint32_t Intern(std::string_view s);
  std::string_view Get(uint32_t id) const {
    return blocks_.Get(id >> kBlockBits)[id & (kBlockSize - 1)];
  }
  size_t size() const;
  // Bytes held (strings, index and tables), for tests and stats.
  size_t bytes() const;

 private:
  static constexpr int kBlockBits = 12;
  static constexpr size_t kBlockSize = size_t{1} << kBlockBits;
  static constexpr size_t kMaxBlocks = size_t{1} << 14;  // 67 M symbols
  static constexpr size_t kStringBlockSize = 16 << 10;

  std::string_view Store(std::string_view s);  // requires mu_

  mutable std::mutex mu_;
  std::unordered_map<std::string_view, uint32_t> ids_;  // guarded by mu_; views into strings_
  std::vector<std::unique_ptr<char[]>> strings_;        // guarded by mu_: blocks, the last being filled
  std::vector<std::unique_ptr<char[]>> large_strings_;  // guarded by mu_: over a quarter block each
  size_t string_block_used_ = kStringBlockSize;         // guarded by mu_
  size_t string_bytes_ = 0;                             // guarded by mu_
  uint32_t next_ = 0;                                   // guarded by mu_
  // id -> string: a growing directory of blocks, allocated as ids reach them; Set under mu_.
  BlockDirectory<std::string_view> blocks_{1, kMaxBlocks};
};

// Bump allocation of immutable label-set encodings; freed with the arena.
class LabelArena {
 public:
  LabelArena() = default;
  LabelArena(const LabelArena&) = delete;
  LabelArena& operator=(const LabelArena&) = delete;

  // Interns the labels' strings in `symbols` and stores the encoding; returns its bytes.
  const uint8_t* Add(HeadSymbols& symbols, std::span<const LabelView> labels);
  size_t bytes() const { return blocks_.size() * kBlockSize + large_bytes_; }

 private:
  static constexpr size_t kBlockSize = 4096;
  std::vector<std::unique_ptr<uint8_t[]>> blocks_;
  std::vector<std::unique_ptr<uint8_t[]>> large_;  // encodings over a quarter block
  size_t used_ = kBlockSize;
  size_t large_bytes_ = 0;
};

// Reading an encoding LabelArena::Add wrote.
size_t AppendEncodedLabels(const HeadSymbols& symbols, const uint8_t* enc, std::vector<LabelView>* out);
bool EncodedLabelsEqual(const HeadSymbols& symbols, const uint8_t* enc, std::span<const LabelView> labels);

}  // namespace perfwatch::tsdb
