#include "query/promql_ast.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "query/promql_lexer.h"
#include "tsdb/labels.h"

namespace perfwatch::query::promql {

std::string_view ValueTypeName(ValueType t) {
  switch (t) {
    case ValueType::kNone: return "none";
    case ValueType::kScalar: return "scalar";
    case ValueType::kVector: return "instant vector";
    case ValueType::kMatrix: return "range vector";
    case ValueType::kString: return "string";
  }
  return "none";
}

std::string_view BinaryOpName(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd: return "+";
    case BinaryOp::kSub: return "-";
    case BinaryOp::kMul: return "*";
    case BinaryOp::kDiv: return "/";
    case BinaryOp::kMod: return "%";
    case BinaryOp::kPow: return "^";
    case BinaryOp::kAtan2: return "atan2";
    case BinaryOp::kEql: return "==";
    case BinaryOp::kNeq: return "!=";
    case BinaryOp::kGtr: return ">";
    case BinaryOp::kLss: return "<";
    case BinaryOp::kGte: return ">=";
    case BinaryOp::kLte: return "<=";
    case BinaryOp::kAnd: return "and";
    case BinaryOp::kOr: return "or";
    case BinaryOp::kUnless: return "unless";
  }
  return "?";
}

bool IsComparison(BinaryOp op) { return op >= BinaryOp::kEql && op <= BinaryOp::kLte; }

bool IsSetOperator(BinaryOp op) {
  return op == BinaryOp::kAnd || op == BinaryOp::kOr || op == BinaryOp::kUnless;
}

std::string_view AggregateOpName(AggregateOp op) {
  switch (op) {
    case AggregateOp::kSum: return "sum";
    case AggregateOp::kAvg: return "avg";
    case AggregateOp::kMin: return "min";
    case AggregateOp::kMax: return "max";
    case AggregateOp::kCount: return "count";
    case AggregateOp::kStddev: return "stddev";
    case AggregateOp::kStdvar: return "stdvar";
    case AggregateOp::kGroup: return "group";
    case AggregateOp::kTopk: return "topk";
    case AggregateOp::kBottomk: return "bottomk";
    case AggregateOp::kQuantile: return "quantile";
    case AggregateOp::kCountValues: return "count_values";
  }
  return "?";
}

