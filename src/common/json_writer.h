#pragma once
// Small helpers that append JSON to a std::string without intermediate allocation.
// Thread safety: stateless functions.
#include <cstdint>
#include <string>
#include <string_view>

namespace perfwatch {

// Marks (high bit of the byte) the bytes of the 8-byte word `w` that JSON strings must
// escape: below 0x20, '"' and '\\'. Borrows can set false marks, but only above a true
// one, so the lowest mark is always exact.
inline uint64_t JsonEscapeMask(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  uint64_t quote = w ^ (kOnes * '"');       // zero bytes where w has '"'
  uint64_t backslash = w ^ (kOnes * '\\');  // zero bytes where w has '\\'
  return (((w - kOnes * 0x20) & ~w) | ((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash)) & kHigh;
}

inline bool JsonNeedsEscape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

// Writes the escape sequence for one byte that JsonNeedsEscape; returns the new end.
char* WriteJsonEscape(char* out, unsigned char c);

// Writes `s` as a quoted JSON string at `out`, which must have room for 6 * s.size() + 2
// bytes plus 8 bytes of slack (whole words are stored past the result); returns the new
// end. The same bytes as AppendJsonString; for writers that size their buffer up front.
char* WriteJsonString(char* out, std::string_view s);

// Appends `s` as a quoted JSON string, escaping quotes, backslashes and control
// characters. `s` must be valid UTF-8 (callers validate input at the edge).
void AppendJsonString(std::string& out, std::string_view s);

// Appends a number in the shortest form that round-trips ("2480.5", "0.1"); whole
// numbers below 1e15 as integers ("1700000000").
// Non-finite values are written as the JSON strings "NaN", "+Inf", "-Inf".
void AppendJsonNumber(std::string& out, double v);

// Appends an integer.
void AppendJsonInt(std::string& out, long long v);

}  // namespace perfwatch
