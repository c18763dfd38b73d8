// Alerting and recording rule evaluation against Prometheus 2.42's semantics, with a fake
// querier so every state transition is driven by hand.
#include "alert/rules.h"

#include <gtest/gtest.h>

#include <cmath>

#include "alert/rule_test_support.h"
#include "alert/rules_api.h"

namespace perfwatch::alert {
namespace {

using testing::AlertSpec;
using testing::FakeQuerier;
using testing::RecordSpec;

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kMin = 60'000;

std::unique_ptr<AlertingRule> MakeAlerting(const RuleSpec& spec) {
  auto rule = Rule::Create(spec);
  EXPECT_TRUE(rule.ok()) << rule.status().ToString();
  return std::unique_ptr<AlertingRule>(static_cast<AlertingRule*>(rule.value().release()));
}

struct Eval {
  FakeQuerier querier;
  LabelSet external;
  RuleEvalContext Ctx(int64_t ts) {
    RuleEvalContext ctx;
    ctx.ts_ms = ts;
    ctx.querier = &querier;
    ctx.external_labels = &external;
    ctx.external_url = "http://pw:9797";
    return ctx;
  }
};

std::string OutputsToString(const std::vector<RuleOutput>& out) {
  std::string s;
  for (const RuleOutput& o : out) {
    char v[32];
    std::snprintf(v, sizeof v, " %g\n", o.value);
    s += o.labels.ToString() + v;
  }
  return s;
}

TEST(AlertingRule, PendingFiringResolvedWithFor) {
  Eval e;
  e.querier.Set("up == 0", {{{{"__name__", "up"}, {"instance", "a"}, {"job", "node"}}, 0}});
  auto rule = MakeAlerting(AlertSpec("Down", "up == 0", 2 * kMin));
  std::vector<RuleOutput> out;

  ASSERT_TRUE(rule->Eval(e.Ctx(kT0), &out).ok());
  EXPECT_EQ(rule->State(), AlertState::kPending);
  EXPECT_EQ(OutputsToString(out),
            "ALERTS{alertname=\"Down\", alertstate=\"pending\", instance=\"a\", job=\"node\"} 1\n"
            "ALERTS_FOR_STATE{alertname=\"Down\", instance=\"a\", job=\"node\"} 1.7e+09\n");
  EXPECT_DOUBLE_EQ(out[1].value, 1'700'000'000.0);
  // Pending alerts are never sent.
  EXPECT_TRUE(rule->AlertsToSend(kT0, kMin, kMin, {}, "").empty());

  out.clear();
  ASSERT_TRUE(rule->Eval(e.Ctx(kT0 + kMin), &out).ok());
  EXPECT_EQ(rule->State(), AlertState::kPending);

  out.clear();
  ASSERT_TRUE(rule->Eval(e.Ctx(kT0 + 2 * kMin), &out).ok());
  EXPECT_EQ(rule->State(), AlertState::kFiring);
  auto alerts = rule->Alerts();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].active_at_ms, kT0);
  EXPECT_EQ(alerts[0].fired_at_ms, kT0 + 2 * kMin);
  EXPECT_EQ(alerts[0].labels, (LabelSet{{"alertname", "Down"}, {"instance", "a"}, {"job", "node"}}));

