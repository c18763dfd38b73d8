#include "tsdb/head_chunk.h"

#include <bit>
#include <cassert>
#include <new>
#include <stdexcept>

#include "tsdb/chunk.h"
#include "tsdb/chunk_bits.h"

namespace perfwatch::tsdb {

// ---------------------------------------------------------------------------------------
// ChunkSegments

uint32_t ChunkSegments::Alloc() {
  uint32_t id;
  if (free_ != 0) {
    id = free_;
    free_ = Link(id);
  } else {
    if (bump_ == bump_end_) {
      const size_t page = pages_.size();
      if (page >= (size_t{1} << (32 - kPageBits))) throw std::length_error("head chunk segments exhausted");
      const uint32_t cap = PageCapacity(page);
      pages_.push_back(std::make_unique_for_overwrite<uint8_t[]>(size_t{cap} * kSegmentSize));
      page_bytes_ += size_t{cap} * kSegmentSize;
      bump_ = static_cast<uint32_t>(page << kPageBits);
      bump_end_ = bump_ + cap;
      if (bump_ == 0) ++bump_;  // id 0 means "none"
    }
    id = bump_++;
  }
  SetLink(id, 0);
  ++used_;
  return id;
}

void ChunkSegments::FreeChain(uint32_t last) {
  while (last != 0) {
    const uint32_t prev = Link(last);
    SetLink(last, free_);
    free_ = last;
    --used_;
    last = prev;
  }
}

size_t ChunkSegments::free_segments() const {
  size_t n = 0;
  for (uint32_t id = free_; id != 0; id = Link(id)) ++n;
  return n;
}

// ---------------------------------------------------------------------------------------
// OpenChunk

namespace {

// Writes bits into a chunk's segment chain; the state lives in locals while one sample is
// appended and goes back to the OpenChunk at the end.
class BitSink {
 public:
  BitSink(ChunkSegments& segs, uint32_t& tail, uint32_t size, uint8_t free)
      : segs_(segs), tail_(tail), size_(size), free_(free) {
    if (size_ == 0) {
      pos_ = ChunkSegments::kPayload;  // the first byte allocates
    } else {
      seg_ = segs_.Payload(tail_);
      pos_ = (size_ - 1) % ChunkSegments::kPayload + 1;
    }
  }
  uint32_t size() const { return size_; }
  uint8_t free() const { return free_; }

  void Put(uint64_t v, int n) {  // n <= 64 bits, most significant first
    while (n > 0) {
      if (free_ == 0) {
        PushByte();
        free_ = 8;
      }
      int take = n < free_ ? n : free_;
      uint64_t part = (v >> (n - take)) & ((uint64_t{1} << take) - 1);
      seg_[pos_ - 1] |= static_cast<uint8_t>(part << (free_ - take));
      free_ = static_cast<uint8_t>(free_ - take);
      n -= take;
    }
  }
  void PutUvarint(uint64_t v) {
    while (v >= 0x80) {
      Put((v & 0x7f) | 0x80, 8);
      v >>= 7;
    }
    Put(v, 8);
  }

 private:
  void PushByte() {
    if (pos_ == ChunkSegments::kPayload) {
      uint32_t id = segs_.Alloc();
      segs_.SetLink(id, tail_);
      tail_ = id;
      seg_ = segs_.Payload(id);
      pos_ = 0;
    }
    seg_[pos_++] = 0;
    ++size_;
  }

