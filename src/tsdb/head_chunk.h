#pragma once
// OpenChunk: the head's open (appendable) chunk in the kXor encoding (byte-identical to
// NewChunkAppender()'s output, docs/format/chunks.md#xor), packed for memory: 16 bytes of
// state kept inline in the series, and the encoded bytes (all but the 3-byte header, which
// is made from the sample count when the chunk is read) in a chain of 32-byte segments
// (28 payload bytes and a 4-byte link to the previous segment each; the chunk holds the
// last one, which appends write, and reads walk back) from a ChunkSegments pool. A chunk never
// reallocates or copies its bytes while it grows, holds at most 27 bytes of slack, and a
// cut chunk's segments go back to the pool for any other chunk: no allocator headers,
// no size classes, no fragmentation from growth.
//
// The previous sample's timestamp and value bits are not stored here: the caller (the
// head, which keeps them per series) passes them to Append. They must be the last sample
// appended to this chunk whenever num_samples() > 0, and t - prev_t must be below 2^32 ms
// (the head cuts a chunk before a larger step). Every call that touches the bytes takes
// the pool the chunk's segments came from.
//
// ChunkSegments: fixed 32-byte segments in pages (8, 16, 32, 64, then 128 segments), ids
// of 32 bits (0: none), a free list threaded through the links. Memory is returned when
// the pool is destroyed.
//
// Thread safety: neither class is thread-safe (the head's shard lock serialises all use
// of a shard's pool and of its series' chunks, reads included).
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

namespace perfwatch::tsdb {

class ChunkSegments {
 public:
  static constexpr uint32_t kSegmentSize = 32;
  static constexpr uint32_t kPayload = 28;  // then the 4-byte link

  ChunkSegments() = default;
  ChunkSegments(const ChunkSegments&) = delete;
  ChunkSegments& operator=(const ChunkSegments&) = delete;

  // A segment whose link is 0 (contents otherwise unspecified). Throws std::bad_alloc, or
  // std::length_error past 2^32 - 1 segments.
  uint32_t Alloc();
  // Returns the chain `last` -> ... (linked through Link, ending at 0) to the free list.
  void FreeChain(uint32_t last);

  uint8_t* Payload(uint32_t id) const { return pages_[id >> kPageBits].get() + (id & kPageMask) * kSegmentSize; }
  uint32_t Link(uint32_t id) const {
    uint32_t v;
    std::memcpy(&v, Payload(id) + kPayload, 4);
    return v;
  }
  void SetLink(uint32_t id, uint32_t next) { std::memcpy(Payload(id) + kPayload, &next, 4); }

  // Bytes of the pages held, and segments on the free list (for tests and stats).
  size_t bytes() const { return page_bytes_; }
  size_t free_segments() const;
  size_t used_segments() const { return used_; }

 private:
  static constexpr int kPageBits = 7;
  static constexpr uint32_t kPageMask = (uint32_t{1} << kPageBits) - 1;
  static uint32_t PageCapacity(size_t page) { return page >= 4 ? 128u : 8u << page; }

  std::vector<std::unique_ptr<uint8_t[]>> pages_;
  uint32_t free_ = 0;       // free list head
  uint32_t bump_ = 0;       // next never-used id in the last page (0: none yet)
  uint32_t bump_end_ = 0;   // end of the last page's ids
  size_t page_bytes_ = 0;
  size_t used_ = 0;         // segments handed out and not freed
};

class OpenChunk {
 public:
  static constexpr uint32_t kHeaderSize = 3;  // encoding byte + big-endian u16 sample count

  OpenChunk() = default;
  OpenChunk(const OpenChunk&) = delete;
  OpenChunk& operator=(const OpenChunk&) = delete;

  // Appends (t, bits); `prev_t` / `prev_bits` are the last appended sample (ignored for the
  // first). t must be greater than prev_t (the head's rules) and below prev_t + 2^32,
  // num_samples() < 65535.
  void Append(ChunkSegments& segs, int64_t t, uint64_t bits, int64_t prev_t, uint64_t prev_bits);
  uint32_t num_samples() const { return n_; }
  // The chunk's size in bytes, header included (0 before the first sample).
  size_t size() const { return n_ == 0 ? 0 : kHeaderSize + size_; }
  // Appends the chunk's bytes (encoding byte first; nothing when empty) to `out`.
  void AppendTo(const ChunkSegments& segs, std::vector<uint8_t>* out) const;
  // The first sample's timestamp (walks to the first segment); requires num_samples() > 0.
  int64_t min_time(const ChunkSegments& segs) const;
  // Drops the samples and returns the segments to `segs`.
  void Clear(ChunkSegments& segs);
  // Segments held, and the last one (0: none), e.g. to prefetch it.
  uint32_t segments() const { return (size_ + ChunkSegments::kPayload - 1) / ChunkSegments::kPayload; }
  uint32_t tail() const { return tail_; }

 private:
  uint32_t tail_ = 0;   // last segment, being written (0: none); links go backwards
  uint32_t delta_ = 0;  // last timestamp delta (below 2^32: see Append)
  uint32_t size_ = 0;   // payload bytes (after the header)
  uint16_t n_ = 0;
  // free (bits 0-3): unused low bits of the last payload byte; leading + 1 (bits 4-9) and
  // trailing (bits 10-15): the XOR window of the last '11' record (leading + 1 == 0 before
  // the first one).
  uint16_t bits_ = 0;
};

static_assert(sizeof(OpenChunk) == 16);

}  // namespace perfwatch::tsdb
