// Lexer and parser for Go's text/template syntax (Go 1.19, as Prometheus 2.42 was built),
// producing the tree in template_internal.h with Go's node positions and error messages.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "alert/template_funcs.h"
#include "alert/template_internal.h"

namespace perfwatch::alert::tmpl {
namespace {

// ---------------------------------------------------------------------------------------
// Lexer

enum class Item : uint8_t {
  kError,
  kBool,
  kChar,
  kCharConstant,
  kComplex,
  kAssign,
  kDeclare,
  kEOF,
  kField,
  kIdentifier,
  kLeftDelim,
  kLeftParen,
  kNumber,
  kPipe,
  kRawString,
  kRightDelim,
  kRightParen,
  kSpace,
  kString,
  kText,
  kVariable,
  kKeyword,  // marks the start of the keywords
  kBlock,
  kBreak,
  kContinue,
  kDot,
  kDefine,
  kElse,
  kEnd,
  kIf,
  kNil,
  kRange,
  kTemplate,
  kWith,
};

struct Token {
  Item typ = Item::kEOF;
  int pos = 0;
  std::string val;  // the item's text, or the error message for kError
  int line = 0;
};

Item Keyword(std::string_view w) {
  static const std::pair<std::string_view, Item> kKeys[] = {
      {".", Item::kDot},
      {"block", Item::kBlock},
      {"break", Item::kBreak},
      {"continue", Item::kContinue},
      {"define", Item::kDefine},
      {"else", Item::kElse},
      {"end", Item::kEnd},
      {"if", Item::kIf},
      {"range", Item::kRange},
      {"nil", Item::kNil},
      {"template", Item::kTemplate},
      {"with", Item::kWith},
  };
  for (const auto& [k, v] : kKeys) {
    if (k == w) return v;
  }
  return Item::kError;
}

constexpr int32_t kEofRune = -1;
constexpr std::string_view kLeftDelim = "{{";
constexpr std::string_view kRightDelim = "}}";
constexpr std::string_view kLeftComment = "/*";
constexpr std::string_view kRightComment = "*/";
constexpr std::string_view kSpaceChars = " \t\r\n";
constexpr size_t kTrimMarkerLen = 2;

bool IsSpace(int32_t r) { return r == ' ' || r == '\t' || r == '\r' || r == '\n'; }
bool IsAlphaNumeric(int32_t r) {
  if (r < 0) return false;
  if (r < 0x80) {
    return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9');
  }
  return IsLetterRune(r);
}
bool HasLeftTrimMarker(std::string_view s) { return s.size() >= 2 && s[0] == '-' && IsSpace(s[1]); }
bool HasRightTrimMarker(std::string_view s) {
  return s.size() >= 2 && IsSpace(s[0]) && s[1] == '-';
}
size_t RightTrimLength(std::string_view s) {
  size_t n = s.find_last_not_of(kSpaceChars);
  return n == std::string_view::npos ? s.size() : s.size() - n - 1;
}
size_t LeftTrimLength(std::string_view s) {
  size_t n = s.find_first_not_of(kSpaceChars);
  return n == std::string_view::npos ? s.size() : n;
}

// fmt's %#U: "U+00A0" or "U+0041 'A'" when printable.
std::string FormatU(int32_t r) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(r));
  std::string out = buf;
  if (IsPrintRune(r)) {
    out += " '";
    AppendRune(out, r);
    out += "'";
  }
  return out;
}

class Lexer {
 public:
  explicit Lexer(std::string_view input) : in_(input) {}

  std::vector<Token> Run() {
    State st = State::kText;
    while (st != State::kDone) st = Step(st);
    return std::move(out_);
  }

 private:
  enum class State : uint8_t {
    kText,
    kLeftDelim,
    kComment,
    kRightDelim,
    kInsideAction,
    kSpace,
    kIdentifier,
    kField,
    kVariable,
    kChar,
    kNumber,
    kQuote,
    kRawQuote,
    kDone,
  };

  int32_t Next() {
    if (pos_ >= in_.size()) {
      width_ = 0;
      return kEofRune;
    }
    int w = 1;
    int32_t r = DecodeRune(in_, pos_, &w);
    width_ = static_cast<size_t>(w);
    pos_ += width_;
    return r;
  }
  int32_t Peek() {
    int32_t r = Next();
    Backup();
    return r;
  }
  void Backup() { pos_ -= width_; }
  bool Accept(std::string_view valid) {
    int32_t r = Next();
    if (r >= 0 && r < 0x80 && valid.find(static_cast<char>(r)) != std::string_view::npos)
      return true;
    Backup();
    return false;
  }
  void AcceptRun(std::string_view valid) {
    while (Accept(valid)) {
    }
  }
  int LineAt(size_t pos) {
    while (line_pos_ < pos && line_pos_ < in_.size()) {
      if (in_[line_pos_] == '\n') ++line_count_;
      ++line_pos_;
    }
    return 1 + line_count_;
  }
  void Emit(Item t) {
    out_.push_back(Token{t, static_cast<int>(start_),
                         std::string(in_.substr(start_, pos_ - start_)), LineAt(start_)});
    start_ = pos_;
  }
  void EmitToken(Token t) { out_.push_back(std::move(t)); }
  // The item from start_ to pos_; advances start_ (Go's thisItem).
  Token ThisItem(Item t) {
    Token tok{t, static_cast<int>(start_), std::string(in_.substr(start_, pos_ - start_)),
              LineAt(start_)};
    start_ = pos_;
    return tok;
  }
  void Ignore() { start_ = pos_; }
  State Errorf(std::string msg) {
    out_.push_back(Token{Item::kError, static_cast<int>(start_), std::move(msg), LineAt(start_)});
    return State::kDone;
  }
  // Whether the input is at a right delimiter, possibly preceded by a trim marker.
  bool AtRightDelim(bool* trim) {
    std::string_view rest = in_.substr(pos_);
    if (HasRightTrimMarker(rest) && rest.substr(kTrimMarkerLen).starts_with(kRightDelim)) {
      *trim = true;
      return true;
    }
    *trim = false;
    return rest.starts_with(kRightDelim);
  }
  bool AtTerminator() {
    int32_t r = Peek();
    if (IsSpace(r)) return true;
    switch (r) {
      case kEofRune:
      case '.':
      case ',':
      case '|':
      case ':':
      case ')':
      case '(':
      case '}':
        return true;
      default:
        return false;
    }
  }

