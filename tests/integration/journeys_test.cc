// Journeys, measures and attribution through the real binary: journey beacons (three
// completing sessions, one abandoned mid-way, one failing; one abandoned beacon replaced by
// its final one) and measure beacons are posted to /api/rum; GET /api/v1/journeys counts
// them right once rum.journey_timeout (1s here) has passed, rum_journeys_total and
// rum_measure_seconds reach the TSDB (/api/v1/query), GET /api/v1/vitals/attribution
// reports the LCP element with its subparts, and bad parameters are 400.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "common/time.h"
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

std::string Journey(const std::string& session, const std::string& id, const std::string& outcome, double ms,
                    const std::string& steps, int64_t t) {
  return R"({"type":"journey","name":"checkout","value":)" + std::to_string(ms) + R"(,"id":"j-)" + id +
         R"(","journeyId":")" + id + R"(","outcome":")" + outcome + R"(","target":5000,"steps":)" + steps +
         R"(,"startedAt":)" + std::to_string(t - 10000) + R"(,"sessionId":")" + session + R"(","timestamp":)" +
         std::to_string(t) + R"(,"url":"https://shop.example/cart","app":"shop"})";
}

constexpr const char* k3 =
    R"([{"name":"cart","t":0,"d":500},{"name":"address","t":500,"d":1000},{"name":"pay","t":1500,"d":1500}])";
constexpr const char* k2 = R"([{"name":"cart","t":0,"d":600},{"name":"address","t":600,"d":900}])";

// The value of the first sample of an instant query's answer (NaN when empty).
double QueryValue(HttpClient& client, const std::string& promql) {
  auto r = client.Get("/api/v1/query?query=" + testing::UrlEncode(promql));
  if (r.status != 200) return std::nan("");
  size_t at = r.body.find("\"value\":[");
  if (at == std::string::npos) return std::nan("");
  at = r.body.find(",\"", at);
  return std::strtod(r.body.c_str() + at + 2, nullptr);
}

