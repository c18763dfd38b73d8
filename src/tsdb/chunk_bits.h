#pragma once
// Bit and byte primitives shared by the chunk encodings (internal to src/tsdb/chunk*.cc):
// an MSB-first bit writer/reader for the Gorilla stream, an LSB-first fixed-width packer
// for the sealed columns, LEB128 varints and zigzag. Layouts: docs/format/chunks.md.
//
// Readers never touch memory outside the span they were given: every read is checked
// and a failed read sets a sticky `ok() == false` and returns 0.
// Thread safety: plain values; one thread per instance.
#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace perfwatch::tsdb::chunk_internal {

inline uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1)); }

// Bits needed to hold `v` (0 for 0).
inline int BitWidth(uint64_t v) { return 64 - std::countl_zero(v); }

inline void PutUvarint(std::vector<uint8_t>& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<uint8_t>(v) | 0x80);
    v >>= 7;
  }
  out.push_back(static_cast<uint8_t>(v));
}
inline void PutVarint(std::vector<uint8_t>& out, int64_t v) { PutUvarint(out, ZigZag(v)); }

inline void PutFixed64(std::vector<uint8_t>& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// Bounds-checked byte cursor.
class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> in) : in_(in) {}
  bool ok() const { return ok_; }
  size_t pos() const { return pos_; }
  size_t remaining() const { return in_.size() - pos_; }
  std::span<const uint8_t> rest() const { return in_.subspan(pos_); }

  uint8_t U8() {
    if (pos_ >= in_.size()) return Fail();
    return in_[pos_++];
  }
  uint64_t Uvarint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return Fail();
      uint8_t b = in_[pos_++];
      if (shift == 63 && b > 1) return Fail();  // overflows 64 bits
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    return Fail();
  }
  int64_t Varint() { return UnZigZag(Uvarint()); }
  uint64_t Fixed64() {
    if (remaining() < 8) return Fail();
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(in_[pos_ + i]) << (8 * i);
    pos_ += 8;
    return v;
  }
  // Returns the next `n` bytes and advances; empty span and !ok() if short.
  std::span<const uint8_t> Take(size_t n) {
    if (remaining() < n) {
      Fail();
      return {};
    }
    auto s = in_.subspan(pos_, n);
    pos_ += n;
    return s;
  }

 private:
  uint8_t Fail() {
    ok_ = false;
    pos_ = in_.size();
    return 0;
  }
  std::span<const uint8_t> in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// MSB-first bit writer (Gorilla stream). Unused low bits of the last byte stay zero, so
// a prefix of whole samples is always decodable.
class BitWriter {
 public:
  explicit BitWriter(std::vector<uint8_t>* out) : out_(out) {}
  // Writes the low `n` bits of `v` (0 <= n <= 64), most significant first.
  void Write(uint64_t v, int n) {
    while (n > 0) {
      if (free_ == 0) {
        out_->push_back(0);
        free_ = 8;
      }
      int take = n < free_ ? n : free_;
      uint64_t chunk = (v >> (n - take)) & ((uint64_t{1} << take) - 1);
      out_->back() |= static_cast<uint8_t>(chunk << (free_ - take));
      free_ -= take;
      n -= take;
    }
  }
  void WriteBit(bool b) { Write(b ? 1 : 0, 1); }
  // Continues writing into a buffer whose last byte has `free_bits` unused low bits.
  void Resume(int free_bits) { free_ = free_bits; }
  int free_bits() const { return free_; }

 private:
  std::vector<uint8_t>* out_;
  int free_ = 0;  // unused low bits in out_->back()
};

// MSB-first bit reader over a span; reads past the end fail (sticky) and return 0.
class BitReader {
 public:
  explicit BitReader(std::span<const uint8_t> in) : in_(in), bits_left_(in.size() * 8) {}
  bool ok() const { return ok_; }
  size_t bits_left() const { return bits_left_; }

  uint64_t Read(int n) {  // 0 <= n <= 64
    if (n == 0) return 0;
    if (static_cast<size_t>(n) > bits_left_) {
      ok_ = false;
      bits_left_ = 0;
      return 0;
    }
    size_t byte = pos_ >> 3;
    int used = static_cast<int>(pos_ & 7);
    if (byte + 8 <= in_.size() && used + n <= 64) {  // fast path: one unaligned load
      uint64_t w;
      std::memcpy(&w, in_.data() + byte, 8);
      if constexpr (std::endian::native == std::endian::little) w = __builtin_bswap64(w);
      pos_ += n;
      bits_left_ -= n;
      return (w << used) >> (64 - n);
    }
    uint64_t v = 0;
    while (n > 0) {
      byte = pos_ >> 3;
      used = static_cast<int>(pos_ & 7);
      int avail = 8 - used;
      int take = n < avail ? n : avail;
      uint64_t bits = (in_[byte] >> (avail - take)) & ((1u << take) - 1);
      v = (v << take) | bits;
      pos_ += take;
      bits_left_ -= take;
      n -= take;
    }
    return v;
  }
  bool ReadBit() { return Read(1) != 0; }
  // Bit-level uvarint (8-bit groups), as written by WriteBitUvarint.
  uint64_t Uvarint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint64_t b = Read(8);
      if (!ok_) return 0;
      if (shift == 63 && b > 1) {
        ok_ = false;
        return 0;
      }
      v |= (b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    ok_ = false;
    return 0;
  }

