// The lexer of Go's text/template (Go 1.19's text/template/parse/lex.go): text, actions,
// comments and trim markers, with Go's item positions, line numbers and error texts.
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alert/template_internal.h"
#include "alert/template_parse_internal.h"

namespace perfwatch::alert::tmpl {
namespace {

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

}  // namespace

std::vector<Token> Lex(std::string_view text) { return Lexer(text).Run(); }

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

}  // namespace perfwatch::alert::tmpl
