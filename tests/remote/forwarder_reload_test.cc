// RemoteWriteForwarder::ApplyConfigs (a configuration reload): an unchanged queue keeps
// running untouched, a changed one resumes from its saved progress with nothing lost or
// doubled (also in the middle of a round interrupted by an outage), a removed one stops
// and releases its WAL hold, a new one starts; a config that cannot be prepared changes
// nothing.
#include <gtest/gtest.h>

#include "remote/queue_manager.h"
#include "remote_test_util.h"

namespace perfwatch::remote {
namespace {

using testing::CountSamples;
using testing::Decode;
using testing::Eventually;
using testing::Key;
using testing::Received;
using testing::TempDir;
using testing::TestStore;
using testing::WebhookReceiver;

struct Fixture {
  TempDir dir;
  TestStore store{dir.path() / "tsdb"};
  WebhookReceiver a, b;
  MetricsRegistry metrics;
  std::unique_ptr<RemoteWriteForwarder> forwarder;

  Fixture() { EXPECT_TRUE(a.Start() && b.Start()); }

  static RemoteWriteConfig Config(const WebhookReceiver& r, const std::string& name) {
    RemoteWriteConfig c;
    c.url = r.url("/api/v1/write");
    c.name = name;
    c.queue.batch_send_deadline_ms = 20;
    c.queue.min_backoff_ms = 5;
    c.queue.max_backoff_ms = 20;
    c.queue.max_samples_per_send = 10;
    c.queue.max_shards = 1;
    return c;
  }
  void Start(std::vector<RemoteWriteConfig> configs) {
    auto f = RemoteWriteForwarder::Create(std::move(configs),
                                          ForwarderOptions{.wal_dir = store.wal_dir(),
                                                           .state_dir = dir.path() / "remote_write",
                                                           .user_agent = "perfwatch/test",
                                                           .poll_interval_ms = 5},
                                          &metrics);
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    forwarder = std::move(f).value();
    forwarder->Start();
  }
  size_t Load(int series, int n, int64_t t0) {
    for (int s = 0; s < series; ++s) {
      std::vector<std::pair<int64_t, double>> samples;
      for (int i = 0; i < n; ++i) samples.emplace_back(t0 + i * 1000, s * 1000.0 + i);
      store.Append({{"__name__", "load"}, {"s", std::to_string(s)}}, samples);
    }
    return static_cast<size_t>(series * n);
  }
};

// Every series has `n` samples per load, strictly increasing in time (no doubles).
void ExpectEachOnce(const Received& got, int series, size_t n) {
  ASSERT_EQ(got.size(), static_cast<size_t>(series));
  for (const auto& [k, v] : got) {
    ASSERT_EQ(v.size(), n) << k;
    for (size_t i = 1; i < v.size(); ++i) EXPECT_LT(v[i - 1].first, v[i].first) << k;
  }
}

TEST(ForwarderReload, UnchangedQueueKeepsRunningAndANewOneStarts) {
  Fixture f;
  const size_t first = f.Load(2, 10, 1'000'000);
  f.Start({Fixture::Config(f.a, "a")});
  ASSERT_TRUE(Eventually([&] { return f.forwarder->Stats(0).samples_sent == first; }));
  const size_t requests = f.a.count();
  ASSERT_TRUE(
      f.forwarder->ApplyConfigs({Fixture::Config(f.b, "b"), Fixture::Config(f.a, "a")}).ok());
  EXPECT_EQ(f.forwarder->Names(), (std::vector<std::string>{"b", "a"}));
  // b is new: it reads the WAL from its start.
  ASSERT_TRUE(Eventually([&] { return f.forwarder->Stats(0).samples_sent == first; }));
  EXPECT_EQ(f.a.count(), requests) << "the unchanged queue did not resend anything";
  const size_t second = f.Load(2, 10, 2'000'000);
  ASSERT_TRUE(Eventually([&] { return f.forwarder->Stats(1).samples_sent == first + second; }));
  ASSERT_TRUE(Eventually([&] { return CountSamples(Decode(f.b.requests())) == first + second; }));
  ExpectEachOnce(Decode(f.a.requests()), 2, 20);
  ExpectEachOnce(Decode(f.b.requests()), 2, 20);
}

TEST(ForwarderReload, ChangedQueueResumesItsInterruptedRoundWithoutLossOrDoubles) {
  Fixture f;
  RemoteWriteConfig c = Fixture::Config(f.a, "a");
  c.queue.capacity = 1000;
  c.queue.batch_send_deadline_ms = 60'000;  // one round of all 60 samples
  const size_t total = f.Load(3, 20, 3'000'000);
  f.a.set_status(503);
  f.a.FailNext(2, 200);  // two batches get through, then an outage
  f.Start({c});
  ASSERT_TRUE(Eventually([&] { return f.forwarder->Stats(0).samples_retried > 0; }));
  EXPECT_EQ(f.forwarder->Stats(0).samples_sent, 20u);
  // A changed key (a header): the queue restarts from its progress.
  c.headers.emplace_back("X-Tenant", "t1");
  ASSERT_TRUE(f.forwarder->ApplyConfigs({c}).ok());
  f.a.set_status(200);
  ASSERT_TRUE(
      Eventually([&] { return f.forwarder->Stats(0).samples_sent == total; }));  // cumulative
  const Received got = Decode(f.a.requests());
  ExpectEachOnce(got, 3, 20);
  EXPECT_EQ(f.a.requests().back().headers.at("x-tenant"), "t1");
}

TEST(ForwarderReload, RemovedQueueStopsAndReleasesTheWalHold) {
  Fixture f;
  f.a.set_status(503);  // a never acknowledges: it holds the WAL from the start
  f.Load(1, 5, 1'000);
  f.Start({Fixture::Config(f.a, "a"), Fixture::Config(f.b, "b")});
  ASSERT_TRUE(Eventually([&] { return f.forwarder->Stats(1).samples_sent == 5; }));
  EXPECT_EQ(f.forwarder->OldestPositionNeeded().segment, 0u);
  ASSERT_TRUE(f.forwarder->ApplyConfigs({Fixture::Config(f.b, "b")}).ok());
  EXPECT_EQ(f.forwarder->size(), 1u);
  EXPECT_GT(f.forwarder->OldestPositionNeeded().segment, 0u)
      << "only b's acknowledged position is held";
  const size_t tries = f.a.count();
  f.Load(1, 5, 100'000);
  ASSERT_TRUE(Eventually([&] { return f.forwarder->Stats(0).samples_sent == 10; }));
  EXPECT_EQ(f.a.count(), tries) << "the removed queue sends nothing more";
  ASSERT_TRUE(f.forwarder->ApplyConfigs({}).ok());
  EXPECT_EQ(f.forwarder->size(), 0u);
}

TEST(ForwarderReload, AConfigThatCannotBePreparedChangesNothing) {
  Fixture f;
  f.Start({Fixture::Config(f.a, "a")});
  RemoteWriteConfig bad = Fixture::Config(f.b, "b");
  bad.has_authorization = true;
  bad.authorization_credentials_file = (f.dir.path() / "missing").string();
  Status s = f.forwarder->ApplyConfigs({bad});
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("credentials_file"), std::string::npos) << s.message();
  EXPECT_EQ(f.forwarder->Names(), std::vector<std::string>{"a"});
  const size_t n = f.Load(1, 5, 1'000);
  ASSERT_TRUE(Eventually([&] { return f.forwarder->Stats(0).samples_sent == n; }));
}

}  // namespace
}  // namespace perfwatch::remote
