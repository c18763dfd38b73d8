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
Status DecodeSamplesRecord(std::string_view payload,
                           const std::function<Status(uint64_t ref, std::span<const Sample> samples)>& fn);

// Chunks record (checkpoints): type, then per chunk: ref, mint, maxt (zigzag), bytes.
void EncodeChunksRecordStart(std::string& out);
void EncodeChunkEntry(std::string& out, uint64_t ref, int64_t mint, int64_t maxt, std::span<const uint8_t> chunk);
Status DecodeChunksRecord(
    std::string_view payload,
    const std::function<Status(uint64_t ref, int64_t mint, int64_t maxt, std::string_view chunk)>& fn);

}  // namespace perfwatch::tsdb
