// EventStore::Append's `replaced` out-parameter: which events of a batch replaced a stored
// one (earlier batch, earlier in the same batch, another partition, after a restart).
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <set>

#include "events/event_store.h"
#include "test_events.h"

namespace perfwatch::events {
namespace {

using testing::OwnedEvent;
using testing::TempDir;
using testing::Views;
using testing::Vitals;

using testing::kHour;
using testing::kT0;
using testing::TestConfig;

std::unique_ptr<EventStore> OpenStore(const std::filesystem::path& dir) {
  auto store = EventStore::Open(dir, TestConfig(), nullptr);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

std::vector<bool> AppendReplaced(EventStore& store, const std::vector<OwnedEvent>& events) {
  auto buf = std::make_unique<bool[]>(events.size());
  for (size_t i = 0; i < events.size(); ++i) buf[i] = true;  // must be overwritten
  Status st = store.Append(Views(events), std::span<bool>(buf.get(), events.size()));
  EXPECT_TRUE(st.ok()) << st.ToString();
  return std::vector<bool>(buf.get(), buf.get() + events.size());
}

TEST(EventStoreReplacedTest, ReportsReplacementsPerEvent) {
  TempDir dir;
  {
    auto store = OpenStore(dir.path());
    std::vector<OwnedEvent> first = {Vitals(Vital::kCLS, kT0 + 10, 0.1, "/", "s1", "v1"),
                                     Vitals(Vital::kCLS, kT0 + 20, 0.5, "/", "s1", ""),   // no id
                                     Vitals(Vital::kCLS, kT0 + 30, 0.6, "/", "", "v1"),   // no session
                                     Vitals(Vital::kCLS, kT0 + 40, 0.7, "/", "s2", "v1"),
                                     Vitals(Vital::kCLS, kT0 + 45, 0.75, "/", "s2", "v1")};  // same batch
    EXPECT_EQ(AppendReplaced(*store, first), (std::vector<bool>{false, false, false, false, true}));
    std::vector<OwnedEvent> second = {Vitals(Vital::kCLS, kT0 + 50, 0.2, "/", "s1", "v1"),
                                      Vitals(Vital::kCLS, kT0 + 60, 0.3, "/", "s1", "v1"),
                                      Vitals(Vital::kCLS, kT0 + 70, 0.8, "/", "s1", ""),
                                      Vitals(Vital::kCLS, kT0 + 80, 0.9, "/", "", "v1"),
                                      Vitals(Vital::kCLS, kT0 + 90, 0.9, "/", "s3", "v1")};
    EXPECT_EQ(AppendReplaced(*store, second), (std::vector<bool>{true, true, false, false, false}));
    // Another partition (two hours later).
    EXPECT_EQ(AppendReplaced(*store, {Vitals(Vital::kCLS, kT0 + 2 * kHour, 0.4, "/", "s3", "v1")}),
              std::vector<bool>{true});
    EXPECT_EQ(store->Stats().replaced, 4u);
  }
  auto store = OpenStore(dir.path());  // after a restart the pairs are still known
  EXPECT_EQ(AppendReplaced(*store, {Vitals(Vital::kCLS, kT0 + 5, 0.45, "/", "s1", "v1"),
                                    Vitals(Vital::kCLS, kT0 + 6, 0.45, "/", "s9", "v1")}),
            (std::vector<bool>{true, false}));
}

TEST(EventStoreReplacedTest, MatchesABruteForceSetOfPairs) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  std::set<std::pair<std::string, std::string>> seen;
  std::mt19937 rng(11);
  uint64_t want_replaced = 0;
  for (int b = 0; b < 200; ++b) {
    std::vector<OwnedEvent> batch;
    std::vector<bool> want;
    size_t n = 1 + rng() % 8;
    for (size_t i = 0; i < n; ++i) {
      std::string s = "s" + std::to_string(rng() % 30), id = "v" + std::to_string(rng() % 5);
      batch.push_back(Vitals(Vital::kINP, kT0 + static_cast<int64_t>(rng() % (3 * kHour)), i, "/", s, id));
      bool r = !seen.insert({s, id}).second;
      want.push_back(r);
      want_replaced += r;
    }
    ASSERT_EQ(AppendReplaced(*store, batch), want) << "batch " << b;
  }
  EXPECT_EQ(store->Stats().replaced, want_replaced);
  EXPECT_EQ(store->Stats().events, seen.size());
}

TEST(EventStoreReplacedTest, WrongSizeIsRejectedAndNothingStored) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  std::vector<OwnedEvent> events = {Vitals(Vital::kLCP, kT0, 1000, "/", "s", "1"),
                                    Vitals(Vital::kLCP, kT0, 1200, "/", "s", "2")};
  bool one[1] = {false};
  EXPECT_FALSE(store->Append(Views(events), std::span<bool>(one, 1)).ok());
  EXPECT_EQ(store->Stats().events, 0u);
  EXPECT_TRUE(store->Append(Views(events)).ok());  // the default: no out-parameter
  EXPECT_EQ(store->Stats().events, 2u);
}

}  // namespace
}  // namespace perfwatch::events
