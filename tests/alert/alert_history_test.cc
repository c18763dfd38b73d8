// The alert history behind the reports' alert statistics: an episode per (fingerprint,
// startsAt), its first acknowledgement and its resolution; reloaded from its log after a
// restart (a torn last line ignored), compacted by retention; and through the
// Alertmanager: alerts put, acknowledged and resolved end up as episodes.
#include "alert/alert_history.h"

#include <gtest/gtest.h>

#include <fstream>

#include "alert/alertmanager.h"
#include "alert/am_config.h"
#include "support/temp_dir.h"

namespace perfwatch::alert {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

Alert Firing(const std::string& name, int64_t starts, int64_t ends = 0) {
  Alert a;
  a.labels = {{"alertname", name}, {"app", "shop"}, {"severity", "critical"}};
  a.starts_at_ms = starts;
  a.ends_at_ms = ends;
  return a;
}

TEST(AlertHistoryTest, EpisodesAckAndResolveSurviveReopen) {
  perfwatch::testing::TempDir dir("pw_alert_history_");
  const auto file = dir.path() / "alert_history.log";
  {
    auto h = AlertHistory::Open(file, kNow);
    ASSERT_TRUE(h.ok()) << h.status().ToString();
    Alert a = Firing("Slow", kNow, kNow + 300'000);  // ends by timeout later: still firing
    (*h)->Observe(a, kNow);
    (*h)->Observe(a, kNow + 10'000);  // the same episode again: nothing new
    (*h)->Acknowledged(Fingerprint(a.labels), kNow, kNow + 60'000);
    (*h)->Acknowledged(Fingerprint(a.labels), kNow, kNow + 90'000);  // not the first: ignored
    a.ends_at_ms = kNow + 120'000;
    (*h)->Observe(a, kNow + 130'000);  // resolved
    (*h)->Observe(Firing("Slow", kNow + 3'600'000), kNow + 3'600'000);  // fires again: a new episode
    auto eps = (*h)->Episodes(0, INT64_MAX);
    ASSERT_EQ(eps.size(), 2u);
    EXPECT_EQ(eps[0].acknowledged_at_ms, kNow + 60'000);
    EXPECT_EQ(eps[0].resolved_at_ms, kNow + 120'000);
    EXPECT_EQ(eps[1].resolved_at_ms, 0);
  }
  {  // a torn last record is ignored
    std::ofstream(file, std::ios::app) << "R\t0123";
  }
  auto h = AlertHistory::Open(file, kNow + 3'700'000);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  auto eps = (*h)->Episodes(kNow, kNow + 3'600'000);
  ASSERT_EQ(eps.size(), 2u);
  EXPECT_EQ(eps[0].alertname, "Slow");
  EXPECT_EQ(eps[0].severity, "critical");
  EXPECT_EQ(eps[0].app, "shop");
  EXPECT_EQ(eps[0].starts_at_ms, kNow);
  EXPECT_EQ(eps[0].acknowledged_at_ms, kNow + 60'000);
  EXPECT_EQ(eps[0].resolved_at_ms, kNow + 120'000);
  EXPECT_EQ(eps[1].starts_at_ms, kNow + 3'600'000);
  EXPECT_EQ((*h)->Episodes(kNow + 1, kNow + 2).size(), 0u);
  // Retention: reopened far later, both are gone.
  auto late = AlertHistory::Open(file, kNow + AlertHistory::kDefaultRetentionMs + 7'200'000);
  ASSERT_TRUE(late.ok());
  EXPECT_TRUE((*late)->Episodes(0, INT64_MAX).empty());
}

TEST(AlertHistoryTest, RecordCodec) {
  AlertEpisode e;
  e.fingerprint = 0xabc;
  e.starts_at_ms = 5;
  e.alertname = "a\tb";
  e.severity = "warning";
  e.acknowledged_at_ms = 7;
  EXPECT_EQ(EncodeHistoryRecord('F', e), "F\t0000000000000abc\t5\ta b\twarning\t");
  EXPECT_EQ(EncodeHistoryRecord('A', e), "A\t0000000000000abc\t5\t7");
  std::map<std::pair<uint64_t, int64_t>, AlertEpisode> m;
  EXPECT_FALSE(ApplyHistoryRecord("A\t0000000000000abc\t5\t7", &m));  // no episode yet
  EXPECT_TRUE(ApplyHistoryRecord(EncodeHistoryRecord('F', e), &m));
  EXPECT_TRUE(ApplyHistoryRecord("A\t0000000000000abc\t5\t7", &m));
  EXPECT_EQ(m.begin()->second.acknowledged_at_ms, 7);
  EXPECT_FALSE(ApplyHistoryRecord("Z\t0000000000000abc\t5\t7", &m));
  EXPECT_FALSE(ApplyHistoryRecord("F\tnothex\t5\ta\tb\tc", &m));
}

TEST(AlertHistoryTest, ThroughTheAlertmanager) {
  auto cfg = [] { return ParseAlertmanagerYaml("route: {receiver: none}\nreceivers:\n- name: none\n"); };
  ASSERT_TRUE(cfg().ok()) << cfg().status().ToString();
  perfwatch::testing::TempDir dir("pw_alert_history_am_");
  FakeClock clock(kNow);
  AlertmanagerOptions o;
  o.state_dir = dir.path() / "am";
  o.clock = &clock;
  o.start_threads = false;
  auto opened = Alertmanager::Open(o, cfg().value());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<Alertmanager> am = std::move(opened).value();
  ASSERT_TRUE(am->Start().ok());
  Alert a = Firing("Slow", kNow, kNow + 600'000);
  am->PutAlerts({a});
  clock.Advance(60'000);
  am->ProcessDue();
  a.ends_at_ms = clock.NowMs();
  am->PutAlerts({a});  // resolved by the sender
  auto eps = am->AlertEpisodes(kNow - 1, kNow + 1);
  ASSERT_EQ(eps.size(), 1u);
  EXPECT_EQ(eps[0].resolved_at_ms, kNow + 60'000);
  EXPECT_EQ(eps[0].severity, "critical");
  am->Stop();
  am.reset();
  // Reopened (a restart): the episode is still there.
  auto again = Alertmanager::Open(o, cfg().value());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->AlertEpisodes(kNow - 1, kNow + 1).size(), 1u);
}

}  // namespace
}  // namespace perfwatch::alert