TEST(JourneysServer, JourneysMeasuresAndAttribution) {
  ServerProcess server({}, R"(scrape:
  self_scrape: false
rum:
  journey_timeout: 1s
)");
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient client(server.port());
  const int64_t now = NowMs();

  // s3 first reports "abandoned" on pagehide, then completes on the next page.
  auto r = client.Post("/api/rum", "[" + Journey("s1", "1", "completed", 3000, k3, now - 5000) + "," +
                                       Journey("s2", "2", "completed", 6000, k3, now - 5000) + "," +
                                       Journey("s3", "3", "abandoned", 1500, k2, now - 6000) + "," +
                                       Journey("s4", "4", "abandoned", 1500, k2, now - 5000) + "," +
                                       Journey("s5", "5", "failed", 2500, k3, now - 5000) + "]");
  ASSERT_EQ(r.status, 204) << r.body;
  r = client.Post("/api/rum", "[" + Journey("s3", "3", "completed", 4000, k3, now - 4000) + "]");
  ASSERT_EQ(r.status, 204) << r.body;
  r = client.Post("/api/rum",
                  R"([{"type":"measure","name":"hydrate","value":40,"sessionId":"s1","url":"https://shop.example/cart","app":"shop"},)"
                  R"({"type":"measure","name":"hydrate","value":80,"sessionId":"s2","url":"https://shop.example/cart","app":"shop"},)"
                  R"({"type":"vital","name":"LCP","value":2500,"id":"v1","sessionId":"s1","url":"https://shop.example/cart","app":"shop",)"
                  R"("attribution":{"element":"img.hero","url":"https://shop.example/hero.jpg","ttfb":300,"loadDelay":400,"loadDuration":1300,"renderDelay":500}}])");
  ASSERT_EQ(r.status, 204) << r.body;
  // Bad input: refused, nothing accepted lost.
  EXPECT_EQ(client.Post("/api/rum", R"([{"type":"journey","name":"checkout","value":"slow","sessionId":"s9"}])").status,
            400);

  // The API: once the timeout has passed, s4 is abandoned.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto j = client.Get("/api/v1/journeys?app=shop&name=checkout&window=1h");
  ASSERT_EQ(j.status, 200) << j.body;
  EXPECT_EQ(NumberAfter(j.body, "started"), 5) << j.body;
  EXPECT_EQ(NumberAfter(j.body, "completed"), 3) << j.body;
  EXPECT_EQ(NumberAfter(j.body, "failed"), 1) << j.body;
  EXPECT_EQ(NumberAfter(j.body, "abandoned"), 1) << j.body;
  EXPECT_EQ(NumberAfter(j.body, "completion_rate"), 0.6) << j.body;
  EXPECT_NE(j.body.find(R"("bottleneck":{"slowest_step":"pay","largest_drop_off":"pay"})"), std::string::npos)
      << j.body;

  // The series (written by the aggregator's thread every second; the sweep counts s4).
  double completed = std::nan(""), abandoned = std::nan(""), measures = std::nan("");
  for (int i = 0; i < 100; ++i) {
    completed = QueryValue(client, R"(sum(rum_journeys_total{app="shop",name="checkout",outcome="completed"}))");
    abandoned = QueryValue(client, R"(sum(rum_journeys_total{app="shop",name="checkout",outcome="abandoned"}))");
    measures = QueryValue(client, R"(sum(rum_measure_seconds_count{app="shop",name="hydrate"}))");
    if (completed == 3 && abandoned == 1 && measures == 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(completed, 3);
  EXPECT_EQ(abandoned, 1);
  EXPECT_EQ(measures, 2);
  EXPECT_EQ(QueryValue(client, R"(sum(rum_journeys_total{outcome="failed"}))"), 1);
  EXPECT_NEAR(QueryValue(client, R"(sum(rum_measure_seconds_sum{name="hydrate"}))"), 0.12, 1e-9);
  auto meta = client.Get("/api/v1/metadata?metric=rum_journeys_total");
  EXPECT_NE(meta.body.find("\"counter\""), std::string::npos) << meta.body;

  auto a = client.Get("/api/v1/vitals/attribution?metric=LCP&app=shop&window=1h");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_NE(a.body.find(R"("selector":"img.hero","count":1,"share":1,"p75":2500,"subparts":{"ttfb":300,"loadDelay":400,"loadDuration":1300,"renderDelay":500}})"),
            std::string::npos)
      << a.body;
  EXPECT_EQ(client.Get("/api/v1/vitals/attribution?metric=TTFB").status, 400);
  EXPECT_EQ(client.Get("/api/v1/journeys?window=never").status, 400);
  // The vitals endpoint beside it still answers.
  EXPECT_EQ(client.Get("/api/v1/vitals?metric=LCP&window=1h").status, 200);
}

// Abandoned journeys survive a restart (rum.journey_timeout 6s): j1 and j2 report
// "abandoned", the server is killed (kill -9) before the timeout passes and started again;
// j2 then completes (counted as completed, its abandoned beacon never counted), and j1 is
// counted as abandoned once its timeout passes, once, by the restarted server.
TEST(JourneysServer, AbandonedJourneysSurviveARestart) {
  ServerProcess server({}, R"(scrape:
  self_scrape: false
rum:
  journey_timeout: 6s
)");
  ASSERT_TRUE(server.Start()) << server.log();
  const int64_t now = NowMs();
  {
    HttpClient client(server.port());
    auto r = client.Post("/api/rum", "[" + Journey("r1", "1", "abandoned", 1500, k2, now) + "," +
                                         Journey("r2", "2", "abandoned", 1500, k2, now) + "]");
    ASSERT_EQ(r.status, 204) << r.body;
  }
  server.Kill();
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient client(server.port());
  ASSERT_LT(NowMs() - now, 6000) << "the restart took longer than the journey timeout";
  auto r = client.Post("/api/rum", "[" + Journey("r2", "2", "completed", 4000, k3, NowMs()) + "]");
  ASSERT_EQ(r.status, 204) << r.body;

  const std::string kAbandoned = R"(sum(rum_journeys_total{app="shop",name="checkout",outcome="abandoned"}))";
  const std::string kCompleted = R"(sum(rum_journeys_total{app="shop",name="checkout",outcome="completed"}))";
  double abandoned = std::nan(""), completed = std::nan("");
  for (int i = 0; i < 150; ++i) {  // the timeout (6 s from the beacons) plus a sweep (1 s)
    abandoned = QueryValue(client, kAbandoned);
    completed = QueryValue(client, kCompleted);
    if (abandoned == 1 && completed == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(abandoned, 1) << server.log();
  EXPECT_EQ(completed, 1) << server.log();
  EXPECT_TRUE(std::filesystem::exists(server.data_dir() / "rum-journeys.json"));
  // Counted once: neither a later sweep nor another restart counts j1 again.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ASSERT_TRUE(server.Restart()) << server.log();
  HttpClient again(server.port());
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(QueryValue(again, kAbandoned), 1);
  EXPECT_EQ(QueryValue(again, kCompleted), 1);
}

}  // namespace
}  // namespace perfwatch
