// Forwarding end to end (remote/queue_manager.h): a real Tsdb writes its WAL, the
// forwarder sends it to a local receiver that decodes with the server's own remote-write
// decoder and answers 200, 500, 429 or 400 on demand.
#include "remote/queue_manager.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

#include "remote_test_util.h"
#include "tsdb/wal.h"

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
  WebhookReceiver receiver;
  MetricsRegistry metrics;
  std::unique_ptr<RemoteWriteForwarder> forwarder;

  Fixture() { EXPECT_TRUE(receiver.Start()); }

  RemoteWriteConfig Config() {
    RemoteWriteConfig c;
    c.url = receiver.url("/api/v1/write");
    c.name = "test";
    c.queue.batch_send_deadline_ms = 20;
    c.queue.min_backoff_ms = 5;
    c.queue.max_backoff_ms = 20;
    c.queue.max_samples_per_send = 10;
    c.queue.max_shards = 3;
    return c;
  }
  void Start(RemoteWriteConfig c, int nice = 10) {
    auto f = RemoteWriteForwarder::Create({std::move(c)},
                                          ForwarderOptions{.wal_dir = store.wal_dir(),
                                                           .state_dir = dir.path() / "remote_write",
                                                           .user_agent = "perfwatch/test",
                                                           .poll_interval_ms = 5,
                                                           .nice = nice},
                                          &metrics);
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    forwarder = std::move(f).value();
    forwarder->Start();
  }
  // Appends `n` samples to each of `series` series starting at time t0.
  size_t Load(int series, int n, int64_t t0) {
    for (int s = 0; s < series; ++s) {
      std::vector<std::pair<int64_t, double>> samples;
      for (int i = 0; i < n; ++i) samples.emplace_back(t0 + i * 1000, s * 1000.0 + i);
      store.Append({{"__name__", "load"}, {"s", std::to_string(s)}}, samples);
    }
    return static_cast<size_t>(series * n);
  }
  Received Delivered() { return Decode(receiver.requests()); }
};

// Each series got exactly the expected samples, in time order, once.
void ExpectExactly(const Received& got, int series, int64_t t0, int n) {
  ASSERT_EQ(got.size(), static_cast<size_t>(series));
  for (int s = 0; s < series; ++s) {
    auto it = got.find(Key({{"__name__", "load"}, {"s", std::to_string(s)}}));
    ASSERT_NE(it, got.end()) << s;
    ASSERT_EQ(it->second.size(), static_cast<size_t>(n)) << s;
    for (int i = 0; i < n; ++i) {
      EXPECT_EQ(it->second[i].first, t0 + i * 1000);
      EXPECT_EQ(it->second[i].second, s * 1000.0 + i);
    }
  }
}

TEST(Forwarder, SendsEverySampleOnceWithRemoteWriteHeaders) {
  Fixture f;
  const size_t total = f.Load(5, 40, 1'000'000);
  f.Start(f.Config());
  ASSERT_TRUE(Eventually([&] { return f.forwarder->Stats(0).samples_sent == total; }));
  ExpectExactly(f.Delivered(), 5, 1'000'000, 40);
  const auto reqs = f.receiver.requests();
  EXPECT_EQ(reqs[0].target, "/api/v1/write");
  EXPECT_EQ(reqs[0].headers.at("user-agent"), "perfwatch/test");
  for (const auto& r : reqs) EXPECT_LE(Decode({r}).size(), 10u);  // max_samples_per_send bounds a request
  const RemoteStats st = f.forwarder->Stats(0);
  EXPECT_EQ(st.samples_failed, 0u);
  EXPECT_EQ(st.samples_pending, 0u);
  EXPECT_DOUBLE_EQ(st.highest_sent_timestamp_s, (1'000'000 + 39 * 1000) / 1000.0);
  EXPECT_GE(st.shards, 1);
  EXPECT_LE(st.shards, 3);
  // Samples appended later follow.
  f.Load(5, 10, 2'000'000);
  ASSERT_TRUE(Eventually([&] { return f.forwarder->Stats(0).samples_sent == total + 50; }));
  EXPECT_EQ(CountSamples(f.Delivered()), total + 50);
}

// Threads of this process whose nice value is `nice` (/proc/self/task/*/stat, field 19).
int ThreadsWithNice(int nice) {
  int n = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream in(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));  // from field 3 (state) on
    std::string field;
    for (int i = 3; i <= 19 && fields >> field; ++i) {
      if (i == 19 && std::stoi(field) == nice) ++n;
    }
  }
  return n;
}

