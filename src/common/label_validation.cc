#include "common/label_validation.h"

namespace perfwatch {
namespace {
bool IsContinuation(uint8_t b) { return (b & 0xc0) == 0x80; }
}  // namespace

bool label_validation_internal::IsValidUtf8Slow(const uint8_t* p, const uint8_t* end) {
  while (p < end) {
    uint8_t c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    size_t left = static_cast<size_t>(end - p);
    if (c < 0xc2) return false;  // stray continuation byte or overlong 2-byte form
    if (c < 0xe0) {
      if (left < 2 || !IsContinuation(p[1])) return false;
      p += 2;
    } else if (c < 0xf0) {
      if (left < 3 || !IsContinuation(p[1]) || !IsContinuation(p[2])) return false;
      if (c == 0xe0 && p[1] < 0xa0) return false;  // overlong
      if (c == 0xed && p[1] > 0x9f) return false;  // UTF-16 surrogates
      p += 3;
    } else if (c < 0xf5) {
      if (left < 4 || !IsContinuation(p[1]) || !IsContinuation(p[2]) || !IsContinuation(p[3])) {
        return false;
      }
      if (c == 0xf0 && p[1] < 0x90) return false;  // overlong
      if (c == 0xf4 && p[1] > 0x8f) return false;  // above U+10FFFF
      p += 4;
    } else {
      return false;
    }
  }
  return true;
}

std::string QuoteForError(std::string_view s) {
  static constexpr size_t kMax = 64;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < kMax; ++i) {
    auto c = static_cast<uint8_t>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  out += '"';
  if (s.size() > kMax) out += "...";
  return out;
}

}  // namespace perfwatch
