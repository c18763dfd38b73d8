#include "query/promql_parser.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <optional>

#include "query/promql_lexer.h"
#include "tsdb/labels.h"

namespace perfwatch::query::promql {

namespace {

// A parsed subtree and its height, so deep trees are refused before they are built.
struct Parsed {
  ExprPtr expr;
  int height = 1;
};

// Binding power of binary operators (0: not a binary operator).
int Precedence(TokenKind k) {
  switch (k) {
    case TokenKind::kOr: return 1;
    case TokenKind::kAnd:
    case TokenKind::kUnless: return 2;
    case TokenKind::kEqlc:
    case TokenKind::kNeq:
    case TokenKind::kGtr:
    case TokenKind::kLss:
    case TokenKind::kGte:
    case TokenKind::kLte: return 3;
    case TokenKind::kAdd:
    case TokenKind::kSub: return 4;
    case TokenKind::kMul:
    case TokenKind::kDiv:
    case TokenKind::kMod:
    case TokenKind::kAtan2: return 5;
    case TokenKind::kPow: return 6;
    default: return 0;
  }
}
constexpr int kPowPrecedence = 6;

BinaryOp ToBinaryOp(TokenKind k) {
  switch (k) {
    case TokenKind::kOr: return BinaryOp::kOr;
    case TokenKind::kAnd: return BinaryOp::kAnd;
    case TokenKind::kUnless: return BinaryOp::kUnless;
    case TokenKind::kEqlc: return BinaryOp::kEql;
    case TokenKind::kNeq: return BinaryOp::kNeq;
    case TokenKind::kGtr: return BinaryOp::kGtr;
    case TokenKind::kLss: return BinaryOp::kLss;
    case TokenKind::kGte: return BinaryOp::kGte;
    case TokenKind::kLte: return BinaryOp::kLte;
    case TokenKind::kAdd: return BinaryOp::kAdd;
    case TokenKind::kSub: return BinaryOp::kSub;
    case TokenKind::kMul: return BinaryOp::kMul;
    case TokenKind::kDiv: return BinaryOp::kDiv;
    case TokenKind::kMod: return BinaryOp::kMod;
    case TokenKind::kAtan2: return BinaryOp::kAtan2;
    default: return BinaryOp::kPow;
  }
}

std::string Quoted(std::string_view s) { return QuoteString(s); }

std::string TypeName(ValueType t) { return std::string(ValueTypeName(t)); }

class Parser {
 public:
  explicit Parser(std::string_view input) : tokens_(Lex(input)) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < input.size(); ++i) {
      if (input[i] == '\n') line_starts_.push_back(static_cast<uint32_t>(i + 1));
    }
  }

  Result<ExprPtr> Parse() {
    if (Peek().kind == TokenKind::kEof) return ErrorAt(Peek().offset, "no expression found in input");
    PW_ASSIGN_OR_RETURN(Parsed root, ParseBinary(0));
    if (Peek().kind != TokenKind::kEof) return Unexpected(Peek(), "", "binary operator or end of input");
    if (deferred_) return *deferred_;
    return std::move(root.expr);
  }

 private:
  // ---- tokens and errors ----

  const Token& Peek(size_t ahead = 0) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  const Token& Advance() {
    const Token& t = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return t;
  }
  bool Accept(TokenKind k) {
    if (Peek().kind != k) return false;
    Advance();
    return true;
  }

  Position PosOf(uint32_t offset) const {
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
    size_t line = static_cast<size_t>(it - line_starts_.begin());
    Position p;
    p.offset = offset;
    p.line = static_cast<uint32_t>(line);
    p.column = offset - line_starts_[line - 1] + 1;
    return p;
  }

  Status ErrorAt(uint32_t offset, const std::string& msg) const {
    Position p = PosOf(offset);
    return InvalidArgument(std::to_string(p.line) + ":" + std::to_string(p.column) +
                           ": parse error: " + msg);
  }
  Status ErrorAt(const Position& p, const std::string& msg) const { return ErrorAt(p.offset, msg); }

