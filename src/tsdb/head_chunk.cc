#include "tsdb/head_chunk.h"

#include <bit>
#include <cassert>
#include <cstdlib>
#include <new>
#include <utility>

#include "tsdb/chunk.h"
#include "tsdb/chunk_bits.h"

namespace perfwatch::tsdb {
namespace {

constexpr uint32_t kHeaderSize = 3;  // encoding byte + big-endian u16 sample count

// Buffer sizes: 16k - 8 bytes fill a glibc chunk exactly (8 bytes of header); about 1.5x
// growth.
uint32_t NextCapacity(uint32_t cap) {
  if (cap == 0) return 24;
  uint32_t want = cap + cap / 2 + 8;
  return ((want + 15) & ~uint32_t{15}) - 8;
}

}  // namespace

OpenChunk::~OpenChunk() { std::free(buf_); }

OpenChunk::OpenChunk(OpenChunk&& o) noexcept
    : buf_(std::exchange(o.buf_, nullptr)),
      size_(std::exchange(o.size_, 0)),
      cap_(std::exchange(o.cap_, 0)),
      delta_(o.delta_),
      n_(std::exchange(o.n_, 0)),
      free_(o.free_),
      leading_(o.leading_),
      trailing_(o.trailing_) {}

OpenChunk& OpenChunk::operator=(OpenChunk&& o) noexcept {
  if (this != &o) {
    std::free(buf_);
    buf_ = std::exchange(o.buf_, nullptr);
    size_ = std::exchange(o.size_, 0);
    cap_ = std::exchange(o.cap_, 0);
    delta_ = o.delta_;
    n_ = std::exchange(o.n_, 0);
    free_ = o.free_;
    leading_ = o.leading_;
    trailing_ = o.trailing_;
  }
  return *this;
}

void OpenChunk::Clear() {
  std::free(buf_);
  buf_ = nullptr;
  size_ = cap_ = 0;
  delta_ = 0;
  n_ = 0;
  free_ = 0;
  leading_ = -1;
  trailing_ = 0;
}

void OpenChunk::PushByte() {
  if (size_ == cap_) {
    uint32_t cap = NextCapacity(cap_);
    void* p = std::realloc(buf_, cap);
    if (p == nullptr) throw std::bad_alloc();
    buf_ = static_cast<uint8_t*>(p);
    cap_ = cap;
  }
  buf_[size_++] = 0;
}

void OpenChunk::Put(uint64_t v, int n) {
  while (n > 0) {
    if (free_ == 0) {
      PushByte();
      free_ = 8;
    }
    int take = n < free_ ? n : free_;
    uint64_t part = (v >> (n - take)) & ((uint64_t{1} << take) - 1);
    buf_[size_ - 1] |= static_cast<uint8_t>(part << (free_ - take));
    free_ = static_cast<uint8_t>(free_ - take);
    n -= take;
  }
}

void OpenChunk::PutUvarint(uint64_t v) {
  while (v >= 0x80) {
    Put((v & 0x7f) | 0x80, 8);
    v >>= 7;
  }
  Put(v, 8);
}

void OpenChunk::Append(int64_t t, uint64_t bits, int64_t prev_t, uint64_t prev_bits) {
  assert(n_ < kMaxChunkSamples);
  if (n_ == 0) {
    for (uint32_t i = 0; i < kHeaderSize; ++i) PushByte();
    buf_[0] = static_cast<uint8_t>(ChunkEncoding::kXor);
    free_ = 0;
    leading_ = -1;
    trailing_ = 0;
    PutUvarint(chunk_internal::ZigZag(t));
    Put(bits, 64);
  } else {
    uint64_t delta = static_cast<uint64_t>(t) - static_cast<uint64_t>(prev_t);
    if (n_ == 1) {
      PutUvarint(delta);
    } else {
      int64_t dod = static_cast<int64_t>(delta - delta_);
      if (dod == 0) {
        Put(0, 1);
      } else {
        for (const chunk_internal::DodBucket& b : chunk_internal::kDodBuckets) {
          if (chunk_internal::FitsSigned(dod, b.payload_bits)) {
            Put(b.prefix, b.prefix_bits);
            Put(static_cast<uint64_t>(dod), b.payload_bits);
            break;
          }
        }
      }
    }
    delta_ = delta;
    // XOR'd value (chunk_xor.cc's XorValueEncoder).
    uint64_t x = bits ^ prev_bits;
    if (x == 0) {
      Put(0, 1);
    } else {
      int leading = std::countl_zero(x);
      int trailing = std::countr_zero(x);
      if (leading > 31) leading = 31;  // 5-bit field
      if (leading_ >= 0 && leading >= leading_ && trailing >= trailing_) {
        Put(0b10, 2);
        Put(x >> trailing_, 64 - leading_ - trailing_);
      } else {
        int sig = 64 - leading - trailing;
        Put(0b11, 2);
        Put(static_cast<uint64_t>(leading), 5);
        Put(static_cast<uint64_t>(sig & 63), 6);  // 64 is written as 0
        Put(x >> trailing, sig);
        leading_ = static_cast<int8_t>(leading);
        trailing_ = static_cast<uint8_t>(trailing);
      }
    }
  }
  ++n_;
  // The count is updated last: bytes() always describes whole samples.
  buf_[1] = static_cast<uint8_t>(n_ >> 8);
  buf_[2] = static_cast<uint8_t>(n_);
}

}  // namespace perfwatch::tsdb
