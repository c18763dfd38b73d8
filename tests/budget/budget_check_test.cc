// The budget check: Lighthouse reports read as Lighthouse's budgets read them, runs
// aggregated as Lighthouse CI does (median, median-run), lab / bundle / field results,
// the baseline comparison with Welch's t-test, and the four output formats.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>

#include "budget/budget_file.h"
#include "budget/check.h"
#include "budget/lighthouse_report.h"
#include "budget/lhr_fixture.h"

namespace perfwatch::budget {
namespace {

LighthouseRun ParseRun(const std::string& json) {
  auto r = ParseLighthouseReport(json);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : LighthouseRun{};
}

BudgetFile File(std::string_view text) {
  auto f = ParseBudgetFile(text);
  EXPECT_TRUE(f.ok()) << f.status().message();
  return f.ok() ? *f : BudgetFile{};
}

const CheckResult* Find(const std::vector<CheckResult>& rs, std::string_view kind, std::string_view name,
                        std::string_view path = "") {
  for (const auto& r : rs) {
    if (r.kind == kind && r.name == name && (path.empty() || r.path == path)) return &r;
  }
  return nullptr;
}

TEST(LighthouseReport, ReadsTimingsResourcesAndScore) {
  LighthouseRun r = ParseRun(Lhr("http://127.0.0.1:8080/shop?x=1", 800, 1200, 1500, 0.05, 20480, 3, 0.93));
  EXPECT_EQ(r.url, "http://127.0.0.1:8080/shop?x=1");
  EXPECT_EQ(r.timings.at("first-contentful-paint"), 800);
  EXPECT_EQ(r.timings.at("largest-contentful-paint"), 1200);
  EXPECT_EQ(r.timings.at("total-blocking-time"), 10);
  EXPECT_DOUBLE_EQ(r.timings.at("cumulative-layout-shift"), 0.05);
  EXPECT_EQ(r.transfer_bytes.at("script"), 20480);
  EXPECT_EQ(r.request_counts.at("script"), 3);
  EXPECT_EQ(r.request_counts.at("total"), 4);
  EXPECT_DOUBLE_EQ(*r.score, 93);
  // Without the metrics audit, each metric audit's numericValue.
  LighthouseRun r2 = ParseRun(Lhr("http://h/", 700, 900, 1000, 0, 1, 1, 1, false));
  EXPECT_EQ(r2.timings.at("largest-contentful-paint"), 900);
  EXPECT_EQ(r2.timings.count("cumulative-layout-shift"), 0u);
}

TEST(LighthouseReport, RejectsWhatIsNotAReport) {
  EXPECT_EQ(ParseLighthouseReport("{\"a\":1}").status().message(), "not a Lighthouse report (no \"lighthouseVersion\")");
  EXPECT_FALSE(ParseLighthouseReport("[]").ok());
  EXPECT_FALSE(ParseLighthouseReport("{").ok());
  auto e = ParseLighthouseReport(
      R"({"lighthouseVersion":"12.2.3","requestedUrl":"http://x/","audits":{},)"
      R"("runtimeError":{"code":"ERRORED_DOCUMENT_REQUEST","message":"Lighthouse was unable to reliably load the page"}})");
  EXPECT_EQ(e.status().message(),
            "Lighthouse could not measure the page: ERRORED_DOCUMENT_REQUEST: Lighthouse was unable to reliably load the "
            "page");
}

TEST(LighthouseReport, MedianAsLighthouseCi) {
  EXPECT_EQ(LhciMedian({3, 1, 2}), 2);
  EXPECT_EQ(LhciMedian({4, 1, 3, 2}), 2.5);  // mean of the middle two
  EXPECT_EQ(LhciMedian({5}), 5);
  std::vector<LighthouseRun> runs = {
      ParseRun(Lhr("http://h/", 1000, 2000, 3000, 0.1, 1000, 1, 0.9)),
      ParseRun(Lhr("http://h/b", 5000, 5000, 5000, 0.5, 5000, 5, 0.1)),  // another URL: its own group
      ParseRun(Lhr("http://h/", 1200, 2600, 2000, 0.0, 3000, 3, 0.7)),
      ParseRun(Lhr("http://h/", 1100, 2200, 9000, 0.3, 2000, 2, 0.8)),
  };
  auto pages = AggregateRuns(runs, Aggregation::kMedian);
  ASSERT_EQ(pages.size(), 2u);
  EXPECT_EQ(pages[0].path, "/");
  EXPECT_EQ(pages[0].runs, 3u);
  EXPECT_EQ(pages[0].timings.at("largest-contentful-paint").value, 2200);
  EXPECT_EQ(pages[0].timings.at("interactive").value, 3000);
  EXPECT_EQ(pages[0].timings.at("largest-contentful-paint").runs, (std::vector<double>{2000, 2600, 2200}));
  EXPECT_EQ(pages[0].transfer_bytes.at("script").value, 2000);
  EXPECT_DOUBLE_EQ(pages[0].score->value, 80);
  EXPECT_EQ(pages[1].runs, 1u);

  // median-run: medians FCP 1100 and TTI 3000 (sorted[floor(n/2)]); distances: run 1
  // (1000, 3000) = 100^2, run 3 (1200, 2000) = 100^2 + 1000^2, run 4 (1100, 9000) = 6000^2:
  // run 1 is representative and gives every value.
  auto rep = AggregateRuns(runs, Aggregation::kMedianRun);
  EXPECT_EQ(rep[0].timings.at("largest-contentful-paint").value, 2000);
  EXPECT_EQ(rep[0].transfer_bytes.at("script").value, 1000);
  EXPECT_DOUBLE_EQ(rep[0].score->value, 90);
}

TEST(BudgetCheck, LabResultsAgainstTheLastMatchingBudget) {
  BudgetFile f = File(R"([
    {"timings": [{"metric": "largest-contentful-paint", "budget": 2500}],
     "resourceSizes": [{"resourceType": "script", "budget": 10}]},
    {"path": "/checkout", "timings": [{"metric": "largest-contentful-paint", "budget": 1500, "tolerance": 100},
                                      {"metric": "cumulative-layout-shift", "budget": 0.1},
                                      {"metric": "speed-index", "budget": 1000}],
     "resourceCounts": [{"resourceType": "script", "budget": 2}], "score": 85}
  ])");
  std::vector<LighthouseRun> runs = {ParseRun(Lhr("http://h/", 900, 2400, 3000, 0, 11264, 2, 0.9)),
                                     ParseRun(Lhr("http://h/checkout", 900, 1580, 3000, 0.12, 1000, 3, 0.84))};
  auto rs = CheckLab(f, AggregateRuns(runs, Aggregation::kMedian));
  ASSERT_EQ(rs.size(), 2u + 5u);
  const CheckResult* lcp = Find(rs, "timing", "largest-contentful-paint", "/");
  ASSERT_NE(lcp, nullptr);
  EXPECT_EQ(lcp->status, "pass");
  EXPECT_EQ(lcp->unit, "ms");
  EXPECT_DOUBLE_EQ(*lcp->headroom_ratio, (2500.0 - 2400) / 2500);
  EXPECT_EQ(lcp->message, "largest-contentful-paint 2400 ms within 2500 ms");
  const CheckResult* size = Find(rs, "resourceSize", "script", "/");
  EXPECT_EQ(size->unit, "KB");
  EXPECT_DOUBLE_EQ(*size->value, 11);  // 11264 bytes = 11 KB of 1024 bytes, as Lighthouse
  EXPECT_EQ(size->status, "fail");
  EXPECT_EQ(size->message, "script size 11.0 KB over 10.0 KB by 1.0 KB");
  // /checkout: only the second budget applies (no merging with the first).
  EXPECT_EQ(Find(rs, "resourceSize", "script", "/checkout"), nullptr);
  const CheckResult* lcp2 = Find(rs, "timing", "largest-contentful-paint", "/checkout");
  EXPECT_EQ(lcp2->status, "pass");  // 1580 <= 1500 + 100
  EXPECT_EQ(lcp2->message, "largest-contentful-paint 1580 ms within 1500 ms + 100 ms tolerance");
  EXPECT_DOUBLE_EQ(*lcp2->headroom_ratio, 20.0 / 1600);
  const CheckResult* cls = Find(rs, "timing", "cumulative-layout-shift", "/checkout");
  EXPECT_EQ(cls->unit, "unitless");
  EXPECT_EQ(cls->status, "fail");
  EXPECT_EQ(Find(rs, "timing", "speed-index")->status, "skipped");  // not in the report
  EXPECT_EQ(Find(rs, "resourceCount", "script")->status, "fail");
  const CheckResult* score = Find(rs, "score", "score");
  EXPECT_EQ(score->source, "lab");
  EXPECT_EQ(score->status, "fail");
  EXPECT_DOUBLE_EQ(*score->headroom_ratio, (84.0 - 85) / 85);
  EXPECT_EQ(score->message, "lab score 84 below the minimum 85");
}

TEST(BudgetCheck, Bundles) {
  BudgetFile f = File(R"([
    {"bundles": [{"path": "assets/*.js", "gzip": 1, "brotli": 2}, {"path": "missing/*.js", "raw": 1}]},
    {"path": "/x", "bundles": [{"path": "index.html"}, {"path": "assets/*.js", "gzip": 0.5}]}
  ])");
  std::vector<FileSize> files = {{"assets/a.js", 3000, 700, 600}, {"assets/b.js", 1000, 400, 350},
                                 {"assets/c.css", 500, 100, 90}, {"index.html", 900, 300, 250}};
  auto rs = CheckBundles(f, files);
  // assets/*.js: the later entry wins (gzip 0.5 KB only); index.html: tracked raw, gzip,
  // brotli without a budget; missing/*.js: matches nothing.
  ASSERT_EQ(rs.size(), 1u + 1u + 3u);
  EXPECT_EQ(rs[0].name, "assets/*.js");
  EXPECT_EQ(rs[0].compression, "gzip");
  EXPECT_EQ(*rs[0].value, 1100);  // the sum of the matched files
  EXPECT_EQ(*rs[0].budget, 512);
  EXPECT_EQ(rs[0].unit, "bytes");
  EXPECT_EQ(rs[0].samples, 2);
  EXPECT_EQ(rs[0].status, "fail");
  EXPECT_EQ(rs[1].name, "missing/*.js");
  EXPECT_EQ(rs[1].status, "fail");
  EXPECT_EQ(rs[1].message, "bundle missing/*.js: no file matches under the --bundles folder");
  EXPECT_EQ(rs[2].name, "index.html");
  EXPECT_EQ(rs[2].status, "pass");
  EXPECT_FALSE(rs[2].budget);
  EXPECT_FALSE(rs[2].headroom_ratio);
}

