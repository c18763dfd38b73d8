// Reloading scrape targets: DiffTargets (which loops are kept, started, stopped) and
// ScrapeManager::ApplyTargets on a running manager (kept loops keep scraping, removed
// targets end with stale markers, new ones start; started before Start too).
#include <gtest/gtest.h>

#include <thread>

#include "ingest/scrape/scrape_manager.h"
#include "ingest/scrape/scrape_target.h"
#include "ingest/scrape/scrape_test_support.h"
#include "tsdb/stale.h"

namespace perfwatch::ingest {
namespace {

using testing::MakeTarget;
using testing::Target;
using testing::TestStore;

bool WaitFor(const std::function<bool()>& done, int seconds = 10) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

TEST(DiffTargetsTest, KeepsEqualTargetsStartsNewOnesAndStopsTheRest) {
  ScrapeTarget a = MakeTarget("127.0.0.1:1001");
  ScrapeTarget b = MakeTarget("127.0.0.1:1002");
  ScrapeTarget c = MakeTarget("127.0.0.1:1003");
  ScrapeTarget b_slower = b;
  b_slower.interval_ms = b.interval_ms * 2;  // same labels, changed settings
  const TargetDiff d = DiffTargets({a, b, c}, {c, b_slower, MakeTarget("127.0.0.1:1004"), a});
  ASSERT_EQ(d.keep.size(), 4u);
  EXPECT_EQ(d.keep[0], 2u);        // c kept
  EXPECT_EQ(d.keep[1], SIZE_MAX);  // b changed: a new loop
  EXPECT_EQ(d.keep[2], SIZE_MAX);  // new
  EXPECT_EQ(d.keep[3], 0u);        // a kept, whatever its position
  ASSERT_EQ(d.stop, std::vector<size_t>{1});
  ASSERT_EQ(d.stale.size(), 1u);
  EXPECT_FALSE(d.stale[0]);  // the changed b takes its series over: no stale markers
}

TEST(DiffTargetsTest, RemovedTargetsGetStaleMarkersAndDuplicatesMatchOnce) {
  ScrapeTarget a = MakeTarget("127.0.0.1:1001");
  ScrapeTarget b = MakeTarget("127.0.0.1:1002");
  const TargetDiff d = DiffTargets({a, a, b}, {a});
  EXPECT_EQ(d.keep, std::vector<size_t>{0});
  EXPECT_EQ(d.stop, (std::vector<size_t>{1, 2}));
  EXPECT_EQ(d.stale,
            (std::vector<bool>{false, true}));  // the duplicate a's series live on in the kept loop
  ScrapeTarget with_auth = a;
  with_auth.authorization = "Bearer x";
  EXPECT_FALSE(SameScrape(a, with_auth));
  ScrapeTarget with_tls = a;
  with_tls.tls.insecure_skip_verify = true;
  EXPECT_FALSE(SameScrape(a, with_tls));
  EXPECT_TRUE(SameScrape(a, ScrapeTarget(a)));
}

TEST(ScrapeReloadTest, ApplyTargetsWhileRunning) {
  Target kept, removed, added;
  kept.SetBody("kept_metric 1\n");
  removed.SetBody("removed_metric 2\n");
  added.SetBody("added_metric 3\n");
  TestStore store;
  MetricsRegistry metrics;
  auto make = [](Target& t) {
    ScrapeTarget st = MakeTarget(t.address());
    st.interval_ms = 100;
    st.timeout_ms = 90;
    return st;
  };
  MetadataStore metadata;
  ScrapeManager manager({make(kept), make(removed)}, {}, store.get(), &metadata, &metrics);
  ASSERT_TRUE(manager.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return kept.requests() >= 2 && removed.requests() >= 2; }));

  manager.ApplyTargets({make(added), make(kept)});
  ASSERT_EQ(manager.size(), 2u);
  auto reports = manager.Reports();
  EXPECT_EQ(reports[0].first.address, added.address());
  EXPECT_EQ(reports[1].first.address, kept.address());
  EXPECT_TRUE(reports[1].second.up) << "the kept loop keeps its last report";
  const std::string removed_up = "up{instance=\"" + removed.address() + "\", job=\"j\"}";
  ASSERT_TRUE(WaitFor([&] {
    auto dump = store.Dump();
    return !dump[removed_up].empty() && dump[removed_up].back().second == tsdb::kStaleNaNBits;
  })) << "the removed target's series end with a stale marker";
  const int removed_requests = removed.requests();
  ASSERT_TRUE(WaitFor([&] { return added.requests() >= 2; }));
  const int kept_before = kept.requests();
  ASSERT_TRUE(WaitFor([&] { return kept.requests() >= kept_before + 2; }));
  EXPECT_EQ(removed.requests(), removed_requests) << "no scrape after the removal";
  auto dump = store.Dump();
  EXPECT_EQ(dump["removed_metric{instance=\"" + removed.address() + "\", job=\"j\"}"].back().second,
            tsdb::kStaleNaNBits);
  // The kept target's series were never interrupted.
  for (const auto& [t, v] : dump["kept_metric{instance=\"" + kept.address() + "\", job=\"j\"}"]) {
    EXPECT_NE(v, tsdb::kStaleNaNBits);
  }
  EXPECT_NE(metrics.Render().find("perfwatch_scrape_targets{job=\"j\"} 2"), std::string::npos)
      << metrics.Render();
  manager.Stop();
}

TEST(ScrapeReloadTest, FromNoTargetsAndBeforeStart) {
  Target t;
  t.SetBody("m 1\n");
  TestStore store;
  ScrapeManager idle({}, {}, store.get(), nullptr, nullptr);
  idle.ApplyTargets({MakeTarget(t.address())});  // before Start: started by Start
  EXPECT_EQ(idle.size(), 1u);
  ScrapeManager manager({}, {}, store.get(), nullptr, nullptr);
  ASSERT_TRUE(manager.Start().ok());
  ScrapeTarget st = MakeTarget(t.address());
  st.interval_ms = 100;
  st.timeout_ms = 90;
  manager.ApplyTargets({st});  // the io threads start with the first target
  ASSERT_TRUE(WaitFor([&] { return t.requests() >= 2; }));
  manager.ApplyTargets({});
  EXPECT_EQ(manager.size(), 0u);
  manager.Stop();
  idle.Stop();
}

}  // namespace
}  // namespace perfwatch::ingest
