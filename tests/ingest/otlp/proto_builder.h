#pragma once
// A minimal protobuf writer for the OTLP decoder tests, fuzz seeds and benchmarks: it
// appends fields in the wire format by field number, so that tests can build canonical
// requests and also non-canonical ones (unknown fields, unpacked repeated fields, groups,
// broken lengths).
// Thread safety: a plain value.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace perfwatch::ingest::otlp::testing {

class ProtoBuilder {
 public:
  ProtoBuilder& Varint(uint32_t field, uint64_t v) {
    Tag(field, 0);
    Raw(v);
    return *this;
  }
  ProtoBuilder& Sint(uint32_t field, int64_t v) {
    return Varint(field, (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
  }
  ProtoBuilder& Fixed64(uint32_t field, uint64_t v) {
    Tag(field, 1);
    char b[8];
    std::memcpy(b, &v, 8);
    bytes_.append(b, 8);
    return *this;
  }
  ProtoBuilder& Double(uint32_t field, double d) {
    uint64_t v;
    std::memcpy(&v, &d, 8);
    return Fixed64(field, v);
  }
  ProtoBuilder& Fixed32(uint32_t field, uint32_t v) {
    Tag(field, 5);
    char b[4];
    std::memcpy(b, &v, 4);
    bytes_.append(b, 4);
    return *this;
  }
  ProtoBuilder& Bytes(uint32_t field, std::string_view s) {
    Tag(field, 2);
    Raw(s.size());
    bytes_.append(s);
    return *this;
  }
  ProtoBuilder& Message(uint32_t field, const ProtoBuilder& m) { return Bytes(field, m.bytes_); }
  // A group holding `inner` (skipped by every proto3 decoder).
  ProtoBuilder& Group(uint32_t field, const ProtoBuilder& inner) {
    Tag(field, 3);
    bytes_.append(inner.bytes_);
    Tag(field, 4);
    return *this;
  }
  ProtoBuilder& Tag(uint32_t field, uint32_t wire_type) {
    Raw((static_cast<uint64_t>(field) << 3) | wire_type);
    return *this;
  }
  ProtoBuilder& Raw(uint64_t v) {
    while (v >= 0x80) {
      bytes_.push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    bytes_.push_back(static_cast<char>(v));
    return *this;
  }
  ProtoBuilder& RawBytes(std::string_view s) {
    bytes_.append(s);
    return *this;
  }

  const std::string& bytes() const { return bytes_; }
  size_t size() const { return bytes_.size(); }

 private:
  std::string bytes_;
};

inline std::string Unhex(std::string_view hex) {
  std::string out;
  auto d = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(d(hex[i]) << 4 | d(hex[i + 1])));
  return out;
}

// KeyValue{key, AnyValue{string_value}}.
inline ProtoBuilder StringAttr(std::string_view key, std::string_view value) {
  ProtoBuilder kv;
  kv.Bytes(1, key).Message(2, ProtoBuilder().Bytes(1, value));
  return kv;
}

}  // namespace perfwatch::ingest::otlp::testing
