// Limits and timeouts of the HTTP server over loopback: body and header size, Expect:
// 100-continue, header/body/idle timeouts (slow clients), the connection cap.
#include <gtest/gtest.h>

#include <thread>

#include "http/server.h"
#include "server_fixture.h"
#include "support/http_client.h"

namespace perfwatch::http {
namespace {

using perfwatch::testing::HttpClient;
using perfwatch::testing::HttpResponse;
using testing::RawSocket;
using testing::TestServer;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

Router EchoRouter() {
  Router r;
  r.Handle("POST", "/api/rum", [](const Request& req, Response& res) {
    res.content_type = "text/plain";
    res.body = "got " + std::to_string(req.body.size());
  });
  r.Handle("GET", "/healthz", [](const Request&, Response& res) { res.body = "ok"; });
  return r;
}

HttpConfig SmallLimits() {
  HttpConfig c = testing::TestConfig();
  c.max_body_bytes = 1024;
  c.max_header_bytes = 1024;
  return c;
}

constexpr char kTooLarge[] =
    R"({"status":"error","errorType":"bad_data","error":"request body exceeds the limit of 1024 bytes",)"
    R"("accepted":0,"rejected":0,"errors":[{"index":-1,"reason":"request body exceeds the limit of 1024 bytes"}]})";

TEST(ServerLimitsTest, BodyAtTheLimitIsAccepted) {
  TestServer ts(EchoRouter(), SmallLimits());
  HttpClient c(ts.port());
  HttpResponse r = c.Post("/api/rum", std::string(1024, 'x'));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "got 1024");
}

TEST(ServerLimitsTest, OversizedContentLengthGets413) {
  TestServer ts(EchoRouter(), SmallLimits());
  HttpClient c(ts.port());
  HttpResponse r = c.Post("/api/rum", std::string(300 << 10, 'x'));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.body, kTooLarge);
  EXPECT_EQ(r.Header("connection"), "close");

  // Announced but never sent: answered at once from the header.
  RawSocket s(ts.port());
  ASSERT_TRUE(s.Send("POST /api/rum HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n"));
  std::string got = s.ReadUntil(kTooLarge, 2s);
  EXPECT_EQ(got.rfind("HTTP/1.1 413 ", 0), 0u) << got;
  std::string metrics = ts.metrics().Render();
  EXPECT_NE(
      metrics.find(R"(perfwatch_http_requests_total{route="/api/rum",method="POST",code="413"})"),
      std::string::npos);
}

