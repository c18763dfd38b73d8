// The rule manager over a real store and PromQL engine: event-driven evaluation,
// coalescing, reload, persistence of alert state across restarts, ALERTS series.
#include "alert/rule_manager.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "alert/rule_querier.h"
#include "alert/rule_test_support.h"
#include "common/time.h"
#include "query/promql_engine.h"
#include "query/promql_parser.h"
#include "tsdb/tsdb.h"
#include "tsdb/tsdb_test_util.h"

namespace perfwatch::alert {
namespace {

using testing::AlertSpec;
using testing::RecordingSink;
using testing::RecordSpec;
using tsdb::testing::OwnedSeries;
using tsdb::testing::TempDir;

class RuleManagerTest : public ::testing::Test {
 protected:
  void SetUp() override { OpenStore(); }

  void OpenStore() {
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

  std::unique_ptr<RuleManager> NewManager(bool threads, int64_t interval_ms = 3600'000) {
    RuleManagerOptions o;
    o.state_dir = dir_.path() / "rules";
    o.default_interval_ms = interval_ms;
    o.clock = &clock_;
    o.start_threads = threads;
    o.event_cpu_budget = 0;
    o.metrics = &metrics_;
    o.external_url = "http://pw";
    return std::make_unique<RuleManager>(o, db_.get(), querier_.get(), &sink_);
  }

  void Write(const std::string& name, const std::string& instance, double v, int64_t t) {
    OwnedSeries s(tsdb::Labels::FromPairs({{"__name__", name}, {"instance", instance}}), {{t, v}});
    std::vector<tsdb::SeriesSamples> batch = {s.View()};
    ASSERT_TRUE(db_->AppendBatch(batch).ok());
  }

  double QueryScalar(const std::string& expr) {
    auto parsed = query::promql::ParseExpr(expr);
    EXPECT_TRUE(parsed.ok());
    auto v = engine_->InstantQuery(*parsed.value(), clock_.NowMs());
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    auto* vec = std::get_if<query::promql::Vector>(&v.value());
    if (!vec || vec->empty()) return NAN;
    return (*vec)[0].v;
  }

  static RuleGroupSpec Group(std::string name, std::vector<RuleSpec> rules) {
    RuleGroupSpec g;
    g.file = "rules.yml";
    g.name = std::move(name);
    g.rules = std::move(rules);
    return g;
  }

  TempDir dir_;
  MetricsRegistry metrics_;
  FakeClock clock_{perfwatch::NowMs()};
  RecordingSink sink_;
  std::unique_ptr<tsdb::Tsdb> db_;
  std::unique_ptr<query::promql::TsdbQueryable> queryable_;
  std::unique_ptr<query::promql::Engine> engine_;
  std::unique_ptr<EngineRuleQuerier> querier_;
};

TEST_F(RuleManagerTest, ArrivingSampleFiresWithoutWaitingForTheInterval) {
  auto m = NewManager(/*threads=*/true);
  ASSERT_TRUE(m->UpdateFromSpecs({Group("g", {AlertSpec("High", "temp{instance=\"a\"} > 10")})}).ok());
  ASSERT_TRUE(m->Start().ok());
  Write("temp", "a", 5, clock_.NowMs() - 1);
  Write("temp", "b", 50, clock_.NowMs() - 1);  // another series: no alert
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(sink_.size(), 0u);
  Write("temp", "a", 20, clock_.NowMs());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (sink_.size() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  auto alerts = sink_.Take();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].labels, (LabelSet{{"alertname", "High"}, {"instance", "a"}}));
  m->Stop();
}

TEST_F(RuleManagerTest, BurstOfWritesCoalescesIntoOneEvaluation) {
  auto m = NewManager(/*threads=*/false);
  ASSERT_TRUE(m->UpdateFromSpecs({Group("g", {AlertSpec("High", "temp > 10")})}).ok());
  ASSERT_TRUE(m->Start().ok());
  for (int i = 0; i < 100; ++i) Write("temp", "a", i, clock_.NowMs() - 1000 + i);
  Write("other", "a", 1, clock_.NowMs());
  auto groups = m->Groups();
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_TRUE(groups[0]->pending());
  m->RunPending();
  EXPECT_EQ(groups[0]->counters().event_iterations.load(), 1u);
  EXPECT_EQ(groups[0]->counters().evaluations.load(), 1u);
  EXPECT_FALSE(groups[0]->pending());
  EXPECT_EQ(sink_.size(), 1u);
  m->RunPending();  // nothing new arrived
  EXPECT_EQ(groups[0]->counters().event_iterations.load(), 1u);
  m->Stop();
}

TEST_F(RuleManagerTest, SamplesThatCannotChangeAThresholdRuleDoNotTriggerIt) {
  auto m = NewManager(false);
  ASSERT_TRUE(m->UpdateFromSpecs({Group("g", {AlertSpec("High", "temp > 10"), AlertSpec("Low", "5 > temp")})}).ok());
  ASSERT_TRUE(m->Start().ok());
  for (int i = 0; i < 50; ++i) Write("temp", "a", 7, clock_.NowMs() - 100 + i);
  EXPECT_FALSE(m->Groups()[0]->pending());  // neither rule can change on a 7
  Write("temp", "a", 4, clock_.NowMs());      // breaches `5 > temp`
  EXPECT_TRUE(m->Groups()[0]->pending());
  m->RunPending();
  EXPECT_EQ(m->Groups()[0]->counters().evaluations.load(), 1u);  // only the flagged rule
  ASSERT_EQ(sink_.Take().size(), 1u);
  clock_.Advance(1000);
  Write("temp", "a", 7, clock_.NowMs());  // the series that breached recovers: re-evaluated
  EXPECT_TRUE(m->Groups()[0]->pending());
  m->RunPending();
  auto alerts = sink_.Take();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].ends_at_ms, clock_.NowMs());
  m->Stop();
}

