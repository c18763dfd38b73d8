// perfwatch's rule forms (`alerts:`): what each form compiles to, the errors, and the
// compiled rules evaluated by a RuleManager over a real store, PromQL engine and a fake
// clock (threshold hysteresis and `for`, vitals_budget's min_samples, SLO burn rates).
#include "alert/rule_forms.h"

#include <gtest/gtest.h>

#include <cmath>

#include "alert/rule_manager.h"
#include "alert/rule_querier.h"
#include "alert/rule_test_support.h"
#include "alert/slo_api.h"
#include "common/time.h"
#include "query/promql_engine.h"
#include "query/promql_parser.h"
#include "tsdb/tsdb.h"
#include "tsdb/tsdb_test_util.h"

namespace perfwatch::alert {
namespace {

using testing::RecordingSink;
using tsdb::testing::OwnedSeries;
using tsdb::testing::TempDir;

AlertForms MustCompile(const std::string& yaml) {
  auto forms = CompileAlertForms(yaml, "pw.yml");
  EXPECT_TRUE(forms.ok()) << forms.status().ToString();
  return forms.ok() ? std::move(forms).value() : AlertForms{};
}

std::string CompileError(const std::string& yaml) {
  auto forms = CompileAlertForms(yaml, "pw.yml");
  return forms.ok() ? std::string("<compiled>") : forms.status().message();
}

// The number after the first `key` in a JSON text (NaN when absent).
double JsonNumber(const std::string& body, const std::string& key) {
  size_t at = body.find(key);
  return at == std::string::npos ? NAN : std::strtod(body.c_str() + at + key.size(), nullptr);
}

const RuleGroupSpec* FindGroup(const AlertForms& forms, std::string_view name) {
  for (const RuleGroupSpec& g : forms.groups) {
    if (g.name == name) return &g;
  }
  return nullptr;
}

std::string Label(const RuleSpec& r, std::string_view name) {
  for (const auto& [n, v] : r.labels) {
    if (n == name) return v;
  }
  return "";
}

// ------------------------------------------------------------------ compile output

TEST(RuleFormsCompile, NoAlertsSectionGivesTheDefaultRulesOnly) {
  AlertForms forms = MustCompile("listen: 127.0.0.1:0\n");
  ASSERT_EQ(forms.groups.size(), 1u);
  EXPECT_EQ(forms.groups[0].name, "perfwatch:defaults");
  EXPECT_EQ(forms.groups[0].file, "pw.yml#alerts");
  std::vector<std::string> names;
  for (const RuleSpec& r : forms.groups[0].rules) {
    names.push_back(r.alert);
    EXPECT_TRUE(Rule::Create(r).ok()) << r.alert << ": " << r.expr;
    EXPECT_FALSE(Label(r, "severity").empty()) << r.alert;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"WebVitalLCPPoor", "WebVitalINPPoor", "WebVitalCLSPoor",
                                             "PerformanceRegression", "MemoryLeak", "SyntheticCheckFailing", "PerfwatchIngestFailing", "PerfwatchIngestRejecting",
                                             "PerfwatchDiskAlmostFull", "PerfwatchWalFsyncFailing",
                                             "PerfwatchNotificationsFailing"}));
  EXPECT_EQ(forms.groups[0].rules[0].expr,
            "(rum_vital_percentile{page=\"\",metric=\"LCP\",percentile=\"75\"} > 4) and on(app, page, metric) "
            "(rum_vital_samples{page=\"\",metric=\"LCP\"} >= 100)");
  EXPECT_TRUE(MustCompile("alerts:\n  defaults: false\n").groups.empty());
  EXPECT_TRUE(MustCompile("alerts:\n").defaults);
}

