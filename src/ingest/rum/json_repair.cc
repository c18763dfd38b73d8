#include "ingest/rum/json_repair.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <system_error>

namespace perfwatch::ingest {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsNumberChar(char c) {
  return IsDigit(c) || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

// Checks the JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
// and reports whether it is an integer (no fraction, no exponent).
bool IsJsonNumber(const char* s, size_t n, bool* integer) {
  size_t i = 0;
  if (i < n && s[i] == '-') ++i;
  if (i >= n || !IsDigit(s[i])) return false;
  if (s[i] == '0') {
    ++i;
  } else {
    while (i < n && IsDigit(s[i])) ++i;
  }
  *integer = true;
  if (i < n && s[i] == '.') {
    *integer = false;
    ++i;
    if (i >= n || !IsDigit(s[i])) return false;
    while (i < n && IsDigit(s[i])) ++i;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    *integer = false;
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (i >= n || !IsDigit(s[i])) return false;
    while (i < n && IsDigit(s[i])) ++i;
  }
  return i == n;
}

// True when the integer token fits int64 (negative) or uint64 (non-negative).
bool FitsInt64OrUint64(const char* s, size_t n) {
  if (s[0] == '-') {
    int64_t v;
    auto r = std::from_chars(s, s + n, v);
    return r.ec == std::errc() && r.ptr == s + n;
  }
  uint64_t v;
  auto r = std::from_chars(s, s + n, v);
  return r.ec == std::errc() && r.ptr == s + n;
}

// For a grammatical number whose magnitude is out of double range: true when it is too
// large (its decimal exponent is positive), false when it is too small.
bool Overflows(const char* s, size_t n) {
  size_t i = s[0] == '-' ? 1 : 0;
  int64_t int_digits = 0;   // significant digits before the point
  int64_t zeros = 0;        // zeros after the point before the first significant digit
  bool significant = false;
  for (; i < n && IsDigit(s[i]); ++i) {
    if (s[i] != '0' || significant) {
      significant = true;
      ++int_digits;
    }
  }
  if (i < n && s[i] == '.') {
    for (++i; i < n && IsDigit(s[i]); ++i) {
      if (!significant && s[i] == '0') ++zeros;
      else significant = true;
    }
  }
  int64_t exp = 0;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool neg = i < n && s[i] == '-';
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    for (; i < n && IsDigit(s[i]); ++i) {
      if (exp < 1000000000) exp = exp * 10 + (s[i] - '0');
    }
    if (neg) exp = -exp;
  }
  int64_t magnitude = (int_digits > 0 ? int_digits - 1 : -(zeros + 1)) + exp;
  return magnitude > 0;
}

void WriteNull(char* s, size_t n) {
  std::memcpy(s, "null", 4);  // n >= 4: shorter tokens are always in range
  std::memset(s + 4, ' ', n - 4);
}

// Rewrites a grammatical number token that simdjson cannot represent. Returns true if
// the token was rewritten.
bool RepairNumber(char* s, size_t n) {
  bool integer = false;
  if (!IsJsonNumber(s, n, &integer)) return false;
  if (integer && FitsInt64OrUint64(s, n)) return false;
  double d = 0;
  auto r = std::from_chars(s, s + n, d);
  if (r.ec == std::errc::result_out_of_range) {
    // Overflow or underflow; simdjson accepts underflow (as 0) but not overflow.
    if (!Overflows(s, n)) return false;
    WriteNull(s, n);
    return true;
  }
  if (r.ec != std::errc() || !std::isfinite(d)) {
    WriteNull(s, n);
    return true;
  }
  if (!integer) return false;  // an in-range float: simdjson parses it
  // A 20+ digit integer: write the double in scientific form with as many digits as fit.
  char tmp[40];
  for (int precision = 16; precision >= 0; --precision) {
    auto w = std::to_chars(tmp, tmp + sizeof(tmp), d, std::chars_format::scientific, precision);
    size_t len = static_cast<size_t>(w.ptr - tmp);
    if (w.ec == std::errc() && len <= n) {
      std::memcpy(s, tmp, len);
      std::memset(s + len, ' ', n - len);
      return true;
    }
  }
  WriteNull(s, n);
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses "\uXXXX" at s (s[0] == '\\'); returns the code unit or -1.
int ParseUnicodeEscape(const char* s, const char* end) {
  if (end - s < 6 || s[0] != '\\' || s[1] != 'u') return -1;
  int v = 0;
  for (int k = 2; k < 6; ++k) {
    int h = HexValue(s[k]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

void WriteReplacement(char* s) { std::memcpy(s, "\\ufffd", 6); }

// Scans the string starting after its opening quote; repairs lone surrogates. Returns the
// position after the closing quote (or end).
char* RepairString(char* p, char* end, bool* changed) {
  while (p < end) {
    char c = *p;
    if (c == '"') return p + 1;
    if (c != '\\') {
      ++p;
      continue;
    }
    if (p + 1 >= end) return end;
    if (p[1] != 'u') {
      p += 2;
      continue;
    }
    int unit = ParseUnicodeEscape(p, end);
    if (unit < 0) {
      p += 2;  // a bad escape: left for the parser to reject
      continue;
    }
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      int low = ParseUnicodeEscape(p + 6, end);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        p += 12;
        continue;
      }
      WriteReplacement(p);
      *changed = true;
    } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
      WriteReplacement(p);
      *changed = true;
    }
    p += 6;
  }
  return end;
}

}  // namespace

bool RepairJsonInPlace(char* buf, size_t len) {
  bool changed = false;
  char* p = buf;
  char* end = buf + len;
  while (p < end) {
    char c = *p;
    if (c == '"') {
      p = RepairString(p + 1, end, &changed);
    } else if (c == '-' || IsDigit(c)) {
      char* start = p;
      while (p < end && IsNumberChar(*p)) ++p;
      if (RepairNumber(start, static_cast<size_t>(p - start))) changed = true;
    } else {
      ++p;
    }
  }
  return changed;
}

}  // namespace perfwatch::ingest
