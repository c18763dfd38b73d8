#include "tsdb/record.h"

#include <bit>
#include <vector>

namespace perfwatch::tsdb {

namespace {
// Time deltas wrap modulo 2^64 (any int64 timestamps round-trip, no signed overflow).
int64_t WrapSub(int64_t a, int64_t b) { return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b)); }
Status Malformed(std::string_view what) { return DataLoss("malformed " + std::string(what) + " record"); }
}  // namespace

void EncodeSeriesRecordStart(std::string& out) { out.push_back(static_cast<char>(RecordType::kSeries)); }

void EncodeSeriesEntry(std::string& out, uint64_t ref, std::span<const LabelView> labels) {
  perfwatch::PutVarint(out, ref);
  perfwatch::PutVarint(out, labels.size());
  for (const LabelView& l : labels) {
    perfwatch::PutVarint(out, l.name.size());
    out.append(l.name);
    perfwatch::PutVarint(out, l.value.size());
    out.append(l.value);
  }
}

Status DecodeSeriesRecord(std::string_view payload,
                          const std::function<Status(uint64_t, std::span<const LabelView>)>& fn) {
  if (payload.empty() || payload[0] != static_cast<char>(RecordType::kSeries)) return Malformed("series");
  perfwatch::Decoder d(payload.substr(1));
  std::vector<LabelView> labels;
  while (!d.done()) {
    uint64_t ref, n;
    if (!d.Varint(&ref) || !d.Varint(&n) || n > 1024) return Malformed("series");
    labels.resize(n);
    for (uint64_t i = 0; i < n; ++i) {
      if (!d.LengthPrefixed(&labels[i].name) || !d.LengthPrefixed(&labels[i].value)) return Malformed("series");
    }
    PW_RETURN_IF_ERROR(fn(ref, labels));
  }
  return Status::Ok();
}

void EncodeSamplesRecordStart(std::string& out, int64_t base_t) {
  out.push_back(static_cast<char>(RecordType::kSamples));
  perfwatch::PutVarint(out, perfwatch::ZigZag(base_t));
}

void EncodeSamplesGroup(std::string& out, int64_t base_t, uint64_t ref, std::span<const Sample> samples) {
  while (samples.size() > kWalMaxSamplesPerGroup) {
    EncodeSamplesGroup(out, base_t, ref, samples.first(kWalMaxSamplesPerGroup));
    samples = samples.subspan(kWalMaxSamplesPerGroup);
  }
  // Worst case per sample: 10-byte varint + 8 bytes; write through a raw pointer.
  size_t old = out.size();
  out.resize(old + 20 + samples.size() * 18);
  char* p = out.data() + old;
  auto varint = [&p](uint64_t v) {
    while (v >= 0x80) {
      *p++ = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    *p++ = static_cast<char>(v);
  };
  varint(ref);
  varint(samples.size());
  for (const Sample& s : samples) {
    varint(perfwatch::ZigZag(WrapSub(s.t, base_t)));
    uint64_t bits = std::bit_cast<uint64_t>(s.v);
    std::memcpy(p, &bits, 8);
    p += 8;
  }
  out.resize(static_cast<size_t>(p - out.data()));
}

Status MalformedSamplesRecord() { return Malformed("samples"); }

void EncodeChunksRecordStart(std::string& out) { out.push_back(static_cast<char>(RecordType::kChunks)); }

void EncodeChunkEntry(std::string& out, uint64_t ref, int64_t mint, int64_t maxt, std::span<const uint8_t> chunk) {
  perfwatch::PutVarint(out, ref);
  perfwatch::PutVarint(out, perfwatch::ZigZag(mint));
  perfwatch::PutVarint(out, perfwatch::ZigZag(maxt));
  perfwatch::PutVarint(out, chunk.size());
  out.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
}

Status DecodeChunksRecord(std::string_view payload,
                          const std::function<Status(uint64_t, int64_t, int64_t, std::string_view)>& fn) {
  if (payload.empty() || payload[0] != static_cast<char>(RecordType::kChunks)) return Malformed("chunks");
  perfwatch::Decoder d(payload.substr(1));
  while (!d.done()) {
    uint64_t ref, mint, maxt;
    std::string_view bytes;
    if (!d.Varint(&ref) || !d.Varint(&mint) || !d.Varint(&maxt) || !d.LengthPrefixed(&bytes)) {
      return Malformed("chunks");
    }
    PW_RETURN_IF_ERROR(fn(ref, perfwatch::UnZigZag(mint), perfwatch::UnZigZag(maxt), bytes));
  }
  return Status::Ok();
}

}  // namespace perfwatch::tsdb