  // "unexpected <what> in <context>, expected <expected>"; lexer errors are passed through.
  Status Unexpected(const Token& t, std::string_view context, std::string_view expected) const {
    if (t.kind == TokenKind::kError) return ErrorAt(t.offset, t.value);
    std::string msg = "unexpected " + DescribeToken(t);
    if (!context.empty()) msg += " in " + std::string(context);
    if (!expected.empty()) msg += ", expected " + std::string(expected);
    return ErrorAt(t.offset, msg);
  }

  Status Expect(TokenKind k, std::string_view context, std::string_view expected) {
    if (Accept(k)) return Status::Ok();
    return Unexpected(Peek(), context, expected);
  }

  // Type errors are reported only when the whole query is syntactically valid, as
  // Prometheus runs checkAST after parsing.
  void TypeError(const Position& p, const std::string& msg) {
    if (!deferred_) deferred_ = ErrorAt(p, msg);
  }
  void ExpectType(const Expr& e, ValueType want, std::string_view context) {
    ValueType got = e.type();
    if (got != want) {
      TypeError(e.pos, "expected type " + TypeName(want) + " in " + std::string(context) + ", got " +
                           TypeName(got));
    }
  }

  template <typename Node>
  Result<Parsed> Make(Node node, Position pos, int height) {
    if (height > kMaxTreeHeight) {
      return ErrorAt(pos, "expression too deep: more than " + std::to_string(kMaxTreeHeight) +
                              " levels of operators");
    }
    auto e = std::make_unique<Expr>();
    e->node = std::move(node);
    e->pos = pos;
    return Parsed{std::move(e), height};
  }

  // ---- expressions ----

  // Every recursion (parentheses, arguments, unary operands, right operands of ^) passes
  // through here, so this is where nesting is counted.
  Result<Parsed> ParseBinary(int min_prec) {
    if (++nesting_ > kMaxNesting) {
      return ErrorAt(Peek().offset, "expression nesting too deep: more than " +
                                        std::to_string(kMaxNesting) + " levels");
    }
    Result<Parsed> r = ParseBinaryInner(min_prec);
    --nesting_;
    return r;
  }

  Result<Parsed> ParseBinaryInner(int min_prec) {
    PW_ASSIGN_OR_RETURN(Parsed lhs, ParseUnary());
    for (;;) {
      const Token& op_tok = Peek();
      int prec = Precedence(op_tok.kind);
      if (prec == 0 || prec < min_prec) break;
      Advance();
      BinaryExpr b;
      b.op = ToBinaryOp(op_tok.kind);
      Position op_pos = PosOf(op_tok.offset);
      if (Accept(TokenKind::kBool)) b.return_bool = true;
      VectorMatching vm;
      if (Peek().kind == TokenKind::kOn || Peek().kind == TokenKind::kIgnoring) {
        vm.on = Advance().kind == TokenKind::kOn;
        PW_ASSIGN_OR_RETURN(vm.labels, ParseGroupingLabels());
        if (Peek().kind == TokenKind::kGroupLeft || Peek().kind == TokenKind::kGroupRight) {
          vm.card = Advance().kind == TokenKind::kGroupLeft ? VectorMatching::Cardinality::kManyToOne
                                                             : VectorMatching::Cardinality::kOneToMany;
          if (Peek().kind == TokenKind::kLeftParen) {
            PW_ASSIGN_OR_RETURN(vm.include, ParseGroupingLabels());
          }
        }
      }
      int next_min = b.op == BinaryOp::kPow ? prec : prec + 1;  // ^ is right-associative
      PW_ASSIGN_OR_RETURN(Parsed rhs, ParseBinary(next_min));
      CheckBinary(b, vm, *lhs.expr, *rhs.expr, op_pos);
      int height = std::max(lhs.height, rhs.height) + 1;
      Position pos = lhs.expr->pos;
      b.lhs = std::move(lhs.expr);
      b.rhs = std::move(rhs.expr);
      PW_ASSIGN_OR_RETURN(lhs, Make(std::move(b), pos, height));
    }
    return lhs;
  }

