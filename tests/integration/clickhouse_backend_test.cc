// events.backend: clickhouse end to end (docs/format/clickhouse.md): a real
// clickhouse-server (Debian's 18.16) and the real perfwatch. Beacons posted to /api/rum
// reach ClickHouse exactly once (also across a ClickHouse outage with a perfwatch restart
// during it, and a lost cursor), and /api/v1/vitals answers from ClickHouse exactly as a
// perfwatch without the backend answers on the same beacons.
// Skipped when clickhouse-server is not installed.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <random>
#include <thread>

#include "support/clickhouse_server.h"
#include "support/http_client.h"
#include "support/run_perfwatch.h"
#include "support/server_process.h"

namespace perfwatch {
namespace {

using testing::ClickHouseServer;
using testing::HttpClient;
using testing::ServerProcess;

template <class F>
bool WaitFor(F&& f, int seconds = 90) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return f();
}

const char* kUas[] = {
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 "
    "Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; Pixel Tablet) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
    "Safari/537.36"};
const char* kUrls[] = {"https://shop.example/", "https://shop.example/products/123?q=1", "https://shop.example/cart",
                       "https://shop.example/a'b\\\\c"};  // JSON "a'b\\c": the page /a'b\c
const char* kNames[] = {"LCP", "INP", "CLS", "FCP", "TTFB"};

// `n` vital beacons numbered from `first` as JSON arrays of at most 500, timestamps in
// the last two hours of `now_ms`; every 10th repeats the (sessionId, id) of an earlier
// one with a later timestamp (web-vitals reporting a grown value).
std::vector<std::string> Bodies(int first, int n, int64_t now_ms, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::string> out;
  std::string body;
  for (int i = first; i < first + n; ++i) {
    const int k = static_cast<int>(rng() % 5);
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    const double value = k == 2 ? u * 0.4 : (rng() % 2 ? std::round(u * 50000) / 10 : u * 5000);
    const int id = i % 10 == 9 && i > first ? first + static_cast<int>(rng() % (i - first)) : i;
    const int64_t ts = now_ms - 7'200'000 + static_cast<int64_t>(rng() % 7'000'000) + (id != i ? 100'000 : 0);
    char buf[1024];
    std::snprintf(buf, sizeof buf,
                  R"({"type":"vital","name":"%s","value":%.17g,"id":"v-%d","sessionId":"s-%d","url":"%s",)"
                  R"("timestamp":%lld,"userAgent":"%s","connection":"%s"})",
                  kNames[k], value, id, id / 4, kUrls[rng() % 4], static_cast<long long>(ts), kUas[rng() % 3],
                  rng() % 2 ? "4g" : "wifi");
    body += body.empty() ? "[" : ",";
    body += buf;
    if ((i - first) % 500 == 499 || i == first + n - 1) {
      out.push_back(body + "]");
      body.clear();
    }
  }
  return out;
}

void Post(uint16_t port, const std::vector<std::string>& bodies) {
  HttpClient c(port);
  for (const std::string& b : bodies) {
    auto r = c.Post("/api/rum?app=shop", b);
    ASSERT_EQ(r.status, 204) << r.body;
  }
}

double Metric(uint16_t port, const std::string& name) {
  HttpClient c(port);
  auto r = c.Get("/metrics");
  size_t at = r.body.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::strtod(r.body.c_str() + at + name.size() + 2, nullptr);
}

class ClickHouseBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!ClickHouseServer::Available()) {
      GTEST_SKIP() << "clickhouse-server is not installed (apt-get install clickhouse-server): "
                      "events.backend: clickhouse is not tested";
    }
    ASSERT_TRUE(ch_.Start()) << "clickhouse-server did not start (see " << ch_.dir() << ")";
    std::ofstream(ch_.dir() / "password") << "s3cret\n";
  }
  std::string Config() const {
    return "events:\n  backend: clickhouse\n  clickhouse:\n    url: " + ch_.url() +
           "\n    database: perfwatch_it\n    user: pw\n    password_file: " + (ch_.dir() / "password").string() +
           "\n    batch_size: 700\n    min_backoff: 50ms\n    max_backoff: 500ms\n";
  }
  std::string Count(const std::string& what = "count()") {
    return ch_.Scalar("SELECT " + what + " FROM perfwatch_it.events");
  }
  ClickHouseServer ch_;
};

