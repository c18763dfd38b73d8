// RenderReportJson: the model (report_render.h; field names in docs/reports.md "JSON").
#include <cmath>

#include "common/json_writer.h"
#include "common/time.h"
#include "report/report_render.h"

namespace perfwatch::report {
namespace {

void Key(std::string& out, std::string_view k) {
  if (out.back() != '{') out += ',';
  AppendJsonString(out, k);
  out += ':';
}
void Str(std::string& out, std::string_view k, std::string_view v) {
  Key(out, k);
  AppendJsonString(out, v);
}
void Num(std::string& out, std::string_view k, std::optional<double> v) {
  Key(out, k);
  if (v && std::isfinite(*v)) AppendJsonNumber(out, *v);
  else out += "null";
}
void Int(std::string& out, std::string_view k, int64_t v) {
  Key(out, k);
  AppendJsonInt(out, v);
}
void Bool(std::string& out, std::string_view k, bool v) {
  Key(out, k);
  out += v ? "true" : "false";
}
void Time(std::string& out, std::string_view k, int64_t ms) { Str(out, k, FormatRfc3339Ms(ms)); }
void TrendObj(std::string& out, std::string_view k, const Trend& t) {
  Key(out, k);
  out += '{';
  Num(out, "current", t.current);
  Num(out, "previous", t.previous);
  Num(out, "change", t.Change());
  out += '}';
}
void Daily(std::string& out, const std::vector<DailyPoint>& d) {
  Key(out, "daily");
  out += '[';
  for (size_t i = 0; i < d.size(); ++i) {
    if (i) out += ',';
    out += '[';
    AppendJsonInt(out, d[i].day_start_ms / 1000);
    out += ',';
    AppendJsonNumber(out, d[i].value);
    out += ']';
  }
  out += ']';
}
template <typename T, typename F>
void Array(std::string& out, std::string_view k, const std::vector<T>& items, F f) {
  Key(out, k);
  out += '[';
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += '{';
    f(items[i]);
    out += '}';
  }
  out += ']';
}

}  // namespace

