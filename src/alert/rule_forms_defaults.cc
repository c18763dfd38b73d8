// The default rules of `alerts:` (group perfwatch:defaults), documented rule by rule in
// docs/alert-forms.md: Core Web Vitals p75 per app on the "poor" thresholds, and
// perfwatch's own health from its self-scrape (job="perfwatch").
#include "alert/rule_forms.h"

namespace perfwatch::alert {
namespace {

RuleSpec AlertRule(std::string name, std::string expr, int64_t for_ms, std::string severity, std::string summary) {
  RuleSpec r;
  r.alert = std::move(name);
  r.expr = std::move(expr);
  r.for_ms = for_ms;
  r.labels = {{"severity", std::move(severity)}};
  r.annotations = {{"summary", std::move(summary)}};
  return r;
}

constexpr int64_t kMinute = 60'000;

}  // namespace

std::vector<RuleSpec> DefaultAlertRules() {
  std::vector<RuleSpec> rules;
  // Core Web Vitals: the app-wide series (no page label), p75 beyond "poor", at least
  // 100 samples in the recorder's window.
  struct Vital {
    const char* name;
    const char* poor;
    const char* unit;
  };
  for (const Vital& v : {Vital{"LCP", "4", " s"}, Vital{"INP", "0.5", " s"}, Vital{"CLS", "0.25", ""}}) {
    const std::string m = std::string("metric=\"") + v.name + "\"";
    rules.push_back(AlertRule(std::string("WebVital") + v.name + "Poor",
                          "(rum_vital_percentile{page=\"\"," + m + ",percentile=\"75\"} > " + v.poor +
                              ") and on(app, page, metric) (rum_vital_samples{page=\"\"," + m + "} >= 100)",
                          10 * kMinute, "warning",
                          std::string("p75 ") + v.name + " of {{ $labels.app }} is {{ $value }}" + v.unit +
                              " (poor above " + v.poor + v.unit + ")"));
  }
  // Continuous watches (docs/analysis.md): a change point for the worse that still holds.
  rules.push_back(AlertRule("PerformanceRegression", "perfwatch_regression_active == 1", 0, "warning",
                            "{{ $labels.metric }} of {{ $labels.app }}{{ $labels.service }} "
                            "{{ $labels.page }}{{ $labels.route }} regressed (GET /api/v1/regressions)"));
  // Memory leaks (docs/analysis.md "Memory leaks"): sustained heap growth for 5 minutes.
  rules.push_back(AlertRule("MemoryLeak", "perfwatch_memory_leak_active == 1", 5 * kMinute, "warning",
                            "{{ $labels.metric }} of {{ $labels.app }}{{ $labels.job }} {{ $labels.page }}"
                            "{{ $labels.instance }} keeps growing (GET /api/v1/leaks)"));
  // Synthetic checks (docs/synthetic.md "Alerting"): failed twice in a row (each run is
  // already double-checked, so this is four failed attempts over two intervals).
  rules.push_back(AlertRule("SyntheticCheckFailing", "probe_consecutive_failures >= 2", 0, "critical",
                            "check {{ $labels.check }} ({{ $labels.instance }}) failed {{ $value }} runs in a row"));
  rules.push_back(AlertRule("PerfwatchIngestFailing",
                        "sum by (job, instance) (rate({__name__=~\"perfwatch_rum_append_failures_total|"
                        "perfwatch_rum_aggregate_append_failures_total\",job=\"perfwatch\"}[5m])) > 0",
                        5 * kMinute, "critical",
                        "perfwatch {{ $labels.instance }} fails to store RUM data ({{ $value }}/s)"));
  rules.push_back(AlertRule("PerfwatchIngestRejecting",
                        "sum by (job, instance) (rate({__name__=~\"perfwatch_remote_write_bad_requests_total|"
                        "perfwatch_rum_beacons_rejected_total\",job=\"perfwatch\"}[5m])) > 1",
                        15 * kMinute, "warning",
                        "perfwatch {{ $labels.instance }} rejects {{ $value }} beacons or remote-write requests per second"));
  rules.push_back(AlertRule("PerfwatchDiskAlmostFull",
                        "perfwatch_data_disk_free_bytes{job=\"perfwatch\"} < 1073741824 or "
                        "perfwatch_data_disk_free_bytes{job=\"perfwatch\"} / "
                        "perfwatch_data_disk_size_bytes{job=\"perfwatch\"} < 0.05",
                        5 * kMinute, "critical",
                        "perfwatch {{ $labels.instance }}: the data directory's disk is almost full"));
  rules.push_back(AlertRule("PerfwatchWalFsyncFailing",
                        "increase(perfwatch_tsdb_wal_fsync_errors_total{job=\"perfwatch\"}[15m]) > 0", 0, "critical",
                        "perfwatch {{ $labels.instance }}: fsync of the TSDB write-ahead log failed"));
  rules.push_back(AlertRule("PerfwatchNotificationsFailing",
                        "sum by (job, instance, integration) "
                        "(increase(alertmanager_notifications_failed_total{job=\"perfwatch\"}[15m])) > 0",
                        0, "warning",
                        "perfwatch {{ $labels.instance }}: {{ $labels.integration }} notifications are failing"));
  return rules;
}

}  // namespace perfwatch::alert
