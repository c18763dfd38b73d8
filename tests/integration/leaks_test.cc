// Memory leaks through the real binary: five minutes of the SDK's `memory` beacons for two
// page views (one leaking 20 %/min from its third minute, one healthy, both on a GC
// sawtooth) and half an hour of a remote-written RSS series that leaks, evaluated every
// second (analysis.leak.interval: 1s), appear in GET /api/v1/leaks with the right figures,
// as perfwatch_memory_leak_active and under the default MemoryLeak rule. A memory beacon
// with a bad value is refused and loses nothing already accepted.
#include <gtest/gtest.h>
#include <snappy.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <string>
#include <thread>

#include "common/time.h"
#include "ingest/remote_write/remote_write_encoder.h"
#include "support/http_client.h"
#include "support/server_process.h"

namespace perfwatch {
namespace {

using testing::HttpClient;
using testing::ServerProcess;

double NumberAfter(const std::string& body, const std::string& field, size_t from = 0) {
  size_t at = body.find("\"" + field + "\":", from);
  if (at == std::string::npos) return std::nan("");
  return std::strtod(body.c_str() + at + field.size() + 3, nullptr);
}

// A memory beacon of page view `pv` in session `session` at `t_ms`.
std::string Memory(const std::string& session, const std::string& pv, int64_t t_ms, double bytes, int seq) {
  return R"({"type":"memory","name":"usedJSHeapSize","value":)" + std::to_string(bytes) + R"(,"id":")" + pv + "-" +
         std::to_string(seq) + R"(","pageViewId":")" + pv + R"(","sessionId":")" + session +
         R"(","timestamp":)" + std::to_string(t_ms) + R"(,"url":"https://shop.example/cart","app":"shop"})";
}

TEST(LeaksServer, RumAndRssLeaksAreFoundAndAlerted) {
  ServerProcess server({}, R"(scrape:
  self_scrape: false
analysis:
  leak:
    interval: 1s
)");
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient client(server.port());

  const int64_t now = NowMs();
  // 300 samples, one a second, ending now: a 7 s sawtooth, 20 % deep, over 40 MB; the
  // leaking page view grows 20 %/min from its 120th second.
  std::string batch = "[";
  for (int i = 0; i < 300; ++i) {
    const int64_t t = now - (299 - i) * 1000;
    const double saw = 1 + 0.2 * (i % 7) / 7.0;
    const double leak = i >= 120 ? 0.20 * (i - 120) / 60.0 : 0;
    if (batch.size() > 1) batch += ',';
    batch += Memory("s-leak", "pv-leak", t, 40e6 * (1 + leak) * saw, i) + "," +
             Memory("s-ok", "pv-ok", t, 40e6 * saw, i);
    if (i % 50 == 49) {  // several requests, as the SDK sends them
      batch += "]";
      auto r = client.Post("/api/rum", batch);
      ASSERT_EQ(r.status, 204) << r.body;
      batch = "[";
    }
  }
  // A bad beacon is refused with a reason; the accepted ones stay.
  auto bad = client.Post("/api/rum", R"([{"type":"memory","name":"usedJSHeapSize","value":"lots","sessionId":"s-x",)"
                                     R"("url":"https://shop.example/cart"}])");
  EXPECT_EQ(bad.status, 400) << bad.body;

  // Half an hour of RSS every 15 s: flat, then +10 %/min for the last 15 minutes.
  std::vector<std::pair<int64_t, double>> rss;
  for (int i = 0; i < 120; ++i) {
    const double minutes = i * 0.25;
    rss.emplace_back(now - (119 - i) * 15'000, 300e6 * (1 + (minutes >= 15 ? 0.10 * (minutes - 15) : 0)));
  }
  std::string raw = ingest::EncodeWriteRequest({ingest::EncodeTimeSeries(
                        {{"__name__", "process_resident_memory_bytes"}, {"instance", "api-1:9100"}, {"job", "api"}}, rss)}),
              body;
  snappy::Compress(raw.data(), raw.size(), &body);
  auto w = client.Post("/api/v1/write", body, "application/x-protobuf", {{"Content-Encoding", "snappy"}});
  ASSERT_EQ(w.status, 204) << w.body;

  std::string got;
  for (int i = 0; i < 100; ++i) {
    auto r = client.Get("/api/v1/leaks?leaking=true");
    ASSERT_EQ(r.status, 200) << r.body;
    got = r.body;
    if (got.find("\"source\":\"rum\"") != std::string::npos && got.find("\"source\":\"tsdb\"") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const size_t rum = got.find(R"({"source":"rum","metric":"usedJSHeapSize","leaking":true,)");
  ASSERT_NE(rum, std::string::npos) << got.substr(0, 1500);
  EXPECT_NEAR(NumberAfter(got, "growth_ratio_per_min", rum), 0.20, 0.06) << got.substr(rum, 600);
  EXPECT_NE(got.find(R"("app":"shop","page":"/cart","sessions":2,"sessions_leaking":1,"sessions_leaking_ratio":0.5,)", rum),
            std::string::npos)
      << got.substr(rum, 800);
  EXPECT_NE(got.find(R"("sessions_detail":[{"session":"s-leak/pv-leak","leaking":true)", rum), std::string::npos);
  const size_t tsdb = got.find(R"({"source":"tsdb","metric":"process_resident_memory_bytes","leaking":true,)");
  ASSERT_NE(tsdb, std::string::npos) << got.substr(0, 1500);
  EXPECT_NEAR(NumberAfter(got, "growth_bytes_per_min", tsdb), 30e6, 6e6) << got.substr(tsdb, 600);
  EXPECT_NE(got.find(R"("job":"api","instance":"api-1:9100")", tsdb), std::string::npos);

  auto q = client.Get("/api/v1/query?query=" + testing::UrlEncode("perfwatch_memory_leak_active == 1"));
  ASSERT_EQ(q.status, 200) << q.body;
  EXPECT_NE(q.body.find(R"("app":"shop","metric":"usedJSHeapSize","page":"/cart")"), std::string::npos) << q.body;
  EXPECT_NE(q.body.find(R"("instance":"api-1:9100","job":"api","metric":"process_resident_memory_bytes")"),
            std::string::npos)
      << q.body;

  auto filtered = client.Get("/api/v1/leaks?source=rum&app=blog");
  EXPECT_EQ(filtered.body, R"({"status":"success","data":[]})");
  auto bad_param = client.Get("/api/v1/leaks?source=disk");
  EXPECT_EQ(bad_param.status, 400);
  EXPECT_NE(bad_param.body.find(R"("errorType":"bad_data")"), std::string::npos) << bad_param.body;

  auto rules = client.Get("/api/v1/rules");
  EXPECT_NE(rules.body.find(R"("name":"MemoryLeak")"), std::string::npos);
}

}  // namespace
}  // namespace perfwatch
