#pragma once
// Internal to the text/template parser (template_lex.cc, template_literals.cc,
// template_parse.cc): the lexer's items and tokens, and strconv's literal decoding.
// Thread safety: pure functions.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace perfwatch::alert::tmpl {

// Go's text/template/parse itemType, in Go's order (keywords after kKeyword).
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

// Go's lexer over the whole of `text` with the default delimiters: the items up to and
// including the first kEOF or kError (whose val is the error message).
std::vector<Token> Lex(std::string_view text);

// Go's item.String() as used in "unexpected X in Y".
std::string TokenString(const Token& t);

// strconv.Unquote of a Go string literal ("..." or `...`); false on invalid syntax.
bool Unquote(std::string_view q, std::string* out);
// strconv.UnquoteChar: one (possibly escaped) character of a literal quoted by `quote`
// at s[*i], advancing *i; *is_byte for \x and octal escapes.
bool UnquoteChar(std::string_view s, size_t* i, char quote, int32_t* rune, bool* is_byte);
// Removes '_' digit separators where Go allows them; false where it does not.
bool StripUnderscores(std::string_view s, std::string* out);
// strconv.ParseUint / ParseInt with base 0 (0x, 0o, 0b, leading 0, underscores).
bool ParseUintBase0(std::string_view text, uint64_t* out);
bool ParseIntBase0(std::string_view text, int64_t* out);

}  // namespace perfwatch::alert::tmpl
