// Overload limits through the real binary (docs/limits.md): the admission limit answers
// 503 with Retry-After and counts it, a query over query.max_samples fails alone (422)
// while other queries and ingest go on, a query whose client left stops (499), and the
// RUM aggregates cap apps and connections.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <snappy.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "ingest/remote_write/remote_write_encoder.h"
#include "support/http_client.h"
#include "support/server_process.h"

namespace perfwatch {
namespace {

using testing::HttpClient;
using testing::ServerProcess;
using namespace std::chrono_literals;

std::string WriteBody(const std::string& name, int series, int samples, int64_t t0) {
  std::vector<std::string> ts;
  for (int s = 0; s < series; ++s) {
    std::vector<std::pair<int64_t, double>> points;
    for (int i = 0; i < samples; ++i) points.emplace_back(t0 + i * 1000, i);
    ts.push_back(ingest::EncodeTimeSeries({{"__name__", name}, {"s", std::to_string(s)}}, points));
  }
  std::string raw = ingest::EncodeWriteRequest(ts), compressed;
  snappy::Compress(raw.data(), raw.size(), &compressed);
  return compressed;
}

testing::HttpResponse PostWrite(HttpClient& client, const std::string& body) {
  return client.Post("/api/v1/write", body, "application/x-protobuf",
                     {{"Content-Encoding", "snappy"}, {"X-Prometheus-Remote-Write-Version", "0.1.0"}});
}

// A connection that sent a request header and owes its body: holds an admission slot.
class HeldRequest {
 public:
  HeldRequest(uint16_t port, const std::string& head) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    ok_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
          ::send(fd_, head.data(), head.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(head.size());
  }
  ~HeldRequest() { ::close(fd_); }
  bool ok() const { return ok_; }

