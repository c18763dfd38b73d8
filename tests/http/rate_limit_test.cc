#include "http/rate_limit.h"

#include <gtest/gtest.h>

#include "client_ip_util.h"
#include "http/client_ip.h"

namespace perfwatch::http {
namespace {

using test_util::Ip;
using test_util::Trusted;

constexpr int64_t kSecond = 1'000'000'000;

TEST(RateLimitTest, TokenBucketAllowsTheBurstThenRefillsAtTheRate) {
  RateLimiter limiter({.rate_per_second = 2, .burst = 4, .max_entries = 1000});
  const IpAddress a = Ip("203.0.113.7");
  int64_t t = 100 * kSecond;
  for (int i = 0; i < 4; ++i) EXPECT_EQ(limiter.Acquire(a, t), 0) << i;
  EXPECT_EQ(limiter.Acquire(a, t), 1);  // one token comes back in 0.5 s: at least 1 s
  EXPECT_EQ(limiter.Acquire(a, t + kSecond / 2), 0);
  EXPECT_GE(limiter.Acquire(a, t + kSecond / 2), 1);
  // Two seconds refill four tokens, never more than the burst.
  t += 10 * kSecond;
  for (int i = 0; i < 4; ++i) EXPECT_EQ(limiter.Acquire(a, t), 0) << i;
  EXPECT_GE(limiter.Acquire(a, t), 1);
  // Other clients have buckets of their own.
  EXPECT_EQ(limiter.Acquire(Ip("203.0.113.8"), t), 0);
  // A clock that goes backwards refills nothing and breaks nothing.
  EXPECT_GE(limiter.Acquire(a, t - kSecond), 1);
}

TEST(RateLimitTest, RetryAfterCoversTheWaitInWholeSeconds) {
  RateLimiter limiter({.rate_per_second = 0.25, .burst = 1, .max_entries = 100});
  const IpAddress a = Ip("198.51.100.1");
  EXPECT_EQ(limiter.Acquire(a, 0), 0);
  EXPECT_EQ(limiter.Acquire(a, 0), 4);
  EXPECT_EQ(limiter.Acquire(a, kSecond), 3);
}

TEST(RateLimitTest, Ipv6ClientsShareABucketPerSlash64) {
  RateLimiter limiter({.rate_per_second = 1, .burst = 1, .max_entries = 100});
  EXPECT_EQ(limiter.Acquire(Ip("2001:db8:1:2::1"), 0), 0);
  EXPECT_GE(limiter.Acquire(Ip("2001:db8:1:2::ffff"), 0), 1);
  EXPECT_EQ(limiter.Acquire(Ip("2001:db8:1:3::1"), 0), 0);
}

TEST(RateLimitTest, TableStaysBoundedUnderAFloodOfAddresses) {
  RateLimiter limiter({.rate_per_second = 1, .burst = 5, .max_entries = 1024});
  // Every address stays active (its bucket is not full again), so idle sweeping cannot
  // help: the bound must hold anyway.
  for (uint32_t i = 0; i < 200'000; ++i) {
    IpAddress a = Ip("10.0.0.0");
    a.bytes[13] = static_cast<uint8_t>(i >> 16);
    a.bytes[14] = static_cast<uint8_t>(i >> 8);
    a.bytes[15] = static_cast<uint8_t>(i);
    limiter.Acquire(a, kSecond);
    ASSERT_LE(limiter.size(), 1024u + 32u) << i;  // each shard holds at most its share
  }
  EXPECT_GT(limiter.size(), 512u);
}

TEST(RateLimitTest, IdleFullBucketsAreDroppedBeforeActiveOnes) {
  RateLimiter limiter({.rate_per_second = 1, .burst = 5, .max_entries = 256});
  const IpAddress busy = Ip("192.0.2.1");
  int got = 0;
  for (uint32_t i = 0; i < 5000; ++i) {
    const int64_t t = static_cast<int64_t>(i) * 2 * kSecond;
    IpAddress a = Ip("10.0.0.0");
    a.bytes[14] = static_cast<uint8_t>(i >> 8);
    a.bytes[15] = static_cast<uint8_t>(i);
    EXPECT_EQ(limiter.Acquire(a, t), 0);  // a new client: full again a second later
    // The busy client drains its bucket every step: 2 tokens refill between steps, so
    // its bucket is never full and must survive every sweep.
    got = 0;
    while (limiter.Acquire(busy, t) == 0) ++got;
    ASSERT_LE(limiter.size(), 256u) << i;
  }
  EXPECT_GE(got, 1);
  EXPECT_LE(got, 2) << "the busy client's bucket was dropped and restarted with a full burst";
}

TEST(ClientIpTest, ParsesAddressesAndNetworks) {
  EXPECT_EQ(Ip("192.0.2.1").ToString(), "192.0.2.1");
  EXPECT_TRUE(Ip("192.0.2.1").is_v4());
  EXPECT_EQ(Ip("::ffff:192.0.2.1"), Ip("192.0.2.1"));
  EXPECT_EQ(Ip("[2001:db8::1]").ToString(), "2001:db8::1");
  EXPECT_FALSE(ParseIpAddress("192.0.2"));
  EXPECT_FALSE(ParseIpAddress("192.0.2.256"));
  EXPECT_FALSE(ParseIpAddress("example.com"));
  EXPECT_FALSE(ParseIpAddress(""));
  EXPECT_FALSE(ParseIpAddress(std::string(100, '1')));
  EXPECT_TRUE(Ip("127.8.9.10").IsLoopback());
  EXPECT_TRUE(Ip("::1").IsLoopback());
  EXPECT_FALSE(Ip("::2").IsLoopback());
  EXPECT_FALSE(Ip("128.0.0.1").IsLoopback());

  auto v4 = ParseIpNetwork("10.1.0.0/16");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(v4->Contains(Ip("10.1.255.3")));
  EXPECT_FALSE(v4->Contains(Ip("10.2.0.1")));
  EXPECT_FALSE(v4->Contains(Ip("::a01:1")));  // IPv4-compatible IPv6 is not IPv4
  auto odd = ParseIpNetwork("192.168.1.77/27");  // host bits are cleared
  ASSERT_TRUE(odd);
  EXPECT_TRUE(odd->Contains(Ip("192.168.1.64")));
  EXPECT_TRUE(odd->Contains(Ip("192.168.1.95")));
  EXPECT_FALSE(odd->Contains(Ip("192.168.1.96")));
  auto v6 = ParseIpNetwork("2001:db8::/32");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->Contains(Ip("2001:db8:ffff::1")));
  EXPECT_FALSE(v6->Contains(Ip("2001:db9::1")));
  EXPECT_FALSE(v6->Contains(Ip("10.0.0.1")));
  auto single = ParseIpNetwork("fd00::5");
  ASSERT_TRUE(single);
  EXPECT_TRUE(single->Contains(Ip("fd00::5")));
  EXPECT_FALSE(single->Contains(Ip("fd00::6")));
  auto all4 = ParseIpNetwork("0.0.0.0/0");
  ASSERT_TRUE(all4);
  EXPECT_TRUE(all4->Contains(Ip("8.8.8.8")));
  EXPECT_FALSE(all4->Contains(Ip("2001:db8::1")));
  for (const char* bad : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/a", "10.0.0/8", "nonsense", "10.0.0.0/-1"}) {
    EXPECT_FALSE(ParseIpNetwork(bad)) << bad;
  }
  auto created = TrustedProxies::Create({"10.0.0.0/8", "oops"});
  ASSERT_FALSE(created.ok());
  EXPECT_NE(created.status().message().find("\"oops\""), std::string::npos);
}

TEST(ClientIpTest, ForwardedForIsHonouredOnlyFromTrustedProxies) {
  const TrustedProxies trusted = Trusted({"10.0.0.0/8", "fd00::/8"});
  auto resolve = [&](std::string_view peer, std::vector<std::string_view> xff) {
    auto a = ResolveClientAddress(peer, xff, trusted);
    return a ? a->ToString() : std::string("none");
  };
  // An untrusted peer is the client, whatever it claims.
  EXPECT_EQ(resolve("198.51.100.9", {"1.2.3.4"}), "198.51.100.9");
  // Behind a trusted proxy: the right-most untrusted entry.
  EXPECT_EQ(resolve("10.0.0.2", {"1.2.3.4"}), "1.2.3.4");
  EXPECT_EQ(resolve("10.0.0.2", {"6.6.6.6, 1.2.3.4"}), "1.2.3.4");        // a forged left part is ignored
  EXPECT_EQ(resolve("10.0.0.2", {"6.6.6.6, 1.2.3.4, 10.9.9.9"}), "1.2.3.4");  // proxies chained
  EXPECT_EQ(resolve("10.0.0.2", {"6.6.6.6", "1.2.3.4,10.1.1.1"}), "1.2.3.4");  // several headers
  EXPECT_EQ(resolve("10.0.0.2", {"10.5.5.5, 10.1.1.1"}), "10.5.5.5");      // all trusted: the left-most
  EXPECT_EQ(resolve("10.0.0.2", {}), "10.0.0.2");
  EXPECT_EQ(resolve("10.0.0.2", {""}), "10.0.0.2");
  EXPECT_EQ(resolve("10.0.0.2", {"1.2.3.4,,"}), "1.2.3.4");
  EXPECT_EQ(resolve("10.0.0.2", {"1.2.3.4:5678"}), "1.2.3.4");
  EXPECT_EQ(resolve("10.0.0.2", {"[2001:db8::7]:443"}), "2001:db8::7");
  EXPECT_EQ(resolve("fd00::1", {"2001:db8::7, fd12::3"}), "2001:db8::7");
  // Garbage ends the walk at the last address seen (the proxy that wrote it).
  EXPECT_EQ(resolve("10.0.0.2", {"1.2.3.4, unknown"}), "10.0.0.2");
  EXPECT_EQ(resolve("10.0.0.2", {"unknown, 10.3.3.3"}), "10.3.3.3");
  EXPECT_EQ(resolve("not-an-ip", {"1.2.3.4"}), "none");
  // No trusted proxies: X-Forwarded-For is never read.
  auto none = ResolveClientAddress("10.0.0.2", {"1.2.3.4"}, TrustedProxies{});
  ASSERT_TRUE(none);
  EXPECT_EQ(none->ToString(), "10.0.0.2");
}

TEST(ClientIpTest, ClientAddressReadsEveryForwardedForHeader) {
  const TrustedProxies trusted = Trusted({"127.0.0.1"});
  Request req;
  req.remote_address = "127.0.0.1";
  req.headers = {{"X-Forwarded-For", "9.9.9.9"}, {"Host", "x"}, {"x-forwarded-for", "203.0.113.4"}};
  auto a = ClientAddress(req, trusted);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->ToString(), "203.0.113.4");
}

