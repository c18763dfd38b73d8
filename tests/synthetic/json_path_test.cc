// The JSONPath subset of json_path assertions: parsing (and its errors), the canonical
// spelling round trip, lookups of every value kind, missing paths and non-JSON bodies.
#include "synthetic/json_path.h"

#include <gtest/gtest.h>

namespace perfwatch::synthetic {
namespace {

constexpr std::string_view kDoc = R"({
  "status": "ok", "code": 200, "ratio": 1.5, "big": 18446744073709551615, "neg": -3,
  "up": true, "down": false, "none": null,
  "items": [{"name": "a", "tags": ["x", "y"]}, {"name": "b"}],
  "a.b": {"c d": "dotted"}, "quote'key": 1, "esc\"aped": "e\u00e9",
  "empty": {}, "list": []
})";

// The value's text at `path`, "<missing>" or "<error: ...>".
std::string At(std::string_view path, std::string_view doc = kDoc) {
  auto p = ParseJsonPath(path);
  if (!p.ok()) return "<bad path: " + p.status().message() + ">";
  auto v = EvalJsonPath(*p, doc);
  if (!v.ok()) return "<error: " + v.status().message() + ">";
  if (!v->has_value()) return "<missing>";
  return (*v)->text;
}

JsonValue::Kind KindAt(std::string_view path) {
  return (*EvalJsonPath(*ParseJsonPath(path), kDoc))->kind;
}

TEST(JsonPath, ScalarsAsText) {
  EXPECT_EQ(At("$.status"), "ok");
  EXPECT_EQ(At("$.code"), "200");
  EXPECT_EQ(At("$.ratio"), "1.5");
  EXPECT_EQ(At("$.big"), "18446744073709551615");
  EXPECT_EQ(At("$.neg"), "-3");
  EXPECT_EQ(At("$.up"), "true");
  EXPECT_EQ(At("$.down"), "false");
  EXPECT_EQ(At("$.none"), "null");
  EXPECT_EQ(KindAt("$.status"), JsonValue::Kind::kString);
  EXPECT_EQ(KindAt("$.code"), JsonValue::Kind::kNumber);
  EXPECT_EQ(KindAt("$.up"), JsonValue::Kind::kBool);
  EXPECT_EQ(KindAt("$.none"), JsonValue::Kind::kNull);
  EXPECT_EQ(KindAt("$.items"), JsonValue::Kind::kArray);
  EXPECT_EQ(KindAt("$.empty"), JsonValue::Kind::kObject);
}

TEST(JsonPath, NestedKeysIndexesAndQuotedKeys) {
  EXPECT_EQ(At("$.items[0].name"), "a");
  EXPECT_EQ(At("$.items[1].name"), "b");
  EXPECT_EQ(At("$.items[-1].name"), "b");
  EXPECT_EQ(At("$.items[0].tags[1]"), "y");
  EXPECT_EQ(At("$['items'][0]['name']"), "a");
  EXPECT_EQ(At(R"($["items"][0]["name"])"), "a");
  EXPECT_EQ(At("$['a.b']['c d']"), "dotted");
  EXPECT_EQ(At(R"($['quote\'key'])"), "1");
  EXPECT_EQ(At(R"($['esc"aped'])"), "e\xc3\xa9");  // keys and strings unescaped
  EXPECT_EQ(At("$.items[0]"), R"({"name":"a","tags":["x","y"]})");
  EXPECT_EQ(At("$.empty"), "{}");
  EXPECT_EQ(At("$.list"), "[]");
  EXPECT_EQ(At("$", "[1, 2]"), "[1,2]");
  EXPECT_EQ(At("$", "\"just a string\""), "just a string");
  EXPECT_EQ(At("$[0]", "[7]"), "7");
}

TEST(JsonPath, MissingPathsAreNotFound) {
  EXPECT_EQ(At("$.nope"), "<missing>");
  EXPECT_EQ(At("$.items[2]"), "<missing>");
  EXPECT_EQ(At("$.items[-3]"), "<missing>");
  EXPECT_EQ(At("$.status.length"), "<missing>");  // a key of a string
  EXPECT_EQ(At("$.code[0]"), "<missing>");
  EXPECT_EQ(At("$.items.name"), "<missing>");     // no implicit mapping over arrays
  EXPECT_EQ(At("$[0]"), "<missing>");             // an index into an object
  EXPECT_EQ(At("$.list[0]"), "<missing>");
}

TEST(JsonPath, BodiesThatAreNotJson) {
  EXPECT_EQ(At("$.a", "<html>").rfind("<error: body is not JSON: ", 0), 0u) << At("$.a", "<html>");
  EXPECT_EQ(At("$.a", "").rfind("<error: body is not JSON: ", 0), 0u);
  EXPECT_EQ(At("$.a", R"({"a": 1)").rfind("<error: body is not JSON: ", 0), 0u);
}

TEST(JsonPath, ParseErrorsSayWhereAndWhat) {
  EXPECT_EQ(ParseJsonPath("status").status().message(), "json_path \"status\": must start with $ at offset 0");
  EXPECT_EQ(ParseJsonPath("").status().message(), "json_path \"\": must start with $ at offset 0");
  EXPECT_EQ(ParseJsonPath("$.").status().message(), "json_path \"$.\": expected a key after '.' at offset 2");
  EXPECT_EQ(ParseJsonPath("$..a").status().message(), "json_path \"$..a\": expected a key after '.' at offset 2");
  EXPECT_EQ(ParseJsonPath("$.a[").status().message(),
            "json_path \"$.a[\": expected an index or a quoted key at offset 4");
  EXPECT_EQ(ParseJsonPath("$.a[1").status().message(), "json_path \"$.a[1\": expected ']' at offset 5");
  EXPECT_EQ(ParseJsonPath("$['a").status().message(), "json_path \"$['a\": unterminated quoted key at offset 4");
  EXPECT_EQ(ParseJsonPath("$[*]").status().message(),
            "json_path \"$[*]\": expected an index or a quoted key at offset 2");
  EXPECT_EQ(ParseJsonPath("$a").status().message(), "json_path \"$a\": unexpected 'a' at offset 1");
  EXPECT_EQ(ParseJsonPath("$[99999999999999999999]").status().message(),
            "json_path \"$[99999999999999999999]\": index out of range at offset 2");
}

TEST(JsonPath, CanonicalSpellingParsesBack) {
  for (std::string_view p : {"$", "$.a", "$.a[0].b", "$['a.b'][-2]", R"($['it\'s']["x\\y"])", "$['']", "$.a-b_c"}) {
    auto parsed = ParseJsonPath(p);
    ASSERT_TRUE(parsed.ok()) << p << ": " << parsed.status().message();
    std::string canonical = parsed->ToString();
    auto again = ParseJsonPath(canonical);
    ASSERT_TRUE(again.ok()) << canonical;
    EXPECT_EQ(again->segments, parsed->segments) << p << " -> " << canonical;
  }
  EXPECT_EQ(ParseJsonPath("$['a']['b c'][3]")->ToString(), "$.a['b c'][3]");
}

}  // namespace
}  // namespace perfwatch::synthetic