TEST(RuleFormsCompile, ThresholdWithoutHysteresisIsAPlainComparison) {
  AlertForms forms = MustCompile(R"(alerts:
  defaults: false
  threshold:
    - name: HighErrors
      metric: 'http_errors{job="api"}'
      threshold: 3
      for: 5m
      labels: {team: web}
      annotations: {summary: too many}
)");
  const RuleGroupSpec* g = FindGroup(forms, "perfwatch:threshold");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->file, "pw.yml#alerts");
  ASSERT_EQ(g->rules.size(), 1u);
  const RuleSpec& r = g->rules[0];
  EXPECT_EQ(r.alert, "HighErrors");
  EXPECT_EQ(r.expr, "http_errors{job=\"api\"} > 3");
  EXPECT_EQ(r.for_ms, 300'000);
  EXPECT_EQ(Label(r, "severity"), "warning");
  EXPECT_EQ(Label(r, "team"), "web");
  ASSERT_EQ(r.annotations.size(), 1u);
  EXPECT_EQ(r.annotations[0].second, "too many");
  EXPECT_EQ(r.line, 4);
}

TEST(RuleFormsCompile, ThresholdLevelsWithHysteresisReadTheirOwnAlerts) {
  AlertForms forms = MustCompile(R"(alerts:
  defaults: false
  threshold:
    - name: SlowLCP
      expr: max by (app) (lcp_p75)
      op: '>='
      labels: {team: web}
      levels:
        - {severity: warning, threshold: 3, resolve_threshold: 2.5}
        - {severity: critical, threshold: 4}
)");
  const RuleGroupSpec* g = FindGroup(forms, "perfwatch:threshold");
  ASSERT_NE(g, nullptr);
  ASSERT_EQ(g->rules.size(), 2u);
  EXPECT_EQ(g->rules[0].expr,
            "((max by (app) (lcp_p75)) >= 2.5) and ignoring(alertname, alertstate, flapping, severity, team) "
            "(((max by (app) (lcp_p75)) >= 3) or ignoring(alertname, alertstate, flapping, severity, team) "
            "ALERTS{alertname=\"SlowLCP\",alertstate=\"firing\",severity=\"warning\"})");
  EXPECT_EQ(Label(g->rules[0], "severity"), "warning");
  EXPECT_EQ(g->rules[1].expr, "(max by (app) (lcp_p75)) >= 4");
  EXPECT_EQ(Label(g->rules[1], "severity"), "critical");
  // The PromQL engine's parser takes the generated text.
  for (const RuleSpec& r : g->rules) {
    auto rule = Rule::Create(r);
    ASSERT_TRUE(rule.ok()) << rule.status().ToString();
  }
}

TEST(RuleFormsCompile, VitalsBudgetSelectsExactPercentilesGatedByMinSamples) {
  AlertForms forms = MustCompile(R"(alerts:
  defaults: false
  vitals_budget:
    - name: SearchLCP
      app: shop
      page: /search
      metric: lcp
    - name: CheckoutINP
      app: shop
      pages: [/cart, /checkout.v2]
      metric: INP
      percentile: 95
      min_samples: 20
      levels: [{severity: warning}, {severity: critical}]
)");
  const RuleGroupSpec* g = FindGroup(forms, "perfwatch:vitals_budget");
  ASSERT_NE(g, nullptr);
  ASSERT_EQ(g->rules.size(), 3u);
  EXPECT_EQ(g->rules[0].expr,
            "(rum_vital_percentile{app=\"shop\",page=\"/search\",metric=\"LCP\",percentile=\"75\"} > 4) and "
            "on(app, page, metric) (rum_vital_samples{app=\"shop\",page=\"/search\",metric=\"LCP\"} >= 100)");
  // Levels without thresholds: warning beyond "good", critical beyond "poor".
  EXPECT_EQ(g->rules[1].expr,
            "(rum_vital_percentile{app=\"shop\",page=~\"/cart|/checkout\\\\.v2\",metric=\"INP\",percentile=\"95\"} > 0.2) "
            "and on(app, page, metric) (rum_vital_samples{app=\"shop\",page=~\"/cart|/checkout\\\\.v2\",metric=\"INP\"} >= 20)");
  EXPECT_EQ(Label(g->rules[1], "severity"), "warning");
  EXPECT_NE(g->rules[2].expr.find("> 0.5)"), std::string::npos) << g->rules[2].expr;
  EXPECT_EQ(Label(g->rules[2], "severity"), "critical");
}

