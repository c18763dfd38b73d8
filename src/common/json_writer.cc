#include "common/json_writer.h"

#include <charconv>
#include <cmath>
#include <cstring>

namespace perfwatch {

char* WriteJsonEscape(char* out, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  *out++ = '\\';
  switch (c) {
    case '"': *out++ = '"'; break;
    case '\\': *out++ = '\\'; break;
    case '\n': *out++ = 'n'; break;
    case '\r': *out++ = 'r'; break;
    case '\t': *out++ = 't'; break;
    case '\b': *out++ = 'b'; break;
    case '\f': *out++ = 'f'; break;
    default:
      *out++ = 'u';
      *out++ = '0';
      *out++ = '0';
      *out++ = kHex[c >> 4];
      *out++ = kHex[c & 15];
  }
  return out;
}

char* WriteJsonString(char* out, std::string_view s) {
  *out++ = '"';
  const char* p = s.data();
  const char* end = p + s.size();
  // Eight bytes at a time: copy the clean prefix (storing all eight is fine, see the
  // slack), then escape the first byte that needs it.
  while (end - p >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    std::memcpy(out, p, 8);
    uint64_t mask = JsonEscapeMask(w);
    if (mask == 0) {
      p += 8;
      out += 8;
      continue;
    }
    int clean = __builtin_ctzll(mask) >> 3;
    out = WriteJsonEscape(out + clean, static_cast<unsigned char>(p[clean]));
    p += clean + 1;
  }
  for (; p < end; ++p) {
    unsigned char c = static_cast<unsigned char>(*p);
    if (JsonNeedsEscape(c)) {
      out = WriteJsonEscape(out, c);
    } else {
      *out++ = static_cast<char>(c);
    }
  }
  *out++ = '"';
  return out;
}

void AppendJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  const char* p = s.data();
  const char* end = p + s.size();
  const char* run = p;  // start of the clean bytes not yet appended
  while (true) {
    // Find the next byte to escape, eight bytes at a time.
    while (end - p >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      uint64_t mask = JsonEscapeMask(w);
      if (mask != 0) {
        p += __builtin_ctzll(mask) >> 3;
        break;
      }
      p += 8;
    }
    while (p < end && !JsonNeedsEscape(static_cast<unsigned char>(*p))) ++p;
    if (p == end) break;
    out.append(run, static_cast<size_t>(p - run));
    char buf[8];
    out.append(buf, static_cast<size_t>(WriteJsonEscape(buf, static_cast<unsigned char>(*p)) - buf));
    run = ++p;
  }
  out.append(run, static_cast<size_t>(end - run));
  out.push_back('"');
}

void AppendJsonNumber(std::string& out, double v) {
  if (std::isnan(v)) {
    out.append("\"NaN\"");
    return;
  }
  if (std::isinf(v)) {
    out.append(v > 0 ? "\"+Inf\"" : "\"-Inf\"");
    return;
  }
  // Whole numbers print as integers ("1700000000", not the shorter "1.7e+09").
  if (v == std::trunc(v) && std::fabs(v) < 1e15) {
    AppendJsonInt(out, static_cast<long long>(v));
    return;
  }
  char buf[32];
  // Beyond 1e15 the shortest form may be a 20-digit integer ("20888888888888905728"):
  // valid JSON, but past 2^64 strict readers (simdjson) refuse it; the exponent form is
  // read by all of them.
  auto [ptr, ec] = std::fabs(v) >= 1e15
                       ? std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific)
                       : std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, ptr - buf);
}

void AppendJsonInt(std::string& out, long long v) {
  char buf[24];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, ptr - buf);
}

}  // namespace perfwatch
