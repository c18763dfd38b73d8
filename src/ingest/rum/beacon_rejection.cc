#include "ingest/rum/beacon_rejection.h"

namespace perfwatch::ingest {

std::string_view RejectCodeName(RejectCode code) {
  switch (code) {
    case RejectCode::kInvalidJson: return "invalid_json";
    case RejectCode::kInvalidUtf8: return "invalid_utf8";
    case RejectCode::kTooDeep: return "too_deep";
    case RejectCode::kTooMany: return "too_many";
    case RejectCode::kUnsupportedMediaType: return "unsupported_media_type";
    case RejectCode::kNotObject: return "not_object";
    case RejectCode::kUnknownType: return "unknown_type";
    case RejectCode::kUnknownVital: return "unknown_vital";
    case RejectCode::kBadValue: return "bad_value";
    case RejectCode::kBadFieldType: return "bad_field_type";
  }
  return "unknown";
}

}  // namespace perfwatch::ingest