  // Prometheus' checkAST for a binary expression; fills b.matching.
  void CheckBinary(BinaryExpr& b, VectorMatching& vm, const Expr& lhs, const Expr& rhs,
                   const Position& op_pos) {
    ValueType lt = lhs.type(), rt = rhs.type();
    std::string op(BinaryOpName(b.op));
    if (b.return_bool && !IsComparison(b.op)) {
      TypeError(op_pos, "bool modifier can only be used on comparison operators");
    }
    if (IsComparison(b.op) && !b.return_bool && lt == ValueType::kScalar && rt == ValueType::kScalar) {
      TypeError(op_pos, "comparisons between scalars must use BOOL modifier");
    }
    if (vm.on) {
      for (const std::string& l : vm.labels) {
        if (std::find(vm.include.begin(), vm.include.end(), l) != vm.include.end()) {
          TypeError(op_pos, "label " + Quoted(l) + " must not occur in ON and GROUP clause at once");
        }
      }
    }
    if (lt != ValueType::kScalar && lt != ValueType::kVector) {
      TypeError(lhs.pos, "binary expression must contain only scalar and instant vector types");
    }
    if (rt != ValueType::kScalar && rt != ValueType::kVector) {
      TypeError(rhs.pos, "binary expression must contain only scalar and instant vector types");
    }
    if (lt != ValueType::kVector || rt != ValueType::kVector) {
      if (!vm.labels.empty()) TypeError(lhs.pos, "vector matching only allowed between instant vectors");
    } else {
      if (IsSetOperator(b.op)) {
        if (vm.card == VectorMatching::Cardinality::kManyToOne ||
            vm.card == VectorMatching::Cardinality::kOneToMany) {
          TypeError(op_pos, "no grouping allowed for " + Quoted(op) + " operation");
        }
        vm.card = VectorMatching::Cardinality::kManyToMany;
      }
      b.matching = std::move(vm);
    }
    if ((lt == ValueType::kScalar || rt == ValueType::kScalar) && IsSetOperator(b.op)) {
      TypeError(op_pos, "set operator " + Quoted(op) + " not allowed in binary scalar expression");
    }
  }

  Result<Parsed> ParseUnary() {
    if (Peek().kind != TokenKind::kAdd && Peek().kind != TokenKind::kSub) {
      PW_ASSIGN_OR_RETURN(Parsed primary, ParsePrimary());
      return ParsePostfix(std::move(primary));
    }
    const Token& op = Advance();
    bool negate = op.kind == TokenKind::kSub;
    Position pos = PosOf(op.offset);
    // Unary operators bind looser than ^ and tighter than everything else: -2^2 == -4.
    PW_ASSIGN_OR_RETURN(Parsed operand, ParseBinary(kPowPrecedence));
    if (auto* num = std::get_if<NumberLiteral>(&operand.expr->node)) {
      if (negate) num->value = -num->value;  // Prometheus folds signs into literals
      operand.expr->pos = pos;
      return operand;
    }
    ValueType t = operand.expr->type();
    if (t != ValueType::kScalar && t != ValueType::kVector) {
      TypeError(pos, "unary expression only allowed on expressions of type scalar or instant vector, got " +
                         Quoted(TypeName(t)));
    }
    UnaryExpr u;
    u.negate = negate;
    int height = operand.height + 1;
    u.expr = std::move(operand.expr);
    return Make(std::move(u), pos, height);
  }

  Result<Parsed> ParsePrimary() {
    const Token& t = Peek();
    Position pos = PosOf(t.offset);
    switch (t.kind) {
      case TokenKind::kNumber:
        Advance();
        return Make(NumberLiteral{t.number}, pos, 1);
      case TokenKind::kString:
        Advance();
        return Make(StringLiteral{t.value}, pos, 1);
      case TokenKind::kLeftParen: {
        Advance();
        PW_ASSIGN_OR_RETURN(Parsed inner, ParseBinary(0));
        PW_RETURN_IF_ERROR(Expect(TokenKind::kRightParen, "paren expression", "\")\""));
        int height = inner.height + 1;
        return Make(ParenExpr{std::move(inner.expr)}, pos, height);
      }
      case TokenKind::kLeftBrace: return ParseSelector("", pos);
      case TokenKind::kIdentifier:
        if (Peek(1).kind == TokenKind::kLeftParen) return ParseCall();
        Advance();
        return ParseSelector(std::string(t.text), pos);
      case TokenKind::kAggregator:
        if (Peek(1).kind == TokenKind::kLeftParen || Peek(1).kind == TokenKind::kBy ||
            Peek(1).kind == TokenKind::kWithout) {
          return ParseAggregate();
        }
        [[fallthrough]];
      // Keywords Prometheus accepts as metric names (its `metric_identifier`).
      case TokenKind::kMetricIdentifier:
      case TokenKind::kBy:
      case TokenKind::kWithout:
      case TokenKind::kOffset:
      case TokenKind::kStart:
      case TokenKind::kEnd:
      case TokenKind::kAnd:
      case TokenKind::kOr:
      case TokenKind::kUnless:
        Advance();
        return ParseSelector(std::string(t.text), pos);
      default: return Unexpected(t, "", "expression");
    }
  }

