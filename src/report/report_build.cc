// BuildReport: each section from the analysis function behind its API (report.h).
#include <algorithm>
#include <cmath>
#include <set>

#include "analysis/network_api.h"
#include "analysis/score_api.h"
#include "analysis/vitals_report.h"
#include "analysis/vitals_series.h"
#include "analysis/web_vitals.h"
#include "common/hex.h"
#include "common/time.h"
#include "query/errors_api.h"
#include "query/promql_parser.h"
#include "report/report.h"

namespace perfwatch::report {
namespace {

constexpr std::array<events::Vital, 5> kReportVitals = {events::Vital::kLCP, events::Vital::kINP, events::Vital::kCLS,
                                                        events::Vital::kFCP, events::Vital::kTTFB};

analysis::VitalsRequest VitalsFor(events::Vital v, const std::string& app, int64_t from_ms, int64_t to_ms) {
  analysis::VitalsRequest r;
  r.scan.vital = v;
  r.scan.from_ms = from_ms;
  r.scan.to_ms = to_ms;
  r.scan.filters[events::kApp] = app;
  r.percentile = 75;
  return r;
}

std::string_view RatingName(analysis::Rating r) {
  switch (r) {
    case analysis::Rating::kGood: return "good";
    case analysis::Rating::kNeedsImprovement: return "needs-improvement";
    case analysis::Rating::kPoor: return "poor";
  }
  return "";
}

Status BuildVitals(const events::EventReader& store, const ReportRequest& rq, Report* out) {
  for (events::Vital v : kReportVitals) {
    VitalSection s;
    s.name = std::string(events::VitalName(v));
    s.unit = v == events::Vital::kCLS ? "" : "ms";
    PW_ASSIGN_OR_RETURN(auto cur, analysis::ComputeVitals(store, VitalsFor(v, rq.app, out->from_ms, out->to_ms)));
    PW_ASSIGN_OR_RETURN(auto prev,
                        analysis::ComputeVitals(store, VitalsFor(v, rq.app, out->previous_from_ms, out->from_ms - 1)));
    if (!cur.empty() && cur[0].count > 0) {
      s.p75.current = cur[0].p75;
      s.count = cur[0].count;
      s.good_share = cur[0].good;
      if (auto t = analysis::ThresholdsFor(v)) s.rating = std::string(RatingName(analysis::Rate(*t, cur[0].p75)));
    }
    if (!prev.empty() && prev[0].count > 0) {
      s.p75.previous = prev[0].p75;
      s.previous_count = prev[0].count;
    }
    PW_ASSIGN_OR_RETURN(auto series, analysis::ComputeVitalSeries(
                                         store, VitalsFor(v, rq.app, out->from_ms, out->to_ms), kDayMs));
    if (!series.empty()) {
      for (size_t i = 0; i < series[0].step_starts_ms.size(); ++i) {
        s.daily.push_back({series[0].step_starts_ms[i], series[0].values[i]});
      }
    }
    out->vitals.push_back(std::move(s));
  }
  return Status::Ok();
}

Status BuildScore(const events::EventReader& store, const ReportRequest& rq, Report* out) {
  const std::optional<std::string> app = rq.app;
  PW_ASSIGN_OR_RETURN(auto cur, analysis::ComputeScore(store, app, out->from_ms, out->to_ms));
  PW_ASSIGN_OR_RETURN(auto prev, analysis::ComputeScore(store, app, out->previous_from_ms, out->from_ms - 1));
  if (cur.score) out->score.score.current = analysis::RoundScore(*cur.score);
  if (prev.score) out->score.score.previous = analysis::RoundScore(*prev.score);
  out->score.views = cur.views;
  out->score.previous_views = prev.views;
  // One point per UTC day (the days the window touches), as the vitals' sparklines.
  for (int64_t day = out->from_ms - ((out->from_ms % kDayMs) + kDayMs) % kDayMs; day <= out->to_ms; day += kDayMs) {
    PW_ASSIGN_OR_RETURN(auto d, analysis::ComputeScore(store, app, std::max(day, out->from_ms),
                                                       std::min(day + kDayMs - 1, out->to_ms)));
    if (d.score) out->score.daily.push_back({day, analysis::RoundScore(*d.score)});
  }
  return Status::Ok();
}

Status BuildPages(const events::EventReader& store, const ReportRequest& rq, Report* out) {
  std::map<std::string, PageRow> pages;
  for (events::Vital v : {events::Vital::kLCP, events::Vital::kINP}) {
    analysis::VitalsRequest r = VitalsFor(v, rq.app, out->from_ms, out->to_ms);
    r.scan.group_by[events::kPage] = true;
    PW_ASSIGN_OR_RETURN(auto groups, analysis::ComputeVitals(store, r));
    for (const analysis::VitalsGroup& g : groups) {
      PageRow& row = pages[g.key[events::kPage]];
      row.page = g.key[events::kPage];
      if (v == events::Vital::kLCP) {
        row.lcp_p75 = g.p75;
        row.views = g.count;
      } else {
        row.inp_p75 = g.p75;
      }
    }
  }
  // Slowest first: by how far the page's p75 is beyond the good thresholds (LCP 2500 ms,
  // INP 200 ms), the worse of the two.
  auto badness = [](const PageRow& p) {
    return std::max(p.lcp_p75.value_or(0) / 2500.0, p.inp_p75.value_or(0) / 200.0);
  };
  for (auto& kv : pages) out->slowest_pages.push_back(std::move(kv.second));
  std::stable_sort(out->slowest_pages.begin(), out->slowest_pages.end(),
                   [&](const PageRow& a, const PageRow& b) { return badness(a) > badness(b); });
  if (out->slowest_pages.size() > kReportTopN) out->slowest_pages.resize(kReportTopN);
  return Status::Ok();
}

std::string RangeText(int64_t ms) {
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + "s" : std::to_string(ms) + "ms";
}

Result<query::promql::Vector> Instant(const query::promql::Engine& engine, const std::string& text, int64_t t_ms) {
  PW_ASSIGN_OR_RETURN(query::promql::ExprPtr expr, query::promql::ParseExpr(text));
  PW_ASSIGN_OR_RETURN(query::promql::Value v, engine.InstantQuery(*expr, t_ms));
  if (auto* vec = std::get_if<query::promql::Vector>(&v)) return std::move(*vec);
  return query::promql::Vector{};
}

// The RED series of the routes (the same expressions as the continuous watches,
// analysis/watch.cc), over the window and the previous period.
Status BuildRoutes(const query::promql::Engine& engine, Report* out) {
  const std::string range = "[" + RangeText(out->window_ms) + "]";
  const std::string p95 =
      "histogram_quantile(0.95, sum by (service, http_route, le) (increase(perfwatch_span_duration_seconds_bucket{"
      "http_route!=\"\"}" + range + ")))";
  const std::string calls = "sum by (service, http_route) (increase(perfwatch_span_calls_total{http_route!=\"\"}" +
                            range + "))";
  const std::string errors =
      "sum by (service, http_route) (increase(perfwatch_span_calls_total{http_route!=\"\","
      "status_code=\"STATUS_CODE_ERROR\"}" + range + "))";
  PW_ASSIGN_OR_RETURN(auto cur, Instant(engine, p95, out->to_ms));
  PW_ASSIGN_OR_RETURN(auto prev, Instant(engine, p95, out->from_ms - 1));
  PW_ASSIGN_OR_RETURN(auto call_counts, Instant(engine, calls, out->to_ms));
  PW_ASSIGN_OR_RETURN(auto error_counts, Instant(engine, errors, out->to_ms));
  auto key = [](const tsdb::Labels& l) {
    return std::string(l.Get("service")) + '\xff' + std::string(l.Get("http_route"));
  };
  std::map<std::string, double> prev_by, calls_by, errors_by;
  for (const auto& s : prev) prev_by[key(s.metric)] = s.v;
  for (const auto& s : call_counts) calls_by[key(s.metric)] = s.v;
  for (const auto& s : error_counts) errors_by[key(s.metric)] = s.v;
  for (const auto& s : cur) {
    if (!std::isfinite(s.v)) continue;
    RouteRow r;
    r.service = std::string(s.metric.Get("service"));
    r.route = std::string(s.metric.Get("http_route"));
    r.p95_seconds.current = s.v;
    const std::string k = key(s.metric);
    if (auto it = prev_by.find(k); it != prev_by.end() && std::isfinite(it->second)) r.p95_seconds.previous = it->second;
    if (auto it = calls_by.find(k); it != calls_by.end()) r.calls = it->second;
    if (r.calls > 0) r.error_ratio = (errors_by.contains(k) ? errors_by[k] : 0) / r.calls;
    out->slowest_routes.push_back(std::move(r));
  }
  std::stable_sort(out->slowest_routes.begin(), out->slowest_routes.end(), [](const RouteRow& a, const RouteRow& b) {
    return *a.p95_seconds.current > *b.p95_seconds.current;
  });
  if (out->slowest_routes.size() > kReportTopN) out->slowest_routes.resize(kReportTopN);
  out->routes_available = true;
  return Status::Ok();
}

std::string Percent(double ratio) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.0f%%", ratio * 100);
  return buf;
}

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, std::fabs(v) >= 100 ? "%.0f" : "%.3g", v);
  return buf;
}

