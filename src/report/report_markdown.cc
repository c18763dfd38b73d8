// RenderReportMarkdown: GitHub-flavoured Markdown (report_render.h; docs/reports.md).
#include <cmath>

#include "common/markdown.h"
#include "common/time.h"
#include "report/report_render.h"

namespace perfwatch::report {
namespace {

std::string Arrow(const Trend& t, bool lower_is_better) {
  const auto c = t.Change();
  if (!c) return "n/a";
  const bool better = lower_is_better ? *c < 0 : *c > 0;
  const char* mark = std::fabs(*c) < 0.005 ? "" : better ? " ✅" : " ⚠️";
  return FormatChange(c) + mark;
}

}  // namespace

std::string RenderReportMarkdown(const Report& r) {
  std::string out = "## " + ReportTitle(r) + "\n\n";
  out += "_" + FormatRfc3339Ms(r.from_ms) + " – " + FormatRfc3339Ms(r.to_ms) + ", compared with the previous " +
         FormatWindow(r.window_ms) + "._\n\n";
  out += "### Web Vitals and performance score\n\n| | p75 | previous | change | samples | rating |\n|---|---:|---:|---:|---:|---|\n";
  out += "| Score | " + FormatScore(r.score.score.current) + " | " + FormatScore(r.score.score.previous) + " | " +
         Arrow(r.score.score, false) + " | " + std::to_string(r.score.views) + " views | |\n";
  for (const VitalSection& v : r.vitals) {
    out += "| " + v.name + " | " + FormatVitalValue(v.p75.current, v.unit) + " | " +
           FormatVitalValue(v.p75.previous, v.unit) + " | " + Arrow(v.p75, true) + " | " + std::to_string(v.count) +
           " | " + (v.rating.empty() ? "no data" : v.rating) + " |\n";
  }
  out += "\n### Prioritised findings\n\n";
  if (r.findings.empty()) out += "None.\n";
  for (size_t i = 0; i < r.findings.size(); ++i) {
    const Finding& f = r.findings[i];
    out += std::to_string(i + 1) + ". **" + f.severity + "** (" + f.source + ") " + MarkdownCell(f.title) + " — " +
           MarkdownCell(f.detail) + "\n";
  }
  out += "\n### Slowest pages\n\n";
  if (r.slowest_pages.empty()) {
    out += "No page views.\n";
  } else {
    out += "| Page | LCP p75 | INP p75 | views |\n|---|---:|---:|---:|\n";
    for (const PageRow& p : r.slowest_pages) {
      out += "| " + MarkdownCell(p.page) + " | " + FormatVitalValue(p.lcp_p75, "ms") + " | " + FormatVitalValue(p.inp_p75, "ms") +
             " | " + std::to_string(p.views) + " |\n";
    }
  }
  out += "\n### Slowest routes\n\n";
  if (r.slowest_routes.empty()) {
    out += r.routes_available ? "No traced routes.\n" : "Route metrics are not available.\n";
  } else {
    out += "| Service | Route | p95 | previous | change | calls |\n|---|---|---:|---:|---:|---:|\n";
    for (const RouteRow& rt : r.slowest_routes) {
      auto ms = [](std::optional<double> s) { return s ? std::optional<double>(*s * 1000) : std::nullopt; };
      char calls[32];
      std::snprintf(calls, sizeof calls, "%.0f", rt.calls);
      out += "| " + MarkdownCell(rt.service) + " | " + MarkdownCell(rt.route) + " | " + FormatVitalValue(ms(rt.p95_seconds.current), "ms") +
             " | " + FormatVitalValue(ms(rt.p95_seconds.previous), "ms") + " | " + Arrow(rt.p95_seconds, true) + " | " +
             calls + " |\n";
    }
  }
  out += "\n### Regressions and deploys\n\n";
  if (r.regressions.empty()) out += "No regression detected.\n";
  for (const RegressionRow& g : r.regressions) {
    char line[256];
    std::snprintf(line, sizeof line, "- %s %s: %.4g → %.4g since %s (%s)", MarkdownCell(g.where).c_str(), g.metric.c_str(),
                  g.before, g.after, FormatRfc3339Ms(g.time_ms).c_str(), g.active ? "active" : "recovered");
    out += line;
    if (!g.deploy_version.empty()) out += ", after deploy " + MarkdownCell(g.deploy_version);
    out += "\n";
  }
  out += "\n";
  if (r.deploys.empty()) out += "No deploy recorded.\n";
  for (const DeployRow& d : r.deploys) {
    out += "- deploy " + MarkdownCell(d.version) + " at " + FormatRfc3339Ms(d.time_ms) +
           (d.commit.empty() ? "" : " (" + MarkdownCell(d.commit) + ")") + "\n";
  }
  out += "\n### Alerts\n\n";
  if (!r.alerts.available) {
    out += "Alert history is not available.\n";
  } else {
    out += "- fired: " + std::to_string(r.alerts.total) + " (previous " + std::to_string(r.alerts.previous_total) + ")";
    for (const auto& [sev, n] : r.alerts.by_severity) out += ", " + sev + " " + std::to_string(n);
    out += "\n- median time to acknowledge: " + FormatDurationMs(r.alerts.median_ack_ms) + " (" +
           std::to_string(r.alerts.acknowledged) + " acknowledged)\n- median time to resolve: " +
           FormatDurationMs(r.alerts.median_resolve_ms) + " (" + std::to_string(r.alerts.resolved) + " resolved)\n";
  }
  out += "\n### Top errors\n\n";
  if (r.errors.empty()) {
    out += "No JavaScript error.\n";
  } else {
    out += "| Error | count | sessions |\n|---|---:|---:|\n";
    for (const ErrorRow& e : r.errors) {
      out += "| " + MarkdownCell(e.type) + ": " + MarkdownCell(e.message) + (e.is_new ? " (new)" : "") + " | " + std::to_string(e.count) +
             " | " + std::to_string(e.sessions) + " |\n";
    }
  }
  out += "\n### Performance budget\n\n";
  if (!r.budget_available) {
    out += "Budget runs are not available.\n";
  } else if (r.budget_runs.empty()) {
    out += "No budget run uploaded.\n";
  } else {
    const BudgetRunSummary& b = r.budget_runs.front();
    out += std::string("Latest run: ") + (b.passed ? "**pass**" : "**fail**") + " (" + std::to_string(b.passed_count) +
           " passed, " + std::to_string(b.failed_count) + " failed, " + std::to_string(b.skipped_count) + " skipped)" +
           (b.commit.empty() ? "" : " at " + MarkdownCell(b.commit)) + "\n";
    for (const BudgetResultRow& f : b.failed) out += "- " + MarkdownCell(f.kind) + " " + MarkdownCell(f.name) + ": " + MarkdownCell(f.message) + "\n";
  }
  if (!r.notes.empty()) {
    out += "\n_Incomplete sections: ";
    for (size_t i = 0; i < r.notes.size(); ++i) out += (i ? "; " : "") + r.notes[i];
    out += "_\n";
  }
  return out;
}

}  // namespace perfwatch::report