TEST(RuleFormsCompile, SloCompilesToRecordingRulesAndMultiWindowBurnRateAlerts) {
  AlertForms forms = MustCompile(R"(alerts:
  defaults: false
  slo:
    - name: api-availability
      objective: 99.9
      ratio:
        errors: 'http_requests_total{job="api",code=~"5.."}'
        total: 'http_requests_total{job="api"}'
    - name: api-latency
      objective: 99
      window: 28d
      latency: {histogram: 'http_request_duration_seconds_bucket{job="api"}', threshold: 0.5}
)");
  ASSERT_EQ(forms.slos.size(), 2u);
  EXPECT_EQ(forms.slos[0].name, "api-availability");
  EXPECT_EQ(forms.slos[0].window, "30d");
  EXPECT_EQ(forms.slos[0].window_ms, 30LL * 86'400'000);
  EXPECT_EQ(forms.slos[0].window_record, "slo:sli_error:ratio_rate30d");
  const RuleGroupSpec* g = FindGroup(forms, "perfwatch:slo");
  ASSERT_NE(g, nullptr);
  std::vector<std::string> names;
  for (const RuleSpec& r : g->rules) names.push_back(r.name());
  const std::vector<std::string> one = {"slo:sli_error:ratio_rate5m", "slo:sli_error:ratio_rate30m",
                                        "slo:sli_error:ratio_rate1h", "slo:sli_error:ratio_rate2h",
                                        "slo:sli_error:ratio_rate6h", "slo:sli_error:ratio_rate1d",
                                        "slo:sli_error:ratio_rate3d"};
  std::vector<std::string> expected = one;
  for (const char* n : {"slo:sli_error:ratio_rate30d", "slo:error_budget_remaining:ratio", "api-availability",
                        "api-availability"}) {
    expected.push_back(n);
  }
  expected.insert(expected.end(), one.begin(), one.end());
  for (const char* n : {"slo:sli_error:ratio_rate28d", "slo:error_budget_remaining:ratio", "api-latency", "api-latency"}) {
    expected.push_back(n);
  }
  EXPECT_EQ(names, expected);
  const RuleSpec& r5m = g->rules[0];
  EXPECT_EQ(r5m.expr,
            "(sum(rate(http_requests_total{code=~\"5..\",job=\"api\"}[5m])) or vector(0)) / "
            "sum(rate(http_requests_total{job=\"api\"}[5m]))");
  EXPECT_EQ(r5m.labels, (std::vector<std::pair<std::string, std::string>>{{"slo", "api-availability"}}));
  EXPECT_EQ(g->rules[8].expr, "1 - slo:sli_error:ratio_rate30d{slo=\"api-availability\"} / 0.001");
  EXPECT_EQ(g->rules[9].expr,
            "(slo:sli_error:ratio_rate1h{slo=\"api-availability\"} > 0.0144 and "
            "slo:sli_error:ratio_rate5m{slo=\"api-availability\"} > 0.0144) or "
            "(slo:sli_error:ratio_rate6h{slo=\"api-availability\"} > 0.006 and "
            "slo:sli_error:ratio_rate30m{slo=\"api-availability\"} > 0.006)");
  EXPECT_EQ(Label(g->rules[9], "severity"), "critical");
  EXPECT_EQ(g->rules[10].expr,
            "(slo:sli_error:ratio_rate1d{slo=\"api-availability\"} > 0.003 and "
            "slo:sli_error:ratio_rate2h{slo=\"api-availability\"} > 0.003) or "
            "(slo:sli_error:ratio_rate3d{slo=\"api-availability\"} > 0.001 and "
            "slo:sli_error:ratio_rate6h{slo=\"api-availability\"} > 0.001)");
  EXPECT_EQ(Label(g->rules[10], "severity"), "warning");
  EXPECT_EQ(g->rules[11].expr,
            "1 - ((sum(rate(http_request_duration_seconds_bucket{job=\"api\",le=\"0.5\"}[5m])) or vector(0)) / "
            "sum(rate(http_request_duration_seconds_count{job=\"api\"}[5m])))");
  for (const RuleSpec& r : g->rules) EXPECT_TRUE(Rule::Create(r).ok()) << r.name() << ": " << r.expr;
}