TEST(ClientIpTest, LoopbackListenAddresses) {
  for (const char* l : {"127.0.0.1:9797", "127.1.2.3:1", "localhost:9797", "[::1]:9797", "LOCALHOST:1"}) {
    EXPECT_TRUE(IsLoopbackListenAddress(l)) << l;
  }
  for (const char* l : {"0.0.0.0:9797", ":9797", "[::]:9797", "192.168.1.5:9797", "example.com:80"}) {
    EXPECT_FALSE(IsLoopbackListenAddress(l)) << l;
  }
}

TEST(ClientRateLimitGuardTest, LimitsOnlyTheNamedRoutesAndNotLoopback) {
  MetricsRegistry metrics;
  ClientRateLimitGuard guard({.rate_per_second = 1, .burst = 2, .max_entries = 100}, Trusted({"10.0.0.1"}),
                             {"/api/rum", "/rum.js"}, &metrics);
  RouteOptions rum{.metric_label = "/api/rum", .scope = Scope::kPublic};
  RouteOptions query{.metric_label = "/api/v1/query", .scope = Scope::kRead};
  Request req;
  req.remote_address = "198.51.100.20";
  Response res;
  EXPECT_TRUE(guard.Admit(req, rum, res));
  EXPECT_TRUE(guard.Admit(req, rum, res));
  EXPECT_FALSE(guard.Admit(req, rum, res));
  EXPECT_EQ(res.status, 429);
  EXPECT_NE(res.body.find("\"errorType\":\"too_many_requests\""), std::string::npos) << res.body;
  ASSERT_EQ(res.headers.size(), 1u);
  EXPECT_EQ(res.headers[0].first, "Retry-After");
  EXPECT_GE(std::stoi(res.headers[0].second), 1);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(guard.Admit(req, query, res));  // other routes: no limit

  Request local;
  local.remote_address = "127.0.0.1";
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(guard.Admit(local, rum, res));

  // Through the trusted proxy, each forwarded client has its own bucket.
  Request proxied;
  proxied.remote_address = "10.0.0.1";
  proxied.headers = {{"X-Forwarded-For", "203.0.113.1"}};
  EXPECT_TRUE(guard.Admit(proxied, rum, res));
  EXPECT_TRUE(guard.Admit(proxied, rum, res));
  res = Response{};
  EXPECT_FALSE(guard.Admit(proxied, rum, res));
  proxied.headers = {{"X-Forwarded-For", "203.0.113.2"}};
  EXPECT_TRUE(guard.Admit(proxied, rum, res));
  std::string text = metrics.Render();
  EXPECT_NE(text.find("perfwatch_http_rate_limited_total{route=\"/api/rum\"} 2"), std::string::npos) << text;
}