 private:
  std::span<const uint8_t> in_;
  size_t pos_ = 0;
  size_t bits_left_;
  bool ok_ = true;
};

inline void WriteBitUvarint(BitWriter& w, uint64_t v) {
  while (v >= 0x80) {
    w.Write((v & 0x7f) | 0x80, 8);
    v >>= 7;
  }
  w.Write(v, 8);
}

// LSB-first fixed-width packing: value i occupies bits [i*width, (i+1)*width) of the
// little-endian bit string. PackedBytes(n, width) bytes hold n values.
inline size_t PackedBytes(size_t n, int width) { return (n * static_cast<size_t>(width) + 7) / 8; }

inline void PackBits(std::vector<uint8_t>& out, std::span<const uint64_t> vals, int width) {
  size_t start = out.size();
  out.resize(start + PackedBytes(vals.size(), width), 0);
  if (width == 0) return;
  uint8_t* p = out.data() + start;
  size_t bit = 0;
  for (uint64_t v : vals) {
    int n = width;
    while (n > 0) {
      size_t byte = bit >> 3;
      int off = static_cast<int>(bit & 7);
      int take = (8 - off) < n ? (8 - off) : n;
      p[byte] |= static_cast<uint8_t>((v & ((1u << take) - 1)) << off);
      v >>= take;
      bit += take;
      n -= take;
    }
  }
}

// Reads value `i` of a packed array; `packed` must hold PackedBytes(n, width) bytes with
// i < n (checked by the caller once, when the column is parsed).
inline uint64_t UnpackAt(const uint8_t* packed, size_t packed_size, size_t i, int width) {
  if (width == 0) return 0;
  size_t bit = i * static_cast<size_t>(width);
  size_t byte = bit >> 3;
  int off = static_cast<int>(bit & 7);
  // Gather up to 9 bytes without reading past the end.
  uint64_t lo = 0;
  size_t avail = packed_size - byte;
  if (avail >= 8) {
    std::memcpy(&lo, packed + byte, 8);
    if constexpr (std::endian::native == std::endian::big) lo = __builtin_bswap64(lo);
  } else {
    for (size_t k = 0; k < avail; ++k) lo |= static_cast<uint64_t>(packed[byte + k]) << (8 * k);
  }
  uint64_t v = lo >> off;
  if (off + width > 64) {
    uint64_t hi = byte + 8 < packed_size ? packed[byte + 8] : 0;
    v |= hi << (64 - off);
  }
  return width == 64 ? v : v & ((uint64_t{1} << width) - 1);
}

// UnpackAt for values 0..count-1 in one pass (the bulk decoder's inner loop): one 8-byte
// load per value while a 9th byte is in bounds, UnpackAt for the tail.
inline void UnpackAll(const uint8_t* packed, size_t packed_size, size_t count, int width, uint64_t* out) {
  if (width == 0) {
    for (size_t i = 0; i < count; ++i) out[i] = 0;
    return;
  }
  const uint64_t mask = width == 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
  size_t i = 0;
  if constexpr (std::endian::native == std::endian::little) {
    for (size_t bit = 0; i < count; ++i, bit += static_cast<size_t>(width)) {
      const size_t byte = bit >> 3;
      if (byte + 9 > packed_size) break;
      const int off = static_cast<int>(bit & 7);
      uint64_t lo;
      std::memcpy(&lo, packed + byte, 8);
      uint64_t v = lo >> off;
      if (off + width > 64) v |= static_cast<uint64_t>(packed[byte + 8]) << (64 - off);
      out[i] = v & mask;
    }
  }
  for (; i < count; ++i) out[i] = UnpackAt(packed, packed_size, i, width);
}

// Delta-of-delta buckets of the XOR (Gorilla) timestamp stream after the '0' (dod == 0)
// case: prefix, prefix length, payload bits (two's complement). The last bucket carries
// the full 64-bit wrapped value. Shared by chunk_xor.cc and the head's open chunk.
struct DodBucket {
  uint32_t prefix;
  int prefix_bits;
  int payload_bits;
};
inline constexpr DodBucket kDodBuckets[] = {
    {0b10, 2, 7}, {0b110, 3, 10}, {0b1110, 4, 16}, {0b11110, 5, 32}, {0b11111, 5, 64},
};

// Whether `v` fits in a two's complement field of `bits` bits.
inline bool FitsSigned(int64_t v, int bits) {
  if (bits >= 64) return true;
  int64_t lo = -(int64_t{1} << (bits - 1));
  int64_t hi = (int64_t{1} << (bits - 1)) - 1;
  return v >= lo && v <= hi;
}

}  // namespace perfwatch::tsdb::chunk_internal
