// The Gorilla XOR encoding (ChunkEncoding::kXor): the head's streaming chunk format.
// Layout: docs/format/chunks.md#xor.
#include <bit>
#include <cassert>
#include <cstring>

#include "tsdb/chunk.h"
#include "tsdb/chunk_codec.h"

namespace perfwatch::tsdb {
namespace chunk_internal {
namespace {

constexpr size_t kXorHeaderSize = 3;  // encoding byte + big-endian u16 sample count

int64_t SignExtend(uint64_t v, int bits) {
  if (bits >= 64) return static_cast<int64_t>(v);
  uint64_t m = uint64_t{1} << (bits - 1);
  return static_cast<int64_t>((v ^ m) - m);
}

uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }

}  // namespace

void XorValueEncoder::Append(BitWriter& w, uint64_t bits) {
  if (first_) {
    w.Write(bits, 64);
    first_ = false;
    prev_ = bits;
    return;
  }
  uint64_t x = bits ^ prev_;
  prev_ = bits;
  if (x == 0) {
    w.WriteBit(false);
    return;
  }
  int leading = std::countl_zero(x);
  int trailing = std::countr_zero(x);
  if (leading > 31) leading = 31;  // 5-bit field
  if (leading_ >= 0 && leading >= leading_ && trailing >= trailing_) {
    w.Write(0b10, 2);
    w.Write(x >> trailing_, 64 - leading_ - trailing_);
    return;
  }
  int sig = 64 - leading - trailing;
  w.Write(0b11, 2);
  w.Write(static_cast<uint64_t>(leading), 5);
  w.Write(static_cast<uint64_t>(sig & 63), 6);  // 64 is written as 0
  w.Write(x >> trailing, sig);
  leading_ = leading;
  trailing_ = trailing;
}

bool XorValueDecoder::Next(BitReader& r, uint64_t* bits) {
  if (first_) {
    prev_ = r.Read(64);
    first_ = false;
    *bits = prev_;
    return r.ok();
  }
  if (!r.ReadBit()) {
    *bits = prev_;
    return r.ok();
  }
  if (!r.ReadBit()) {  // '10': reuse the window
    if (leading_ < 0) return false;
    uint64_t x = r.Read(64 - leading_ - trailing_) << trailing_;
    prev_ ^= x;
  } else {
    int leading = static_cast<int>(r.Read(5));
    int sig = static_cast<int>(r.Read(6));
    if (sig == 0) sig = 64;
    if (!r.ok() || leading + sig > 64) return false;
    int trailing = 64 - leading - sig;
    uint64_t x = r.Read(sig) << trailing;
    prev_ ^= x;
    leading_ = leading;
    trailing_ = trailing;
  }
  *bits = prev_;
  return r.ok();
}

Status XorChunkDecoder::Init(std::span<const uint8_t> chunk) {
  if (chunk.size() < kXorHeaderSize || chunk[0] != static_cast<uint8_t>(ChunkEncoding::kXor)) {
    return DataLoss("xor chunk: short header");
  }
  n_ = (uint32_t{chunk[1]} << 8) | chunk[2];
  r_ = BitReader(chunk.subspan(kXorHeaderSize));
  return Status::Ok();
}

bool XorChunkDecoder::Next(int64_t* t, double* v, Status* status) {
  if (i_ >= n_) return false;
  if (i_ == 0) {
    t_ = UnZigZag(r_.Uvarint());
  } else if (i_ == 1) {
    delta_ = r_.Uvarint();
    t_ = static_cast<int64_t>(static_cast<uint64_t>(t_) + delta_);
  } else {
    int ones = 0;
    while (ones < 4 && r_.ReadBit()) ++ones;
    uint64_t dod = 0;
    if (ones > 0) {
      const DodBucket& b = kDodBuckets[ones - 1 + (ones == 4 && r_.ReadBit() ? 1 : 0)];
      dod = static_cast<uint64_t>(SignExtend(r_.Read(b.payload_bits), b.payload_bits));
    }
    delta_ += dod;
    t_ = static_cast<int64_t>(static_cast<uint64_t>(t_) + delta_);
  }
  uint64_t bits = 0;
  if (!values_.Next(r_, &bits) || !r_.ok()) {
    *status = DataLoss("xor chunk: sample " + std::to_string(i_) + " of " + std::to_string(n_) +
                       " is truncated or corrupt");
    i_ = n_;
    return false;
  }
  *t = t_;
  std::memcpy(v, &bits, sizeof bits);
  ++i_;
  return true;
}

namespace {

// The head's appender: streams samples into a kXor chunk.
// Thread safety: not thread-safe (the head's series lock serialises use).
class XorAppender final : public ChunkAppender {
 public:
  XorAppender() : w_(&buf_) {
    // Small at first: most head series are quiet (one sample a scrape or a second), and a
    // reserve sized for a full chunk cost ~260 bytes of RSS per series from the start.
    buf_.reserve(kXorHeaderSize + 29);
    buf_.push_back(static_cast<uint8_t>(ChunkEncoding::kXor));
    buf_.push_back(0);
    buf_.push_back(0);
  }

  void Append(int64_t t, double v) override {
    assert(n_ < kMaxChunkSamples);
    if (n_ == 0) {
      WriteBitUvarint(w_, ZigZag(t));
    } else if (n_ == 1) {
      delta_ = static_cast<uint64_t>(t) - static_cast<uint64_t>(t_);
      WriteBitUvarint(w_, delta_);
    } else {
      uint64_t delta = static_cast<uint64_t>(t) - static_cast<uint64_t>(t_);
      int64_t dod = static_cast<int64_t>(delta - delta_);
      delta_ = delta;
      if (dod == 0) {
        w_.WriteBit(false);
      } else {
        for (const DodBucket& b : kDodBuckets) {
          if (FitsSigned(dod, b.payload_bits)) {
            w_.Write(b.prefix, b.prefix_bits);
            w_.Write(static_cast<uint64_t>(dod), b.payload_bits);
            break;
          }
        }
      }
    }
    t_ = t;
    values_.Append(w_, Bits(v));
    ++n_;
    // The count is updated last: bytes() always describes whole samples.
    buf_[1] = static_cast<uint8_t>(n_ >> 8);
    buf_[2] = static_cast<uint8_t>(n_);
  }

  uint32_t num_samples() const override { return n_; }
  std::span<const uint8_t> bytes() const override { return buf_; }

 private:
  std::vector<uint8_t> buf_;
  BitWriter w_;
  XorValueEncoder values_;
  uint32_t n_ = 0;
  int64_t t_ = 0;
  uint64_t delta_ = 0;
};

}  // namespace
}  // namespace chunk_internal

std::unique_ptr<ChunkAppender> NewChunkAppender() {
  return std::make_unique<chunk_internal::XorAppender>();
}

}  // namespace perfwatch::tsdb
