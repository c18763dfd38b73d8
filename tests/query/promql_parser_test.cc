#include "query/promql_parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "query/promql_lexer.h"

namespace perfwatch::query::promql {
namespace {

// Fully parenthesised shape of a tree, for precedence tests.
std::string Shape(const Expr& e) {
  if (const auto* b = std::get_if<BinaryExpr>(&e.node)) {
    return "(" + Shape(*b->lhs) + " " + std::string(BinaryOpName(b->op)) + " " + Shape(*b->rhs) + ")";
  }
  if (const auto* u = std::get_if<UnaryExpr>(&e.node)) {
    return std::string("(") + (u->negate ? "-" : "+") + Shape(*u->expr) + ")";
  }
  if (const auto* p = std::get_if<ParenExpr>(&e.node)) return "paren" + Shape(*p->expr);
  return e.ToString();
}

std::string ShapeOf(std::string_view q) {
  auto r = ParseExpr(q);
  if (!r.ok()) return "ERROR " + r.status().message();
  return Shape(**r);
}

// ToString of the parsed query, or "ERROR <message>".
std::string Str(std::string_view q) {
  auto r = ParseExpr(q);
  if (!r.ok()) return "ERROR " + r.status().message();
  return (*r)->ToString();
}

ExprPtr MustParse(std::string_view q) {
  auto r = ParseExpr(q);
  EXPECT_TRUE(r.ok()) << q << ": " << r.status().message();
  if (!r.ok()) return nullptr;
  return std::move(r).value();
}

std::string Error(std::string_view q) {
  auto r = ParseExpr(q);
  if (r.ok()) return "OK " + (*r)->ToString();
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return r.status().message();
}

#define EXPECT_PARSE_ERROR(query, substring)                               \
  do {                                                                     \
    std::string msg_ = Error(query);                                       \
    EXPECT_NE(msg_.find(substring), std::string::npos) << (query) << " -> " << msg_; \
    EXPECT_NE(msg_.find(": parse error: "), std::string::npos) << msg_;    \
  } while (0)

double Number(std::string_view q) {
  ExprPtr e = MustParse(q);
  if (!e) return -12345;
  const auto* n = std::get_if<NumberLiteral>(&e->node);
  EXPECT_NE(n, nullptr) << q;
  return n ? n->value : -12345;
}

// ---- precedence and associativity ----

TEST(PromqlParserTest, Precedence) {
  EXPECT_EQ(ShapeOf("1 + 2 * 3"), "(1 + (2 * 3))");
  EXPECT_EQ(ShapeOf("1 * 2 + 3"), "((1 * 2) + 3)");
  EXPECT_EQ(ShapeOf("a - b - c"), "((a - b) - c)");
  EXPECT_EQ(ShapeOf("a / b * c % d"), "(((a / b) * c) % d)");
  EXPECT_EQ(ShapeOf("a atan2 b * c"), "((a atan2 b) * c)");
  EXPECT_EQ(ShapeOf("2 ^ 3 ^ 2"), "(2 ^ (3 ^ 2))");
  EXPECT_EQ(ShapeOf("a * b ^ c"), "(a * (b ^ c))");
  EXPECT_EQ(ShapeOf("-2 ^ 2"), "(-(2 ^ 2))");
  EXPECT_EQ(ShapeOf("-a * b"), "((-a) * b)");
  EXPECT_EQ(ShapeOf("-a ^ b * c"), "((-(a ^ b)) * c)");
  EXPECT_EQ(ShapeOf("2 ^ -1"), "(2 ^ -1)");
  EXPECT_EQ(ShapeOf("a * -b + c"), "((a * (-b)) + c)");
  EXPECT_EQ(ShapeOf("a + b > c * d"), "((a + b) > (c * d))");
  EXPECT_EQ(ShapeOf("a > b == c"), "((a > b) == c)");
  EXPECT_EQ(ShapeOf("a == b and c"), "((a == b) and c)");
  EXPECT_EQ(ShapeOf("a and b unless c"), "((a and b) unless c)");
  EXPECT_EQ(ShapeOf("a unless b and c"), "((a unless b) and c)");
  EXPECT_EQ(ShapeOf("a or b and c"), "(a or (b and c))");
  EXPECT_EQ(ShapeOf("a or b or c"), "((a or b) or c)");
  EXPECT_EQ(ShapeOf("(a or b) and c"), "(paren(a or b) and c)");
  EXPECT_EQ(ShapeOf("a + b offset 5m"), "(a + b offset 5m)");
  EXPECT_EQ(ShapeOf("-a offset 5m"), "(-a offset 5m)");
  EXPECT_EQ(ShapeOf("1 - -1"), "(1 - -1)");
  EXPECT_EQ(ShapeOf("- - a"), "(-(-a))");
  EXPECT_EQ(ShapeOf("a > bool b + 1"), "(a > (b + 1))");
  EXPECT_EQ(ShapeOf("a ^ b ^ c ^ d"), "(a ^ (b ^ (c ^ d)))");
  EXPECT_EQ(ShapeOf("a * b / c ^ -d ^ e"), "((a * b) / (c ^ (-(d ^ e))))");
}

TEST(PromqlParserTest, NumberLiterals) {
  EXPECT_EQ(Number("1"), 1);
  EXPECT_EQ(Number("1.5"), 1.5);
  EXPECT_EQ(Number(".5"), 0.5);
  EXPECT_EQ(Number("5."), 5);
  EXPECT_EQ(Number("1e3"), 1000);
  EXPECT_EQ(Number("1E-3"), 0.001);
  EXPECT_EQ(Number("2.5e+2"), 250);
  EXPECT_EQ(Number("0x1F"), 31);
  EXPECT_EQ(Number("0X1f"), 31);
  EXPECT_EQ(Number("0755"), 493);  // Go's base-0 ParseInt: octal
  EXPECT_EQ(Number("08"), 8);
  EXPECT_EQ(Number("-1"), -1);
  EXPECT_EQ(Number("+1"), 1);
  EXPECT_EQ(Number("- -1"), 1);
  EXPECT_EQ(Number("99999999999999999999"), 1e20);
  EXPECT_EQ(Number("Inf"), INFINITY);
  EXPECT_EQ(Number("-inf"), -INFINITY);
  EXPECT_EQ(Number("+InF"), INFINITY);
  EXPECT_TRUE(std::isnan(Number("NaN")));
  EXPECT_TRUE(std::isnan(Number("nan")));
  EXPECT_EQ(Str("1e-400"), "0");
  EXPECT_EQ(Str("1e20"), "100000000000000000000");
  EXPECT_EQ(Str("0.1"), "0.1");
  EXPECT_EQ(Str("-Inf"), "-Inf");
  EXPECT_EQ(Str("Inf"), "Inf");
  EXPECT_EQ(ShapeOf("Inf ^ 2"), "(Inf ^ 2)");
  EXPECT_EQ(Str("2 ^ Inf ^ 2"), "2 ^ Inf ^ 2");
  EXPECT_EQ(Str("NaN"), "NaN");
  EXPECT_PARSE_ERROR("1e400", "error parsing number");
  EXPECT_PARSE_ERROR("0x", "error parsing number");
  EXPECT_PARSE_ERROR("1e", "error parsing number");
  EXPECT_PARSE_ERROR("0x1.8", "error parsing number");
  EXPECT_PARSE_ERROR("1_000", "bad number or duration syntax");
  EXPECT_PARSE_ERROR("12abc", "bad number or duration syntax");
  EXPECT_PARSE_ERROR("5m", "unexpected duration \"5m\"");  // durations are not numbers in 2.42
  EXPECT_PARSE_ERROR("1 + 1h", "unexpected duration");
  EXPECT_PARSE_ERROR("Inf{a=\"b\"}", "unexpected \"{\"");
}

TEST(PromqlParserTest, StringLiterals) {
  auto str = [](std::string_view q) {
    ExprPtr e = MustParse(q);
    if (!e) return std::string("<error>");
    const auto* s = std::get_if<StringLiteral>(&e->node);
    return s ? s->value : std::string("<not a string>");
  };
  EXPECT_EQ(str(R"("a\nb")"), "a\nb");
  EXPECT_EQ(str(R"('single "q" \'')"), "single \"q\" '");
  EXPECT_EQ(str(R"("\"dq\"")"), "\"dq\"");
  EXPECT_EQ(str("`raw\\n\"'`"), "raw\\n\"'");
  EXPECT_EQ(str("`multi\nline`"), "multi\nline");
  EXPECT_EQ(str(R"("\x41\u00e9\101\U0001F600\t\\")"), "A\xc3\xa9" "A\xf0\x9f\x98\x80\t\\");
  EXPECT_EQ(str(R"("\a\b\f\r\v")"), "\a\b\f\r\v");
  EXPECT_EQ(str("\"h\xc3\xa9\""), "h\xc3\xa9");
  EXPECT_EQ(ParseExpr("\"a\"")->get()->type(), ValueType::kString);
  EXPECT_PARSE_ERROR(R"("\q")", "unknown escape sequence");
  EXPECT_PARSE_ERROR(R"("\'")", "unknown escape sequence");
  EXPECT_PARSE_ERROR(R"('\"')", "unknown escape sequence");
  EXPECT_PARSE_ERROR(R"("\x4")", "illegal character");
  EXPECT_PARSE_ERROR(R"("\400")", "invalid Unicode code point");
  EXPECT_PARSE_ERROR(R"("\ud800")", "invalid Unicode code point");
  EXPECT_PARSE_ERROR("\"abc", "unterminated quoted string");
  EXPECT_PARSE_ERROR("\"a\nb\"", "unterminated quoted string");
  EXPECT_PARSE_ERROR("`abc", "unterminated raw string");
  EXPECT_PARSE_ERROR("\"\xff\"", "invalid UTF-8 rune");
  EXPECT_EQ(Str(R"("a\"b\\c\n\x01")"), R"("a\"b\\c\n\x01")");
}

TEST(PromqlParserTest, Durations) {
  EXPECT_EQ(*ParseDurationLiteral("1h30m"), 5'400'000);
  EXPECT_EQ(*ParseDurationLiteral("5m"), 300'000);
  EXPECT_EQ(*ParseDurationLiteral("1y"), 365LL * 86'400'000);
  EXPECT_EQ(*ParseDurationLiteral("2w"), 14LL * 86'400'000);
  EXPECT_EQ(*ParseDurationLiteral("1d"), 86'400'000);
  EXPECT_EQ(*ParseDurationLiteral("250ms"), 250);
  EXPECT_EQ(*ParseDurationLiteral("1s500ms"), 1500);
  EXPECT_EQ(*ParseDurationLiteral("1y2w3d4h5m6s7ms"),
            365LL * 86'400'000 + 14LL * 86'400'000 + 3 * 86'400'000 + 4 * 3'600'000 + 5 * 60'000 +
                6'000 + 7);
  EXPECT_FALSE(ParseDurationLiteral("30m1h").ok());
  EXPECT_FALSE(ParseDurationLiteral("1h1h").ok());
  EXPECT_FALSE(ParseDurationLiteral("1ms1s").ok());
  EXPECT_FALSE(ParseDurationLiteral("1.5h").ok());
  EXPECT_FALSE(ParseDurationLiteral("h").ok());
  EXPECT_FALSE(ParseDurationLiteral("99999999999999999999y").ok());

  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(5'400'000), "1h30m");
  EXPECT_EQ(FormatDuration(250), "250ms");
  EXPECT_EQ(FormatDuration(90'000), "1m30s");
  EXPECT_EQ(FormatDuration(365LL * 86'400'000), "1y");
  EXPECT_EQ(FormatDuration(14LL * 86'400'000), "2w");
  EXPECT_EQ(FormatDuration(90LL * 86'400'000), "90d");  // not 12w6d
  EXPECT_EQ(FormatDuration(86'400'000 + 1), "1d1ms");
  EXPECT_EQ(FormatDuration(-300'000), "-5m");

  EXPECT_EQ(Str("foo[1h30m]"), "foo[1h30m]");
  EXPECT_EQ(Str("foo[90m]"), "foo[1h30m]");
  EXPECT_EQ(Str("foo[7d]"), "foo[1w]");
  EXPECT_PARSE_ERROR("foo[30m1h]", "not a valid duration string: \"30m1h\"");
  EXPECT_PARSE_ERROR("foo[0s]", "duration must be greater than 0");
  EXPECT_PARSE_ERROR("foo offset 0m", "duration must be greater than 0");
  EXPECT_PARSE_ERROR("foo[5]", "missing unit character in duration");
  EXPECT_PARSE_ERROR("foo[5x]", "bad duration syntax");
}

// ---- selectors ----

TEST(PromqlParserTest, VectorSelectors) {
  ExprPtr e = MustParse(R"(http_requests_total{job="api", code!="200", path=~"/a.*", method!~"GET|HEAD",})");
  ASSERT_TRUE(e);
  const auto& vs = std::get<VectorSelector>(e->node);
  EXPECT_EQ(vs.name, "http_requests_total");
  ASSERT_EQ(vs.matchers.size(), 5u);
  EXPECT_EQ(vs.matchers[0].name(), "__name__");
  EXPECT_EQ(vs.matchers[0].value(), "http_requests_total");
  EXPECT_EQ(vs.matchers[1].type(), tsdb::MatchType::kEqual);
  EXPECT_EQ(vs.matchers[2].type(), tsdb::MatchType::kNotEqual);
  EXPECT_EQ(vs.matchers[3].type(), tsdb::MatchType::kRegexMatch);
  EXPECT_EQ(vs.matchers[4].type(), tsdb::MatchType::kRegexNoMatch);
  EXPECT_EQ(e->type(), ValueType::kVector);
  EXPECT_EQ(e->ToString(),
            R"(http_requests_total{code!="200",job="api",method!~"GET|HEAD",path=~"/a.*"})");

  ExprPtr by_name = MustParse(R"({__name__="foo", a='b'})");
  ASSERT_TRUE(by_name);
  EXPECT_EQ(std::get<VectorSelector>(by_name->node).name, "");
  EXPECT_EQ(by_name->ToString(), R"({__name__="foo",a="b"})");
  EXPECT_EQ(Str("foo{}"), "foo");
  EXPECT_EQ(Str("job:rate5m:sum"), "job:rate5m:sum");
  EXPECT_EQ(Str(R"({a=~".+"})"), R"({a=~".+"})");
  EXPECT_EQ(Str(R"({a="", b="x"})"), R"({a="",b="x"})");

  EXPECT_PARSE_ERROR("{}", "vector selector must contain at least one non-empty matcher");
  EXPECT_PARSE_ERROR(R"({a=""})", "vector selector must contain at least one non-empty matcher");
  EXPECT_PARSE_ERROR(R"({a=~".*"})", "vector selector must contain at least one non-empty matcher");
  EXPECT_PARSE_ERROR(R"({a!="x"})", "vector selector must contain at least one non-empty matcher");
  EXPECT_PARSE_ERROR(R"(foo{__name__="bar"})", "metric name must not be set twice: \"foo\" or \"bar\"");
  EXPECT_PARSE_ERROR(R"(foo{a=~"("})", "invalid regular expression");
  EXPECT_PARSE_ERROR("foo{a}", "unexpected \"}\" in label matching, expected label matching operator");
  EXPECT_PARSE_ERROR("foo{a=b}", "unexpected identifier \"b\" in label matching, expected string");
  EXPECT_PARSE_ERROR(R"(foo{a="b" c="d"})", "expected \",\" or \"}\"");
  EXPECT_PARSE_ERROR(R"(foo{"a"="b"})", "expected identifier or \"}\"");
  EXPECT_PARSE_ERROR("foo{a=1}", "unexpected character inside braces: '1'");
  EXPECT_PARSE_ERROR("foo{a=\"b\"", "unexpected end of input inside braces");
  EXPECT_PARSE_ERROR("foo{{", "unexpected left brace");
  EXPECT_PARSE_ERROR("foo{a==\"b\"}", "unexpected \"=\" in label matching, expected string");
  EXPECT_PARSE_ERROR("foo}", "unexpected right brace");
  EXPECT_PARSE_ERROR(R"(foo:bar{a:b="c"})", "unexpected character inside braces: ':'");
}

TEST(PromqlParserTest, KeywordsAsNames) {
  // Prometheus' metric_identifier accepts these keywords as metric names.
  for (const char* name : {"sum", "avg", "count", "topk", "by", "without", "offset", "start", "end",
                           "and", "or", "unless", "group", "count_values"}) {
    ExprPtr e = MustParse(name);
    ASSERT_TRUE(e) << name;
    const auto* vs = std::get_if<VectorSelector>(&e->node);
    ASSERT_NE(vs, nullptr) << name;
    EXPECT_EQ(vs->name, name);
  }
  EXPECT_EQ(Str("rate"), "rate");  // a function name without '(' is a metric
  EXPECT_EQ(Str(R"(sum{job="a"} offset 5m)"), R"(sum{job="a"} offset 5m)");
  EXPECT_EQ(Str("foo and and"), "foo and and");
  EXPECT_EQ(Str("foo + offset"), "foo + offset");
  EXPECT_EQ(Str(R"(foo{on="a", by="b", sum="c", offset="d", bool="e"})"),
            R"(foo{bool="e",by="b",offset="d",on="a",sum="c"})");
  EXPECT_EQ(Str("sum by (on, by, sum, offset, bool, group_left, start) (foo)"),
            "sum by (on, by, sum, offset, bool, group_left, start) (foo)");
  EXPECT_EQ(Str("foo * on (ignoring, and) group_left (group_right) bar"),
            "foo * on (ignoring, and) group_left (group_right) bar");
  EXPECT_EQ(Str("SUM BY (a) (foo) AND ON (b) bar"), "sum by (a) (foo) and on (b) bar");
  EXPECT_PARSE_ERROR("on", "unexpected <on>");
  EXPECT_PARSE_ERROR("bool", "unexpected <bool>");
  EXPECT_PARSE_ERROR("sum by (a:b) (foo)", "in grouping opts, expected label");
  EXPECT_PARSE_ERROR("sum by (1) (foo)", "unexpected number \"1\" in grouping opts, expected label");
  EXPECT_PARSE_ERROR("foo:bar(x)", "unexpected \"(\"");
}

TEST(PromqlParserTest, RangeSelectors) {
  ExprPtr e = MustParse("foo[5m]");
  ASSERT_TRUE(e);
  const auto& ms = std::get<MatrixSelector>(e->node);
  EXPECT_EQ(ms.range_ms, 300'000);
  EXPECT_EQ(ms.selector.name, "foo");
  EXPECT_EQ(e->type(), ValueType::kMatrix);
  EXPECT_EQ(Str("foo[ 5m ]"), "foo[5m]");
  EXPECT_EQ(Str(R"(foo{a="b"}[1h] offset 1d)"), R"(foo{a="b"}[1h] offset 1d)");
  EXPECT_PARSE_ERROR("foo[]", "unexpected \"]\" in range or subquery selector, expected duration");
  EXPECT_PARSE_ERROR("foo[5m", "unclosed left bracket");
  EXPECT_PARSE_ERROR("(foo)[5m]", "ranges only allowed for vector selectors");
  EXPECT_PARSE_ERROR("foo[5m][5m]", "ranges only allowed for vector selectors");
  EXPECT_PARSE_ERROR("sum(foo)[5m]", "ranges only allowed for vector selectors");
  EXPECT_PARSE_ERROR("foo offset 5m [5m]", "no offset modifiers allowed before range");
  EXPECT_PARSE_ERROR("foo @ 10 [5m]", "no @ modifiers allowed before range");
  EXPECT_PARSE_ERROR("foo[5m x]", "in range selector, expected \":\" or \"]\"");
  EXPECT_PARSE_ERROR("foo[[5m]]", "unexpected left bracket");
  EXPECT_PARSE_ERROR("foo]", "unexpected right bracket");
  EXPECT_PARSE_ERROR("foo[-5m]", "unexpected <op:->");
}

TEST(PromqlParserTest, OffsetAndAt) {
  ExprPtr e = MustParse("foo offset 5m @ 1700000000.5");
  ASSERT_TRUE(e);
  const auto& vs = std::get<VectorSelector>(e->node);
  EXPECT_EQ(vs.offset_ms, 300'000);
  EXPECT_EQ(vs.at, AtKind::kTimestamp);
  EXPECT_EQ(vs.at_ms, 1'700'000'000'500);
  EXPECT_EQ(e->ToString(), "foo @ 1700000000.500 offset 5m");

  e = MustParse("foo @ end() offset -1h");
  ASSERT_TRUE(e);
  EXPECT_EQ(std::get<VectorSelector>(e->node).offset_ms, -3'600'000);
  EXPECT_EQ(std::get<VectorSelector>(e->node).at, AtKind::kEnd);
  EXPECT_EQ(e->ToString(), "foo @ end() offset -1h");

  EXPECT_EQ(Str("foo @ start()"), "foo @ start()");
  EXPECT_EQ(Str("foo @ -100"), "foo @ -100.000");
  EXPECT_EQ(Str("foo @ +1.0005"), "foo @ 1.001");
  EXPECT_EQ(Str("foo @ 0x10"), "foo @ 16.000");
  EXPECT_EQ(Str("foo[5m] @ 100 offset 1m"), "foo[5m] @ 100.000 offset 1m");
  EXPECT_EQ(Str("foo[5m] offset 1m @ 100"), "foo[5m] @ 100.000 offset 1m");
  EXPECT_EQ(Str("foo OFFSET 1m"), "foo offset 1m");
  EXPECT_EQ(Str("foo @ START ( )"), "foo @ start()");

  EXPECT_PARSE_ERROR("sum(foo) offset 5m",
                     "offset modifier must be preceded by an instant vector selector or range vector "
                     "selector or a subquery");
  EXPECT_PARSE_ERROR("(foo) offset 5m", "offset modifier must be preceded");
  EXPECT_PARSE_ERROR("1 @ 10", "@ modifier must be preceded");
  EXPECT_PARSE_ERROR("foo offset 5m offset 1m", "offset may not be set multiple times");
  EXPECT_PARSE_ERROR("foo @ 1 @ 2", "@ <timestamp> may not be set multiple times");
  EXPECT_PARSE_ERROR("foo @ start() @ end()", "@ <timestamp> may not be set multiple times");
  EXPECT_PARSE_ERROR("foo @ Inf", "timestamp out of bounds for @ modifier");
  EXPECT_PARSE_ERROR("foo @ NaN", "timestamp out of bounds for @ modifier");
  EXPECT_PARSE_ERROR("foo @ 1e300", "timestamp out of bounds for @ modifier");
  EXPECT_PARSE_ERROR("foo @ bar", "unexpected identifier \"bar\" in @ modifier");
  EXPECT_PARSE_ERROR("foo @ start", "expected \"(\"");
  EXPECT_PARSE_ERROR("foo @ 5m", "unexpected duration");
  EXPECT_PARSE_ERROR("foo offset 5", "unexpected number \"5\" in offset, expected duration");
  EXPECT_PARSE_ERROR("foo offset", "unexpected end of input in offset, expected duration");
}

TEST(PromqlParserTest, Subqueries) {
  ExprPtr e = MustParse("rate(foo[5m])[30m:1m] offset 1h @ end()");
  ASSERT_TRUE(e);
  const auto& sq = std::get<SubqueryExpr>(e->node);
  EXPECT_EQ(sq.range_ms, 1'800'000);
  EXPECT_EQ(sq.step_ms, 60'000);
  EXPECT_EQ(sq.offset_ms, 3'600'000);
  EXPECT_EQ(sq.at, AtKind::kEnd);
  EXPECT_EQ(e->type(), ValueType::kMatrix);
  EXPECT_EQ(e->ToString(), "rate(foo[5m])[30m:1m] @ end() offset 1h");

  EXPECT_EQ(Str("foo[5m:]"), "foo[5m:]");
  EXPECT_EQ(Str("foo offset 1m [5m:]"), "foo offset 1m[5m:]");
  EXPECT_EQ(Str("(foo + bar)[1h:5m]"), "(foo + bar)[1h:5m]");
  EXPECT_EQ(Str("max_over_time(sum(foo)[1h:])"), "max_over_time(sum(foo)[1h:])");
  EXPECT_EQ(Str("min_over_time(rate(foo[1m])[5m:1s] @ 100)"), "min_over_time(rate(foo[1m])[5m:1s] @ 100.000)");
  EXPECT_PARSE_ERROR("foo[5m][10m:]", "subquery is only allowed on instant vector, got range vector");
  EXPECT_PARSE_ERROR("1[5m:]", "subquery is only allowed on instant vector, got scalar");
  EXPECT_PARSE_ERROR("foo[5m:1m][10m:]", "subquery is only allowed on instant vector");
  EXPECT_PARSE_ERROR("foo[5m:1]", "missing unit character in duration");
  EXPECT_PARSE_ERROR("foo[5m::]", "expected duration");
  EXPECT_PARSE_ERROR("foo[5m:1m", "unclosed left bracket");
}

// ---- operators ----

TEST(PromqlParserTest, UnaryExpressions) {
  ExprPtr e = MustParse("-foo");
  ASSERT_TRUE(e);
  EXPECT_TRUE(std::get<UnaryExpr>(e->node).negate);
  EXPECT_EQ(e->type(), ValueType::kVector);
  e = MustParse("+foo");
  ASSERT_TRUE(e);
  EXPECT_FALSE(std::get<UnaryExpr>(e->node).negate);
  EXPECT_EQ(Str("-(1)"), "-(1)");
  EXPECT_EQ(MustParse("-(1)")->type(), ValueType::kScalar);
  EXPECT_PARSE_ERROR("-\"a\"", "unary expression only allowed on expressions of type scalar or instant vector, got \"string\"");
  EXPECT_PARSE_ERROR("-foo[5m]", "got \"range vector\"");
  EXPECT_PARSE_ERROR("*1", "unexpected <op:*>");
}

TEST(PromqlParserTest, BinaryExpressions) {
  ExprPtr e = MustParse("foo + bar");
  ASSERT_TRUE(e);
  const auto& b = std::get<BinaryExpr>(e->node);
  ASSERT_TRUE(b.matching.has_value());
  EXPECT_EQ(b.matching->card, VectorMatching::Cardinality::kOneToOne);
  EXPECT_FALSE(b.matching->on);

  e = MustParse("1 + foo");
  ASSERT_TRUE(e);
  EXPECT_FALSE(std::get<BinaryExpr>(e->node).matching.has_value());
  EXPECT_EQ(e->type(), ValueType::kVector);
  EXPECT_EQ(MustParse("1 + 2")->type(), ValueType::kScalar);
  EXPECT_EQ(MustParse("1 == bool 2")->type(), ValueType::kScalar);

  e = MustParse("foo * on(a, b) group_left(c) bar");
  ASSERT_TRUE(e);
  const auto& m = *std::get<BinaryExpr>(e->node).matching;
  EXPECT_TRUE(m.on);
  EXPECT_EQ(m.card, VectorMatching::Cardinality::kManyToOne);
  EXPECT_EQ(m.labels, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(m.include, (std::vector<std::string>{"c"}));
  EXPECT_EQ(e->ToString(), "foo * on (a, b) group_left (c) bar");

  e = MustParse("foo / ignoring(a) group_right bar");
  ASSERT_TRUE(e);
  EXPECT_EQ(std::get<BinaryExpr>(e->node).matching->card, VectorMatching::Cardinality::kOneToMany);
  EXPECT_EQ(e->ToString(), "foo / ignoring (a) group_right () bar");

  e = MustParse("foo and bar");
  ASSERT_TRUE(e);
  EXPECT_EQ(std::get<BinaryExpr>(e->node).matching->card, VectorMatching::Cardinality::kManyToMany);
  EXPECT_EQ(Str("foo or on () bar"), "foo or on () bar");
  EXPECT_EQ(Str("foo unless ignoring (a) bar"), "foo unless ignoring (a) bar");
  EXPECT_EQ(Str("foo > bool on (a) bar"), "foo > bool on (a) bar");
  EXPECT_EQ(Str("foo > bool 1"), "foo > bool 1");
  EXPECT_EQ(Str("1 >= bool 2"), "1 >= bool 2");
  EXPECT_EQ(Str("foo * ignoring () group_left bar"), "foo * ignoring () group_left () bar");
  EXPECT_EQ(Str("foo + ignoring () bar"), "foo + bar");
  EXPECT_EQ(Str("foo atan2 bar"), "foo atan2 bar");
  EXPECT_EQ(Str("1 + on () 2"), "1 + 2");

  EXPECT_PARSE_ERROR("1 > 2", "comparisons between scalars must use BOOL modifier");
  EXPECT_PARSE_ERROR("foo + bool bar", "bool modifier can only be used on comparison operators");
  EXPECT_PARSE_ERROR("foo and 1", "set operator \"and\" not allowed in binary scalar expression");
  EXPECT_PARSE_ERROR("1 or foo", "set operator \"or\" not allowed in binary scalar expression");
  EXPECT_PARSE_ERROR("foo and on(a) group_left bar", "no grouping allowed for \"and\" operation");
  EXPECT_PARSE_ERROR("foo unless ignoring(a) group_right(b) bar", "no grouping allowed for \"unless\"");
  EXPECT_PARSE_ERROR("1 + on(a) foo", "vector matching only allowed between instant vectors");
  EXPECT_PARSE_ERROR("foo * on(a) group_left(a) bar", "label \"a\" must not occur in ON and GROUP clause at once");
  EXPECT_PARSE_ERROR("foo[5m] + 1", "binary expression must contain only scalar and instant vector types");
  EXPECT_PARSE_ERROR("1 + foo[5m]", "binary expression must contain only scalar and instant vector types");
  EXPECT_PARSE_ERROR("\"a\" + 1", "binary expression must contain only scalar and instant vector types");
  EXPECT_PARSE_ERROR("foo * group_left bar", "unexpected <group_left>");
  EXPECT_PARSE_ERROR("foo * on bar", "unexpected identifier \"bar\" in grouping opts, expected \"(\"");
  EXPECT_PARSE_ERROR("foo * on(a b) bar", "in grouping opts, expected \",\" or \")\"");
  EXPECT_PARSE_ERROR("foo * on(a) group_left (b + c)", "in grouping opts");
  EXPECT_PARSE_ERROR("foo bar", "unexpected identifier \"bar\", expected binary operator or end of input");
  EXPECT_PARSE_ERROR("foo !~ bar", "unexpected character after '!': '~'");
  EXPECT_PARSE_ERROR("foo =~ bar", "unexpected character after '='");
  EXPECT_PARSE_ERROR("foo = bar", "unexpected \"=\"");
}

TEST(PromqlParserTest, Aggregations) {
  ExprPtr e = MustParse("sum by (job, instance) (rate(foo[5m]))");
  ASSERT_TRUE(e);
  const auto& a = std::get<AggregateExpr>(e->node);
  EXPECT_EQ(a.op, AggregateOp::kSum);
  EXPECT_TRUE(a.has_grouping);
  EXPECT_FALSE(a.without);
  EXPECT_EQ(a.grouping, (std::vector<std::string>{"job", "instance"}));
  EXPECT_EQ(a.param, nullptr);
  EXPECT_EQ(e->type(), ValueType::kVector);

  EXPECT_EQ(Str("sum(foo) by (job)"), "sum by (job) (foo)");
  EXPECT_EQ(Str("sum(foo) without (job,)"), "sum without (job) (foo)");
  EXPECT_EQ(Str("sum without () (foo)"), "sum without () (foo)");
  EXPECT_EQ(Str("sum by () (foo)"), "sum(foo)");
  EXPECT_TRUE(std::get<AggregateExpr>(MustParse("sum by () (foo)")->node).has_grouping);
  EXPECT_FALSE(std::get<AggregateExpr>(MustParse("sum(foo)")->node).has_grouping);
  EXPECT_EQ(Str("topk(5, foo)"), "topk(5, foo)");
  EXPECT_EQ(Str("bottomk by (a) (3, foo)"), "bottomk by (a) (3, foo)");
  EXPECT_EQ(Str("quantile(0.9, foo) without (a)"), "quantile without (a) (0.9, foo)");
  EXPECT_EQ(Str("count_values(\"v\", foo)"), "count_values(\"v\", foo)");
  EXPECT_EQ(Str("topk(scalar(bar), foo)"), "topk(scalar(bar), foo)");
  for (const char* op : {"avg", "min", "max", "count", "stddev", "stdvar", "group"}) {
    EXPECT_EQ(Str(std::string(op) + " (foo)"), std::string(op) + "(foo)");
  }
  e = MustParse("count_values(\"v\", foo)");
  ASSERT_TRUE(e);
  EXPECT_EQ(std::get<AggregateExpr>(e->node).param->type(), ValueType::kString);

  EXPECT_PARSE_ERROR("sum()", "no arguments for aggregate expression provided");
  EXPECT_PARSE_ERROR("sum(foo, bar)", "wrong number of arguments for aggregate expression provided, expected 1, got 2");
  EXPECT_PARSE_ERROR("topk(foo)", "wrong number of arguments for aggregate expression provided, expected 2, got 1");
  EXPECT_PARSE_ERROR("sum(1)", "expected type instant vector in aggregation expression, got scalar");
  EXPECT_PARSE_ERROR("sum(foo[5m])", "expected type instant vector in aggregation expression, got range vector");
  EXPECT_PARSE_ERROR("topk(foo, bar)", "expected type scalar in aggregation parameter, got instant vector");
  EXPECT_PARSE_ERROR("quantile(\"a\", bar)", "expected type scalar in aggregation parameter, got string");
  EXPECT_PARSE_ERROR("count_values(1, bar)", "expected type string in aggregation parameter, got scalar");
  EXPECT_PARSE_ERROR("sum by (a) (foo) by (b)", "unexpected <by>");
  EXPECT_PARSE_ERROR("sum by (a)", "unexpected end of input in aggregation, expected \"(\"");
  EXPECT_PARSE_ERROR("sum by a (foo)", "unexpected identifier \"a\" in grouping opts, expected \"(\"");
  EXPECT_PARSE_ERROR("sum(foo,)", "trailing commas not allowed in function call args");
}

// ---- functions ----

TEST(PromqlParserTest, FunctionTable) {
  const std::vector<std::string> names = {
      "abs", "absent", "absent_over_time", "acos", "acosh", "asin", "asinh", "atan", "atanh",
      "avg_over_time", "ceil", "changes", "clamp", "clamp_max", "clamp_min", "cos", "cosh",
      "count_over_time", "days_in_month", "day_of_month", "day_of_week", "day_of_year", "deg",
      "delta", "deriv", "exp", "floor", "histogram_quantile", "holt_winters", "hour", "idelta",
      "increase", "irate", "label_replace", "label_join", "last_over_time", "ln", "log10", "log2",
      "max_over_time", "min_over_time", "minute", "month", "pi", "predict_linear",
      "present_over_time", "quantile_over_time", "rad", "rate", "resets", "round", "scalar", "sgn",
      "sin", "sinh", "sort", "sort_desc", "sqrt", "stddev_over_time", "stdvar_over_time",
      "sum_over_time", "tan", "tanh", "time", "timestamp", "vector", "year"};
  EXPECT_EQ(names.size(), 67u);
  for (const std::string& n : names) {
    const FunctionSignature* f = LookupFunction(n);
    ASSERT_NE(f, nullptr) << n;
    EXPECT_EQ(f->name, n);
  }
  EXPECT_EQ(LookupFunction("nope"), nullptr);
  EXPECT_EQ(LookupFunction("RATE"), nullptr);
  EXPECT_EQ(LookupFunction(""), nullptr);

  using VT = ValueType;
  auto sig = [](std::string_view n) { return LookupFunction(n); };
  EXPECT_EQ(sig("holt_winters")->arg_types, (std::vector<VT>{VT::kMatrix, VT::kScalar, VT::kScalar}));
  EXPECT_EQ(sig("histogram_quantile")->arg_types, (std::vector<VT>{VT::kScalar, VT::kVector}));
  EXPECT_EQ(sig("quantile_over_time")->arg_types, (std::vector<VT>{VT::kScalar, VT::kMatrix}));
  EXPECT_EQ(sig("label_replace")->arg_types.size(), 5u);
  EXPECT_EQ(sig("label_join")->min_args, 3u);
  EXPECT_TRUE(sig("label_join")->variadic_tail);
  EXPECT_EQ(sig("round")->min_args, 1u);
  EXPECT_EQ(sig("round")->arg_types.size(), 2u);
  EXPECT_EQ(sig("year")->min_args, 0u);
  EXPECT_EQ(sig("pi")->return_type, VT::kScalar);
  EXPECT_EQ(sig("time")->return_type, VT::kScalar);
  EXPECT_EQ(sig("scalar")->return_type, VT::kScalar);
  EXPECT_EQ(sig("vector")->arg_types, (std::vector<VT>{VT::kScalar}));
  EXPECT_EQ(sig("rate")->arg_types, (std::vector<VT>{VT::kMatrix}));
  EXPECT_EQ(sig("clamp")->arg_types, (std::vector<VT>{VT::kVector, VT::kScalar, VT::kScalar}));
  EXPECT_EQ(sig("predict_linear")->arg_types, (std::vector<VT>{VT::kMatrix, VT::kScalar}));
}

std::string ArgOfType(ValueType t) {
  switch (t) {
    case ValueType::kScalar: return "1";
    case ValueType::kVector: return "foo";
    case ValueType::kMatrix: return "foo[5m]";
    case ValueType::kString: return "\"s\"";
    default: return "?";
  }
}

std::string CallWith(std::string_view name, const std::vector<std::string>& args) {
  std::string q(name);
  q += '(';
  for (size_t i = 0; i < args.size(); ++i) q += (i ? ", " : "") + args[i];
  return q + ')';
}

// Every function: a well-typed call with min and max arguments parses; one argument too
// many or too few and each wrongly typed argument fail with Prometheus' messages.
TEST(PromqlParserTest, EveryFunctionArityAndTypes) {
  const char* kAll[] = {
      "abs", "absent", "absent_over_time", "acos", "acosh", "asin", "asinh", "atan", "atanh",
      "avg_over_time", "ceil", "changes", "clamp", "clamp_max", "clamp_min", "cos", "cosh",
      "count_over_time", "days_in_month", "day_of_month", "day_of_week", "day_of_year", "deg",
      "delta", "deriv", "exp", "floor", "histogram_quantile", "holt_winters", "hour", "idelta",
      "increase", "irate", "label_replace", "label_join", "last_over_time", "ln", "log10", "log2",
      "max_over_time", "min_over_time", "minute", "month", "pi", "predict_linear",
      "present_over_time", "quantile_over_time", "rad", "rate", "resets", "round", "scalar", "sgn",
      "sin", "sinh", "sort", "sort_desc", "sqrt", "stddev_over_time", "stdvar_over_time",
      "sum_over_time", "tan", "tanh", "time", "timestamp", "vector", "year"};
  for (const char* name : kAll) {
    SCOPED_TRACE(name);
    const FunctionSignature* f = LookupFunction(name);
    ASSERT_NE(f, nullptr);
    std::vector<std::string> args;
    for (ValueType t : f->arg_types) args.push_back(ArgOfType(t));
    std::string fname = "\"" + std::string(name) + "\"";

    // Full and minimal argument lists.
    ExprPtr e = MustParse(CallWith(name, args));
    ASSERT_TRUE(e);
    EXPECT_EQ(e->type(), f->return_type);
    EXPECT_EQ(e->ToString(), CallWith(name, args));
    std::vector<std::string> min_args(args.begin(), args.begin() + f->min_args);
    EXPECT_TRUE(ParseExpr(CallWith(name, min_args)).ok());

    // One too many.
    std::vector<std::string> more = args;
    more.push_back(args.empty() ? "1" : args.back());
    bool exact = f->min_args == f->arg_types.size() && !f->variadic_tail;
    if (f->variadic_tail) {
      EXPECT_TRUE(ParseExpr(CallWith(name, more)).ok());
    } else if (exact) {
      EXPECT_PARSE_ERROR(CallWith(name, more), "expected " + std::to_string(args.size()) +
                                                   " argument(s) in call to " + fname + ", got " +
                                                   std::to_string(more.size()));
    } else {
      EXPECT_PARSE_ERROR(CallWith(name, more), "expected at most " + std::to_string(args.size()) +
                                                   " argument(s) in call to " + fname);
    }
    // One too few.
    if (f->min_args > 0) {
      std::vector<std::string> fewer(args.begin(), args.begin() + f->min_args - 1);
      EXPECT_PARSE_ERROR(CallWith(name, fewer),
                         (exact ? "expected " : "expected at least ") + std::to_string(f->min_args) +
                             " argument(s) in call to " + fname + ", got " + std::to_string(fewer.size()));
    }
    // Each argument with each wrong type.
    for (size_t i = 0; i < args.size(); ++i) {
      for (ValueType wrong : {ValueType::kScalar, ValueType::kVector, ValueType::kMatrix, ValueType::kString}) {
        if (wrong == f->arg_types[i]) continue;
        std::vector<std::string> bad = args;
        bad[i] = ArgOfType(wrong);
        EXPECT_PARSE_ERROR(CallWith(name, bad), "expected type " + std::string(ValueTypeName(f->arg_types[i])) +
                                                    " in call to function " + fname + ", got " +
                                                    std::string(ValueTypeName(wrong)));
      }
    }
  }
}

TEST(PromqlParserTest, FunctionCalls) {
  EXPECT_EQ(Str("rate(foo[5m])"), "rate(foo[5m])");
  EXPECT_EQ(Str("label_join(foo, \"dst\", \",\", \"a\", \"b\", \"c\")"),
            "label_join(foo, \"dst\", \",\", \"a\", \"b\", \"c\")");
  EXPECT_EQ(Str("round(foo)"), "round(foo)");
  EXPECT_EQ(Str("round(foo, 0.5)"), "round(foo, 0.5)");
  EXPECT_EQ(Str("time()"), "time()");
  EXPECT_EQ(Str("year()"), "year()");
  EXPECT_EQ(Str("histogram_quantile(0.9, sum by (le) (rate(foo_bucket[5m])))"),
            "histogram_quantile(0.9, sum by (le) (rate(foo_bucket[5m])))");
  EXPECT_PARSE_ERROR("rate(foo)", "expected type range vector in call to function \"rate\", got instant vector");
  EXPECT_PARSE_ERROR("abs(foo[5m])", "expected type instant vector in call to function \"abs\", got range vector");
  EXPECT_PARSE_ERROR("nope(foo)", "unknown function with name \"nope\"");
  EXPECT_PARSE_ERROR("RATE(foo[5m])", "unknown function with name \"RATE\"");
  EXPECT_PARSE_ERROR("rate(foo[5m],)", "trailing commas not allowed in function call args");
  EXPECT_PARSE_ERROR("rate(foo[5m] bar)", "in function call, expected \",\" or \")\"");
  EXPECT_PARSE_ERROR("rate(", "unclosed left parenthesis");
  EXPECT_PARSE_ERROR("rate(foo[5m]", "unclosed left parenthesis");
  EXPECT_PARSE_ERROR("time(", "unclosed left parenthesis");
  EXPECT_PARSE_ERROR("label_replace(foo, \"a\", \"b\", \"c\")",
                     "expected 5 argument(s) in call to \"label_replace\", got 4");
  EXPECT_PARSE_ERROR("label_join(foo, \"a\")", "expected at least 3 argument(s) in call to \"label_join\", got 2");
  EXPECT_PARSE_ERROR("label_join(foo, \"a\", \"b\", \"c\", 1)",
                     "expected type string in call to function \"label_join\", got scalar");
  EXPECT_PARSE_ERROR("round(foo, 1, 2)", "expected at most 2 argument(s) in call to \"round\", got 3");
}

// ---- errors, positions, comments, limits ----

TEST(PromqlParserTest, ErrorPositions) {
  EXPECT_EQ(Error(""), "1:1: parse error: no expression found in input");
  EXPECT_EQ(Error("  # only a comment"), "1:19: parse error: no expression found in input");
  EXPECT_EQ(Error("foo +"), "1:6: parse error: unexpected end of input, expected expression");
  EXPECT_EQ(Error("1 + * 2"), "1:5: parse error: unexpected <op:*>, expected expression");
  EXPECT_EQ(Error("rate(foo)"),
            "1:6: parse error: expected type range vector in call to function \"rate\", got instant vector");
  EXPECT_EQ(Error("foo{a=\"b\"} $"), "1:12: parse error: unexpected character: '$'");
  EXPECT_EQ(Error("sum(foo"), "1:8: parse error: unclosed left parenthesis");
  EXPECT_EQ(Error("foo)"), "1:4: parse error: unexpected right parenthesis ')'");
  EXPECT_EQ(Error("sum by (a) (foo) + 1 > 2 and"),
            "1:29: parse error: unexpected end of input, expected expression");
  EXPECT_EQ(Error("foo\n  + bar\n  + \"x\""),
            "3:5: parse error: binary expression must contain only scalar and instant vector types");
  EXPECT_EQ(Error("sum(\n  rate(foo[5m])\n) by (job\n"),
            "4:1: parse error: unclosed left parenthesis");
  EXPECT_EQ(Error("sum(foo) by (job foo) + 1"),
            "1:18: parse error: unexpected identifier \"foo\" in grouping opts, expected \",\" or \")\"");
  EXPECT_EQ(Error("foo # comment\n  * on(a) group_left bar\n  and 1"),
            "3:3: parse error: set operator \"and\" not allowed in binary scalar expression");
  EXPECT_EQ(Error("foo[5m]\n\n\toffset 0s"), "3:9: parse error: duration must be greater than 0");
  EXPECT_EQ(Error("{a=\"\"}"), "1:1: parse error: vector selector must contain at least one non-empty matcher");
  EXPECT_EQ(Error("foo{a=\"\\q\"}"), "1:7: parse error: unknown escape sequence 'q'");
  // A syntax error anywhere wins over a type error earlier in the query, as in Prometheus.
  EXPECT_EQ(Error("rate(foo) + )"), "1:13: parse error: unexpected right parenthesis ')'");
}

TEST(PromqlParserTest, NodePositions) {
  ExprPtr e = MustParse("foo +\n  sum(bar)");
  ASSERT_TRUE(e);
  const auto& b = std::get<BinaryExpr>(e->node);
  EXPECT_EQ(e->pos.line, 1u);
  EXPECT_EQ(e->pos.column, 1u);
  EXPECT_EQ(b.rhs->pos.offset, 8u);
  EXPECT_EQ(b.rhs->pos.line, 2u);
  EXPECT_EQ(b.rhs->pos.column, 3u);
  const auto& agg = std::get<AggregateExpr>(b.rhs->node);
  EXPECT_EQ(agg.expr->pos.column, 7u);
}

TEST(PromqlParserTest, Comments) {
  EXPECT_EQ(Str("# leading\nfoo # trailing\n + # middle\n bar # end"), "foo + bar");
  EXPECT_EQ(Str("sum( # c\n foo{a=\"#x\"} # c\n)"), "sum(foo{a=\"#x\"})");
}

TEST(PromqlParserTest, NestingIsCapped) {
  std::string ok = std::string(100, '(') + "1" + std::string(100, ')');
  EXPECT_TRUE(ParseExpr(ok).ok());
  std::string deep = std::string(300, '(') + "1" + std::string(300, ')');
  EXPECT_PARSE_ERROR(deep, "expression nesting too deep");
  std::string unary = std::string(100000, '-') + "1";
  EXPECT_PARSE_ERROR(unary, "expression nesting too deep");
  std::string calls;
  for (int i = 0; i < 1000; ++i) calls += "abs(";
  calls += "foo" + std::string(1000, ')');
  EXPECT_PARSE_ERROR(calls, "expression nesting too deep");
  std::string pow = "1";
  for (int i = 0; i < 5000; ++i) pow += "^1";
  EXPECT_PARSE_ERROR(pow, "expression nesting too deep");

  std::string chain = "a";
  for (int i = 0; i < 500; ++i) chain += " or a";
  EXPECT_TRUE(ParseExpr(chain).ok());
  std::string long_chain = "a";
  for (int i = 0; i < 100000; ++i) long_chain += "+a";
  EXPECT_PARSE_ERROR(long_chain, "expression too deep");
  // Chains inside parentheses add up.
  std::string nested;
  for (int i = 0; i < 20; ++i) {
    nested = "(" + (nested.empty() ? "a" : nested);
    for (int j = 0; j < 60; ++j) nested += "+a";
    nested += ")";
  }
  EXPECT_PARSE_ERROR(nested, "expression too deep");
}

// ---- round trip ----

TEST(PromqlParserTest, RoundTrip) {
  const char* kCorpus[] = {
      "1",
      "-1.5",
      "0x10 + 1",
      "Inf",
      "-Inf",
      "NaN",
      "1e-7",
      "123456789.125",
      "\"string\"",
      "'single'",
      "`raw \\ string`",
      "\"esc\\n\\t\\\"\\\\\"",
      "foo",
      "foo:bar:baz",
      "foo{}",
      "{a=\"b\"}",
      "{__name__=\"foo\"}",
      "{__name__=~\"foo.*\", job!=\"x\"}",
      "foo{a=\"b\", c!=\"d\", e=~\"f.*\", g!~\"h|i\"}",
      "foo{a=\"\\\"quoted\\\"\"}",
      "foo{a=\"h\xc3\xa9\"}",
      "foo offset 5m",
      "foo offset -5m",
      "foo @ 1700000000",
      "foo @ -1.5",
      "foo @ start()",
      "foo @ end() offset 1h",
      "foo offset 1h @ end()",
      "foo[5m]",
      "foo[1h30m] offset 1d",
      "foo[5m] @ 100 offset 1m",
      "foo[250ms]",
      "foo[2w]",
      "foo[1y]",
      "foo[5m:]",
      "foo[5m:30s]",
      "rate(foo[5m])[1h:1m] offset 1m @ start()",
      "(foo + bar)[10m:]",
      "-foo",
      "+foo",
      "-(foo + bar)",
      "- - foo",
      "-2 ^ 2",
      "(-2) ^ 2",
      "2 ^ 3 ^ 2",
      "(2 ^ 3) ^ 2",
      "1 + 2 * 3",
      "(1 + 2) * 3",
      "1 - 2 - 3",
      "1 - (2 - 3)",
      "foo * 2 + bar / 3 % 4",
      "foo atan2 bar",
      "1 == bool 1",
      "foo > 0",
      "foo >= bool 0",
      "foo < bar",
      "foo <= on (a) bar",
      "foo != ignoring (b) bar",
      "foo == bar",
      "foo and bar",
      "foo or bar unless baz",
      "foo and on (a, b) bar",
      "foo or ignoring (c) bar",
      "foo * on (a) group_left bar",
      "foo * on (a) group_left (b, c) bar",
      "foo / ignoring (a) group_right (d) bar",
      "foo - ignoring () group_left bar",
      "foo + on () bar",
      "sum(foo)",
      "sum by (job) (foo)",
      "sum(foo) by (job)",
      "sum without (job, instance) (foo)",
      "sum by () (foo)",
      "avg(foo) without ()",
      "min(foo)",
      "max(foo)",
      "count(foo)",
      "stddev(foo)",
      "stdvar(foo)",
      "group(foo)",
      "topk(5, foo)",
      "bottomk by (a) (5, foo)",
      "quantile(0.99, foo)",
      "count_values(\"value\", foo)",
      "count_values without (x) ('v', foo)",
      "rate(foo[5m])",
      "irate(foo{job=\"a\"}[1m] offset 1m)",
      "sum by (le) (rate(foo_bucket[5m]))",
      "histogram_quantile(0.9, sum by (le) (rate(foo_bucket[5m])))",
      "label_replace(foo, \"dst\", \"$1\", \"src\", \"(.*)\")",
      "label_join(foo, \"dst\", \",\", \"a\", \"b\")",
      "round(foo, 0.1)",
      "round(foo)",
      "clamp(foo, 0, 1)",
      "time()",
      "pi()",
      "vector(1)",
      "scalar(foo) * 2",
      "year()",
      "day_of_week(foo)",
      "absent(nonexistent{job=\"x\"})",
      "holt_winters(foo[1h], 0.5, 0.5)",
      "predict_linear(foo[1h], 3600)",
      "quantile_over_time(0.5, foo[1h])",
      "max_over_time(rate(foo[5m])[1h:])",
      "sort_desc(sum by (a) (foo))",
      "(foo)",
      "((foo))",
      "sum(foo) / ignoring (x) group_left sum(bar)",
      "foo and (bar or baz)",
      "-sum(foo)",
      "sum(-foo)",
      "1 + -foo",
      "foo offset 5m > bool on (a) bar offset 1h",
      "sum by (on, by) (foo)",
      "sum",
      "offset",
      "by",
      "start + end",
  };
  size_t n = 0;
  for (const char* q : kCorpus) {
    SCOPED_TRACE(q);
    auto first = ParseExpr(q);
    ASSERT_TRUE(first.ok()) << first.status().message();
    std::string s1 = (*first)->ToString();
    auto second = ParseExpr(s1);
    ASSERT_TRUE(second.ok()) << s1 << ": " << second.status().message();
    EXPECT_EQ((*second)->ToString(), s1);
    EXPECT_EQ(Shape(**second), Shape(**first));
    ++n;
  }
  EXPECT_GE(n, 100u);
}

TEST(PromqlParserTest, LexerTokens) {
  std::vector<Token> t = Lex("sum by (a) (rate(x[5m:1m])) > bool 1 # c");
  std::vector<TokenKind> kinds;
  for (const Token& tok : t) kinds.push_back(tok.kind);
  using K = TokenKind;
  EXPECT_EQ(kinds, (std::vector<K>{K::kAggregator, K::kBy, K::kLeftParen, K::kIdentifier,
                                   K::kRightParen, K::kLeftParen, K::kIdentifier, K::kLeftParen,
                                   K::kIdentifier, K::kLeftBracket, K::kDuration, K::kColon,
                                   K::kDuration, K::kRightBracket, K::kRightParen, K::kRightParen,
                                   K::kGtr, K::kBool, K::kNumber, K::kEof}));
  EXPECT_EQ(DescribeToken(t[0]), "<aggr:sum>");
  EXPECT_EQ(DescribeToken(t[1]), "<by>");
  EXPECT_EQ(DescribeToken(t[2]), "\"(\"");
  EXPECT_EQ(DescribeToken(t[3]), "identifier \"a\"");
  EXPECT_EQ(DescribeToken(t[16]), "<op:>>");
  EXPECT_EQ(DescribeToken(t.back()), "end of input");
  EXPECT_EQ(QuoteString("a\"b\\\n\x01\xff"), "\"a\\\"b\\\\\\n\\x01\\xff\"");
}

}  // namespace
}  // namespace perfwatch::query::promql
