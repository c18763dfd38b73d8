#include "analysis/watch.h"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <limits>

#include "analysis/vitals_series.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/time.h"
#include "query/promql_parser.h"

namespace perfwatch::analysis {
namespace {

constexpr events::Vital kWatchedVitals[] = {events::Vital::kLCP, events::Vital::kINP, events::Vital::kCLS,
                                            events::Vital::kFCP, events::Vital::kTTFB};
constexpr int kAppDim = 0;
constexpr int kPageDim = 1;

bool IsWorse(WatchDirection d, double before, double after) {
  switch (d) {
    case WatchDirection::kUp: return after > before;
    case WatchDirection::kDown: return after < before;
    case WatchDirection::kBoth: return after != before;
  }
  return false;
}

// How much worse `now` is than `before`, relative, in the direction of a change to `after`.
double WorseBy(double before, double after, double now) {
  const double sign = after > before ? 1 : -1;
  const double delta = sign * (now - before);
  if (before == 0) return delta > 0 ? std::numeric_limits<double>::infinity() : 0;
  return delta / std::abs(before);
}

std::string RegressionId(const tsdb::Labels& labels, int64_t time_ms) {
  const uint64_t h = HashBytes(labels.ToString(), static_cast<uint64_t>(time_ms));
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, h);
  return buf;
}

tsdb::Labels WithMetric(const tsdb::Labels& labels, std::string_view metric) {
  std::vector<tsdb::LabelView> views;
  for (const tsdb::Label& l : labels) {
    if (l.name != tsdb::kMetricNameLabel && l.name != "metric") views.push_back({l.name, l.value});
  }
  views.push_back({"metric", metric});
  return tsdb::Labels::FromViews(views);
}

// "[3600s]"-style range text for a step.
std::string RangeText(int64_t step_ms) {
  if (step_ms % 1000 == 0) return std::to_string(step_ms / 1000) + "s";
  return std::to_string(step_ms) + "ms";
}

Result<query::promql::Matrix> RunRange(const query::promql::Engine& engine, std::string_view text, int64_t start,
                                       int64_t end, int64_t step) {
  PW_ASSIGN_OR_RETURN(query::promql::ExprPtr expr, query::promql::ParseExpr(text));
  return engine.RangeQuery(*expr, start, end, step);
}

}  // namespace

std::optional<WatchDirection> ParseWatchDirection(std::string_view s) {
  if (s == "up") return WatchDirection::kUp;
  if (s == "down") return WatchDirection::kDown;
  if (s == "both") return WatchDirection::kBoth;
  return std::nullopt;
}

std::vector<Regression> FindRegressions(const WatchedSeries& series) {
  std::vector<Regression> out;
  if (series.values.size() < static_cast<size_t>(2 * series.options.min_segment)) return out;
  const std::vector<Changepoint> cps = DetectChangepoints(series.values, series.options);
  if (cps.empty()) return out;
  const double now = cps.back().after_mean;  // the last segment's (outlier-clipped) mean
  for (const Changepoint& cp : cps) {
    if (!IsWorse(series.direction, cp.before_mean, cp.after_mean)) continue;
    Regression r;
    r.labels = series.labels;
    r.metric = series.metric;
    r.before = cp.before_mean;
    r.after = cp.after_mean;
    r.change = cp.change;
    r.p_value = cp.p_value;
    r.time_ms = series.times_ms[cp.index];
    r.deploy_lookup_ms = r.time_ms + series.point_span_ms;
    const double worse = WorseBy(cp.before_mean, cp.after_mean, now);
    r.active = worse > 0 && worse >= series.options.min_magnitude;
    r.id = RegressionId(r.labels, r.time_ms);
    out.push_back(std::move(r));
  }
  return out;
}

WatcherOptions WatcherOptionsFromConfig(const AnalysisConfig& c) {
  WatcherOptions o;
  o.interval_ms = c.watch_interval_ms;
  o.lookback_ms = c.watch_lookback_ms;
  o.min_views = static_cast<uint64_t>(std::max(c.watch_min_views, 1));
  o.max_series = static_cast<size_t>(std::max(c.watch_max_series, 0));
  o.changepoint = {.min_segment = c.changepoint_min_segment,
                   .window = c.changepoint_window,
                   .max_p_value = c.changepoint_max_p_value,
                   .min_magnitude = c.changepoint_min_magnitude};
  o.watch = c.watch;
  return o;
}

