#pragma once
// 64-bit identifiers as 16 lowercase hex digits (error fingerprints, alert fingerprints,
// random ids) and back.
// Thread safety: pure functions.
#include <cstdint>
#include <string>
#include <string_view>

namespace perfwatch {

// Exactly 16 lowercase hex digits, zero-padded.
inline std::string Hex64(uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) out[static_cast<size_t>(i)] = kDigits[v & 0xF];
  return out;
}

// Exactly 16 hex digits, either case; false (and *out unchanged) otherwise.
inline bool ParseHex64(std::string_view hex, uint64_t* out) {
  if (hex.size() != 16) return false;
  uint64_t v = 0;
  for (char c : hex) {
    uint64_t d;
    if (c >= '0' && c <= '9') d = static_cast<uint64_t>(c - '0');
    else if (c >= 'a' && c <= 'f') d = static_cast<uint64_t>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') d = static_cast<uint64_t>(c - 'A' + 10);
    else return false;
    v = (v << 4) | d;
  }
  *out = v;
  return true;
}

}  // namespace perfwatch
