// The report model over a real event store (vitals p75 and their trend against the
// previous period, daily points, slowest pages, score), alert statistics from episodes,
// budget runs from the contract's JSON, finding order, and the three renderers (the HTML
// page references nothing external and has the print rules; the Markdown tables; the
// JSON parses and holds the model's figures).
#include "report/report.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <regex>

#include "events/event_store.h"
#include "events/test_events.h"
#include "report/report_api.h"
#include "report/report_render.h"

namespace perfwatch::report {
namespace {

using events::testing::kHour;
using events::testing::kT0;
using events::testing::OwnedEvent;

constexpr int64_t kDay = 24 * kHour;

class ReportModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = events::EventStore::Open(dir_.path(), events::testing::TestConfig(), nullptr);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }
  void Add(events::Vital v, int64_t t, double value, const std::string& page) {
    OwnedEvent e = events::testing::Vitals(v, t, value, page);
    std::vector<events::EventInput> in = {e.View()};
    ASSERT_TRUE(store_->Append(in).ok());
  }
  ReportSources Sources() const {
    ReportSources s;
    s.events = store_.get();
    return s;
  }

  perfwatch::testing::TempDir dir_;
  std::unique_ptr<events::EventStore> store_;
};

TEST_F(ReportModelTest, VitalsP75TrendDailyAndSlowestPages) {
  // Window: the 2 days before kT0 + 2d; previous: the 2 days before that.
  const int64_t to = kT0 + 2 * kDay;
  // Previous period: LCP 2000..2800 on /home → p75 2600.
  for (int i = 0; i < 5; ++i) Add(events::Vital::kLCP, kT0 - kDay + i * kHour, 2000 + 200 * i, "/home");
  // This period: day 1 on /home 1000, 1200; day 2 on /cart 1400, 1600, 1800 → p75 of
  // {1000..1800} = 1600; per day: day 1 p75 of {1000,1200} = 1150, day 2 of {1400,1600,1800} = 1700.
  Add(events::Vital::kLCP, kT0 + kHour, 1000, "/home");
  Add(events::Vital::kLCP, kT0 + 2 * kHour, 1200, "/home");
  for (int i = 0; i < 3; ++i) Add(events::Vital::kLCP, kT0 + kDay + i * kHour, 1400 + 200 * i, "/cart");
  Add(events::Vital::kINP, kT0 + kDay, 600, "/home");  // /home: INP 600 → 3× the good INP
  auto report = BuildReport(Sources(), {.app = "shop", .window_ms = 2 * kDay, .to_ms = to});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->vitals.size(), 5u);
  const VitalSection& lcp = report->vitals[0];
  EXPECT_EQ(lcp.name, "LCP");
  ASSERT_TRUE(lcp.p75.current && lcp.p75.previous);
  EXPECT_DOUBLE_EQ(*lcp.p75.current, 1600);
  EXPECT_DOUBLE_EQ(*lcp.p75.previous, 2600);
  EXPECT_NEAR(*lcp.p75.Change(), (1600.0 - 2600) / 2600, 1e-12);
  EXPECT_EQ(lcp.count, 5u);
  EXPECT_EQ(lcp.previous_count, 5u);
  EXPECT_EQ(lcp.rating, "good");
  ASSERT_EQ(lcp.daily.size(), 2u);
  EXPECT_EQ(lcp.daily[0].day_start_ms, kT0);
  EXPECT_DOUBLE_EQ(lcp.daily[0].value, 1150);
  EXPECT_DOUBLE_EQ(lcp.daily[1].value, 1700);
  const VitalSection& inp = report->vitals[1];
  EXPECT_DOUBLE_EQ(*inp.p75.current, 600);
  EXPECT_FALSE(inp.p75.previous);
  EXPECT_FALSE(inp.p75.Change());
  EXPECT_EQ(inp.rating, "poor");
  EXPECT_EQ(report->vitals[2].rating, "");  // CLS: no data
  // /home is slowest (INP 600 / 200 = 3 beats LCP 1700 / 2500); /cart second.
  ASSERT_EQ(report->slowest_pages.size(), 2u);
  EXPECT_EQ(report->slowest_pages[0].page, "/home");
  EXPECT_DOUBLE_EQ(*report->slowest_pages[0].inp_p75, 600);
  EXPECT_EQ(report->slowest_pages[1].page, "/cart");
  EXPECT_DOUBLE_EQ(*report->slowest_pages[1].lcp_p75, 1700);  // p75 of {1400, 1600, 1800}
  EXPECT_FALSE(report->slowest_pages[1].inp_p75);
  // Score: every event is a view of its own (no pageViewId), this period and the last.
  EXPECT_EQ(report->score.views, 6);
  EXPECT_EQ(report->score.previous_views, 5);
  ASSERT_TRUE(report->score.score.current);
  EXPECT_EQ(report->score.daily.size(), 2u);
  // Another app sees nothing.
  auto other = BuildReport(Sources(), {.app = "blog", .window_ms = 2 * kDay, .to_ms = to});
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->vitals[0].p75.current);
  EXPECT_TRUE(other->slowest_pages.empty());
}

