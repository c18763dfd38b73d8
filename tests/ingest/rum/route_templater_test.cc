#include "ingest/rum/route_templater.h"

#include <gtest/gtest.h>

namespace perfwatch::ingest {
namespace {

std::unique_ptr<RouteTemplater> Make(std::vector<RouteRule> rules = {}) {
  auto t = RouteTemplater::Create(rules);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return std::move(t).value();
}

struct Case {
  const char* url;
  const char* page;
};

TEST(RouteTemplaterTest, BuiltInRules) {
  auto t = Make();
  const Case cases[] = {
      {"https://shop.example/p/42?q=1", "/p/:id"},
      {"https://shop.example/p/42?q=1#frag", "/p/:id"},
      {"https://shop.example/p/42#frag?x", "/p/:id"},
      {"https://shop.example", "/"},
      {"https://shop.example/", "/"},
      {"https://shop.example?x=1", "/"},
      {"https://shop.example:8443/a/b", "/a/b"},
      {"http://user:pw@host/a", "/a"},
      {"//cdn.example/x/7", "/x/:id"},
      {"/products/123/reviews/456", "/products/:id/reviews/:id"},
      {"/products/", "/products"},
      {"/a//b///c/", "/a/b/c"},
      {"/", "/"},
      {"p/42", "/p/:id"},
      {"?only=query", "unknown"},
      {"", "unknown"},
      {"/o/123e4567-e89b-12d3-a456-426614174000", "/o/:id"},
      {"/o/123E4567-E89B-12D3-A456-426614174000/x", "/o/:id/x"},
      {"/o/123e4567-e89b-12d3-a456-42661417400", "/o/123e4567-e89b-12d3-a456-42661417400"},
      {"/o/123e4567e89b12d3a456426614174000", "/o/:id"},  // 32 hex
      {"/h/0123456789abcdef", "/h/:id"},                   // 16 hex
      {"/h/0123456789ABCDEF0", "/h/:id"},
      {"/h/0123456789abcde", "/h/0123456789abcde"},      // 15 hex: kept
      {"/h/deadbeefdeadbeeg", "/h/deadbeefdeadbeeg"},    // not hex
      {"/v2/items", "/v2/items"},
      {"/p/%34%32", "/p/%34%32"},  // percent-encoding left as is
      {"/p/-1", "/p/-1"},
      {"about:blank", "about:blank"},
      {"file:///home/u/index.html", "/home/u/index.html"},
  };
  for (const Case& c : cases) EXPECT_EQ(t->Template(c.url), c.page) << c.url;
}

TEST(RouteTemplaterTest, AppendsToOutput) {
  auto t = Make();
  std::string out = "x";
  t->Template("/a/1", out);
  EXPECT_EQ(out, "x/a/:id");
}

TEST(RouteTemplaterTest, CustomRulesAfterBuiltIns) {
  auto t = Make({{"[a-z0-9]+(-[a-z0-9]+)+", ":slug"}, {"v[0-9]+", ":version"}, {"1.*", ":never"}});
  EXPECT_EQ(t->Template("/blog/my-first-post"), "/blog/:slug");
  EXPECT_EQ(t->Template("/api/v3/users/17"), "/api/:version/users/:id");  // 17: built-in wins
  EXPECT_EQ(t->Template("/api/v3x"), "/api/v3x");  // must match the whole segment
  EXPECT_EQ(t->Template("/single"), "/single");
}

TEST(RouteTemplaterTest, BadPatternIsInvalidArgument) {
  auto t = RouteTemplater::Create({{"([a-z", ":x"}});
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(t.status().message().find("([a-z"), std::string::npos);
  EXPECT_FALSE(ValidateRouteRules({{"", ":x"}}).ok());
  EXPECT_TRUE(ValidateRouteRules({{"[a-z]+", ":x"}}).ok());
}

TEST(RouteTemplaterTest, LongPathsAreCapped) {
  auto t = Make();
  std::string url = "/";
  for (int i = 0; i < 1000; ++i) url += "segment/";
  std::string page = t->Template(url);
  EXPECT_LE(page.size(), RouteTemplater::kMaxTemplateBytes);
  EXPECT_EQ(page.substr(0, 9), "/segment/");
  // Never splits a UTF-8 character.
  std::string utf8 = "/" + std::string(300, 'a') + "/";
  for (int i = 0; i < 200; ++i) utf8 += "\xC3\xA9";  // é
  page = t->Template(utf8);
  EXPECT_LE(page.size(), RouteTemplater::kMaxTemplateBytes);
  EXPECT_NE(static_cast<unsigned char>(page.back()), 0xC3);
}

// Fuzz regression (route_templater_fuzzer): a path over the size cap ending in a long run
// of UTF-8 continuation bytes made the cut walk back to a '/', leaving a trailing slash (so
// templating a template changed it). The cut now walks back at most 3 bytes and drops a
// trailing slash.
TEST(RouteTemplaterTest, FuzzRegressionCutAtContinuationBytes) {
  auto t = Make({{"[a-z0-9]+(-[a-z0-9]+)+", ":slug"}, {"(a|b)*c", ":abc"}});
  std::string url = "/" + std::string(300, 'g') + "/" + std::string(400, '\x8f') + "/c";
  std::string page = t->Template(url);
  EXPECT_GE(page.size(), RouteTemplater::kMaxTemplateBytes - 3);
  EXPECT_NE(page.back(), '/');
  std::string crash_hex =
      "2f75732f312d612f632f632f63622f312d612f632f2fba39622f312d612f632f63622f312d612f63"
      "2f2fced09e2f030000612f292f63622f312d61a8632f2fced09e2f03000000000000003d622f312d"
      "612d612f632f2fced09e2f030000001000000062622f312d612f632f2fba39622f632f322d312fba"
      "39622f312d612f632f63622f312d712f632f2fced09e2f2f632f63602f312d612f632f2fced09e2f"
      "030000000000000062622f312d612f632f2fba39622f312f632f2fced09e2f2f632f63622f312d61"
      "2f632d612f632f63622f312d612f632f2fced09e2f030000612f2f6363622fced09e2f0300000000"
      "000000622f312d612f632f63622f612f632f2f79632f63030000612f632f6362632f63622f612f63"
      "2f2f79632f63030000612f632f63622f312d612f632f2fced09e2f03000000000000002f312d612f"
      "632f2fced09e2f0300000000000000622f312d612f632f63622f618f8f8f8f8f8f8f8f8f8f8f8f8f"
      "8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f"
      "8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f8f2f632f2f79632f639e";
  std::string crash;
  for (size_t i = 0; i + 1 < crash_hex.size(); i += 2) {
    crash.push_back(static_cast<char>(std::stoi(crash_hex.substr(i, 2), nullptr, 16)));
  }
  page = t->Template(crash);
  EXPECT_NE(page.back(), '/');
  EXPECT_LE(page.size(), RouteTemplater::kMaxTemplateBytes);
}

TEST(RouteTemplaterTest, SegmentClasses) {
  EXPECT_TRUE(IsAllDigits("0"));
  EXPECT_FALSE(IsAllDigits(""));
  EXPECT_FALSE(IsAllDigits("1a"));
  EXPECT_TRUE(IsUuid("00000000-0000-0000-0000-000000000000"));
  EXPECT_FALSE(IsUuid("00000000-0000-0000-0000-00000000000g"));
  EXPECT_FALSE(IsUuid("000000000-000-0000-0000-000000000000"));
  EXPECT_TRUE(IsLongHex("aaaaaaaaaaaaaaaa"));
  EXPECT_FALSE(IsLongHex("aaaaaaaaaaaaaaa"));
}

}  // namespace
}  // namespace perfwatch::ingest
