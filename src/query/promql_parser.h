#pragma once
// The PromQL parser: a hand-written precedence-climbing parser over promql_lexer.h's tokens
// that accepts Prometheus 2.42's grammar and type-checks the tree as Prometheus' checkAST
// does (see docs/promql.md, "Grammar and parser"). Errors are InvalidArgument with
// Prometheus' format, "L:C: parse error: <message>", 1-based line and byte column.
// Nesting is capped (kMaxNesting levels of recursion, kMaxTreeHeight levels of tree), so any
// input is parsed in bounded stack.
//
// Thread safety: pure function; safe from any thread.
#include <string_view>

#include "common/status.h"
#include "query/promql_ast.h"

namespace perfwatch::query::promql {

// Parentheses, function calls, aggregations and unary operators nested deeper than this
// are rejected ("expression nesting too deep").
inline constexpr int kMaxNesting = 256;
// The resulting tree may be at most this high (long chains of binary operators count).
inline constexpr int kMaxTreeHeight = 1024;

Result<ExprPtr> ParseExpr(std::string_view input);

}  // namespace perfwatch::query::promql