  State Step(State st) {
    switch (st) {
      case State::kText:
        return LexText();
      case State::kLeftDelim:
        return LexLeftDelim();
      case State::kComment:
        return LexComment();
      case State::kRightDelim:
        return LexRightDelim();
      case State::kInsideAction:
        return LexInsideAction();
      case State::kSpace:
        return LexSpace();
      case State::kIdentifier:
        return LexIdentifier();
      case State::kField:
        return LexFieldOrVariable(Item::kField);
      case State::kVariable:
        if (AtTerminator()) {
          Emit(Item::kVariable);
          return State::kInsideAction;
        }
        return LexFieldOrVariable(Item::kVariable);
      case State::kChar:
        return LexQuoted('\'', "unterminated character constant", Item::kCharConstant);
      case State::kNumber:
        return LexNumber();
      case State::kQuote:
        return LexQuoted('"', "unterminated quoted string", Item::kString);
      case State::kRawQuote:
        return LexRawQuote();
      case State::kDone:
        return State::kDone;
    }
    return State::kDone;
  }

  State LexText() {
    size_t x = in_.find(kLeftDelim, pos_);
    if (x != std::string_view::npos) {
      if (x > pos_) {
        pos_ = x;
        size_t trim = 0;
        if (HasLeftTrimMarker(in_.substr(pos_ + kLeftDelim.size()))) {
          trim = RightTrimLength(in_.substr(start_, pos_ - start_));
        }
        pos_ -= trim;
        Token t = ThisItem(Item::kText);
        pos_ += trim;
        Ignore();
        if (!t.val.empty()) EmitToken(std::move(t));
      }
      return State::kLeftDelim;
    }
    pos_ = in_.size();
    if (pos_ > start_) Emit(Item::kText);
    Emit(Item::kEOF);
    return State::kDone;
  }

  State LexLeftDelim() {
    pos_ += kLeftDelim.size();
    bool trim = HasLeftTrimMarker(in_.substr(pos_));
    size_t after = trim ? kTrimMarkerLen : 0;
    if (in_.substr(pos_ + after).starts_with(kLeftComment)) {
      pos_ += after;
      Ignore();
      return State::kComment;
    }
    Token t = ThisItem(Item::kLeftDelim);
    pos_ += after;
    Ignore();
    paren_depth_ = 0;
    EmitToken(std::move(t));
    return State::kInsideAction;
  }

  State LexComment() {
    pos_ += kLeftComment.size();
    size_t x = in_.find(kRightComment, pos_);
    if (x == std::string_view::npos) return Errorf("unclosed comment");
    pos_ = x + kRightComment.size();
    bool trim = false;
    if (!AtRightDelim(&trim)) return Errorf("comment ends before closing delimiter");
    if (trim) pos_ += kTrimMarkerLen;
    pos_ += kRightDelim.size();
    if (trim) pos_ += LeftTrimLength(in_.substr(pos_));
    Ignore();
    return State::kText;
  }

  State LexRightDelim() {
    bool trim = false;
    AtRightDelim(&trim);
    if (trim) {
      pos_ += kTrimMarkerLen;
      Ignore();
    }
    pos_ += kRightDelim.size();
    Token t = ThisItem(Item::kRightDelim);
    if (trim) {
      pos_ += LeftTrimLength(in_.substr(pos_));
      Ignore();
    }
    EmitToken(std::move(t));
    return State::kText;
  }

  State LexInsideAction() {
    bool trim = false;
    if (AtRightDelim(&trim)) {
      if (paren_depth_ == 0) return State::kRightDelim;
      return Errorf("unclosed left paren");
    }
    int32_t r = Next();
    if (r == kEofRune) return Errorf("unclosed action");
    if (IsSpace(r)) {
      Backup();
      return State::kSpace;
    }
    switch (r) {
      case '=':
        Emit(Item::kAssign);
        return State::kInsideAction;
      case ':':
        if (Next() != '=') return Errorf("expected :=");
        Emit(Item::kDeclare);
        return State::kInsideAction;
      case '|':
        Emit(Item::kPipe);
        return State::kInsideAction;
      case '"':
        return State::kQuote;
      case '`':
        return State::kRawQuote;
      case '$':
        return State::kVariable;
      case '\'':
        return State::kChar;
      case '(':
        Emit(Item::kLeftParen);
        ++paren_depth_;
        return State::kInsideAction;
      case ')':
        Emit(Item::kRightParen);
        --paren_depth_;
        if (paren_depth_ < 0) return Errorf("unexpected right paren " + FormatU(r));
        return State::kInsideAction;
      default:
        break;
    }
    if (r == '.') {
      if (pos_ < in_.size() && (in_[pos_] < '0' || in_[pos_] > '9')) return State::kField;
      Backup();
      return State::kNumber;
    }
    if (r == '+' || r == '-' || (r >= '0' && r <= '9')) {
      Backup();
      return State::kNumber;
    }
    if (IsAlphaNumeric(r)) {
      Backup();
      return State::kIdentifier;
    }
    if (r < 0x80 && r >= 0x20 && r < 0x7f) {
      Emit(Item::kChar);
      return State::kInsideAction;
    }
    return Errorf("unrecognized character in action: " + FormatU(r));
  }

  State LexSpace() {
    int spaces = 0;
    while (IsSpace(Peek())) {
      Next();
      ++spaces;
    }
    // A trim-marked closing delimiter has a minus after a space.
    std::string_view rest = in_.substr(pos_ - 1);
    if (HasRightTrimMarker(rest) && rest.substr(kTrimMarkerLen).starts_with(kRightDelim)) {
      Backup();  // before the space
      if (spaces == 1) return State::kRightDelim;
    }
    Emit(Item::kSpace);
    return State::kInsideAction;
  }

