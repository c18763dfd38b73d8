// The HTTP setters a configuration reload uses (issue 21 item 4): Server::SetLimits (body
// and header size, timeouts, connection caps: new connections and each open one from its
// next request; bad values change nothing), AdmissionGuard::SetLimits,
// ClientConnections::SetLimits and ClientRateLimitGuard::SetTrustedProxies.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "client_ip_util.h"
#include "http/admission.h"
#include "http/client_connections.h"
#include "http/rate_limit.h"
#include "http/server.h"
#include "server_fixture.h"
#include "support/http_client.h"

namespace perfwatch::http {
namespace {

using test_util::Ip;
using test_util::Trusted;

using perfwatch::testing::HttpClient;
using perfwatch::testing::HttpResponse;
using testing::RawSocket;
using testing::TestServer;
using namespace std::chrono_literals;

Router EchoRouter() {
  Router r;
  r.Handle("POST", "/echo", [](const Request& req, Response& res) {
    res.content_type = "text/plain";
    res.body = "got " + std::to_string(req.body.size());
  });
  r.Handle("GET", "/healthz", [](const Request&, Response& res) { res.body = "ok"; });
  return r;
}

TEST(ServerSetLimitsTest, LowerBodyLimitAppliesToTheNextRequestOfAnOpenConnection) {
  HttpConfig cfg = testing::TestConfig();
  cfg.max_body_bytes = 4096;
  TestServer ts(EchoRouter(), cfg);
  const uint16_t port = ts.port();
  HttpClient open(port);  // keep-alive: stays open across SetLimits
  ASSERT_EQ(open.Post("/echo", std::string(2000, 'x')).body, "got 2000");

  HttpConfig lowered = cfg;
  lowered.max_body_bytes = 1024;
  lowered.listen = "127.0.0.1:1";  // restart-only: ignored
  lowered.threads = 7;
  ASSERT_TRUE(ts.server().SetLimits(lowered).ok());
  EXPECT_EQ(ts.server().port(), port);

  HttpResponse refused = open.Post("/echo", std::string(2000, 'x'));
  EXPECT_EQ(refused.status, 413);
  EXPECT_NE(refused.body.find("exceeds the limit of 1024 bytes"), std::string::npos) << refused.body;
  HttpClient fresh(port);
  EXPECT_EQ(fresh.Post("/echo", std::string(2000, 'x')).status, 413);
  EXPECT_EQ(fresh.Post("/echo", std::string(1024, 'x')).body, "got 1024");

  // Raised again: accepted again.
  lowered.max_body_bytes = 8192;
  ASSERT_TRUE(ts.server().SetLimits(lowered).ok());
  EXPECT_EQ(HttpClient(port).Post("/echo", std::string(2000, 'x')).body, "got 2000");
}

TEST(ServerSetLimitsTest, BadValuesChangeNothing) {
  HttpConfig cfg = testing::TestConfig();
  cfg.max_body_bytes = 4096;
  TestServer ts(EchoRouter(), cfg);
  for (int i = 0; i < 4; ++i) {
    HttpConfig bad = cfg;
    bad.max_body_bytes = 16;  // would refuse the body below if applied
    if (i == 0) bad.max_connections = 0;
    if (i == 1) bad.max_connections_per_ip = -1;
    if (i == 2) bad.trusted_proxies = {"not-an-ip"};
    if (i == 3) bad.idle_timeout_ms = 0;
    EXPECT_FALSE(Server::CheckLimits(bad).ok()) << i;
    Status s = ts.server().SetLimits(bad);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << i;
    EXPECT_EQ(HttpClient(ts.port()).Post("/echo", std::string(2000, 'x')).body, "got 2000") << i;
  }
}

TEST(ServerSetLimitsTest, LowerIdleTimeoutClosesIdleConnections) {
  HttpConfig cfg = testing::TestConfig();  // idle_timeout 60 s
  TestServer ts(EchoRouter(), cfg);
  HttpConfig lowered = cfg;
  lowered.idle_timeout_ms = 200;
  ASSERT_TRUE(ts.server().SetLimits(lowered).ok());
  RawSocket s(ts.port());  // accepted after SetLimits, never sends anything
  EXPECT_TRUE(s.WaitForClose(10s)) << "the new idle timeout closes it, not the old 60 s one";
}

TEST(ServerSetLimitsTest, LowerHeaderLimitGets431) {
  HttpConfig cfg = testing::TestConfig();
  TestServer ts(EchoRouter(), cfg);
  const std::string big(3000, 'h');
  RawSocket before(ts.port());
  ASSERT_TRUE(before.Send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + big + "\r\n\r\n"));
  EXPECT_NE(before.ReadUntil("ok", 5s).find("HTTP/1.1 200"), std::string::npos);
  HttpConfig lowered = cfg;
  lowered.max_header_bytes = 1024;
  ASSERT_TRUE(ts.server().SetLimits(lowered).ok());
  RawSocket after(ts.port());
  ASSERT_TRUE(after.Send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + big + "\r\n\r\n"));
  EXPECT_NE(after.ReadUntil("\r\n\r\n", 5s).find("HTTP/1.1 431"), std::string::npos) << after.received();
}

