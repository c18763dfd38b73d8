#include "alert/am_format.h"

#include <algorithm>
#include <vector>

#include "common/time.h"

namespace perfwatch::alert {
namespace {

// Decodes one UTF-8 sequence at s[i]; returns the rune and sets *len, or returns -1
// with *len = 1 for an invalid byte (overlong forms and surrogates count as invalid).
int32_t DecodeRune(std::string_view s, size_t i, size_t* len) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  *len = 1;
  if (b0 < 0x80) return b0;
  int n;
  int32_t r;
  if ((b0 & 0xE0) == 0xC0) {
    n = 2;
    r = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3;
    r = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4;
    r = b0 & 0x07;
  } else {
    return -1;
  }
  if (i + n > s.size()) return -1;
  for (int k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return -1;
    r = (r << 6) | (b & 0x3F);
  }
  static constexpr int32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (r < kMin[n] || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) return -1;
  *len = static_cast<size_t>(n);
  return r;
}

// An approximation of Go's unicode.IsPrint for runes >= 0x80: spaces other than ASCII
// space, line/paragraph separators and format characters are not printable.
bool IsGoPrintable(int32_t r) {
  if (r < 0x80) return r >= 0x20 && r < 0x7F;
  if (r <= 0xA0 || r == 0xAD) return false;
  if (r == 0x1680 || (r >= 0x2000 && r <= 0x200F) || (r >= 0x2028 && r <= 0x202F) ||
      (r >= 0x205F && r <= 0x2064) || r == 0x3000 || r == 0xFEFF || (r >= 0xFFF9 && r <= 0xFFFB) ||
      r == 0xFFFE || r == 0xFFFF) {
    return false;
  }
  return true;
}

void AppendHex(std::string& out, uint32_t v, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) out.push_back(kHex[(v >> (4 * i)) & 0xF]);
}

}  // namespace

std::string GoQuote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  for (size_t i = 0; i < s.size();) {
    size_t len;
    int32_t r = DecodeRune(s, i, &len);
    if (r < 0) {
      out += "\\x";
      AppendHex(out, static_cast<unsigned char>(s[i]), 2);
    } else if (r == '"' || r == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(r));
    } else if (IsGoPrintable(r)) {
      out.append(s.substr(i, len));
    } else {
      switch (r) {
        case '\a':
          out += "\\a";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\v':
          out += "\\v";
          break;
        default:
          if (r < 0x20 || r == 0x7F) {
            out += "\\x";
            AppendHex(out, static_cast<uint32_t>(r), 2);
          } else if (r < 0x10000) {
            out += "\\u";
            AppendHex(out, static_cast<uint32_t>(r), 4);
          } else {
            out += "\\U";
            AppendHex(out, static_cast<uint32_t>(r), 8);
          }
      }
    }
    i += len;
  }
  out.push_back('"');
  return out;
}

std::string GoLabelSetString(const LabelSet& labels) {
  std::vector<std::string> parts;
  parts.reserve(labels.size());
  for (const auto& [name, value] : labels) parts.push_back(name + "=" + GoQuote(value));
  std::sort(parts.begin(), parts.end());
  std::string out = "{";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += ", ";
    out += parts[i];
  }
  out += "}";
  return out;
}

std::string GoQuoteMeta(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (std::string_view("\\.+*?()|[]{}^$").find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

void AppendGoJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c == '"' || c == '\\') {
        out.push_back('\\');
        out.push_back(static_cast<char>(c));
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\r') {
        out += "\\r";
      } else if (c == '\t') {
        out += "\\t";
      } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
        out += "\\u00";
        AppendHex(out, c, 2);
      } else {
        out.push_back(static_cast<char>(c));
      }
      ++i;
      continue;
    }
    size_t len;
    int32_t r = DecodeRune(s, i, &len);
    if (r < 0) {
      out += "\\ufffd";
    } else if (r == 0x2028 || r == 0x2029) {
      out += "\\u";
      AppendHex(out, static_cast<uint32_t>(r), 4);
    } else {
      out.append(s.substr(i, len));
    }
    i += len;
  }
  out.push_back('"');
}

void AppendGoJsonObject(std::string& out, const LabelSet& kv) {
  out.push_back('{');
  bool first = true;
  for (const auto& [k, v] : kv) {
    if (!first) out.push_back(',');
    first = false;
    AppendGoJsonString(out, k);
    out.push_back(':');
    AppendGoJsonString(out, v);
  }
  out.push_back('}');
}

// Prometheus' model.Duration.String(): "1h30m", "5m", "0s"; years and weeks only when exact.
std::string GoModelDuration(int64_t ms) { return FormatPromDuration(ms); }

std::string FormatApiTime(int64_t ms) {
  if (ms == 0) return "0001-01-01T00:00:00.000Z";
  return FormatRfc3339Ms(ms);  // always three fraction digits, as strfmt.DateTime
}

bool LabelSetBefore(const LabelSet& a, const LabelSet& b) {
  if (a.size() != b.size()) return a.size() < b.size();
  // Both sorted by name: walk the union of names in order.
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (i == a.size()) return true;   // a lacks b[j].name
    if (j == b.size()) return false;  // b lacks a[i].name
    if (a[i].first != b[j].first)
      return a[i].first > b[j].first;  // the smaller name is missing on the other side
    if (a[i].second != b[j].second) return a[i].second < b[j].second;
    ++i;
    ++j;
  }
  return false;
}

bool AlertLabelsLess(const LabelSet& a, const LabelSet& b) {
  for (std::string_view key : {"job", "instance"}) {
    auto find = [&](const LabelSet& ls) -> const std::string* {
      for (const auto& kv : ls) {
        if (kv.first == key) return &kv.second;
      }
      return nullptr;
    };
    const std::string* av = find(a);
    const std::string* bv = find(b);
    if (!av && !bv) continue;
    if (!av) return false;
    if (!bv) return true;
    if (*av != *bv) return *av < *bv;
  }
  return LabelSetBefore(a, b);
}

}  // namespace perfwatch::alert
