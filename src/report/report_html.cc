// RenderReportHtml: one self-contained page (report_render.h; docs/reports.md).
#include <cmath>

#include "common/html.h"
#include "common/time.h"
#include "report/report_render.h"

namespace perfwatch::report {
namespace {

std::string Esc(std::string_view s) { return HtmlEscape(s); }

// A trend's cell: the change, coloured by whether it is better (lower_is_better for
// timings) or worse.
std::string ChangeSpan(const Trend& t, bool lower_is_better) {
  const std::optional<double> c = t.Change();
  if (!c) return "<span class=\"chg none\">n/a</span>";
  const bool better = lower_is_better ? *c < 0 : *c > 0;
  const char* cls = std::fabs(*c) < 0.005 ? "same" : better ? "better" : "worse";
  return std::string("<span class=\"chg ") + cls + "\">" + Esc(FormatChange(c)) + "</span>";
}

constexpr std::string_view kStyle = R"CSS(
:root { --fg:#1d2330; --muted:#5b6475; --line:#d9dde5; --good:#0a7f3f; --ni:#b26a00; --poor:#c62828; --accent:#2f5bd3; }
* { box-sizing: border-box; }
body { font: 14px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg);
       margin: 0 auto; max-width: 980px; padding: 24px; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 0 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
.meta { color: var(--muted); margin: 0 0 18px; }
section.pw-report-section { margin: 0 0 26px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); }
td.num, th.num { text-align: right; }
.cards { display: grid; grid-template-columns: repeat(3, 1fr); gap: 10px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; color: var(--accent); }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; }
.card .value { color: var(--fg); font-size: 22px; font-weight: 600; }
.card .prev { color: var(--muted); font-size: 12px; }
.rating-good { color: var(--good); } .rating-needs-improvement { color: var(--ni); } .rating-poor { color: var(--poor); }
.chg.better { color: var(--good); } .chg.worse { color: var(--poor); } .chg.same, .chg.none { color: var(--muted); }
.sev { display: inline-block; min-width: 62px; text-align: center; border-radius: 3px; padding: 0 6px;
       font-size: 12px; font-weight: 600; color: #fff; }
.sev-critical { background: var(--poor); } .sev-warning { background: var(--ni); } .sev-info { background: #6b7280; }
.empty { color: var(--muted); font-style: italic; }
.pass { color: var(--good); font-weight: 600; } .fail { color: var(--poor); font-weight: 600; }
svg.spark, svg.bars { display: block; margin-top: 4px; }
.notes { color: var(--muted); font-size: 12px; }
@page { size: A4; margin: 14mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  section.pw-report-section { break-before: page; }
  section.pw-report-section.first { break-before: auto; }
  tr, .card { break-inside: avoid; }
  .cards { grid-template-columns: repeat(3, 1fr); }
}
)CSS";

void Section(std::string& out, std::string_view id, std::string_view title, bool first = false) {
  out += "<section class=\"pw-report-section";
  if (first) out += " first";
  out += "\" id=\"" + std::string(id) + "\"><h2>" + Esc(title) + "</h2>\n";
}

void Empty(std::string& out, std::string_view text) { out += "<p class=\"empty\">" + Esc(text) + "</p>\n"; }

}  // namespace

std::string RenderReportHtml(const Report& r) {
  std::string out;
  out.reserve(32 << 10);
  out += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         // An empty inline icon: without it a browser fetches /favicon.ico.
         "<link rel=\"icon\" href=\"data:,\">\n<title>";
  out += Esc(ReportTitle(r));
  out += "</title>\n<style>";
  out += kStyle;
  out += "</style></head>\n<body class=\"pw-report\">\n<h1>" + Esc(ReportTitle(r)) + "</h1>\n";
  out += "<p class=\"meta\">" + Esc(FormatRfc3339Ms(r.from_ms)) + " – " + Esc(FormatRfc3339Ms(r.to_ms)) +
         ", compared with the previous " + Esc(FormatWindow(r.window_ms)) + " (" +
         Esc(FormatRfc3339Ms(r.previous_from_ms)) + " – " + Esc(FormatRfc3339Ms(r.from_ms)) +
         "). Generated " + Esc(FormatRfc3339Ms(r.generated_ms)) + " by perfwatch.</p>\n";

  // Summary: the score and each vital's p75 with its trend and daily sparkline.
  Section(out, "summary", "Web Vitals and performance score", true);
  out += "<div class=\"cards\">\n";
  out += "<div class=\"card\"><div class=\"label\">Performance score</div><div class=\"value\">" +
         Esc(FormatScore(r.score.score.current)) + "</div><div class=\"prev\">previous " +
         Esc(FormatScore(r.score.score.previous)) + " · " +
         ChangeSpan(r.score.score, false) + "</div>" + ComparisonBarsSvg(r.score.score) +
         SparklineSvg(r.score.daily) + "</div>\n";
  for (const VitalSection& v : r.vitals) {
    out += "<div class=\"card\"><div class=\"label\">" + Esc(v.name) + " p75</div><div class=\"value rating-" +
           Esc(v.rating) + "\">" + Esc(FormatVitalValue(v.p75.current, v.unit)) + "</div><div class=\"prev\">previous " +
           Esc(FormatVitalValue(v.p75.previous, v.unit)) + " · " + ChangeSpan(v.p75, true) + "</div>" +
           ComparisonBarsSvg(v.p75) + SparklineSvg(v.daily) + "</div>\n";
  }
  out += "</div>\n<table><thead><tr><th>Vital</th><th class=\"num\">p75</th><th class=\"num\">previous</th>"
         "<th class=\"num\">change</th><th class=\"num\">good</th><th class=\"num\">samples</th><th>rating</th>"
         "</tr></thead><tbody>\n";
  for (const VitalSection& v : r.vitals) {
    char good[32];
    std::snprintf(good, sizeof good, "%.0f%%", v.good_share * 100);
    out += "<tr><td>" + Esc(v.name) + "</td><td class=\"num\">" + Esc(FormatVitalValue(v.p75.current, v.unit)) +
           "</td><td class=\"num\">" + Esc(FormatVitalValue(v.p75.previous, v.unit)) + "</td><td class=\"num\">" +
           ChangeSpan(v.p75, true) + "</td><td class=\"num\">" + (v.count ? good : "n/a") + "</td><td class=\"num\">" +
           std::to_string(v.count) + "</td><td class=\"rating-" + Esc(v.rating) + "\">" +
           Esc(v.rating.empty() ? "no data" : v.rating) + "</td></tr>\n";
  }
  out += "</tbody></table>\n<p class=\"meta\">Score views: " + std::to_string(r.score.views) + " (previous " +
         std::to_string(r.score.previous_views) + ").</p></section>\n";

  Section(out, "findings", "Prioritised findings");
  if (r.findings.empty()) {
    Empty(out, "No regression, memory leak or network finding in this period.");
  } else {
    out += "<table><thead><tr><th>Severity</th><th>Source</th><th>Finding</th></tr></thead><tbody>\n";
    for (const Finding& f : r.findings) {
      out += "<tr><td><span class=\"sev sev-" + Esc(f.severity) + "\">" + Esc(f.severity) + "</span></td><td>" +
             Esc(f.source) + "</td><td>" + Esc(f.title) + "<br><span class=\"notes\">" + Esc(f.detail) +
             "</span></td></tr>\n";
    }
    out += "</tbody></table>\n";
  }
  out += "</section>\n";

  Section(out, "pages", "Slowest pages");
  if (r.slowest_pages.empty()) {
    Empty(out, "No page views in this period.");
  } else {
    out += "<table><thead><tr><th>Page</th><th class=\"num\">LCP p75</th><th class=\"num\">INP p75</th>"
           "<th class=\"num\">views</th></tr></thead><tbody>\n";
    for (const PageRow& p : r.slowest_pages) {
      out += "<tr><td>" + Esc(p.page) + "</td><td class=\"num\">" + Esc(FormatVitalValue(p.lcp_p75, "ms")) +
             "</td><td class=\"num\">" + Esc(FormatVitalValue(p.inp_p75, "ms")) + "</td><td class=\"num\">" +
             std::to_string(p.views) + "</td></tr>\n";
    }
    out += "</tbody></table>\n";
  }
  out += "</section>\n";

  Section(out, "routes", "Slowest routes (backend p95)");
  if (r.slowest_routes.empty()) {
    Empty(out, r.routes_available ? "No traced routes in this period." : "Route metrics are not available.");
  } else {
    out += "<table><thead><tr><th>Service</th><th>Route</th><th class=\"num\">p95</th><th class=\"num\">previous</th>"
           "<th class=\"num\">change</th><th class=\"num\">calls</th><th class=\"num\">errors</th></tr></thead><tbody>\n";
    for (const RouteRow& rt : r.slowest_routes) {
      auto ms = [](std::optional<double> s) { return s ? std::optional<double>(*s * 1000) : std::nullopt; };
      char calls[32], err[32];
      std::snprintf(calls, sizeof calls, "%.0f", rt.calls);
      std::snprintf(err, sizeof err, "%.2f%%", rt.error_ratio.value_or(0) * 100);
      out += "<tr><td>" + Esc(rt.service) + "</td><td>" + Esc(rt.route) + "</td><td class=\"num\">" +
             Esc(FormatVitalValue(ms(rt.p95_seconds.current), "ms")) + "</td><td class=\"num\">" +
             Esc(FormatVitalValue(ms(rt.p95_seconds.previous), "ms")) + "</td><td class=\"num\">" +
             ChangeSpan(rt.p95_seconds, true) + "</td><td class=\"num\">" + calls + "</td><td class=\"num\">" +
             (rt.error_ratio ? err : "n/a") + "</td></tr>\n";
    }
    out += "</tbody></table>\n";
  }
  out += "</section>\n";

  Section(out, "changes", "Regressions and deploys");
  out += "<h3>Regressions</h3>\n";
  if (r.regressions.empty()) {
    Empty(out, "No regression detected.");
  } else {
    out += "<table><thead><tr><th>Page</th><th>Metric</th><th class=\"num\">before</th><th class=\"num\">after</th>"
           "<th>since</th><th>state</th><th>deploy</th></tr></thead><tbody>\n";
    for (const RegressionRow& g : r.regressions) {
      char before[32], after[32];
      std::snprintf(before, sizeof before, "%.4g", g.before);
      std::snprintf(after, sizeof after, "%.4g", g.after);
      out += "<tr><td>" + Esc(g.where) + "</td><td>" + Esc(g.metric) + "</td><td class=\"num\">" + before +
             "</td><td class=\"num\">" + after + "</td><td>" + Esc(FormatRfc3339Ms(g.time_ms)) + "</td><td>" +
             (g.active ? "<span class=\"fail\">active</span>" : "recovered") + "</td><td>" + Esc(g.deploy_version) +
             "</td></tr>\n";
    }
    out += "</tbody></table>\n";
  }
  out += "<h3>Deploys</h3>\n";
  if (r.deploys.empty()) {
    Empty(out, "No deploy recorded in this period.");
  } else {
    out += "<table><thead><tr><th>Time</th><th>Version</th><th>Commit</th><th>Environment</th></tr></thead><tbody>\n";
    for (const DeployRow& d : r.deploys) {
      out += "<tr><td>" + Esc(FormatRfc3339Ms(d.time_ms)) + "</td><td>" + Esc(d.version) + "</td><td>" +
             Esc(d.commit) + "</td><td>" + Esc(d.environment) + "</td></tr>\n";
    }
    out += "</tbody></table>\n";
  }
  out += "</section>\n";

  Section(out, "alerts", "Alerts");
  if (!r.alerts.available) {
    Empty(out, "Alert history is not available.");
  } else {
    out += "<table><tbody>\n<tr><th>Alerts fired</th><td class=\"num\">" + std::to_string(r.alerts.total) +
           "</td><td>previous period " + std::to_string(r.alerts.previous_total) + "</td></tr>\n";
    for (const auto& [sev, n] : r.alerts.by_severity) {
      out += "<tr><th>severity " + Esc(sev) + "</th><td class=\"num\">" + std::to_string(n) + "</td><td></td></tr>\n";
    }
    out += "<tr><th>Median time to acknowledge</th><td class=\"num\">" + Esc(FormatDurationMs(r.alerts.median_ack_ms)) +
           "</td><td>" + std::to_string(r.alerts.acknowledged) + " acknowledged</td></tr>\n";
    out += "<tr><th>Median time to resolve</th><td class=\"num\">" + Esc(FormatDurationMs(r.alerts.median_resolve_ms)) +
           "</td><td>" + std::to_string(r.alerts.resolved) + " resolved</td></tr>\n</tbody></table>\n";
    if (!r.alerts.top_alerts.empty()) {
      out += "<h3>Most frequent</h3><table><thead><tr><th>Alert</th><th class=\"num\">fired</th></tr></thead><tbody>\n";
      for (const auto& [name, n] : r.alerts.top_alerts) {
        out += "<tr><td>" + Esc(name) + "</td><td class=\"num\">" + std::to_string(n) + "</td></tr>\n";
      }
      out += "</tbody></table>\n";
    }
  }
  out += "</section>\n";

  Section(out, "errors", "Top errors");
  if (r.errors.empty()) {
    Empty(out, "No JavaScript error in this period.");
  } else {
    out += "<table><thead><tr><th>Error</th><th class=\"num\">count</th><th class=\"num\">sessions</th>"
           "<th>last seen</th></tr></thead><tbody>\n";
    for (const ErrorRow& e : r.errors) {
      out += "<tr><td><b>" + Esc(e.type) + "</b> " + Esc(e.message) + (e.is_new ? " <span class=\"fail\">new</span>" : "") +
             "<br><span class=\"notes\">" + Esc(e.fingerprint) + "</span></td><td class=\"num\">" +
             std::to_string(e.count) + "</td><td class=\"num\">" + std::to_string(e.sessions) + "</td><td>" +
             Esc(FormatRfc3339Ms(e.last_seen_ms)) + "</td></tr>\n";
    }
    out += "</tbody></table>\n";
  }
  out += "</section>\n";

  Section(out, "budget", "Performance budget");
  if (!r.budget_available) {
    Empty(out, "Budget runs are not available.");
  } else if (r.budget_runs.empty()) {
    Empty(out, "No budget run uploaded for this app.");
  } else {
    out += "<table><thead><tr><th>Time</th><th>Branch</th><th>Commit</th><th>Result</th><th class=\"num\">passed</th>"
           "<th class=\"num\">failed</th><th class=\"num\">skipped</th></tr></thead><tbody>\n";
    for (const BudgetRunSummary& b : r.budget_runs) {
      out += "<tr><td>" + Esc(b.time_ms ? FormatRfc3339Ms(b.time_ms) : "") + "</td><td>" + Esc(b.branch) +
             "</td><td>" + Esc(b.commit) + "</td><td>" +
             (b.passed ? "<span class=\"pass\">pass</span>" : "<span class=\"fail\">fail</span>") +
             "</td><td class=\"num\">" + std::to_string(b.passed_count) + "</td><td class=\"num\">" +
             std::to_string(b.failed_count) + "</td><td class=\"num\">" + std::to_string(b.skipped_count) +
             "</td></tr>\n";
    }
    out += "</tbody></table>\n";
    const BudgetRunSummary& latest = r.budget_runs.front();
    if (!latest.failed.empty()) {
      out += "<h3>Over budget in the latest run</h3><table><thead><tr><th>Kind</th><th>Path</th><th>Name</th>"
             "<th>Message</th></tr></thead><tbody>\n";
      for (const BudgetResultRow& f : latest.failed) {
        out += "<tr><td>" + Esc(f.kind) + "</td><td>" + Esc(f.path) + "</td><td>" + Esc(f.name) + "</td><td>" +
               Esc(f.message) + "</td></tr>\n";
      }
      out += "</tbody></table>\n";
    }
  }
  out += "</section>\n";

  if (!r.notes.empty()) {
    out += "<p class=\"notes\">Incomplete sections: ";
    for (size_t i = 0; i < r.notes.size(); ++i) out += (i ? "; " : "") + Esc(r.notes[i]);
    out += "</p>\n";
  }
  out += "</body></html>\n";
  return out;
}

}  // namespace perfwatch::report