TEST_F(ReportModelTest, BadRequestIsInvalidArgument) {
  EXPECT_EQ(BuildReport(Sources(), {.app = "", .window_ms = kDay, .to_ms = kT0}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildReport(Sources(), {.app = "shop", .window_ms = 0, .to_ms = kT0}).status().code(),
            StatusCode::kInvalidArgument);
}

alert::AlertEpisode Episode(std::string name, std::string severity, std::string app, int64_t start, int64_t ack,
                            int64_t resolved) {
  alert::AlertEpisode e;
  e.fingerprint = std::hash<std::string>()(name + std::to_string(start));
  e.alertname = std::move(name);
  e.severity = std::move(severity);
  e.app = std::move(app);
  e.starts_at_ms = start;
  e.acknowledged_at_ms = ack;
  e.resolved_at_ms = resolved;
  return e;
}

TEST(AlertStatsTest, CountsBySeverityAndMedians) {
  const int64_t t = kT0;
  std::vector<alert::AlertEpisode> cur = {
      Episode("Slow", "critical", "shop", t, t + 60'000, t + 600'000),        // ack 1m, resolve 10m
      Episode("Slow", "critical", "shop", t + kHour, t + kHour + 180'000, t + kHour + 1'800'000),  // 3m, 30m
      Episode("Disk", "warning", "", t + 2 * kHour, 0, t + 2 * kHour + 3'600'000),  // no ack, 60m
      Episode("Errors", "", "shop", t + 3 * kHour, t + 3 * kHour + 120'000, 0),     // 2m, firing
      Episode("Other", "critical", "blog", t, t + 1, t + 2),                       // another app: left out
  };
  std::vector<alert::AlertEpisode> prev = {Episode("Slow", "critical", "shop", t - kDay, 0, 0),
                                           Episode("X", "info", "blog", t - kDay, 0, 0)};
  AlertStats s = ComputeAlertStats(cur, prev, "shop");
  EXPECT_TRUE(s.available);
  EXPECT_EQ(s.total, 4);
  EXPECT_EQ(s.previous_total, 1);
  EXPECT_EQ(s.by_severity["critical"], 2);
  EXPECT_EQ(s.by_severity["warning"], 1);
  EXPECT_EQ(s.by_severity["none"], 1);
  EXPECT_EQ(s.acknowledged, 3);
  EXPECT_EQ(s.resolved, 3);
  EXPECT_EQ(s.median_ack_ms, 120'000);       // {1m, 2m, 3m}
  EXPECT_EQ(s.median_resolve_ms, 1'800'000); // {10m, 30m, 60m}
  ASSERT_FALSE(s.top_alerts.empty());
  EXPECT_EQ(s.top_alerts[0], (std::pair<std::string, int64_t>("Slow", 2)));
  EXPECT_EQ(MedianMs({4, 1, 3, 2}), 2);  // (2 + 3) / 2 in integer ms
  EXPECT_FALSE(MedianMs({}));
}

TEST(BudgetRunTest, ParsesTheContractJson) {
  auto run = ParseBudgetRunJson(R"({"id":"r1","app":"shop","commit":"abc123","branch":"main","build_id":"42",
    "time":"2026-12-04T10:00:00Z","passed":false,
    "results":[{"kind":"timing","path":"/","name":"largest-contentful-paint","value":2600,"budget":2500,
                "tolerance":0,"unit":"ms","status":"fail","headroom_ratio":-0.04,"samples":3,"baseline":null,
                "message":"LCP 2600 ms over 2500 ms"},
               {"kind":"bundle","path":"","name":"assets/*.js","value":100,"budget":200,"unit":"KB",
                "status":"pass","headroom_ratio":0.5,"message":"ok"}],
    "summary":{"passed":1,"failed":1,"skipped":0}})");
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->id, "r1");
  EXPECT_EQ(run->commit, "abc123");
  EXPECT_EQ(run->time_ms, 1796378400000);
  EXPECT_FALSE(run->passed);
  EXPECT_EQ(run->passed_count, 1);
  EXPECT_EQ(run->failed_count, 1);
  ASSERT_EQ(run->failed.size(), 1u);
  EXPECT_EQ(run->failed[0].name, "largest-contentful-paint");
  EXPECT_DOUBLE_EQ(*run->failed[0].value, 2600);
  EXPECT_DOUBLE_EQ(*run->failed[0].headroom_ratio, -0.04);
  EXPECT_FALSE(ParseBudgetRunJson("[]").ok());
  EXPECT_FALSE(ParseBudgetRunJson(R"({"results":[]})").ok());
  EXPECT_FALSE(ParseBudgetRunJson(R"({"app":"shop"})").ok());
}

TEST(BudgetRunTest, ReadsTheRunStoreNewestFirst) {
  perfwatch::testing::TempDir dir("pw_report_runs_");
  auto store = budget::RunStore::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  for (int i = 0; i < 3; ++i) {
    budget::NewRun run;
    run.app = i == 2 ? "blog" : "shop";
    run.commit = "c" + std::to_string(i);
    run.time_ms = kT0 + i * kHour;
    run.json = R"({"app":")" + run.app + R"(","commit":")" + run.commit + R"(","passed":)" +
               (i == 1 ? "false" : "true") + R"(,"results":[],"summary":{"passed":0,"failed":)" +
               (i == 1 ? "1" : "0") + R"(,"skipped":0}})";
    ASSERT_TRUE((*store)->Add(run).ok());
  }
  EXPECT_FALSE(BudgetRunsFrom(nullptr));
  auto runs = BudgetRunsFrom(store->get())("shop", 5);
  ASSERT_TRUE(runs.ok()) << runs.status().ToString();
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].commit, "c1");
  EXPECT_FALSE((*runs)[0].passed);
  EXPECT_EQ((*runs)[0].failed_count, 1);
  EXPECT_EQ((*runs)[0].id.size(), 16u);
  EXPECT_EQ((*runs)[1].commit, "c0");
  EXPECT_TRUE((*runs)[1].passed);
}

