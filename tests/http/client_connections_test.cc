// ClientConnections (http.max_connections_per_ip): counting per client, the IPv6 /64 key,
// exemptions, and slots giving their place back; plus the cap through a real server on a
// non-loopback address of this machine.
#include "http/client_connections.h"

#include <gtest/gtest.h>
#include <ifaddrs.h>

#include <memory>
#include <thread>
#include <vector>

#include "client_ip_util.h"
#include "http/server.h"
#include "server_fixture.h"

namespace perfwatch::http {
namespace {

using test_util::Ip;

using namespace std::chrono_literals;

TEST(ClientConnectionsTest, CountsPerClientAndGivesBackOnRelease) {
  ClientConnections cc(2, TrustedProxies());
  auto a1 = cc.Acquire(Ip("192.0.2.10"));
  auto a2 = cc.Acquire(Ip("192.0.2.10"));
  ASSERT_TRUE(a1 && a2);
  EXPECT_FALSE(cc.Acquire(Ip("192.0.2.10")).has_value());
  auto b = cc.Acquire(Ip("192.0.2.11"));  // another client is not affected
  ASSERT_TRUE(b);
  EXPECT_EQ(cc.Count(Ip("192.0.2.10")), 2);
  EXPECT_EQ(cc.clients(), 2u);

  a1.reset();  // the slot's destructor gives the place back
  EXPECT_EQ(cc.Count(Ip("192.0.2.10")), 1);
  auto a3 = cc.Acquire(Ip("192.0.2.10"));
  EXPECT_TRUE(a3.has_value());

  // Moving a slot moves the count, it does not double it or lose it.
  ClientConnections::Slot moved = std::move(*a3);
  a3.reset();
  EXPECT_EQ(cc.Count(Ip("192.0.2.10")), 2);
  moved.Release();
  moved.Release();  // idempotent
  EXPECT_EQ(cc.Count(Ip("192.0.2.10")), 1);

  a2.reset();
  b.reset();
  EXPECT_EQ(cc.clients(), 0u);  // no entries are kept for clients without connections
}

TEST(ClientConnectionsTest, Ipv6ClientsAreCountedPerSlash64) {
  ClientConnections cc(1, TrustedProxies());
  auto a = cc.Acquire(Ip("2001:db8:1:2::1"));
  ASSERT_TRUE(a);
  EXPECT_FALSE(cc.Acquire(Ip("2001:db8:1:2:ffff::9")).has_value());  // same /64
  EXPECT_TRUE(cc.Acquire(Ip("2001:db8:1:3::1")).has_value());        // another /64
}

TEST(ClientConnectionsTest, LoopbackTrustedProxiesAndZeroLimitAreNotCounted) {
  auto trusted = TrustedProxies::Create({"10.0.0.0/8"});
  ASSERT_TRUE(trusted.ok());
  ClientConnections cc(1, *trusted);
  std::vector<ClientConnections::Slot> held;
  for (int i = 0; i < 5; ++i) {
    for (const char* ip : {"127.0.0.1", "::1", "10.1.2.3"}) {
      auto s = cc.Acquire(Ip(ip));
      ASSERT_TRUE(s) << ip;
      held.push_back(std::move(*s));
    }
  }
  EXPECT_EQ(cc.clients(), 0u);

  ClientConnections off(0, TrustedProxies());
  for (int i = 0; i < 5; ++i) {
    held.push_back(std::move(*off.Acquire(Ip("192.0.2.1"))));
  }
  EXPECT_EQ(off.clients(), 0u);
}

TEST(ClientConnectionsTest, ConcurrentAcquireNeverExceedsTheLimit) {
  ClientConnections cc(7, TrustedProxies());
  std::atomic<int> held{0}, max_held{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        auto s = cc.Acquire(Ip("192.0.2.77"));
        if (!s) continue;
        int now = held.fetch_add(1) + 1;
        int m = max_held.load();
        while (now > m && !max_held.compare_exchange_weak(m, now)) {
        }
        held.fetch_sub(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(max_held.load(), 7);
  EXPECT_EQ(cc.Count(Ip("192.0.2.77")), 0);
}

// An IPv4 address of this machine that is not loopback, or "" (then the test skips).
std::string NonLoopbackIpv4() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return "";
  std::string found;
  for (ifaddrs* i = list; i != nullptr && found.empty(); i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    char buf[INET_ADDRSTRLEN];
    auto* sin = reinterpret_cast<sockaddr_in*>(i->ifa_addr);
    if (inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf)) && std::string_view(buf).rfind("127.", 0) != 0) {
      found = buf;
    }
  }
  freeifaddrs(list);
  return found;
}

TEST(ClientConnectionsServerTest, AClientBeyondItsCapIsClosedAtAcceptOthersAreServed) {
  const std::string host = NonLoopbackIpv4();
  if (host.empty()) GTEST_SKIP() << "no non-loopback IPv4 address on this machine";
  Router r;
  r.Handle("GET", "/healthz", [](const Request&, Response& res) { res.body = "ok"; });
  HttpConfig cfg = testing::TestConfig();
  cfg.listen = "0.0.0.0:0";
  cfg.max_connections_per_ip = 3;
  testing::TestServer ts(std::move(r), cfg);

  // Three idle connections from this machine's address (the peer is `host`, not loopback).
  std::vector<std::unique_ptr<testing::RawSocket>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<testing::RawSocket>(ts.port(), host.c_str()));
    ASSERT_TRUE(held.back()->connected());
  }
  // The fourth is closed at once (after a best-effort 503), and counted.
  testing::RawSocket fourth(ts.port(), host.c_str());
  ASSERT_TRUE(fourth.WaitForClose(5s));
  if (!fourth.received().empty()) {
    EXPECT_EQ(fourth.received().rfind("HTTP/1.1 503 ", 0), 0u);
  }
  EXPECT_NE(ts.metrics().Render().find("perfwatch_http_client_connections_rejected_total 1"), std::string::npos);

  // Loopback clients are not limited by the other client's count.
  for (int i = 0; i < 5; ++i) {
    testing::RawSocket local(ts.port());
    ASSERT_TRUE(local.Send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    EXPECT_NE(local.ReadUntil("ok", 5s).find("200 OK"), std::string::npos);
  }

  // A held connection still works, and once one closes its client may connect again.
  ASSERT_TRUE(held[0]->Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_NE(held[0]->ReadUntil("ok", 5s).find("200 OK"), std::string::npos);
  held.pop_back();
  bool served = false;
  for (int i = 0; i < 100 && !served; ++i) {  // the close reaches the server asynchronously
    testing::RawSocket again(ts.port(), host.c_str());
    served = again.Send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") &&
             again.ReadUntil("ok", 2s).find("200 OK") != std::string::npos;
    if (!served) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(served);
}

}  // namespace
}  // namespace perfwatch::http