TEST(Forwarder, ShardThreadsRunBelowIngestPriorityAndAreKeptFromRoundToRound) {
  Fixture f;
  RemoteWriteConfig c = f.Config();
  c.queue.min_shards = 3;  // every round: the reader thread (shard 0) and two shard threads
  const size_t total = f.Load(5, 40, 1'000'000);
  const int base = ::getpriority(PRIO_PROCESS, 0);  // the test may itself run niced
  if (base > 12) GTEST_SKIP() << "the test runs at nice " << base << ": no room for 7 steps below";
  f.Start(c, /*nice=*/7);
  ASSERT_TRUE(Eventually([&] { return f.forwarder->Stats(0).samples_sent == total; }));
  EXPECT_EQ(f.forwarder->Stats(0).shards, 3);
  EXPECT_EQ(ThreadsWithNice(base + 7), 3);  // reader + 2 shard threads, alive between rounds
  f.Load(5, 40, 2'000'000);
  ASSERT_TRUE(Eventually([&] { return f.forwarder->Stats(0).samples_sent == 2 * total; }));
  EXPECT_EQ(ThreadsWithNice(base + 7), 3);  // the same ones: none created per round
  EXPECT_GE(ThreadsWithNice(base), 1);       // this thread is left as it was
  f.forwarder.reset();
  EXPECT_EQ(ThreadsWithNice(base + 7), 0);  // stopping the forwarder ends them
}

TEST(Forwarder, RetriesServerErrorsAndTooManyRequestsWithoutLossOrDoubles) {
  Fixture f;
  f.receiver.FailNext(3, 500);
  f.receiver.FailNext(2, 429);
  const size_t total = f.Load(3, 20, 5'000'000);
  f.Start(f.Config());
  ASSERT_TRUE(Eventually([&] { return f.forwarder->Stats(0).samples_sent == total; }));
  ExpectExactly(f.Delivered(), 3, 5'000'000, 20);
  EXPECT_GT(f.forwarder->Stats(0).samples_retried, 0u);
  EXPECT_EQ(f.forwarder->Stats(0).samples_failed, 0u);
}

TEST(Forwarder, ConnectionErrorsAreRetriedUntilTheReceiverIsBack) {
  Fixture f;
  f.receiver.Stop();
  const size_t total = f.Load(2, 15, 7'000'000);
  f.Start(f.Config());
  ASSERT_TRUE(Eventually([&] { return f.forwarder->Stats(0).samples_retried > 0; }));
  EXPECT_EQ(f.forwarder->Stats(0).samples_sent, 0u);
  ASSERT_TRUE(f.receiver.Start());
  ASSERT_TRUE(Eventually([&] { return f.forwarder->Stats(0).samples_sent == total; }));
  ExpectExactly(f.Delivered(), 2, 7'000'000, 15);
}