void BuildRegressions(const analysis::Watcher& watcher, const ReportRequest& rq, Report* out) {
  for (const analysis::Regression& r : watcher.Regressions()) {
    if (r.labels.Get("app") != rq.app) continue;  // routes belong to services, not to the app
    if (r.time_ms < out->from_ms || r.time_ms > out->to_ms) {
      if (!r.active) continue;  // an older regression still active stays listed
    }
    RegressionRow row;
    row.id = r.id;
    row.where = std::string(r.labels.Get("page"));
    row.metric = r.metric;
    row.before = r.before;
    row.after = r.after;
    row.change = r.change;
    row.time_ms = r.time_ms;
    row.active = r.active;
    if (r.deploy) row.deploy_version = r.deploy->version;
    out->regressions.push_back(row);
    Finding f;
    f.source = "regression";
    const double rel = r.before != 0 ? (r.after - r.before) / std::fabs(r.before) : 0;
    f.severity = !r.active ? "info" : rel >= 0.5 ? "critical" : "warning";
    f.title = r.metric + " regressed on " + row.where + " (" + Number(r.before) + " → " + Number(r.after) +
              (r.before != 0 ? ", " + Percent(rel) : "") + ")";
    f.detail = std::string(r.active ? "still active" : "recovered") + " since " + FormatRfc3339Ms(r.time_ms) +
               (row.deploy_version.empty() ? "" : "; after deploy " + row.deploy_version);
    f.impact = std::fabs(rel);
    out->findings.push_back(std::move(f));
  }
}

