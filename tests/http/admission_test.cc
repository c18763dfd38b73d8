// AdmissionGuard through a real server: per-class in-flight limits, the 503 answer
// (Retry-After, Prometheus' error shape), its metrics, release on completion and on a
// dropped connection, and independence of the classes.
#include "http/admission.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
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

bool WaitFor(const std::function<bool()>& pred) {
  for (int i = 0; i < 1000; ++i) {  // 10 s: generous on a loaded machine
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

// A request admitted and still in flight without blocking a worker: the header is sent,
// the body is owed.
std::unique_ptr<RawSocket> Hold(uint16_t port, std::string_view path) {
  auto s = std::make_unique<RawSocket>(port);
  EXPECT_TRUE(s->Send("POST " + std::string(path) + " HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"));
  return s;
}

TEST(AdmissionTest, RefusesBeyondTheClassLimitAndReleases) {
  Router r;
  r.Handle("POST", "/query", [](const Request& req, Response& res) { res.body = std::string(req.body); },
           {.route_class = RouteClass::kQuery});
  r.Handle("POST", "/ingest", [](const Request&, Response& res) { res.status = 204; },
           {.route_class = RouteClass::kIngest});
  r.Handle("GET", "/other", [](const Request&, Response& res) { res.body = "o"; });
  MetricsRegistry guard_metrics;
  auto guard = std::make_shared<AdmissionGuard>(AdmissionLimits{1, 2, 1}, &guard_metrics);
  r.AddGuard(guard);
  TestServer ts(std::move(r));

  auto h1 = Hold(ts.port(), "/query");
  auto h2 = Hold(ts.port(), "/query");
  ASSERT_TRUE(WaitFor([&] { return guard->inflight(RouteClass::kQuery) == 2; }));

  HttpClient c(ts.port());
  HttpResponse refused = c.Post("/query", "q");
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.Header("retry-after"), "1");
  EXPECT_EQ(refused.body.rfind(R"({"status":"error","errorType":"unavailable","error":"server overloaded)", 0), 0u)
      << refused.body;
  EXPECT_NE(refused.body.find("http.max_inflight_query"), std::string::npos);
  EXPECT_EQ(guard->rejected(RouteClass::kQuery), 1u);
  // Other classes have their own limits.
  HttpClient c2(ts.port());
  EXPECT_EQ(c2.Post("/ingest", "x").status, 204);
  EXPECT_EQ(c2.Get("/other").status, 200);

  std::string text = guard_metrics.Render();
  EXPECT_NE(text.find("perfwatch_http_admission_rejected_total{class=\"query\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("perfwatch_http_admission_rejected_total{class=\"ingest\"} 0"), std::string::npos);
  EXPECT_NE(text.find("perfwatch_http_inflight_requests{class=\"query\"} 2"), std::string::npos);
  EXPECT_NE(text.find("perfwatch_http_inflight_limit{class=\"query\"} 2"), std::string::npos);

  // The first holder finishes its body: answered, and its slot is free again.
  ASSERT_TRUE(h1->Send("defghij"));
  EXPECT_NE(h1->ReadUntil("abcdefghij", 5s).find("abcdefghij"), std::string::npos);
  ASSERT_TRUE(WaitFor([&] { return guard->inflight(RouteClass::kQuery) == 1; }));
  EXPECT_EQ(HttpClient(ts.port()).Post("/query", "again").body, "again");
  h2.reset();  // gone without finishing: Done still runs
  ASSERT_TRUE(WaitFor([&] {
    return guard->inflight(RouteClass::kQuery) == 0 && guard->inflight(RouteClass::kIngest) == 0 &&
           guard->inflight(RouteClass::kOther) == 0;
  }));
}

TEST(AdmissionTest, RefusedBeforeTheBodyAndSlotFreedWhenTheClientGoesAway) {
  Router r;
  r.Handle("POST", "/ingest", [](const Request& req, Response& res) { res.body = std::to_string(req.body.size()); },
           {.route_class = RouteClass::kIngest});
  auto guard = std::make_shared<AdmissionGuard>(AdmissionLimits{1, 1, 1}, nullptr);
  r.AddGuard(guard);
  TestServer ts(std::move(r));
  {
    // Holds the only ingest slot: header sent, body still owed.
    RawSocket holder(ts.port());
    ASSERT_TRUE(holder.Send("POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\nabc"));
    ASSERT_TRUE(WaitFor([&] { return guard->inflight(RouteClass::kIngest) == 1; }));
    // A second request is answered 503 at once, without its body having been sent.
    RawSocket s(ts.port());
    ASSERT_TRUE(s.Send("POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n"));
    std::string got = s.ReadUntil("\r\n\r\n", 5s);
    EXPECT_EQ(got.rfind("HTTP/1.1 503 ", 0), 0u) << got;
    EXPECT_NE(got.find("Retry-After: 1"), std::string::npos) << got;
  }  // both clients hang up
  ASSERT_TRUE(WaitFor([&] { return guard->inflight(RouteClass::kIngest) == 0; }));
  EXPECT_EQ(HttpClient(ts.port()).Post("/ingest", "hello").body, "5");
}

}  // namespace
}  // namespace perfwatch::http
