// Flap detection (docs/alerting.md "Flap detection") through the rule manager over a real
// store and PromQL engine, with a fake clock: an alert oscillating around its threshold is
// held firing as flapping="true" after more than rules.flap_threshold transitions, the
// notifications stay bounded, it settles, and its history survives a restart.
#include <gtest/gtest.h>

#include <chrono>
#include <set>

#include "alert/rule_manager.h"
#include "alert/rule_querier.h"
#include "alert/rule_state.h"
#include "alert/rule_test_support.h"
#include "common/time.h"
#include "query/promql_engine.h"
#include "tsdb/tsdb.h"
#include "tsdb/tsdb_test_util.h"

namespace perfwatch::alert {
namespace {

using testing::AlertSpec;
using testing::RecordingSink;
using tsdb::testing::OwnedSeries;
using tsdb::testing::TempDir;

constexpr int64_t kMinute = 60'000;
const LabelSet kPlain = {{"alertname", "High"}, {"instance", "a"}};
const LabelSet kHeld = {{"alertname", "High"}, {"flapping", "true"}, {"instance", "a"}};

class FlapDetectionTest : public ::testing::Test {
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

  std::unique_ptr<RuleManager> NewManager(int64_t for_ms = 0, int64_t flap_window_ms = 3600'000, int threshold = 6) {
    RuleManagerOptions o;
    o.state_dir = dir_.path() / "rules";
    o.default_interval_ms = kMinute;
    o.clock = &clock_;
    o.start_threads = false;
    o.event_cpu_budget = 0;
    o.metrics = &metrics_;
    o.resend_delay_ms = 3600'000;  // no repeats in the counts below: only state changes are sent
    o.flap = {.threshold = threshold, .window_ms = flap_window_ms, .settle_ms = 15 * kMinute};
    auto m = std::make_unique<RuleManager>(o, db_.get(), querier_.get(), &sink_);
    RuleGroupSpec g;
    g.file = "rules.yml";
    g.name = "g";
    g.rules = {AlertSpec("High", "temp > 10", for_ms)};
    EXPECT_TRUE(m->UpdateFromSpecs({g}).ok());
    EXPECT_TRUE(m->Start().ok());
    return m;
  }

  // One evaluation a minute with the series at `v`; records what reached the pipeline.
  void Step(RuleManager& m, double v) {
    clock_.Advance(kMinute);
    OwnedSeries s(tsdb::Labels::FromPairs({{"__name__", "temp"}, {"instance", "a"}}), {{clock_.NowMs(), v}});
    std::vector<tsdb::SeriesSamples> batch = {s.View()};
    ASSERT_TRUE(db_->AppendBatch(batch).ok());
    m.EvalAllNow();
    for (Alert& a : sink_.Take()) {
      // Counted once per episode (labels, startsAt): re-sends every resend_delay are the
      // pipeline's to deduplicate, not new notifications.
      bool resolved = a.ends_at_ms <= clock_.NowMs();
      std::string kind = a.labels == kHeld ? "held" : a.labels == kPlain ? "plain" : "other";
      if ((resolved ? resolved_seen_ : firing_seen_).insert({kind, a.starts_at_ms}).second) {
        (resolved ? resolved_ : firing_)[kind]++;
      }
    }
  }

  static std::vector<RuleAlert> Alerts(RuleManager& m) {
    return static_cast<const AlertingRule&>(*m.Groups()[0]->rules()[0]).Alerts();
  }

  TempDir dir_;
  MetricsRegistry metrics_;
  FakeClock clock_{perfwatch::NowMs() / kMinute * kMinute};
  RecordingSink sink_;
  std::unique_ptr<tsdb::Tsdb> db_;
  std::unique_ptr<query::promql::TsdbQueryable> queryable_;
  std::unique_ptr<query::promql::Engine> engine_;
  std::unique_ptr<EngineRuleQuerier> querier_;
  std::map<std::string, int> firing_, resolved_;  // episodes notified, by "plain" / "held"
  std::set<std::pair<std::string, int64_t>> firing_seen_, resolved_seen_;
};

TEST_F(FlapDetectionTest, OscillatingAlertIsHeldFiringWithTheLabelAndNotificationsAreBounded) {
  auto m = NewManager();
  // Transitions 1..6 (fire, resolve, ... resolve): still ordinary alerts.
  for (int i = 0; i < 6; ++i) Step(*m, i % 2 == 0 ? 20 : 5);
  EXPECT_EQ(firing_["plain"], 3);
  EXPECT_EQ(resolved_["plain"], 3);
  EXPECT_TRUE(Alerts(*m).empty());
  // The 7th transition (> 6): held firing as flapping. The plain alert that this very
  // evaluation would have fired is never announced.
  Step(*m, 20);
  auto alerts = Alerts(*m);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].labels, kHeld);
  EXPECT_EQ(alerts[0].state, AlertState::kFiring);
  EXPECT_EQ(firing_["held"], 1);
  EXPECT_EQ(firing_["plain"], 3);
  // Two more hours of flipping every minute: still held, nothing new is sent.
  for (int i = 0; i < 120; ++i) Step(*m, i % 2 == 0 ? 5 : 20);
  alerts = Alerts(*m);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].labels, kHeld);
  EXPECT_EQ(alerts[0].state, AlertState::kFiring);
  EXPECT_EQ(firing_["held"], 1);
  EXPECT_EQ(resolved_["held"], 0);
  EXPECT_EQ(firing_["plain"], 3);
  EXPECT_EQ(resolved_["plain"], 3);
  EXPECT_EQ(firing_["other"] + resolved_["other"], 0);
  // The gauge and the counter at /metrics.
  EXPECT_EQ(m->Groups()[0]->num_flapping(), 1u);
  EXPECT_EQ(m->Groups()[0]->flap_detections(), 1u);
  std::string text = metrics_.Render();
  EXPECT_NE(text.find("perfwatch_alert_flapping{rule_group=\"rules.yml;g\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("perfwatch_alert_flap_detections_total{rule_group=\"rules.yml;g\"} 1"), std::string::npos);
}