Result<std::unique_ptr<Watcher>> Watcher::Create(WatcherOptions options, const events::EventStore* store,
                                                 const query::promql::Engine* engine, tsdb::Tsdb* tsdb,
                                                 const events::DeployStore* deploys, MetricsRegistry* metrics) {
  PW_RETURN_IF_ERROR(CheckOptions(options));
  return std::unique_ptr<Watcher>(new Watcher(std::move(options), store, engine, tsdb, deploys, metrics));
}

Status Watcher::CheckOptions(const WatcherOptions& options) {
  PW_RETURN_IF_ERROR(ValidateChangepointOptions(options.changepoint).WithContext("analysis.changepoint"));
  if (options.lookback_ms < options.vital_step_ms) return InvalidArgument("analysis.watch_lookback: under one hour");
  for (const WatchExprConfig& w : options.watch) {
    const std::string where = "analysis.watch \"" + w.name + "\"";
    if (!ParseWatchDirection(w.direction)) return InvalidArgument(where + ": direction must be up, down or both");
    if (w.step_ms <= 0) return InvalidArgument(where + ": step must be positive");
    auto parsed = query::promql::ParseExpr(w.expr);
    if (!parsed.ok()) return InvalidArgument(where + ": " + parsed.status().message());
  }
  return Status::Ok();
}

Watcher::Watcher(WatcherOptions options, const events::EventStore* store, const query::promql::Engine* engine,
                 tsdb::Tsdb* tsdb, const events::DeployStore* deploys, MetricsRegistry* metrics)
    : options_(std::move(options)), store_(store), engine_(engine), deploys_(deploys),
      active_(tsdb, kRegressionActiveMetric) {
  if (metrics) {
    runs_ = metrics->GetCounter("perfwatch_watch_evaluations_total",
                                "Passes of the continuous watches (docs/analysis.md).");
    failures_ = metrics->GetCounter("perfwatch_watch_failures_total",
                                    "Continuous-watch sources (vitals, routes, a watch expression) or appends that failed.");
    capped_ = metrics->GetCounter("perfwatch_watch_series_dropped_total",
                                  "Series left out of a continuous-watch pass by analysis.watch_max_series.");
    duration_ = metrics->GetGauge("perfwatch_watch_last_duration_seconds", "How long the last continuous-watch pass took.");
    series_ = metrics->GetGauge("perfwatch_watch_series", "Series analysed by the last continuous-watch pass.");
  }
}

Watcher::~Watcher() { Stop(); }

Status Watcher::CollectVitals(int64_t now_ms, std::vector<WatchedSeries>* out) const {
  if (!store_) return Status::Ok();
  for (events::Vital vital : kWatchedVitals) {
    VitalsRequest r;
    r.percentile = 75;
    r.scan.vital = vital;
    r.scan.from_ms = now_ms - options_.lookback_ms;
    r.scan.to_ms = now_ms;
    r.scan.group_by[kAppDim] = true;
    r.scan.group_by[kPageDim] = true;
    PW_ASSIGN_OR_RETURN(std::vector<VitalSeries> series, ComputeVitalSeries(*store_, r, options_.vital_step_ms));
    const std::string_view metric = events::VitalName(vital);
    for (VitalSeries& s : series) {
      const std::string& app = s.key[kAppDim];
      const std::string& page = s.key[kPageDim];
      if (app.empty() || page.empty()) continue;
      WatchedSeries w;
      for (size_t i = 0; i < s.values.size(); ++i) {
        if (s.counts[i] < options_.min_views || !std::isfinite(s.values[i])) continue;
        w.times_ms.push_back(s.step_starts_ms[i]);
        w.values.push_back(s.values[i]);
        w.weight += static_cast<double>(s.counts[i]);
      }
      if (w.values.empty()) continue;
      w.labels = tsdb::Labels::FromPairs({{"app", app}, {"page", page}, {"metric", metric}});
      w.metric = std::string(metric);
      w.deploy_app = app;
      w.options = options_.changepoint;
      w.point_span_ms = options_.vital_step_ms;
      out->push_back(std::move(w));
    }
  }
  return Status::Ok();
}