namespace {

constexpr ValueType S = ValueType::kScalar;
constexpr ValueType V = ValueType::kVector;
constexpr ValueType M = ValueType::kMatrix;
constexpr ValueType Str = ValueType::kString;

// Prometheus 2.42 promql/parser/functions.go. Prometheus' `Variadic: n > 0` means up to n
// trailing arguments are optional; `Variadic: -1` means the last one repeats. Either way at
// least len(ArgTypes)-1 arguments are required.
const std::vector<FunctionSignature>& Functions() {
  static const std::vector<FunctionSignature> kFunctions = [] {
    std::vector<FunctionSignature> f;
    auto fixed = [&](std::string_view name, std::vector<ValueType> args, ValueType ret = V) {
      size_t n = args.size();
      f.push_back({name, std::move(args), n, false, ret});
    };
    auto optional = [&](std::string_view name, std::vector<ValueType> args) {
      size_t n = args.size();
      f.push_back({name, std::move(args), n - 1, false, V});
    };
    for (std::string_view name :
         {"abs", "absent", "acos", "acosh", "asin", "asinh", "atan", "atanh", "ceil", "cos",
          "cosh", "deg", "exp", "floor", "ln", "log10", "log2", "rad", "sgn", "sin", "sinh",
          "sort", "sort_desc", "sqrt", "tan", "tanh", "timestamp"}) {
      fixed(name, {V});
    }
    for (std::string_view name :
         {"absent_over_time", "avg_over_time", "changes", "count_over_time", "delta", "deriv",
          "idelta", "increase", "irate", "last_over_time", "max_over_time", "min_over_time",
          "present_over_time", "rate", "resets", "stddev_over_time", "stdvar_over_time",
          "sum_over_time"}) {
      fixed(name, {M});
    }
    for (std::string_view name : {"days_in_month", "day_of_month", "day_of_week", "day_of_year",
                                  "hour", "minute", "month", "year"}) {
      optional(name, {V});
    }
    fixed("clamp", {V, S, S});
    fixed("clamp_max", {V, S});
    fixed("clamp_min", {V, S});
    fixed("histogram_quantile", {S, V});
    fixed("holt_winters", {M, S, S});
    fixed("label_replace", {V, Str, Str, Str, Str});
    f.push_back({"label_join", {V, Str, Str, Str}, 3, true, V});
    fixed("pi", {}, S);
    fixed("predict_linear", {M, S});
    fixed("quantile_over_time", {S, M});
    optional("round", {V, S});
    fixed("scalar", {V}, S);
    fixed("time", {}, S);
    fixed("vector", {S});
    std::sort(f.begin(), f.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return f;
  }();
  return kFunctions;
}

}  // namespace

const FunctionSignature* LookupFunction(std::string_view name) {
  const auto& f = Functions();
  auto it = std::lower_bound(f.begin(), f.end(), name,
                             [](const FunctionSignature& s, std::string_view n) { return s.name < n; });
  if (it == f.end() || it->name != name) return nullptr;
  return &*it;
}

ValueType Expr::type() const {
  struct Visitor {
    ValueType operator()(const NumberLiteral&) const { return ValueType::kScalar; }
    ValueType operator()(const StringLiteral&) const { return ValueType::kString; }
    ValueType operator()(const VectorSelector&) const { return ValueType::kVector; }
    ValueType operator()(const MatrixSelector&) const { return ValueType::kMatrix; }
    ValueType operator()(const SubqueryExpr&) const { return ValueType::kMatrix; }
    ValueType operator()(const UnaryExpr& u) const { return u.expr->type(); }
    ValueType operator()(const BinaryExpr& b) const {
      return b.lhs->type() == ValueType::kScalar && b.rhs->type() == ValueType::kScalar
                 ? ValueType::kScalar
                 : ValueType::kVector;
    }
    ValueType operator()(const AggregateExpr&) const { return ValueType::kVector; }
    ValueType operator()(const Call& c) const { return c.func->return_type; }
    ValueType operator()(const ParenExpr& p) const { return p.expr->type(); }
  };
  return std::visit(Visitor{}, node);
}

namespace {

// strconv.FormatFloat(v, 'f', -1, 64): shortest round-trip digits, never an exponent.
// Unlike Prometheus, +Inf prints as "Inf": a leading '+' would parse back as a unary plus
// that captures a following ^ ("Inf ^ 2" must not become "+Inf ^ 2").
std::string FormatNumber(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Inf" : "-Inf";
  char buf[400];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  return std::string(buf, r.ptr);
}

void AppendJoined(std::string& out, const std::vector<std::string>& labels) {
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ", ";
    out += labels[i];
  }
}

// " @ 1700000000.000" / " @ start()" followed by " offset 5m".
void AppendModifiers(std::string& out, AtKind at, int64_t at_ms, int64_t offset_ms) {
  switch (at) {
    case AtKind::kNone: break;
    case AtKind::kStart: out += " @ start()"; break;
    case AtKind::kEnd: out += " @ end()"; break;
    case AtKind::kTimestamp: {
      uint64_t abs = at_ms < 0 ? 0 - static_cast<uint64_t>(at_ms) : static_cast<uint64_t>(at_ms);
      char buf[48];
      std::snprintf(buf, sizeof buf, " @ %s%llu.%03llu", at_ms < 0 ? "-" : "",
                    static_cast<unsigned long long>(abs / 1000),
                    static_cast<unsigned long long>(abs % 1000));
      out += buf;
      break;
    }
  }
  if (offset_ms != 0) out += " offset " + FormatDuration(offset_ms);
}

std::string SelectorString(const VectorSelector& vs) {
  std::vector<std::string> parts;
  for (const tsdb::Matcher& m : vs.matchers) {
    if (!vs.name.empty() && m.name() == tsdb::kMetricNameLabel &&
        m.type() == tsdb::MatchType::kEqual && m.value() == vs.name) {
      continue;
    }
    static constexpr std::string_view kOps[] = {"=", "!=", "=~", "!~"};
    parts.push_back(m.name() + std::string(kOps[static_cast<int>(m.type())]) + QuoteString(m.value()));
  }
  std::string out = vs.name;
  if (!parts.empty()) {
    std::sort(parts.begin(), parts.end());
    out += '{';
    for (size_t i = 0; i < parts.size(); ++i) {
      if (i > 0) out += ',';
      out += parts[i];
    }
    out += '}';
  }
  return out;
}

std::string MatchingString(const VectorMatching& vm) {
  using Card = VectorMatching::Cardinality;
  bool grouped = vm.card == Card::kManyToOne || vm.card == Card::kOneToMany;
  if (vm.labels.empty() && !vm.on && !grouped) return "";
  std::string out = vm.on ? " on (" : " ignoring (";
  AppendJoined(out, vm.labels);
  out += ')';
  if (grouped) {
    out += vm.card == Card::kManyToOne ? " group_left (" : " group_right (";
    AppendJoined(out, vm.include);
    out += ')';
  }
  return out;
}

struct Printer {
  std::string operator()(const NumberLiteral& n) const { return FormatNumber(n.value); }
  std::string operator()(const StringLiteral& s) const { return QuoteString(s.value); }
  std::string operator()(const VectorSelector& vs) const {
    std::string out = SelectorString(vs);
    AppendModifiers(out, vs.at, vs.at_ms, vs.offset_ms);
    return out;
  }
  std::string operator()(const MatrixSelector& ms) const {
    std::string out = SelectorString(ms.selector);
    out += '[' + FormatDuration(ms.range_ms) + ']';
    AppendModifiers(out, ms.selector.at, ms.selector.at_ms, ms.selector.offset_ms);
    return out;
  }
  std::string operator()(const SubqueryExpr& sq) const {
    std::string out = sq.expr->ToString();
    out += '[' + FormatDuration(sq.range_ms) + ':';
    if (sq.step_ms != 0) out += FormatDuration(sq.step_ms);
    out += ']';
    AppendModifiers(out, sq.at, sq.at_ms, sq.offset_ms);
    return out;
  }
  std::string operator()(const UnaryExpr& u) const {
    return (u.negate ? "-" : "+") + u.expr->ToString();
  }
  std::string operator()(const BinaryExpr& b) const {
    std::string out = b.lhs->ToString();
    out += ' ';
    out += BinaryOpName(b.op);
    if (b.return_bool) out += " bool";
    if (b.matching) out += MatchingString(*b.matching);
    out += ' ';
    out += b.rhs->ToString();
    return out;
  }
  std::string operator()(const AggregateExpr& a) const {
    std::string out(AggregateOpName(a.op));
    if (a.without) {
      out += " without (";
      AppendJoined(out, a.grouping);
      out += ") ";
    } else if (!a.grouping.empty()) {
      out += " by (";
      AppendJoined(out, a.grouping);
      out += ") ";
    }
    out += '(';
    if (a.param) out += a.param->ToString() + ", ";
    out += a.expr->ToString();
    out += ')';
    return out;
  }
  std::string operator()(const Call& c) const {
    std::string out(c.func->name);
    out += '(';
    for (size_t i = 0; i < c.args.size(); ++i) {
      if (i > 0) out += ", ";
      out += c.args[i]->ToString();
    }
    out += ')';
    return out;
  }
  std::string operator()(const ParenExpr& p) const { return "(" + p.expr->ToString() + ")"; }
};

}  // namespace

std::string Expr::ToString() const { return std::visit(Printer{}, node); }

}  // namespace perfwatch::query::promql