TEST_F(RuleManagerTest, PendingAlertFiresWhenItsForRunsOutNotAtTheNextInterval) {
  auto m = NewManager(false, /*interval_ms=*/3600'000);
  ASSERT_TRUE(m->UpdateFromSpecs({Group("g", {AlertSpec("High", "temp > 10", 5000)})}).ok());
  ASSERT_TRUE(m->Start().ok());
  Write("temp", "a", 20, clock_.NowMs());
  m->RunPending();
  EXPECT_EQ(sink_.size(), 0u);  // pending
  EXPECT_EQ(m->Groups()[0]->NextTransitionMs(), clock_.NowMs() + 5000);
  clock_.Advance(4999);
  m->RunPending();
  EXPECT_EQ(sink_.size(), 0u);
  clock_.Advance(1);
  m->RunPending();  // no new sample, no interval tick: the `for` timer alone fires it
  auto alerts = sink_.Take();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].starts_at_ms, clock_.NowMs());
  m->Stop();
}

TEST_F(RuleManagerTest, RecoveredSeriesResolvesOnTheNextSample) {
  auto m = NewManager(false);
  ASSERT_TRUE(m->UpdateFromSpecs({Group("g", {AlertSpec("High", "temp > 10")})}).ok());
  ASSERT_TRUE(m->Start().ok());
  Write("temp", "a", 20, clock_.NowMs());
  m->RunPending();
  ASSERT_EQ(sink_.Take().size(), 1u);
  clock_.Advance(1000);
  Write("temp", "a", 3, clock_.NowMs());
  m->RunPending();
  auto alerts = sink_.Take();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].ends_at_ms, clock_.NowMs());  // resolved now
  m->Stop();
}

TEST_F(RuleManagerTest, ResolutionWithinTheSameMillisecondIsNotInTheFuture) {
  // Two evaluations in one millisecond: the second runs at now + 1 (timestamps only
  // increase), but the resolved alert must reach the pipeline with endsAt <= now, or the
  // pipeline would take it for a firing alert (the interop test found this).
  auto m = NewManager(false);
  ASSERT_TRUE(m->UpdateFromSpecs({Group("g", {AlertSpec("High", "temp > 10")})}).ok());
  ASSERT_TRUE(m->Start().ok());
  Write("temp", "a", 20, clock_.NowMs() - 1);
  m->RunPending();
  ASSERT_EQ(sink_.Take().size(), 1u);
  Write("temp", "a", 3, clock_.NowMs());
  m->RunPending();
  auto alerts = sink_.Take();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_NE(alerts[0].ends_at_ms, 0);
  EXPECT_LE(alerts[0].ends_at_ms, clock_.NowMs());
  m->Stop();
}

