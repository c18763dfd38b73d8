// events.retention and events.fsync_interval changed at run time (a configuration
// reload): EventStore::SetPolicies, ErrorStore::SetPolicies, SpanStore::SetFsyncInterval.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "common/metrics.h"
#include "common/time.h"
#include "events/error_store.h"
#include "events/event_store.h"
#include "events/span_store.h"
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

constexpr int64_t kDay = 24 * kHour;

std::unique_ptr<EventStore> Open(const std::filesystem::path& dir, const EventsConfig& config,
                                 MetricsRegistry* metrics = nullptr) {
  auto s = EventStore::Open(dir, config, metrics);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

TEST(EventStorePoliciesTest, ALoweredRetentionDropsPartitionsTheOldOneKept) {
  TempDir dir;
  auto store = Open(dir.path(), TestConfig());
  ASSERT_TRUE(store);
  std::vector<OwnedEvent> events;
  for (int h = 0; h < 5; ++h) events.push_back(Vitals(Vital::kLCP, kT0 + h * kHour + 10, h, "/", "s", std::to_string(h)));
  ASSERT_TRUE(store->Append(Views(events)).ok());
  ASSERT_TRUE(store->EnforceRetention(kT0 + 5 * kHour).ok());
  EXPECT_EQ(store->Stats().events, 5u) << "the opened retention keeps everything";

  ASSERT_TRUE(store->SetPolicies(2 * kHour, 100).ok());
  EXPECT_EQ(store->retention_ms(), 2 * kHour);
  EXPECT_EQ(store->fsync_interval_ms(), 100);
  ASSERT_TRUE(store->EnforceRetention(kT0 + 5 * kHour).ok());
  EXPECT_EQ(store->Stats().partitions, 2u);
  EXPECT_EQ(store->Stats().events, 2u);
}

TEST(EventStorePoliciesTest, TheBackgroundThreadAppliesANewRetentionAtOnce) {
  TempDir dir;
  EventsConfig config = TestConfig();
  config.partition_ms = kDay;
  config.retention_ms = 30 * kDay;
  auto store = Open(dir.path(), config);
  ASSERT_TRUE(store);
  const int64_t now = NowMs();
  ASSERT_TRUE(store->Append(Views({Vitals(Vital::kLCP, now - 5 * kDay, 1, "/", "s", "old"),
                                   Vitals(Vital::kLCP, now, 2, "/", "s", "new")}))
                  .ok());
  ASSERT_TRUE(store->Start().ok());  // its first retention pass keeps both
  ASSERT_TRUE(store->SetPolicies(2 * kDay, 100).ok());
  // The thread wakes for the change (not at its next minute's check): wait for its pass.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (store->Stats().events != 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(store->Stats().events, 1u);
  EXPECT_EQ(store->Stats().partitions, 1u);
  store->Stop();
}

TEST(EventStorePoliciesTest, FsyncIntervalZeroMakesEveryAppendFsync) {
  TempDir dir;
  MetricsRegistry metrics;
  EventsConfig config = TestConfig();
  config.fsync_interval_ms = 3600'000;  // no background thread started: only appends fsync
  auto store = Open(dir.path(), config, &metrics);
  ASSERT_TRUE(store);
  Counter* fsyncs = metrics.GetCounter("perfwatch_events_log_fsyncs_total", "");
  ASSERT_TRUE(store->Append(Views({Vitals(Vital::kLCP, kT0 + 1, 1, "/", "s", "a")})).ok());
  EXPECT_EQ(fsyncs->Value(), 0u);
  ASSERT_TRUE(store->SetPolicies(config.retention_ms, 0).ok());
  ASSERT_TRUE(store->Append(Views({Vitals(Vital::kLCP, kT0 + 2, 1, "/", "s", "b")})).ok());
  EXPECT_EQ(fsyncs->Value(), 1u);
}

TEST(EventStorePoliciesTest, NegativeValuesAreRefusedAndChangeNothing) {
  TempDir dir;
  auto store = Open(dir.path(), TestConfig());
  ASSERT_TRUE(store);
  EXPECT_EQ(EventStore::CheckPolicies(-1, 100).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->SetPolicies(kDay, -1).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->retention_ms(), TestConfig().retention_ms);
  EXPECT_EQ(store->fsync_interval_ms(), TestConfig().fsync_interval_ms);
}

ErrorGroupInfo Group(uint64_t fp) {
  ErrorGroupInfo g;
  g.fingerprint = fp;
  g.scope = "shop";
  g.type = "Error";
  g.message = "x <n>";
  g.sample_message = "x 1";
  g.sample_stack = "Error: x 1\n    at f (/a.js:1:2)";
  g.frames = {{"f", "/a.js", 1, 2, true}};
  return g;
}

ErrorOccurrenceInput Occ(const ErrorGroupInfo* g, int64_t t) {
  ErrorOccurrenceInput o;
  o.group = g;
  o.time_ms = t;
  o.scope = "shop";
  o.location = "/cart/:id";
  o.browser = "Chrome";
  o.session_id = "s";
  o.message = "x 1";
  return o;
}

size_t CountOccurrences(const ErrorStore& s) {
  size_t n = 0;
  s.ScanOccurrences(0, INT64_MAX, [&](const ErrorGroup&, const ErrorOccurrenceView&) { ++n; });
  return n;
}

TEST(ErrorStorePoliciesTest, ALoweredRetentionDropsOldDaysAndBadValuesChangeNothing) {
  TempDir dir;
  ErrorGroupInfo a = Group(7);
  auto s = ErrorStore::Open(dir.path(), {.retention_ms = 30 * kDay}, nullptr);
  ASSERT_TRUE(s.ok());
  std::vector<ErrorOccurrenceInput> batch = {Occ(&a, kT0), Occ(&a, kT0 + 3 * kDay)};
  ASSERT_TRUE((*s)->Append(batch).ok());
  ASSERT_TRUE((*s)->EnforceRetention(kT0 + 3 * kDay).ok());
  EXPECT_EQ(CountOccurrences(**s), 2u);
  EXPECT_EQ((*s)->SetPolicies(-1, 100).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*s)->retention_ms(), 30 * kDay);
  ASSERT_TRUE((*s)->SetPolicies(kDay, 100).ok());
  EXPECT_EQ((*s)->retention_ms(), kDay);
  ASSERT_TRUE((*s)->EnforceRetention(kT0 + 3 * kDay).ok());
  EXPECT_EQ(CountOccurrences(**s), 1u);
}

TEST(SpanStorePoliciesTest, FsyncIntervalIsCheckedAndTakesEffectOnAStartedStore) {
  TempDir dir;
  auto s = SpanStore::Open(dir.path(), {}, nullptr);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE((*s)->Start().ok());
  EXPECT_EQ((*s)->SetFsyncInterval(-1).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE((*s)->SetFsyncInterval(0).ok());
  EXPECT_TRUE((*s)->SetFsyncInterval(250).ok());
  (*s)->Stop();
}

}  // namespace
}  // namespace perfwatch::events