TEST_F(FlapDetectionTest, TheHeldAlertReplacesAnAnnouncedFiringOneInTheSameEvaluation) {
  // Threshold 5: the 6th transition is the resolution of an announced firing alert.
  auto m = NewManager(0, 3600'000, /*threshold=*/5);
  for (int i = 0; i < 5; ++i) Step(*m, i % 2 == 0 ? 20 : 5);
  EXPECT_EQ(firing_["plain"], 3);
  EXPECT_EQ(resolved_["plain"], 2);
  ASSERT_EQ(Alerts(*m).size(), 1u);
  EXPECT_EQ(Alerts(*m)[0].labels, kPlain);
  // One evaluation: the plain label set resolves and the held one fires, in one batch.
  clock_.Advance(kMinute);
  OwnedSeries s(tsdb::Labels::FromPairs({{"__name__", "temp"}, {"instance", "a"}}), {{clock_.NowMs(), 5}});
  std::vector<tsdb::SeriesSamples> batch = {s.View()};
  ASSERT_TRUE(db_->AppendBatch(batch).ok());
  m->EvalAllNow();
  auto sent = sink_.Take();
  ASSERT_EQ(sent.size(), 2u);
  std::map<LabelSet, Alert> by_labels;
  for (Alert& a : sent) by_labels[a.labels] = a;
  ASSERT_TRUE(by_labels.count(kPlain));
  ASSERT_TRUE(by_labels.count(kHeld));
  EXPECT_LE(by_labels[kPlain].ends_at_ms, clock_.NowMs());  // resolved
  EXPECT_GT(by_labels[kHeld].ends_at_ms, clock_.NowMs());   // firing
  auto all = static_cast<const AlertingRule&>(*m->Groups()[0]->rules()[0]).Alerts(/*include_resolved=*/true);
  ASSERT_EQ(all.size(), 2u);
}

TEST_F(FlapDetectionTest, CleanBreachFiresAndResolvesWithoutTheLabel) {
  auto m = NewManager();
  for (int i = 0; i < 5; ++i) Step(*m, 5);
  for (int i = 0; i < 30; ++i) Step(*m, 20);
  auto alerts = Alerts(*m);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].labels, kPlain);
  Step(*m, 5);
  EXPECT_TRUE(Alerts(*m).empty());
  EXPECT_EQ(firing_["plain"], 1);
  EXPECT_EQ(resolved_["plain"], 1);
  EXPECT_EQ(firing_["held"] + resolved_["held"], 0);
  EXPECT_EQ(m->Groups()[0]->flap_detections(), 0u);
}

TEST_F(FlapDetectionTest, SettledAlertResolves) {
  auto m = NewManager();
  for (int i = 0; i < 7; ++i) Step(*m, i % 2 == 0 ? 20 : 5);
  ASSERT_EQ(Alerts(*m).size(), 1u);
  // Healthy from now on: still held until the condition has been stable for 15 minutes.
  for (int i = 0; i < 14; ++i) Step(*m, 5);
  ASSERT_EQ(Alerts(*m).size(), 1u);
  EXPECT_EQ(Alerts(*m)[0].labels, kHeld);
  EXPECT_EQ(resolved_["held"], 0);
  Step(*m, 5);
  Step(*m, 5);
  EXPECT_TRUE(Alerts(*m).empty());
  EXPECT_EQ(resolved_["held"], 1);
  EXPECT_EQ(m->Groups()[0]->num_flapping(), 0u);
  // A clean breach afterwards is an ordinary alert again.
  for (int i = 0; i < 3; ++i) Step(*m, 20);
  ASSERT_EQ(Alerts(*m).size(), 1u);
  EXPECT_EQ(Alerts(*m)[0].labels, kPlain);
}