TEST(BudgetCheck, FieldPerPageWithMinSamples) {
  BudgetFile f = File(R"([
    {"field": {"window": "7d", "min_samples": 10, "vitals": [{"metric": "LCP", "budget": 2500}, {"metric": "CLS", "budget": 0.1}]},
     "score": 80},
    {"path": "/p/*", "field": {"window": "1d", "min_samples": 5, "vitals": [{"metric": "INP", "budget": 200}]}},
    {"path": "/blog", "field": {"vitals": [{"metric": "LCP", "budget": 3000}]}}
  ])");
  std::vector<FieldValue> data = {
      {"/", "LCP", "7d", 2600, 50},   {"/", "CLS", "7d", 0.05, 50},  {"/", "score", "7d", 82, 40},
      {"/", "LCP", "1d", 9999, 50},   // another window: not this page's budget
      {"/p/:id", "INP", "1d", 180, 4}, {"/p/:id", "LCP", "7d", 9999, 50},  // /p/* has no LCP budget
  };
  auto rs = CheckField(f, data);
  const CheckResult* lcp = Find(rs, "field", "LCP", "/");
  ASSERT_NE(lcp, nullptr);
  EXPECT_EQ(lcp->status, "fail");
  EXPECT_EQ(lcp->samples, 50);
  EXPECT_EQ(lcp->message, "field p75 LCP 2600 ms over 2500 ms by 100 ms (50 samples in 7d)");
  EXPECT_EQ(Find(rs, "field", "CLS", "/")->status, "pass");
  EXPECT_EQ(Find(rs, "field", "CLS", "/")->unit, "unitless");
  const CheckResult* score = Find(rs, "score", "score", "/");
  EXPECT_EQ(score->source, "field");
  EXPECT_EQ(score->status, "pass");
  const CheckResult* inp = Find(rs, "field", "INP", "/p/:id");
  EXPECT_EQ(inp->status, "skipped");
  EXPECT_EQ(inp->message, "field p75 INP 180 ms: 4 samples in 1d, fewer than min_samples 5");
  EXPECT_EQ(Find(rs, "field", "LCP", "/p/:id"), nullptr);
  // /blog had no data: one skipped result says so.
  const CheckResult* blog = Find(rs, "field", "LCP", "/blog");
  ASSERT_NE(blog, nullptr);
  EXPECT_EQ(blog->status, "skipped");
  EXPECT_FALSE(blog->value);
  EXPECT_EQ(rs.size(), 5u);
  EXPECT_EQ(FieldWindows(f), (std::vector<std::string>{"7d", "1d", "28d"}));
}