  // Selector after an optional metric name; the current token may be '{'.
  Result<Parsed> ParseSelector(std::string name, Position pos) {
    VectorSelector vs;
    vs.name = name;
    if (!name.empty()) {
      PW_ASSIGN_OR_RETURN(tsdb::Matcher m, tsdb::Matcher::Make(tsdb::MatchType::kEqual,
                                                               std::string(tsdb::kMetricNameLabel), name));
      vs.matchers.push_back(std::move(m));
    }
    if (Accept(TokenKind::kLeftBrace)) {
      while (!Accept(TokenKind::kRightBrace)) {
        const Token& label = Peek();
        if (label.kind != TokenKind::kIdentifier) {
          return Unexpected(label, "label matching", "identifier or \"}\"");
        }
        Advance();
        tsdb::MatchType type;
        switch (Peek().kind) {
          case TokenKind::kAssign: type = tsdb::MatchType::kEqual; break;
          case TokenKind::kNeq: type = tsdb::MatchType::kNotEqual; break;
          case TokenKind::kEqlRegex: type = tsdb::MatchType::kRegexMatch; break;
          case TokenKind::kNeqRegex: type = tsdb::MatchType::kRegexNoMatch; break;
          default: return Unexpected(Peek(), "label matching", "label matching operator");
        }
        Advance();
        const Token& value = Peek();
        if (value.kind != TokenKind::kString) return Unexpected(value, "label matching", "string");
        Advance();
        Result<tsdb::Matcher> m = tsdb::Matcher::Make(type, std::string(label.text), value.value);
        if (!m.ok()) return ErrorAt(label.offset, m.status().message());
        if (!name.empty() && label.text == tsdb::kMetricNameLabel) {
          TypeError(pos, "metric name must not be set twice: " + Quoted(name) + " or " +
                             Quoted(value.value));
        }
        vs.matchers.push_back(std::move(m).value());
        if (Accept(TokenKind::kComma)) continue;
        if (Peek().kind != TokenKind::kRightBrace) {
          return Unexpected(Peek(), "label matching", "\",\" or \"}\"");
        }
      }
    }
    if (name.empty()) {
      bool non_empty = std::any_of(vs.matchers.begin(), vs.matchers.end(),
                                   [](const tsdb::Matcher& m) { return !m.MatchesEmpty(); });
      if (!non_empty) TypeError(pos, "vector selector must contain at least one non-empty matcher");
    }
    return Make(std::move(vs), pos, 1);
  }

  // `(a, b, ...)` for calls and aggregations; the current token is '('.
  Result<std::vector<Parsed>> ParseArgs(std::string_view context) {
    PW_RETURN_IF_ERROR(Expect(TokenKind::kLeftParen, context, "\"(\""));
    std::vector<Parsed> args;
    if (Accept(TokenKind::kRightParen)) return args;
    for (;;) {
      PW_ASSIGN_OR_RETURN(Parsed arg, ParseBinary(0));
      args.push_back(std::move(arg));
      const Token& t = Peek();
      if (t.kind == TokenKind::kComma) {
        Advance();
        if (Peek().kind == TokenKind::kRightParen) {
          return ErrorAt(t.offset, "trailing commas not allowed in function call args");
        }
        continue;
      }
      if (t.kind == TokenKind::kRightParen) {
        Advance();
        return args;
      }
      return Unexpected(t, context, "\",\" or \")\"");
    }
  }

