#pragma once
// Why a RUM beacon (or a whole request body) was rejected: a machine code, used as the
// `reason` label of perfwatch_rum_beacons_rejected_total, and a one-line reason for the
// client. Every code and reason: docs/ingest.md "Rejections".
// Thread safety: plain values.
#include <cstdint>
#include <string>
#include <string_view>

namespace perfwatch::ingest {

enum class RejectCode : uint8_t {
  // Whole body (index -1).
  kInvalidJson = 0,
  kInvalidUtf8,
  kTooDeep,
  kTooMany,               // -> 413
  kUnsupportedMediaType,  // -> 415 (decided by the handler, before parsing)
  kNotObject,             // also per beacon
  // Per beacon.
  kUnknownType,
  kUnknownVital,
  kBadValue,
  kBadFieldType,
};
inline constexpr int kRejectCodeCount = 10;

// "invalid_json", "invalid_utf8", "too_deep", "too_many", "unsupported_media_type",
// "not_object", "unknown_type", "unknown_vital", "bad_value", "bad_field_type".
std::string_view RejectCodeName(RejectCode code);

struct BeaconRejection {
  int index = -1;  // position in the batch (0 for a single-object body); -1: the whole body
  RejectCode code = RejectCode::kInvalidJson;
  std::string reason;
};

}  // namespace perfwatch::ingest