CheckResult Timing(double value, std::vector<double> runs, double tolerance = 0) {
  CheckResult r;
  r.kind = "timing";
  r.path = "/";
  r.name = "largest-contentful-paint";
  r.unit = "ms";
  r.value = value;
  r.budget = 5000;
  r.tolerance = tolerance;
  r.runs = std::move(runs);
  r.status = "pass";
  return r;
}

TEST(BudgetCheck, BaselineRegressionsBeyondToleranceAndNoise) {
  // Single runs: any rise beyond the tolerance fails.
  std::vector<CheckResult> rs = {Timing(1100, {1100}, 50)};
  ApplyBaseline(rs, {Timing(1000, {1000})}, "main");
  EXPECT_EQ(*rs[0].baseline, 1000);
  EXPECT_EQ(rs[0].status, "fail");
  EXPECT_NE(rs[0].message.find("regressed against baseline main: rose from 1000 ms beyond the tolerance 50 ms"),
            std::string::npos);
  rs = {Timing(1040, {1040}, 50)};
  ApplyBaseline(rs, {Timing(1000, {1000})}, "main");
  EXPECT_EQ(rs[0].status, "pass");

  // Several runs: a noisy difference is not significant (Welch p >= 0.05) and passes ...
  rs = {Timing(1100, {900, 1100, 1300})};
  ApplyBaseline(rs, {Timing(1000, {800, 1000, 1200})}, "main");
  EXPECT_EQ(rs[0].status, "pass");
  EXPECT_NE(rs[0].message.find("not significant (Welch p ="), std::string::npos);
  // ... a consistent one fails.
  rs = {Timing(1300, {1290, 1300, 1310})};
  ApplyBaseline(rs, {Timing(1000, {990, 1000, 1010})}, "abc123");
  EXPECT_EQ(rs[0].status, "fail");
  EXPECT_NE(rs[0].message.find("(Welch p ="), std::string::npos);

  // Bundles: growth beyond max_growth (20 % by default).
  CheckResult b;
  b.kind = "bundle";
  b.name = "assets/*.js";
  b.compression = "gzip";
  b.unit = "bytes";
  b.value = 1250;
  CheckResult base = b;
  base.value = 1000;
  rs = {b};
  ApplyBaseline(rs, {base}, "main");
  EXPECT_EQ(rs[0].status, "fail");
  EXPECT_NE(rs[0].message.find("grew +25.0 % from 1000 bytes (max_growth 20 %)"), std::string::npos);
  b.value = 1150;
  rs = {b};
  ApplyBaseline(rs, {base}, "main");
  EXPECT_EQ(rs[0].status, "pass");
  // A different compression is another result: no baseline.
  base.compression = "brotli";
  rs = {b};
  ApplyBaseline(rs, {base}, "main");
  EXPECT_FALSE(rs[0].baseline);

  // Score: higher is better.
  CheckResult s;
  s.kind = "score";
  s.name = "score";
  s.source = "lab";
  s.unit = "score";
  s.value = 80;
  CheckResult sb = s;
  sb.value = 90;
  rs = {s};
  ApplyBaseline(rs, {sb}, "main");
  EXPECT_EQ(rs[0].status, "fail");
  EXPECT_NE(rs[0].message.find("dropped from 90"), std::string::npos);
}