  ChunkSegments& segs_;
  uint32_t& tail_;
  uint8_t* seg_ = nullptr;
  uint32_t pos_ = 0;  // bytes used in seg_
  uint32_t size_;
  uint8_t free_;
};

}  // namespace

void OpenChunk::Clear(ChunkSegments& segs) {
  segs.FreeChain(tail_);
  tail_ = 0;
  delta_ = 0;
  size_ = 0;
  n_ = 0;
  bits_ = 0;
}

void OpenChunk::AppendTo(const ChunkSegments& segs, std::vector<uint8_t>* out) const {
  if (n_ == 0) return;
  const size_t start = out->size();
  out->resize(start + kHeaderSize + size_);
  uint8_t* p = out->data() + start;
  p[0] = static_cast<uint8_t>(ChunkEncoding::kXor);
  p[1] = static_cast<uint8_t>(n_ >> 8);
  p[2] = static_cast<uint8_t>(n_);
  p += kHeaderSize;
  // Back to front: the last segment holds the bytes after the full ones.
  uint32_t offset = (segments() - 1) * ChunkSegments::kPayload;
  uint32_t take = size_ - offset;
  for (uint32_t id = tail_; id != 0; id = segs.Link(id)) {
    std::memcpy(p + offset, segs.Payload(id), take);
    take = ChunkSegments::kPayload;
    if (offset == 0) break;
    offset -= ChunkSegments::kPayload;
  }
}

int64_t OpenChunk::min_time(const ChunkSegments& segs) const {
  assert(n_ > 0);
  // The first timestamp is a zigzag uvarint at the payload's start (at most 10 bytes, so
  // within the first segment).
  uint32_t first = tail_;
  for (uint32_t id = segs.Link(first); id != 0; id = segs.Link(id)) first = id;
  const uint8_t* p = segs.Payload(first);
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    uint8_t b = *p++;
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (b < 0x80) break;
  }
  return chunk_internal::UnZigZag(v);
}

void OpenChunk::Append(ChunkSegments& segs, int64_t t, uint64_t bits, int64_t prev_t, uint64_t prev_bits) {
  assert(n_ < kMaxChunkSamples);
  int leading_prev = static_cast<int>((bits_ >> 4) & 63) - 1;  // -1 before the first '11'
  int trailing_prev = static_cast<int>(bits_ >> 10);
  BitSink w(segs, tail_, size_, static_cast<uint8_t>(bits_ & 15));
  if (n_ == 0) {
    leading_prev = -1;
    trailing_prev = 0;
    w.PutUvarint(chunk_internal::ZigZag(t));
    w.Put(bits, 64);
  } else {
    uint64_t delta = static_cast<uint64_t>(t) - static_cast<uint64_t>(prev_t);
    assert(delta <= UINT32_MAX);
    if (n_ == 1) {
      w.PutUvarint(delta);
    } else {
      int64_t dod = static_cast<int64_t>(delta - delta_);
      if (dod == 0) {
        w.Put(0, 1);
      } else {
        for (const chunk_internal::DodBucket& b : chunk_internal::kDodBuckets) {
          if (chunk_internal::FitsSigned(dod, b.payload_bits)) {
            w.Put(b.prefix, b.prefix_bits);
            w.Put(static_cast<uint64_t>(dod), b.payload_bits);
            break;
          }
        }
      }
    }
    delta_ = static_cast<uint32_t>(delta);
    // XOR'd value (chunk_xor.cc's XorValueEncoder).
    uint64_t x = bits ^ prev_bits;
    if (x == 0) {
      w.Put(0, 1);
    } else {
      int leading = std::countl_zero(x);
      int trailing = std::countr_zero(x);
      if (leading > 31) leading = 31;  // 5-bit field
      if (leading_prev >= 0 && leading >= leading_prev && trailing >= trailing_prev) {
        w.Put(0b10, 2);
        w.Put(x >> trailing_prev, 64 - leading_prev - trailing_prev);
      } else {
        int sig = 64 - leading - trailing;
        w.Put(0b11, 2);
        w.Put(static_cast<uint64_t>(leading), 5);
        w.Put(static_cast<uint64_t>(sig & 63), 6);  // 64 is written as 0
        w.Put(x >> trailing, sig);
        leading_prev = leading;
        trailing_prev = trailing;
      }
    }
  }
  ++n_;
  size_ = w.size();
  bits_ = static_cast<uint16_t>(w.free() | ((leading_prev + 1) << 4) | (trailing_prev << 10));
}

}  // namespace perfwatch::tsdb
