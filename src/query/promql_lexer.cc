#include "query/promql_lexer.h"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "common/label_validation.h"
namespace perfwatch::query::promql {

namespace {

bool IsAlpha(char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }
bool IsHexDigit(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

int DigitValue(char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 16;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Go's %q for one byte as a rune literal: 'x', '\n', '\x00'.
std::string QuoteChar(char c) {
  switch (c) {
    case '\n': return "'\\n'";
    case '\t': return "'\\t'";
    case '\r': return "'\\r'";
    case '\'': return "'\\''";
    case '\\': return "'\\\\'";
    default: break;
  }
  auto u = static_cast<unsigned char>(c);
  if (u < 0x20 || u >= 0x7f) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "'\\x%02x'", u);
    return buf;
  }
  return std::string("'") + c + "'";
}


// Length of the valid UTF-8 sequence at s[i], or 0 if invalid.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000)) return 0;
  return n;
}

struct Keyword {
  std::string_view word;
  TokenKind kind;
  AggregateOp agg = AggregateOp::kSum;
};

constexpr Keyword kKeywords[] = {
    {"and", TokenKind::kAnd},
    {"or", TokenKind::kOr},
    {"unless", TokenKind::kUnless},
    {"atan2", TokenKind::kAtan2},
    {"sum", TokenKind::kAggregator, AggregateOp::kSum},
    {"avg", TokenKind::kAggregator, AggregateOp::kAvg},
    {"count", TokenKind::kAggregator, AggregateOp::kCount},
    {"min", TokenKind::kAggregator, AggregateOp::kMin},
    {"max", TokenKind::kAggregator, AggregateOp::kMax},
    {"group", TokenKind::kAggregator, AggregateOp::kGroup},
    {"stddev", TokenKind::kAggregator, AggregateOp::kStddev},
    {"stdvar", TokenKind::kAggregator, AggregateOp::kStdvar},
    {"topk", TokenKind::kAggregator, AggregateOp::kTopk},
    {"bottomk", TokenKind::kAggregator, AggregateOp::kBottomk},
    {"count_values", TokenKind::kAggregator, AggregateOp::kCountValues},
    {"quantile", TokenKind::kAggregator, AggregateOp::kQuantile},
    {"offset", TokenKind::kOffset},
    {"by", TokenKind::kBy},
    {"without", TokenKind::kWithout},
    {"on", TokenKind::kOn},
    {"ignoring", TokenKind::kIgnoring},
    {"group_left", TokenKind::kGroupLeft},
    {"group_right", TokenKind::kGroupRight},
    {"bool", TokenKind::kBool},
    {"start", TokenKind::kStart},
    {"end", TokenKind::kEnd},
};

// strconv.ParseInt(s, 0, 64) then strconv.ParseFloat(s, 64), as Prometheus' parseNumber.
bool ParseNumberText(std::string_view s, double* out) {
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    uint64_t v = 0;
    for (char c : s.substr(2)) {
      if (!IsHexDigit(c) || v > (std::numeric_limits<int64_t>::max() >> 4)) return false;
      v = v * 16 + static_cast<uint64_t>(DigitValue(c));
    }
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
    *out = static_cast<double>(v);
    return true;
  }
  if (s.size() > 1 && s[0] == '0') {  // Go's base-0 ParseInt reads a leading 0 as octal
    uint64_t v = 0;
    bool ok = true;
    for (char c : s.substr(1)) {
      if (c < '0' || c > '7' || v > (std::numeric_limits<int64_t>::max() >> 3)) {
        ok = false;
        break;
      }
      v = v * 8 + static_cast<uint64_t>(c - '0');
    }
    if (ok && v <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      *out = static_cast<double>(v);
      return true;
    }
  }
  if (s.empty() || s[0] == 'x' || s[0] == 'X') return false;
  double v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::general);
  if (r.ptr != s.data() + s.size()) return false;
  if (r.ec == std::errc::result_out_of_range) {
    std::string copy(s);  // strtod tells overflow (error) from underflow (Go accepts it)
    v = std::strtod(copy.c_str(), nullptr);
    if (std::isinf(v)) return false;
  } else if (r.ec != std::errc()) {
    return false;
  }
  *out = v;
  return true;
}

class Lexer {
 public:
  explicit Lexer(std::string_view in) : in_(in) {}

  std::vector<Token> Run() {
    for (;;) {
      if (!Next()) break;
    }
    return std::move(tokens_);
  }