  State LexIdentifier() {
    for (;;) {
      int32_t r = Next();
      if (IsAlphaNumeric(r)) continue;
      Backup();
      std::string_view word = in_.substr(start_, pos_ - start_);
      if (!AtTerminator()) return Errorf("bad character " + FormatU(r));
      Item k = Keyword(word);
      if (k != Item::kError) {
        Emit(k);
      } else if (word[0] == '.') {
        Emit(Item::kField);
      } else if (word == "true" || word == "false") {
        Emit(Item::kBool);
      } else {
        Emit(Item::kIdentifier);
      }
      return State::kInsideAction;
    }
  }

  State LexFieldOrVariable(Item typ) {
    if (AtTerminator()) {  // nothing interesting follows: "." or "$"
      Emit(typ == Item::kVariable ? Item::kVariable : Item::kDot);
      return State::kInsideAction;
    }
    int32_t r;
    for (;;) {
      r = Next();
      if (!IsAlphaNumeric(r)) {
        Backup();
        break;
      }
    }
    if (!AtTerminator()) return Errorf("bad character " + FormatU(r));
    Emit(typ);
    return State::kInsideAction;
  }

  State LexQuoted(int32_t quote, const char* unterminated, Item typ) {
    for (;;) {
      int32_t r = Next();
      if (r == '\\') {
        r = Next();
        if (r != kEofRune && r != '\n') continue;
        return Errorf(unterminated);
      }
      if (r == kEofRune || r == '\n') return Errorf(unterminated);
      if (r == quote) break;
    }
    Emit(typ);
    return State::kInsideAction;
  }

  State LexRawQuote() {
    for (;;) {
      int32_t r = Next();
      if (r == kEofRune) return Errorf("unterminated raw quoted string");
      if (r == '`') break;
    }
    Emit(Item::kRawString);
    return State::kInsideAction;
  }

  bool ScanNumber() {
    Accept("+-");
    std::string_view digits = "0123456789_";
    if (Accept("0")) {
      if (Accept("xX")) {
        digits = "0123456789abcdefABCDEF_";
      } else if (Accept("oO")) {
        digits = "01234567_";
      } else if (Accept("bB")) {
        digits = "01_";
      }
    }
    AcceptRun(digits);
    if (Accept(".")) AcceptRun(digits);
    if (digits.size() == 11 && Accept("eE")) {
      Accept("+-");
      AcceptRun("0123456789_");
    }
    if (digits.size() == 23 && Accept("pP")) {
      Accept("+-");
      AcceptRun("0123456789_");
    }
    Accept("i");
    if (IsAlphaNumeric(Peek())) {
      Next();
      return false;
    }
    return true;
  }

  State LexNumber() {
    if (!ScanNumber()) {
      return Errorf("bad number syntax: " + GoQuote(in_.substr(start_, pos_ - start_)));
    }
    int32_t sign = Peek();
    if (sign == '+' || sign == '-') {
      if (!ScanNumber() || in_[pos_ - 1] != 'i') {
        return Errorf("bad number syntax: " + GoQuote(in_.substr(start_, pos_ - start_)));
      }
      Emit(Item::kComplex);
    } else {
      Emit(Item::kNumber);
    }
    return State::kInsideAction;
  }

  std::string_view in_;
  size_t pos_ = 0;
  size_t start_ = 0;
  size_t width_ = 0;
  int paren_depth_ = 0;
  size_t line_pos_ = 0;
  int line_count_ = 0;
  std::vector<Token> out_;
};

// Go's item.String() as used in "unexpected X in Y".
std::string TokenString(const Token& t) {
  if (t.typ == Item::kEOF) return "EOF";
  if (t.typ == Item::kError) return t.val;
  if (t.typ > Item::kKeyword) return "<" + t.val + ">";
  if (RuneCount(t.val) > 10) {
    std::string head;
    size_t i = 0;
    for (int n = 0; n < 10; ++n) {
      int w = 1;
      DecodeRune(t.val, i, &w);
      i += static_cast<size_t>(w);
    }
    return GoQuote(std::string_view(t.val).substr(0, i)) + "...";
  }
  return GoQuote(t.val);
}

// ---------------------------------------------------------------------------------------
// strconv helpers for literals.

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// strconv.UnquoteChar: decodes one (possibly escaped) character of s at *i.
bool UnquoteChar(std::string_view s, size_t* i, char quote, int32_t* rune, bool* is_byte) {
  *is_byte = false;
  unsigned char c = static_cast<unsigned char>(s[*i]);
  if (c == static_cast<unsigned char>(quote) && (quote == '\'' || quote == '"')) return false;
  if (c >= 0x80) {
    int w = 1;
    *rune = DecodeRune(s, *i, &w);
    *i += static_cast<size_t>(w);
    return true;
  }
  if (c != '\\') {
    *rune = c;
    ++*i;
    return true;
  }
  if (*i + 1 >= s.size()) return false;
  char e = s[*i + 1];
  *i += 2;
  switch (e) {
    case 'a':
      *rune = '\a';
      return true;
    case 'b':
      *rune = '\b';
      return true;
    case 'f':
      *rune = '\f';
      return true;
    case 'n':
      *rune = '\n';
      return true;
    case 'r':
      *rune = '\r';
      return true;
    case 't':
      *rune = '\t';
      return true;
    case 'v':
      *rune = '\v';
      return true;
    case '\\':
      *rune = '\\';
      return true;
    case '\'':
    case '"':
      if (e != quote) return false;
      *rune = e;
      return true;
    case 'x':
    case 'u':
    case 'U': {
      size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
      if (*i + n > s.size()) return false;
      int64_t v = 0;
      for (size_t k = 0; k < n; ++k) {
        int h = HexVal(s[*i + k]);
        if (h < 0) return false;
        v = v * 16 + h;
      }
      *i += n;
      if (e == 'x') {
        *rune = static_cast<int32_t>(v);
        *is_byte = true;
        return true;
      }
      if (v > 0x10FFFF || (v >= 0xD800 && v < 0xE000)) return false;
      *rune = static_cast<int32_t>(v);
      return true;
    }
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7': {
      if (*i + 2 > s.size()) return false;
      int v = e - '0';
      for (size_t k = 0; k < 2; ++k) {
        char d = s[*i + k];
        if (d < '0' || d > '7') return false;
        v = v * 8 + (d - '0');
      }
      if (v > 255) return false;
      *i += 2;
      *rune = v;
      *is_byte = true;
      return true;
    }
    default:
      return false;
  }
}