TEST(Forwarder, ClientErrorsDropTheBatchAndCountIt) {
  Fixture f;
  RemoteWriteConfig c = f.Config();
  c.queue.max_samples_per_send = 1000;  // one batch
  f.receiver.FailNext(1, 400);
  const size_t first = f.Load(1, 5, 1'000);
  f.Start(c);
  ASSERT_TRUE(Eventually([&] { return f.forwarder->Stats(0).samples_failed == first; }));
  EXPECT_EQ(f.forwarder->Stats(0).samples_sent, 0u);
  EXPECT_EQ(f.forwarder->Stats(0).samples_retried, 0u);
  // The queue goes on with what follows.
  f.Load(1, 5, 100'000);
  ASSERT_TRUE(Eventually([&] { return f.forwarder->Stats(0).samples_sent == 5; }));
  EXPECT_EQ(CountSamples(f.Delivered()), 5u);
}

TEST(Forwarder, RestartResumesWhereItStopped) {
  Fixture f;
  const size_t first = f.Load(4, 10, 1'000'000);
  f.Start(f.Config());
  ASSERT_TRUE(Eventually([&] { return f.forwarder->Stats(0).samples_sent == first; }));
  f.forwarder.reset();
  EXPECT_TRUE(std::filesystem::exists(f.dir.path() / "remote_write" / "test" / "progress"));
  f.Load(4, 10, 2'000'000);
  f.Start(f.Config());
  // The counters live in the registry: the new forwarder adds to them.
  ASSERT_TRUE(Eventually([&] { return f.forwarder->Stats(0).samples_sent == 2 * first; }));
  // Everything exactly once: the first ten per series before the restart, ten after.
  const Received got = f.Delivered();
  ASSERT_EQ(got.size(), 4u);
  for (const auto& [k, v] : got) {
    ASSERT_EQ(v.size(), 20u) << k;
    for (size_t i = 1; i < v.size(); ++i) EXPECT_LT(v[i - 1].first, v[i].first) << k;
  }
}

TEST(Forwarder, StopDuringAnOutageResumesTheUnfinishedRoundWithoutDoubles) {
  Fixture f;
  RemoteWriteConfig c = f.Config();
  c.queue.max_shards = 1;  // one shard: batches go in order, so the first ones get through
  c.queue.capacity = 1000;
  c.queue.batch_send_deadline_ms = 60'000;  // the round is all 60 samples
  const size_t total = f.Load(3, 20, 3'000'000);
  // The receiver takes two batches, then answers 503 until further notice.
  f.receiver.set_status(503);
  f.receiver.FailNext(2, 200);
  f.Start(c);
  ASSERT_TRUE(Eventually([&] { return f.forwarder->Stats(0).samples_retried > 0; }));
  const uint64_t before_stop = f.forwarder->Stats(0).samples_sent;
  EXPECT_EQ(before_stop, 20u);
  f.forwarder.reset();  // stop in the middle of the round
  f.receiver.set_status(200);
  f.Start(c);
  ASSERT_TRUE(Eventually([&] { return f.forwarder->Stats(0).samples_sent == total; }));  // cumulative
  ExpectExactly(f.Delivered(), 3, 3'000'000, 20);
}

// The TSDB holds the WAL segments a receiver has not acknowledged (Tsdb::SetWalHold): an
// outage across two flushes and a restart of the forwarder loses nothing, doubles nothing.
TEST(Forwarder, AnOutageAcrossFlushesAndARestartLosesNothing) {
  Fixture f;
  f.store.db->SetWalHold(
      [&f] { return f.forwarder ? f.forwarder->OldestPositionNeeded() : tsdb::Tsdb::WalReadPosition{}; });
  f.receiver.set_status(503);
  size_t total = f.Load(3, 20, 1'000'000);
  f.Start(f.Config());
  ASSERT_TRUE(Eventually([&] { return f.forwarder->Stats(0).samples_retried > 0; }));
  ASSERT_TRUE(f.store.db->Flush().ok());
  total += f.Load(3, 20, 1'020'000);
  ASSERT_TRUE(f.store.db->Flush().ok());
  f.forwarder.reset();  // a restart during the outage
  total += f.Load(3, 20, 1'040'000);
  ASSERT_TRUE(f.store.db->Flush().ok());
  f.receiver.set_status(200);
  f.Start(f.Config());
  ASSERT_TRUE(Eventually([&] { return f.forwarder->Stats(0).samples_sent == total; }));
  // Each series: its 60 samples, in order, once.
  const Received got = f.Delivered();
  ASSERT_EQ(got.size(), 3u);
  for (const auto& [k, v] : got) {
    ASSERT_EQ(v.size(), 60u) << k;
    for (size_t i = 0; i < v.size(); ++i) EXPECT_EQ(v[i].first, 1'000'000 + static_cast<int64_t>(i) * 1000) << k;
  }
  EXPECT_EQ(f.forwarder->Stats(0).wal_segments_skipped, 0u);
  // Caught up: the next flush releases the held segments.
  total += f.Load(3, 1, 1'060'000);
  ASSERT_TRUE(Eventually([&] { return f.forwarder->Stats(0).samples_sent == total; }));
  ASSERT_TRUE(f.store.db->Flush().ok());
  auto segments = tsdb::ListWalSegments(f.store.wal_dir());
  ASSERT_TRUE(segments.ok());
  EXPECT_LE(segments->size(), 2u);
}

TEST(Forwarder, RelabelDropsAreNotSentAndCounted) {
  Fixture f;
  RemoteWriteConfig c = f.Config();
  RelabelConfig keep;
  keep.action = "keep";
  keep.source_labels = {"s"};
  keep.regex = "0|2";
  c.write_relabel_configs = {keep};
  f.Load(4, 5, 1'000);
  f.Start(c);
  ASSERT_TRUE(Eventually([&] { return f.forwarder->Stats(0).samples_sent == 10; }));
  ASSERT_TRUE(Eventually([&] { return f.forwarder->Stats(0).samples_dropped == 10; }));
  const Received got = f.Delivered();
  EXPECT_EQ(got.size(), 2u);
  EXPECT_TRUE(got.count(Key({{"__name__", "load"}, {"s", "0"}})));
  EXPECT_TRUE(got.count(Key({{"__name__", "load"}, {"s", "2"}})));
}

TEST(Forwarder, AuthAndCustomHeaders) {
  Fixture f;
  RemoteWriteConfig c = f.Config();
  c.has_basic_auth = true;
  c.basic_auth_username = "user";
  const auto pw = f.dir.path() / "pw";
  {
    std::ofstream(pw) << "secret\n";
  }
  c.basic_auth_password_file = pw.string();
  c.headers = {{"X-Scope-OrgID", "tenant-1"}};
  f.Load(1, 3, 1'000);
  f.Start(c);
  ASSERT_TRUE(Eventually([&] { return f.forwarder->Stats(0).samples_sent == 3; }));
  const auto r = f.receiver.requests().at(0);
  EXPECT_EQ(r.headers.at("authorization"), "Basic dXNlcjpzZWNyZXQ=");  // user:secret
  EXPECT_EQ(r.headers.at("x-scope-orgid"), "tenant-1");
}

TEST(Forwarder, MetricsUsePrometheusNames) {
  Fixture f;
  f.Load(1, 3, 1'000);
  f.Start(f.Config());
  ASSERT_TRUE(Eventually([&] { return f.forwarder->Stats(0).samples_sent == 3; }));
  const std::string text = f.metrics.Render();
  const std::string labels = "{remote_name=\"test\",url=\"" + f.receiver.url("/api/v1/write") + "\"}";
  EXPECT_NE(text.find("prometheus_remote_storage_samples_total" + labels + " 3\n"), std::string::npos) << text;
  for (const char* name :
       {"prometheus_remote_storage_samples_failed_total", "prometheus_remote_storage_samples_dropped_total",
        "prometheus_remote_storage_samples_retried_total", "prometheus_remote_storage_samples_pending",
        "prometheus_remote_storage_highest_timestamp_in_seconds",
        "prometheus_remote_storage_queue_highest_sent_timestamp_seconds", "prometheus_remote_storage_shards"}) {
    EXPECT_NE(text.find(std::string(name) + labels + " "), std::string::npos) << name;
  }
  EXPECT_NE(text.find("prometheus_remote_storage_queue_highest_sent_timestamp_seconds" + labels + " 3\n"),
            std::string::npos);
}

// A receiver like `rw_sender --serve`: answers 204 without Content-Length and keeps the
// connection open (ignoring Connection: close). The sender must take the 204 as complete
// rather than wait for a body until remote_timeout.
TEST(Forwarder, NoContentAnswerFromAKeepAliveReceiverIsComplete) {
  int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(lfd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(lfd, 16), 0);
  socklen_t len = sizeof addr;
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
  const uint16_t port = ntohs(addr.sin_port);
  std::atomic<int> answered{0};
  std::vector<std::thread> conns;
  std::thread acceptor([&] {
    for (;;) {
      int c = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      conns.emplace_back([c, &answered] {
        std::string in;
        char buf[65536];
        for (;;) {
          ssize_t n = ::recv(c, buf, sizeof buf, 0);
          if (n <= 0) break;
          in.append(buf, static_cast<size_t>(n));
          size_t end = in.find("\r\n\r\n");
          if (end == std::string::npos) continue;
          size_t cl = in.find("Content-Length: ");
          size_t need = cl == std::string::npos ? 0 : std::stoul(in.substr(cl + 16));
          if (in.size() < end + 4 + need) continue;
          in.erase(0, end + 4 + need);
          // Counted before the answer goes out: the forwarder may count the samples as
          // sent (what the test waits for) before this thread runs again.
          ++answered;
          const std::string resp = "HTTP/1.1 204 No Content\r\n\r\n";
          ::send(c, resp.data(), resp.size(), MSG_NOSIGNAL);
        }
        ::close(c);
      });
    }
  });
  {
    TempDir dir;
    TestStore store(dir.path() / "tsdb");
    for (int s = 0; s < 3; ++s) store.Append({{"__name__", "x"}, {"s", std::to_string(s)}}, {{1000, 1.0}, {2000, 2.0}});
    RemoteWriteConfig c;
    c.url = "http://127.0.0.1:" + std::to_string(port) + "/api/v1/write";
    c.name = "keepalive";
    c.remote_timeout_ms = 3'600'000;  // waiting for a body would hang the test
    c.queue.max_samples_per_send = 2;
    c.queue.max_shards = 1;
    c.queue.batch_send_deadline_ms = 10;
    MetricsRegistry metrics;
    auto f = RemoteWriteForwarder::Create(
        {c}, ForwarderOptions{.wal_dir = store.wal_dir(), .state_dir = dir.path() / "rw", .poll_interval_ms = 5},
        &metrics);
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    (*f)->Start();
    EXPECT_TRUE(Eventually([&] { return (*f)->Stats(0).samples_sent == 6; }));
    EXPECT_EQ(answered.load(), 3);
    (*f)->Stop();
  }
  ::shutdown(lfd, SHUT_RDWR);
  ::close(lfd);
  acceptor.join();
  for (auto& t : conns) t.join();
}

}  // namespace
}  // namespace perfwatch::remote