TEST(RuleFormsCompile, SloRatioExpressionsMayPlaceTheWindowThemselves) {
  AlertForms forms = MustCompile(R"(alerts:
  defaults: false
  slo:
    - name: checkout
      objective: 99.5
      ratio:
        good: sum(rate(orders_ok_total[$window]))
        total: sum(rate(orders_total[$window]))
)");
  const RuleGroupSpec* g = FindGroup(forms, "perfwatch:slo");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->rules[2].expr, "1 - ((sum(rate(orders_ok_total[1h]))) / (sum(rate(orders_total[1h]))))");
}

TEST(RuleFormsCompile, ErrorsNameTheEntryAndItsLine) {
  const std::string head = "alerts:\n  threshold:\n";
  const std::string ok = "    - {name: A, metric: x, threshold: 1}\n";
  EXPECT_EQ(CompileError(head + ok + "    - {name: B, metric: x, threshold: 1}\n" +
                         "    - {name: C, metric: x, op: '=>', threshold: 1}\n"),
            "line 5: alerts.threshold[2]: op must be one of >, >=, <, <=");
  EXPECT_EQ(CompileError(head + "    - {metric: x, threshold: 1}\n"), "line 3: alerts.threshold[0]: name is required");
  EXPECT_EQ(CompileError(head + "    - {name: A, metric: x, expr: y, threshold: 1}\n"),
            "line 3: alerts.threshold[0]: needs exactly one of metric or expr");
  EXPECT_EQ(CompileError(head + "    - {name: A, metric: x}\n"), "line 3: alerts.threshold[0]: needs threshold or levels");
  EXPECT_EQ(CompileError(head + "    - {name: A, metric: x, threshold: 1, resolve_threshold: 2}\n"),
            "line 3: alerts.threshold[0]: resolve_threshold (2) must not be above threshold (1) for op >");
  EXPECT_EQ(CompileError(head + "    - {name: A, metric: x, op: '<', threshold: 1, resolve_threshold: 0.5}\n"),
            "line 3: alerts.threshold[0]: resolve_threshold (0.5) must not be below threshold (1) for op <");
  EXPECT_EQ(CompileError(head + "    - {name: A, metric: x, threshold: 1, colour: red}\n"),
            "line 3: alerts.threshold[0]: unknown key \"colour\"");
  EXPECT_EQ(CompileError(head + "    - {name: A, metric: 'rate(x[5m])', threshold: 1}\n"),
            "line 3: alerts.threshold[0].metric: must be a metric selector such as http_errors{job=\"api\"} (use expr for PromQL)");
  EXPECT_NE(CompileError(head + "    - {name: A, expr: 'rate(x[5m]', threshold: 1}\n").find("alerts.threshold[0].expr: "),
            std::string::npos);
  EXPECT_EQ(CompileError(head + "    - {name: A, metric: x, threshold: high}\n"),
            "line 3: alerts.threshold[0].threshold: expected a finite number, got \"high\"");
  EXPECT_EQ(CompileError(head + "    - {name: A, metric: x, threshold: 1, labels: {severity: page}}\n"),
            "line 3: alerts.threshold[0].labels: label \"severity\" is set by perfwatch (use severity or levels)");
  EXPECT_EQ(CompileError(head + ok + "    - {name: A, metric: y, threshold: 1}\n"),
            "line 4: alerts.threshold[1]: name \"A\" is used by another entry of alerts (or a default rule)");
  EXPECT_EQ(CompileError(head + "    - {name: PerfwatchDiskAlmostFull, metric: y, threshold: 1}\n"),
            "line 3: alerts.threshold[0]: name \"PerfwatchDiskAlmostFull\" is used by another entry of alerts (or a default rule)");
  EXPECT_EQ(CompileError(head + "    - {name: A, metric: x, threshold: 1, for: 5 minutes}\n"),
            "line 3: alerts.threshold[0].for: not a valid duration string: \"5 minutes\"");
  EXPECT_EQ(CompileError(head + "    - {name: A, metric: x, levels: [{severity: warning}]}\n"),
            "line 3: alerts.threshold[0].levels[0]: threshold is required");
  EXPECT_EQ(CompileError(head + "    - {name: A, metric: x, threshold: 1, annotations: {summary: '{{ .Oops'}}\n")
                .rfind("line 3: alerts.threshold[0]: ", 0),
            0u);
  EXPECT_EQ(CompileError("alerts:\n  defaults: maybe\n"), "line 2: alerts.defaults: expected true or false");
  EXPECT_EQ(CompileError("alerts:\n  thresholds: []\n"), "line 2: alerts: unknown key \"thresholds\"");
  EXPECT_EQ(CompileError("alerts:\n  threshold: {name: A}\n"), "line 2: alerts.threshold: expected a list");

  const std::string vb = "alerts:\n  vitals_budget:\n";
  EXPECT_EQ(CompileError(vb + "    - {name: V, metric: LCP}\n"), "line 3: alerts.vitals_budget[0]: app is required");
  EXPECT_EQ(CompileError(vb + "    - {name: V, app: a, metric: FID}\n"),
            "line 3: alerts.vitals_budget[0]: metric must be one of LCP, INP, CLS, FCP, TTFB");
  EXPECT_EQ(CompileError(vb + "    - {name: V, app: a, metric: LCP, page: /a, pages: [/b]}\n"),
            "line 3: alerts.vitals_budget[0]: use at most one of page, pages, page_regex");
  EXPECT_EQ(CompileError(vb + "    - {name: V, app: a, metric: LCP, percentile: 90}\n"),
            "line 3: alerts.vitals_budget[0]: percentile must be 50, 75 or 95 (the percentiles rum_vital_percentile records)");
  EXPECT_EQ(CompileError(vb + "    - {name: V, app: a, metric: LCP, min_samples: -1}\n"),
            "line 3: alerts.vitals_budget[0]: min_samples must be a whole number >= 0");
  EXPECT_EQ(CompileError(vb + "    - {name: V, app: a, metric: LCP, levels: [{severity: page}]}\n"),
            "line 3: alerts.vitals_budget[0]: level \"page\" needs a threshold (only warning and critical have defaults)");

  const std::string slo = "alerts:\n  slo:\n";
  EXPECT_EQ(CompileError(slo + "    - {name: S, objective: 100, ratio: {errors: e, total: t}}\n"),
            "line 3: alerts.slo[0]: objective must be above 0 and below 100");
  EXPECT_EQ(CompileError(slo + "    - {name: S, objective: 99, ratio: {errors: e}}\n"),
            "line 3: alerts.slo[0].ratio: total is required");
  EXPECT_EQ(CompileError(slo + "    - {name: S, objective: 99, ratio: {good: g, errors: e, total: t}}\n"),
            "line 3: alerts.slo[0].ratio: needs exactly one of good or errors");
  EXPECT_EQ(CompileError(slo + "    - {name: S, objective: 99}\n"), "line 3: alerts.slo[0]: needs exactly one of ratio or latency");
  EXPECT_EQ(CompileError(slo + "    - {name: S, objective: 99, window: 1 month, ratio: {errors: e, total: t}}\n"),
            "line 3: alerts.slo[0].window: not a valid duration string: \"1 month\"");
  EXPECT_EQ(CompileError(slo + "    - {name: S, objective: 99, ratio: {errors: 'sum(rate(e[5m]))', total: t}}\n"),
            "line 3: alerts.slo[0].ratio.errors: must be a counter selector, or an expression using $window (such as "
            "sum(rate(x[$window])))");
  EXPECT_EQ(CompileError(slo + "    - {name: S, objective: 99, latency: {histogram: 'rate(h[5m])', threshold: 1}}\n"),
            "line 3: alerts.slo[0].latency.histogram: must be a histogram's name or selector, such as "
            "http_request_duration_seconds_bucket{job=\"api\"}");
}