TEST_F(RuleManagerTest, IntervalEvaluationWritesAlertsSeriesAndRecordingRules) {
  auto m = NewManager(false, /*interval_ms=*/1000);
  RuleSpec rec = RecordSpec("temp:max", "max(temp)");
  ASSERT_TRUE(m->UpdateFromSpecs({Group("g", {rec, AlertSpec("Hot", "temp:max > 10", 60'000)})}).ok());
  Write("temp", "a", 20, clock_.NowMs() - 10);
  m->EvalAllNow();
  EXPECT_EQ(QueryScalar("temp:max"), 20);
  EXPECT_EQ(QueryScalar("ALERTS{alertname=\"Hot\",alertstate=\"pending\"}"), 1);
  double for_state = QueryScalar("ALERTS_FOR_STATE{alertname=\"Hot\"}");
  EXPECT_EQ(for_state, static_cast<double>(clock_.NowMs() / 1000));
  // Once the rule fires, the pending series goes stale and the firing one appears.
  clock_.Advance(61'000);
  Write("temp", "a", 21, clock_.NowMs() - 10);
  m->RunPending();
  m->EvalAllNow();
  EXPECT_EQ(QueryScalar("ALERTS{alertname=\"Hot\",alertstate=\"firing\"}"), 1);
  EXPECT_TRUE(std::isnan(QueryScalar("ALERTS{alertname=\"Hot\",alertstate=\"pending\"}")));
}

TEST_F(RuleManagerTest, RecordingRuleOutputTriggersTheAlertOfTheSameGroup) {
  auto m = NewManager(false);
  RuleSpec rec = RecordSpec("temp:max", "max(temp)");
  ASSERT_TRUE(m->UpdateFromSpecs({Group("g", {rec, AlertSpec("Hot", "temp:max > 10")})}).ok());
  ASSERT_TRUE(m->Start().ok());
  Write("temp", "a", 20, clock_.NowMs());
  m->RunPending();
  auto alerts = sink_.Take();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(GetLabel(alerts[0].labels, "alertname"), "Hot");
  m->Stop();
}

TEST_F(RuleManagerTest, GroupsReadingEachOthersAlertsDoNotTriggerEachOtherForever) {
  // Two groups alerting on ALERTS: a breach triggers the first group; its output may
  // trigger the second once, whose output triggers nothing further.
  auto m = NewManager(false);
  ASSERT_TRUE(m->UpdateFromSpecs({Group("a", {AlertSpec("High", "temp > 10")}),
                                  Group("b", {AlertSpec("ManyFiring", "count(ALERTS{alertstate=\"firing\"}) > 0")}),
                                  Group("c", {AlertSpec("AlsoMany", "count(ALERTS{alertstate=\"firing\"}) > 0")})})
                  .ok());
  ASSERT_TRUE(m->Start().ok());
  Write("temp", "a", 20, clock_.NowMs());
  for (int i = 0; i < 10; ++i) {
    clock_.Advance(1);
    m->RunPending();
  }
  uint64_t events = 0;
  for (const auto& g : m->Groups()) events += g->counters().event_iterations.load();
  EXPECT_LE(events, 4u);  // a, then b and c once each; never a ping-pong between b and c
  for (const auto& g : m->Groups()) EXPECT_FALSE(g->pending()) << g->name();
  m->Stop();
}

TEST_F(RuleManagerTest, RestoredPendingAlertKeepsItsForDeadline) {
  {
    auto m = NewManager(false);
    ASSERT_TRUE(m->UpdateFromSpecs({Group("g", {AlertSpec("Slow", "temp > 10", 5000)})}).ok());
    ASSERT_TRUE(m->Start().ok());
    Write("temp", "a", 20, clock_.NowMs());
    m->RunPending();
    m->Stop();
  }
  auto m = NewManager(false);
  ASSERT_TRUE(m->UpdateFromSpecs({Group("g", {AlertSpec("Slow", "temp > 10", 5000)})}).ok());
  EXPECT_EQ(m->Groups()[0]->NextTransitionMs(), clock_.NowMs() + 5000);
  ASSERT_TRUE(m->Start().ok());
  clock_.Advance(5000);
  m->RunPending();  // fires on its deadline, not an hour later at the interval tick
  EXPECT_EQ(sink_.size(), 1u);
  m->Stop();
}

TEST_F(RuleManagerTest, FailingRuleIsReportedAndDoesNotStopTheOthers) {
  auto m = NewManager(false);
  ASSERT_TRUE(m->UpdateFromSpecs({Group("g", {AlertSpec("Bad", "count_values(\"a b\", temp) > 0"),
                                               AlertSpec("Good", "temp > 10")})})
                  .ok());
  Write("temp", "a", 20, clock_.NowMs() - 10);
  m->EvalAllNow();
  const auto& rules = m->Groups()[0]->rules();
  EXPECT_EQ(rules[0]->health(), RuleHealth::kBad);
  EXPECT_NE(rules[0]->last_error().find("invalid label name"), std::string::npos) << rules[0]->last_error();
  EXPECT_EQ(rules[1]->health(), RuleHealth::kGood);
  EXPECT_EQ(sink_.size(), 1u);
  EXPECT_EQ(m->Groups()[0]->counters().failures.load(), 1u);
}

TEST_F(RuleManagerTest, StateSurvivesARestart) {
  const int64_t fired_at = clock_.NowMs();
  {
    auto m = NewManager(false);
    ASSERT_TRUE(m->UpdateFromSpecs({Group("g", {AlertSpec("High", "temp > 10"), AlertSpec("Slow", "temp > 10", 3600'000)})}).ok());
    ASSERT_TRUE(m->Start().ok());
    Write("temp", "a", 20, clock_.NowMs());
    m->RunPending();
    m->Stop();  // persists
  }
  clock_.Advance(5000);
  auto m = NewManager(false);
  ASSERT_TRUE(m->UpdateFromSpecs({Group("g", {AlertSpec("High", "temp > 10"), AlertSpec("Slow", "temp > 10", 3600'000)})}).ok());
  const auto& rules = m->Groups()[0]->rules();
  auto high = static_cast<const AlertingRule&>(*rules[0]).Alerts();
  ASSERT_EQ(high.size(), 1u);
  EXPECT_EQ(high[0].state, AlertState::kFiring);
  EXPECT_EQ(high[0].fired_at_ms, fired_at);
  auto slow = static_cast<const AlertingRule&>(*rules[1]).Alerts();
  ASSERT_EQ(slow.size(), 1u);
  EXPECT_EQ(slow[0].state, AlertState::kPending);
  EXPECT_EQ(slow[0].active_at_ms, fired_at);  // the `for` timer resumes from the original start
  // Still firing after the next evaluation, with its original start.
  Write("temp", "a", 20, clock_.NowMs());
  m->EvalAllNow();
  high = static_cast<const AlertingRule&>(*rules[0]).Alerts();
  ASSERT_EQ(high.size(), 1u);
  EXPECT_EQ(high[0].fired_at_ms, fired_at);
}

TEST_F(RuleManagerTest, ReloadKeepsStateAndABadReloadKeepsTheOldRules) {
  auto m = NewManager(false);
  ASSERT_TRUE(m->UpdateFromSpecs({Group("g", {AlertSpec("High", "temp > 10")})}).ok());
  Write("temp", "a", 20, clock_.NowMs());
  m->EvalAllNow();
  const int64_t fired = static_cast<const AlertingRule&>(*m->Groups()[0]->rules()[0]).Alerts()[0].fired_at_ms;
  ASSERT_TRUE(m->UpdateFromSpecs({Group("g", {AlertSpec("High", "temp > 10"), AlertSpec("New", "temp > 100")})}).ok());
  auto groups = m->Groups();
  ASSERT_EQ(groups[0]->rules().size(), 2u);
  auto alerts = static_cast<const AlertingRule&>(*groups[0]->rules()[0]).Alerts();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].fired_at_ms, fired);

  // A file that does not parse: the error comes back and nothing changes.
  std::string bad = (dir_.path() / "bad.yml").string();
  FILE* f = std::fopen(bad.c_str(), "w");
  std::fputs("groups:\n  - name: x\n    rules:\n      - alert: A\n        expr: 'sum('\n", f);
  std::fclose(f);
  Status s = m->Update({bad});
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("bad.yml"), std::string::npos) << s.message();
  EXPECT_EQ(m->Groups().size(), 1u);
  EXPECT_EQ(m->Groups()[0]->rules().size(), 2u);
}

TEST_F(RuleManagerTest, MetricsUsePrometheusNames) {
  auto m = NewManager(false);
  ASSERT_TRUE(m->UpdateFromSpecs({Group("g", {AlertSpec("High", "temp > 10")})}).ok());
  m->EvalAllNow();
  std::string text = metrics_.Render();
  EXPECT_NE(text.find("prometheus_rule_evaluations_total{rule_group=\"rules.yml;g\"} 1"), std::string::npos);
  EXPECT_NE(text.find("prometheus_rule_evaluation_failures_total{rule_group=\"rules.yml;g\"} 0"), std::string::npos);
  EXPECT_NE(text.find("prometheus_rule_group_rules{rule_group=\"rules.yml;g\"} 1"), std::string::npos);
}

// Reload of global.evaluation_interval / rule_query_offset / external_labels and `rules:`
// (SetSettings): groups without their own interval get the new default at the next Update,
// the evaluations after it send the new external labels with the new resend delay.
TEST_F(RuleManagerTest, SettingsApplyToTheNextUpdateAndTheNextEvaluations) {
  auto m = NewManager(false, /*interval_ms=*/3600'000);
  RuleGroupSpec own = Group("own", {AlertSpec("Own", "temp > 1000")});
  own.interval_ms = 5000;
  own.query_offset_ms = 0;
  const std::vector<RuleGroupSpec> specs = {Group("g", {AlertSpec("High", "temp > 10")}), own};
  ASSERT_TRUE(m->UpdateFromSpecs(specs).ok());
  Write("temp", "a", 20, clock_.NowMs() - 10);
  m->EvalAllNow();
  auto alerts = sink_.Take();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(GetLabel(alerts[0].labels, "dc"), "");

  RuleSettings next = m->settings();
  EXPECT_EQ(next.default_interval_ms, 3600'000);
  next.default_interval_ms = 2000;
  next.default_query_offset_ms = 500;
  next.external_labels = {{"dc", "b"}};
  next.resend_delay_ms = 0;
  m->SetSettings(next);
  EXPECT_EQ(m->settings(), next);
  EXPECT_EQ(*m->external_labels(), (LabelSet{{"dc", "b"}}));
  EXPECT_EQ(m->Groups()[0]->interval_ms(), 3600'000) << "the running groups until the next Update";

  ASSERT_TRUE(m->UpdateFromSpecs(specs).ok());
  auto groups = m->Groups();
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0]->interval_ms(), 2000);
  EXPECT_EQ(groups[0]->query_offset_ms(), 500);
  EXPECT_EQ(groups[1]->interval_ms(), 5000) << "a group's own interval wins";
  EXPECT_EQ(groups[1]->query_offset_ms(), 0);
  // The shorter interval takes effect at once: due within 2 s, not at the old 1 h tick.
  const uint64_t before = groups[0]->counters().iterations.load();
  clock_.Advance(2001);
  m->RunPending();
  EXPECT_GT(groups[0]->counters().iterations.load(), before);
  // The firing alert is sent again (resend delay 0), with the new external label.
  alerts = sink_.Take();
  ASSERT_FALSE(alerts.empty());
  EXPECT_EQ(GetLabel(alerts.back().labels, "dc"), "b");
  EXPECT_EQ(GetLabel(alerts.back().labels, "alertname"), "High");
}

TEST_F(RuleManagerTest, EventDrivenEvaluationCanBeSwitchedOffAndOn) {
  auto m = NewManager(false);
  ASSERT_TRUE(m->UpdateFromSpecs({Group("g", {AlertSpec("High", "temp > 10")})}).ok());
  ASSERT_TRUE(m->Start().ok());
  RuleSettings off = m->settings();
  off.event_driven = false;
  m->SetSettings(off);
  Write("temp", "a", 20, clock_.NowMs());
  m->RunPending();
  EXPECT_EQ(sink_.size(), 0u) << "no append observer: the 1 h interval decides";
  RuleSettings on = off;
  on.event_driven = true;
  m->SetSettings(on);
  clock_.Advance(10);
  Write("temp", "a", 21, clock_.NowMs());
  m->RunPending();
  EXPECT_EQ(sink_.size(), 1u);
  m->Stop();
}

}  // namespace
}  // namespace perfwatch::alert
