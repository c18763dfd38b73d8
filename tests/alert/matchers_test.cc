// Matcher parsing, matching and printing with Alertmanager 0.25's semantics
// (pkg/labels/parse.go, matcher.go).
#include <gtest/gtest.h>

#include "alert/am_config.h"

namespace perfwatch::alert {
namespace {

Matcher MustParse(std::string_view s) {
  auto m = ParseMatcher(s);
  EXPECT_TRUE(m.ok()) << s << ": " << m.status().message();
  return m.ok() ? *m : Matcher{};
}

std::string ParseErr(std::string_view s) {
  auto m = ParseMatchers(s);
  EXPECT_FALSE(m.ok()) << s;
  return m.ok() ? "" : m.status().message();
}

std::string Printed(std::string_view s) {
  auto m = ParseMatchers(s);
  EXPECT_TRUE(m.ok()) << s << ": " << m.status().message();
  return m.ok() ? MatchersToString(*m) : "";
}

TEST(MatcherParse, Operators) {
  Matcher m = MustParse(R"(job="api")");
  EXPECT_EQ(m.name, "job");
  EXPECT_EQ(m.type, Matcher::Type::kEqual);
  EXPECT_EQ(m.value, "api");
  EXPECT_EQ(m.re, nullptr);
  EXPECT_EQ(MustParse("a!=b").type, Matcher::Type::kNotEqual);
  EXPECT_EQ(MustParse("a=~b").type, Matcher::Type::kRegexp);
  EXPECT_NE(MustParse("a=~b").re, nullptr);
  EXPECT_EQ(MustParse("a!~b").type, Matcher::Type::kNotRegexp);
  // '=~' wins over '='; "==" is '=' with the value "=b".
  EXPECT_EQ(MustParse("a==b").value, "=b");
  EXPECT_EQ(MustParse("a=~~b").value, "~b");
}

TEST(MatcherParse, WhitespaceAndUnquoted) {
  Matcher m = MustParse(" \t foo \n =  bar baz \r ");
  EXPECT_EQ(m.name, "foo");
  EXPECT_EQ(m.value, "bar baz");
  EXPECT_EQ(MustParse("a=").value, "");
  EXPECT_EQ(MustParse(R"(a="")").value, "");
  EXPECT_EQ(MustParse("a=   ").value, "");
  // Colons are allowed in matcher names (Alertmanager's regex), not digits first.
  EXPECT_EQ(MustParse("ns:metric=x").name, "ns:metric");
  EXPECT_EQ(MustParse("_a1=x").name, "_a1");
}

TEST(MatcherParse, Escapes) {
  EXPECT_EQ(MustParse(R"(a="x\"y")").value, "x\"y");
  EXPECT_EQ(MustParse(R"(a="x\\y")").value, "x\\y");
  EXPECT_EQ(MustParse(R"(a="x\ny")").value, "x\ny");
  // A spurious escape keeps the backslash; a trailing backslash is literal.
  EXPECT_EQ(MustParse(R"(a="x\ty")").value, "x\\ty");
  EXPECT_EQ(MustParse(R"(a=x\)").value, "x\\");
  EXPECT_EQ(MustParse(R"(a=x\"y)").value, "x\"y");
  // Literal line feeds are tolerated.
  EXPECT_EQ(MustParse("a=\"x\ny\"").value, "x\ny");
  EXPECT_EQ(MustParse("a=\"h\xC3\xA9\"").value, "h\xC3\xA9");
}

TEST(MatcherParse, Errors) {
  EXPECT_EQ(ParseMatcher("").status().message(), "bad matcher format: ");
  EXPECT_EQ(ParseMatcher("1a=b").status().message(), "bad matcher format: 1a=b");
  EXPECT_EQ(ParseMatcher("a b=c").status().message(), "bad matcher format: a b=c");
  EXPECT_EQ(ParseMatcher("a~b").status().message(), "bad matcher format: a~b");
  EXPECT_EQ(ParseMatcher("a-b=c").status().message(), "bad matcher format: a-b=c");
  EXPECT_EQ(ParseMatcher("foo").status().message(), "bad matcher format: foo");
  EXPECT_EQ(ParseMatcher(R"(a="b)").status().message(),
            R"(matcher value contains unescaped double quote: "b)");
  EXPECT_EQ(ParseMatcher(R"(a=")").status().message(),
            R"(matcher value contains unescaped double quote: ")");
  EXPECT_EQ(ParseMatcher(R"(a=b")").status().message(),
            R"(matcher value contains unescaped double quote: b")");
  EXPECT_EQ(ParseMatcher(R"(a="b"c")").status().message(),
            R"(matcher value contains unescaped double quote: "b"c")");
  EXPECT_EQ(ParseMatcher("a=\"\xff\"").status().message(),
            "matcher value not valid UTF-8: \"\xff\"");
  auto bad_re = ParseMatcher("a=~(b");
  ASSERT_FALSE(bad_re.ok());
  EXPECT_EQ(bad_re.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(bad_re.status().message().starts_with("error parsing regexp: "))
      << bad_re.status().message();
}

TEST(MatcherParse, Lists) {
  auto ms = ParseMatchers(R"({foo = "bar", dings != "bums", })");
  ASSERT_TRUE(ms.ok()) << ms.status().message();
  ASSERT_EQ(ms->size(), 2u);
  EXPECT_EQ((*ms)[0].ToString(), R"(foo="bar")");
  EXPECT_EQ((*ms)[1].ToString(), R"(dings!="bums")");
  EXPECT_EQ(Printed("foo=bar,dings!=bums"), R"({foo="bar",dings!="bums"})");
  EXPECT_EQ(Printed("foo=bar, dings!=bums"), R"({foo="bar",dings!="bums"})");
  // Commas inside quotes do not split; escaped quotes do not end the quoted part.
  EXPECT_EQ(Printed(R"({quote="She said: \"Hi, ladies!\""})"),
            R"({quote="She said: \"Hi, ladies!\""})");
  EXPECT_EQ(Printed(R"(statuscode=~"5..")"), R"({statuscode=~"5.."})");
  // Braces are optional on either side; an empty list is fine.
  EXPECT_EQ(Printed("{a=b"), R"({a="b"})");
  EXPECT_EQ(Printed("a=b}"), R"({a="b"})");
  EXPECT_EQ(Printed("{}"), "{}");
  EXPECT_EQ(Printed(""), "{}");
  EXPECT_EQ(Printed("  "), "{}");
  // Order is kept (only routes sort).
  EXPECT_EQ(Printed("z=1,a=2"), R"({z="1",a="2"})");
}

TEST(MatcherParse, ListErrors) {
  EXPECT_EQ(ParseErr("a=b,,c=d"), "bad matcher format: ");
  // Tokens before the last keep their spaces (for the message); the last is trimmed.
  EXPECT_EQ(ParseErr("a=b, x ,c=d"), "bad matcher format:  x ");
  EXPECT_EQ(ParseErr("a=b, x "), "bad matcher format: x");
  EXPECT_EQ(ParseErr("{{a=b}"), "bad matcher format: {a=b");
  EXPECT_EQ(ParseErr(R"(a="b,c)"), R"(matcher value contains unescaped double quote: "b,c)");
}

TEST(MatcherMatch, Semantics) {
  EXPECT_TRUE(MustParse("a=b").Matches("b"));
  EXPECT_FALSE(MustParse("a=b").Matches("bb"));
  EXPECT_TRUE(MustParse("a!=b").Matches(""));
  EXPECT_FALSE(MustParse("a!=b").Matches("b"));
  // Regexes are anchored.
  EXPECT_TRUE(MustParse("a=~b.*").Matches("bcd"));
  EXPECT_FALSE(MustParse("a=~b").Matches("abc"));
  EXPECT_FALSE(MustParse("a=~a|b").Matches("ab"));
  EXPECT_TRUE(MustParse("a=~a|b").Matches("b"));
  EXPECT_TRUE(MustParse("a!~b").Matches("abc"));
  EXPECT_FALSE(MustParse("a!~b|c").Matches("c"));
  // '.' does not match a line feed; (?s) makes it.
  EXPECT_FALSE(MustParse("a=~.*").Matches("x\ny"));
  EXPECT_TRUE(MustParse("a=~(?s).*").Matches("x\ny"));
  EXPECT_TRUE(MustParse("a=~(?i)ERROR").Matches("error"));
}

TEST(MatcherMatch, MissingLabelIsEmpty) {
  LabelSet labels = {{"job", "api"}, {"severity", "page"}};
  auto ms = ParseMatchers(R"(job="api",team="")");
  ASSERT_TRUE(ms.ok());
  EXPECT_TRUE(MatchesAll(*ms, labels));
  ms = ParseMatchers(R"(team=~".*")");
  EXPECT_TRUE(MatchesAll(*ms, labels));
  ms = ParseMatchers(R"(team=~".+")");
  EXPECT_FALSE(MatchesAll(*ms, labels));
  ms = ParseMatchers(R"(team!="x", severity="page")");
  EXPECT_TRUE(MatchesAll(*ms, labels));
  EXPECT_TRUE(MatchesAll({}, labels));
  EXPECT_TRUE(MatchesAll({}, {}));
}

TEST(MatcherPrint, OpenMetricsEscaping) {
  auto m = Matcher::Make("job", Matcher::Type::kEqual, "a\"b\\c\nd\te\xC3\xA9");
  ASSERT_TRUE(m.ok());
  // Only backslash, line feed and double quote are escaped (tab and UTF-8 stay).
  EXPECT_EQ(m->ToString(), "job=\"a\\\"b\\\\c\\nd\te\xC3\xA9\"");
  auto re = Matcher::Make("x", Matcher::Type::kNotRegexp, "a|b");
  ASSERT_TRUE(re.ok());
  // The original value is printed, not the anchored regex.
  EXPECT_EQ(re->ToString(), R"(x!~"a|b")");
  // Round trip through the parser.
  auto back = ParseMatcher(m->ToString());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->value, m->value);
}

TEST(MatcherSort, NameThenValueThenType) {
  auto ms = ParseMatchers(R"(b="1", a!="2", a="2", a=~"1", a!~"2")");
  ASSERT_TRUE(ms.ok());
  SortMatchers(*ms);
  EXPECT_EQ(MatchersToString(*ms), R"({a=~"1",a="2",a!="2",a!~"2",b="1"})");
}

TEST(MatcherMake, InvalidRegex) {
  auto m = Matcher::Make("a", Matcher::Type::kRegexp, "(");
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(m.status().message().starts_with("error parsing regexp: "));
  // Not a regex type: any value.
  EXPECT_TRUE(Matcher::Make("a", Matcher::Type::kEqual, "(").ok());
}

}  // namespace
}  // namespace perfwatch::alert