// ------------------------------------------------------------------ evaluation

class RuleFormsEvalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tsdb::TsdbOptions o;
    o.dir = dir_.path() / "tsdb";
    o.maintenance_interval = std::chrono::milliseconds(0);
    auto db = tsdb::Tsdb::Open(o, &metrics_);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    queryable_ = std::make_unique<query::promql::TsdbQueryable>(db_.get());
    engine_ = std::make_unique<query::promql::Engine>(queryable_.get());
    querier_ = std::make_unique<EngineRuleQuerier>(engine_.get());
  }

  // Compiles `yaml` and loads its groups into a manager evaluated by hand (EvalAllNow).
  void Load(const std::string& yaml) {
    auto forms = CompileAlertForms(yaml, "pw.yml");
    ASSERT_TRUE(forms.ok()) << forms.status().ToString();
    forms_ = std::move(forms).value();
    RuleManagerOptions o;
    o.state_dir = dir_.path() / "rules";
    o.default_interval_ms = 60'000;
    o.clock = &clock_;
    o.start_threads = false;
    o.event_driven = false;
    o.metrics = &metrics_;
    manager_ = std::make_unique<RuleManager>(o, db_.get(), querier_.get(), &sink_);
    ASSERT_TRUE(manager_->UpdateFromSpecs(forms_.groups).ok());
    ASSERT_TRUE(manager_->Start().ok());
  }

  void Write(const std::vector<std::pair<std::string, std::string>>& labels, double v, int64_t t) {
    std::vector<tsdb::LabelView> views;
    for (const auto& [n, val] : labels) views.push_back({n, val});
    OwnedSeries s(tsdb::Labels::FromViews(views), {{t, v}});
    std::vector<tsdb::SeriesSamples> batch = {s.View()};
    ASSERT_TRUE(db_->AppendBatch(batch).ok());
  }

  // The state of alerting rule `name` with severity `severity` (max over its alerts).
  std::string State(const std::string& name, const std::string& severity) {
    for (const auto& g : manager_->Groups()) {
      for (const auto& r : g->rules()) {
        if (r->name() != name) continue;
        bool match = false;
        for (const auto& [n, v] : r->spec().labels) match |= n == "severity" && v == severity;
        if (!match) continue;
        EXPECT_EQ(r->health(), RuleHealth::kGood) << name << ": " << r->last_error();
        return std::string(AlertStateName(dynamic_cast<const AlertingRule&>(*r).State()));
      }
    }
    return "<no rule>";
  }

  std::vector<RuleAlert> Alerts(const std::string& name) {
    std::vector<RuleAlert> out;
    for (const auto& g : manager_->Groups()) {
      for (const auto& r : g->rules()) {
        if (r->name() != name) continue;
        for (RuleAlert& a : dynamic_cast<const AlertingRule&>(*r).Alerts()) out.push_back(std::move(a));
      }
    }
    return out;
  }

  // Advances the clock a minute, writes `v` for temp{instance="a"} and evaluates.
  void Step(double v) {
    clock_.Advance(60'000);
    Write({{"__name__", "temp"}, {"instance", "a"}}, v, clock_.NowMs());
    manager_->EvalAllNow();
  }

  TempDir dir_;
  MetricsRegistry metrics_;
  FakeClock clock_{1'700'000'000'000};
  RecordingSink sink_;
  std::unique_ptr<tsdb::Tsdb> db_;
  std::unique_ptr<query::promql::TsdbQueryable> queryable_;
  std::unique_ptr<query::promql::Engine> engine_;
  std::unique_ptr<EngineRuleQuerier> querier_;
  AlertForms forms_;
  std::unique_ptr<RuleManager> manager_;
};