  auto sent = rule->AlertsToSend(kT0 + 2 * kMin, kMin, 15'000, {{"replica", "r1"}}, "http://pw:9797");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].starts_at_ms, kT0 + 2 * kMin);
  EXPECT_EQ(sent[0].ends_at_ms, kT0 + 2 * kMin + 4 * kMin);  // ValidUntil: 4 x max(resend, interval)
  EXPECT_EQ(sent[0].labels,
            (LabelSet{{"alertname", "Down"}, {"instance", "a"}, {"job", "node"}, {"replica", "r1"}}));
  EXPECT_EQ(sent[0].generator_url, "http://pw:9797/graph?g0.expr=up+%3D%3D+0&g0.tab=1");
  // Not again before the resend delay has passed.
  EXPECT_TRUE(rule->AlertsToSend(kT0 + 2 * kMin + 30'000, kMin, 15'000, {}, "").empty());
  EXPECT_EQ(rule->AlertsToSend(kT0 + 3 * kMin + 1, kMin, 15'000, {}, "").size(), 1u);

  // The series recovers: resolved at once, sent with endsAt = the resolve time.
  e.querier.Set("up == 0", {});
  out.clear();
  ASSERT_TRUE(rule->Eval(e.Ctx(kT0 + 4 * kMin), &out).ok());
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(rule->State(), AlertState::kInactive);
  EXPECT_TRUE(rule->Alerts().empty());
  ASSERT_EQ(rule->Alerts(true).size(), 1u);
  sent = rule->AlertsToSend(kT0 + 4 * kMin, kMin, 15'000, {}, "");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].ends_at_ms, kT0 + 4 * kMin);

  // Resolved alerts are kept 15 minutes, then dropped.
  ASSERT_TRUE(rule->Eval(e.Ctx(kT0 + 4 * kMin + AlertingRule::kResolvedRetentionMs), &out).ok());
  EXPECT_EQ(rule->Alerts(true).size(), 1u);
  ASSERT_TRUE(rule->Eval(e.Ctx(kT0 + 4 * kMin + AlertingRule::kResolvedRetentionMs + 1), &out).ok());
  EXPECT_TRUE(rule->Alerts(true).empty());
}

TEST(AlertingRule, PendingAlertThatDisappearsIsDroppedWithoutNotification) {
  Eval e;
  e.querier.Set("x > 1", {{{{"__name__", "x"}}, 5}});
  auto rule = MakeAlerting(AlertSpec("X", "x > 1", kMin));
  std::vector<RuleOutput> out;
  ASSERT_TRUE(rule->Eval(e.Ctx(kT0), &out).ok());
  e.querier.Set("x > 1", {});
  ASSERT_TRUE(rule->Eval(e.Ctx(kT0 + 1000), &out).ok());
  EXPECT_TRUE(rule->Alerts(true).empty());
  EXPECT_TRUE(rule->AlertsToSend(kT0 + 1000, kMin, kMin, {}, "").empty());
}

TEST(AlertingRule, ZeroForFiresOnFirstEvaluation) {
  Eval e;
  e.querier.Set("x > 1", {{{{"__name__", "x"}}, 5}});
  auto rule = MakeAlerting(AlertSpec("X", "x > 1"));
  std::vector<RuleOutput> out;
  ASSERT_TRUE(rule->Eval(e.Ctx(kT0), &out).ok());
  EXPECT_EQ(rule->State(), AlertState::kFiring);
  EXPECT_NE(OutputsToString(out).find("ALERTS{alertname=\"X\", alertstate=\"firing\"} 1\n"), std::string::npos);
}

TEST(AlertingRule, KeepFiringForHoldsAResolvedConditionFiring) {
  Eval e;
  RuleSpec spec = AlertSpec("X", "x > 1");
  spec.keep_firing_for_ms = 2 * kMin;
  auto rule = MakeAlerting(spec);
  std::vector<RuleOutput> out;
  e.querier.Set("x > 1", {{{{"__name__", "x"}}, 5}});
  ASSERT_TRUE(rule->Eval(e.Ctx(kT0), &out).ok());
  e.querier.Set("x > 1", {});
  ASSERT_TRUE(rule->Eval(e.Ctx(kT0 + kMin), &out).ok());
  EXPECT_EQ(rule->State(), AlertState::kFiring);
  EXPECT_EQ(rule->Alerts()[0].keep_firing_since_ms, kT0 + kMin);
  ASSERT_TRUE(rule->Eval(e.Ctx(kT0 + 2 * kMin), &out).ok());
  EXPECT_EQ(rule->State(), AlertState::kFiring);
  ASSERT_TRUE(rule->Eval(e.Ctx(kT0 + 3 * kMin), &out).ok());
  EXPECT_EQ(rule->State(), AlertState::kInactive);
  // Back before keep_firing_for ran out: the timer resets.
  e.querier.Set("x > 1", {{{{"__name__", "x"}}, 5}});
  ASSERT_TRUE(rule->Eval(e.Ctx(kT0 + 4 * kMin), &out).ok());
  e.querier.Set("x > 1", {});
  ASSERT_TRUE(rule->Eval(e.Ctx(kT0 + 5 * kMin), &out).ok());
  e.querier.Set("x > 1", {{{{"__name__", "x"}}, 5}});
  ASSERT_TRUE(rule->Eval(e.Ctx(kT0 + 6 * kMin), &out).ok());
  EXPECT_EQ(rule->Alerts()[0].keep_firing_since_ms, 0);
}

TEST(AlertingRule, TemplatesExpandLabelsAndAnnotations) {
  Eval e;
  e.external = {{"cluster", "eu1"}};
  RuleSpec spec = AlertSpec("HighLatency", "latency > 0.5");
  spec.labels = {{"severity", "{{ if gt $value 1.0 }}critical{{ else }}warning{{ end }}"}, {"team", "web"}};
  spec.annotations = {{"summary", "{{ $labels.route }} is slow: {{ $value }}s on {{ $externalLabels.cluster }}"},
                      {"description", "metric {{ $labels.__name__ }}"}};
  auto rule = MakeAlerting(spec);
  e.querier.Set("latency > 0.5",
                {{{{"__name__", "latency"}, {"route", "/a"}}, 2.5}, {{{"__name__", "latency"}, {"route", "/b"}}, 0.75}});
  std::vector<RuleOutput> out;
  ASSERT_TRUE(rule->Eval(e.Ctx(kT0), &out).ok());
  auto alerts = rule->Alerts();
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].labels,
            (LabelSet{{"alertname", "HighLatency"}, {"route", "/a"}, {"severity", "critical"}, {"team", "web"}}));
  EXPECT_EQ(alerts[1].labels,
            (LabelSet{{"alertname", "HighLatency"}, {"route", "/b"}, {"severity", "warning"}, {"team", "web"}}));
  // Annotations sorted by name, as Prometheus keeps them.
  EXPECT_EQ(alerts[0].annotations,
            (LabelSet{{"description", "metric latency"}, {"summary", "/a is slow: 2.5s on eu1"}}));
}

TEST(AlertingRule, TemplateErrorsBecomeTheAnnotationText) {
  Eval e;
  RuleSpec spec = AlertSpec("X", "x > 1");
  spec.annotations = {{"summary", "{{ query \"x\" | first | value }}"}};
  e.querier.Fail("x", "boom");
  e.querier.Set("x > 1", {{{{"__name__", "x"}}, 5}});
  auto rule = MakeAlerting(spec);
  std::vector<RuleOutput> out;
  ASSERT_TRUE(rule->Eval(e.Ctx(kT0), &out).ok());
  std::string summary = rule->Alerts()[0].annotations[0].second;
  EXPECT_EQ(summary.rfind("<error expanding template: ", 0), 0u) << summary;
  EXPECT_NE(summary.find("boom"), std::string::npos) << summary;
}

TEST(AlertingRule, UnknownTemplateFunctionIsRefusedAtLoad) {
  RuleSpec spec = AlertSpec("X", "x > 1");
  spec.annotations = {{"summary", "{{ $value | nosuchfunc }}"}};
  auto rule = Rule::Create(spec);
  ASSERT_FALSE(rule.ok());
  EXPECT_NE(rule.status().message().find("function \"nosuchfunc\" not defined"), std::string::npos)
      << rule.status().message();
}

TEST(AlertingRule, DuplicateLabelSetsAfterDroppingTheNameFail) {
  Eval e;
  e.querier.Set("{job=\"a\"} > 1", {{{{"__name__", "x"}, {"job", "a"}}, 5}, {{{"__name__", "y"}, {"job", "a"}}, 5}});
  auto rule = MakeAlerting(AlertSpec("X", "{job=\"a\"} > 1"));
  std::vector<RuleOutput> out;
  Status s = rule->Eval(e.Ctx(kT0), &out);
  EXPECT_EQ(s.message(), "vector contains metrics with the same labelset after applying alert labels");
}

TEST(AlertingRule, LimitClearsTheAlerts) {
  Eval e;
  e.querier.Set("x > 1", {{{{"__name__", "x"}, {"i", "1"}}, 5}, {{{"__name__", "x"}, {"i", "2"}}, 5}});
  auto rule = MakeAlerting(AlertSpec("X", "x > 1"));
  std::vector<RuleOutput> out;
  RuleEvalContext ctx = e.Ctx(kT0);
  ctx.limit = 1;
  Status s = rule->Eval(ctx, &out);
  EXPECT_EQ(s.message(), "exceeded limit of 1 with 2 alerts");
  EXPECT_TRUE(rule->Alerts(true).empty());
  EXPECT_TRUE(out.empty());
}

TEST(AlertingRule, QueryErrorKeepsState) {
  Eval e;
  e.querier.Set("x > 1", {{{{"__name__", "x"}}, 5}});
  auto rule = MakeAlerting(AlertSpec("X", "x > 1"));
  std::vector<RuleOutput> out;
  ASSERT_TRUE(rule->Eval(e.Ctx(kT0), &out).ok());
  e.querier.Fail("x > 1", "query timed out in expression evaluation");
  EXPECT_FALSE(rule->Eval(e.Ctx(kT0 + kMin), &out).ok());
  EXPECT_EQ(rule->State(), AlertState::kFiring);
}

TEST(AlertingRule, ScalarResultsAlertWithoutLabels) {
  Eval e;
  e.querier.Set("vector(1) > 0", {{{}, 1}});
  auto rule = MakeAlerting(AlertSpec("Always", "vector(1) > 0"));
  std::vector<RuleOutput> out;
  ASSERT_TRUE(rule->Eval(e.Ctx(kT0), &out).ok());
  EXPECT_EQ(rule->Alerts()[0].labels, (LabelSet{{"alertname", "Always"}}));
}

TEST(RecordingRule, RenamesRelabelsAndRejectsDuplicates) {
  Eval e;
  RuleSpec spec = RecordSpec("job:requests:rate5m", "sum by (job) (rate(requests_total[5m]))");
  spec.labels = {{"source", "rules"}, {"job", ""}};
  auto rule = Rule::Create(spec);
  ASSERT_TRUE(rule.ok());
  EXPECT_EQ(rule.value()->query(), "sum by (job) (rate(requests_total[5m]))");
  e.querier.Set(spec.expr, {{{{"job", "api"}}, 3}, {{{"job", "web"}}, 4}});
  std::vector<RuleOutput> out;
  Status s = rule.value()->Eval(e.Ctx(kT0), &out);
  // Deleting `job` makes the two results identical.
  EXPECT_EQ(s.message(), "vector contains metrics with the same labelset after applying rule labels");

  spec.labels = {{"source", "rules"}};
  rule = Rule::Create(spec);
  ASSERT_TRUE(rule.ok());
  out.clear();
  ASSERT_TRUE(rule.value()->Eval(e.Ctx(kT0), &out).ok());
  EXPECT_EQ(OutputsToString(out),
            "job:requests:rate5m{job=\"api\", source=\"rules\"} 3\n"
            "job:requests:rate5m{job=\"web\", source=\"rules\"} 4\n");
  RuleEvalContext ctx = e.Ctx(kT0);
  ctx.limit = 1;
  EXPECT_EQ(rule.value()->Eval(ctx, &out).message(), "exceeded limit of 1 with 2 series");
}

TEST(FormatGoExp, MatchesGoStrconvE) {
  EXPECT_EQ(FormatGoExp(1), "1e+00");
  EXPECT_EQ(FormatGoExp(150), "1.5e+02");
  EXPECT_EQ(FormatGoExp(0.001234), "1.234e-03");
  EXPECT_EQ(FormatGoExp(-2.5e100), "-2.5e+100");
  EXPECT_EQ(FormatGoExp(0), "0e+00");
  EXPECT_EQ(FormatGoExp(NAN), "NaN");
  EXPECT_EQ(FormatGoExp(-INFINITY), "-Inf");
}

TEST(TableLink, EscapesAsGoQueryEscape) {
  EXPECT_EQ(TableLinkForExpression("rate(x{a=\"b c\"}[5m]) > 0.5"),
            "/graph?g0.expr=rate%28x%7Ba%3D%22b+c%22%7D%5B5m%5D%29+%3E+0.5&g0.tab=1");
}

}  // namespace
}  // namespace perfwatch::alert
