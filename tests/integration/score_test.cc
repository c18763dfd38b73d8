// The performance score and the health score through the real binary: beacons with
// pageViewIds for two pages give the exact score and opportunities of docs/score.md's
// formula; GET /api/v1/health, `perfwatch health` (parts, verdict, exit codes) and the
// perfwatch_health_score series agree.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "support/http_client.h"
#include "support/run_perfwatch.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

namespace perfwatch {
namespace {

using testing::HttpClient;
using testing::RunPerfwatch;
using testing::ServerProcess;

constexpr const char* kIphone =
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.0 Mobile/15E148 Safari/604.1";
constexpr const char* kDesktop =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";

std::string Vital(const std::string& name, double value, const std::string& page_view, const std::string& path,
                  const char* ua, int id) {
  std::string b = R"({"type":"vital","name":")" + name + R"(","value":)" + std::to_string(value) + R"(,"id":"v)" +
                  std::to_string(id) + R"(","sessionId":"s1","url":"https://shop.example)" + path +
                  R"(","userAgent":")" + ua + '"';
  if (!page_view.empty()) b += R"(,"pageViewId":")" + page_view + '"';
  return b + "}";
}

class ScoreIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string rules = tmp_.Write("rules.yml", R"(groups:
  - name: shop
    interval: 1s
    rules:
      - alert: ShopSlow
        expr: vector(1)
        labels: {app: shop, severity: warning}
)");
    server_ = std::make_unique<ServerProcess>(
        std::vector<std::string>{},
        "rule_files: [" + rules +
            "]\nanalysis:\n  health:\n    interval: 1s\n    window: 1h\n"
            "    apps:\n      - app: shop\n        services: [{name: checkout, error_ratio_target: 0.02},\n"
            "                   {name: payments, error_ratio_target: 0.1, latency_p95_target: 250ms}]\n");
    ASSERT_TRUE(server_->Start()) << server_->log();
    client_ = std::make_unique<HttpClient>(server_->port());
    // pv1, desktop, /p/1: LCP 1200 (0.9), INP 500 (0.5), FCP 900 (0.9), CLS 0.25 (0.5),
    //   TTFB 200 (0.9) → 0.72
    // pv2, mobile, /p/2: LCP 2500 (0.9), CLS 0 (1) → (27 + 15) / 45 = 0.9333…
    // pv3, desktop, /: LCP 2400 (0.5) → 0.5; a beacon without pageViewId on /: INP 200 → 0.9
    // Another app's pv1 must not join shop's (its id differs: a repeated (sessionId, id)
    // would replace shop's beacon).
    const std::string beacons[] = {
        Vital("LCP", 1200, "pv1", "/p/1", kDesktop, 1),    Vital("INP", 500, "pv1", "/p/1", kDesktop, 2),
        Vital("FCP", 900, "pv1", "/p/1", kDesktop, 3),     Vital("CLS", 0.25, "pv1", "/p/1", kDesktop, 4),
        Vital("TTFB", 200, "pv1", "/p/1", kDesktop, 5),    Vital("LCP", 2500, "pv2", "/p/2", kIphone, 6),
        Vital("CLS", 0, "pv2", "/p/2", kIphone, 7),        Vital("LCP", 2400, "pv3", "/", kDesktop, 8),
        Vital("INP", 200, "", "/", kDesktop, 9),
    };
    std::string batch = "[";
    for (const auto& b : beacons) batch += (batch.size() > 1 ? "," : "") + b;
    batch += "]";
    ASSERT_EQ(client_->Post("/api/rum?app=shop", batch).status, 204);
    ASSERT_EQ(client_->Post("/api/rum?app=blog", Vital("LCP", 9000, "pv1", "/p/1", kDesktop, 100)).status, 204);
  }

  testing::TempDir tmp_{"perfwatch-score-"};
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(ScoreIntegrationTest, ScoreAndOpportunityPerPage) {
  // App: (72 + 93.333… + 50 + 90) / 4 = 76.333…; /: (50 + 90) / 2 = 70, opportunity
  // (100 − 70) × 2/4 = 15; /p/:id: 82.666…, opportunity (100 − 82.666…) × 2/4 = 8.666….
  auto r = client_->Get("/api/v1/score?app=shop&window=1h&by=page");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body,
            R"({"status":"success","data":{"score":76.33,"views":4,"pages":[)"
            R"({"page":"/","score":70,"views":2,"opportunity":15},)"
            R"({"page":"/p/:id","score":82.67,"views":2,"opportunity":8.67}]}})");
  r = client_->Get("/api/v1/score?app=shop");
  EXPECT_EQ(r.body, R"({"status":"success","data":{"score":76.33,"views":4,"pages":[]}})");
  r = client_->Get("/api/v1/score?app=blog&by=page");
  EXPECT_NE(r.body.find(R"("views":1,"pages":[{"page":"/p/:id")"), std::string::npos) << r.body;
  r = client_->Get("/api/v1/score?app=shop&by=device");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find(R"("errorType":"bad_data")"), std::string::npos) << r.body;
  // A rejected request loses nothing: the score is unchanged.
  EXPECT_EQ(client_->Get("/api/v1/score?app=shop").body,
            R"({"status":"success","data":{"score":76.33,"views":4,"pages":[]}})");
}

