#pragma once
// Internals of the chunk encodings (src/tsdb/chunk*.cc), exposed for tests, fuzzers and
// benchmarks: per-encoding decoders and the sealed encoder with forcible codec choices.
// Byte layouts: docs/format/chunks.md.
// Thread safety: plain values; one thread per instance.
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/status.h"
#include "tsdb/chunk.h"
#include "tsdb/chunk_bits.h"

namespace perfwatch::tsdb::chunk_internal {

// ---- Gorilla XOR (ChunkEncoding::kXor) -------------------------------------------------

// XOR'd float stream: first value as 64 raw bits, then '0' (same bits), '10' + bits in the
// previous window, or '11' + 5-bit leading zeros + 6-bit length (0 = 64) + bits.
class XorValueEncoder {
 public:
  void Append(BitWriter& w, uint64_t bits);

 private:
  bool first_ = true;
  uint64_t prev_ = 0;
  int leading_ = -1;  // window of the last '11' record; -1 before the first
  int trailing_ = 0;
};

class XorValueDecoder {
 public:
  // False on corrupt or truncated input (the reader's ok() turns false, or a bad window).
  bool Next(BitReader& r, uint64_t* bits);

 private:
  bool first_ = true;
  uint64_t prev_ = 0;
  int leading_ = -1;
  int trailing_ = 0;
};

// Decodes a whole kXor chunk (encoding byte first), one sample at a time.
class XorChunkDecoder {
 public:
  Status Init(std::span<const uint8_t> chunk);
  uint32_t num_samples() const { return n_; }
  // False at the end (status stays OK) or on corruption (*status set).
  bool Next(int64_t* t, double* v, Status* status);

 private:
  BitReader r_{{}};
  XorValueDecoder values_;
  uint32_t n_ = 0;
  uint32_t i_ = 0;
  int64_t t_ = 0;
  uint64_t delta_ = 0;
};

// ---- Packed (ChunkEncoding::kPacked) ----------------------------------------------------

// How an int64 column is turned into bit-packed residuals.
enum class IntTransform : uint8_t {
  kValues = 0,      // r[i] = x[i]
  kDelta = 1,       // header x[0]; r[i] = x[i] - x[i-1]
  kDeltaDelta = 2,  // header x[0], x[1]-x[0]; r[i] = d[i] - d[i-1]
  kGrid = 3,        // header step; r[i] = x[i] - i*step (jittered regular timestamps)
};
inline constexpr int kNumIntTransforms = 4;

// How the value column stores doubles.
enum class ValueKind : uint8_t {
  kConstant = 0,  // one 64-bit pattern for every sample
  kDecimal = 1,   // v = x / 10^d exactly, x an int column; non-conforming samples stored raw
  kRawBits = 2,   // the IEEE bit patterns as an int column (monotone floats, e.g. _sum)
  kXor = 3,       // Gorilla XOR stream
};
inline constexpr int kNumValueKinds = 4;
inline constexpr int kMaxDecimals = 15;

// Forces codec choices (tests and benchmarks); unset fields are chosen by size. A forced
// choice that cannot represent the data (e.g. kConstant over varying values) falls back
// to the automatic choice.
struct SealOptions {
  std::optional<IntTransform> time_transform;
  std::optional<ValueKind> value_kind;
  std::optional<IntTransform> value_transform;  // for kDecimal / kRawBits
};

std::vector<uint8_t> EncodePacked(std::span<const Sample> samples, const SealOptions& opts = {});

// Sequential reader of a bit-packed int column (layout in docs/format/chunks.md).
class IntColumnDecoder {
 public:
  // Parses the column header for `n` values; the packed bytes are bounds-checked here.
  bool Init(ByteReader& r, uint32_t n);
  int64_t Next();  // the next value; call at most n times
  // All n values at once (instead of n Next() calls; none may have been made). The bulk
  // path of DecodeChunk: one switch per column instead of one per value.
  void DecodeAll(uint64_t* out);
  IntTransform transform() const { return transform_; }

 private:
  IntTransform transform_ = IntTransform::kValues;
  uint32_t n_ = 0;
  uint32_t i_ = 0;
  uint32_t header_count_ = 0;
  uint64_t h0_ = 0, h1_ = 0;  // transform header values
  uint64_t base_ = 0, gcd_ = 0;
  int width_ = 0;
  const uint8_t* packed_ = nullptr;
  size_t packed_size_ = 0;
  uint64_t prev_ = 0, delta_ = 0;  // running state (wrapping arithmetic)
};

class PackedChunkDecoder {
 public:
  Status Init(std::span<const uint8_t> chunk);
  uint32_t num_samples() const { return n_; }
  ValueKind value_kind() const { return kind_; }
  IntTransform time_transform() const { return times_.transform(); }
  bool Next(int64_t* t, double* v, Status* status);
  // Writes all num_samples() samples to `out` (no Next() call may have been made).
  Status DecodeAll(Sample* out);

 private:
  uint32_t n_ = 0;
  uint32_t i_ = 0;
  IntColumnDecoder times_;
  ValueKind kind_ = ValueKind::kConstant;
  uint64_t const_bits_ = 0;
  int decimals_ = 0;
  IntColumnDecoder ints_;
  // kDecimal exceptions: remaining entries, next index.
  ByteReader exceptions_{{}};
  uint32_t exceptions_left_ = 0;
  uint32_t next_exception_ = 0;
  BitReader xor_reader_{{}};
  XorValueDecoder xor_;
};

}  // namespace perfwatch::tsdb::chunk_internal
