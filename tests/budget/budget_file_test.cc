// perfwatch-budget.json: Lighthouse's budget.json keys and validation, perfwatch's keys,
// error messages that name the field and the line, robots.txt paths with the last
// matching budget winning, bundle globs, and the example files of docs/ parsing.
#include "budget/budget_file.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "budget/json_tree.h"
#include "support/temp_dir.h"

namespace perfwatch::budget {
namespace {

// The repository's docs/: __FILE__ is relative to the build directory under Ninja, so
// fall back to the binary's place (<repo>/build-x/tests/budget_tests).
std::filesystem::path DocsDir() {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path from_source = fs::path(__FILE__).parent_path().parent_path().parent_path() / "docs";
  if (fs::exists(from_source / "budgets.md", ec)) return from_source;
  fs::path exe = fs::canonical("/proc/self/exe", ec);
  for (fs::path p = exe.parent_path(); !p.empty() && p != p.root_path(); p = p.parent_path()) {
    if (fs::exists(p / "docs" / "budgets.md", ec)) return p / "docs";
  }
  return from_source;
}

std::string Error(std::string_view text) {
  auto r = ParseBudgetFile(text);
  return r.ok() ? "OK" : r.status().message();
}

TEST(BudgetFile, ParsesLighthouseBudgetJson) {
  // The example of Lighthouse's docs/performance-budgets.md (web.dev "Use Lighthouse for
  // performance budgets"), plus options.
  auto f = ParseBudgetFile(R"([
  {
    "path": "/*",
    "options": {"firstPartyHostnames": ["*.example.com", "cdn.example.org"]},
    "timings": [
      {"metric": "interactive", "budget": 5000},
      {"metric": "first-meaningful-paint", "budget": 2000}
    ],
    "resourceSizes": [
      {"resourceType": "script", "budget": 125},
      {"resourceType": "total", "budget": 300}
    ],
    "resourceCounts": [
      {"resourceType": "third-party", "budget": 10}
    ]
  }
])");
  ASSERT_TRUE(f.ok()) << f.status().message();
  ASSERT_EQ(f->budgets.size(), 1u);
  const Budget& b = f->budgets[0];
  EXPECT_EQ(*b.path, "/*");
  EXPECT_EQ(b.first_party_hostnames.size(), 2u);
  ASSERT_EQ(b.timings.size(), 2u);
  EXPECT_EQ(b.timings[0].name, "interactive");
  EXPECT_EQ(b.timings[0].budget, 5000);
  EXPECT_EQ(b.timings[0].tolerance, 0);
  ASSERT_EQ(b.resource_sizes.size(), 2u);
  EXPECT_EQ(b.resource_sizes[1].name, "total");
  EXPECT_EQ(b.resource_sizes[1].budget, 300);
  ASSERT_EQ(b.resource_counts.size(), 1u);
  EXPECT_EQ(b.resource_counts[0].name, "third-party");
  EXPECT_FALSE(b.field);
  EXPECT_FALSE(b.score);
}

TEST(BudgetFile, ParsesPerfwatchKeys) {
  auto f = ParseBudgetFile(R"([
  {"timings": [{"metric": "largest-contentful-paint", "budget": 2500, "tolerance": 250}],
   "field": {"window": "7d", "min_samples": 50,
             "vitals": [{"metric": "lcp", "budget": 2500}, {"metric": "CLS", "budget": 0.1, "tolerance": 0.02}]},
   "bundles": [{"path": "assets/index-*.js", "gzip": 100, "brotli": 90},
               {"path": "**/*.css", "raw": 50, "max_growth": 0.1}],
   "score": 90}
])");
  ASSERT_TRUE(f.ok()) << f.status().message();
  const Budget& b = f->budgets[0];
  EXPECT_FALSE(b.path);
  EXPECT_EQ(b.timings[0].tolerance, 250);
  ASSERT_TRUE(b.field);
  EXPECT_EQ(b.field->window, "7d");
  EXPECT_EQ(b.field->window_ms, 7LL * 24 * 3600 * 1000);
  EXPECT_EQ(b.field->min_samples, 50);
  ASSERT_EQ(b.field->vitals.size(), 2u);
  EXPECT_EQ(b.field->vitals[0].name, "LCP");  // case-insensitive, stored upper case
  EXPECT_EQ(b.field->vitals[1].tolerance, 0.02);
  ASSERT_EQ(b.bundles.size(), 2u);
  EXPECT_EQ(*b.bundles[0].gzip_kb, 100);
  EXPECT_FALSE(b.bundles[0].raw_kb);
  EXPECT_EQ(b.bundles[0].max_growth, 0.2);  // the seeds' 20 %
  EXPECT_EQ(b.bundles[1].max_growth, 0.1);
  EXPECT_EQ(*b.score, 90);
}