 private:
  int fd_ = -1;
  bool ok_ = false;
};

bool Eventually(const std::function<bool()>& pred) {
  for (int i = 0; i < 300; ++i) {  // 30 s
    if (pred()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

TEST(OverloadTest, AdmissionLimitAnswers503WithRetryAfter) {
  ServerProcess server({}, "http:\n  max_inflight_ingest: 1\nscrape:\n  self_scrape: false\n");
  ASSERT_TRUE(server.Start()) << server.log();
  HeldRequest held(server.port(),
                   "POST /api/v1/write HTTP/1.1\r\nHost: x\r\nContent-Encoding: snappy\r\n"
                   "Content-Length: 100000\r\n\r\n");
  ASSERT_TRUE(held.ok());
  HttpClient client(server.port());
  // Wait until the held request has its slot (else the next request could take it first).
  ASSERT_TRUE(Eventually([&] {
    return client.Get("/metrics").body.find("perfwatch_http_inflight_requests{class=\"ingest\"} 1\n") !=
           std::string::npos;
  }));
  std::string body = WriteBody("overload_it", 1, 1, 1'700'000'000'000);
  testing::HttpResponse r;
  ASSERT_TRUE(Eventually([&] {
    r = PostWrite(client, body);
    return r.status == 503;
  })) << r.status << " " << r.body;
  EXPECT_EQ(r.Header("retry-after"), "1");
  EXPECT_NE(r.body.find(R"("errorType":"unavailable")"), std::string::npos) << r.body;
  // The query class is not affected.
  HttpClient other(server.port());
  EXPECT_EQ(other.Get("/api/v1/query?query=1").status, 200);
  std::string metrics = other.Get("/metrics").body;
  EXPECT_NE(metrics.find("perfwatch_http_admission_rejected_total{class=\"ingest\"} "), std::string::npos);
  EXPECT_EQ(metrics.find("perfwatch_http_admission_rejected_total{class=\"ingest\"} 0\n"), std::string::npos);
  EXPECT_NE(metrics.find("perfwatch_http_inflight_limit{class=\"query\"} 32"), std::string::npos) << "default";
}

TEST(OverloadTest, QueryOverMaxSamplesFailsAlone) {
  ServerProcess server({}, "query:\n  max_samples: 5000\nscrape:\n  self_scrape: false\n");
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient client(server.port());
  const int64_t t0 = 1'700'000'000'000;
  ASSERT_EQ(PostWrite(client, WriteBody("big_it", 200, 60, t0)).status, 204);
  const std::string big = "/api/v1/query_range?query=big_it&start=1700000000&end=1700000059&step=1";
  const std::string small = "/api/v1/query?query=count(big_it)&time=1700000030";

  std::atomic<bool> stop{false};
  std::atomic<int> big_422{0}, big_other{0};
  std::thread heavy([&] {
    HttpClient c(server.port());
    while (!stop) {
      auto r = c.Get(big);
      (r.status == 422 && r.body.find("too many samples") != std::string::npos ? big_422 : big_other)++;
    }
  });
  int ok_queries = 0, ok_writes = 0;
  for (int i = 0; i < 20; ++i) {
    auto q = client.Get(small);
    if (q.status == 200 && q.body.find("\"200\"") != std::string::npos) ++ok_queries;
    if (PostWrite(client, WriteBody("small_it", 1, 1, t0 + 100'000 + i)).status == 204) ++ok_writes;
  }
  // On a loaded machine the small requests may all finish before the first heavy one.
  for (int i = 0; i < 3000 && big_422.load() + big_other.load() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stop = true;
  heavy.join();
  EXPECT_GT(big_422.load(), 0);
  EXPECT_EQ(big_other.load(), 0);
  EXPECT_EQ(ok_queries, 20);
  EXPECT_EQ(ok_writes, 20);
}

// A query whose client closed its connection stops (Prometheus does the same): it is
// recorded as 499 "canceled" instead of running to its end (seconds of work nobody reads).
TEST(OverloadTest, QueryWhoseClientLeftIsCanceled) {
  ServerProcess server({}, "scrape:\n  self_scrape: false\n");
  ASSERT_TRUE(server.Start()) << server.log();
  // About 2 billion window points (600 steps of a one-hour window at 1 ms): seconds of
  // work, little memory.
  const std::string heavy =
      "GET /api/v1/query?query=count_over_time((sum_over_time(vector(1)%5B1h:1ms%5D))%5B10m:1s%5D)"
      "&timeout=120s HTTP/1.1\r\nHost: x\r\n\r\n";
  {
    HeldRequest leaving(server.port(), heavy);
    ASSERT_TRUE(leaving.ok());
    std::this_thread::sleep_for(300ms);
  }  // closes the connection while the query runs
  HttpClient client(server.port());
  const std::string canceled = "perfwatch_http_requests_total{route=\"/api/v1/query\",method=\"GET\",code=\"499\"} 1";
  std::string metrics;
  EXPECT_TRUE(Eventually([&] {
    metrics = client.Get("/metrics").body;
    return metrics.find(canceled) != std::string::npos;
  })) << metrics.substr(0, 4000);
  EXPECT_EQ(metrics.find("route=\"/api/v1/query\",method=\"GET\",code=\"200\""), std::string::npos);
  // The server goes on answering queries whose clients wait.
  auto r = client.Post("/api/v1/query", "query=count_over_time(vector(1)%5B10s:1s%5D)", "application/x-www-form-urlencoded");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"10\""), std::string::npos) << r.body;
}

TEST(OverloadTest, RumAggregatesCapAppsAndConnections) {
  ServerProcess server({}, "rum:\n  max_apps: 2\n  rate_limit_per_ip: 0\nscrape:\n  self_scrape: false\n");
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient client(server.port());
  int i = 0;
  for (const char* app : {"a", "b", "c", "d", "e"}) {
    for (const char* conn : {"4g", "gigabit-bomb"}) {
      std::string beacon = R"({"name":"LCP","value":1200,"id":"v)" + std::to_string(i++) +
                           R"(","sessionId":"s","url":"https://x.example/","connection":")" + conn + R"("})";
      ASSERT_EQ(client.Post(std::string("/api/rum?app=") + app, beacon).status, 204);
    }
  }
  const std::string q = "/api/v1/query?query=" + testing::UrlEncode("count by (app, connection) (rum_lcp_seconds_count)");
  testing::HttpResponse r;
  ASSERT_TRUE(Eventually([&] {  // the aggregates are written once a second
    r = client.Get(q);
    return r.body.find(R"("app":"other")") != std::string::npos;
  })) << r.body;
  EXPECT_EQ(r.body.find(R"("app":"c")"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("gigabit"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("connection":"other")"), std::string::npos) << r.body;
  std::string metrics = client.Get("/metrics").body;
  EXPECT_NE(metrics.find("perfwatch_rum_apps_overflow_total 6"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("perfwatch_rum_connections_overflow_total 5"), std::string::npos);
}

}  // namespace
}  // namespace perfwatch