TEST(ServerSetLimitsTest, LowerConnectionCapRefusesNewConnectionsAndKeepsOpenOnes) {
  HttpConfig cfg = testing::TestConfig();
  TestServer ts(EchoRouter(), cfg);
  HttpClient a(ts.port());
  HttpClient b(ts.port());
  ASSERT_EQ(a.Get("/healthz").status, 200);
  ASSERT_EQ(b.Get("/healthz").status, 200);
  HttpConfig lowered = cfg;
  lowered.max_connections = 2;
  ASSERT_TRUE(ts.server().SetLimits(lowered).ok());
  RawSocket third(ts.port());
  ASSERT_TRUE(third.WaitForClose(5s));
  if (!third.received().empty()) {
    EXPECT_EQ(third.received().rfind("HTTP/1.1 503 ", 0), 0u);
  }
  EXPECT_EQ(a.Get("/healthz").status, 200) << "open connections stay open";
  lowered.max_connections = 100;
  ASSERT_TRUE(ts.server().SetLimits(lowered).ok());
  EXPECT_EQ(HttpClient(ts.port()).Get("/healthz").status, 200);
}

TEST(AdmissionSetLimitsTest, NewLimitsApplyAndBadOnesChangeNothing) {
  MetricsRegistry metrics;
  AdmissionGuard guard(AdmissionLimits{1, 1, 1}, &metrics);
  RouteOptions query{.metric_label = "/q", .route_class = RouteClass::kQuery};
  Request req;
  Response res;
  ASSERT_TRUE(guard.Admit(req, query, res));
  EXPECT_FALSE(guard.Admit(req, query, res));
  EXPECT_EQ(res.status, 503);

  ASSERT_TRUE(guard.SetLimits(AdmissionLimits{5, 2, 3}).ok());
  EXPECT_EQ(guard.limit(RouteClass::kQuery), 2);
  EXPECT_EQ(guard.limit(RouteClass::kIngest), 5);
  EXPECT_EQ(guard.limit(RouteClass::kOther), 3);
  res = Response{};
  EXPECT_TRUE(guard.Admit(req, query, res)) << "the request in flight counts against the new limit";
  EXPECT_FALSE(guard.Admit(req, query, res));
  EXPECT_NE(res.body.find("2 query requests in flight"), std::string::npos) << res.body;
  EXPECT_NE(metrics.Render().find("perfwatch_http_inflight_limit{class=\"query\"} 2"), std::string::npos);

  EXPECT_EQ(guard.SetLimits(AdmissionLimits{5, 0, 3}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(guard.limit(RouteClass::kQuery), 2);
  EXPECT_EQ(guard.limit(RouteClass::kIngest), 5);
  guard.Done(query);
  guard.Done(query);
  EXPECT_EQ(guard.inflight(RouteClass::kQuery), 0);
}

TEST(ClientConnectionsSetLimitsTest, LimitAndTrustedProxiesApplyToTheNextAcquire) {
  ClientConnections cc(1, TrustedProxies());
  auto a1 = cc.Acquire(Ip("192.0.2.10"));
  ASSERT_TRUE(a1.has_value());
  EXPECT_FALSE(cc.Acquire(Ip("192.0.2.10")).has_value());
  cc.SetLimits(2, TrustedProxies());
  auto a2 = cc.Acquire(Ip("192.0.2.10"));
  EXPECT_TRUE(a2.has_value());
  EXPECT_EQ(cc.Count(Ip("192.0.2.10")), 2);
  // The client becomes a trusted proxy: not limited any more.
  cc.SetLimits(1, Trusted({"192.0.2.0/24"}));
  auto a3 = cc.Acquire(Ip("192.0.2.10"));
  EXPECT_TRUE(a3.has_value());
  EXPECT_EQ(cc.Count(Ip("192.0.2.10")), 2) << "not counted";
  // Released slots counted under the old settings give their place back.
  a1.reset();
  a2.reset();
  EXPECT_EQ(cc.clients(), 0u);
  cc.SetLimits(0, TrustedProxies());  // off
  auto b1 = cc.Acquire(Ip("198.51.100.1"));
  auto b2 = cc.Acquire(Ip("198.51.100.1"));
  EXPECT_TRUE(b1.has_value() && b2.has_value());
}

TEST(ClientRateLimitGuardSetTrustedTest, ForwardedForHonouredOnlyOnceTheProxyIsTrusted) {
  MetricsRegistry metrics;
  ClientRateLimitGuard guard({.rate_per_second = 0.001, .burst = 1, .max_entries = 100}, Trusted({}), {"/api/rum"},
                             &metrics);
  RouteOptions rum{.metric_label = "/api/rum", .scope = Scope::kPublic};
  Request proxied;
  proxied.remote_address = "10.0.0.1";
  proxied.headers = {{"X-Forwarded-For", "203.0.113.1"}};
  Response res;
  EXPECT_TRUE(guard.Admit(proxied, rum, res));
  proxied.headers = {{"X-Forwarded-For", "203.0.113.2"}};
  EXPECT_FALSE(guard.Admit(proxied, rum, res)) << "untrusted: one bucket for the proxy";

  guard.SetTrustedProxies(Trusted({"10.0.0.0/8"}));
  res = Response{};
  EXPECT_TRUE(guard.Admit(proxied, rum, res)) << "trusted: 203.0.113.2 has a bucket of its own";
  proxied.headers = {{"X-Forwarded-For", "203.0.113.3"}};
  EXPECT_TRUE(guard.Admit(proxied, rum, res));
  EXPECT_FALSE(guard.Admit(proxied, rum, res));

  guard.SetTrustedProxies(TrustedProxies());
  proxied.headers = {{"X-Forwarded-For", "203.0.113.4"}};
  res = Response{};
  EXPECT_FALSE(guard.Admit(proxied, rum, res)) << "untrusted again: the proxy's own (empty) bucket";
}

}  // namespace
}  // namespace perfwatch::http
