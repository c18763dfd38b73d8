#pragma once
// OpenChunk: the head's open (appendable) chunk in the kXor encoding (byte-identical to
// NewChunkAppender()'s output, docs/format/chunks.md#xor), packed for memory: 32 bytes of
// state kept inline in the series, and the bytes in one malloc'd buffer grown (with
// realloc) through sizes that fill glibc's size classes, starting small. A series with a
// handful of samples holds a 24- or 40-byte buffer; an appender from NewChunkAppender()
// costs a 96-byte object plus its buffer.
//
// The previous sample's timestamp and value bits are not stored here: the caller (the
// head, which keeps them per series) passes them to Append. They must be the last sample
// appended to this chunk whenever num_samples() > 0.
//
// Thread safety: not thread-safe (the head's shard lock serialises use); bytes() may be
// read by whoever holds the same lock.
#include <cstdint>
#include <span>

namespace perfwatch::tsdb {

class OpenChunk {
 public:
  OpenChunk() = default;
  ~OpenChunk();
  OpenChunk(const OpenChunk&) = delete;
  OpenChunk& operator=(const OpenChunk&) = delete;
  OpenChunk(OpenChunk&& o) noexcept;
  OpenChunk& operator=(OpenChunk&& o) noexcept;

  // Appends (t, bits); `prev_t` / `prev_bits` are the last appended sample (ignored for the
  // first). t must be greater than prev_t (the head's rules), num_samples() < 65535.
  void Append(int64_t t, uint64_t bits, int64_t prev_t, uint64_t prev_bits);
  uint32_t num_samples() const { return n_; }
  // The chunk so far, encoding byte first (empty before the first sample); valid until
  // the next Append or Clear.
  std::span<const uint8_t> bytes() const { return {buf_, size_}; }
  // Drops the samples and frees the buffer.
  void Clear();
  // Bytes allocated for the buffer.
  uint32_t capacity() const { return cap_; }

 private:
  void Put(uint64_t v, int n);  // n <= 64 bits, most significant first
  void PutUvarint(uint64_t v);
  void PushByte();

  uint8_t* buf_ = nullptr;
  uint32_t size_ = 0;
  uint32_t cap_ = 0;
  uint64_t delta_ = 0;   // last timestamp delta
  uint16_t n_ = 0;
  uint8_t free_ = 0;     // unused low bits in buf_[size_ - 1]
  int8_t leading_ = -1;  // XOR window of the last '11' record; -1 before the first
  uint8_t trailing_ = 0;

 public:
  // Not used by OpenChunk (it would be padding): a byte its owner may keep here. Clear()
  // and moves leave it alone. The head keeps the series' shard in it.
  uint8_t owner_byte = 0;
};

}  // namespace perfwatch::tsdb
