#pragma once
// WAL and checkpoint record payloads: series (ref + labels), samples (ref + t + v) and,
// in checkpoints only, whole head chunks. Byte layout: docs/format/wal.md.
//
// Encoders append to a std::string (the caller frames it with BeginWalRecord /
// FinishWalRecord); decoders walk a payload and call back per entry, failing with
// DataLoss on malformed bytes (never reading out of bounds).
//
// Thread safety: pure functions.
#include <bit>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/coding.h"
#include "common/status.h"
#include "tsdb/chunk.h"
#include "tsdb/labels.h"

namespace perfwatch::tsdb {

enum class RecordType : uint8_t { kSeries = 1, kSamples = 2, kChunks = 3 };

// Decoders refuse larger groups (a corrupt count must not allocate gigabytes).
inline constexpr uint64_t kWalMaxSamplesPerGroup = 1u << 20;

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
// `fn` is `Status(uint64_t ref, std::span<const Sample> samples)`; a template, so the
// per-group call is inlined (the WAL replay and remote write call it per sample group).
template <typename Fn>
Status DecodeSamplesRecord(std::string_view payload, Fn&& fn);

// Chunks record (checkpoints): type, then per chunk: ref, mint, maxt (zigzag), bytes.
void EncodeChunksRecordStart(std::string& out);
void EncodeChunkEntry(std::string& out, uint64_t ref, int64_t mint, int64_t maxt, std::span<const uint8_t> chunk);
Status DecodeChunksRecord(
    std::string_view payload,
    const std::function<Status(uint64_t ref, int64_t mint, int64_t maxt, std::string_view chunk)>& fn);

Status MalformedSamplesRecord();

template <typename Fn>
Status DecodeSamplesRecord(std::string_view payload, Fn&& fn) {
  if (payload.empty() || payload[0] != static_cast<char>(RecordType::kSamples)) return MalformedSamplesRecord();
  perfwatch::Decoder d(payload.substr(1));
  uint64_t base;
  if (!d.Varint(&base)) return MalformedSamplesRecord();
  const uint64_t base_t = static_cast<uint64_t>(perfwatch::UnZigZag(base));
  Sample one;  // most groups hold one sample: no allocation for them
  std::vector<Sample> many;
  while (!d.done()) {
    uint64_t ref, n;
    if (!d.Varint(&ref) || !d.Varint(&n) || n > kWalMaxSamplesPerGroup) return MalformedSamplesRecord();
    Sample* samples = &one;
    if (n > 1) {
      many.resize(n);
      samples = many.data();
    }
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t dt, bits;
      if (!d.Varint(&dt) || !d.Fixed64(&bits)) return MalformedSamplesRecord();
      // Time deltas wrap modulo 2^64 (any int64 timestamps round-trip).
      samples[i].t = static_cast<int64_t>(base_t + static_cast<uint64_t>(perfwatch::UnZigZag(dt)));
      samples[i].v = std::bit_cast<double>(bits);
    }
    PW_RETURN_IF_ERROR(fn(ref, std::span<const Sample>(samples, static_cast<size_t>(n))));
  }
  return Status::Ok();
}

}  // namespace perfwatch::tsdb