CheckRun SampleRun() {
  CheckRun run;
  run.app = "shop";
  run.commit = "abc123";
  run.branch = "main";
  run.build_id = "42";
  run.time_ms = 1796378400000;  // 2026-12-04T10:00:00Z
  CheckResult lcp = Timing(2400, {2300, 2400, 2500});
  lcp.budget = 2500;
  lcp.headroom_ratio = 0.04;
  lcp.samples = 3;
  lcp.message = "largest-contentful-paint 2400 ms within 2500 ms";
  CheckResult size;
  size.kind = "resourceSize";
  size.path = "/a<b>&\"c\"";
  size.name = "script";
  size.unit = "KB";
  size.value = 180;
  size.budget = 170;
  size.status = "fail";
  size.headroom_ratio = -10.0 / 170;
  size.samples = 3;
  size.message = "script size 180.0 KB over 170.0 KB by 10.0 KB";
  CheckResult field;
  field.kind = "field";
  field.path = "/p/:id";
  field.name = "INP";
  field.unit = "ms";
  field.status = "skipped";
  field.budget = 200;
  field.message = "no data";
  CheckResult bundle;
  bundle.kind = "bundle";
  bundle.name = "assets/*.js";
  bundle.compression = "gzip";
  bundle.unit = "bytes";
  bundle.value = 1000;
  bundle.budget = 2048;
  bundle.headroom_ratio = 0.5;
  bundle.message = "assets/*.js (gzip) 1000 bytes within 2048 bytes";
  run.results = {lcp, size, field, bundle};
  return run;
}

