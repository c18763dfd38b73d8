#include "tsdb/matcher.h"

#include <gtest/gtest.h>

namespace perfwatch::tsdb {
namespace {

std::string Render(const std::vector<Matcher>& ms) {
  std::string out;
  for (const auto& m : ms) {
    if (!out.empty()) out += ",";
    out += m.ToString();
  }
  return out;
}

TEST(MatcherTest, Semantics) {
  auto eq = *Matcher::Make(MatchType::kEqual, "a", "x");
  auto ne = *Matcher::Make(MatchType::kNotEqual, "a", "x");
  auto re = *Matcher::Make(MatchType::kRegexMatch, "a", "x|y.*");
  auto nre = *Matcher::Make(MatchType::kRegexNoMatch, "a", "x|y.*");
  EXPECT_TRUE(eq.Matches("x"));
  EXPECT_FALSE(eq.Matches("xx"));
  EXPECT_TRUE(ne.Matches("y"));
  EXPECT_TRUE(re.Matches("x"));
  EXPECT_TRUE(re.Matches("yzz"));
  EXPECT_FALSE(re.Matches("ax"));  // fully anchored
  EXPECT_FALSE(re.Matches("xa"));
  EXPECT_TRUE(nre.Matches("ax"));
  EXPECT_FALSE(eq.MatchesEmpty());
  EXPECT_TRUE(ne.MatchesEmpty());
  EXPECT_FALSE(re.MatchesEmpty());
  EXPECT_TRUE(nre.MatchesEmpty());
  EXPECT_TRUE(Matcher::Make(MatchType::kRegexMatch, "a", ".*")->MatchesEmpty());
  // Dot matches newlines as in Prometheus.
  EXPECT_TRUE(Matcher::Make(MatchType::kRegexMatch, "a", "a.b")->Matches("a\nb"));
  EXPECT_FALSE(Matcher::Make(MatchType::kRegexMatch, "a", "(").ok());
}

TEST(SelectorParserTest, GoodInputs) {
  struct Case {
    std::string in, want;
  } cases[] = {
      {"up", "__name__=\"up\""},
      {"  up  ", "__name__=\"up\""},
      {"job:rate5m{a=\"b\"}", "__name__=\"job:rate5m\",a=\"b\""},
      {"up{job=\"api\", inst!=\"x\", path=~\"/a.*\", code!~'5..'}",
       "__name__=\"up\",job=\"api\",inst!=\"x\",path=~\"/a.*\",code!~\"5..\""},
      {"{__name__=~\"http_.*\"}", "__name__=~\"http_.*\""},
      {"up{job=\"a\",}", "__name__=\"up\",job=\"a\""},
      {"up { job = \"a\" }", "__name__=\"up\",job=\"a\""},
      {"{a=\"x\\\"y\\\\z\\n\"}", "a=\"x\\\"y\\\\z\\n\""},
      {"{a='it\\'s'}", "a=\"it's\""},
      {"{a=`raw\\d+`}", "a=\"raw\\\\d+\""},
      {"{a=\"\\u00e9\\x41\\101\"}", "a=\"\xc3\xa9" "AA\""},
      {"up{}", "__name__=\"up\""},
  };
  for (const auto& c : cases) {
    auto r = ParseSelector(c.in);
    ASSERT_TRUE(r.ok()) << c.in << ": " << r.status().ToString();
    EXPECT_EQ(Render(*r), c.want) << c.in;
  }
  auto raw = ParseSelector("{a=`x\\d`}");
  EXPECT_EQ((*raw)[0].value(), "x\\d");
}

TEST(SelectorParserTest, BadInputsNamePosition) {
  struct Case {
    std::string in, want;  // substring of the message
  } cases[] = {
      {"", "1:1: parse error: empty selector"},
      {"{}", "at least one non-empty matcher"},
      {"{a=\"\"}", "at least one non-empty matcher"},
      {"{a!=\"x\"}", "at least one non-empty matcher"},
      {"{a=~\".*\"}", "at least one non-empty matcher"},
      {"up{", "1:4: parse error: unexpected end of input"},
      {"up{job}", "1:7: parse error: expected a matching operator"},
      {"up{job=api}", "1:8: parse error: expected a quoted string"},
      {"up{job=\"api}", "1:13: parse error: unterminated quoted string"},
      {"up{job=\"a\" x=\"b\"}", "1:12: parse error: unexpected character 'x', expected ',' or '}'"},
      {"up{1a=\"b\"}", "1:4: parse error: expected a label name"},
      {"up{a=~\"(\"}", "1:7: parse error: invalid regular expression"},
      {"up{a=\"\\q\"}", "1:7: parse error: unknown escape sequence \\q"},
      {"up{a=\"\\x4\"}", "1:7: parse error: invalid escape sequence \\x"},
      {"up{__name__=\"x\"}", "1:4: parse error: metric name must not be set twice"},
      {"up}", "1:3: parse error: unexpected character '}' after selector"},
      {"9up", "1:1: parse error: unexpected character '9'"},
      {"up{a=\"b\"} extra", "1:11: parse error: unexpected character 'e' after selector"},
  };
  for (const auto& c : cases) {
    auto r = ParseSelector(c.in);
    ASSERT_FALSE(r.ok()) << c.in;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.want), std::string::npos) << c.in << " -> " << r.status().message();
  }
}

}  // namespace
}  // namespace perfwatch::tsdb
