// ScrapeManager: scheduled scrapes of several targets, prompt Stop with stale markers.
#include "ingest/scrape/scrape_manager.h"

#include <gtest/gtest.h>

#include "ingest/scrape/scrape_test_support.h"
#include "tsdb/stale.h"

namespace perfwatch::ingest {
namespace {

using testing::MakeTarget;
using testing::Target;
using testing::TestStore;

TEST(ScrapeManagerTest, ScrapesOnScheduleAndStopsPromptlyWithStaleMarkers) {
  Target a, b, slow;
  a.SetBody("a_metric 1\n");
  b.SetBody("b_metric 2\n");
  slow.SetBody("slow_metric 3\n");
  slow.SetDelay(std::chrono::milliseconds(3000));
  TestStore store;
  MetricsRegistry metrics;
  std::vector<ScrapeTarget> targets;
  for (Target* t : {&a, &b, &slow}) {
    ScrapeTarget st = MakeTarget(t->address());
    st.interval_ms = 200;
    st.timeout_ms = t == &slow ? 200 : 150;
    targets.push_back(st);
  }
  MetadataStore metadata;
  ScrapeManager manager(targets, {}, store.get(), &metadata, &metrics);
  ASSERT_EQ(manager.size(), 3u);
  ASSERT_TRUE(manager.Start().ok());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while ((a.requests() < 3 || b.requests() < 3) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GE(a.requests(), 3);
  EXPECT_GE(b.requests(), 3);
  auto reports = manager.Reports();
  ASSERT_EQ(reports.size(), 3u);
  EXPECT_TRUE(reports[0].second.up) << reports[0].second.error;
  EXPECT_FALSE(reports[2].second.up);

  auto start = std::chrono::steady_clock::now();
  manager.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));

  // Every series of the healthy targets ends with a stale marker; scrapes were ~200 ms apart.
  auto dump = store.Dump();
  const std::string up_a = "up{instance=\"" + a.address() + "\", job=\"j\"}";
  ASSERT_GE(dump[up_a].size(), 4u);
  EXPECT_EQ(dump[up_a].back().second, tsdb::kStaleNaNBits);
  // Scrapes keep the 200 ms rhythm on average (a late timer does not shift the next one).
  const auto& ups = dump[up_a];
  const size_t scrapes = ups.size() - 1;  // the last sample is the stop marker
  double mean_gap = static_cast<double>(ups[scrapes - 1].first - ups[0].first) / static_cast<double>(scrapes - 1);
  EXPECT_GE(mean_gap, 150);
  EXPECT_LE(mean_gap, 400);
  EXPECT_EQ(dump["a_metric{instance=\"" + a.address() + "\", job=\"j\"}"].back().second, tsdb::kStaleNaNBits);
  std::string rendered = metrics.Render();
  EXPECT_NE(rendered.find("perfwatch_scrape_attempts_total{job=\"j\"}"), std::string::npos);
  EXPECT_NE(rendered.find("perfwatch_scrape_failures_total{job=\"j\",reason=\"timeout\"}"), std::string::npos);
  EXPECT_NE(rendered.find("perfwatch_scrape_targets{job=\"j\"} 3"), std::string::npos);
  manager.Stop();  // idempotent
}

TEST(ScrapeManagerTest, NoTargetsIsFine) {
  TestStore store;
  ScrapeManager manager({}, {}, store.get(), nullptr, nullptr);
  EXPECT_TRUE(manager.Start().ok());
  manager.Stop();
}

}  // namespace
}  // namespace perfwatch::ingest