TEST_F(ScoreIntegrationTest, HealthApiCliAndSeries) {
  // Parts: performance 76.333… (weight 30), errors and latency left out (checkout and
  // payments served no calls), availability left out (no synthetic checks), alerts 100 − 10 = 90 for the
  // firing warning (weight 10): (30 × 76.333… + 10 × 90) / 40 = 79.75 → minor.
  std::string body;
  for (int i = 0; i < 100; ++i) {
    auto r = client_->Get("/api/v1/health?app=shop");
    ASSERT_EQ(r.status, 200) << r.body;
    body = r.body;
    if (body.find(R"("warning":1)") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(body.find(R"({"status":"success","data":{"app":"shop","score":79.75,"verdict":"minor","window":"1h",)"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find(R"({"name":"performance","included":true,"weight":30,"score":76.33,"value":76.33,"views":4,)"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find(R"({"name":"errors","included":false,"weight":25,"score":null,"services":[{"service":"checkout","value":null,"target":0.02},{"service":"payments","value":null,"target":0.1}],)"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find(R"({"name":"availability","included":false,"weight":15,"score":null,)"), std::string::npos)
      << body;
  EXPECT_NE(body.find(R"({"name":"alerts","included":true,"weight":10,"score":90,"firing":{"critical":0,"high":0,"warning":1,"info":0,"none":0},)"),
            std::string::npos)
      << body;
  EXPECT_EQ(client_->Get("/api/v1/health").status, 400);

  const std::string server = "--server http://127.0.0.1:" + std::to_string(server_->port());
  auto cli = RunPerfwatch("health " + server + " --app shop");
  EXPECT_EQ(cli.exit_code, 0) << cli.output;
  EXPECT_NE(cli.output.find("shop: health 79.8 (minor) over the last 1h"), std::string::npos) << cli.output;
  EXPECT_NE(cli.output.find("  performance     76.3  weight 30  score 76.33 over 4 page views"), std::string::npos)
      << cli.output;
  EXPECT_NE(cli.output.find("  alerts          90.0  weight 10  1 warning firing"), std::string::npos) << cli.output;
  EXPECT_NE(cli.output.find("  availability       -  weight 15  left out"), std::string::npos) << cli.output;
  EXPECT_EQ(RunPerfwatch("health " + server + " --app shop --min 70").exit_code, 0);
  cli = RunPerfwatch("health " + server + " --app shop --min 80");
  EXPECT_EQ(cli.exit_code, 1) << cli.output;
  EXPECT_NE(cli.output.find("below the minimum 80.0"), std::string::npos) << cli.output;
  EXPECT_EQ(RunPerfwatch("health " + server + " --app shop --min abc").exit_code, 2);
  EXPECT_EQ(RunPerfwatch("health " + server + " --app shop --min 101").exit_code, 2);
  EXPECT_EQ(RunPerfwatch("health " + server).exit_code, 2);                         // no --app
  EXPECT_EQ(RunPerfwatch("health " + server + " --app shop --bogus").exit_code, 2);  // unknown flag
  EXPECT_EQ(RunPerfwatch("health --server http://127.0.0.1:1 --app shop").exit_code, 2);  // unreachable

  // The series for rules, written every analysis.health.interval.
  std::string series;
  for (int i = 0; i < 100; ++i) {
    series = client_->Get("/api/v1/query?query=perfwatch_health_score").body;
    if (series.find(R"("79.75")") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(series.find(R"("metric":{"__name__":"perfwatch_health_score","app":"shop"},"value":[)"), std::string::npos)
      << series;
  EXPECT_NE(series.find(R"("79.75")"), std::string::npos) << series;
  // blog: one view, LCP 9000 desktop → 0.7267…; no alert (100): (30 × 0.7267… + 1000) / 40 = 25.545….
  EXPECT_NE(series.find(R"("app":"blog"},"value":[)"), std::string::npos) << series;
  EXPECT_NE(series.find(R"("25.55")"), std::string::npos) << series;
}

// One server span of payments: `ms` long, ending now, OK or ERROR.
std::string Span(int i, int64_t ms, bool error) {
  const int64_t end = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  char ids[128];
  std::snprintf(ids, sizeof ids, R"("traceId":"%032x","spanId":"%016x")", i + 1, i + 1);
  return std::string("{") + ids + R"(,"name":"POST /pay","kind":2,"startTimeUnixNano":")" +
         std::to_string(end - ms * 1'000'000) + R"(","endTimeUnixNano":")" + std::to_string(end) +
         R"(","status":{"code":)" + (error ? "2" : "1") + "}}";
}

std::string PaymentsBatch(int first) {
  // 8 OK spans of 20 ms and 2 ERROR spans of 300 ms.
  std::string out = R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"payments"}}]},"scopeSpans":[{"scope":{"name":"t"},"spans":[)";
  for (int i = 0; i < 10; ++i) out += (i ? "," : "") + Span(first + i, i < 8 ? 20 : 300, i >= 8);
  return out + "]}]}]}";
}

TEST_F(ScoreIntegrationTest, HealthErrorAndLatencyPartsFromSpans) {
  // Two batches a little apart, so every RED series has two samples in the window: each
  // series doubles, so rate() extrapolates all alike and the ratios are exact.
  // errors: 2 of 10 = 0.2 against 0.1 → 100 · 0.1 / 0.2 = 50.
  // latency: p95 of (8 × 20 ms, 2 × 300 ms): rank 9.5 in the (0.25, 0.5] bucket holding
  //   ranks 8–10 → 0.25 + 0.25 · 1.5/2 = 0.4375 s against 0.25 s → 100 · 0.25 / 0.4375 = 57.142857….
  // health: (30 · 76.333… + 25 · 50 + 20 · 57.142857… + 10 · 90) / 85 = 65.68 → warning.
  ASSERT_EQ(client_->Post("/v1/traces", PaymentsBatch(0)).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  ASSERT_EQ(client_->Post("/v1/traces", PaymentsBatch(100)).status, 200);
  std::string body;
  for (int i = 0; i < 100; ++i) {
    body = client_->Get("/api/v1/health?app=shop").body;
    if (body.find(R"("warning":1)") != std::string::npos && body.find(R"("score":65.68,)") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(body.find(R"("app":"shop","score":65.68,"verdict":"warning",)"), std::string::npos) << body;
  EXPECT_NE(body.find(R"({"name":"errors","included":true,"weight":25,"score":50,"services":[{"service":"checkout","value":null,"target":0.02},{"service":"payments","value":0.2,"target":0.1,"score":50}],)"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find(R"({"name":"latency","included":true,"weight":20,"score":57.14,"services":[{"service":"checkout","value":null,"target":1},{"service":"payments","value":0.4375,"target":0.25,"score":57.14}],)"),
            std::string::npos)
      << body;
  auto cli = RunPerfwatch("health --server http://127.0.0.1:" + std::to_string(server_->port()) + " --app shop --min 70");
  EXPECT_EQ(cli.exit_code, 1) << cli.output;
  EXPECT_NE(cli.output.find("shop: health 65.7 (warning)"), std::string::npos) << cli.output;
  EXPECT_NE(cli.output.find("  errors          50.0  weight 25  payments 20% (target 10%)"), std::string::npos)
      << cli.output;
  EXPECT_NE(cli.output.find("  latency         57.1  weight 20  payments 437.5 ms (target 250 ms)"), std::string::npos)
      << cli.output;
}

}  // namespace
}  // namespace perfwatch
