#pragma once
// Byte-level encoding helpers shared by the on-disk formats (event log, TSDB WAL):
// little-endian fixed-width integers, LEB128 varints, zigzag, and a bounds-checked
// decoder. Layouts: docs/format/events.md, docs/format/wal.md.
// Thread safety: pure functions.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace perfwatch {

inline void PutFixed32(std::string& out, uint32_t v) {
  char b[4];
  std::memcpy(b, &v, 4);  // the supported targets are little-endian
  out.append(b, 4);
}

inline void PutFixed64(std::string& out, uint64_t v) {
  char b[8];
  std::memcpy(b, &v, 8);
  out.append(b, 8);
}

inline uint32_t LoadFixed32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

inline uint64_t LoadFixed64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// Writes `v` at `p` (room for VarintLength(v) bytes); returns the end.
inline char* WriteVarint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

inline void PutVarint(std::string& out, uint64_t v) {
  char b[10];
  out.append(b, static_cast<size_t>(WriteVarint(b, v) - b));
}

inline int VarintLength(uint64_t v) {
  int n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

inline uint64_t ZigZag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
inline int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

// A bounds-checked cursor over an encoded buffer. Every getter returns false (and leaves
// the cursor unusable) when the input ends early or is malformed.
class Decoder {
 public:
  Decoder(const char* p, size_t n) : p_(p), end_(p + n) {}
  explicit Decoder(std::string_view s) : Decoder(s.data(), s.size()) {}

  bool Varint(uint64_t* v) {
    uint64_t r = 0;
    for (int shift = 0; shift < 64 && p_ < end_; shift += 7) {
      uint8_t b = static_cast<uint8_t>(*p_++);
      if (shift == 63 && b > 1) return false;  // beyond 64 bits: not a uint64
      r |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (b < 0x80) {
        *v = r;
        return true;
      }
    }
    return false;
  }
  bool Byte(uint8_t* v) {
    if (p_ >= end_) return false;
    *v = static_cast<uint8_t>(*p_++);
    return true;
  }
  bool Fixed32(uint32_t* v) {
    if (end_ - p_ < 4) return false;
    *v = LoadFixed32(p_);
    p_ += 4;
    return true;
  }
  bool Fixed64(uint64_t* v) {
    if (end_ - p_ < 8) return false;
    *v = LoadFixed64(p_);
    p_ += 8;
    return true;
  }
  bool Bytes(size_t n, std::string_view* v) {
    if (static_cast<size_t>(end_ - p_) < n) return false;
    *v = std::string_view(p_, n);
    p_ += n;
    return true;
  }
  // A varint length followed by that many bytes.
  bool LengthPrefixed(std::string_view* v) {
    uint64_t n;
    return Varint(&n) && n <= remaining() && Bytes(static_cast<size_t>(n), v);
  }
  bool done() const { return p_ == end_; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  const char* position() const { return p_; }

 private:
  const char* p_;
  const char* end_;
};

}  // namespace perfwatch