  Result<Parsed> ParseCall() {
    const Token& name = Advance();
    Position pos = PosOf(name.offset);
    const FunctionSignature* f = LookupFunction(name.text);
    if (f == nullptr) return ErrorAt(pos, "unknown function with name " + Quoted(name.text));
    PW_ASSIGN_OR_RETURN(std::vector<Parsed> args, ParseArgs("function call"));
    size_t n = args.size();
    size_t max = f->arg_types.size();
    std::string fname = Quoted(f->name);
    if (f->min_args == max && !f->variadic_tail) {
      if (n != max) {
        TypeError(pos, "expected " + std::to_string(max) + " argument(s) in call to " + fname +
                           ", got " + std::to_string(n));
      }
    } else if (n < f->min_args) {
      TypeError(pos, "expected at least " + std::to_string(f->min_args) + " argument(s) in call to " +
                         fname + ", got " + std::to_string(n));
    } else if (!f->variadic_tail && n > max) {
      TypeError(pos, "expected at most " + std::to_string(max) + " argument(s) in call to " + fname +
                         ", got " + std::to_string(n));
    }
    Call call;
    call.func = f;
    int height = 0;
    for (size_t i = 0; i < n; ++i) {
      size_t t = i;
      if (t >= max) {
        if (!f->variadic_tail) break;
        t = max - 1;
      }
      ExpectType(*args[i].expr, f->arg_types[t], "call to function " + fname);
    }
    for (Parsed& a : args) {
      height = std::max(height, a.height);
      call.args.push_back(std::move(a.expr));
    }
    return Make(std::move(call), pos, height + 1);
  }

  Status ParseAggregateModifier(AggregateExpr& agg) {
    agg.without = Advance().kind == TokenKind::kWithout;
    agg.has_grouping = true;
    PW_ASSIGN_OR_RETURN(agg.grouping, ParseGroupingLabels());
    return Status::Ok();
  }

  Result<Parsed> ParseAggregate() {
    const Token& op = Advance();
    Position pos = PosOf(op.offset);
    AggregateExpr agg;
    agg.op = op.agg;
    if (Peek().kind == TokenKind::kBy || Peek().kind == TokenKind::kWithout) {
      PW_RETURN_IF_ERROR(ParseAggregateModifier(agg));
    }
    PW_ASSIGN_OR_RETURN(std::vector<Parsed> args, ParseArgs("aggregation"));
    if (!agg.has_grouping && (Peek().kind == TokenKind::kBy || Peek().kind == TokenKind::kWithout)) {
      PW_RETURN_IF_ERROR(ParseAggregateModifier(agg));
    }
    bool with_param = agg.op == AggregateOp::kTopk || agg.op == AggregateOp::kBottomk ||
                      agg.op == AggregateOp::kQuantile || agg.op == AggregateOp::kCountValues;
    size_t want = with_param ? 2 : 1;
    if (args.empty()) return ErrorAt(pos, "no arguments for aggregate expression provided");
    if (args.size() != want) {
      return ErrorAt(pos, "wrong number of arguments for aggregate expression provided, expected " +
                              std::to_string(want) + ", got " + std::to_string(args.size()));
    }
    ExpectType(*args.back().expr, ValueType::kVector, "aggregation expression");
    if (with_param) {
      ExpectType(*args[0].expr,
                 agg.op == AggregateOp::kCountValues ? ValueType::kString : ValueType::kScalar,
                 "aggregation parameter");
    }
    int height = 0;
    for (const Parsed& a : args) height = std::max(height, a.height);
    if (with_param) agg.param = std::move(args[0].expr);
    agg.expr = std::move(args.back().expr);
    return Make(std::move(agg), pos, height + 1);
  }

  // `(label, ...)` after by/without/on/ignoring/group_x; the current token should be '('.
  Result<std::vector<std::string>> ParseGroupingLabels() {
    PW_RETURN_IF_ERROR(Expect(TokenKind::kLeftParen, "grouping opts", "\"(\""));
    std::vector<std::string> labels;
    while (!Accept(TokenKind::kRightParen)) {
      const Token& t = Peek();
      if (!IsLabelToken(t)) return Unexpected(t, "grouping opts", "label");
      labels.emplace_back(t.text);
      Advance();
      if (Accept(TokenKind::kComma)) continue;
      if (Peek().kind != TokenKind::kRightParen) {
        return Unexpected(Peek(), "grouping opts", "\",\" or \")\"");
      }
    }
    return labels;
  }

