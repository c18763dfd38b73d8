#include "budget/json_tree.h"

#include <charconv>
#include <cmath>

namespace perfwatch::budget {
namespace {

constexpr int kMaxDepth = 64;

class Reader {
 public:
  explicit Reader(std::string_view text) : s_(text) {}

  Result<JsonNode> Document() {
    if (s_.size() >= 3 && s_.substr(0, 3) == "\xEF\xBB\xBF") Advance(3);  // a UTF-8 BOM
    SkipSpace();
    if (AtEnd()) return Error("the file is empty (expected a JSON array of budgets)");
    JsonNode root;
    PW_RETURN_IF_ERROR(Value(root, 0));
    SkipSpace();
    if (!AtEnd()) return Error("unexpected text after the JSON value");
    return root;
  }

 private:
  bool AtEnd() const { return pos_ >= s_.size(); }
  char Peek() const { return AtEnd() ? '\0' : s_[pos_]; }
  void Advance(size_t n = 1) {
    for (size_t i = 0; i < n && pos_ < s_.size(); ++i, ++pos_) {
      if (s_[pos_] == '\n') {
        ++line_;
        col_ = 1;
      } else if ((static_cast<unsigned char>(s_[pos_]) & 0xC0) != 0x80) {
        ++col_;  // columns count characters, not UTF-8 continuation bytes
      }
    }
  }
  Status Error(std::string what) const {
    return InvalidArgument("line " + std::to_string(line_) + ", column " + std::to_string(col_) + ": " + what);
  }
  void SkipSpace() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t' || Peek() == '\n' || Peek() == '\r')) Advance();
  }
  std::string Near() const {
    if (AtEnd()) return "the end of the file";
    char c = Peek();
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F) return "a byte it cannot use";
    return std::string("'") + c + "'";
  }

  Status Value(JsonNode& out, int depth) {
    out.line = line_;
    out.column = col_;
    if (depth > kMaxDepth) return Error("nesting deeper than 64 levels");
    switch (Peek()) {
      case '{': return Object(out, depth);
      case '[': return Array(out, depth);
      case '"':
        out.type = JsonNode::Type::kString;
        return String(out.string);
      case 't': return Literal("true", out, JsonNode::Type::kBool, true);
      case 'f': return Literal("false", out, JsonNode::Type::kBool, false);
      case 'n': return Literal("null", out, JsonNode::Type::kNull, false);
      default:
        if (Peek() == '-' || (Peek() >= '0' && Peek() <= '9')) return Number(out);
        return Error("expected a value, found " + Near());
    }
  }

  Status Literal(std::string_view word, JsonNode& out, JsonNode::Type type, bool value) {
    if (s_.substr(pos_, word.size()) != word) return Error("expected a value, found " + Near());
    Advance(word.size());
    out.type = type;
    out.boolean = value;
    return Status::Ok();
  }

  Status Number(JsonNode& out) {
    size_t start = pos_;
    size_t p = pos_;
    auto digit = [&](size_t i) { return i < s_.size() && s_[i] >= '0' && s_[i] <= '9'; };
    if (s_[p] == '-') ++p;
    if (!digit(p)) return Error("a number needs digits");
    if (s_[p] == '0' && digit(p + 1)) return Error("a number cannot start with 0 (leading zeros are not JSON)");
    while (digit(p)) ++p;
    if (p < s_.size() && s_[p] == '.') {
      ++p;
      if (!digit(p)) return Error("a number needs digits after '.'");
      while (digit(p)) ++p;
    }
    if (p < s_.size() && (s_[p] == 'e' || s_[p] == 'E')) {
      ++p;
      if (p < s_.size() && (s_[p] == '+' || s_[p] == '-')) ++p;
      if (!digit(p)) return Error("a number needs digits in its exponent");
      while (digit(p)) ++p;
    }
    double v = 0;
    auto [ptr, ec] = std::from_chars(s_.data() + start, s_.data() + p, v);
    if (ec != std::errc() || ptr != s_.data() + p || !std::isfinite(v)) return Error("number out of range");
    out.type = JsonNode::Type::kNumber;
    out.number = v;
    Advance(p - start);
    return Status::Ok();
  }