std::string RenderReportJson(const Report& r) {
  std::string out = "{";
  Str(out, "app", r.app);
  Str(out, "window", FormatWindow(r.window_ms));
  Time(out, "from", r.from_ms);
  Time(out, "to", r.to_ms);
  Time(out, "previous_from", r.previous_from_ms);
  Time(out, "generated", r.generated_ms);
  Array(out, "vitals", r.vitals, [&](const VitalSection& v) {
    Str(out, "name", v.name);
    Str(out, "unit", v.unit);
    TrendObj(out, "p75", v.p75);
    Int(out, "count", static_cast<int64_t>(v.count));
    Int(out, "previous_count", static_cast<int64_t>(v.previous_count));
    Num(out, "good", v.count ? std::optional<double>(v.good_share) : std::nullopt);
    Key(out, "rating");
    if (v.rating.empty()) out += "null";
    else AppendJsonString(out, v.rating);
    Daily(out, v.daily);
  });
  Key(out, "score");
  out += '{';
  TrendObj(out, "score", r.score.score);
  Int(out, "views", r.score.views);
  Int(out, "previous_views", r.score.previous_views);
  Daily(out, r.score.daily);
  out += '}';
  Array(out, "slowest_pages", r.slowest_pages, [&](const PageRow& p) {
    Str(out, "page", p.page);
    Int(out, "views", static_cast<int64_t>(p.views));
    Num(out, "lcp_p75", p.lcp_p75);
    Num(out, "inp_p75", p.inp_p75);
  });
  Bool(out, "routes_available", r.routes_available);
  Array(out, "slowest_routes", r.slowest_routes, [&](const RouteRow& rt) {
    Str(out, "service", rt.service);
    Str(out, "route", rt.route);
    TrendObj(out, "p95_seconds", rt.p95_seconds);
    Num(out, "calls", rt.calls);
    Num(out, "error_ratio", rt.error_ratio);
  });
  Array(out, "regressions", r.regressions, [&](const RegressionRow& g) {
    Str(out, "id", g.id);
    Str(out, "page", g.where);
    Str(out, "metric", g.metric);
    Num(out, "before", g.before);
    Num(out, "after", g.after);
    Num(out, "change", g.change);
    Time(out, "time", g.time_ms);
    Bool(out, "active", g.active);
    Str(out, "deploy_version", g.deploy_version);
  });
  Array(out, "deploys", r.deploys, [&](const DeployRow& d) {
    Str(out, "id", d.id);
    Str(out, "version", d.version);
    Str(out, "commit", d.commit);
    Str(out, "environment", d.environment);
    Time(out, "time", d.time_ms);
  });
  Key(out, "alerts");
  out += '{';
  Bool(out, "available", r.alerts.available);
  Int(out, "total", r.alerts.total);
  Int(out, "previous_total", r.alerts.previous_total);
  Key(out, "by_severity");
  out += '{';
  for (const auto& [sev, n] : r.alerts.by_severity) Int(out, sev, n);
  out += '}';
  Int(out, "acknowledged", r.alerts.acknowledged);
  Int(out, "resolved", r.alerts.resolved);
  auto secs = [](std::optional<int64_t> ms) { return ms ? std::optional<double>(*ms / 1000.0) : std::nullopt; };
  Num(out, "median_time_to_acknowledge_seconds", secs(r.alerts.median_ack_ms));
  Num(out, "median_time_to_resolve_seconds", secs(r.alerts.median_resolve_ms));
  Key(out, "top");
  out += '[';
  for (size_t i = 0; i < r.alerts.top_alerts.size(); ++i) {
    if (i) out += ',';
    out += '{';
    Str(out, "alertname", r.alerts.top_alerts[i].first);
    Int(out, "count", r.alerts.top_alerts[i].second);
    out += '}';
  }
  out += "]}";
  Array(out, "errors", r.errors, [&](const ErrorRow& e) {
    Str(out, "fingerprint", e.fingerprint);
    Str(out, "type", e.type);
    Str(out, "message", e.message);
    Int(out, "count", static_cast<int64_t>(e.count));
    Int(out, "sessions", static_cast<int64_t>(e.sessions));
    Bool(out, "new", e.is_new);
    Time(out, "last_seen", e.last_seen_ms);
  });
  Key(out, "budget");
  out += '{';
  Bool(out, "available", r.budget_available);
  Array(out, "runs", r.budget_runs, [&](const BudgetRunSummary& b) {
    Str(out, "id", b.id);
    Str(out, "commit", b.commit);
    Str(out, "branch", b.branch);
    Str(out, "build_id", b.build_id);
    Key(out, "time");
    if (b.time_ms) AppendJsonString(out, FormatRfc3339Ms(b.time_ms));
    else out += "null";
    Bool(out, "passed", b.passed);
    Int(out, "passed_count", b.passed_count);
    Int(out, "failed_count", b.failed_count);
    Int(out, "skipped_count", b.skipped_count);
    Array(out, "failed", b.failed, [&](const BudgetResultRow& f) {
      Str(out, "kind", f.kind);
      Str(out, "path", f.path);
      Str(out, "name", f.name);
      Num(out, "value", f.value);
      Num(out, "budget", f.budget);
      Str(out, "unit", f.unit);
      Num(out, "headroom_ratio", f.headroom_ratio);
      Str(out, "message", f.message);
    });
  });
  out += '}';
  Array(out, "findings", r.findings, [&](const Finding& f) {
    Str(out, "source", f.source);
    Str(out, "severity", f.severity);
    Str(out, "title", f.title);
    Str(out, "detail", f.detail);
  });
  Key(out, "notes");
  out += '[';
  for (size_t i = 0; i < r.notes.size(); ++i) {
    if (i) out += ',';
    AppendJsonString(out, r.notes[i]);
  }
  out += "]}";
  return out;
}

}  // namespace perfwatch::report