  // ---- postfix: ranges, subqueries, offset, @ ----

  Result<int64_t> ParseDuration(std::string_view context, bool in_brackets) {
    const Token& t = Peek();
    if (t.kind == TokenKind::kNumber && in_brackets) {
      return ErrorAt(t.offset, "missing unit character in duration");
    }
    if (t.kind != TokenKind::kDuration) return Unexpected(t, context, "duration");
    Advance();
    Result<int64_t> d = ParseDurationLiteral(t.text);
    if (!d.ok()) return ErrorAt(t.offset, d.status().message());
    if (*d == 0) return ErrorAt(t.offset, "duration must be greater than 0");
    return *d;
  }

  Result<Parsed> ParsePostfix(Parsed p) {
    for (;;) {
      switch (Peek().kind) {
        case TokenKind::kLeftBracket: {
          PW_ASSIGN_OR_RETURN(p, ParseRangeOrSubquery(std::move(p)));
          break;
        }
        case TokenKind::kOffset: {
          PW_RETURN_IF_ERROR(ParseOffset(*p.expr));
          break;
        }
        case TokenKind::kAt: {
          PW_RETURN_IF_ERROR(ParseAt(*p.expr));
          break;
        }
        default: return p;
      }
    }
  }

  Result<Parsed> ParseRangeOrSubquery(Parsed p) {
    Advance();  // '['
    PW_ASSIGN_OR_RETURN(int64_t range, ParseDuration("range or subquery selector", true));
    if (Accept(TokenKind::kColon)) {
      SubqueryExpr sq;
      sq.range_ms = range;
      if (Peek().kind != TokenKind::kRightBracket) {
        PW_ASSIGN_OR_RETURN(sq.step_ms, ParseDuration("subquery selector", true));
      }
      PW_RETURN_IF_ERROR(Expect(TokenKind::kRightBracket, "subquery selector", "\"]\""));
      ValueType t = p.expr->type();
      if (t != ValueType::kVector) {
        TypeError(p.expr->pos, "subquery is only allowed on instant vector, got " + TypeName(t) + " instead");
      }
      Position pos = p.expr->pos;
      sq.expr = std::move(p.expr);
      return Make(std::move(sq), pos, p.height + 1);
    }
    PW_RETURN_IF_ERROR(Expect(TokenKind::kRightBracket, "range selector", "\":\" or \"]\""));
    auto* vs = std::get_if<VectorSelector>(&p.expr->node);
    if (vs == nullptr) return ErrorAt(p.expr->pos, "ranges only allowed for vector selectors");
    if (vs->offset_ms != 0) return ErrorAt(p.expr->pos, "no offset modifiers allowed before range");
    if (vs->at != AtKind::kNone) return ErrorAt(p.expr->pos, "no @ modifiers allowed before range");
    MatrixSelector ms;
    ms.selector = std::move(*vs);
    ms.range_ms = range;
    return Make(std::move(ms), p.expr->pos, p.height + 1);
  }

  // The offset and @ fields of a selector or subquery, or null for other nodes.
  struct Modifiers {
    int64_t* offset_ms = nullptr;
    AtKind* at = nullptr;
    int64_t* at_ms = nullptr;
  };
  static Modifiers ModifiersOf(Expr& e) {
    if (auto* vs = std::get_if<VectorSelector>(&e.node)) return {&vs->offset_ms, &vs->at, &vs->at_ms};
    if (auto* ms = std::get_if<MatrixSelector>(&e.node)) {
      return {&ms->selector.offset_ms, &ms->selector.at, &ms->selector.at_ms};
    }
    if (auto* sq = std::get_if<SubqueryExpr>(&e.node)) return {&sq->offset_ms, &sq->at, &sq->at_ms};
    return {};
  }