TEST_F(RuleFormsEvalTest, HysteresisKeepsFiringBetweenResolveAndThreshold) {
  Load(R"(alerts:
  defaults: false
  threshold:
    - name: Hot
      metric: temp
      labels: {team: ops}
      levels: [{severity: critical, threshold: 4, resolve_threshold: 3.5}]
    - name: HotPlain
      metric: temp
      threshold: 4
)");
  Step(2);
  EXPECT_EQ(State("Hot", "critical"), "inactive");
  Step(5);  // crosses the threshold
  EXPECT_EQ(State("Hot", "critical"), "firing");
  EXPECT_EQ(State("HotPlain", "warning"), "firing");
  Step(3.7);  // between resolve_threshold and threshold: stays firing
  EXPECT_EQ(State("Hot", "critical"), "firing");
  EXPECT_EQ(State("HotPlain", "warning"), "inactive");  // the plain rule flaps
  Step(3.6);
  EXPECT_EQ(State("Hot", "critical"), "firing");
  auto alerts = Alerts("Hot");
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].labels, (LabelSet{{"alertname", "Hot"}, {"instance", "a"}, {"severity", "critical"}, {"team", "ops"}}));
  EXPECT_DOUBLE_EQ(alerts[0].value, 3.6);
  Step(3.2);  // below resolve_threshold: resolves
  EXPECT_EQ(State("Hot", "critical"), "inactive");
  Step(3.7);  // between again, but not active: does not start
  EXPECT_EQ(State("Hot", "critical"), "inactive");
  Step(4.5);
  EXPECT_EQ(State("Hot", "critical"), "firing");
}

