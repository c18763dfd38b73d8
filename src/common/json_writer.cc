#include "common/json_writer.h"

#include <charconv>
#include <cmath>

namespace perfwatch {

void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      default:
        out.append("\\u00");
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
    }
  }
  out.append(s.data() + run, s.size() - run);
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
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, ptr - buf);
}

void AppendJsonInt(std::string& out, long long v) {
  char buf[24];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, ptr - buf);
}

}  // namespace perfwatch
