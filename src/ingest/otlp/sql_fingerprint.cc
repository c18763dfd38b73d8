#include "ingest/otlp/sql_fingerprint.h"

#include <algorithm>
#include <iterator>
#include <vector>

namespace perfwatch::ingest::otlp {
namespace {

// Lower-case SQL keywords, sorted (binary search). Words not listed keep their case.
constexpr std::string_view kKeywords[] = {
    "add", "all", "alter", "analyze", "and", "any", "as", "asc", "begin", "between", "by", "call", "cascade",
    "case", "cast", "check", "collate", "column", "commit", "conflict", "constraint", "create", "cross",
    "database", "default", "delete", "desc", "distinct", "do", "drop", "else", "end", "escape", "except",
    "exists", "explain", "fetch", "first", "for", "foreign", "from", "full", "group", "having", "if",
    "ignore", "ilike", "in", "index", "inner", "insert", "intersect", "interval", "into", "is", "join", "key",
    "lateral", "left", "like", "limit", "lock", "matched", "merge", "natural", "next", "not", "nothing",
    "nowait", "null", "offset", "on", "only", "or", "order", "outer", "over", "partition", "primary",
    "recursive", "references", "release", "replace", "returning", "right", "rollback", "rows", "savepoint",
    "select", "set", "show", "some", "table", "then", "top", "transaction", "truncate", "union", "unique",
    "update", "upsert", "using", "values", "view", "when", "where", "window", "with",
};
static_assert(std::is_sorted(std::begin(kKeywords), std::end(kKeywords)));

bool IsAsciiAlpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool IsHex(unsigned char c) { return IsDigit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); }
bool IsWordStart(unsigned char c) { return IsAsciiAlpha(c) || c == '_' || c >= 0x80; }
bool IsWordChar(unsigned char c) { return IsWordStart(c) || IsDigit(c) || c == '$'; }
bool IsSpace(unsigned char c) { return c <= 0x20 || c == 0x7f; }
bool IsPunct(unsigned char c) {
  return c == '(' || c == ')' || c == ',' || c == ';' || c == '.' || c == '[' || c == ']' || c == '{' || c == '}';
}
bool IsOpChar(unsigned char c) {
  switch (c) {
    case '+': case '-': case '*': case '/': case '<': case '>': case '=': case '~': case '!':
    case '@': case '#': case '%': case '^': case '&': case '|': case ':': case '\\': case '$':
      return true;
    default:
      return false;
  }
}

// The canonical lower-case keyword for `word`, or "" when it is not one.
std::string_view Keyword(std::string_view word) {
  if (word.size() > 12) return {};
  char buf[12];
  for (size_t i = 0; i < word.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(word[i]);
    if (!IsAsciiAlpha(c)) return {};
    buf[i] = static_cast<char>(c | 0x20);
  }
  std::string_view lower(buf, word.size());
  auto it = std::lower_bound(std::begin(kKeywords), std::end(kKeywords), lower);
  if (it != std::end(kKeywords) && *it == lower) return *it;
  return {};
}

bool IsBoolLiteral(std::string_view word) {
  if (word.size() != 4 && word.size() != 5) return false;
  char buf[5];
  for (size_t i = 0; i < word.size(); ++i) buf[i] = static_cast<char>(static_cast<unsigned char>(word[i]) | 0x20);
  std::string_view lower(buf, word.size());
  return lower == "true" || lower == "false";
}

enum class Kind : uint8_t { kWord, kKeyword, kQuoted, kLiteral, kPunct, kOp };

struct Token {
  Kind kind;
  std::string_view text;
  bool space_before;  // whitespace (or a comment) preceded it in the input
};

constexpr std::string_view kLit = "?";

bool Is(const Token& t, char c) { return t.kind == Kind::kPunct && t.text.size() == 1 && t.text[0] == c; }

// Scans a quoted run starting at s[i] (the quote); returns the index past its end (or the
// input's end when unterminated). `quote` doubled is an escape; so is a backslash when
// `backslash`.
size_t SkipQuoted(std::string_view s, size_t i, char quote, bool backslash) {
  ++i;
  while (i < s.size()) {
    char c = s[i];
    if (backslash && c == '\\') {
      i += 2;
      continue;
    }
    if (c == quote) {
      if (i + 1 < s.size() && s[i + 1] == quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    ++i;
  }
  return s.size();
}

class Tokenizer {
 public:
  Tokenizer(std::string_view s, const SqlFingerprintOptions& o) : s_(s), o_(o) {}

  void Run() {
    size_t i = 0;
    bool space = false;
    while (i < s_.size()) {
      unsigned char c = static_cast<unsigned char>(s_[i]);
      if (IsSpace(c)) {
        space = true;
        ++i;
        continue;
      }
      if (c == '-' && At(i + 1) == '-') {  // comment to the end of the line
        while (i < s_.size() && s_[i] != '\n') ++i;
        space = true;
        continue;
      }
      if (c == '/' && At(i + 1) == '*') {
        size_t end = s_.find("*/", i + 2);
        i = end == std::string_view::npos ? s_.size() : end + 2;
        space = true;
        continue;
      }
      size_t start = i;
      if (c == '\'') {
        i = SkipQuoted(s_, i, '\'', o_.mysql_quotes);
        Push(Kind::kLiteral, kLit, space);
      } else if (c == '"') {
        i = SkipQuoted(s_, i, '"', o_.mysql_quotes);
        if (o_.mysql_quotes) {
          Push(Kind::kLiteral, kLit, space);
        } else {
          Push(Kind::kQuoted, s_.substr(start, i - start), space);
        }
      } else if (c == '`') {
        i = SkipQuoted(s_, i, '`', false);
        Push(Kind::kQuoted, s_.substr(start, i - start), space);
      } else if (IsDigit(c) || (c == '.' && IsDigit(At(i + 1)))) {
        i = SkipNumber(i);
        Push(Kind::kLiteral, kLit, space);
      } else if ((c == '-' || c == '+') && (IsDigit(At(i + 1)) || (At(i + 1) == '.' && IsDigit(At(i + 2)))) &&
                 UnaryPosition()) {
        i = SkipNumber(i + 1);
        Push(Kind::kLiteral, kLit, space);
      } else if (c == '?') {
        ++i;
        Push(Kind::kLiteral, kLit, space);
      } else if (c == '$' && IsDigit(At(i + 1))) {  // $1
        ++i;
        while (i < s_.size() && IsDigit(static_cast<unsigned char>(s_[i]))) ++i;
        Push(Kind::kLiteral, kLit, space);
      } else if (c == '$' && DollarQuote(i, &i)) {
        Push(Kind::kLiteral, kLit, space);
      } else if ((c == ':' || c == '@') && IsWordStart(At(i + 1)) && !(c == ':' && i > 0 && s_[i - 1] == ':')) {
        ++i;  // :name, @p1
        while (i < s_.size() && IsWordChar(static_cast<unsigned char>(s_[i]))) ++i;
        Push(Kind::kLiteral, kLit, space);
      } else if (IsWordStart(c)) {
        while (i < s_.size() && IsWordChar(static_cast<unsigned char>(s_[i]))) ++i;
        std::string_view word = s_.substr(start, i - start);
        if (word.size() == 1 && At(i) == '\'' && std::string_view("eEnNbBxX").find(word[0]) != std::string_view::npos) {
          i = SkipQuoted(s_, i, '\'', o_.mysql_quotes || word[0] == 'e' || word[0] == 'E');
          Push(Kind::kLiteral, kLit, space);
        } else if (IsBoolLiteral(word)) {
          Push(Kind::kLiteral, kLit, space);
        } else if (std::string_view kw = Keyword(word); !kw.empty()) {
          Push(Kind::kKeyword, kw, space);
        } else {
          Push(Kind::kWord, word, space);
        }
      } else if (IsPunct(c)) {
        ++i;
        Push(Kind::kPunct, s_.substr(start, 1), space);
      } else if (IsOpChar(c)) {
        ++i;
        while (i < s_.size() && IsOpChar(static_cast<unsigned char>(s_[i]))) {
          unsigned char d = static_cast<unsigned char>(s_[i]);
          unsigned char next = At(i + 1);
          if ((d == '-' && next == '-') || (d == '/' && next == '*')) break;         // a comment starts
          if ((d == '-' || d == '+') && (IsDigit(next) || (next == '.' && IsDigit(At(i + 2))))) break;  // a signed number may
          if ((d == ':' || d == '@') && IsWordStart(next) && s_[i - 1] != ':') break;  // a parameter
          if (d == '$' && (IsDigit(next) || next == '$' || IsWordStart(next))) break;
          ++i;
        }
        Push(Kind::kOp, s_.substr(start, i - start), space);
      } else {
        ++i;  // any other byte: an operator of its own
        Push(Kind::kOp, s_.substr(start, 1), space);
      }
      space = false;
    }
    while (!out_.empty() && Is(out_.back(), ';')) out_.pop_back();
  }

  const std::vector<Token>& tokens() const { return out_; }

 private:
  unsigned char At(size_t i) const { return i < s_.size() ? static_cast<unsigned char>(s_[i]) : 0; }

  // A sign here belongs to a number: nothing before it that could be a left operand.
  bool UnaryPosition() const {
    if (out_.empty()) return true;
    const Token& t = out_.back();
    switch (t.kind) {
      case Kind::kWord: case Kind::kQuoted: case Kind::kLiteral: return false;
      case Kind::kPunct: return !Is(t, ')') && !Is(t, ']');
      default: return true;
    }
  }

  size_t SkipNumber(size_t i) const {
    if (At(i) == '0' && (At(i + 1) | 0x20) == 'x' && IsHex(At(i + 2))) {
      i += 2;
      while (IsHex(At(i))) ++i;
    } else {
      while (IsDigit(At(i))) ++i;
      if (At(i) == '.') {
        ++i;
        while (IsDigit(At(i))) ++i;
      }
      if ((At(i) | 0x20) == 'e' && (IsDigit(At(i + 1)) || ((At(i + 1) == '-' || At(i + 1) == '+') && IsDigit(At(i + 2))))) {
        i += 2;
        while (IsDigit(At(i))) ++i;
      }
    }
    while (i < s_.size() && IsWordChar(At(i))) ++i;  // 1abc, 12L: part of the literal
    return i;
  }

  // $$...$$ or $tag$...$tag$ at i: sets *end past it (or to the input's end) and returns true.
  bool DollarQuote(size_t i, size_t* end) const {
    size_t j = i + 1;
    if (IsWordStart(At(j)) && At(j) < 0x80) {
      while (j < s_.size() && (IsAsciiAlpha(At(j)) || IsDigit(At(j)) || At(j) == '_')) ++j;
    }
    if (At(j) != '$') return false;
    std::string_view tag = s_.substr(i, j + 1 - i);
    size_t close = s_.find(tag, j + 1);
    *end = close == std::string_view::npos ? s_.size() : close + tag.size();
    return true;
  }

  void Push(Kind kind, std::string_view text, bool space) {
    out_.push_back({kind, text, space});
    if (Is(out_.back(), ')')) Collapse();
  }

  // After a ')': "( ? , ? , ... )" -> "( ? )", then "( ? ) , ( ? )" -> "( ? )".
  void Collapse() {
    size_t n = out_.size();
    // Find the matching '(' of a list of only literals and commas.
    size_t j = n - 1;
    bool literals = true, want_literal = true;
    while (j > 0) {
      --j;
      const Token& t = out_[j];
      if (Is(t, '(')) break;
      if (want_literal ? t.kind != Kind::kLiteral : !Is(t, ',')) {
        literals = false;
        break;
      }
      want_literal = !want_literal;
    }
    if (literals && Is(out_[j], '(') && !want_literal && n - j > 3) {
      Token close = out_.back();
      out_.resize(j + 2);
      out_.push_back(close);
      n = out_.size();
    }
    if (n >= 7 && Is(out_[n - 1], ')') && out_[n - 2].kind == Kind::kLiteral && Is(out_[n - 3], '(') &&
        Is(out_[n - 4], ',') && Is(out_[n - 5], ')') && out_[n - 6].kind == Kind::kLiteral && Is(out_[n - 7], '(')) {
      out_.resize(n - 4);
    }
  }

  std::string_view s_;
  const SqlFingerprintOptions& o_;
  std::vector<Token> out_;
};

bool NoSpaceBetween(const Token& prev, const Token& t) {
  if (Is(t, ',') || Is(t, ')') || Is(t, ']') || Is(t, '.') || Is(t, ';')) return true;
  if (Is(prev, '(') || Is(prev, '[') || Is(prev, '.')) return true;
  // A function call keeps the input's spacing: f(x) stays f(x), "users (a, b)" keeps its space.
  if (Is(t, '(') && prev.kind == Kind::kWord) return !t.space_before;
  return false;
}

}  // namespace

SqlFingerprint FingerprintSql(std::string_view statement, const SqlFingerprintOptions& options) {
  Tokenizer tok(statement, options);
  tok.Run();
  const std::vector<Token>& tokens = tok.tokens();
  SqlFingerprint fp;
  for (const Token& t : tokens) {
    if (Is(t, '(')) continue;
    if ((t.kind == Kind::kWord || t.kind == Kind::kKeyword) && t.text.size() <= 32 &&
        std::all_of(t.text.begin(), t.text.end(), [](char c) { return IsAsciiAlpha(static_cast<unsigned char>(c)); })) {
      for (char c : t.text) fp.operation.push_back(static_cast<char>(c & ~0x20));
    }
    break;
  }
  std::string& out = fp.text;
  const size_t max_bytes = std::max<size_t>(options.max_bytes, 8);
  // Cut at a token boundary: a cut word could read back as another token ("falsey" -> false).
  size_t fits = 0;  // length of the longest whole-token prefix that leaves room for "..."
  for (size_t k = 0; k < tokens.size(); ++k) {
    if (k > 0 && !NoSpaceBetween(tokens[k - 1], tokens[k])) out.push_back(' ');
    out.append(tokens[k].text);
    if (out.size() > max_bytes) break;
    if (out.size() <= max_bytes - 3) fits = out.size();
  }
  if (out.size() > max_bytes) {
    out.resize(fits);
    out.append("...");
  }
  return fp;
}

}  // namespace perfwatch::ingest::otlp
