// Issue 12's noise benchmark: how many notifications a healthy but noisy series hovering
// near its threshold causes over 24 simulated hours, with a plain Prometheus rule and
// with perfwatch's `threshold` form (severity levels, hysteresis, `for`, flap detection);
// and how soon each notifies a real, sustained breach in the same day.
//
//   build/bench/alert_noise_benchmark --benchmark_counters_tabular=true
//
// The whole pipeline runs as in the server: samples appended to a TSDB, rules evaluated
// by the RuleManager (interval and event-driven) with the PromQL engine, alerts through
// the built-in Alertmanager to a webhook receiver on loopback that counts the requests.
// Time is a FakeClock moved in 15 s steps (one sample and one evaluation interval each);
// ProcessDue runs the Alertmanager's timers at every step. Benchmark arguments: the
// variant (0..3, below) and the route (0: Alertmanager's defaults, group_wait 30s,
// group_interval 5m; 1: group_wait 0s, group_interval 5m; 2: group_wait 0s,
// group_interval 15s), repeat_interval 4h, group_by [alertname], send_resolved on.
//
// The series: checkout_p95_seconds = 2.7 + 0.2 N(0,1) every 15 s (threshold 3: about one
// sample in 15 is above it), except 18:00-18:20 when it is 5 + 0.2 N(0,1) (a real breach).
// Counters: notifications (webhook requests) over the day, those caused by the noise
// (outside 18:00-18:40), and breach_notify_s: simulated seconds from the breach's first
// sample to the first notification after it (the step granularity is 15 s: 0 means the
// same step; issue 10's alert_latency_bench measures that path in real time).
#include <benchmark/benchmark.h>

#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "alert/alertmanager.h"
#include "alert/rule_forms.h"
#include "alert/rule_manager.h"
#include "alert/rule_querier.h"
#include "query/promql_engine.h"
#include "support/temp_dir.h"
#include "support/webhook_receiver.h"
#include "tsdb/tsdb.h"

