// Replace-on-repeat once the pair index has spilled to run files (more than 65,536 pairs
// in a partition): old pairs stay replaceable, live and after a restart (replay rebuilds
// the runs), and a pair replaced several times keeps exactly one live event.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "events/event_store.h"
#include "events/pair_index.h"
#include "test_events.h"

namespace perfwatch::events {
namespace {

using testing::kHour;
using testing::kT0;
using testing::OwnedEvent;
using testing::TempDir;
using testing::TestConfig;
using testing::Views;
using testing::Vitals;

constexpr size_t kPairs = 2 * PairIndex::kDefaultRecentCap + 5000;  // two spills
constexpr double kReplacedValue = 9000;

std::unique_ptr<EventStore> OpenStore(const std::filesystem::path& dir) {
  auto store = EventStore::Open(dir, TestConfig(), nullptr);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

OwnedEvent Pair(size_t i, int64_t t, double value) {
  return Vitals(Vital::kLCP, t, value, "/p", "s" + std::to_string(i / 10), "v1-" + std::to_string(i));
}

// Appends pairs [from, to) at time t; returns how many were reported replaced.
size_t AppendPairs(EventStore& store, size_t from, size_t to, int64_t t, double value) {
  size_t replaced = 0;
  for (size_t at = from; at < to; at += 1000) {
    std::vector<OwnedEvent> batch;
    for (size_t i = at; i < std::min(to, at + 1000); ++i) batch.push_back(Pair(i, t + static_cast<int64_t>(i % 1000), value));
    auto flags = std::make_unique<bool[]>(batch.size());
    Status s = store.Append(Views(batch), std::span<bool>(flags.get(), batch.size()));
    EXPECT_TRUE(s.ok()) << s.ToString();
    for (size_t k = 0; k < batch.size(); ++k) replaced += flags[k];
  }
  return replaced;
}

// (events in the scan, events with a value >= kReplacedValue)
std::pair<size_t, size_t> CountLcp(const EventStore& store) {
  VitalScan scan;
  scan.vital = Vital::kLCP;
  scan.from_ms = kT0;
  scan.to_ms = kT0 + 10 * kHour;
  size_t all = 0, high = 0;
  Status s = store.ScanVitals(scan, [&](const auto&, std::span<const double> values) {
    for (double v : values) {
      ++all;
      high += v >= kReplacedValue;
    }
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return {all, high};
}

size_t RunFiles(const std::filesystem::path& dir) {
  size_t n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.path().extension() == ".run") ++n;
  }
  return n;
}

TEST(EventStorePairSpillTest, SpilledPairsStayReplaceableLiveAndAfterRestart) {
  TempDir dir;
  {
    auto store = OpenStore(dir.path());
    ASSERT_TRUE(store);
    EXPECT_EQ(AppendPairs(*store, 0, kPairs, kT0 + 1000, 100), 0u);
    EXPECT_GE(RunFiles(dir.path()), 1u);
    // The oldest pairs were spilled: a repeat still replaces them.
    EXPECT_EQ(AppendPairs(*store, 0, 500, kT0 + 2000, kReplacedValue), 500u);
    EXPECT_EQ(store->Stats().events, kPairs);
  }
  auto store = OpenStore(dir.path());  // replay rebuilds the index (and its runs)
  ASSERT_TRUE(store);
  EXPECT_EQ(store->Stats().events, kPairs);
  EXPECT_GE(RunFiles(dir.path()), 1u);
  // Replaced again (some for the second time), from another partition.
  EXPECT_EQ(AppendPairs(*store, 250, 1000, kT0 + 2 * kHour, kReplacedValue + 1), 750u);
  EXPECT_EQ(AppendPairs(*store, 0, 300, kT0 + 3 * kHour, kReplacedValue + 2), 300u);
  // And pairs that were never repeated, spilled in the middle and recent at the end.
  EXPECT_EQ(AppendPairs(*store, 70000, 70100, kT0 + 4000, kReplacedValue + 3), 100u);
  EXPECT_EQ(AppendPairs(*store, kPairs - 100, kPairs, kT0 + 4000, kReplacedValue + 3), 100u);
  EXPECT_EQ(store->Stats().events, kPairs);
  EXPECT_EQ(store->Stats().replaced, 1250u);
  auto [all, high] = CountLcp(*store);
  EXPECT_EQ(all, kPairs);      // one live event per pair
  EXPECT_EQ(high, 1000u + 200u);  // pairs 0..999, 70000..70099 and the last 100
}

}  // namespace
}  // namespace perfwatch::events