// strconv.Unquote for "..." and `...`.
bool Unquote(std::string_view q, std::string* out) {
  out->clear();
  if (q.size() < 2 || q.front() != q.back()) return false;
  std::string_view in = q.substr(1, q.size() - 2);
  if (q.front() == '`') {
    if (in.find('`') != std::string_view::npos) return false;
    for (char c : in) {
      if (c != '\r') out->push_back(c);
    }
    return true;
  }
  if (q.front() != '"') return false;
  size_t i = 0;
  while (i < in.size()) {
    if (in[i] == '\n') return false;
    int32_t r = 0;
    bool is_byte = false;
    if (!UnquoteChar(in, &i, '"', &r, &is_byte)) return false;
    if (is_byte) {
      out->push_back(static_cast<char>(r));
    } else {
      AppendRune(*out, r);
    }
  }
  return true;
}

// Underscores must separate digits (Go's underscoreOK), then are dropped.
bool StripUnderscores(std::string_view s, std::string* out) {
  out->clear();
  if (s.find('_') == std::string_view::npos) {
    out->assign(s);
    return true;
  }
  size_t i = 0;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) out->push_back(s[i++]);
  bool hex = false;
  char saw = '^';  // '^' start, '0' digit or prefix, '_' underscore, '!' other
  if (s.size() - i >= 2 && s[i] == '0') {
    char p = static_cast<char>(s[i + 1] | 0x20);
    if (p == 'b' || p == 'o' || p == 'x') {
      hex = p == 'x';
      out->append(s.substr(i, 2));
      i += 2;
      saw = '0';
    }
  }
  for (; i < s.size(); ++i) {
    char c = s[i];
    if ((c >= '0' && c <= '9') || (hex && HexVal(c) >= 0)) {
      saw = '0';
      out->push_back(c);
      continue;
    }
    if (c == '_') {
      if (saw != '0') return false;
      saw = '_';
      continue;
    }
    if (saw == '_') return false;
    saw = '!';
    out->push_back(c);
  }
  return saw != '_';
}

bool ParseUintBase0(std::string_view text, uint64_t* out) {
  std::string s;
  if (!StripUnderscores(text, &s) || s.empty() || s[0] == '+' || s[0] == '-') return false;
  int base = 10;
  size_t i = 0;
  if (s[0] == '0' && s.size() > 1) {
    char p = static_cast<char>(s[1] | 0x20);
    if (p == 'x') {
      base = 16, i = 2;
    } else if (p == 'b') {
      base = 2, i = 2;
    } else if (p == 'o') {
      base = 8, i = 2;
    } else {
      base = 8, i = 1;
    }
  }
  if (i >= s.size()) return false;
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    int d = HexVal(s[i]);
    if (d < 0 || d >= base) return false;
    if (v > (UINT64_MAX - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base)) return false;
    v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

bool ParseIntBase0(std::string_view text, int64_t* out) {
  bool neg = false;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    neg = text[0] == '-';
    text.remove_prefix(1);
  }
  uint64_t u = 0;
  if (!ParseUintBase0(text, &u)) return false;
  if (neg) {
    if (u > static_cast<uint64_t>(INT64_MAX) + 1) return false;
    *out = static_cast<int64_t>(0 - u);
  } else {
    if (u > static_cast<uint64_t>(INT64_MAX)) return false;
    *out = static_cast<int64_t>(u);
  }
  return true;
}

// ---------------------------------------------------------------------------------------
// Parser

using NodePtr = std::unique_ptr<PNode>;

NodePtr MakeNode(NodeType t, int pos, int line = 0) {
  auto n = std::make_unique<PNode>();
  n->type = t;
  n->pos = pos;
  n->line = line;
  return n;
}

// Go's parse.IsEmptyTree.
bool IsEmptyTree(const PNode* n) {
  if (n == nullptr) return true;
  switch (n->type) {
    case NodeType::kList:
      for (const auto& c : n->children) {
        if (!IsEmptyTree(c.get())) return false;
      }
      return true;
    case NodeType::kText:
      return n->text.find_first_not_of(" \t\r\n") == std::string::npos;
    default:
      return false;
  }
}

class Parser;

// One parse.Tree: the main template or a {{define}} / {{block}} body.
class TreeParser {
 public:
  TreeParser(Parser& p, std::string name) : p_(p), name_(std::move(name)) {}
  NodePtr ParseMain();
  void ParseDefinition();  // after {{define
  NodePtr BlockBody(int* end_pos);

  const std::string& name() const { return name_; }

 private:
  friend class Parser;
  const Token& Next();
  void Backup();
  const Token& Peek();
  const Token& NextNonSpace();
  const Token& PeekNonSpace();
  [[noreturn]] void Errorf(const std::string& msg);
  [[noreturn]] void Unexpected(const Token& t, std::string_view context);
  const Token& Expect(Item expected, std::string_view context);

  std::pair<NodePtr, NodePtr> ItemList();  // list, and the {{end}} / {{else}} that ended it
  NodePtr TextOrAction();
  NodePtr Action();
  NodePtr Pipeline(std::string_view context, Item end);
  void CheckPipeline(const PNode& pipe, std::string_view context);
  NodePtr Command();
  NodePtr Operand();
  NodePtr Term();
  NodePtr Control(NodeType type, bool allow_else_if, std::string_view context);
  NodePtr TemplateControl();
  NodePtr BlockControl();
  NodePtr BreakOrContinue(NodeType type, const Token& tok);
  NodePtr ElseControl();
  NodePtr EndControl();
  NodePtr UseVar(int pos, const std::string& name);
  NodePtr NewNumber(const Token& t);
  std::string TemplateName(const Token& t, std::string_view context);
  void Add(NodePtr root);

