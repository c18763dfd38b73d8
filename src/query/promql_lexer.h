#pragma once
// The PromQL lexer: turns a query into tokens with byte offsets, following Prometheus 2.42's
// promql/parser/lex.go. Inside `{...}` every word is a label name; inside `[...]` a `:` is
// the subquery colon. Keywords (and, by, offset, sum, ...) are case-insensitive; `inf` and
// `nan` are numbers. A lexical error does not stop the lexer early in a way the parser can
// miss: the token list always ends with kEof or with one kError token whose `value` is the
// message, so the parser reports it when (and only if) it gets that far, as Prometheus does.
//
// Thread safety: pure functions; safe from any thread.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "query/promql_ast.h"

namespace perfwatch::query::promql {

enum class TokenKind : uint8_t {
  kEof,
  kError,  // `value` holds the message
  kIdentifier,
  kMetricIdentifier,  // an identifier containing ':'
  kNumber,
  kString,
  kDuration,
  // Punctuation.
  kLeftParen, kRightParen, kLeftBrace, kRightBrace, kLeftBracket, kRightBracket,
  kComma, kColon, kAt,
  // Matching operators inside braces (`!=` is kNeq, shared with the comparison).
  kAssign, kEqlRegex, kNeqRegex,
  // Binary operators.
  kAdd, kSub, kMul, kDiv, kMod, kPow, kEqlc, kNeq, kGtr, kLss, kGte, kLte,
  kAnd, kOr, kUnless, kAtan2,
  // Aggregation operators (`agg` says which).
  kAggregator,
  // Other keywords.
  kOffset, kBy, kWithout, kOn, kIgnoring, kGroupLeft, kGroupRight, kBool, kStart, kEnd,
};

struct Token {
  TokenKind kind = TokenKind::kEof;
  uint32_t offset = 0;    // byte offset of the first character
  std::string_view text;  // the raw text (quotes included for strings)
  double number = 0;      // kNumber
  std::string value;      // kString: unescaped contents; kError: the message
  AggregateOp agg = AggregateOp::kSum;  // kAggregator
};

// Splits `input` into tokens (comments and white space dropped). Never fails: see above.
std::vector<Token> Lex(std::string_view input);

// Prometheus' description of a token for "unexpected ..." messages: `end of input`,
// `identifier "foo"`, `<op:+>`, `<aggr:sum>`, `<by>`, `"("`, `number "1"`.
std::string DescribeToken(const Token& t);

// True for tokens whose text can serve as a label name in by/without/on/ignoring lists
// (identifiers and keywords, as Prometheus' `maybe_label`).
bool IsLabelToken(const Token& t);

// Parses a Prometheus duration ("1h30m", "250ms", "2w", "1y"; units in the order
// y w d h m s ms, each at most once). Errors: "not a valid duration string: \"...\"".
// Zero is accepted here; the parser rejects it where Prometheus does.
Result<int64_t> ParseDurationLiteral(std::string_view text);

// Formats milliseconds as Prometheus does ("1h30m", "5m", "250ms", "0s"; y and w only when
// they divide evenly). Negative values get a leading '-'.
std::string FormatDuration(int64_t ms);

// Go-style double-quoted rendering of a string (%q), re-lexable by Lex().
std::string QuoteString(std::string_view s);

}  // namespace perfwatch::query::promql
