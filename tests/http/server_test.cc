// End-to-end tests of the HTTP server over loopback: routing, keep-alive, parameters,
// CORS, streaming, error handling and metrics. Limits and timeouts: server_limits_test.cc.
#include "http/server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>

#include "server_fixture.h"
#include "support/http_client.h"

namespace perfwatch::http {
namespace {

using perfwatch::testing::HttpClient;
using perfwatch::testing::HttpResponse;
using testing::RawSocket;
using testing::TestServer;
using namespace std::chrono_literals;

Router MakeRouter() {
  Router r;
  r.Handle("GET", "/healthz", [](const Request&, Response& res) {
    res.content_type = "text/plain";
    res.body = "ok\n";
  });
  r.Handle("POST", "/echo", [](const Request& req, Response& res) {
    res.content_type = std::string(req.Header("content-type"));
    res.body = std::string(req.body);
    res.headers.emplace_back("X-Method", std::string(req.method));
  });
  r.Handle("GET", "/params", [](const Request& req, Response& res) {
    res.body = req.Param("q").value_or("<none>");
    for (const auto& m : req.Params("match[]")) res.body += "|" + m;
  });
  r.Handle("POST", "/params", [](const Request& req, Response& res) {
    res.body = req.Param("q").value_or("<none>");
    for (const auto& m : req.Params("match[]")) res.body += "|" + m;
  });
  r.HandlePrefix("GET", "/api/v1/label/", [](const Request& req, Response& res) {
    res.body = "label:" + std::string(req.path.substr(14));
  });
  r.Handle("GET", "/throw", [](const Request&, Response&) { throw std::runtime_error("boom"); });
  r.Handle("GET", "/empty", [](const Request&, Response& res) { res.status = 204; });
  r.Handle("POST", "/api/rum", [](const Request&, Response& res) { res.status = 204; },
           {.metric_label = "rum", .cors_allowed_origins = {"https://shop.example"}});
  r.Handle("POST", "/open", [](const Request&, Response& res) { res.status = 204; },
           {.cors_allowed_origins = {"*"}});
  r.Handle("GET", "/stream", [](const Request& req, Response& res) {
    // 6 MB in pieces of varying size; the content depends on the position.
    auto pos = std::make_shared<size_t>(0);
    constexpr size_t kTotal = 6 << 20;
    res.content_type = "application/x-ndjson";
    res.stream = [pos](std::string& chunk) {
      size_t n = std::min<size_t>(1000 + (*pos % 7919), kTotal - *pos);
      for (size_t i = 0; i < n; ++i) chunk += static_cast<char>('a' + (*pos + i) % 26);
      *pos += n;
      return *pos < kTotal;
    };
  });
  return r;
}

std::string ExpectedStream() {
  std::string s;
  for (size_t i = 0; i < (6u << 20); ++i) s += static_cast<char>('a' + i % 26);
  return s;
}

TEST(ServerTest, RoutesExactPrefix404And405) {
  TestServer ts(MakeRouter());
  HttpClient c(ts.port());
  HttpResponse r = c.Get("/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok\n");
  EXPECT_EQ(r.Header("content-type"), "text/plain");
  EXPECT_EQ(r.Header("content-length"), "3");
  EXPECT_EQ(r.Header("server"), "perfwatch");

  r = c.Get("/api/v1/label/job/values");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "label:job/values");

  r = c.Get("/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body,
            R"({"status":"error","errorType":"not_found","error":"no route for GET /nope"})");

  r = c.Post("/healthz", "x");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.Header("allow"), "GET, HEAD");
  EXPECT_NE(r.body.find(R"("errorType":"bad_data")"), std::string::npos);

  r = c.Request("HEAD", "/healthz", "", {});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("content-length"), "3");
  EXPECT_EQ(r.body, "");
  // The connection is still in sync after HEAD.
  EXPECT_EQ(c.Get("/healthz").body, "ok\n");

  r = c.Get("/empty");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.Header("content-length"), "");
}