 private:
  // Lexes one token; false after emitting kEof or kError.
  bool Next() {
    if (brace_open_) return InsideBraces();
    SkipSpaceAndComments();
    start_ = pos_;
    if (pos_ >= in_.size()) {
      if (paren_depth_ > 0) return Error("unclosed left parenthesis");
      if (bracket_open_) return Error("unclosed left bracket");
      Emit(TokenKind::kEof);
      return false;
    }
    char c = in_[pos_++];
    switch (c) {
      case ',': return Emit(TokenKind::kComma);
      case '*': return Emit(TokenKind::kMul);
      case '/': return Emit(TokenKind::kDiv);
      case '%': return Emit(TokenKind::kMod);
      case '+': return Emit(TokenKind::kAdd);
      case '-': return Emit(TokenKind::kSub);
      case '^': return Emit(TokenKind::kPow);
      case '@': return Emit(TokenKind::kAt);
      case '=':
        if (Accept('=')) return Emit(TokenKind::kEqlc);
        if (Accept('~')) return Error("unexpected character after '=': '~'");
        return Emit(TokenKind::kAssign);
      case '!':
        if (Accept('=')) return Emit(TokenKind::kNeq);
        if (pos_ >= in_.size()) return Error("unexpected end of input after '!'");
        return Error("unexpected character after '!': " + QuoteChar(in_[pos_]));
      case '<': return Emit(Accept('=') ? TokenKind::kLte : TokenKind::kLss);
      case '>': return Emit(Accept('=') ? TokenKind::kGte : TokenKind::kGtr);
      case '"':
      case '\'': return QuotedString(c);
      case '`': return RawString();
      case '(':
        ++paren_depth_;
        return Emit(TokenKind::kLeftParen);
      case ')':
        if (paren_depth_ == 0) return Error("unexpected right parenthesis ')'");
        --paren_depth_;
        return Emit(TokenKind::kRightParen);
      case '{':
        brace_open_ = true;
        return Emit(TokenKind::kLeftBrace);
      case '}': return Error("unexpected right brace '}'");
      case '[':
        if (bracket_open_) return Error("unexpected left bracket '['");
        bracket_open_ = true;
        return Emit(TokenKind::kLeftBracket);
      case ']':
        if (!bracket_open_) return Error("unexpected right bracket ']'");
        bracket_open_ = false;
        return Emit(TokenKind::kRightBracket);
      default: break;
    }
    if (c == ':' && bracket_open_) return Emit(TokenKind::kColon);
    if (IsDigit(c) || (c == '.' && pos_ < in_.size() && IsDigit(in_[pos_]))) {
      --pos_;
      return NumberOrDuration();
    }
    if (IsAlpha(c) || c == ':') return KeywordOrIdentifier();
    --pos_;
    return Error("unexpected character: " + QuoteChar(c));
  }

  bool InsideBraces() {
    SkipSpaceAndComments();
    start_ = pos_;
    if (pos_ >= in_.size()) return Error("unexpected end of input inside braces");
    char c = in_[pos_++];
    if (IsAlpha(c)) {
      while (pos_ < in_.size() && IsAlnum(in_[pos_])) ++pos_;
      return Emit(TokenKind::kIdentifier);
    }
    switch (c) {
      case ',': return Emit(TokenKind::kComma);
      case '"':
      case '\'': return QuotedString(c);
      case '`': return RawString();
      case '=': return Emit(Accept('~') ? TokenKind::kEqlRegex : TokenKind::kAssign);
      case '!':
        if (Accept('~')) return Emit(TokenKind::kNeqRegex);
        if (Accept('=')) return Emit(TokenKind::kNeq);
        if (pos_ >= in_.size()) return Error("unexpected end of input inside braces");
        return Error("unexpected character after '!' inside braces: " + QuoteChar(in_[pos_]));
      case '{': --pos_; return Error("unexpected left brace '{'");
      case '}':
        brace_open_ = false;
        return Emit(TokenKind::kRightBrace);
      default: --pos_; return Error("unexpected character inside braces: " + QuoteChar(c));
    }
  }