TEST(FindingOrderTest, SeverityThenSourceThenImpact) {
  std::vector<Finding> f = {{"network", "critical", "n", "", 100}, {"leak", "warning", "l", "", 1},
                            {"regression", "critical", "r1", "", 0.2}, {"regression", "critical", "r2", "", 0.9},
                            {"regression", "info", "r3", "", 5}};
  std::stable_sort(f.begin(), f.end(), FindingBefore);
  std::vector<std::string> titles;
  for (const Finding& x : f) titles.push_back(x.title);
  EXPECT_EQ(titles, (std::vector<std::string>{"r2", "r1", "n", "l", "r3"}));
}

// A report with every section filled, for the renderers.
Report SampleReport() {
  Report r;
  r.app = "shop <&>";
  r.window_ms = 7 * kDay;
  r.to_ms = kT0 + 7 * kDay;
  r.from_ms = kT0;
  r.previous_from_ms = kT0 - 7 * kDay;
  r.generated_ms = r.to_ms;
  VitalSection lcp;
  lcp.name = "LCP";
  lcp.unit = "ms";
  lcp.p75 = {2480.4, 2000};
  lcp.count = 1234;
  lcp.good_share = 0.74;
  lcp.rating = "good";
  lcp.daily = {{kT0, 2000}, {kT0 + kDay, 2600}, {kT0 + 2 * kDay, 2480}};
  r.vitals.push_back(lcp);
  VitalSection cls;
  cls.name = "CLS";
  cls.p75 = {0.12, std::nullopt};
  cls.rating = "needs-improvement";
  cls.count = 10;
  r.vitals.push_back(cls);
  r.score.score = {87.26, 90};
  r.score.views = 100;
  r.slowest_pages.push_back({"/checkout|x", 50, 4100, 350});
  r.routes_available = true;
  r.slowest_routes.push_back({"api", "GET /cart", {0.25, 0.2}, 1000, 0.01});
  r.regressions.push_back({"abc", "/checkout", "LCP", 2000, 3000, 1000, kT0 + kDay, true, "v1.2"});
  r.deploys.push_back({"d1", "v1.2", "abc123", "prod", kT0 + kDay});
  r.alerts.available = true;
  r.alerts.total = 3;
  r.alerts.by_severity = {{"critical", 2}, {"warning", 1}};
  r.alerts.median_ack_ms = 250'000;
  r.alerts.median_resolve_ms = 3 * 3'600'000 + 5 * 60'000;
  r.errors.push_back({"00000000000000ff", "TypeError", "x is <undefined>", 12, 4, true, kT0 + kDay});
  r.budget_available = true;
  BudgetRunSummary b;
  b.app = "shop";
  b.commit = "abc123";
  b.failed.push_back({"timing", "/", "largest-contentful-paint", "ms", "fail", "LCP 2600 ms over 2500 ms", 2600, 2500, -0.04});
  b.failed_count = 1;
  r.budget_runs.push_back(b);
  r.findings.push_back({"regression", "critical", "LCP regressed on /checkout", "since ...", 0.5});
  return r;
}

