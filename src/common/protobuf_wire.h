#pragma once
// Protobuf wire-format constants shared by the hand-written decoders (remote write,
// OTLP): the wire types of a field's tag and their names for error messages.
// Thread safety: constants and a pure function.
#include <cstdint>

namespace perfwatch::protobuf {

constexpr uint32_t kVarint = 0;
constexpr uint32_t kFixed64 = 1;
constexpr uint32_t kLengthDelimited = 2;
constexpr uint32_t kStartGroup = 3;  // groups: a proto2 relic; decoders skip them, depth-capped
constexpr uint32_t kEndGroup = 4;
constexpr uint32_t kFixed32 = 5;

// "varint", "fixed64", "length-delimited", "start-group", "end-group", "fixed32", else "invalid".
constexpr const char* WireTypeName(uint32_t wire_type) {
  switch (wire_type) {
    case kVarint: return "varint";
    case kFixed64: return "fixed64";
    case kLengthDelimited: return "length-delimited";
    case kStartGroup: return "start-group";
    case kEndGroup: return "end-group";
    case kFixed32: return "fixed32";
    default: return "invalid";
  }
}

}  // namespace perfwatch::protobuf