TEST(BudgetFile, FieldDefaults) {
  auto f = ParseBudgetFile(R"([{"field": {"vitals": [{"metric": "INP", "budget": 200}]}}])");
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->budgets[0].field->window, "28d");
  EXPECT_EQ(f->budgets[0].field->min_samples, 100);
}

TEST(BudgetFile, ErrorsNameTheFieldAndLine) {
  EXPECT_EQ(Error("[\n  {\"timings\": [\n    {\"metric\": \"lcp\", \"budget\": 1}]}]"),
            "budgets[0].timings[0].metric (line 3, column 16): unknown timing metric \"lcp\" (valid: "
            "first-contentful-paint, interactive, first-meaningful-paint, max-potential-fid, total-blocking-time, "
            "speed-index, largest-contentful-paint, cumulative-layout-shift)");
  EXPECT_EQ(Error("[{\"resourceSizes\": [{\"resourceType\": \"script\", \"budget\": \"125\"}]}]"),
            "budgets[0].resourceSizes[0].budget (line 1, column 58): expected a number, found a string");
  EXPECT_EQ(Error("[{},\n {\"pathh\": \"/\"}]"),
            "budgets[1] (line 2, column 3): unknown key \"pathh\" (allowed: path, options, resourceSizes, "
            "resourceCounts, timings, field, bundles, score)");
  EXPECT_EQ(Error("{\"timings\": []}"),
            "budgets (line 1, column 1): Budget file is not defined as an array of budgets (found an object)");
  EXPECT_EQ(Error("[\n  {\"timings\": [],}\n]"), "line 2, column 18: trailing comma before '}'");
  EXPECT_EQ(Error(""), "line 1, column 1: the file is empty (expected a JSON array of budgets)");
  EXPECT_EQ(Error("[{\"score\": 90, \"score\": 80}]"), "line 1, column 16: duplicate key \"score\"");
  EXPECT_EQ(Error("[{\"score\": 120}]"), "budgets[0].score (line 1, column 12): a performance score is between 0 and 100");
  EXPECT_EQ(Error("[{\"field\": {\"window\": \"soon\"}}]"),
            "budgets[0].field.window (line 1, column 23): invalid duration \"soon\" (e.g. \"7d\", \"28d\", \"24h\")");
  EXPECT_EQ(Error("[{\"field\": {\"vitals\": [{\"metric\": \"FID\", \"budget\": 100}]}}]"),
            "budgets[0].field.vitals[0].metric (line 1, column 35): unknown vital \"FID\" (valid: LCP, INP, CLS, FCP, "
            "TTFB)");
  EXPECT_EQ(Error("[{\"bundles\": [{\"gzip\": 10}]}]"),
            "budgets[0].bundles[0] (line 1, column 15): missing \"path\" (a file or glob relative to --bundles)");
  EXPECT_EQ(Error("[{\"bundles\": [{\"path\": \"../x.js\"}]}]"),
            "budgets[0].bundles[0].path (line 1, column 24): must be relative to the --bundles folder, without '..'");
  EXPECT_EQ(Error("[{\"timings\": [{\"metric\": \"interactive\", \"budget\": -1}]}]"),
            "budgets[0].timings[0].budget (line 1, column 51): must not be negative");
  // Far beyond int64 (the fuzzing campaign's finding: the conversion was undefined).
  EXPECT_EQ(Error("[{\"field\": {\"min_samples\": 5e45}}]"),
            "budgets[0].field.min_samples (line 1, column 28): expected a whole number");
  EXPECT_EQ(Error("[{\"field\": {\"min_samples\": 2.5}}]"),
            "budgets[0].field.min_samples (line 1, column 28): expected a whole number");
}

