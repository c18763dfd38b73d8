#pragma once
// A minimal protobuf writer for Prometheus remote-write 1.0 WriteRequests, the mirror of
// RemoteWriteDecoder. Used by tests, benchmarks and fuzz-corpus generation to build
// exact wire bytes (including deliberately odd ones: unknown fields, any field order,
// raw tags); it validates nothing.
// Thread safety: plain value type.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace perfwatch::ingest {

class ProtoWriter {
 public:
  enum WireType : uint32_t {
    kVarint = 0,
    kFixed64 = 1,
    kLen = 2,
    kGroupStart = 3,
    kGroupEnd = 4,
    kFixed32 = 5
  };

  ProtoWriter& Varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
    return *this;
  }
  ProtoWriter& Tag(uint32_t field, uint32_t wire_type) {
    return Varint((static_cast<uint64_t>(field) << 3) | wire_type);
  }
  ProtoWriter& VarintField(uint32_t field, uint64_t v) { return Tag(field, kVarint).Varint(v); }
  ProtoWriter& Fixed64Field(uint32_t field, uint64_t bits) {
    Tag(field, kFixed64);
    char b[8];
    std::memcpy(b, &bits, 8);
    out_.append(b, 8);
    return *this;
  }
  ProtoWriter& DoubleField(uint32_t field, double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, 8);
    return Fixed64Field(field, bits);
  }
  ProtoWriter& Fixed32Field(uint32_t field, uint32_t bits) {
    Tag(field, kFixed32);
    char b[4];
    std::memcpy(b, &bits, 4);
    out_.append(b, 4);
    return *this;
  }
  ProtoWriter& BytesField(uint32_t field, std::string_view bytes) {
    Tag(field, kLen).Varint(bytes.size());
    out_.append(bytes);
    return *this;
  }
  ProtoWriter& Raw(std::string_view bytes) {
    out_.append(bytes);
    return *this;
  }

  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }
  size_t size() const { return out_.size(); }
  void clear() { out_.clear(); }

 private:
  std::string out_;
};

// prometheus.Label / Sample / TimeSeries / MetricMetadata in canonical field order.
inline std::string EncodeLabel(std::string_view name, std::string_view value) {
  return ProtoWriter().BytesField(1, name).BytesField(2, value).Take();
}
inline std::string EncodeSample(int64_t timestamp_ms, double value) {
  return ProtoWriter()
      .DoubleField(1, value)
      .VarintField(2, static_cast<uint64_t>(timestamp_ms))
      .Take();
}
inline std::string EncodeTimeSeries(const std::vector<std::pair<std::string, std::string>>& labels,
                                    const std::vector<std::pair<int64_t, double>>& samples) {
  ProtoWriter w;
  for (const auto& [name, value] : labels) w.BytesField(1, EncodeLabel(name, value));
  for (const auto& [t, v] : samples) w.BytesField(2, EncodeSample(t, v));
  return w.Take();
}
inline std::string EncodeMetadata(uint32_t type, std::string_view family, std::string_view help,
                                  std::string_view unit) {
  return ProtoWriter()
      .VarintField(1, type)
      .BytesField(2, family)
      .BytesField(4, help)
      .BytesField(5, unit)
      .Take();
}
// A WriteRequest from already encoded TimeSeries and MetricMetadata messages.
inline std::string EncodeWriteRequest(const std::vector<std::string>& timeseries,
                                      const std::vector<std::string>& metadata = {}) {
  ProtoWriter w;
  for (const auto& ts : timeseries) w.BytesField(1, ts);
  for (const auto& md : metadata) w.BytesField(3, md);
  return w.Take();
}

}  // namespace perfwatch::ingest