namespace perfwatch::alert {
namespace {

constexpr int64_t kT0 = 1'700'006'400'000;  // a UTC midnight
constexpr int64_t kStep = 15'000;
constexpr int64_t kDay = 24 * 3600'000LL;
constexpr int64_t kBreachStart = 18 * 3600'000LL;
constexpr int64_t kBreachEnd = kBreachStart + 20 * 60'000;
constexpr int64_t kBreachAftermath = kBreachStart + 40 * 60'000;  // notifications up to here belong to the breach

const char* const kVariantNames[] = {"plain rule (Prometheus)", "plain rule + flap detection",
                                     "plain rule, for: 5m", "threshold form"};

std::vector<RuleGroupSpec> Rules(int variant) {
  if (variant == 3) {
    auto forms = CompileAlertForms(R"(alerts:
  defaults: false
  interval: 15s
  threshold:
    - name: CheckoutSlow
      metric: checkout_p95_seconds
      for: 5m
      levels:
        - {severity: warning, threshold: 3, resolve_threshold: 2.5}
        - {severity: critical, threshold: 4, resolve_threshold: 3.5, for: 0s}
)",
                                   "bench.yml");
    if (!forms.ok()) std::abort();
    return forms->groups;
  }
  RuleGroupSpec g;
  g.file = "bench.yml";
  g.name = "plain";
  g.interval_ms = kStep;
  RuleSpec r;
  r.alert = "CheckoutSlow";
  r.expr = "checkout_p95_seconds > 3";
  r.for_ms = variant == 2 ? 5 * 60'000 : 0;
  r.labels = {{"severity", "warning"}};
  g.rules.push_back(r);
  return {g};
}

struct Outcome {
  size_t notifications = 0;
  size_t noise_notifications = 0;
  double breach_notify_s = -1;
};

Outcome Simulate(int variant, int route) {
  testing::TempDir dir("pw_noise_");
  tsdb::TsdbOptions to;
  to.dir = dir.path() / "tsdb";
  to.maintenance_interval = std::chrono::milliseconds(0);
  auto db = tsdb::Tsdb::Open(to, nullptr);
  if (!db.ok()) std::abort();
  query::promql::TsdbQueryable queryable(db->get());
  query::promql::Engine engine(&queryable);
  EngineRuleQuerier querier(&engine);
  FakeClock clock(kT0);

  testing::WebhookReceiver rx;
  if (!rx.Start()) std::abort();
  const char* timers[] = {"group_wait: 30s, group_interval: 5m", "group_wait: 0s, group_interval: 5m",
                          "group_wait: 0s, group_interval: 15s"};
  auto am_config = ParseAlertmanagerYaml(std::string("route: {receiver: team, group_by: [alertname], ") + timers[route] +
                                         ", repeat_interval: 4h}\nreceivers:\n  - name: team\n    webhook_configs: [{url: '" +
                                         rx.url() + "'}]\n");
  if (!am_config.ok()) std::abort();
  AlertmanagerOptions ao;
  ao.state_dir = dir.path() / "am";
  ao.clock = &clock;
  ao.start_threads = false;
  auto am = Alertmanager::Open(ao, std::move(am_config).value());
  if (!am.ok() || !(*am)->Start().ok()) std::abort();

  RuleManagerOptions ro;
  ro.state_dir = dir.path() / "rules";
  ro.default_interval_ms = kStep;
  ro.clock = &clock;
  ro.start_threads = false;
  ro.event_cpu_budget = 0;
  ro.flap = variant == 0 || variant == 2 ? FlapOptions{.window_ms = 0} : FlapOptions{};
  RuleManager rules(ro, db->get(), &querier, am->get());
  if (!rules.UpdateFromSpecs(Rules(variant)).ok() || !rules.Start().ok()) std::abort();

  std::mt19937_64 rng(42);
  std::normal_distribution<double> noise(0, 0.2);
  Outcome out;
  size_t seen = 0;
  for (int64_t t = 0; t < kDay; t += kStep) {
    clock.Set(kT0 + t);
    const bool breach = t >= kBreachStart && t < kBreachEnd;
    const double v = (breach ? 5.0 : 2.7) + noise(rng);
    const tsdb::LabelView labels[] = {{"__name__", "checkout_p95_seconds"}};
    const tsdb::Sample sample[] = {{kT0 + t, v}};
    std::vector<tsdb::SeriesSamples> batch = {{labels, sample}};
    if (!(*db)->AppendBatch(batch).ok()) std::abort();
    rules.RunPending();
    (*am)->ProcessDue();
    const size_t now = rx.count();
    if (now > seen) {
      if (t >= kBreachStart && out.breach_notify_s < 0) out.breach_notify_s = static_cast<double>(t - kBreachStart) / 1000;
      if (t < kBreachStart || t >= kBreachAftermath) out.noise_notifications += now - seen;
      seen = now;
    }
  }
  out.notifications = seen;
  rules.Stop();
  (*am)->Stop();
  return out;
}

void BM_Noise24h(benchmark::State& state) {
  const int variant = static_cast<int>(state.range(0));
  const int route = static_cast<int>(state.range(1));
  Outcome o;
  for (auto _ : state) o = Simulate(variant, route);
  state.SetLabel(kVariantNames[variant]);
  state.counters["notifications"] = static_cast<double>(o.notifications);
  state.counters["from_noise"] = static_cast<double>(o.noise_notifications);
  state.counters["breach_notify_s"] = o.breach_notify_s;
}
BENCHMARK(BM_Noise24h)
    ->ArgsProduct({{0, 1, 2, 3}, {0, 1, 2}})
    ->ArgNames({"variant", "route"})
    ->Iterations(1)
    ->Unit(benchmark::kSecond);

}  // namespace
}  // namespace perfwatch::alert