TEST(BudgetCheck, JsonFollowsTheContractAndReadsBack) {
  const CheckRun run = SampleRun();
  const std::string json = RenderJson(run);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(json).get(root), simdjson::SUCCESS) << json;
  EXPECT_EQ(std::string_view(root["app"]), "shop");
  EXPECT_EQ(std::string_view(root["commit"]), "abc123");
  EXPECT_EQ(std::string_view(root["branch"]), "main");
  EXPECT_EQ(std::string_view(root["build_id"]), "42");
  EXPECT_EQ(std::string_view(root["time"]), "2026-12-04T10:00:00Z");
  EXPECT_FALSE(bool(root["passed"]));
  simdjson::dom::element r0 = root["results"].at(0);
  EXPECT_EQ(std::string_view(r0["kind"]), "timing");
  EXPECT_EQ(std::string_view(r0["path"]), "/");
  EXPECT_EQ(std::string_view(r0["name"]), "largest-contentful-paint");
  EXPECT_EQ(double(r0["value"]), 2400);
  EXPECT_EQ(double(r0["budget"]), 2500);
  EXPECT_EQ(double(r0["tolerance"]), 0);
  EXPECT_EQ(std::string_view(r0["unit"]), "ms");
  EXPECT_EQ(std::string_view(r0["status"]), "pass");
  EXPECT_EQ(double(r0["headroom_ratio"]), 0.04);
  EXPECT_EQ(int64_t(r0["samples"]), 3);
  EXPECT_TRUE(r0["baseline"].is_null());
  EXPECT_EQ(std::string_view(r0["message"]), "largest-contentful-paint 2400 ms within 2500 ms");
  EXPECT_EQ(r0["runs"].get_array().size(), 3u);
  EXPECT_EQ(r0["compression"].error(), simdjson::NO_SUCH_FIELD);
  simdjson::dom::element r2 = root["results"].at(2);
  EXPECT_TRUE(r2["value"].is_null());
  EXPECT_TRUE(r2["headroom_ratio"].is_null());
  EXPECT_EQ(std::string_view(root["results"].at(3)["compression"]), "gzip");
  EXPECT_EQ(int64_t(root["summary"]["passed"]), 2);
  EXPECT_EQ(int64_t(root["summary"]["failed"]), 1);
  EXPECT_EQ(int64_t(root["summary"]["skipped"]), 1);

  // What the server stores comes back as the same results (for --baseline).
  auto back = ParseCheckRunJson(R"({"status":"success","data":[)" + json.substr(0, json.size() - 1) + R"(,"id":"7"}]})");
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_EQ(back->results.size(), 4u);
  EXPECT_EQ(back->results[0].runs, (std::vector<double>{2300, 2400, 2500}));
  EXPECT_EQ(back->results[3].compression, "gzip");
  EXPECT_EQ(back->commit, "abc123");
  EXPECT_EQ(ParseCheckRunJson(R"({"status":"success","data":[]})").status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(ParseCheckRunJson(R"({"results":[{"kind":1}]})").ok());
}