TEST(ServerLimitsTest, OversizedChunkedBodyGets413) {
  TestServer ts(EchoRouter(), SmallLimits());
  std::string chunk(400, 'y');
  std::string req = "POST /api/rum HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 5; ++i) req += "190\r\n" + chunk + "\r\n";  // 5 * 400 bytes
  req += "0\r\n\r\n";
  RawSocket s(ts.port());
  ASSERT_TRUE(s.Send(req));
  ASSERT_TRUE(s.WaitForClose(3s));
  EXPECT_EQ(s.received().rfind("HTTP/1.1 413 ", 0), 0u) << s.received();
  EXPECT_NE(s.received().find(kTooLarge), std::string::npos);

  // A chunked body under the limit is reassembled.
  HttpClient c(ts.port());
  HttpResponse r = c.Raw(
      "POST /api/rum HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "190\r\n" +
      chunk + "\r\n5\r\nhello\r\n0\r\n\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "got 405");
}

TEST(ServerLimitsTest, OversizedHeaderGets431) {
  TestServer ts(EchoRouter(), SmallLimits());
  HttpClient c(ts.port());
  HttpResponse r = c.Get("/healthz", {{"X-Big", std::string(2000, 'h')}});
  EXPECT_EQ(r.status, 431);
  EXPECT_NE(r.body.find("request header exceeds the limit of 1024 bytes"), std::string::npos);
  // A header that never ends is cut off at the limit too.
  RawSocket s(ts.port());
  ASSERT_TRUE(s.Send("GET /healthz HTTP/1.1\r\nX-Endless: " + std::string(4000, 'a')));
  ASSERT_TRUE(s.WaitForClose(3s));
  EXPECT_EQ(s.received().rfind("HTTP/1.1 431 ", 0), 0u);
}

TEST(ServerLimitsTest, ExpectContinue) {
  TestServer ts(EchoRouter(), SmallLimits());
  RawSocket s(ts.port());
  ASSERT_TRUE(
      s.Send("POST /api/rum HTTP/1.1\r\nHost: x\r\nContent-Length: 600\r\n"
             "Expect: 100-continue\r\n\r\n"));
  std::string got = s.ReadUntil("\r\n\r\n", 2s);
  ASSERT_EQ(got, "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(s.Send(std::string(600, 'z')));
  got = s.ReadUntil("got 600", 2s);
  EXPECT_NE(got.find("HTTP/1.1 200 OK\r\n"), std::string::npos) << got;

  // Over the limit: 413 straight away, no 100.
  HttpClient c(ts.port());
  HttpResponse r = c.Raw(
      "POST /api/rum HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n"
      "Expect: 100-continue\r\n\r\n");
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.interim_status, 0);

  // A client that sends the body anyway without waiting works as well.
  r = c.Post("/api/rum", std::string(700, 'w'), "text/plain", {{"Expect", "100-continue"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "got 700");
}

TEST(ServerLimitsTest, HeaderTimeoutClosesSlowClients) {
  HttpConfig cfg = testing::TestConfig();
  cfg.header_timeout_ms = 200;
  TestServer ts(EchoRouter(), cfg);
  RawSocket s(ts.port());
  auto start = Clock::now();
  ASSERT_TRUE(s.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n"));
  // Trickling bytes does not extend the deadline (slowloris).
  for (int i = 0; i < 8 && !s.eof(); ++i) {
    std::this_thread::sleep_for(50ms);
    s.Send("X-A: b\r\n");
  }
  ASSERT_TRUE(s.WaitForClose(2s));
  auto elapsed = Clock::now() - start;
  EXPECT_LT(elapsed, 1s);
  EXPECT_GE(elapsed, 150ms);
  EXPECT_EQ(s.received(), "");
}

TEST(ServerLimitsTest, BodyTimeoutClosesSlowUploads) {
  HttpConfig cfg = testing::TestConfig();
  cfg.body_timeout_ms = 200;
  TestServer ts(EchoRouter(), cfg);
  RawSocket s(ts.port());
  auto start = Clock::now();
  ASSERT_TRUE(s.Send("POST /api/rum HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789"));
  ASSERT_TRUE(s.WaitForClose(2s));
  EXPECT_LT(Clock::now() - start, 1s);
}

TEST(ServerLimitsTest, WriteTimeoutClosesStalledReaders) {
  HttpConfig cfg = testing::TestConfig();
  cfg.write_timeout_ms = 300;
  Router r;
  r.Handle("GET", "/endless", [](const Request&, Response& res) {
    res.stream = [](std::string& chunk) {
      chunk.append(64 << 10, 'e');
      return true;
    };
  });
  TestServer ts(std::move(r), cfg);
  RawSocket s(ts.port());
  ASSERT_TRUE(s.Send("GET /endless HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::this_thread::sleep_for(1s);  // not reading: the socket buffers fill up
  ASSERT_TRUE(s.WaitForClose(5s));
  EXPECT_LT(s.received().size(), 256u << 20);
}

TEST(ServerLimitsTest, IdleTimeoutClosesKeepAliveConnections) {
  HttpConfig cfg = testing::TestConfig();
  cfg.idle_timeout_ms = 300;
  TestServer ts(EchoRouter(), cfg);
  {
    RawSocket s(ts.port());  // never sends anything
    auto start = Clock::now();
    ASSERT_TRUE(s.WaitForClose(2s));
    EXPECT_GE(Clock::now() - start, 250ms);
    EXPECT_LT(Clock::now() - start, 1s);
  }
  {
    RawSocket s(ts.port());
    ASSERT_TRUE(s.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_NE(s.ReadUntil("ok", 1s).find("ok"), std::string::npos);
    auto start = Clock::now();
    ASSERT_TRUE(s.WaitForClose(2s));
    EXPECT_LT(Clock::now() - start, 1s);
  }
  // The client retries a request on a connection the server closed while idle.
  HttpClient c(ts.port());
  EXPECT_EQ(c.Get("/healthz").status, 200);
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(c.Get("/healthz").status, 200);
}

TEST(ServerLimitsTest, ConnectionCap) {
  HttpConfig cfg = testing::TestConfig();
  cfg.max_connections = 2;
  TestServer ts(EchoRouter(), cfg);
  auto a = std::make_unique<HttpClient>(ts.port());
  HttpClient b(ts.port());
  ASSERT_EQ(a->Get("/healthz").status, 200);
  ASSERT_EQ(b.Get("/healthz").status, 200);

  RawSocket third(ts.port());
  ASSERT_TRUE(third.WaitForClose(2s));  // closed at once, possibly after a 503
  if (!third.received().empty()) {
    EXPECT_EQ(third.received().rfind("HTTP/1.1 503 ", 0), 0u);
  }
  EXPECT_NE(ts.metrics().Render().find("perfwatch_http_connections_rejected_total 1"),
            std::string::npos);
  EXPECT_NE(ts.metrics().Render().find("perfwatch_http_connections 2"), std::string::npos);

  // Once a connection closes there is room again.
  a.reset();
  HttpResponse r;
  for (int i = 0; i < 50 && r.status != 200; ++i) {
    std::this_thread::sleep_for(10ms);
    HttpClient c(ts.port());
    r = c.Get("/healthz");
  }
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(b.Get("/healthz").status, 200);
}

}  // namespace
}  // namespace perfwatch::http
