#pragma once
// The PromQL abstract syntax tree, shared by the parser (promql_parser.h) and the
// evaluator (promql_engine.h). Node kinds and their meaning follow Prometheus'
// promql/parser/ast.go; the parser produces a tree that is already type-checked
// (argument types of functions and aggregations, operand types of binary operators), so
// the evaluator can trust `type()`.
//
// Ownership: an Expr owns its children (unique_ptr). Trees are immutable after parsing
// and may be evaluated from several threads at once.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tsdb/matcher.h"

namespace perfwatch::query::promql {

enum class ValueType : uint8_t { kNone, kScalar, kVector, kMatrix, kString };
std::string_view ValueTypeName(ValueType t);  // "scalar", "instant vector", "range vector", "string"

// Where a node starts in the query text: 0-based byte offset, 1-based line and column.
struct Position {
  uint32_t offset = 0;
  uint32_t line = 1;
  uint32_t column = 1;
};

enum class BinaryOp : uint8_t {
  kAdd, kSub, kMul, kDiv, kMod, kPow, kAtan2,  // arithmetic
  kEql, kNeq, kGtr, kLss, kGte, kLte,          // comparison
  kAnd, kOr, kUnless,                           // set (vector/vector only)
};
std::string_view BinaryOpName(BinaryOp op);  // "+", "==", "and", "atan2", ...
bool IsComparison(BinaryOp op);
bool IsSetOperator(BinaryOp op);

enum class AggregateOp : uint8_t {
  kSum, kAvg, kMin, kMax, kCount, kStddev, kStdvar, kGroup,
  kTopk, kBottomk, kQuantile, kCountValues,  // these four take a parameter
};
std::string_view AggregateOpName(AggregateOp op);  // "sum", "count_values", ...

// The `@` modifier of a selector or subquery.
enum class AtKind : uint8_t { kNone, kTimestamp, kStart, kEnd };  // @ <t>, @ start(), @ end()

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct NumberLiteral {
  double value = 0;  // hex, Inf, NaN and durations-as-numbers already converted
};

struct StringLiteral {
  std::string value;  // unescaped
};

// `name{l="v"} offset 5m @ 1700000000`. `matchers` holds every matcher, the metric name
// included as the first `__name__="name"` matcher when a name was written.
struct VectorSelector {
  std::string name;  // "" when the selector has no metric name outside the braces
  std::vector<tsdb::Matcher> matchers;
  int64_t offset_ms = 0;  // may be negative
  AtKind at = AtKind::kNone;
  int64_t at_ms = 0;  // for AtKind::kTimestamp
};

// `selector[5m]`.
struct MatrixSelector {
  VectorSelector selector;
  int64_t range_ms = 0;
};

// `expr[30m:1m] offset 5m @ t`. step_ms == 0 means the default (the global evaluation
// interval; the engine's default is 1 minute, as in Prometheus).
struct SubqueryExpr {
  ExprPtr expr;
  int64_t range_ms = 0;
  int64_t step_ms = 0;
  int64_t offset_ms = 0;
  AtKind at = AtKind::kNone;
  int64_t at_ms = 0;
};

// `-expr` / `+expr`.
struct UnaryExpr {
  bool negate = true;  // false for unary plus
  ExprPtr expr;
};

// `on(a,b) group_left(c)` and friends; only on vector/vector binary expressions.
struct VectorMatching {
  enum class Cardinality : uint8_t { kOneToOne, kManyToOne, kOneToMany, kManyToMany };
  Cardinality card = Cardinality::kOneToOne;  // set operators are kManyToMany
  bool on = false;                            // on(...) rather than ignoring(...)
  std::vector<std::string> labels;            // the on / ignoring list
  std::vector<std::string> include;           // group_left(...) / group_right(...) extra labels
};

struct BinaryExpr {
  BinaryOp op = BinaryOp::kAdd;
  ExprPtr lhs;
  ExprPtr rhs;
  bool return_bool = false;               // comparison with the `bool` modifier
  std::optional<VectorMatching> matching;  // set when both sides are instant vectors
};

struct AggregateExpr {
  AggregateOp op = AggregateOp::kSum;
  ExprPtr expr;
  ExprPtr param;  // topk/bottomk/quantile: a scalar expression; count_values: a string
  std::vector<std::string> grouping;
  bool without = false;
  bool has_grouping = false;  // a by(...)/without(...) clause was written (even empty)
};

// A function's signature. Variadic functions accept `min_args` up to
// arg_types.size() arguments (or any number >= min_args when `variadic_tail`: the last
// type repeats, as for label_join).
struct FunctionSignature {
  std::string_view name;
  std::vector<ValueType> arg_types;
  size_t min_args = 0;
  bool variadic_tail = false;
  ValueType return_type = ValueType::kVector;
};
// The signatures of every function perfwatch knows (Prometheus' names), or null.
const FunctionSignature* LookupFunction(std::string_view name);

struct Call {
  const FunctionSignature* func = nullptr;  // never null in a parsed tree
  std::vector<ExprPtr> args;
};

struct ParenExpr {
  ExprPtr expr;
};

struct Expr {
  std::variant<NumberLiteral, StringLiteral, VectorSelector, MatrixSelector, SubqueryExpr, UnaryExpr,
               BinaryExpr, AggregateExpr, Call, ParenExpr>
      node;
  Position pos;

  ValueType type() const;
  // Prometheus-style rendering (for errors, logs and tests), e.g. `sum by (job) (rate(x[5m]))`.
  std::string ToString() const;
};

}  // namespace perfwatch::query::promql
