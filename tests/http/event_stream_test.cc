// Server-sent events: the hub's fan-out, catch-up with Last-Event-ID, type filters,
// coalescing, per-client limits and slow clients; and live bodies over a real server on
// loopback: events arrive as they are published, a client that leaves is noticed at once,
// and stopping the hub ends open streams.
#include "http/event_stream.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "server_fixture.h"

namespace perfwatch::http {
namespace {

using namespace std::chrono_literals;

std::string ReadAll(LiveBody& body, bool* more = nullptr) {
  std::string out;
  bool m = body.Read(out);
  if (more) *more = m;
  return out;
}

TEST(EventHubTest, SubscribersGetEventsPublishedAfterTheySubscribed) {
  EventHub hub;
  hub.Publish("vitals", R"({"app":"before"})");
  auto sub = hub.Subscribe("10.0.0.1", std::nullopt, {});
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(ReadAll(**sub), "retry: 2000\n: connected\n\n");
  std::atomic<int> woken{0};
  (*sub)->Wait([&] { ++woken; });
  uint64_t id = hub.Publish("vitals", R"({"app":"shop"})");
  EXPECT_EQ(woken.load(), 1);
  bool more = false;
  EXPECT_EQ(ReadAll(**sub, &more), "id: " + std::to_string(id) + "\nevent: vitals\ndata: {\"app\":\"shop\"}\n\n");
  EXPECT_TRUE(more);
  EXPECT_EQ(ReadAll(**sub), "");
}

TEST(EventHubTest, TypeFilterAndLastEventIdCatchUp) {
  EventHub hub;
  uint64_t a = hub.Publish("vitals", "1");
  uint64_t b = hub.Publish("alerts", "2");
  uint64_t c = hub.Publish("vitals", "3");
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  auto only_vitals = hub.Subscribe("c", a, {"vitals"});
  ASSERT_TRUE(only_vitals.ok());
  std::string got = ReadAll(**only_vitals);
  EXPECT_EQ(got.find("data: 1\n"), std::string::npos);  // the client had it already
  EXPECT_EQ(got.find("data: 2\n"), std::string::npos);  // not a type it wants
  EXPECT_NE(got.find("id: " + std::to_string(c) + "\nevent: vitals\ndata: 3\n\n"), std::string::npos) << got;
  EXPECT_EQ(got.find("event: reset"), std::string::npos);
  hub.Publish("alerts", "4");
  EXPECT_EQ(ReadAll(**only_vitals), "");
}

TEST(EventHubTest, AnIdOlderThanTheRingGetsAReset) {
  EventStreamOptions o;
  o.retained = 2;
  EventHub hub(o);
  uint64_t first = hub.Publish("vitals", "1");
  hub.Publish("vitals", "2");
  hub.Publish("vitals", "3");  // "1" leaves the ring
  auto sub = hub.Subscribe("c", first - 1, {});
  ASSERT_TRUE(sub.ok());
  std::string got = ReadAll(**sub);
  size_t reset = got.find("event: reset\ndata: ");
  ASSERT_NE(reset, std::string::npos) << got;
  EXPECT_EQ(got.rfind("id: ", reset), std::string::npos) << "a reset carries no id: " << got;
  EXPECT_NE(got.find("data: 2\n"), std::string::npos);
  EXPECT_NE(got.find("data: 3\n"), std::string::npos);
}

TEST(EventHubTest, CoalescingKeepsTheLatestEventPerKey) {
  EventHub hub;
  auto sub = hub.Subscribe("c", std::nullopt, {});
  ASSERT_TRUE(sub.ok());
  ReadAll(**sub);
  for (int i = 0; i < 100; ++i) hub.PublishCoalesced("vitals", "shop", "shop " + std::to_string(i));
  hub.PublishCoalesced("vitals", "blog", "blog 1");
  hub.FlushCoalesced();
  std::string got = ReadAll(**sub);
  EXPECT_EQ(got.find("shop 98"), std::string::npos);
  EXPECT_NE(got.find("data: shop 99\n"), std::string::npos);
  EXPECT_NE(got.find("data: blog 1\n"), std::string::npos);
  hub.FlushCoalesced();
  EXPECT_EQ(ReadAll(**sub), "");  // nothing new: nothing sent
}

TEST(EventHubTest, PerClientLimitIsReleasedByCancel) {
  EventStreamOptions o;
  o.max_per_client = 2;
  EventHub hub(o);
  auto a = hub.Subscribe("10.0.0.1", std::nullopt, {});
  auto b = hub.Subscribe("10.0.0.1", std::nullopt, {});
  ASSERT_TRUE(a.ok() && b.ok());
  auto c = hub.Subscribe("10.0.0.1", std::nullopt, {});
  EXPECT_EQ(c.status().code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(hub.Subscribe("10.0.0.2", std::nullopt, {}).ok());  // another client
  EXPECT_EQ(hub.subscribers(), 2u);  // the other client's stream was dropped at once
  (*a)->Cancel();
  EXPECT_TRUE(hub.Subscribe("10.0.0.1", std::nullopt, {}).ok());
}

TEST(EventHubTest, AClientThatDoesNotKeepUpIsEndedAndCounted) {
  MetricsRegistry metrics;
  EventStreamOptions o;
  o.max_buffered_bytes = 200;
  EventHub hub(o, &metrics);
  auto sub = hub.Subscribe("c", std::nullopt, {});
  ASSERT_TRUE(sub.ok());
  for (int i = 0; i < 10; ++i) hub.Publish("vitals", std::string(50, 'x'));
  bool more = true;
  std::string got = ReadAll(**sub, &more);
  EXPECT_FALSE(more);  // ended: the client reconnects and catches up from the ring
  EXPECT_LE(got.size(), 200u);
  EXPECT_NE(metrics.Render().find("perfwatch_stream_subscribers_dropped_total "), std::string::npos);
}

class EventStreamServerTest : public ::testing::Test {
 protected:
  EventStreamServerTest() {
    EventStreamOptions o;
    o.heartbeat_ms = 100;
    o.max_per_client = 3;
    hub_ = std::make_unique<EventHub>(o);
    hub_->Start();
    Router router;
    RegisterEventStream(router, hub_.get());
    server_ = std::make_unique<testing::TestServer>(std::move(router));
  }
  ~EventStreamServerTest() override {
    hub_->Stop();
    server_.reset();
  }

  bool WaitForSubscribers(size_t n) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (hub_->subscribers() != n && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
    return hub_->subscribers() == n;
  }

  std::unique_ptr<EventHub> hub_;
  std::unique_ptr<testing::TestServer> server_;
};

TEST_F(EventStreamServerTest, EventsArriveAsTheyArePublished) {
  testing::RawSocket s(server_->port());
  ASSERT_TRUE(s.Send("GET /api/v1/stream?types=vitals HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string head = s.ReadUntil(": connected", 10s);
  EXPECT_NE(head.find("HTTP/1.1 200"), std::string::npos) << head;
  EXPECT_NE(head.find("Content-Type: text/event-stream"), std::string::npos) << head;
  EXPECT_NE(head.find("Transfer-Encoding: chunked"), std::string::npos) << head;
  ASSERT_TRUE(WaitForSubscribers(1));
  for (int i = 0; i < 3; ++i) {
    hub_->Publish("alerts", "not wanted");
    const std::string data = R"({"app":"shop","n":)" + std::to_string(i) + "}";
    hub_->Publish("vitals", data);
    EXPECT_NE(s.ReadUntil(data, 10s).find(data), std::string::npos) << "event " << i;
  }
  EXPECT_EQ(s.received().find("not wanted"), std::string::npos);
  EXPECT_NE(s.ReadUntil(": ping", 10s).find(": ping"), std::string::npos);  // heartbeats
}

TEST_F(EventStreamServerTest, AClientThatLeavesIsNoticedWithoutAnEvent) {
  {
    testing::RawSocket s(server_->port());
    ASSERT_TRUE(s.Send("GET /api/v1/stream HTTP/1.1\r\nHost: x\r\n\r\n"));
    s.ReadUntil(": connected", 10s);
    ASSERT_TRUE(WaitForSubscribers(1));
  }  // closed
  EXPECT_TRUE(WaitForSubscribers(0));
}

TEST_F(EventStreamServerTest, TooManyStreamsFromOneClientAre429) {
  std::vector<std::unique_ptr<testing::RawSocket>> open;
  for (int i = 0; i < 3; ++i) {
    open.push_back(std::make_unique<testing::RawSocket>(server_->port()));
    ASSERT_TRUE(open.back()->Send("GET /api/v1/stream HTTP/1.1\r\nHost: x\r\n\r\n"));
    open.back()->ReadUntil(": connected", 10s);
  }
  testing::RawSocket extra(server_->port());
  ASSERT_TRUE(extra.Send("GET /api/v1/stream HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string answer = extra.ReadUntil("}", 10s);
  EXPECT_NE(answer.find("HTTP/1.1 429"), std::string::npos) << answer;
  EXPECT_NE(answer.find("too many open streams"), std::string::npos) << answer;
}

TEST_F(EventStreamServerTest, StoppingTheHubEndsOpenStreams) {
  testing::RawSocket s(server_->port());
  ASSERT_TRUE(s.Send("GET /api/v1/stream HTTP/1.1\r\nHost: x\r\n\r\n"));
  s.ReadUntil(": connected", 10s);
  ASSERT_TRUE(WaitForSubscribers(1));
  hub_->Stop();
  EXPECT_TRUE(s.WaitForClose(10s));
  EXPECT_NE(s.received().find("0\r\n\r\n"), std::string::npos);  // the last chunk: a clean end
}

TEST_F(EventStreamServerTest, CatchUpWithTheLastEventIdHeader) {
  uint64_t first = hub_->Publish("vitals", "one");
  hub_->Publish("vitals", "two");
  testing::RawSocket s(server_->port());
  ASSERT_TRUE(s.Send("GET /api/v1/stream HTTP/1.1\r\nHost: x\r\nLast-Event-ID: " + std::to_string(first) + "\r\n\r\n"));
  std::string got = s.ReadUntil("data: two", 10s);
  EXPECT_NE(got.find("data: two"), std::string::npos) << got;
  EXPECT_EQ(got.find("data: one"), std::string::npos) << got;
}

}  // namespace
}  // namespace perfwatch::http