// SetRate (rum.rate_limit_per_ip / rate_limit_burst reloaded): from the next Acquire; a
// bucket keeps its tokens, capped at a lowered burst.
TEST(RateLimitTest, SetRateAppliesToTheNextAcquire) {
  RateLimiter limiter({.rate_per_second = 1, .burst = 10, .max_entries = 1000});
  const IpAddress a = Ip("203.0.113.7");
  const int64_t t = 100 * kSecond;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.Acquire(a, t), 0) << i;  // 7 tokens left
  limiter.SetRate(4, 2);
  EXPECT_EQ(limiter.rate_per_second(), 4);
  EXPECT_EQ(limiter.burst(), 2);
  EXPECT_EQ(limiter.Acquire(a, t), 0);
  EXPECT_EQ(limiter.Acquire(a, t), 0);
  EXPECT_GE(limiter.Acquire(a, t), 1) << "capped at the new burst of 2";
  EXPECT_EQ(limiter.Acquire(a, t + kSecond / 4), 0) << "refilled at the new rate";
  limiter.SetRate(1, 0);
  EXPECT_EQ(limiter.burst(), 1) << "raised to at least 1";
}

// SetOptions: rate 0 turns the guard off (everything admitted), a rate > 0 on again.
TEST(ClientRateLimitGuardTest, SetOptionsTurnsTheLimitOnAndOff) {
  MetricsRegistry metrics;
  ClientRateLimitGuard guard({.rate_per_second = 0, .burst = 0, .max_entries = 100}, Trusted({}), {"/api/rum"},
                             &metrics);
  EXPECT_FALSE(guard.enabled());
  RouteOptions rum{.metric_label = "/api/rum", .scope = Scope::kPublic};
  Request req;
  req.remote_address = "198.51.100.20";
  Response res;
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(guard.Admit(req, rum, res)) << "off: " << i;
  guard.SetOptions({.rate_per_second = 0.001, .burst = 2});
  EXPECT_TRUE(guard.enabled());
  EXPECT_TRUE(guard.Admit(req, rum, res));
  EXPECT_TRUE(guard.Admit(req, rum, res));
  EXPECT_FALSE(guard.Admit(req, rum, res));
  EXPECT_EQ(res.status, 429);
  guard.SetOptions({.rate_per_second = 0, .burst = 0});
  EXPECT_FALSE(guard.enabled());
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(guard.Admit(req, rum, res)) << "off again: " << i;
  guard.SetOptions({.rate_per_second = 0.001, .burst = 2});
  EXPECT_FALSE(guard.Admit(req, rum, res)) << "the bucket kept its (empty) state";
}

}  // namespace
}  // namespace perfwatch::http
