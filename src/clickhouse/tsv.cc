#include "clickhouse/tsv.h"

#include <charconv>
#include <cstring>

namespace perfwatch::clickhouse {

void AppendTsvField(std::string& out, std::string_view s) {
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const char* esc = nullptr;
    switch (c) {
      case '\\': esc = "\\\\"; break;
      case '\t': esc = "\\t"; break;
      case '\n': esc = "\\n"; break;
      case '\r': esc = "\\r"; break;
      case '\0': esc = "\\0"; break;
      case '\b': esc = "\\b"; break;
      case '\f': esc = "\\f"; break;
      default: continue;
    }
    out.append(s.data() + start, i - start);
    out.append(esc);
    start = i + 1;
  }
  out.append(s.data() + start, s.size() - start);
}

void AppendSqlString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out += '\'';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\\' || c == '\'') {
      out += '\\';
      out += ch;
    } else if (c >= 0x20 && c < 0x7F) {
      out += ch;
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  out += '\'';
}

std::string SqlString(std::string_view s) {
  std::string out;
  AppendSqlString(out, s);
  return out;
}

Result<std::string> SqlIdentifier(std::string_view name) {
  if (name.empty() || name.size() > 128) return InvalidArgument("a ClickHouse name must have 1 to 128 characters");
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
      return InvalidArgument("invalid ClickHouse name \"" + std::string(name) +
                             "\": only letters, digits and _ are accepted");
    }
  }
  return "`" + std::string(name) + "`";
}

uint64_t DoubleBits(double v) {
  uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

double DoubleFromBits(uint64_t bits) {
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

Result<std::vector<std::vector<std::string>>> ParseTsv(std::string_view text, size_t columns) {
  std::vector<std::vector<std::string>> rows;
  size_t line = 1;
  size_t i = 0;
  while (i < text.size()) {
    std::vector<std::string> row(1);
    for (;;) {
      if (i == text.size()) break;  // last row without its newline
      const char c = text[i++];
      if (c == '\n') break;
      if (c == '\t') {
        row.emplace_back();
        continue;
      }
      if (c != '\\') {
        row.back() += c;
        continue;
      }
      if (i == text.size()) return InvalidArgument("clickhouse answer line " + std::to_string(line) + ": a lone backslash at the end");
      const char e = text[i++];
      switch (e) {
        case '\\': row.back() += '\\'; break;
        case 't': row.back() += '\t'; break;
        case 'n': row.back() += '\n'; break;
        case 'r': row.back() += '\r'; break;
        case '0': row.back() += '\0'; break;
        case 'b': row.back() += '\b'; break;
        case 'f': row.back() += '\f'; break;
        case 'a': row.back() += '\a'; break;
        case 'v': row.back() += '\v'; break;
        case '\'': row.back() += '\''; break;
        case '"': row.back() += '"'; break;
        case '/': row.back() += '/'; break;
        case '\n': row.back() += '\n'; break;  // an escaped line feed (older writers)
        default:
          return InvalidArgument("clickhouse answer line " + std::to_string(line) + ": unknown escape \\" +
                                 (static_cast<unsigned char>(e) >= 0x20 && static_cast<unsigned char>(e) < 0x7F
                                      ? std::string(1, e)
                                      : "x" + std::to_string(static_cast<unsigned char>(e))));
      }
    }
    const size_t want = columns ? columns : rows.empty() ? row.size() : rows.front().size();
    if (row.size() != want) {
      return InvalidArgument("clickhouse answer line " + std::to_string(line) + ": " + std::to_string(row.size()) +
                             " fields, expected " + std::to_string(want));
    }
    rows.push_back(std::move(row));
    ++line;
  }
  return rows;
}

Result<uint64_t> ParseUint(std::string_view field) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
  if (field.empty() || ec != std::errc() || p != field.data() + field.size()) {
    return InvalidArgument("clickhouse answer: \"" + std::string(field.substr(0, 40)) + "\" is not an unsigned integer");
  }
  return v;
}

Result<int64_t> ParseInt(std::string_view field) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
  if (field.empty() || ec != std::errc() || p != field.data() + field.size()) {
    return InvalidArgument("clickhouse answer: \"" + std::string(field.substr(0, 40)) + "\" is not an integer");
  }
  return v;
}

}  // namespace perfwatch::clickhouse