  struct DepthGuard {
    DepthGuard(TreeParser& t, const char* msg);
    ~DepthGuard() { --t_.depth_; }
    TreeParser& t_;
  };

  Parser& p_;
  std::string name_;
  std::vector<std::string> vars_{"$"};
  int range_depth_ = 0;
  int action_line_ = 0;
  int depth_ = 0;
};

class Parser {
 public:
  Parser(std::string_view name, std::string_view text)
      : name_(name),
        text_(text),
        tokens_(Lexer(text).Run()),
        stack_base_(__builtin_frame_address(0)) {}

  std::shared_ptr<Template::Node> Run() {
    set_ = std::make_shared<Template::Node>();
    set_->name = name_;
    set_->text = std::string(text_);
    TreeParser main(*this, name_);
    NodePtr root = main.ParseMain();
    main.Add(std::move(root));
    return std::move(set_);
  }

 private:
  friend class TreeParser;
  std::string name_;
  std::string_view text_;
  std::vector<Token> tokens_;
  size_t idx_ = 0;       // next token to read
  size_t furthest_ = 0;  // tokens read so far (Go's token[0] is the last of them)
  std::shared_ptr<Template::Node> set_;
  const void* stack_base_;
};

TreeParser::DepthGuard::DepthGuard(TreeParser& t, const char* msg) : t_(t) {
  if (++t_.depth_ > kMaxParseDepth || StackUsed(t_.p_.stack_base_) > kMaxStackBytes) {
    --t_.depth_;
    t_.Errorf(msg);
  }
}

const Token& TreeParser::Next() {
  size_t i = std::min(p_.idx_, p_.tokens_.size() - 1);
  if (p_.idx_ < p_.tokens_.size()) ++p_.idx_;
  p_.furthest_ = std::max(p_.furthest_, p_.idx_);
  return p_.tokens_[i];
}
void TreeParser::Backup() { --p_.idx_; }
const Token& TreeParser::Peek() {
  const Token& t = Next();
  Backup();
  return t;
}
const Token& TreeParser::NextNonSpace() {
  for (;;) {
    const Token& t = Next();
    if (t.typ != Item::kSpace) return t;
  }
}
const Token& TreeParser::PeekNonSpace() {
  const Token& t = NextNonSpace();
  Backup();
  return t;
}

void TreeParser::Errorf(const std::string& msg) {
  size_t last = p_.furthest_ == 0 ? 0 : p_.furthest_ - 1;
  int line = p_.tokens_[std::min(last, p_.tokens_.size() - 1)].line;
  throw ParseError{"template: " + p_.name_ + ":" + std::to_string(line) + ": " + msg};
}

void TreeParser::Unexpected(const Token& t, std::string_view context) {
  if (t.typ == Item::kError) {
    std::string extra;
    if (action_line_ != 0 && action_line_ != t.line) {
      extra = " in action started at " + p_.name_ + ":" + std::to_string(action_line_);
      if (t.val.ends_with(" action")) extra = extra.substr(std::strlen(" in action"));
    }
    Errorf(t.val + extra);
  }
  Errorf("unexpected " + TokenString(t) + " in " + std::string(context));
}

const Token& TreeParser::Expect(Item expected, std::string_view context) {
  const Token& t = NextNonSpace();
  if (t.typ != expected) Unexpected(t, context);
  return t;
}

void TreeParser::Add(NodePtr root) {
  auto& trees = p_.set_->trees;
  auto it = trees.find(name_);
  if (it == trees.end() || IsEmptyTree(it->second.get())) {
    trees[name_] = std::move(root);
    return;
  }
  if (!IsEmptyTree(root.get()))
    Errorf("template: multiple definition of template " + GoQuote(name_));
}

NodePtr TreeParser::ParseMain() {
  NodePtr root = MakeNode(NodeType::kList, Peek().pos);
  while (Peek().typ != Item::kEOF) {
    if (Peek().typ == Item::kLeftDelim) {
      Next();
      if (NextNonSpace().typ == Item::kDefine) {
        TreeParser def(p_, "definition");
        def.ParseDefinition();
        continue;
      }
      // Back up to the delimiter (Go's backup2).
      while (p_.tokens_[p_.idx_ - 1].typ != Item::kLeftDelim) --p_.idx_;
      --p_.idx_;
    }
    NodePtr n = TextOrAction();
    if (n->type == NodeType::kEnd || n->type == NodeType::kElse) {
      Errorf("unexpected " + n->String());
    }
    root->children.push_back(std::move(n));
  }
  return root;
}

void TreeParser::ParseDefinition() {
  constexpr std::string_view kContext = "define clause";
  const Token& name = NextNonSpace();
  if (name.typ != Item::kString && name.typ != Item::kRawString) Unexpected(name, kContext);
  if (!Unquote(name.val, &name_)) Errorf("invalid syntax");
  Expect(Item::kRightDelim, kContext);
  auto [root, end] = ItemList();
  if (end->type != NodeType::kEnd)
    Errorf("unexpected " + end->String() + " in " + std::string(kContext));
  Add(std::move(root));
}

std::pair<NodePtr, NodePtr> TreeParser::ItemList() {
  NodePtr list = MakeNode(NodeType::kList, PeekNonSpace().pos);
  while (PeekNonSpace().typ != Item::kEOF) {
    NodePtr n = TextOrAction();
    if (n->type == NodeType::kEnd || n->type == NodeType::kElse)
      return {std::move(list), std::move(n)};
    list->children.push_back(std::move(n));
  }
  Errorf("unexpected EOF");
}