Status Watcher::CollectRoutes(int64_t now_ms, std::vector<WatchedSeries>* out) const {
  if (!engine_) return Status::Ok();
  const int64_t step = options_.vital_step_ms;
  const int64_t end = now_ms - now_ms % step;
  const int64_t start = end - options_.lookback_ms + step;
  const std::string range = "[" + RangeText(step) + "]";
  PW_ASSIGN_OR_RETURN(query::promql::Matrix calls,
                      RunRange(*engine_,
                               "sum by (service, http_route) (increase(perfwatch_span_calls_total{http_route!=\"\"}" +
                                   range + "))",
                               start, end, step));
  if (calls.empty()) return Status::Ok();
  PW_ASSIGN_OR_RETURN(
      query::promql::Matrix errors,
      RunRange(*engine_,
               "sum by (service, http_route) (increase(perfwatch_span_calls_total{http_route!=\"\","
               "status_code=\"STATUS_CODE_ERROR\"}" + range + "))",
               start, end, step));
  PW_ASSIGN_OR_RETURN(
      query::promql::Matrix p95,
      RunRange(*engine_,
               "histogram_quantile(0.95, sum by (service, http_route, le) "
               "(rate(perfwatch_span_duration_seconds_bucket{http_route!=\"\"}" + range + ")))",
               start, end, step));
  auto key = [](const tsdb::Labels& l) {
    return std::string(l.Get("service")) + '\xff' + std::string(l.Get("http_route"));
  };
  std::map<std::string, const query::promql::Series*> errors_by_key, p95_by_key;
  for (const auto& s : errors) errors_by_key[key(s.metric)] = &s;
  for (const auto& s : p95) p95_by_key[key(s.metric)] = &s;
  for (const query::promql::Series& c : calls) {
    const std::string k = key(c.metric);
    const std::string_view service = c.metric.Get("service");
    const std::string_view route = c.metric.Get("http_route");
    std::map<int64_t, double> busy;  // point time -> calls, hours with enough calls only
    double weight = 0;
    for (const auto& p : c.points) {
      if (p.v >= static_cast<double>(options_.min_views)) {
        busy[p.t] = p.v;
        weight += p.v;
      }
    }
    if (busy.empty()) continue;
    auto make = [&](std::string_view metric) {
      WatchedSeries w;
      w.labels = tsdb::Labels::FromPairs({{"service", service}, {"route", route}, {"metric", metric}});
      w.metric = std::string(metric);
      w.deploy_service = std::string(service);
      w.options = options_.changepoint;
      w.point_span_ms = 0;
      w.weight = weight;
      return w;
    };
    WatchedSeries ratio = make("error_ratio");
    std::map<int64_t, double> errs;
    if (auto it = errors_by_key.find(k); it != errors_by_key.end()) {
      for (const auto& p : it->second->points) errs[p.t] = p.v;
    }
    for (const auto& [t, n] : busy) {
      auto e = errs.find(t);
      ratio.times_ms.push_back(t);
      ratio.values.push_back(e == errs.end() || !std::isfinite(e->second) ? 0.0 : e->second / n);
    }
    out->push_back(std::move(ratio));
    if (auto it = p95_by_key.find(k); it != p95_by_key.end()) {
      WatchedSeries lat = make("p95");
      for (const auto& p : it->second->points) {
        if (busy.count(p.t) && std::isfinite(p.v)) {
          lat.times_ms.push_back(p.t);
          lat.values.push_back(p.v);
        }
      }
      if (!lat.values.empty()) out->push_back(std::move(lat));
    }
  }
  return Status::Ok();
}

Status Watcher::CollectExpr(const WatchExprConfig& w, int64_t now_ms, std::vector<WatchedSeries>* out) const {
  if (!engine_) return Status::Ok();
  const int64_t end = now_ms - now_ms % w.step_ms;
  const int64_t start = end - options_.lookback_ms + w.step_ms;
  PW_ASSIGN_OR_RETURN(query::promql::Matrix m, RunRange(*engine_, w.expr, start, end, w.step_ms));
  ChangepointOptions options = options_.changepoint;
  if (w.min_magnitude >= 0) options.min_magnitude = w.min_magnitude;
  const WatchDirection direction = ParseWatchDirection(w.direction).value_or(WatchDirection::kUp);
  for (const query::promql::Series& s : m) {
    WatchedSeries ws;
    for (const auto& p : s.points) {
      if (!std::isfinite(p.v)) continue;
      ws.times_ms.push_back(p.t);
      ws.values.push_back(p.v);
    }
    if (ws.values.empty()) continue;
    ws.labels = WithMetric(s.metric, w.name);
    ws.metric = w.name;
    ws.deploy_app = std::string(s.metric.Get("app"));
    ws.deploy_service = std::string(s.metric.Get("service"));
    ws.direction = direction;
    ws.options = options;
    ws.weight = std::numeric_limits<double>::infinity();  // configured: always first
    out->push_back(std::move(ws));
  }
  return Status::Ok();
}

