#pragma once
// Checks for Prometheus names and strings as they arrive on the wire: label names
// ([a-zA-Z_][a-zA-Z0-9_]*, the remote write 1.0 / classic rule), metric names
// ([a-zA-Z_:][a-zA-Z0-9_:]*), UTF-8 validity, and quoting a hostile string for an error
// message. The one definition of these rules: the remote-write decoder, the exposition
// parser, the series/label API, PromQL's label functions and the scrape config use it.
// Thread safety: pure functions.
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace perfwatch {

inline bool IsValidLabelName(std::string_view name);
inline bool IsValidMetricName(std::string_view name);
// Well-formed UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
inline bool IsValidUtf8(std::string_view s);
// `s` in double quotes for an error message: printable ASCII kept, other bytes as \xNN,
// cut after 64 bytes with "...".
std::string QuoteForError(std::string_view s);

// ---------------------------------------------------------------- inline implementation
// (these run for every label of every remote-write series)
namespace label_validation_internal {

enum : uint8_t {
  kLabelFirst = 1,   // [a-zA-Z_]
  kLabelRest = 2,    // [a-zA-Z0-9_]
  kMetricFirst = 4,  // [a-zA-Z_:]
  kMetricRest = 8,   // [a-zA-Z0-9_:]
};

constexpr std::array<uint8_t, 256> MakeClassTable() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    bool digit = c >= '0' && c <= '9';
    uint8_t v = 0;
    if (alpha) v |= kLabelFirst | kLabelRest | kMetricFirst | kMetricRest;
    if (digit) v |= kLabelRest | kMetricRest;
    if (c == ':') v |= kMetricFirst | kMetricRest;
    t[c] = v;
  }
  return t;
}
inline constexpr std::array<uint8_t, 256> kClass = MakeClassTable();

inline bool MatchesName(std::string_view s, uint8_t first, uint8_t rest) {
  if (s.empty() || !(kClass[static_cast<uint8_t>(s[0])] & first)) return false;
  for (size_t i = 1; i < s.size(); ++i) {
    if (!(kClass[static_cast<uint8_t>(s[i])] & rest)) return false;
  }
  return true;
}

// Validates from the first byte that is not ASCII.
bool IsValidUtf8Slow(const uint8_t* p, const uint8_t* end);

}  // namespace label_validation_internal

// Appends code point `cp` (at most 0x10FFFF, not a surrogate: callers check) as UTF-8.
inline void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

inline bool IsValidLabelName(std::string_view name) {
  using namespace label_validation_internal;
  return MatchesName(name, kLabelFirst, kLabelRest);
}

inline bool IsValidMetricName(std::string_view name) {
  using namespace label_validation_internal;
  return MatchesName(name, kMetricFirst, kMetricRest);
}

inline bool IsValidUtf8(std::string_view s) {
  // ASCII fast path, a word at a time; the tail is checked with overlapping loads.
  constexpr uint64_t kHigh8 = 0x8080808080808080ULL;
  constexpr uint32_t kHigh4 = 0x80808080U;
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const size_t n = s.size();
  bool ascii;
  if (n >= 8) {
    uint64_t acc = 0, w;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      std::memcpy(&w, p + i, 8);
      acc |= w;
    }
    std::memcpy(&w, p + n - 8, 8);
    ascii = !((acc | w) & kHigh8);
  } else if (n >= 4) {
    uint32_t a, b;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, p + n - 4, 4);
    ascii = !((a | b) & kHigh4);
  } else {
    uint8_t acc = 0;
    for (size_t i = 0; i < n; ++i) acc |= p[i];
    ascii = acc < 0x80;
  }
  return ascii || label_validation_internal::IsValidUtf8Slow(p, p + n);
}

}  // namespace perfwatch