void BuildLeaks(const analysis::LeakWatcher& watcher, const ReportRequest& rq, Report* out) {
  for (const analysis::LeakFinding& l : watcher.Findings()) {
    if (!l.result.leaking) continue;
    if (l.app != rq.app && l.labels.Get("app") != rq.app) continue;
    Finding f;
    f.source = "leak";
    const analysis::LeakSeverity sev = l.result.severity;
    f.severity = sev == analysis::LeakSeverity::kCritical ? "critical"
                 : sev == analysis::LeakSeverity::kHigh   ? "warning"
                                                          : "info";
    const std::string where = !l.page.empty() ? l.page : std::string(l.labels.Get("instance"));
    f.title = "Memory grows " + Number(l.result.growth_ratio_per_min * 100) + "%/min (" + l.metric +
              (where.empty() ? "" : ", " + where) + ")";
    f.detail = l.source == "rum" ? std::to_string(l.sessions_leaking) + " of " + std::to_string(l.sessions) +
                                       " sessions leaking; severity " + std::string(analysis::LeakSeverityName(sev))
                                 : "severity " + std::string(analysis::LeakSeverityName(sev));
    f.impact = l.result.growth_ratio_per_min;
    out->findings.push_back(std::move(f));
  }
}

Status BuildNetwork(const events::EventReader& store, const ReportRequest& rq, Report* out) {
  analysis::NetworkRequest nr;
  nr.app = rq.app;
  nr.from_ms = out->from_ms;
  nr.to_ms = out->to_ms;
  PW_ASSIGN_OR_RETURN(analysis::NetworkReport net, analysis::ComputeNetwork(store, nr));
  for (const analysis::PageNetwork& p : net.pages) {
    for (const analysis::NetworkFinding& nf : p.findings) {
      Finding f;
      f.source = "network";
      f.severity = nf.severity == "critical" || nf.severity == "warning" ? nf.severity : "info";
      f.title = nf.message;
      f.detail = p.page + " (" + std::to_string(p.views) + " views; " + nf.kind + ")";
      f.impact = static_cast<double>(p.views);
      out->findings.push_back(std::move(f));
    }
  }
  return Status::Ok();
}

int SeverityRank(std::string_view s) { return s == "critical" ? 0 : s == "warning" ? 1 : 2; }
int SourceRank(std::string_view s) { return s == "regression" ? 0 : s == "leak" ? 1 : 2; }

}  // namespace

std::optional<double> Trend::Change() const {
  if (!current || !previous || *previous == 0) return std::nullopt;
  return (*current - *previous) / *previous;
}

bool FindingBefore(const Finding& a, const Finding& b) {
  if (SeverityRank(a.severity) != SeverityRank(b.severity)) return SeverityRank(a.severity) < SeverityRank(b.severity);
  if (SourceRank(a.source) != SourceRank(b.source)) return SourceRank(a.source) < SourceRank(b.source);
  return a.impact > b.impact;
}