Result<std::vector<WatchedSeries>> Watcher::CollectSeries(int64_t now_ms) const {
  std::vector<WatchedSeries> out;
  Status first = Status::Ok();
  auto note = [&](Status st, std::string_view what) {
    if (st.ok()) return;
    if (failures_) failures_->Inc();
    PW_LOG_WARN("continuous watch source failed", "source={} error={}", what, LogQuote(st.message()));
    if (first.ok()) first = st.WithContext(std::string(what));
  };
  for (const WatchExprConfig& w : options_.watch) note(CollectExpr(w, now_ms, &out), "analysis.watch " + w.name);
  note(CollectRoutes(now_ms, &out), "routes");
  note(CollectVitals(now_ms, &out), "vitals");
  if (out.empty() && !first.ok()) return first;
  std::stable_sort(out.begin(), out.end(),
                   [](const WatchedSeries& a, const WatchedSeries& b) { return a.weight > b.weight; });
  if (out.size() > options_.max_series) {
    if (capped_) capped_->Inc(out.size() - options_.max_series);
    out.resize(options_.max_series);
  }
  return out;
}

Result<size_t> Watcher::RunAt(int64_t now_ms) {
  std::lock_guard lock(run_mu_);
  const auto started = std::chrono::steady_clock::now();
  if (runs_) runs_->Inc();
  PW_ASSIGN_OR_RETURN(std::vector<WatchedSeries> series, CollectSeries(now_ms));
  std::vector<Regression> found;
  for (const WatchedSeries& s : series) {
    for (Regression& r : FindRegressions(s)) {
      if (deploys_ && (!s.deploy_app.empty() || !s.deploy_service.empty())) {
        r.deploy = deploys_->ClosestBefore(s.deploy_app, s.deploy_service, r.deploy_lookup_ms);
      }
      found.push_back(std::move(r));
    }
  }
  std::stable_sort(found.begin(), found.end(), [](const Regression& a, const Regression& b) {
    if (a.active != b.active) return a.active;
    return a.time_ms > b.time_ms;
  });
  Status st = WriteActive(now_ms, found);
  {
    std::lock_guard l(mu_);
    regressions_ = std::move(found);
  }
  if (duration_) duration_->Set(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  if (series_) series_->Set(static_cast<double>(series.size()));
  if (!st.ok()) {
    if (failures_) failures_->Inc();
    PW_LOG_WARN("perfwatch_regression_active append failed", "error={}", LogQuote(st.message()));
    return st.WithContext("perfwatch_regression_active");
  }
  return series.size();
}

Status Watcher::WriteActive(int64_t now_ms, const std::vector<Regression>& regressions) {
  for (const Regression& r : regressions) active_.Add(r.labels, r.active);
  return active_.Write(now_ms);
}

std::vector<Regression> Watcher::Regressions() const {
  std::lock_guard l(mu_);
  return regressions_;
}

void Watcher::Start() {
  int64_t interval_ms;
  {
    std::lock_guard lock(run_mu_);
    interval_ms = options_.interval_ms;
  }
  if (interval_ms <= 0) return;
  thread_.Start("pw-regressions", std::chrono::milliseconds(interval_ms), [this] { (void)RunAt(NowMs()); });
}

void Watcher::Stop() { thread_.Stop(); }

void Watcher::Apply(WatcherOptions options) {
  thread_.Stop();  // a pass in progress ends first
  bool off;
  {
    std::lock_guard lock(run_mu_);
    options_ = std::move(options);
    off = options_.interval_ms <= 0;
  }
  if (off) {
    std::lock_guard lock(mu_);
    regressions_.clear();  // as a server started with interval 0 answers
  }
  Start();
}

}  // namespace perfwatch::analysis