TEST(ReportRenderTest, HtmlIsSelfContainedAndPrintable) {
  const std::string html = RenderReportHtml(SampleReport());
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  // Nothing a browser would fetch: no script, image, import, url() or src; the one link is
  // the inline (data:) icon that keeps browsers from asking for /favicon.ico.
  for (const char* banned : {"<script", "<img", "@import", "url(", "src=", "<iframe", "<object"}) {
    EXPECT_EQ(html.find(banned), std::string::npos) << banned;
  }
  std::vector<std::string> hrefs;
  for (size_t at = html.find("href="); at != std::string::npos; at = html.find("href=", at + 1)) {
    hrefs.push_back(html.substr(at, 13));
  }
  EXPECT_EQ(hrefs, std::vector<std::string>{"href=\"data:,\""});
  EXPECT_NE(html.find("@media print"), std::string::npos);
  EXPECT_NE(html.find("size: A4"), std::string::npos);
  EXPECT_NE(html.find("break-before: page"), std::string::npos);
  EXPECT_NE(html.find("<svg class=\"spark\""), std::string::npos);
  EXPECT_NE(html.find("<svg class=\"bars\""), std::string::npos);
  EXPECT_NE(html.find("2,480 ms"), std::string::npos);
  EXPECT_NE(html.find("+24.0%"), std::string::npos);  // 2480.4 vs 2000
  EXPECT_NE(html.find("chg worse"), std::string::npos);
  EXPECT_NE(html.find(">87.3<"), std::string::npos);  // the score with one decimal
  EXPECT_NE(html.find("shop &lt;&amp;&gt;"), std::string::npos);  // escaped
  EXPECT_EQ(html.find("shop <&>"), std::string::npos);
  EXPECT_NE(html.find("x is &lt;undefined&gt;"), std::string::npos);
  EXPECT_NE(html.find("4m 10s"), std::string::npos);   // median time to acknowledge
  EXPECT_NE(html.find("3h 5m"), std::string::npos);    // median time to resolve
  EXPECT_NE(html.find("largest-contentful-paint"), std::string::npos);
  for (const char* id : {"summary", "findings", "pages", "routes", "changes", "alerts", "errors", "budget"}) {
    EXPECT_NE(html.find(std::string("id=\"") + id + "\""), std::string::npos) << id;
  }
}

TEST(ReportRenderTest, MarkdownTables) {
  const std::string md = RenderReportMarkdown(SampleReport());
  EXPECT_EQ(md.rfind("## Performance report: shop <&>, ", 0), 0u) << md.substr(0, 80);
  EXPECT_NE(md.find("| LCP | 2,480 ms | 2,000 ms | +24.0% ⚠️ | 1234 | good |"), std::string::npos) << md;
  EXPECT_NE(md.find("| CLS | 0.12 | n/a | n/a | 10 | needs-improvement |"), std::string::npos) << md;
  EXPECT_NE(md.find("| /checkout\\|x | 4,100 ms | 350 ms | 50 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| api | GET /cart | 250 ms | 200 ms | +25.0% ⚠️ | 1000 |"), std::string::npos) << md;
  EXPECT_NE(md.find("1. **critical** (regression) LCP regressed on /checkout"), std::string::npos) << md;
  EXPECT_NE(md.find("median time to acknowledge: 4m 10s"), std::string::npos) << md;
  EXPECT_NE(md.find("Latest run: **fail**"), std::string::npos) << md;
}

