#pragma once
// WAL and checkpoint record payloads: series (ref + labels), samples (ref + t + v) and,
// in checkpoints only, whole head chunks. Byte layout: docs/format/wal.md.
//
// Encoders append to a std::string (the caller frames it with BeginWalRecord /
// FinishWalRecord); decoders walk a payload and call back per entry, failing with
// DataLoss on malformed bytes (never reading out of bounds).
//
// Thread safety: pure functions.
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"
#include "tsdb/chunk.h"
#include "tsdb/labels.h"

namespace perfwatch::tsdb {

enum class RecordType : uint8_t { kSeries = 1, kSamples = 2, kChunks = 3 };

// Decoders refuse larger groups (a corrupt count must not allocate gigabytes).
inline constexpr uint64_t kWalMaxSamplesPerGroup = 1u << 20;

// --- little helpers (little-endian fixed, LEB128 varints, zigzag) ---
inline void PutVarint64(std::string& out, uint64_t v) {
  char b[10];
  int n = 0;
  while (v >= 0x80) {
    b[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  b[n++] = static_cast<char>(v);
  out.append(b, n);
}
inline uint64_t ZigZagEncode(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
inline int64_t ZigZagDecode(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }
inline void PutFixed64(std::string& out, uint64_t v) {
  char b[8];
  std::memcpy(b, &v, 8);
  out.append(b, 8);
}

// Bounds-checked reader; every getter returns false once the input is exhausted/invalid.
class RecordDecoder {
 public:
  explicit RecordDecoder(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}
  bool Varint(uint64_t* v) {
    uint64_t r = 0;
    for (int shift = 0; shift < 64 && p_ < end_; shift += 7) {
      uint8_t b = static_cast<uint8_t>(*p_++);
      r |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (b < 0x80) {
        *v = r;
        return true;
      }
    }
    p_ = end_;
    return false;
  }
  bool Fixed64(uint64_t* v) {
    if (end_ - p_ < 8) return false;
    std::memcpy(v, p_, 8);
    p_ += 8;
    return true;
  }
  bool Bytes(size_t n, std::string_view* out) {
    if (static_cast<size_t>(end_ - p_) < n) return false;
    *out = std::string_view(p_, n);
    p_ += n;
    return true;
  }
  bool LengthPrefixed(std::string_view* out) {
    uint64_t n;
    return Varint(&n) && Bytes(n, out);
  }
  bool done() const { return p_ == end_; }

 private:
  const char* p_;
  const char* end_;
};

// Series record: type, then per series: ref, label count, (name, value) length-prefixed.
void EncodeSeriesRecordStart(std::string& out);
void EncodeSeriesEntry(std::string& out, uint64_t ref, std::span<const LabelView> labels);
// `labels` passed to the callback is only valid during the call.
Status DecodeSeriesRecord(std::string_view payload,
                          const std::function<Status(uint64_t ref, std::span<const LabelView> labels)>& fn);

// Samples record: type, base time (zigzag), then per series group: ref, count, and per
// sample zigzag(t - base) varint + the value's 8 raw bytes.
void EncodeSamplesRecordStart(std::string& out, int64_t base_t);
void EncodeSamplesGroup(std::string& out, int64_t base_t, uint64_t ref, std::span<const Sample> samples);
Status DecodeSamplesRecord(std::string_view payload,
                           const std::function<Status(uint64_t ref, std::span<const Sample> samples)>& fn);

// Chunks record (checkpoints): type, then per chunk: ref, mint, maxt (zigzag), bytes.
void EncodeChunksRecordStart(std::string& out);
void EncodeChunkEntry(std::string& out, uint64_t ref, int64_t mint, int64_t maxt, std::span<const uint8_t> chunk);
Status DecodeChunksRecord(
    std::string_view payload,
    const std::function<Status(uint64_t ref, int64_t mint, int64_t maxt, std::string_view chunk)>& fn);

}  // namespace perfwatch::tsdb