TEST(BudgetFile, LighthouseValidationRules) {
  // Duplicates within one list (Lighthouse: assertNoDuplicateStrings).
  EXPECT_NE(Error(R"([{"resourceSizes": [{"resourceType": "script", "budget": 1},
                                         {"resourceType": "script", "budget": 2}]}])")
                .find("duplicate entry of type 'script'"),
            std::string::npos);
  // Unknown keys inside an entry (assertNoExcessProperties); tolerance is perfwatch's.
  EXPECT_NE(Error(R"([{"timings": [{"metric": "interactive", "budget": 1, "limit": 2}]}])").find("unknown key \"limit\""),
            std::string::npos);
  EXPECT_NE(Error(R"([{"resourceSizes": [{"resourceType": "video", "budget": 1}]}])").find("unknown resource type \"video\""),
            std::string::npos);
  // validatePath.
  EXPECT_NE(Error(R"([{"path": "products"}])").find("path should start with '/'"), std::string::npos);
  EXPECT_NE(Error(R"([{"path": "/a*b*"}])").find("path should only contain one '*'"), std::string::npos);
  EXPECT_NE(Error(R"([{"path": "/a$$"}])").find("only contain one '$'"), std::string::npos);
  EXPECT_NE(Error(R"([{"path": "/a$b"}])").find("'$' character should only occur at end of path"), std::string::npos);
  EXPECT_NE(Error(R"([{"path": 3}])").find("path should be a string"), std::string::npos);
  // validateHostname.
  EXPECT_NE(Error(R"([{"options": {"firstPartyHostnames": ["a.com/x"]}}])").find("a.com/x is not a valid hostname"),
            std::string::npos);
  EXPECT_NE(Error(R"([{"options": {"firstPartyHostnames": ["x.*.com"]}}])").find("is not a valid hostname"),
            std::string::npos);
  EXPECT_EQ(Error(R"([{"options": {"firstPartyHostnames": ["*.a.com", "b.org"]}}])"), "OK");
  EXPECT_EQ(Error("[]"), "OK");
}

TEST(BudgetFile, JsonReaderIsStrict) {
  EXPECT_FALSE(ParseJsonTree("[01]").ok());
  EXPECT_FALSE(ParseJsonTree("[1,]").ok());
  EXPECT_FALSE(ParseJsonTree("// c\n[]").ok());
  EXPECT_FALSE(ParseJsonTree("[\"\xC3\x28\"]").ok());  // invalid UTF-8
  EXPECT_FALSE(ParseJsonTree("[\"\\ud800\"]").ok());    // lone surrogate
  EXPECT_FALSE(ParseJsonTree(std::string(70, '[') + std::string(70, ']')).ok());
  auto ok = ParseJsonTree("\xEF\xBB\xBF [\"\\u00e9\\ud83d\\ude00\", 1.5e2, true, null]");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->items[0].string, "\xC3\xA9\xF0\x9F\x98\x80");
  EXPECT_EQ(ok->items[1].number, 150);
  EXPECT_EQ(ok->items[3].line, 1);
}