TEST_F(RuleFormsEvalTest, ForNeedsTheThresholdItselfAndHysteresisHoldsOnlyAFiringAlert) {
  Load(R"(alerts:
  defaults: false
  threshold:
    - name: Hot
      metric: temp
      for: 2m
      threshold: 4
      resolve_threshold: 3.5
)");
  Step(5);
  EXPECT_EQ(State("Hot", "warning"), "pending");
  Step(3.8);  // within hysteresis, but only a firing alert is held: a spike does not count
  EXPECT_EQ(State("Hot", "warning"), "inactive");
  Step(5);  // a new breach starts a new `for`
  EXPECT_EQ(State("Hot", "warning"), "pending");
  Step(5);
  EXPECT_EQ(State("Hot", "warning"), "pending");
  Step(5);  // two minutes beyond the threshold
  EXPECT_EQ(State("Hot", "warning"), "firing");
  Step(3.8);  // firing: held while beyond resolve_threshold
  EXPECT_EQ(State("Hot", "warning"), "firing");
  Step(3.4);
  EXPECT_EQ(State("Hot", "warning"), "inactive");
}

TEST_F(RuleFormsEvalTest, ALevelsOwnForOverridesTheEntrys) {
  Load(R"(alerts:
  defaults: false
  threshold:
    - name: Hot
      metric: temp
      for: 5m
      levels:
        - {severity: warning, threshold: 3, resolve_threshold: 2.5}
        - {severity: critical, threshold: 4, resolve_threshold: 3.5, for: 0s}
)");
  Step(5);  // both levels breached: the critical one fires at once, the warning waits
  EXPECT_EQ(State("Hot", "critical"), "firing");
  EXPECT_EQ(State("Hot", "warning"), "pending");
}

TEST_F(RuleFormsEvalTest, VitalsBudgetNeedsMinSamples) {
  Load(R"(alerts:
  vitals_budget:
    - name: SearchLCP
      app: shop
      page: /search
      metric: LCP
      min_samples: 100
)");
  auto write = [&](const std::string& page, double p75, double samples) {
    std::vector<std::pair<std::string, std::string>> base = {{"app", "shop"}, {"metric", "LCP"}};
    if (!page.empty()) base.emplace_back("page", page);
    auto pct = base;
    pct.emplace_back("__name__", "rum_vital_percentile");
    pct.emplace_back("percentile", "75");
    Write(pct, p75, clock_.NowMs());
    auto n = base;
    n.emplace_back("__name__", "rum_vital_samples");
    Write(n, samples, clock_.NowMs());
  };
  clock_.Advance(60'000);
  write("/search", 4.6, 3);    // poor, but three visits
  write("/home", 9, 5000);     // another page: not this budget's
  write("", 4.2, 99);          // app-wide, below the default rule's 100 samples
  manager_->EvalAllNow();
  EXPECT_EQ(State("SearchLCP", "warning"), "inactive");
  EXPECT_EQ(State("WebVitalLCPPoor", "warning"), "inactive");
  clock_.Advance(60'000);
  write("/search", 4.6, 150);
  write("/home", 9, 5000);
  write("", 4.2, 500);
  manager_->EvalAllNow();
  EXPECT_EQ(State("SearchLCP", "warning"), "firing");
  auto alerts = Alerts("SearchLCP");
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].labels, (LabelSet{{"alertname", "SearchLCP"}, {"app", "shop"}, {"metric", "LCP"},
                                        {"page", "/search"}, {"percentile", "75"}, {"severity", "warning"}}));
  EXPECT_EQ(State("WebVitalLCPPoor", "warning"), "pending");  // the default rule waits 10m
  alerts = Alerts("WebVitalLCPPoor");
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(GetLabel(alerts[0].labels, "app"), "shop");
  EXPECT_EQ(GetLabel(alerts[0].labels, "page"), "");
  clock_.Advance(60'000);
  write("/search", 3.9, 150);  // within budget
  manager_->EvalAllNow();
  EXPECT_EQ(State("SearchLCP", "warning"), "inactive");
}

class SloEvalTest : public RuleFormsEvalTest {
 protected:
  // Two hours of request counters, 100 requests per 30 s of which `error_ratio` fail.
  void WriteTraffic(double error_ratio) {
    const int64_t start = clock_.NowMs();
    double total = 0, errors = 0;
    for (int64_t t = start; t <= start + 2 * 3'600'000; t += 30'000) {
      Write({{"__name__", "requests_total"}, {"job", "api"}}, total, t);
      Write({{"__name__", "requests_errors_total"}, {"job", "api"}}, errors, t);
      total += 100;
      errors += 100 * error_ratio;
    }
    clock_.Set(start + 2 * 3'600'000);
  }
  static constexpr const char* kYaml = R"(alerts:
  defaults: false
  slo:
    - name: api
      objective: 99.9
      ratio:
        errors: requests_errors_total{job="api"}
        total: requests_total{job="api"}
)";
};