NodePtr TreeParser::TextOrAction() {
  const Token& t = NextNonSpace();
  switch (t.typ) {
    case Item::kText: {
      NodePtr n = MakeNode(NodeType::kText, t.pos);
      n->text = t.val;
      return n;
    }
    case Item::kLeftDelim: {
      action_line_ = t.line;
      NodePtr n = Action();
      action_line_ = 0;
      return n;
    }
    default:
      Unexpected(t, "input");
  }
}

NodePtr TreeParser::Action() {
  const Token& t = NextNonSpace();
  switch (t.typ) {
    case Item::kBlock:
      return BlockControl();
    case Item::kBreak:
      return BreakOrContinue(NodeType::kBreak, t);
    case Item::kContinue:
      return BreakOrContinue(NodeType::kContinue, t);
    case Item::kElse:
      return ElseControl();
    case Item::kEnd:
      return EndControl();
    case Item::kIf:
      return Control(NodeType::kIf, true, "if");
    case Item::kRange:
      return Control(NodeType::kRange, false, "range");
    case Item::kTemplate:
      return TemplateControl();
    case Item::kWith:
      return Control(NodeType::kWith, false, "with");
    default:
      break;
  }
  Backup();
  const Token& first = Peek();
  NodePtr n = MakeNode(NodeType::kAction, first.pos, first.line);
  n->pipe = Pipeline("command", Item::kRightDelim);
  return n;
}

NodePtr TreeParser::BreakOrContinue(NodeType type, const Token& tok) {
  const char* word = type == NodeType::kBreak ? "{{break}}" : "{{continue}}";
  int pos = tok.pos, line = tok.line;
  const Token& t = NextNonSpace();
  if (t.typ != Item::kRightDelim) Unexpected(t, word);
  if (range_depth_ == 0) Errorf(std::string(word) + " outside {{range}}");
  return MakeNode(type, pos, line);
}

NodePtr TreeParser::ElseControl() {
  const Token& peek = PeekNonSpace();
  if (peek.typ == Item::kIf) return MakeNode(NodeType::kElse, peek.pos, peek.line);  // "else if"
  const Token& t = Expect(Item::kRightDelim, "else");
  return MakeNode(NodeType::kElse, t.pos, t.line);
}

NodePtr TreeParser::EndControl() {
  const Token& t = Expect(Item::kRightDelim, "end");
  return MakeNode(NodeType::kEnd, t.pos);
}

NodePtr TreeParser::Control(NodeType type, bool allow_else_if, std::string_view context) {
  DepthGuard guard(*this, "max control nesting depth exceeded");
  size_t mark = vars_.size();
  NodePtr pipe = Pipeline(context, Item::kRightDelim);
  if (type == NodeType::kRange) ++range_depth_;
  auto [list, next] = ItemList();
  if (type == NodeType::kRange) --range_depth_;
  NodePtr else_list;
  if (next->type == NodeType::kElse) {
    if (allow_else_if && Peek().typ == Item::kIf) {
      // {{if a}}_{{else if b}}_{{end}} is {{if a}}_{{else}}{{if b}}_{{end}}{{end}}.
      Next();
      else_list = MakeNode(NodeType::kList, next->pos);
      else_list->children.push_back(Control(NodeType::kIf, true, "if"));
    } else {
      auto [l, end] = ItemList();
      if (end->type != NodeType::kEnd) Errorf("expected end; found " + end->String());
      else_list = std::move(l);
    }
  }
  vars_.resize(mark);
  NodePtr n = MakeNode(type, pipe->pos, pipe->line);
  n->pipe = std::move(pipe);
  n->list = std::move(list);
  n->else_list = std::move(else_list);
  return n;
}

std::string TreeParser::TemplateName(const Token& t, std::string_view context) {
  if (t.typ != Item::kString && t.typ != Item::kRawString) Unexpected(t, context);
  std::string s;
  if (!Unquote(t.val, &s)) Errorf("invalid syntax");
  return s;
}

NodePtr TreeParser::TemplateControl() {
  constexpr std::string_view kContext = "template clause";
  const Token& t = NextNonSpace();
  int pos = t.pos, line = t.line;
  std::string name = TemplateName(t, kContext);
  NodePtr pipe;
  if (NextNonSpace().typ != Item::kRightDelim) {
    Backup();
    pipe = Pipeline(kContext, Item::kRightDelim);
  }
  NodePtr n = MakeNode(NodeType::kTemplate, pos, line);
  n->text = std::move(name);
  n->pipe = std::move(pipe);
  return n;
}

NodePtr TreeParser::BlockControl() {
  constexpr std::string_view kContext = "block clause";
  DepthGuard guard(*this, "max control nesting depth exceeded");
  const Token& t = NextNonSpace();
  int pos = t.pos, line = t.line;
  std::string name = TemplateName(t, kContext);
  NodePtr pipe = Pipeline(kContext, Item::kRightDelim);
  TreeParser block(p_, name);
  block.depth_ = depth_;
  auto [root, end] = block.ItemList();
  if (end->type != NodeType::kEnd)
    Errorf("unexpected " + end->String() + " in " + std::string(kContext));
  block.Add(std::move(root));
  NodePtr n = MakeNode(NodeType::kTemplate, pos, line);
  n->text = std::move(name);
  n->pipe = std::move(pipe);
  return n;
}

