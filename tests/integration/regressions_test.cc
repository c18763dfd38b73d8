// Continuous watches through the real binary: a remote-written hourly latency series that
// rises 30 % 100 hours ago, watched by an `analysis.watch` expression with a 1 s evaluation
// interval, appears in GET /api/v1/regressions with the deploy posted just before it, and
// as perfwatch_regression_active = 1. (The event-store path is tested on a real EventStore
// in tests/analysis/watch_test.cc: beacons cannot be 100 hours old.)
#include <gtest/gtest.h>
#include <snappy.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <thread>

#include "common/time.h"
#include "ingest/remote_write/remote_write_encoder.h"
#include "support/http_client.h"
#include "support/server_process.h"

namespace perfwatch {
namespace {

using testing::HttpClient;
using testing::ServerProcess;

constexpr int64_t kHour = 3'600'000;

// The number after `"field":` at its first occurrence in `body` (NaN when absent).
double NumberAfter(const std::string& body, const std::string& field) {
  size_t at = body.find("\"" + field + "\":");
  if (at == std::string::npos) return std::nan("");
  return std::strtod(body.c_str() + at + field.size() + 3, nullptr);
}

TEST(RegressionsServer, AWatchedExpressionRegressesAfterADeploy) {
  ServerProcess server({}, R"(scrape:
  self_scrape: false
analysis:
  watch_interval: 1s
  watch:
    - name: checkout_latency
      expr: 'last_over_time(checkout_latency_seconds[1h])'
      step: 1h
    - name: checkout_throughput
      expr: 'last_over_time(checkout_rps[1h])'
      direction: down
)");
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient client(server.port());

  // 200 hourly points ending at the last whole hour; +30 % from point 100 (100 hours ago).
  // checkout_rps rises too, which is no regression for a `direction: down` watch.
  const int64_t now = NowMs();
  const int64_t last = now - now % kHour;
  const int64_t first = last - 199 * kHour;
  std::vector<std::pair<int64_t, double>> latency, rps;
  for (int i = 0; i < 200; ++i) {
    const double wiggle = 1 + 0.02 * ((i * 37) % 11 - 5) / 5.0;  // ±2 %, deterministic
    latency.emplace_back(first + i * kHour, (i >= 100 ? 0.26 : 0.20) * wiggle);
    rps.emplace_back(first + i * kHour, (i >= 100 ? 130 : 100) * wiggle);
  }
  std::vector<std::string> ts = {
      ingest::EncodeTimeSeries({{"__name__", "checkout_latency_seconds"}, {"service", "api"}}, latency),
      ingest::EncodeTimeSeries({{"__name__", "checkout_rps"}, {"service", "api"}}, rps)};
  std::string raw = ingest::EncodeWriteRequest(ts), body;
  snappy::Compress(raw.data(), raw.size(), &body);
  auto w = client.Post("/api/v1/write", body, "application/x-protobuf", {{"Content-Encoding", "snappy"}});
  ASSERT_EQ(w.status, 204) << w.body;

  const int64_t change = first + 100 * kHour;
  const int64_t deploy_s = (change - 30 * 60'000) / 1000;
  auto d = client.Post("/api/v1/deploys",
                       R"({"service":"api","version":"2.0.0","commit":"abc123","time":)" + std::to_string(deploy_s) + "}",
                       "application/json");
  ASSERT_TRUE(d.status == 200 || d.status == 201) << d.status << " " << d.body;

  // Wait for a pass that sees both the data and the deploy.
  std::string got;
  for (int i = 0; i < 100; ++i) {
    auto r = client.Get("/api/v1/regressions?service=api");
    ASSERT_EQ(r.status, 200) << r.body;
    got = r.body;
    if (got.find("\"version\":\"2.0.0\"") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(got.rfind(R"({"status":"success","data":[{"id":")", 0), 0u) << got;
  EXPECT_NE(got.find(R"("service":"api","metric":"checkout_latency","before":)"), std::string::npos) << got;
  EXPECT_NEAR(NumberAfter(got, "before"), 0.20, 0.004) << got;
  EXPECT_NEAR(NumberAfter(got, "after"), 0.26, 0.005) << got;
  EXPECT_NEAR(NumberAfter(got, "change"), 0.30, 0.02) << got;
  EXPECT_LT(NumberAfter(got, "p_value"), 1e-6) << got;
  EXPECT_NE(got.find("\"time\":\"" + FormatRfc3339Ms(change) + "\",\"deploy\":{"), std::string::npos) << got;
  EXPECT_NE(got.find(R"("version":"2.0.0","commit":"abc123")"), std::string::npos) << got;
  EXPECT_NE(got.find(R"("active":true)"), std::string::npos) << got;
  EXPECT_EQ(got.find("checkout_throughput"), std::string::npos) << got;  // a rise is no regression downwards

  auto none = client.Get("/api/v1/regressions?active=false");
  EXPECT_EQ(none.body, R"({"status":"success","data":[]})");
  auto bad = client.Get("/api/v1/regressions?active=yes");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find(R"("errorType":"bad_data")"), std::string::npos) << bad.body;

  auto q = client.Get("/api/v1/query?query=" + testing::UrlEncode("perfwatch_regression_active"));
  ASSERT_EQ(q.status, 200) << q.body;
  EXPECT_NE(q.body.find(R"({"metric":{"__name__":"perfwatch_regression_active","metric":"checkout_latency","service":"api"},"value":[)"),
            std::string::npos)
      << q.body;
  EXPECT_NE(q.body.find(R"(,"1"]})"), std::string::npos) << q.body;

  // The default rule is there.
  auto rules = client.Get("/api/v1/rules");
  EXPECT_NE(rules.body.find(R"("name":"PerformanceRegression")"), std::string::npos);
}

}  // namespace
}  // namespace perfwatch