// Lighthouse's Budget.urlMatchesPattern cases (lighthouse core/test/config/budget-test.js).
TEST(BudgetFile, RobotsTxtPaths) {
  EXPECT_TRUE(PathMatchesPattern("/anything", "/"));
  EXPECT_TRUE(PathMatchesPattern("/cat/dog", "/cat"));
  EXPECT_TRUE(PathMatchesPattern("/cats", "/cat"));
  EXPECT_FALSE(PathMatchesPattern("/dog/cat", "/cat"));
  EXPECT_TRUE(PathMatchesPattern("/fish.php", "/fish.php$"));
  EXPECT_FALSE(PathMatchesPattern("/fish.php?id=1", "/fish.php$"));
  EXPECT_TRUE(PathMatchesPattern("/vendor-abc-chunk.js", "/vendor*chunk"));
  EXPECT_TRUE(PathMatchesPattern("/vendor-chunk-x.js", "/vendor*chunk"));
  EXPECT_FALSE(PathMatchesPattern("/vendo-chunk", "/vendor*chunk"));
  EXPECT_TRUE(PathMatchesPattern("/vendor/a/chunk.js", "/vendor*chunk.js$"));
  EXPECT_FALSE(PathMatchesPattern("/vendor/a/chunk.js?x", "/vendor*chunk.js$"));
  EXPECT_TRUE(PathMatchesPattern("/search?q=1", "/*?q="));
  EXPECT_EQ(UrlPathAndQuery("https://shop.example:8080/p/1?x=2#frag"), "/p/1?x=2");
  EXPECT_EQ(UrlPathAndQuery("http://127.0.0.1:9000"), "/");
  EXPECT_EQ(UrlPathAndQuery("http://h?q"), "/?q");
  EXPECT_EQ(UrlPathAndQuery("/p/:id"), "/p/:id");
}

TEST(BudgetFile, LastMatchingBudgetWins) {
  auto f = ParseBudgetFile(R"([
    {"timings": [{"metric": "interactive", "budget": 1}]},
    {"path": "/products", "timings": [{"metric": "interactive", "budget": 2}]},
    {"path": "/products/*/reviews", "timings": [{"metric": "interactive", "budget": 3}]},
    {"path": "/about$", "timings": [{"metric": "interactive", "budget": 4}]}
  ])");
  ASSERT_TRUE(f.ok()) << f.status().message();
  auto budget_for = [&](const char* path) {
    const Budget* b = MatchingBudget(*f, path);
    return b ? b->timings[0].budget : -1;
  };
  EXPECT_EQ(budget_for("/"), 1);
  EXPECT_EQ(budget_for("/about/team"), 1);
  EXPECT_EQ(budget_for("/about"), 4);
  EXPECT_EQ(budget_for("/products/42"), 2);
  EXPECT_EQ(budget_for("/products/42/reviews"), 3);
  // Order decides, not specificity: a catch-all listed last wins everywhere.
  auto g = ParseBudgetFile(R"([{"path": "/products", "score": 50}, {"path": "/", "score": 70}])");
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(*MatchingBudget(*g, "/products/1")->score, 70);
  auto h = ParseBudgetFile(R"([{"path": "/products", "score": 50}])");
  EXPECT_EQ(MatchingBudget(*h, "/about"), nullptr);
}

TEST(BudgetFile, BundleGlobs) {
  EXPECT_TRUE(BundleGlobMatch("assets/index-*.js", "assets/index-abc123.js"));
  EXPECT_FALSE(BundleGlobMatch("assets/index-*.js", "assets/index-abc123.js.map"));
  EXPECT_FALSE(BundleGlobMatch("assets/*.js", "assets/sub/a.js"));  // '*' stays in a segment
  EXPECT_TRUE(BundleGlobMatch("**/*.js", "a.js"));
  EXPECT_TRUE(BundleGlobMatch("**/*.js", "assets/sub/a.js"));
  EXPECT_TRUE(BundleGlobMatch("assets/**", "assets/sub/a.js"));
  EXPECT_TRUE(BundleGlobMatch("assets/?.css", "assets/a.css"));
  EXPECT_FALSE(BundleGlobMatch("assets/?.css", "assets/ab.css"));
  EXPECT_TRUE(BundleGlobMatch("index.html", "index.html"));
  EXPECT_FALSE(BundleGlobMatch("index.html", "sub/index.html"));
}