NodePtr TreeParser::Pipeline(std::string_view context, Item end) {
  const Token& first = PeekNonSpace();
  NodePtr pipe = MakeNode(NodeType::kPipe, first.pos, first.line);
  // Declarations or assignments: "$x :=", "$x =", "$i, $e :=" (range only).
  for (;;) {
    const Token& v = PeekNonSpace();
    if (v.typ != Item::kVariable) break;
    NextNonSpace();
    const size_t var_idx = p_.idx_ - 1;
    const Token& nx = PeekNonSpace();
    const Token& var = p_.tokens_[var_idx];
    if (nx.typ == Item::kAssign || nx.typ == Item::kDeclare) {
      pipe->is_assign = nx.typ == Item::kAssign;
      NextNonSpace();
      NodePtr d = MakeNode(NodeType::kVariable, var.pos);
      d->idents = {var.val};
      pipe->decl.push_back(std::move(d));
      vars_.push_back(var.val);
      break;
    }
    if (nx.typ == Item::kChar && nx.val == ",") {
      NextNonSpace();
      NodePtr d = MakeNode(NodeType::kVariable, var.pos);
      d->idents = {var.val};
      pipe->decl.push_back(std::move(d));
      vars_.push_back(var.val);
      if (context == "range" && pipe->decl.size() < 2) {
        Item k = PeekNonSpace().typ;
        if (k == Item::kVariable || k == Item::kRightDelim || k == Item::kRightParen) continue;
        Errorf("range can only initialize variables");
      }
      Errorf("too many declarations in " + std::string(context));
    }
    // Not a declaration: back up to the variable.
    p_.idx_ = var_idx;
    break;
  }
  for (;;) {
    const Token& t = NextNonSpace();
    if (t.typ == end) {
      CheckPipeline(*pipe, context);
      return pipe;
    }
    switch (t.typ) {
      case Item::kBool:
      case Item::kCharConstant:
      case Item::kComplex:
      case Item::kDot:
      case Item::kField:
      case Item::kIdentifier:
      case Item::kNumber:
      case Item::kNil:
      case Item::kRawString:
      case Item::kString:
      case Item::kVariable:
      case Item::kLeftParen:
        Backup();
        pipe->children.push_back(Command());
        break;
      default:
        Unexpected(t, context);
    }
  }
}

void TreeParser::CheckPipeline(const PNode& pipe, std::string_view context) {
  if (pipe.children.empty()) Errorf("missing value for " + std::string(context));
  for (size_t i = 1; i < pipe.children.size(); ++i) {
    switch (pipe.children[i]->children[0]->type) {
      case NodeType::kBool:
      case NodeType::kDot:
      case NodeType::kNil:
      case NodeType::kNumber:
      case NodeType::kString:
        Errorf("non executable command in pipeline stage " + std::to_string(i + 1));
      default:
        break;
    }
  }
}

NodePtr TreeParser::Command() {
  NodePtr cmd = MakeNode(NodeType::kCommand, PeekNonSpace().pos);
  for (;;) {
    PeekNonSpace();
    NodePtr operand = Operand();
    if (operand) cmd->children.push_back(std::move(operand));
    const Token& t = Next();
    if (t.typ == Item::kSpace) continue;
    if (t.typ == Item::kRightDelim || t.typ == Item::kRightParen) {
      Backup();
    } else if (t.typ != Item::kPipe) {
      Unexpected(t, "operand");
    }
    break;
  }
  if (cmd->children.empty()) Errorf("empty command");
  return cmd;
}

NodePtr TreeParser::Operand() {
  NodePtr node = Term();
  if (!node) return nullptr;
  if (Peek().typ == Item::kField) {
    NodePtr chain = MakeNode(NodeType::kChain, Peek().pos);
    while (Peek().typ == Item::kField) chain->idents.push_back(Next().val.substr(1));
    switch (node->type) {
      case NodeType::kField: {
        // .A.B: more fields on the original.
        NodePtr f = MakeNode(NodeType::kField, chain->pos);
        f->idents = node->idents;
        f->idents.insert(f->idents.end(), chain->idents.begin(), chain->idents.end());
        return f;
      }
      case NodeType::kVariable: {
        NodePtr v = MakeNode(NodeType::kVariable, chain->pos);
        v->idents = node->idents;
        v->idents.insert(v->idents.end(), chain->idents.begin(), chain->idents.end());
        return v;
      }
      case NodeType::kBool:
      case NodeType::kString:
      case NodeType::kNumber:
      case NodeType::kNil:
      case NodeType::kDot:
        Errorf("unexpected . after term " + GoQuote(node->String()));
      default:
        chain->pipe = std::move(node);
        return chain;
    }
  }
  return node;
}

NodePtr TreeParser::Term() {
  const Token& t = NextNonSpace();
  switch (t.typ) {
    case Item::kIdentifier: {
      if (!HasTemplateFunction(t.val)) Errorf("function " + GoQuote(t.val) + " not defined");
      NodePtr n = MakeNode(NodeType::kIdentifier, t.pos);
      n->text = t.val;
      return n;
    }
    case Item::kDot:
      return MakeNode(NodeType::kDot, t.pos);
    case Item::kNil:
      return MakeNode(NodeType::kNil, t.pos);
    case Item::kVariable:
      return UseVar(t.pos, t.val);
    case Item::kField: {
      NodePtr n = MakeNode(NodeType::kField, t.pos);
      std::string_view s = t.val;
      s.remove_prefix(1);
      while (!s.empty()) {
        size_t dot = s.find('.');
        n->idents.emplace_back(s.substr(0, dot));
        if (dot == std::string_view::npos) break;
        s.remove_prefix(dot + 1);
      }
      return n;
    }
    case Item::kBool: {
      NodePtr n = MakeNode(NodeType::kBool, t.pos);
      n->boolean = t.val == "true";
      return n;
    }
    case Item::kCharConstant:
    case Item::kComplex:
    case Item::kNumber:
      return NewNumber(t);
    case Item::kLeftParen: {
      DepthGuard guard(*this, "max expression depth exceeded");
      return Pipeline("parenthesized pipeline", Item::kRightParen);
    }
    case Item::kString:
    case Item::kRawString: {
      NodePtr n = MakeNode(NodeType::kString, t.pos);
      if (!Unquote(t.val, &n->str)) Errorf("invalid syntax");
      n->text = t.val;
      return n;
    }
    default:
      Backup();
      return nullptr;
  }
}

NodePtr TreeParser::UseVar(int pos, const std::string& name) {
  NodePtr v = MakeNode(NodeType::kVariable, pos);
  // "$x" as one identifier; fields come as separate items.
  v->idents.push_back(name);
  if (std::find(vars_.begin(), vars_.end(), name) == vars_.end()) {
    Errorf("undefined variable " + GoQuote(name));
  }
  return v;
}