  Status ParseOffset(Expr& e) {
    Advance();  // offset
    bool negative = Accept(TokenKind::kSub);
    PW_ASSIGN_OR_RETURN(int64_t d, ParseDuration("offset", false));
    Modifiers m = ModifiersOf(e);
    if (m.offset_ms == nullptr) {
      return ErrorAt(e.pos, "offset modifier must be preceded by an instant vector selector or range "
                            "vector selector or a subquery");
    }
    if (*m.offset_ms != 0) return ErrorAt(e.pos, "offset may not be set multiple times");
    *m.offset_ms = negative ? -d : d;
    return Status::Ok();
  }

  // The milliseconds of an `@` number. Decimal literals are scaled in text ("1.5" is read as
  // "1.5e3") so that the printed form "<seconds>.<millis>" parses back to the same value.
  static double AtMilliseconds(const Token& num) {
    std::string_view text = num.text;
    bool decimal = !text.empty() && (IsDigitChar(text[0]) || text[0] == '.') &&
                   text.find_first_of("xX") == std::string_view::npos;
    if (decimal && text.size() > 1 && text[0] == '0' &&
        text.find_first_not_of("01234567") == std::string_view::npos) {
      decimal = false;  // Go reads a leading 0 as octal
    }
    if (!decimal) return num.number * 1000;
    std::string scaled(text);
    int exponent = 3;
    size_t e = scaled.find_first_of("eE");
    if (e != std::string::npos) {
      int given = 0;
      std::string_view exp_text = std::string_view(scaled).substr(e + 1);
      bool minus = !exp_text.empty() && exp_text[0] == '-';
      if (!exp_text.empty() && (exp_text[0] == '-' || exp_text[0] == '+')) exp_text.remove_prefix(1);
      for (char c : exp_text) given = std::min(given * 10 + (c - '0'), 100000);
      exponent += minus ? -given : given;
      scaled.resize(e);
    }
    scaled += "e" + std::to_string(exponent);
    double v = std::strtod(scaled.c_str(), nullptr);
    return v;
  }
  static bool IsDigitChar(char c) { return c >= '0' && c <= '9'; }

  Status ParseAt(Expr& e) {
    Advance();  // @
    AtKind kind = AtKind::kTimestamp;
    int64_t at_ms = 0;
    const Token& t = Peek();
    if (t.kind == TokenKind::kStart || t.kind == TokenKind::kEnd) {
      Advance();
      kind = t.kind == TokenKind::kStart ? AtKind::kStart : AtKind::kEnd;
      PW_RETURN_IF_ERROR(Expect(TokenKind::kLeftParen, "@ modifier", "\"(\""));
      PW_RETURN_IF_ERROR(Expect(TokenKind::kRightParen, "@ modifier", "\")\""));
    } else {
      bool negative = false;
      if (t.kind == TokenKind::kAdd || t.kind == TokenKind::kSub) {
        negative = t.kind == TokenKind::kSub;
        Advance();
      }
      const Token& num = Peek();
      if (num.kind != TokenKind::kNumber) {
        return Unexpected(num, "@ modifier", "timestamp, start() or end()");
      }
      Advance();
      double seconds = negative ? -num.number : num.number;
      double ms = std::round(AtMilliseconds(num) * (negative ? -1 : 1));
      // Prometheus: finite and representable as int64 milliseconds.
      if (!std::isfinite(ms) || ms >= 9.2233720368547758e18 || ms <= -9.2233720368547758e18) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%f", seconds);
        return ErrorAt(e.pos, std::string("timestamp out of bounds for @ modifier: ") + buf);
      }
      at_ms = static_cast<int64_t>(ms);
    }
    Modifiers m = ModifiersOf(e);
    if (m.at == nullptr) {
      return ErrorAt(e.pos, "@ modifier must be preceded by an instant vector selector or range vector "
                            "selector or a subquery");
    }
    if (*m.at != AtKind::kNone) return ErrorAt(e.pos, "@ <timestamp> may not be set multiple times");
    *m.at = kind;
    *m.at_ms = at_ms;
    return Status::Ok();
  }

  std::vector<Token> tokens_;
  std::vector<uint32_t> line_starts_;
  size_t pos_ = 0;
  int nesting_ = 0;
  std::optional<Status> deferred_;
};

}  // namespace

Result<ExprPtr> ParseExpr(std::string_view input) { return Parser(input).Parse(); }

}  // namespace perfwatch::query::promql