TEST(ServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  TestServer ts(MakeRouter());
  RawSocket s(ts.port());
  ASSERT_TRUE(s.connected());
  for (int i = 0; i < 50; ++i) {
    std::string body = "body-" + std::to_string(i);
    ASSERT_TRUE(
        s.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + body));
    std::string got = s.ReadUntil(body, 2s);
    ASSERT_NE(got.find(body), std::string::npos) << i;
  }
  EXPECT_FALSE(s.eof());
  // The parameters and headers of each request are its own.
  HttpClient c(ts.port());
  for (int i = 0; i < 20; ++i) {
    HttpResponse r =
        c.Post("/echo", std::string(i * 100, 'x'), i % 2 ? "text/plain" : "application/json");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body.size(), static_cast<size_t>(i * 100));
    EXPECT_EQ(r.Header("content-type"), i % 2 ? "text/plain" : "application/json");
    EXPECT_EQ(r.Header("x-method"), "POST");
    EXPECT_EQ(r.Header("connection"), "");
  }
}

TEST(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  TestServer ts(MakeRouter());
  RawSocket s(ts.port());
  ASSERT_TRUE(
      s.Send("GET /params?q=one HTTP/1.1\r\nHost: x\r\n\r\n"
             "GET /params?q=two HTTP/1.1\r\nHost: x\r\n\r\n"
             "GET /params?q=three HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  ASSERT_TRUE(s.WaitForClose(3s));
  const std::string& got = s.received();
  size_t one = got.find("\r\n\r\none");
  size_t two = got.find("\r\n\r\ntwo");
  size_t three = got.find("\r\n\r\nthree");
  ASSERT_NE(one, std::string::npos);
  ASSERT_NE(two, std::string::npos);
  ASSERT_NE(three, std::string::npos);
  EXPECT_LT(one, two);
  EXPECT_LT(two, three);
  EXPECT_NE(got.find("Connection: close"), std::string::npos);
}

TEST(ServerTest, EmptyLinesBetweenRequestsAreIgnored) {
  TestServer ts(MakeRouter());
  RawSocket s(ts.port());
  ASSERT_TRUE(s.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi\r\n"));
  ASSERT_NE(s.ReadUntil("hi", 2s).find("hi"), std::string::npos);
  ASSERT_TRUE(s.Send("\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string got = s.ReadUntil("ok\n", 2s);
  EXPECT_NE(got.find("HTTP/1.1 200 OK\r\nServer: perfwatch\r\nContent-Type: text/plain"),
            std::string::npos)
      << got;
  EXPECT_EQ(got.find("400"), std::string::npos);
}

TEST(ServerTest, ParamsFromQueryAndForm) {
  TestServer ts(MakeRouter());
  HttpClient c(ts.port());
  HttpResponse r = c.Get("/params?q=" + perfwatch::testing::UrlEncode("sum(rate(x[5m])) by (job)") +
                         "&match[]=a+b&match%5B%5D=%7Bjob%3D%22x%22%7D");
  EXPECT_EQ(r.body, "sum(rate(x[5m])) by (job)|a b|{job=\"x\"}");
  r = c.Post("/params?match[]=q1", "q=up+%3D%3D+1&match[]=f1", "application/x-www-form-urlencoded");
  EXPECT_EQ(r.body, "up == 1|q1|f1");
}

TEST(ServerTest, HttpOneZeroAndConnectionClose) {
  TestServer ts(MakeRouter());
  {
    RawSocket s(ts.port());
    ASSERT_TRUE(s.Send("GET /healthz HTTP/1.0\r\n\r\n"));
    ASSERT_TRUE(s.WaitForClose(2s));
    EXPECT_EQ(s.received().rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
    EXPECT_NE(s.received().find("Connection: close\r\n"), std::string::npos);
    EXPECT_NE(s.received().find("\r\n\r\nok\n"), std::string::npos);
  }
  {
    RawSocket s(ts.port());
    ASSERT_TRUE(s.Send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    std::string got = s.ReadUntil("ok\n", 2s);
    EXPECT_NE(got.find("Connection: keep-alive\r\n"), std::string::npos);
    EXPECT_FALSE(s.WaitForClose(200ms));
  }
  {
    RawSocket s(ts.port());
    ASSERT_TRUE(s.Send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    ASSERT_TRUE(s.WaitForClose(2s));
    EXPECT_NE(s.received().find("Connection: close\r\n"), std::string::npos);
  }
}

TEST(ServerTest, MalformedRequestGets400AndClose) {
  TestServer ts(MakeRouter());
  RawSocket s(ts.port());
  ASSERT_TRUE(s.Send("THIS IS NOT HTTP\r\n\r\n"));
  ASSERT_TRUE(s.WaitForClose(3s));
  EXPECT_EQ(s.received().rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << s.received();
  EXPECT_NE(s.received().find("Connection: close"), std::string::npos);
}

TEST(ServerTest, ThrowingHandlerGets500AndServerKeepsServing) {
  TestServer ts(MakeRouter());
  HttpClient c(ts.port());
  for (int i = 0; i < 3; ++i) {
    HttpResponse r = c.Get("/throw");
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(r.body, R"({"status":"error","errorType":"internal","error":"internal error"})");
    EXPECT_EQ(c.Get("/healthz").status, 200);
  }
}

// Refuses requests to /echo without "X-Key: yes" before their body is read (the test
// below sends only the header); counts
// admissions and completions and records the peer address it saw.
class KeyGuard : public RequestGuard {
 public:
  bool Admit(const Request& req, const RouteOptions&, Response& res) override {
    peer = std::string(req.remote_address);
    if (req.path == "/echo" && req.Header("X-Key") != "yes") {
      WriteApiError(res, 401, "unauthorized", "no key");
      return false;
    }
    ++admitted;
    return true;
  }
  void Done(const RouteOptions&) override { ++done; }
  std::atomic<int> admitted{0};
  std::atomic<int> done{0};
  std::string peer;
};

TEST(ServerTest, GuardsRunBeforeTheBodyAndAreReleased) {
  Router r = MakeRouter();
  auto guard = std::make_shared<KeyGuard>();
  r.AddGuard(guard);
  TestServer ts(std::move(r));
  {
    // Refused with the body still unsent: the answer comes at once, then the close.
    RawSocket s(ts.port());
    ASSERT_TRUE(s.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"));
    std::string got = s.ReadUntil("\r\n\r\n", 3s);
    EXPECT_EQ(got.rfind("HTTP/1.1 401 ", 0), 0u) << got;
    EXPECT_NE(got.find("Connection: close"), std::string::npos);
  }
  EXPECT_EQ(guard->peer, "127.0.0.1");
  HttpClient c(ts.port());
  EXPECT_EQ(c.Post("/echo", "hi", "text/plain", {{"X-Key", "yes"}}).body, "hi");
  EXPECT_EQ(c.Get("/stream").status, 200);
  EXPECT_EQ(c.Get("/nope").status, 404);  // unrouted: guards are not asked
  EXPECT_EQ(guard->admitted.load(), 2);
  for (int i = 0; i < 100 && guard->done.load() < 2; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(guard->done.load(), 2);
}

TEST(ServerTest, CorsPreflightAndOrigins) {
  TestServer ts(MakeRouter());
  HttpClient c(ts.port());
  HttpResponse r = c.Request("OPTIONS", "/api/rum", "",
                             {{"Origin", "https://shop.example"},
                              {"Access-Control-Request-Method", "POST"},
                              {"Access-Control-Request-Headers", "content-type"}});
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.Header("access-control-allow-origin"), "https://shop.example");
  EXPECT_EQ(r.Header("access-control-allow-methods"), "POST, OPTIONS");
  EXPECT_EQ(r.Header("access-control-allow-headers"), "Content-Type");
  EXPECT_EQ(r.Header("access-control-max-age"), "86400");
  EXPECT_EQ(r.Header("vary"), "Origin");

  r = c.Post("/api/rum", "{}", "text/plain", {{"Origin", "https://shop.example"}});
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.Header("access-control-allow-origin"), "https://shop.example");
  EXPECT_EQ(r.Header("vary"), "Origin");

  // Another origin is refused, preflight and request alike.
  r = c.Request("OPTIONS", "/api/rum", "", {{"Origin", "https://evil.example"}});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.Header("access-control-allow-origin"), "");
  r = c.Post("/api/rum", "{}", "text/plain", {{"Origin", "https://evil.example"}});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.Header("access-control-allow-origin"), "");
  EXPECT_NE(r.body.find("origin not allowed"), std::string::npos);

  // No Origin (curl, same-origin): no CORS headers, served normally.
  r = c.Post("/api/rum", "{}");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.Header("access-control-allow-origin"), "");

  // "*" allows any origin and answers with "*".
  r = c.Request("OPTIONS", "/open", "", {{"Origin", "https://anything.example"}});
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.Header("access-control-allow-origin"), "*");
  r = c.Post("/open", "{}", "application/json", {{"Origin", "https://anything.example"}});
  EXPECT_EQ(r.Header("access-control-allow-origin"), "*");
  EXPECT_EQ(r.Header("vary"), "");

  // Routes without CORS: OPTIONS lists the methods.
  r = c.Request("OPTIONS", "/healthz", "", {{"Origin", "https://shop.example"}});
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.Header("allow"), "GET, HEAD, OPTIONS");
  EXPECT_EQ(r.Header("access-control-allow-origin"), "");
}

TEST(ServerTest, ReplaceableCorsOriginsApplyToTheNextRequest) {
  auto origins = std::make_shared<CorsOrigins>(std::vector<std::string>{"https://shop.example"});
  Router r;
  r.Handle("POST", "/api/rum", [](const Request&, Response& res) { res.status = 204; },
           {.metric_label = "rum", .cors_origins = origins});
  TestServer ts(std::move(r));
  HttpClient c(ts.port());
  HttpResponse res = c.Post("/api/rum", "{}", "text/plain", {{"Origin", "https://shop.example"}});
  EXPECT_EQ(res.status, 204);
  EXPECT_EQ(res.Header("access-control-allow-origin"), "https://shop.example");
  EXPECT_EQ(c.Post("/api/rum", "{}", "text/plain", {{"Origin", "https://blog.example"}}).status, 403);

  origins->Set({"https://blog.example"});
  res = c.Post("/api/rum", "{}", "text/plain", {{"Origin", "https://blog.example"}});
  EXPECT_EQ(res.status, 204);
  EXPECT_EQ(res.Header("access-control-allow-origin"), "https://blog.example");
  EXPECT_EQ(c.Post("/api/rum", "{}", "text/plain", {{"Origin", "https://shop.example"}}).status, 403);
  res = c.Request("OPTIONS", "/api/rum", "", {{"Origin", "https://blog.example"}});
  EXPECT_EQ(res.status, 204);
  EXPECT_EQ(res.Header("access-control-allow-origin"), "https://blog.example");

  origins->Set({});  // none: no CORS at all
  res = c.Post("/api/rum", "{}", "text/plain", {{"Origin", "https://shop.example"}});
  EXPECT_EQ(res.status, 204);
  EXPECT_EQ(res.Header("access-control-allow-origin"), "");
}

TEST(ServerTest, StreamingResponseIsChunkedAndComplete) {
  TestServer ts(MakeRouter());
  HttpClient c(ts.port());
  HttpResponse r = c.Get("/stream");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("transfer-encoding"), "chunked");
  EXPECT_EQ(r.Header("content-length"), "");
  EXPECT_EQ(r.Header("content-type"), "application/x-ndjson");
  const std::string expected = ExpectedStream();
  ASSERT_EQ(r.body.size(), expected.size());
  EXPECT_TRUE(r.body == expected);
  // Keep-alive survives a streamed response.
  EXPECT_EQ(c.Get("/healthz").body, "ok\n");

  // HTTP/1.0 gets the raw body, ended by closing the connection.
  RawSocket s(ts.port());
  ASSERT_TRUE(s.Send("GET /stream HTTP/1.0\r\n\r\n"));
  ASSERT_TRUE(s.WaitForClose(5s));
  size_t body_at = s.received().find("\r\n\r\n");
  ASSERT_NE(body_at, std::string::npos);
  EXPECT_EQ(s.received().find("chunked"), std::string::npos);
  EXPECT_TRUE(s.received().substr(body_at + 4) == expected);
}

TEST(ServerTest, MetricsCountRequests) {
  TestServer ts(MakeRouter());
  HttpClient c(ts.port());
  for (int i = 0; i < 3; ++i) c.Get("/healthz");
  c.Get("/nope");
  c.Post("/healthz", "");
  c.Request("HEAD", "/healthz", "", {});
  c.Post("/api/rum", "{}");
  c.Close();
  // A request is counted once its response is fully written, which the client may see
  // a moment before the server does: wait for the last one.
  std::string text;
  for (int i = 0; i < 100; ++i) {
    text = ts.metrics().Render();
    if (text.find(R"(perfwatch_http_requests_total{route="rum",method="POST",code="204"} 1)") !=
        std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_NE(
      text.find(R"(perfwatch_http_requests_total{route="/healthz",method="GET",code="200"} 3)"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find(R"(perfwatch_http_requests_total{route="/healthz",method="HEAD",code="200"} 1)"),
      std::string::npos);
  EXPECT_NE(
      text.find(R"(perfwatch_http_requests_total{route="/healthz",method="POST",code="405"} 1)"),
      std::string::npos);
  EXPECT_NE(text.find(R"(perfwatch_http_requests_total{route="other",method="GET",code="404"} 1)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(perfwatch_http_requests_total{route="rum",method="POST",code="204"} 1)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(perfwatch_http_request_duration_seconds_count{route="/healthz"} 5)"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE perfwatch_http_connections gauge"), std::string::npos);
  EXPECT_NE(text.find("perfwatch_http_connections_rejected_total 0"), std::string::npos);
}

TEST(ServerTest, ConcurrentClients) {
  TestServer ts(MakeRouter());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      HttpClient c(ts.port());
      for (int i = 0; i < 200; ++i) {
        std::string body = std::to_string(t) + ":" + std::to_string(i);
        HttpResponse r = c.Post("/echo", body, "text/plain");
        if (r.status == 200 && r.body == body) ok.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 8 * 200);
}

TEST(ServerLifecycleTest, PortInUseIsAnErrorAndStopIsIdempotent) {
  TestServer first(MakeRouter());
  MetricsRegistry metrics;
  HttpConfig cfg = testing::TestConfig();
  cfg.listen = "127.0.0.1:" + std::to_string(first.port());
  auto second = Server::Create(cfg, MakeRouter(), &metrics);
  ASSERT_TRUE(second.ok());
  Status st = (*second)->Start();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("bind"), std::string::npos) << st.ToString();
  (*second)->Stop();

  cfg.listen = "no-port";
  auto bad = Server::Create(cfg, MakeRouter(), &metrics);
  ASSERT_TRUE(bad.ok());
  EXPECT_FALSE((*bad)->Start().ok());

  // Stop with an open keep-alive connection, twice.
  HttpClient c(first.port());
  EXPECT_EQ(c.Get("/healthz").status, 200);
  first.server().Stop();
  first.server().Stop();
  RawSocket s(first.port());
  EXPECT_FALSE(s.connected());
}

}  // namespace
}  // namespace perfwatch::http