std::optional<int64_t> MedianMs(std::vector<int64_t> v) {
  if (v.empty()) return std::nullopt;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

AlertStats ComputeAlertStats(const std::vector<alert::AlertEpisode>& current,
                             const std::vector<alert::AlertEpisode>& previous, const std::string& app) {
  AlertStats s;
  s.available = true;
  // The app's alerts: labelled app=<app>, or without an app label (installation-wide).
  auto mine = [&](const alert::AlertEpisode& e) { return e.app.empty() || e.app == app; };
  std::vector<int64_t> ack, resolve;
  std::map<std::string, int64_t> names;
  for (const alert::AlertEpisode& e : current) {
    if (!mine(e)) continue;
    ++s.total;
    ++s.by_severity[e.severity.empty() ? "none" : e.severity];
    ++names[e.alertname];
    if (e.acknowledged_at_ms) {
      ++s.acknowledged;
      ack.push_back(std::max<int64_t>(0, e.acknowledged_at_ms - e.starts_at_ms));
    }
    if (e.resolved_at_ms) {
      ++s.resolved;
      resolve.push_back(std::max<int64_t>(0, e.resolved_at_ms - e.starts_at_ms));
    }
  }
  for (const alert::AlertEpisode& e : previous) s.previous_total += mine(e);
  s.median_ack_ms = MedianMs(std::move(ack));
  s.median_resolve_ms = MedianMs(std::move(resolve));
  s.top_alerts.assign(names.begin(), names.end());
  std::stable_sort(s.top_alerts.begin(), s.top_alerts.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  if (s.top_alerts.size() > kReportTopN) s.top_alerts.resize(kReportTopN);
  return s;
}

Result<Report> BuildReport(const ReportSources& src, const ReportRequest& rq) {
  if (rq.app.empty()) return InvalidArgument("app is required");
  if (rq.window_ms <= 0) return InvalidArgument("window must be positive");
  Report out;
  out.app = rq.app;
  out.window_ms = rq.window_ms;
  out.to_ms = rq.to_ms;
  out.from_ms = rq.to_ms - rq.window_ms;
  out.previous_from_ms = out.from_ms - rq.window_ms;
  out.generated_ms = NowMs();
  auto note = [&](const Status& s, std::string_view section) {
    if (!s.ok()) out.notes.push_back(std::string(section) + ": " + s.message());
  };
  if (src.events) {
    // A bad parameter is the caller's error; anything else only costs its section.
    Status s = BuildVitals(*src.events, rq, &out);
    if (s.code() == StatusCode::kInvalidArgument) return s;
    note(s, "vitals");
    note(BuildScore(*src.events, rq, &out), "score");
    note(BuildPages(*src.events, rq, &out), "slowest pages");
    note(BuildNetwork(*src.events, rq, &out), "network findings");
  }
  if (src.engine) note(BuildRoutes(*src.engine, &out), "slowest routes");
  if (src.regressions) BuildRegressions(*src.regressions, rq, &out);
  if (src.leaks) BuildLeaks(*src.leaks, rq, &out);
  if (src.deploys) {
    events::DeployFilter f;
    f.app = rq.app;
    f.start_ms = out.from_ms;
    f.end_ms = out.to_ms;
    for (const events::Deploy& d : src.deploys->List(f)) {
      out.deploys.push_back({d.id, d.version, d.commit, d.environment, d.time_ms});
    }
  }
  if (src.alert_episodes) {
    out.alerts = ComputeAlertStats(src.alert_episodes(out.from_ms, out.to_ms),
                                   src.alert_episodes(out.previous_from_ms, out.from_ms - 1), rq.app);
  }
  if (src.errors) {
    auto top = query::TopErrorGroups(*src.errors, out.from_ms, out.to_ms, rq.app, kReportTopN);
    note(top.status(), "top errors");  // ClickHouse down costs this section only
    for (const query::ErrorGroupSummary& e : top.ok() ? *top : std::vector<query::ErrorGroupSummary>{}) {
      out.errors.push_back({Hex64(e.fingerprint), e.type, e.message, e.count, e.sessions, e.is_new,
                            e.last_seen_ms});
    }
  }
  if (src.budget_runs) {
    auto runs = src.budget_runs(rq.app, 5);
    if (runs.ok()) {
      out.budget_available = true;
      out.budget_runs = std::move(runs).value();
    } else {
      note(runs.status(), "budget");
    }
  }
  std::stable_sort(out.findings.begin(), out.findings.end(), FindingBefore);
  return out;
}

}  // namespace perfwatch::report