TEST(BudgetCheck, JunitNamesTheFailedBudgets) {
  const std::string xml = RenderJunit(SampleRun());
  EXPECT_NE(xml.find(R"(<testsuites name="perfwatch budget check" tests="4" failures="1" skipped="1">)"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find(R"(<testsuite name="timing" tests="1" failures="0" skipped="0">)"), std::string::npos);
  EXPECT_NE(xml.find(R"(<testcase classname="perfwatch.budget.timing" name="/ largest-contentful-paint"/>)"),
            std::string::npos);
  EXPECT_NE(xml.find(R"(<testcase classname="perfwatch.budget.resourceSize" name="/a&lt;b&gt;&amp;&quot;c&quot; script">)"),
            std::string::npos);
  EXPECT_NE(xml.find(R"(<failure type="budget" message="script size 180.0 KB over 170.0 KB by 10.0 KB">)"
                     R"(resourceSize /a&lt;b&gt;&amp;&quot;c&quot; script: value 180.0 KB, budget 170.0 KB</failure>)"),
            std::string::npos);
  EXPECT_NE(xml.find(R"(<skipped message="no data"/>)"), std::string::npos);
  EXPECT_NE(xml.find(R"x(name="assets/*.js (gzip)")x"), std::string::npos);
  // Suites in kind order, only the kinds present.
  EXPECT_LT(xml.find("name=\"timing\""), xml.find("name=\"resourceSize\""));
  EXPECT_EQ(xml.find("name=\"score\""), std::string::npos);
}

TEST(BudgetCheck, MarkdownAndTable) {
  const std::string md = RenderMarkdown(SampleRun());
  EXPECT_EQ(md.rfind("### ❌ Performance budgets: 1 over budget, 2 within, 1 skipped\n", 0), 0u) << md;
  EXPECT_NE(md.find("app `shop` · commit `abc123` · branch `main` · build 42"), std::string::npos);
  EXPECT_NE(md.find("| ❌ | resourceSize | `/a<b>&\"c\"` | script | 180.0 KB | 170.0 KB | -5.9 % |"), std::string::npos);
  EXPECT_NE(md.find("| ✅ | timing | `/` | largest-contentful-paint | 2400 ms | 2500 ms | +4.0 % |"), std::string::npos);
  // Failures first.
  EXPECT_LT(md.find("| ❌ |"), md.find("| ✅ |"));
  EXPECT_NE(md.find("- script size 180.0 KB over 170.0 KB by 10.0 KB"), std::string::npos);

  const std::string table = RenderTable(SampleRun(), false);
  EXPECT_NE(table.find("STATUS"), std::string::npos);
  EXPECT_NE(table.find("FAIL script size 180.0 KB over 170.0 KB by 10.0 KB\n"), std::string::npos) << table;
  EXPECT_NE(table.find("SKIP no data\n"), std::string::npos);
  EXPECT_NE(table.find("OVER BUDGET: 2 passed, 1 failed, 1 skipped\n"), std::string::npos);
  EXPECT_EQ(table.find("\x1b["), std::string::npos);
  EXPECT_NE(RenderTable(SampleRun(), true).find("\x1b[31mfail"), std::string::npos);
}

}  // namespace
}  // namespace perfwatch::budget