// Every ```json block in docs/budgets.md that is a budget file (starts with '[') parses,
// and so does the example file next to the schema.
TEST(BudgetFile, DocsExamplesParse) {
  const std::filesystem::path docs = DocsDir();
  std::ifstream in(docs / "budgets.md");
  ASSERT_TRUE(in) << "docs/budgets.md missing";
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string md = ss.str();
  int examples = 0;
  for (size_t pos = 0; (pos = md.find("```json\n", pos)) != std::string::npos;) {
    pos += 8;
    size_t end = md.find("```", pos);
    ASSERT_NE(end, std::string::npos);
    std::string block = md.substr(pos, end - pos);
    pos = end + 3;
    if (block.empty() || block[0] != '[') continue;
    ++examples;
    auto r = ParseBudgetFile(block);
    EXPECT_TRUE(r.ok()) << r.status().message() << "\n" << block;
  }
  EXPECT_GE(examples, 2);
  // The schema itself is valid JSON with the keys the parser accepts.
  std::ifstream schema_in(docs / "perfwatch-budget.schema.json");
  ASSERT_TRUE(schema_in);
  std::stringstream schema;
  schema << schema_in.rdbuf();
  auto tree = ParseJsonTree(schema.str());
  ASSERT_TRUE(tree.ok()) << tree.status().message();
  const JsonNode* props = tree->Find("items");
  ASSERT_NE(props, nullptr);
  props = props->Find("properties");
  ASSERT_NE(props, nullptr);
  for (const char* key : {"path", "options", "resourceSizes", "resourceCounts", "timings", "field", "bundles", "score"}) {
    EXPECT_NE(props->Find(key), nullptr) << key;
  }
  EXPECT_EQ(props->members.size(), 8u);
}

// The docs' examples also validate against the published JSON Schema, and the schema
// rejects what the parser rejects (checked with Python's jsonschema when installed).
TEST(BudgetFile, SchemaAgreesWithTheParser) {
  if (std::system("python3 -c 'import jsonschema' 2>/dev/null") != 0) GTEST_SKIP() << "python3-jsonschema not installed";
  const std::filesystem::path docs = DocsDir();
  const std::string script = R"PY(
import json, re, sys, jsonschema
docs = sys.argv[1]
schema = json.load(open(docs + '/perfwatch-budget.schema.json'))
jsonschema.Draft202012Validator.check_schema(schema)
for block in re.findall(r'```json\n(.*?)```', open(docs + '/budgets.md').read(), re.S):
    if block.startswith('['):
        jsonschema.validate(json.loads(block), schema)
for bad in ['[{"path": "x"}]', '[{"score": 101}]', '[{"timings": [{"metric": "lcp", "budget": 1}]}]',
            '[{"pathh": "/"}]', '[{"path": "/a*b*"}]', '[{"bundles": [{"path": "../a.js"}]}]',
            '[{"field": {"vitals": [{"metric": "FID", "budget": 1}]}}]']:
    try:
        jsonschema.validate(json.loads(bad), schema)
        sys.exit('schema accepts ' + bad)
    except jsonschema.ValidationError:
        pass
for good in ['[]', '[{"field": {"vitals": [{"metric": "lcp", "budget": 1}]}}]', '[{"path": "/a*b$"}]']:
    jsonschema.validate(json.loads(good), schema)
)PY";
  testing::TempDir tmp("pw-schema-");
  const std::string file = tmp.Write("check.py", script);
  const std::string cmd = "python3 " + file + " " + docs.string() + " 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  for (const char* bad : {R"([{"path": "x"}])", R"([{"score": 101}])", R"([{"timings": [{"metric": "lcp", "budget": 1}]}])",
                          R"([{"pathh": "/"}])", R"([{"path": "/a*b*"}])", R"([{"bundles": [{"path": "../a.js"}]}])",
                          R"([{"field": {"vitals": [{"metric": "FID", "budget": 1}]}}])"}) {
    EXPECT_FALSE(ParseBudgetFile(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace perfwatch::budget
