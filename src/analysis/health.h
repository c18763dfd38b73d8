#pragma once
// The health score (issue 15 item 5; docs/score.md "Health score"): 0–100 for one app,
// the weighted mean of the parts it has data for, each part 0–100:
//   performance  30  the app's performance score (score.h) over the window
//   errors       25  per configured service: 100 when its server-span error ratio is at or
//                    below the target, else 100 × target / ratio; mean over the services
//                    that served calls
//   latency      20  per service: 100 when its p95 of server spans is at or below the
//                    target, else 100 × target / p95; mean likewise
//   availability 15  synthetic checks: not available yet (issue 18 does not exist), always
//                    left out
//   alerts       10  100 − 40 per firing critical alert (severity critical/p0/page), 20 per
//                    high, 10 per warning, 2 per info or unlabelled, at least 0; the app's
//                    alerts are those labelled app="<app>" or service="<one of its services>"
// A part without data is left out and the weights of the others renormalised. Verdict
// (the seeds' thresholds): < 50 critical, < 70 warning, < 90 minor, else healthy.
// GET /api/v1/health?app= answers {"status":"success","data":{"app","score","verdict",
// "window","parts":[{"name","included","weight","score",...}]}}; the writer records
// perfwatch_health_score{app} every analysis.health.interval for the configured apps and
// every app with vitals in the window.
// Reload (`analysis.health` changed; docs/operations.md "Reloading"): Apply swaps the
// configuration (already checked by the config parser) between writes and restarts the
// writer's schedule; evaluations that start from then on use it.
// Thread safety: HealthService is thread-safe (Evaluate from any thread; Start/Stop/Apply
// from one controlling thread).
#include <array>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/periodic_thread.h"
#include "common/status.h"
#include "events/event_store.h"
#include "http/router.h"
#include "tsdb/tsdb.h"

namespace perfwatch::analysis {

inline constexpr std::string_view kHealthScoreMetric = "perfwatch_health_score";

// What the parts are computed from.
struct HealthInputs {
  std::optional<double> performance;  // 0..100; nullopt: no page views in the window
  int64_t performance_views = 0;
  struct Service {
    std::string name;
    std::optional<double> error_ratio;  // nullopt: no server calls in the window
    std::optional<double> p95_seconds;
    double error_ratio_target = 0.01;
    double latency_p95_target_seconds = 1;
  };
  std::vector<Service> services;
  // Firing alerts of the app by priority: critical, high, warning, info, none.
  std::array<int, 5> firing{};
};

struct HealthPart {
  std::string name;
  bool included = false;
  double weight = 0;  // the configured weight (renormalisation is over the included ones)
  double score = 0;   // 0..100 when included
  std::string json;   // the part's own fields (",\"value\":...") for the answer
  std::string text;   // one line for the CLI
};

struct HealthReport {
  std::string app;
  std::optional<double> score;  // nullopt when no part has data (never: alerts always counts)
  std::string verdict;
  std::vector<HealthPart> parts;
};

HealthReport ComputeHealth(std::string app, const HealthInputs& in);
std::string_view HealthVerdict(double score);
std::string RenderHealthJson(const HealthReport& report, int64_t window_ms);

// The firing alerts of every alerting rule: their labels.
using FiringAlertsFn = std::function<std::vector<std::vector<std::pair<std::string, std::string>>>()>;
// An instant PromQL query answering at most one sample; nullopt for an empty answer or NaN.
using InstantQueryFn = std::function<Result<std::optional<double>>(const std::string& expr, int64_t t_ms)>;

class HealthService {
 public:
  // `store`, `tsdb` (may be null: no series) outlive the service.
  HealthService(HealthConfig config, const events::EventStore* store, tsdb::Tsdb* tsdb, InstantQueryFn query,
                FiringAlertsFn alerts);
  ~HealthService();

  Result<HealthReport> Evaluate(const std::string& app, int64_t now_ms) const;
  // Writes perfwatch_health_score{app} at now_ms for the apps above; returns how many.
  Result<size_t> WriteSeries(int64_t now_ms);
  // GET /api/v1/health?app= (scope read).
  void Register(http::Router& router) const;
  void Start();
  void Stop();
  // Replaces the configuration after the write in progress, then writes every new
  // interval from now (a started service only: call Start first).
  void Apply(HealthConfig config);
  // The current configuration.
  std::shared_ptr<const HealthConfig> config() const;

 private:
  Result<HealthReport> EvaluateWith(const HealthConfig& config, const std::string& app, int64_t now_ms) const;

  mutable std::mutex config_mu_;
  std::shared_ptr<const HealthConfig> config_;  // guarded by config_mu_ (the pointee is immutable)
  const events::EventStore* const store_;
  tsdb::Tsdb* const tsdb_;
  const InstantQueryFn query_;
  const FiringAlertsFn alerts_;
  std::mutex write_mu_;
  std::map<std::string, bool> written_;  // guarded by write_mu_: apps written last time
  PeriodicThread thread_;
};

}  // namespace perfwatch::analysis