TEST_F(SloEvalTest, FastBurnPages) {
  Load(kYaml);
  WriteTraffic(0.05);  // 50x the budget
  manager_->EvalAllNow();
  EXPECT_EQ(State("api", "critical"), "firing");
  EXPECT_EQ(State("api", "warning"), "firing");
  auto body = RenderSlos(forms_.slos, *querier_, manager_.get(), clock_.NowMs());
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_NE(body->find("\"name\":\"api\",\"objective\":99.9,\"window\":\"30d\",\"sli\":0.95,"), std::string::npos) << *body;
  for (const char* w : {"5m", "30m", "1h", "2h", "6h", "1d", "3d"}) {
    EXPECT_NEAR(JsonNumber(*body, std::string("\"") + w + "\":"), 50, 1e-6) << w << ": " << *body;
  }
  EXPECT_NEAR(JsonNumber(*body, "\"errorBudgetRemaining\":"), -49, 1e-6) << *body;
  EXPECT_NE(body->find("\"alerts\":[{\"alertname\":\"api\",\"severity\":\"critical\",\"state\":\"firing\"},"
                       "{\"alertname\":\"api\",\"severity\":\"warning\",\"state\":\"firing\"}]"),
            std::string::npos)
      << *body;
  auto alerts = Alerts("api");
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(GetLabel(alerts[0].labels, "slo"), "api");
}

TEST_F(SloEvalTest, SlowBurnOpensATicketButDoesNotPage) {
  Load(kYaml);
  WriteTraffic(0.002);  // 2x the budget: only the 3d/6h pair at 1x
  manager_->EvalAllNow();
  EXPECT_EQ(State("api", "critical"), "inactive");
  EXPECT_EQ(State("api", "warning"), "firing");
}

TEST_F(SloEvalTest, WithinBudgetNothingFiresAndNoDataAnswersNull) {
  Load(kYaml);
  auto body = RenderSlos(forms_.slos, *querier_, manager_.get(), clock_.NowMs());
  ASSERT_TRUE(body.ok());
  EXPECT_NE(body->find("\"sli\":null,\"errorBudgetRemaining\":null,\"burnRates\":{\"5m\":null,"), std::string::npos)
      << *body;
  EXPECT_NE(body->find("\"state\":\"inactive\""), std::string::npos) << *body;
  WriteTraffic(0.0005);
  manager_->EvalAllNow();
  EXPECT_EQ(State("api", "critical"), "inactive");
  EXPECT_EQ(State("api", "warning"), "inactive");
  body = RenderSlos(forms_.slos, *querier_, manager_.get(), clock_.NowMs());
  ASSERT_TRUE(body.ok());
  EXPECT_NEAR(JsonNumber(*body, "\"errorBudgetRemaining\":"), 0.5, 1e-6) << *body;
  EXPECT_NEAR(JsonNumber(*body, "\"sli\":"), 0.9995, 1e-9) << *body;
  EXPECT_NEAR(JsonNumber(*body, "\"1h\":"), 0.5, 1e-6) << *body;
}

}  // namespace
}  // namespace perfwatch::alert