  void SkipSpaceAndComments() {
    while (pos_ < in_.size()) {
      if (IsSpace(in_[pos_])) {
        ++pos_;
      } else if (in_[pos_] == '#') {
        while (pos_ < in_.size() && in_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  bool NumberOrDuration() {
    if (ScanNumber()) {
      double v = 0;
      if (!ParseNumberText(Text(), &v)) {
        return ErrorAt(start_, "error parsing number: invalid number \"" + std::string(Text()) + "\"");
      }
      tokens_.push_back(Token{TokenKind::kNumber, static_cast<uint32_t>(start_), Text(), v, {}, {}});
      return true;
    }
    if (AcceptRemainingDuration()) return Emit(TokenKind::kDuration);
    if (bracket_open_ && pos_ > start_) {
      return ErrorAt(start_, "bad duration syntax: \"" + std::string(Text()) + "\"");
    }
    return ErrorAt(start_, "bad number or duration syntax: \"" + std::string(Text()) + "\"");
  }

  // Prometheus' scanNumber: true if a complete number was consumed.
  bool ScanNumber() {
    bool hex = false;
    if (Accept('0') && (Accept('x') || Accept('X'))) hex = true;
    auto digit = [&](char c) { return hex ? IsHexDigit(c) : IsDigit(c); };
    while (pos_ < in_.size() && digit(in_[pos_])) ++pos_;
    if (Accept('.')) {
      while (pos_ < in_.size() && digit(in_[pos_])) ++pos_;
    }
    if (Accept('e') || Accept('E')) {
      if (!Accept('+')) Accept('-');
      while (pos_ < in_.size() && IsDigit(in_[pos_])) ++pos_;
    }
    return pos_ >= in_.size() || !IsAlnum(in_[pos_]);
  }

  bool AcceptAny(std::string_view set) {
    if (pos_ < in_.size() && set.find(in_[pos_]) != std::string_view::npos) {
      ++pos_;
      return true;
    }
    return false;
  }

  bool AcceptRemainingDuration() {
    if (!AcceptAny("smhdwy")) return false;
    Accept('s');
    while (pos_ < in_.size() && IsDigit(in_[pos_])) {
      while (pos_ < in_.size() && IsDigit(in_[pos_])) ++pos_;
      if (!AcceptAny("smhdw")) return false;
      Accept('s');
    }
    return pos_ >= in_.size() || !IsAlnum(in_[pos_]);
  }

  bool KeywordOrIdentifier() {
    bool colon = false;
    --pos_;
    while (pos_ < in_.size() && (IsAlnum(in_[pos_]) || in_[pos_] == ':')) {
      // Inside brackets a ':' is the subquery colon, never part of a word.
      if (in_[pos_] == ':') {
        if (bracket_open_) break;
        colon = true;
      }
      ++pos_;
    }
    std::string lower = ToLower(Text());
    if (lower == "inf" || lower == "nan") {
      double v = lower == "inf" ? std::numeric_limits<double>::infinity()
                                : std::numeric_limits<double>::quiet_NaN();
      tokens_.push_back(Token{TokenKind::kNumber, static_cast<uint32_t>(start_), Text(), v, {}, {}});
      return true;
    }
    for (const Keyword& k : kKeywords) {
      if (k.word == lower) {
        Token t{k.kind, static_cast<uint32_t>(start_), Text(), 0, {}, k.agg};
        tokens_.push_back(std::move(t));
        return true;
      }
    }
    return Emit(colon ? TokenKind::kMetricIdentifier : TokenKind::kIdentifier);
  }

  bool QuotedString(char quote) {
    std::string out;
    for (;;) {
      if (pos_ >= in_.size() || in_[pos_] == '\n') {
        return ErrorAt(start_, "unterminated quoted string");
      }
      char c = in_[pos_];
      if (c == quote) {
        ++pos_;
        break;
      }
      if (c != '\\') {
        size_t n = Utf8SequenceLength(in_, pos_);
        if (n == 0) return ErrorAt(start_, "invalid UTF-8 rune");
        out.append(in_.substr(pos_, n));
        pos_ += n;
        continue;
      }
      ++pos_;  // the backslash; errors point at the string, as in Prometheus
      if (pos_ >= in_.size()) return ErrorAt(start_, "escape sequence not terminated");
      char e = in_[pos_++];
      switch (e) {
        case 'a': out.push_back('\a'); continue;
        case 'b': out.push_back('\b'); continue;
        case 'f': out.push_back('\f'); continue;
        case 'n': out.push_back('\n'); continue;
        case 'r': out.push_back('\r'); continue;
        case 't': out.push_back('\t'); continue;
        case 'v': out.push_back('\v'); continue;
        case '\\': out.push_back('\\'); continue;
        default: break;
      }
      if (e == quote) {
        out.push_back(e);
        continue;
      }
      int digits;
      uint32_t base, max;
      if (e >= '0' && e <= '7') {
        --pos_;
        digits = 3, base = 8, max = 255;
      } else if (e == 'x') {
        digits = 2, base = 16, max = 255;
      } else if (e == 'u') {
        digits = 4, base = 16, max = 0x10FFFF;
      } else if (e == 'U') {
        digits = 8, base = 16, max = 0x10FFFF;
      } else {
        return ErrorAt(start_, "unknown escape sequence " + QuoteChar(e));
      }
      uint32_t v = 0;
      for (int i = 0; i < digits; ++i) {
        if (pos_ >= in_.size()) return ErrorAt(start_, "escape sequence not terminated");
        auto d = static_cast<uint32_t>(DigitValue(in_[pos_]));
        if (d >= base) {
          return ErrorAt(start_, "illegal character " + QuoteChar(in_[pos_]) + " in escape sequence");
        }
        v = v * base + d;
        ++pos_;
      }
      if (v > max || (v >= 0xD800 && v < 0xE000)) {
        return ErrorAt(start_, "escape sequence is an invalid Unicode code point");
      }
      if (e == 'u' || e == 'U') {
        AppendUtf8(out, v);
      } else {
        out.push_back(static_cast<char>(v));
      }
    }
    tokens_.push_back(Token{TokenKind::kString, static_cast<uint32_t>(start_), Text(), 0, std::move(out), {}});
    return true;
  }

  bool RawString() {
    std::string out;
    for (;;) {
      if (pos_ >= in_.size()) return ErrorAt(start_, "unterminated raw string");
      if (in_[pos_] == '`') {
        ++pos_;
        break;
      }
      size_t n = Utf8SequenceLength(in_, pos_);
      if (n == 0) return ErrorAt(start_, "invalid UTF-8 rune");
      out.append(in_.substr(pos_, n));
      pos_ += n;
    }
    tokens_.push_back(Token{TokenKind::kString, static_cast<uint32_t>(start_), Text(), 0, std::move(out), {}});
    return true;
  }

  bool Accept(char c) {
    if (pos_ < in_.size() && in_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  std::string_view Text() const { return in_.substr(start_, pos_ - start_); }
  bool Emit(TokenKind kind) {
    tokens_.push_back(Token{kind, static_cast<uint32_t>(start_), Text(), 0, {}, {}});
    return true;
  }
  bool Error(std::string msg) { return ErrorAt(start_, std::move(msg)); }
  bool ErrorAt(size_t offset, std::string msg) {
    Token t;
    t.kind = TokenKind::kError;
    t.offset = static_cast<uint32_t>(offset);
    t.value = std::move(msg);
    tokens_.push_back(std::move(t));
    return false;
  }

  std::string_view in_;
  size_t pos_ = 0;
  size_t start_ = 0;
  int paren_depth_ = 0;
  bool brace_open_ = false;
  bool bracket_open_ = false;
  std::vector<Token> tokens_;
};

}  // namespace

std::vector<Token> Lex(std::string_view input) {
  if (input.size() > std::numeric_limits<uint32_t>::max()) {
    Token t;
    t.kind = TokenKind::kError;
    t.value = "query too long";
    return {t};
  }
  return Lexer(input).Run();
}

std::string DescribeToken(const Token& t) {
  auto quoted = [&](std::string_view s) {
    if (s.size() > 10) return QuoteString(s.substr(0, 10)) + "...";
    return QuoteString(s);
  };
  switch (t.kind) {
    case TokenKind::kEof: return "end of input";
    case TokenKind::kError: return t.value;
    case TokenKind::kIdentifier: return "identifier " + quoted(t.text);
    case TokenKind::kMetricIdentifier: return "metric identifier " + quoted(t.text);
    case TokenKind::kNumber: return "number " + quoted(t.text);
    case TokenKind::kString: return "string " + quoted(t.text);
    case TokenKind::kDuration: return "duration " + quoted(t.text);
    case TokenKind::kLeftParen: return "\"(\"";
    case TokenKind::kRightParen: return "\")\"";
    case TokenKind::kLeftBrace: return "\"{\"";
    case TokenKind::kRightBrace: return "\"}\"";
    case TokenKind::kLeftBracket: return "\"[\"";
    case TokenKind::kRightBracket: return "\"]\"";
    case TokenKind::kComma: return "\",\"";
    case TokenKind::kColon: return "\":\"";
    case TokenKind::kAt: return "<@>";
    case TokenKind::kAssign: return "\"=\"";
    case TokenKind::kAggregator: return "<aggr:" + std::string(t.text) + ">";
    case TokenKind::kOffset:
    case TokenKind::kBy:
    case TokenKind::kWithout:
    case TokenKind::kOn:
    case TokenKind::kIgnoring:
    case TokenKind::kGroupLeft:
    case TokenKind::kGroupRight:
    case TokenKind::kBool:
    case TokenKind::kStart:
    case TokenKind::kEnd: return "<" + std::string(t.text) + ">";
    default: return "<op:" + std::string(t.text) + ">";  // operators
  }
}

bool IsLabelToken(const Token& t) {
  switch (t.kind) {
    case TokenKind::kIdentifier:
    case TokenKind::kAnd:
    case TokenKind::kOr:
    case TokenKind::kUnless:
    case TokenKind::kAtan2:
    case TokenKind::kAggregator:
    case TokenKind::kOffset:
    case TokenKind::kBy:
    case TokenKind::kWithout:
    case TokenKind::kOn:
    case TokenKind::kIgnoring:
    case TokenKind::kGroupLeft:
    case TokenKind::kGroupRight:
    case TokenKind::kBool:
    case TokenKind::kStart:
    case TokenKind::kEnd: return true;
    default: return false;
  }
}

Result<int64_t> ParseDurationLiteral(std::string_view text) {
  struct Unit {
    std::string_view name;
    int64_t ms;
  };
  static constexpr Unit kUnits[] = {
      {"y", 365LL * 24 * 3600 * 1000}, {"w", 7LL * 24 * 3600 * 1000}, {"d", 24LL * 3600 * 1000},
      {"h", 3600LL * 1000},            {"m", 60LL * 1000},            {"s", 1000},
      {"ms", 1},
  };
  auto invalid = [&] { return InvalidArgument("not a valid duration string: " + QuoteString(text)); };
  if (text.empty()) return invalid();
  size_t pos = 0;
  size_t next_unit = 0;
  int64_t total = 0;
  while (pos < text.size()) {
    size_t digits_start = pos;
    uint64_t n = 0;
    while (pos < text.size() && IsDigit(text[pos])) {
      n = n * 10 + static_cast<uint64_t>(text[pos] - '0');
      if (n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return invalid();
      ++pos;
    }
    if (pos == digits_start) return invalid();
    size_t unit_start = pos;
    while (pos < text.size() && !IsDigit(text[pos])) ++pos;
    std::string_view unit = text.substr(unit_start, pos - unit_start);
    size_t u = next_unit;
    while (u < std::size(kUnits) && kUnits[u].name != unit) ++u;
    if (u == std::size(kUnits)) return invalid();
    next_unit = u + 1;
    if (n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max() / kUnits[u].ms)) return invalid();
    int64_t add = static_cast<int64_t>(n) * kUnits[u].ms;
    if (total > std::numeric_limits<int64_t>::max() - add) return invalid();
    total += add;
  }
  return total;
}

std::string FormatDuration(int64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  uint64_t rest = static_cast<uint64_t>(ms);
  if (ms < 0) {
    out = "-";
    rest = 0 - rest;
  }
  struct Unit {
    const char* name;
    uint64_t ms;
    bool exact;
  };
  static constexpr Unit kUnits[] = {
      {"y", 365ULL * 24 * 3600 * 1000, true}, {"w", 7ULL * 24 * 3600 * 1000, true},
      {"d", 24ULL * 3600 * 1000, false},      {"h", 3600ULL * 1000, false},
      {"m", 60ULL * 1000, false},             {"s", 1000, false},
      {"ms", 1, false},
  };
  for (const Unit& u : kUnits) {
    if (u.exact && rest % u.ms != 0) continue;
    uint64_t v = rest / u.ms;
    if (v > 0) {
      out += std::to_string(v);
      out += u.name;
      rest -= v * u.ms;
    }
  }
  return out;
}

std::string QuoteString(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    switch (c) {
      case '"': out += "\\\""; ++i; continue;
      case '\\': out += "\\\\"; ++i; continue;
      case '\a': out += "\\a"; ++i; continue;
      case '\b': out += "\\b"; ++i; continue;
      case '\f': out += "\\f"; ++i; continue;
      case '\n': out += "\\n"; ++i; continue;
      case '\r': out += "\\r"; ++i; continue;
      case '\t': out += "\\t"; ++i; continue;
      case '\v': out += "\\v"; ++i; continue;
      default: break;
    }
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      out.push_back(c);
      ++i;
      continue;
    }
    size_t n = u >= 0x80 ? Utf8SequenceLength(s, i) : 0;
    if (n > 0) {
      out.append(s.substr(i, n));
      i += n;
      continue;
    }
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\x%02x", u);
    out += buf;
    ++i;
  }
  out += '"';
  return out;
}

}  // namespace perfwatch::query::promql
