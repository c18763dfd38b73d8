#pragma once
// Constants, byte helpers and metadata of persisted blocks, shared by the block writer and
// reader. Every byte is described in docs/format/blocks.md; never change a layout without
// bumping kBlockFormatVersion.
//
// A block is a directory `blocks/<name>/` holding three files:
//   chunks      sealed chunks of all series, in label order, zstd-compressed in groups
//   index       symbols, series (labels + chunk refs + time ranges), postings, group table
//   meta.json   time range, counts, compaction level and sources, format version
//
// Thread safety: pure functions and plain values.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "common/coding.h"
#include "common/status.h"

namespace perfwatch::tsdb {

inline constexpr uint32_t kBlockFormatVersion = 1;
inline constexpr char kChunksMagic[4] = {'P', 'W', 'C', 'K'};
inline constexpr char kIndexMagic[4] = {'P', 'W', 'I', 'X'};
inline constexpr size_t kBlockFileHeaderSize = 8;  // magic, u8 version, 3 zero bytes
inline constexpr size_t kIndexTocSize = 64;        // see docs/format/blocks.md
inline constexpr const char* kChunksFileName = "chunks";
inline constexpr const char* kIndexFileName = "index";
inline constexpr const char* kMetaFileName = "meta.json";

// What meta.json holds.
struct BlockMeta {
  uint32_t version = kBlockFormatVersion;
  std::string name;   // directory name (not stored in the file; filled by the reader)
  int64_t mint = 0;   // first sample's timestamp (inclusive)
  int64_t maxt = 0;   // last sample's timestamp (inclusive)
  uint64_t num_series = 0;
  uint64_t num_samples = 0;
  uint64_t num_chunks = 0;
  uint32_t level = 1;                // 1: written from the head; +1 per compaction
  std::vector<std::string> sources;  // names of the level-1 blocks merged into this one
};

std::string EncodeBlockMeta(const BlockMeta& meta);
// Parses what EncodeBlockMeta writes (whitespace tolerated, unknown keys ignored).
Result<BlockMeta> ParseBlockMeta(std::string_view json);

// ---- little-endian and varint helpers -------------------------------------------------

inline void PutU32(std::string& out, uint32_t v) { perfwatch::PutFixed32(out, v); }
inline void PutU64(std::string& out, uint64_t v) { perfwatch::PutFixed64(out, v); }
inline void PutUvarint(std::string& out, uint64_t v) { perfwatch::PutVarint(out, v); }
inline void PutVarint(std::string& out, int64_t v) { PutUvarint(out, perfwatch::ZigZag(v)); }
inline uint32_t LoadU32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
inline uint64_t LoadU64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Bounds-checked reader over a byte range. Any failure is sticky: ok() turns false and
// later reads return zeros, so parsers check once at the end of a unit.
class ByteReader {
 public:
  ByteReader() = default;
  ByteReader(const uint8_t* p, const uint8_t* end) : p_(p), end_(end) {}
  bool ok() const { return ok_; }
  size_t remaining() const { return size_t(end_ - p_); }
  const uint8_t* pos() const { return p_; }

  uint64_t Uvarint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) return Fail();
      uint8_t b = *p_++;
      if (shift == 63 && b > 1) return Fail();
      v |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    return Fail();
  }
  int64_t Varint() {
    uint64_t u = Uvarint();
    return int64_t((u >> 1) ^ (~(u & 1) + 1));
  }
  uint32_t U32() {
    if (remaining() < 4) return uint32_t(Fail());
    uint32_t v = LoadU32(p_);
    p_ += 4;
    return v;
  }
  std::string_view Bytes(uint64_t n) {
    if (!ok_ || n > remaining()) return Fail(), std::string_view();
    std::string_view s(reinterpret_cast<const char*>(p_), size_t(n));
    p_ += n;
    return s;
  }

 private:
  uint64_t Fail() {
    ok_ = false;
    p_ = end_;
    return 0;
  }
  const uint8_t* p_ = nullptr;
  const uint8_t* end_ = nullptr;
  bool ok_ = true;
};

}  // namespace perfwatch::tsdb