NodePtr TreeParser::NewNumber(const Token& t) {
  NodePtr n = MakeNode(NodeType::kNumber, t.pos);
  n->text = t.val;
  const std::string& text = t.val;
  if (t.typ == Item::kCharConstant) {
    size_t i = 1;
    int32_t r = 0;
    bool is_byte = false;
    if (text.size() < 3 || !UnquoteChar(text, &i, '\'', &r, &is_byte)) Errorf("invalid syntax");
    if (text.substr(i) != "'") Errorf("malformed character constant: " + text);
    n->is_int = n->is_uint = n->is_float = n->is_rune = true;
    n->int_val = r;
    n->uint_val = static_cast<uint64_t>(r);
    n->float_val = r;
    return n;
  }
  if (t.typ == Item::kComplex || (!text.empty() && text.back() == 'i')) {
    // Complex constants parse in Go but print as complex128; not supported here.
    Errorf("complex constant " + text + " is not supported");
  }
  uint64_t u = 0;
  if (ParseUintBase0(text, &u)) {
    n->is_uint = true;
    n->uint_val = u;
  }
  int64_t i = 0;
  if (ParseIntBase0(text, &i)) {
    n->is_int = true;
    n->int_val = i;
    if (i == 0) {
      n->is_uint = true;
      n->uint_val = u;
    }
  }
  if (n->is_int) {
    n->is_float = true;
    n->float_val = static_cast<double>(n->int_val);
  } else if (n->is_uint) {
    n->is_float = true;
    n->float_val = static_cast<double>(n->uint_val);
  } else {
    double f = 0;
    std::string err;
    std::string clean;
    if (StripUnderscores(text, &clean) && GoParseFloat(clean, &f, &err)) {
      if (text.find_first_of(".eEpP") == std::string::npos) {
        Errorf("integer overflow: " + GoQuote(text));
      }
      n->is_float = true;
      n->float_val = f;
      if (f >= -9.2233720368547758e18 && f < 9.2233720368547758e18 &&
          static_cast<double>(static_cast<int64_t>(f)) == f) {
        n->is_int = true;
        n->int_val = static_cast<int64_t>(f);
      }
      if (f >= 0 && f < 1.8446744073709552e19 &&
          static_cast<double>(static_cast<uint64_t>(f)) == f) {
        n->is_uint = true;
        n->uint_val = static_cast<uint64_t>(f);
      }
    }
  }
  if (!n->is_int && !n->is_uint && !n->is_float) Errorf("illegal number syntax: " + GoQuote(text));
  n->is_hex_int = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X') &&
                  text.find_first_of("pP") == std::string::npos;
  return n;
}

void AppendString(const PNode& n, std::string& out);

void AppendPipe(const PNode& p, std::string& out) {
  if (!p.decl.empty()) {
    for (size_t i = 0; i < p.decl.size(); ++i) {
      if (i > 0) out += ", ";
      AppendString(*p.decl[i], out);
    }
    out += " := ";
  }
  for (size_t i = 0; i < p.children.size(); ++i) {
    if (i > 0) out += " | ";
    AppendString(*p.children[i], out);
  }
}

void AppendString(const PNode& n, std::string& out) {
  switch (n.type) {
    case NodeType::kText:
      out += n.text;
      break;
    case NodeType::kAction:
      out += "{{";
      AppendPipe(*n.pipe, out);
      out += "}}";
      break;
    case NodeType::kBreak:
      out += "{{break}}";
      break;
    case NodeType::kContinue:
      out += "{{continue}}";
      break;
    case NodeType::kIf:
    case NodeType::kRange:
    case NodeType::kWith:
      out += n.type == NodeType::kIf      ? "{{if "
             : n.type == NodeType::kRange ? "{{range "
                                          : "{{with ";
      AppendPipe(*n.pipe, out);
      out += "}}";
      AppendString(*n.list, out);
      if (n.else_list) {
        out += "{{else}}";
        AppendString(*n.else_list, out);
      }
      out += "{{end}}";
      break;
    case NodeType::kTemplate:
      out += "{{template " + GoQuote(n.text);
      if (n.pipe) {
        out += " ";
        AppendPipe(*n.pipe, out);
      }
      out += "}}";
      break;
    case NodeType::kList:
      for (const auto& c : n.children) AppendString(*c, out);
      break;
    case NodeType::kPipe:
      AppendPipe(n, out);
      break;
    case NodeType::kCommand:
      for (size_t i = 0; i < n.children.size(); ++i) {
        if (i > 0) out += ' ';
        if (n.children[i]->type == NodeType::kPipe) {
          out += '(';
          AppendPipe(*n.children[i], out);
          out += ')';
        } else {
          AppendString(*n.children[i], out);
        }
      }
      break;
    case NodeType::kIdentifier:
      out += n.text;
      break;
    case NodeType::kField:
      for (const auto& f : n.idents) out += "." + f;
      break;
    case NodeType::kVariable:
      for (size_t i = 0; i < n.idents.size(); ++i) {
        if (i > 0) out += '.';
        out += n.idents[i];
      }
      break;
    case NodeType::kChain:
      if (n.pipe->type == NodeType::kPipe) {
        out += '(';
        AppendPipe(*n.pipe, out);
        out += ')';
      } else {
        AppendString(*n.pipe, out);
      }
      for (const auto& f : n.idents) out += "." + f;
      break;
    case NodeType::kDot:
      out += ".";
      break;
    case NodeType::kNil:
      out += "nil";
      break;
    case NodeType::kBool:
      out += n.boolean ? "true" : "false";
      break;
    case NodeType::kNumber:
      out += n.text;
      break;
    case NodeType::kString:
      out += n.text;
      break;
    case NodeType::kElse:
      out += "{{else}}";
      break;
    case NodeType::kEnd:
      out += "{{end}}";
      break;
  }
}

}  // namespace

std::string PNode::String() const {
  std::string out;
  AppendString(*this, out);
  return out;
}

std::shared_ptr<const Template::Node> ParseSet(std::string_view name, std::string_view text) {
  Parser p(name, text);
  return p.Run();
}

}  // namespace perfwatch::alert::tmpl