TEST_F(ClickHouseBackendTest, BeaconsArriveOnceAndVitalsMatchTheLocalStore) {
  ServerProcess with({}, Config());
  ServerProcess without;
  ASSERT_TRUE(with.Start()) << with.log();
  ASSERT_TRUE(without.Start()) << without.log();
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const auto bodies = Bodies(0, 3000, now_ms, 7);
  Post(with.port(), bodies);
  Post(without.port(), bodies);
  ASSERT_TRUE(WaitFor([&] { return Count() == "3000"; })) << Count() << "\n" << with.log();
  ASSERT_TRUE(WaitFor([&] { return Metric(with.port(), "perfwatch_clickhouse_events_pending") == 0; }));
  EXPECT_EQ(Metric(with.port(), "perfwatch_clickhouse_events_sent_total"), 3000);
  EXPECT_EQ(Count("uniqExact(log_partition, log_row)"), "3000");

  // The same answers, byte for byte, from ClickHouse and from the local store.
  const std::string range = "&from=" + std::to_string(now_ms / 1000 - 3 * 3600) + "&to=" + std::to_string(now_ms / 1000 + 60);
  const std::vector<std::string> queries = {
      "metric=LCP", "metric=LCP&by=page&percentile=99.9", "metric=INP&by=page,device&percentile=33.3",
      "metric=CLS&by=device,connection,browser&percentile=0", "metric=TTFB&percentile=100&device=mobile",
      "metric=FCP&by=page&page=" + testing::UrlEncode("/a'b\\c"), "metric=LCP&by=app&app=nope"};
  HttpClient a(with.port()), b(without.port());
  for (const std::string& q : queries) {
    auto ra = a.Get("/api/v1/vitals?" + q + range);
    auto rb = b.Get("/api/v1/vitals?" + q + range);
    ASSERT_EQ(ra.status, 200) << q << ": " << ra.body;
    ASSERT_EQ(rb.status, 200) << q << ": " << rb.body;
    EXPECT_EQ(ra.body, rb.body) << q;
    if (q.find("nope") == std::string::npos) EXPECT_NE(rb.body.find("\"count\":"), std::string::npos) << q;
  }
  // Bad parameters are refused as the local API refuses them.
  EXPECT_EQ(a.Get("/api/v1/vitals?metric=XYZ").status, 400);

  // A crash between ClickHouse's 200 and the cursor write loses the cursor: nothing is
  // sent twice after the restart.
  with.Stop();
  std::filesystem::remove(with.data_dir() / "clickhouse" / "cursor");
  ASSERT_TRUE(with.Start()) << with.log();
  ASSERT_TRUE(WaitFor([&] { return std::filesystem::exists(with.data_dir() / "clickhouse" / "cursor"); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(Metric(with.port(), "perfwatch_clickhouse_events_sent_total"), 0);
  EXPECT_EQ(Count(), "3000");
}

TEST_F(ClickHouseBackendTest, OutageWithARestartLosesAndDoublesNothing) {
  ServerProcess with({}, Config());
  ASSERT_TRUE(with.Start()) << with.log();
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const auto bodies = Bodies(0, 6000, now_ms, 11);  // 12 posts of 500
  // ClickHouse stops mid-load.
  Post(with.port(), std::vector<std::string>(bodies.begin(), bodies.begin() + 4));
  ch_.Stop(/*kill=*/true);
  Post(with.port(), std::vector<std::string>(bodies.begin() + 4, bodies.begin() + 8));
  ASSERT_TRUE(WaitFor([&] { return Metric(with.port(), "perfwatch_clickhouse_events_pending") > 0; }));
  // perfwatch restarts during the outage (kill -9: acknowledged beacons are in its log).
  with.Kill();
  ASSERT_TRUE(with.Start()) << with.log();
  Post(with.port(), std::vector<std::string>(bodies.begin() + 8, bodies.end()));
  ASSERT_TRUE(ch_.Start());
  ASSERT_TRUE(WaitFor([&] { return Count() == "6000"; })) << Count() << "\n" << with.log();
  ASSERT_TRUE(WaitFor([&] { return Metric(with.port(), "perfwatch_clickhouse_events_pending") == 0; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(Count(), "6000");
  EXPECT_EQ(Count("uniqExact(log_partition, log_row)"), "6000");
  EXPECT_EQ(Count("uniqExact(session_id, id, time_ms)"), "6000");
}

TEST(ClickHouseBackendConfigTest, BadBackendConfigurationStopsTheStartAndFailsTheCheck) {
  ServerProcess bad({}, "events:\n  backend: clickhouse\n");
  EXPECT_FALSE(bad.Start());
  EXPECT_NE(bad.log().find("events.clickhouse section"), std::string::npos) << bad.log();
  const auto dir = std::filesystem::temp_directory_path() / ("pw-ch-check-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "bad.yml") << "events:\n  backend: clickhouse\n  clickhouse: {url: 'http://127.0.0.1:1', password_file: missing}\n";
  std::ofstream(dir / "good.yml") << "events:\n  backend: {type: clickhouse, url: 'http://127.0.0.1:1', database: pw}\n";
  auto r = testing::RunPerfwatch("config check " + (dir / "bad.yml").string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("password_file"), std::string::npos) << r.output;
  r = testing::RunPerfwatch("config check " + (dir / "good.yml").string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace perfwatch