  static void AppendUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  // Reads 4 hex digits at pos_ (after "\u").
  bool Hex4(uint32_t& v) {
    if (pos_ + 4 > s_.size()) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = s_[pos_ + i];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= c - '0';
      else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
      else return false;
    }
    Advance(4);
    return true;
  }

  // Length of the UTF-8 sequence at pos_ (1-4), or 0 when invalid.
  size_t Utf8Length() const {
    auto b = [&](size_t i) { return pos_ + i < s_.size() ? static_cast<unsigned char>(s_[pos_ + i]) : 0u; };
    unsigned c = b(0);
    auto cont = [&](size_t i) { return (b(i) & 0xC0) == 0x80; };
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
      if (!cont(1) || !cont(2)) return 0;
      if (c == 0xE0 && b(1) < 0xA0) return 0;   // overlong
      if (c == 0xED && b(1) >= 0xA0) return 0;  // surrogates
      return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
      if (!cont(1) || !cont(2) || !cont(3)) return 0;
      if (c == 0xF0 && b(1) < 0x90) return 0;
      if (c == 0xF4 && b(1) >= 0x90) return 0;
      return 4;
    }
    return 0;
  }

  Status String(std::string& out) {
    Advance();  // the opening quote
    while (true) {
      if (AtEnd()) return Error("unterminated string");
      char c = Peek();
      if (c == '"') {
        Advance();
        return Status::Ok();
      }
      if (static_cast<unsigned char>(c) < 0x20) return Error("control character in a string (escape it)");
      if (c == '\\') {
        Advance();
        char e = Peek();
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            Advance();
            uint32_t cp = 0;
            if (!Hex4(cp)) return Error("\\u needs four hex digits");
            if (cp >= 0xD800 && cp <= 0xDBFF) {
              uint32_t lo = 0;
              if (s_.substr(pos_, 2) != "\\u") return Error("unpaired UTF-16 surrogate in \\u escape");
              Advance(2);
              if (!Hex4(lo) || lo < 0xDC00 || lo > 0xDFFF) return Error("unpaired UTF-16 surrogate in \\u escape");
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
              return Error("unpaired UTF-16 surrogate in \\u escape");
            }
            AppendUtf8(out, cp);
            continue;
          }
          default:
            return Error("unknown escape in a string");
        }
        Advance();
        continue;
      }
      size_t n = Utf8Length();
      if (n == 0) return Error("invalid UTF-8 in a string");
      out.append(s_.substr(pos_, n));
      Advance(n);
    }
  }

  Status Array(JsonNode& out, int depth) {
    out.type = JsonNode::Type::kArray;
    Advance();
    SkipSpace();
    if (Peek() == ']') {
      Advance();
      return Status::Ok();
    }
    while (true) {
      SkipSpace();
      out.items.emplace_back();
      PW_RETURN_IF_ERROR(Value(out.items.back(), depth + 1));
      SkipSpace();
      if (Peek() == ',') {
        Advance();
        SkipSpace();
        if (Peek() == ']') return Error("trailing comma before ']'");
        continue;
      }
      if (Peek() == ']') {
        Advance();
        return Status::Ok();
      }
      return Error("expected ',' or ']' in an array, found " + Near());
    }
  }

  Status Object(JsonNode& out, int depth) {
    out.type = JsonNode::Type::kObject;
    Advance();
    SkipSpace();
    if (Peek() == '}') {
      Advance();
      return Status::Ok();
    }
    while (true) {
      SkipSpace();
      if (Peek() != '"') return Error("expected a quoted key, found " + Near());
      int key_line = line_, key_col = col_;
      std::string key;
      PW_RETURN_IF_ERROR(String(key));
      if (out.Find(key) != nullptr) {
        return InvalidArgument("line " + std::to_string(key_line) + ", column " + std::to_string(key_col) +
                               ": duplicate key \"" + key + "\"");
      }
      SkipSpace();
      if (Peek() != ':') return Error("expected ':' after a key, found " + Near());
      Advance();
      SkipSpace();
      JsonNode value;
      PW_RETURN_IF_ERROR(Value(value, depth + 1));
      out.members.push_back(JsonMember{std::move(key), std::move(value), key_line, key_col});
      SkipSpace();
      if (Peek() == ',') {
        Advance();
        SkipSpace();
        if (Peek() == '}') return Error("trailing comma before '}'");
        continue;
      }
      if (Peek() == '}') {
        Advance();
        return Status::Ok();
      }
      return Error("expected ',' or '}' in an object, found " + Near());
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
  int line_ = 1, col_ = 1;
};

}  // namespace

const JsonNode* JsonNode::Find(std::string_view key) const {
  for (const JsonMember& m : members) {
    if (m.key == key) return &m.value;
  }
  return nullptr;
}

std::string JsonNode::Where() const { return "line " + std::to_string(line) + ", column " + std::to_string(column); }

std::string_view JsonTypeName(JsonNode::Type type) {
  switch (type) {
    case JsonNode::Type::kNull: return "null";
    case JsonNode::Type::kBool: return "a boolean";
    case JsonNode::Type::kNumber: return "a number";
    case JsonNode::Type::kString: return "a string";
    case JsonNode::Type::kArray: return "an array";
    case JsonNode::Type::kObject: return "an object";
  }
  return "a value";
}

Result<JsonNode> ParseJsonTree(std::string_view text) { return Reader(text).Document(); }

}  // namespace perfwatch::budget