TEST(ReportRenderTest, JsonIsTheModel) {
  const std::string json = RenderReportJson(SampleReport());
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_FALSE(parser.parse(json).get(root)) << json;
  EXPECT_EQ(std::string_view(root["app"]), "shop <&>");
  EXPECT_EQ(std::string_view(root["window"]), "7d");
  EXPECT_EQ(std::string_view(root["from"]), "2023-11-15T00:00:00.000Z");
  EXPECT_DOUBLE_EQ(double(root["vitals"].at(0)["p75"]["current"]), 2480.4);
  EXPECT_DOUBLE_EQ(double(root["vitals"].at(0)["p75"]["previous"]), 2000);
  EXPECT_NEAR(double(root["vitals"].at(0)["p75"]["change"]), 0.2402, 1e-9);
  EXPECT_TRUE(root["vitals"].at(1)["p75"]["previous"].is_null());
  EXPECT_EQ(int64_t(root["vitals"].at(0)["daily"].at(0).at(0)), kT0 / 1000);
  EXPECT_DOUBLE_EQ(double(root["score"]["score"]["current"]), 87.26);
  EXPECT_EQ(std::string_view(root["slowest_routes"].at(0)["route"]), "GET /cart");
  EXPECT_EQ(int64_t(root["alerts"]["by_severity"]["critical"]), 2);
  EXPECT_DOUBLE_EQ(double(root["alerts"]["median_time_to_acknowledge_seconds"]), 250);
  EXPECT_DOUBLE_EQ(double(root["alerts"]["median_time_to_resolve_seconds"]), 3 * 3600 + 5 * 60);
  EXPECT_EQ(std::string_view(root["errors"].at(0)["fingerprint"]), "00000000000000ff");
  EXPECT_EQ(std::string_view(root["budget"]["runs"].at(0)["failed"].at(0)["name"]), "largest-contentful-paint");
  EXPECT_EQ(std::string_view(root["findings"].at(0)["severity"]), "critical");
  EXPECT_TRUE(bool(root["budget"]["available"]));
}

TEST(ReportRenderTest, SparklineAndFormats) {
  EXPECT_EQ(SparklineSvg({{0, 1}}), "");
  const std::string svg = SparklineSvg({{0, 1}, {1, 3}, {2, 2}}, 100, 20);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("points=\"3.0,17.0 50.0,3.0 97.0,10.0\""), std::string::npos) << svg;
  EXPECT_EQ(ComparisonBarsSvg({2, std::nullopt}), "");
  const std::string bars = ComparisonBarsSvg({50, 100}, 100, 22);  // this period 50, previous 100
  EXPECT_NE(bars.find("<rect x=\"0\" y=\"1\" width=\"100.0\" height=\"9.0\""), std::string::npos) << bars;
  EXPECT_NE(bars.find("<rect x=\"0\" y=\"12.0\" width=\"50.0\" height=\"9.0\""), std::string::npos) << bars;
  EXPECT_EQ(FormatVitalValue(1234567.4, "ms"), "1,234,567 ms");
  EXPECT_EQ(FormatVitalValue(std::nullopt, "ms"), "n/a");
  EXPECT_EQ(FormatChange(-0.03), "-3.0%");
  EXPECT_EQ(FormatDurationMs(59'999), "59s");
  EXPECT_EQ(FormatDurationMs(2 * 86'400'000LL + 3'600'000), "2d 1h");
  EXPECT_EQ(FormatWindow(7 * kDay), "7d");
  EXPECT_EQ(FormatWindow(12 * kHour), "12h");
}

http::Request Get(const std::string& query) {
  http::Request req;
  req.method = "GET";
  req.path = "/api/v1/report";
  req.query = query;
  return req;
}

TEST(ReportApiTest, ParametersAndErrors) {
  auto q = ParseReportQuery(Get("app=shop"), kT0);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->request.window_ms, 7 * kDay);
  EXPECT_EQ(q->request.to_ms, kT0);
  EXPECT_EQ(q->format, ReportFormat::kHtml);
  q = ParseReportQuery(Get("app=shop&window=12h&format=md&to=1700006400"), 0);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->request.window_ms, 12 * kHour);
  EXPECT_EQ(q->request.to_ms, kT0);
  EXPECT_EQ(q->format, ReportFormat::kMarkdown);
  EXPECT_EQ(ParseReportQuery(Get("window=7d"), kT0).status().message(), "app is required");
  EXPECT_EQ(ParseReportQuery(Get("app=shop&window=soon"), kT0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseReportQuery(Get("app=shop&window=500d"), kT0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseReportQuery(Get("app=shop&format=pdf"), kT0).status().message(),
            "invalid format \"pdf\": expected html, md or json");
  EXPECT_EQ(ParseReportQuery(Get("app=shop&to=yesterday"), kT0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReportContentType(ReportFormat::kMarkdown), "text/markdown; charset=utf-8");
}

}  // namespace
}  // namespace perfwatch::report