TEST_F(FlapDetectionTest, SettledWhileBreachingContinuesAsThePlainAlert) {
  auto m = NewManager();
  for (int i = 0; i < 7; ++i) Step(*m, i % 2 == 0 ? 20 : 5);  // held; the condition holds
  const int64_t started = clock_.NowMs();
  for (int i = 0; i < 15; ++i) Step(*m, 20);
  auto alerts = Alerts(*m);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].labels, kPlain);
  EXPECT_EQ(alerts[0].state, AlertState::kFiring);
  EXPECT_EQ(alerts[0].active_at_ms, started);  // active since the condition last started
  EXPECT_EQ(resolved_["held"], 1);
}

TEST_F(FlapDetectionTest, PendingFlipsDoNotCount) {
  // `for` filtering spikes is not flapping: however often a pending alert drops out, it is
  // never held firing (that would turn the spikes `for` exists to ignore into a page).
  auto m = NewManager(/*for_ms=*/10 * kMinute);
  for (int i = 0; i < 40; ++i) Step(*m, i % 2 == 0 ? 20 : 5);
  for (const RuleAlert& a : Alerts(*m)) EXPECT_NE(a.labels, kHeld);
  EXPECT_EQ(firing_["plain"], 0);
  EXPECT_EQ(firing_["held"], 0);
  // Once it has fired, dropping out is one transition; a re-fire needs another 10 minutes
  // of `for`, so oscillating after that is still not flapping.
  for (int i = 0; i < 11; ++i) Step(*m, 20);
  EXPECT_EQ(firing_["plain"], 1);
  for (int i = 0; i < 14; ++i) Step(*m, i % 2 == 0 ? 5 : 20);
  for (const RuleAlert& a : Alerts(*m)) EXPECT_NE(a.labels, kHeld);
  EXPECT_EQ(resolved_["plain"], 1);
}

TEST_F(FlapDetectionTest, TransitionsOutsideTheWindowDoNotCount) {
  auto m = NewManager();
  // Six transitions, then a quiet hour: they leave the window.
  for (int i = 0; i < 6; ++i) Step(*m, i % 2 == 0 ? 20 : 5);
  for (int i = 0; i < 61; ++i) Step(*m, 5);
  Step(*m, 20);
  auto alerts = Alerts(*m);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].labels, kPlain);
}

TEST_F(FlapDetectionTest, DisabledWithAZeroWindow) {
  auto m = NewManager(0, /*flap_window_ms=*/0);
  for (int i = 0; i < 40; ++i) Step(*m, i % 2 == 0 ? 20 : 5);
  EXPECT_EQ(firing_["plain"], 20);
  EXPECT_EQ(resolved_["plain"], 20);
  EXPECT_EQ(firing_["held"], 0);
}

TEST_F(FlapDetectionTest, HistoryAndFlappingSurviveARestart) {
  {
    auto m = NewManager();
    for (int i = 0; i < 4; ++i) Step(*m, i % 2 == 0 ? 20 : 5);  // four transitions
    m->Stop();  // persists
  }
  auto saved = ReadRuleState(dir_.path() / "rules" / "rules.json");
  ASSERT_TRUE(saved.ok()) << saved.status().ToString();
  ASSERT_EQ(saved->size(), 1u);
  ASSERT_EQ(saved->begin()->second.size(), 1u);
  ASSERT_EQ(saved->begin()->second[0].flaps.size(), 1u);
  EXPECT_EQ(saved->begin()->second[0].flaps[0].changes.size(), 4u);
  {
    auto m = NewManager();
    for (int i = 0; i < 3; ++i) Step(*m, i % 2 == 0 ? 20 : 5);  // 5, 6, 7: flapping
    auto alerts = Alerts(*m);
    ASSERT_EQ(alerts.size(), 1u);
    EXPECT_EQ(alerts[0].labels, kHeld);
    m->Stop();
  }
  auto m = NewManager();
  auto alerts = Alerts(*m);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].labels, kHeld);
  EXPECT_TRUE(alerts[0].flapping);
  const int held_before = firing_["held"];
  for (int i = 0; i < 10; ++i) Step(*m, i % 2 == 0 ? 5 : 20);
  alerts = Alerts(*m);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].labels, kHeld);
  EXPECT_EQ(m->Groups()[0]->num_flapping(), 1u);
  EXPECT_LE(firing_["held"] - held_before, 1);  // at most a re-send after the restart
  EXPECT_EQ(firing_["plain"], 3);  // transitions 1, 3 and 5 (the 7th was never announced)
}

}  // namespace
}  // namespace perfwatch::alert
