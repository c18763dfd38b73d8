#include "analysis/health.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>

#include "analysis/score_api.h"
#include "common/json_writer.h"
#include "common/log.h"
#include "common/time.h"
#include "tsdb/stale.h"

namespace perfwatch::analysis {
namespace {

constexpr double kWeightPerformance = 30, kWeightErrors = 25, kWeightLatency = 20, kWeightAvailability = 15,
                 kWeightAlerts = 10;
// Penalty per firing alert by priority: critical, high, warning, info, none.
constexpr double kAlertPenalty[5] = {40, 20, 10, 2, 2};
constexpr const char* kPriorityNames[5] = {"critical", "high", "warning", "info", "none"};

std::string Num(double v) {
  std::string s;
  AppendJsonNumber(s, v);
  return s;
}

// A duration as PromQL writes it: "1h", "90m", "30s", "1500ms".
std::string FormatDuration(int64_t ms) {
  if (ms % 3600'000 == 0) return std::to_string(ms / 3600'000) + "h";
  if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::string PromQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + '"';
}

// Index into kAlertPenalty of a `severity` label (alert/severity.h's mapping).
int PriorityIndex(std::string_view severity) {
  std::string v(severity);
  for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (v == "critical" || v == "p0" || v == "page") return 0;
  if (v == "high" || v == "p1") return 1;
  if (v == "warning" || v == "p2") return 2;
  if (v == "info" || v == "p3") return 3;
  return 4;
}

// The mean over services with data of 100 × min(1, target / value).
HealthPart ServicePart(std::string name, double weight, const HealthInputs& in, bool errors) {
  HealthPart p{std::move(name), false, weight, 0, "", ""};
  double sum = 0;
  int n = 0;
  std::string list = ",\"services\":[";
  for (const HealthInputs::Service& s : in.services) {
    const std::optional<double>& v = errors ? s.error_ratio : s.p95_seconds;
    const double target = errors ? s.error_ratio_target : s.latency_p95_target_seconds;
    if (list.back() != '[') list += ',';
    list += "{\"service\":";
    AppendJsonString(list, s.name);
    // Nine decimals: a ratio of rates shows as 0.2, not 0.19999999999999998.
    list += ",\"value\":" + (v ? Num(std::round(*v * 1e9) / 1e9) : std::string("null")) + ",\"target\":" + Num(target);
    if (v) {
      const double score = *v <= target ? 100 : 100 * target / *v;
      list += ",\"score\":" + Num(RoundScore(score));
      sum += score;
      ++n;
      if (!p.text.empty()) p.text += ", ";
      p.text += s.name + " " + (errors ? Num(RoundScore(*v * 100)) + "%" : Num(RoundScore(*v * 1000)) + " ms") +
                " (target " + (errors ? Num(target * 100) + "%" : Num(target * 1000) + " ms") + ")";
    }
    list += '}';
  }
  list += ']';
  p.json = list;
  if (n > 0) {
    p.included = true;
    p.score = sum / n;
  } else {
    p.text = in.services.empty() ? "no services configured (analysis.health.apps)" : "no server calls in the window";
  }
  return p;
}

}  // namespace

std::string_view HealthVerdict(double score) {
  if (score < 50) return "critical";
  if (score < 70) return "warning";
  if (score < 90) return "minor";
  return "healthy";
}

HealthReport ComputeHealth(std::string app, const HealthInputs& in) {
  HealthReport r;
  r.app = std::move(app);
  HealthPart perf{"performance", in.performance.has_value(), kWeightPerformance, in.performance.value_or(0), "", ""};
  perf.json = ",\"value\":" + (in.performance ? Num(RoundScore(*in.performance)) : std::string("null")) +
              ",\"views\":" + std::to_string(in.performance_views);
  perf.text = in.performance ? "score " + Num(RoundScore(*in.performance)) + " over " +
                                   std::to_string(in.performance_views) + " page views"
                             : "no page views in the window";
  r.parts.push_back(std::move(perf));
  r.parts.push_back(ServicePart("errors", kWeightErrors, in, true));
  r.parts.push_back(ServicePart("latency", kWeightLatency, in, false));
  r.parts.push_back({"availability", false, kWeightAvailability, 0,
                     ",\"reason\":\"synthetic checks are not available yet\"",
                     "left out: synthetic checks are not available yet"});
  HealthPart alerts{"alerts", true, kWeightAlerts, 100, ",\"firing\":{", ""};
  double penalty = 0;
  int total = 0;
  for (int i = 0; i < 5; ++i) {
    penalty += kAlertPenalty[i] * in.firing[i];
    total += in.firing[i];
    if (i) alerts.json += ',';
    alerts.json += "\"" + std::string(kPriorityNames[i]) + "\":" + std::to_string(in.firing[i]);
    if (in.firing[i] > 0) {
      if (!alerts.text.empty()) alerts.text += ", ";
      alerts.text += std::to_string(in.firing[i]) + " " + kPriorityNames[i];
    }
  }
  alerts.json += '}';
  alerts.score = std::max(0.0, 100 - penalty);
  alerts.text = total == 0 ? "no firing alerts" : alerts.text + " firing";
  r.parts.push_back(std::move(alerts));

  double weighted = 0, weights = 0;
  for (const HealthPart& p : r.parts) {
    if (!p.included) continue;
    weighted += p.weight * p.score;
    weights += p.weight;
  }
  if (weights > 0) {
    r.score = weighted / weights;
    r.verdict = std::string(HealthVerdict(RoundScore(*r.score)));
  }
  return r;
}

std::string RenderHealthJson(const HealthReport& r, int64_t window_ms) {
  std::string out = R"({"status":"success","data":{"app":)";
  AppendJsonString(out, r.app);
  out += R"(,"score":)";
  out += r.score ? Num(RoundScore(*r.score)) : "null";
  out += R"(,"verdict":)";
  AppendJsonString(out, r.verdict);
  out += R"(,"window":)";
  AppendJsonString(out, FormatDuration(window_ms));
  out += R"(,"parts":[)";
  for (size_t i = 0; i < r.parts.size(); ++i) {
    const HealthPart& p = r.parts[i];
    if (i) out += ',';
    out += R"({"name":)";
    AppendJsonString(out, p.name);
    out += p.included ? R"(,"included":true)" : R"(,"included":false)";
    out += ",\"weight\":" + Num(p.weight);
    out += ",\"score\":" + (p.included ? Num(RoundScore(p.score)) : std::string("null"));
    out += p.json;
    out += ",\"summary\":";
    AppendJsonString(out, p.text);
    out += '}';
  }
  out += "]}}";
  return out;
}

HealthService::HealthService(HealthConfig config, const events::EventStore* store, tsdb::Tsdb* tsdb,
                             InstantQueryFn query, FiringAlertsFn alerts)
    : config_(std::make_shared<const HealthConfig>(std::move(config))), store_(store), tsdb_(tsdb), query_(std::move(query)), alerts_(std::move(alerts)) {}

HealthService::~HealthService() { Stop(); }

std::shared_ptr<const HealthConfig> HealthService::config() const {
  std::lock_guard lock(config_mu_);
  return config_;
}

void HealthService::Apply(HealthConfig config) {
  thread_.Stop();  // a write in progress ends first
  {
    std::lock_guard lock(config_mu_);
    config_ = std::make_shared<const HealthConfig>(std::move(config));
  }
  Start();
}

Result<HealthReport> HealthService::Evaluate(const std::string& app, int64_t now_ms) const {
  return EvaluateWith(*config(), app, now_ms);
}

Result<HealthReport> HealthService::EvaluateWith(const HealthConfig& config, const std::string& app,
                                                 int64_t now_ms) const {
  HealthInputs in;
  auto score = ComputeScore(*store_, app, now_ms - config.window_ms, now_ms);
  if (!score.ok()) return score.status().WithContext("performance score");
  in.performance = score->score;
  in.performance_views = score->views;

  const HealthAppConfig* app_config = nullptr;
  for (const HealthAppConfig& a : config.apps) {
    if (a.app == app) app_config = &a;
  }
  std::set<std::string> services;
  if (app_config) {
    const std::string range = "[" + FormatDuration(config.window_ms) + "]";
    for (const HealthServiceConfig& s : app_config->services) {
      HealthInputs::Service svc;
      svc.name = s.name;
      svc.error_ratio_target = s.error_ratio_target > 0 ? s.error_ratio_target : config.error_ratio_target;
      svc.latency_p95_target_seconds =
          static_cast<double>(s.latency_p95_target_ms > 0 ? s.latency_p95_target_ms : config.latency_p95_target_ms) /
          1000.0;
      const std::string sel = "service=" + PromQuote(s.name) + ",span_kind=\"SPAN_KIND_SERVER\"";
      if (query_) {
        auto ratio = query_("(sum(rate(perfwatch_span_calls_total{" + sel +
                                ",status_code=\"STATUS_CODE_ERROR\"}" + range + ")) or vector(0)) / sum(rate(" +
                                "perfwatch_span_calls_total{" + sel + "}" + range + "))",
                            now_ms);
        if (!ratio.ok()) return ratio.status().WithContext("error ratio of " + s.name);
        svc.error_ratio = *ratio;
        auto p95 = query_("histogram_quantile(0.95, sum by (le) (rate(perfwatch_span_duration_seconds_bucket{" +
                              sel + "}" + range + ")))",
                          now_ms);
        if (!p95.ok()) return p95.status().WithContext("p95 of " + s.name);
        svc.p95_seconds = *p95;
      }
      services.insert(s.name);
      in.services.push_back(std::move(svc));
    }
  }
  if (alerts_) {
    for (const auto& labels : alerts_()) {
      std::string_view a_app, a_service, severity;
      for (const auto& [k, v] : labels) {
        if (k == "app") a_app = v;
        else if (k == "service") a_service = v;
        else if (k == "severity") severity = v;
      }
      if (a_app == app || (!a_service.empty() && services.count(std::string(a_service)))) {
        ++in.firing[PriorityIndex(severity)];
      }
    }
  }
  return ComputeHealth(app, in);
}

Result<size_t> HealthService::WriteSeries(int64_t now_ms) {
  if (!tsdb_) return size_t{0};
  const std::shared_ptr<const HealthConfig> config = this->config();
  std::set<std::string> apps;
  for (const HealthAppConfig& a : config->apps) apps.insert(a.app);
  events::VitalScan scan;
  scan.from_ms = now_ms - config->window_ms;
  scan.to_ms = now_ms;
  scan.group_by[events::kApp] = true;
  for (events::Vital v : {events::Vital::kLCP, events::Vital::kINP, events::Vital::kFCP, events::Vital::kCLS,
                          events::Vital::kTTFB}) {
    scan.vital = v;
    PW_RETURN_IF_ERROR(store_->ScanVitals(scan, [&](const auto& key, std::span<const double>) {
      apps.insert(std::string(key[events::kApp]));
    }));
  }
  std::lock_guard lock(write_mu_);
  std::vector<std::pair<tsdb::Labels, double>> rows;
  std::map<std::string, bool> current;
  for (const std::string& app : apps) {
    auto r = EvaluateWith(*config, app, now_ms);
    if (!r.ok()) {
      PW_LOG_WARN("health score failed", "app={} error={}", LogQuote(app), LogQuote(r.status().message()));
      continue;
    }
    if (!r->score) continue;
    const tsdb::LabelView views[] = {{tsdb::kMetricNameLabel, kHealthScoreMetric}, {"app", app}};
    rows.emplace_back(tsdb::Labels::FromViews(views), RoundScore(*r->score));
    current[app] = true;
  }
  for (const auto& [app, unused] : written_) {
    if (current.count(app)) continue;
    const tsdb::LabelView views[] = {{tsdb::kMetricNameLabel, kHealthScoreMetric}, {"app", app}};
    rows.emplace_back(tsdb::Labels::FromViews(views), tsdb::StaleNaN());
  }
  written_ = std::move(current);
  std::vector<std::vector<tsdb::LabelView>> views;
  std::vector<tsdb::Sample> samples;
  std::vector<tsdb::SeriesSamples> batch;
  views.reserve(rows.size());
  samples.reserve(rows.size());
  for (const auto& [labels, v] : rows) {
    views.push_back(labels.Views());
    samples.push_back({now_ms, v});
    batch.push_back({views.back(), std::span(&samples.back(), 1)});
  }
  if (!batch.empty()) {
    tsdb::AppendResult result;
    PW_RETURN_IF_ERROR(tsdb_->AppendBatch(batch, &result).WithContext(std::string(kHealthScoreMetric)));
  }
  return rows.size();
}

void HealthService::Register(http::Router& router) const {
  router.Handle(
      "GET", "/api/v1/health",
      [this](const http::Request& req, http::Response& res) {
        auto app = req.Param("app");
        if (!app || app->empty()) {
          http::WriteApiError(res, 400, "bad_data", "missing parameter \"app\"");
          return;
        }
        const std::shared_ptr<const HealthConfig> config = this->config();
        auto report = EvaluateWith(*config, *app, NowMs());
        if (!report.ok()) {
          http::WriteApiError(res, 500, "internal", report.status().message());
          return;
        }
        res.status = 200;
        res.content_type = "application/json";
        res.body = RenderHealthJson(*report, config->window_ms);
      },
      {.scope = http::Scope::kRead, .route_class = http::RouteClass::kQuery});
}

void HealthService::Start() {
  const int64_t interval_ms = config()->interval_ms;
  if (interval_ms <= 0 || !tsdb_) return;
  thread_.Start("pw-health", std::chrono::milliseconds(interval_ms), [this] {
    auto n = WriteSeries(NowMs());
    if (!n.ok()) PW_LOG_WARN("health score series failed", "error={}", LogQuote(n.status().message()));
  });
}

void HealthService::Stop() { thread_.Stop(); }

}  // namespace perfwatch::analysis
