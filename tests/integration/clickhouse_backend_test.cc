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

// The JSON value of the first `"key":` in `json` (an object, array, string or scalar, with
// strings' brackets and escapes skipped); "" when absent.
std::string JsonValue(const std::string& json, const std::string& key) {
  const size_t at = json.find("\"" + key + "\":");
  if (at == std::string::npos) return "";
  const size_t start = at + key.size() + 3;
  int depth = 0;
  bool in_string = false;
  for (size_t i = start; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      if (!in_string && depth == 0) return json.substr(start, i + 1 - start);
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{' || c == '[') ++depth;
    else if (c == '}' || c == ']') {
      if (depth == 0) return json.substr(start, i - start);
      if (--depth == 0) return json.substr(start, i + 1 - start);
    } else if (c == ',' && depth == 0) {
      return json.substr(start, i - start);
    }
  }
  return json.substr(start);
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
    if (q.find("nope") == std::string::npos) {
      EXPECT_NE(rb.body.find("\"count\":"), std::string::npos) << q;
    }
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

// Page views as the SDK reports them: a navigation, LCP and INP with attribution, the
// resource summary with the slowest resources, and journeys; some LCPs reported again
// (grown) under the same id. Timestamps in [now - 3h, now - 1h].
std::vector<std::string> PageViews(int n, int64_t now_ms, uint32_t seed) {
  std::mt19937 rng(seed);
  const char* pages[] = {"https://shop.example/", "https://shop.example/products/7", "https://shop.example/cart"};
  const char* heroes[] = {"https://shop.example/img/hero.jpg", "https://cdn.example/banner.png"};
  const char* targets[] = {"button#buy", "input.search", "a.menu"};
  std::vector<std::string> out;
  std::string body;
  auto add = [&](const std::string& beacon) { body += (body.empty() ? "[" : ",") + beacon; };
  for (int i = 0; i < n; ++i) {
    const std::string pv = "pv" + std::to_string(i), sid = "s" + std::to_string(i / 3);
    const int64_t t = now_ms - 3 * 3'600'000 + static_cast<int64_t>(rng() % 7'000'000);
    const std::string common = R"("sessionId":")" + sid + R"(","pageViewId":")" + pv + R"(","url":")" +
                               pages[rng() % 3] + R"(","userAgent":")" + kUas[rng() % 3] + R"(","timestamp":)";
    const int lcp = 800 + static_cast<int>(rng() % 4000), ttfb = 100 + static_cast<int>(rng() % 500);
    const char* hero = heroes[rng() % 2];
    add(R"({"type":"navigation","id":")" + pv + R"(-nav","value":)" + std::to_string(lcp + 300) + "," + common +
        std::to_string(t) + R"(,"load":)" + std::to_string(lcp + 300) + "}");
    add(R"({"type":"vital","name":"LCP","id":")" + pv + R"(-lcp","value":)" + std::to_string(lcp) + "," + common +
        std::to_string(t + 1) + R"(,"attribution":{"element":"img.hero","url":")" + hero + R"(","ttfb":)" +
        std::to_string(ttfb) + R"(,"loadDelay":200,"loadDuration":)" + std::to_string(lcp - ttfb - 400) +
        R"(,"renderDelay":200}})");
    if (i % 4 == 0) {  // reported again, grown
      add(R"({"type":"vital","name":"LCP","id":")" + pv + R"(-lcp","value":)" + std::to_string(lcp + 500) + "," +
          common + std::to_string(t + 2000) + R"(,"attribution":{"element":"h1","ttfb":)" + std::to_string(ttfb) +
          R"(,"loadDelay":0,"loadDuration":0,"renderDelay":)" + std::to_string(lcp + 500 - ttfb) + "}}");
    }
    const int inp = 40 + static_cast<int>(rng() % 600);
    add(R"({"type":"vital","name":"INP","id":")" + pv + R"(-inp","value":)" + std::to_string(inp) + "," + common +
        std::to_string(t + 5000) + R"(,"attribution":{"target":")" + targets[rng() % 3] +
        R"(","inputDelay":10,"processing":)" + std::to_string(inp - 30) +
        R"(,"presentation":20,"scripts":[{"src":"https://shop.example/app.js","fn":"onClick","invoker":"click","dur":)" +
        std::to_string(inp - 40) + "}]}}");
    add(R"({"type":"vital","name":"CLS","id":")" + pv + R"(-cls","value":)" + std::to_string((rng() % 40) / 100.0) +
        "," + common + std::to_string(t + 6000) + R"(,"attribution":{"target":")" + targets[rng() % 3] + "\"}}");
    const int z = 1000 + static_cast<int>(rng() % 300000);
    add(R"({"type":"slow-resources","id":")" + pv + R"(-r","value":3,)" + common + std::to_string(t + 7000) +
        R"(,"summary":{"byType":{"css":{"n":1},"img":{"n":1},"script":{"n":1}},"firstParty":{"transfer":)" +
        std::to_string(z + 9000) + R"(}},"resources":[)"
        R"({"u":"https://shop.example/css/main.css","i":"link","t":"css","rb":1,"s":20,"d":300,"dns":5,"tcp":10,"tls":15,"req":100,"res":170,"z":5000,"e":4000,"b":20000},)"
        R"({"u":")" + std::string(hero) + R"(","i":"img","t":"img","lcp":1,"s":900,"d":)" + std::to_string(lcp / 3) +
        R"(,"z":)" + std::to_string(z) + R"(,"e":)" + std::to_string(z) + R"(,"b":)" + std::to_string(z) + "},"
        R"({"u":"https://cdn.third.example/lib.js","i":"script","t":"script","tp":1,"s":30,"d":100,"z":10000,"e":3000,"b":10000}]})");
    if (i % 5 == 0) {
      const char* outcome[] = {"completed", "failed", "abandoned"};
      add(R"({"type":"journey","name":"checkout","value":)" + std::to_string(2000 + rng() % 5000) + R"(,"id":"j-)" +
          pv + R"(","journeyId":")" + pv + R"(","outcome":")" + outcome[rng() % 3] +
          R"(","target":5000,"steps":[{"name":"cart","t":0,"d":600},{"name":"pay","t":600,"d":900}],"startedAt":)" +
          std::to_string(t - 10000) + "," + common + std::to_string(t + 8000) + "}");
    }
    if (i % 6 == 0) {  // errors of three groups, each with its stack
      const std::string type = std::vector<std::string>{"TypeError", "RangeError", "ReferenceError"}[rng() % 3];
      add(R"({"type":"error","name":")" + type + R"(","message":"Uncaught )" + type + R"(: order missing",)" +
          R"("stack":")" + type + R"(: order missing\n    at render)" + type +
          R"( (https://shop.example/assets/app.js:10:20)\n    at https://cdn.example/react.js:1:1",)" + common +
          std::to_string(t + 9000 + i) + "}");
    }
    if (i % 50 == 49 || i == n - 1) {
      out.push_back(body + "]");
      body.clear();
    }
  }
  return out;
}

// Every event API answers from ClickHouse: a perfwatch that received nothing itself (a
// second edge, or the evaluator) answers as a perfwatch that received everything locally.
TEST_F(ClickHouseBackendTest, EventApisAnswerFromClickHouseAsTheLocalStore) {
  ServerProcess edge({}, Config());
  ServerProcess local;
  ServerProcess reader({}, Config());
  ASSERT_TRUE(edge.Start()) << edge.log();
  ASSERT_TRUE(local.Start()) << local.log();
  ASSERT_TRUE(reader.Start()) << reader.log();
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const auto bodies = PageViews(400, now_ms, 5);
  Post(edge.port(), bodies);
  Post(local.port(), bodies);
  ASSERT_TRUE(WaitFor([&] {
    return Metric(edge.port(), "perfwatch_clickhouse_events_pending") == 0 &&
           Metric(edge.port(), "perfwatch_clickhouse_events_sent_total") > 2000;
  })) << edge.log();
  const auto sent = static_cast<long long>(Metric(edge.port(), "perfwatch_clickhouse_events_sent_total"));
  ASSERT_EQ(Count(), std::to_string(sent));
  ASSERT_TRUE(WaitFor([&] {
    return Metric(edge.port(), "perfwatch_clickhouse_errors_pending") == 0 &&
           Metric(edge.port(), "perfwatch_clickhouse_errors_sent_total") == 67;  // 400 page views / 6
  })) << edge.log();

  const std::string range =
      "&from=" + std::to_string(now_ms / 1000 - 4 * 3600) + "&to=" + std::to_string(now_ms / 1000 + 60);
  std::vector<std::string> queries = {
      "/api/v1/vitals/series?metric=LCP&by=page&step=15m&percentile=90",
      "/api/v1/vitals/series?metric=INP&step=1h&device=mobile",
      "/api/v1/vitals/histogram?metric=LCP&buckets=12",
      "/api/v1/vitals/histogram?metric=CLS&by=page",
      "/api/v1/vitals/attribution?metric=LCP&app=shop",
      "/api/v1/vitals/attribution?metric=INP&page=/cart",
      "/api/v1/vitals/attribution?metric=CLS",
      "/api/v1/network?app=shop",
      "/api/v1/network?app=shop&page=/products/:id",
      "/api/v1/journeys?app=shop",
      "/api/v1/journeys?name=nope",
      "/api/v1/score?app=shop&by=page",
      "/api/v1/vitals?metric=LCP&by=page,device",
      "/api/v1/errors?app=shop&start=" + std::to_string(now_ms / 1000 - 4 * 3600),
      "/api/v1/errors?sort=last_seen&limit=2&start=" + std::to_string(now_ms / 1000 - 4 * 3600)};
  HttpClient r(reader.port()), l(local.port()), e(edge.port());
  // Each error group's detail too (its fingerprint from the local list).
  {
    auto list = l.Get(queries[queries.size() - 2]);
    for (size_t at = 0; (at = list.body.find(R"("fingerprint":")", at)) != std::string::npos; at += 16) {
      queries.push_back("/api/v1/errors/" + list.body.substr(at + 15, 16) + "?start=" +
                        std::to_string(now_ms / 1000 - 4 * 3600));
    }
    ASSERT_EQ(queries.size(), 18u) << list.body;
  }
  for (const std::string& q : queries) {
    auto from_reader = r.Get(q + range);
    auto from_local = l.Get(q + range);
    ASSERT_EQ(from_local.status, 200) << q << ": " << from_local.body;
    ASSERT_EQ(from_reader.status, 200) << q << ": " << from_reader.body;
    EXPECT_EQ(from_reader.body, from_local.body) << q;
    EXPECT_EQ(e.Get(q + range).body, from_local.body) << q;
    if (q.find("nope") == std::string::npos) {
      EXPECT_GT(from_local.body.size(), 120u) << q << ": " << from_local.body;
    }
  }
  // The Server page's backends: where each reads from, and what each table's forwarder did.
  auto backends = e.Get("/api/v1/status/backends");
  ASSERT_EQ(backends.status, 200) << backends.body;
  EXPECT_NE(backends.body.find(R"("query":{"type":"local"},"events":{"type":"clickhouse","url":")" + ch_.url()),
            std::string::npos)
      << backends.body;
  EXPECT_NE(backends.body.find(R"({"table":"events","sent":)" + std::to_string(sent) + R"(,"pending":0,)"),
            std::string::npos)
      << backends.body;
  for (const char* t : {"spans", "errors"}) {
    EXPECT_NE(backends.body.find(std::string(R"({"table":")") + t + R"(","sent":)"), std::string::npos) << backends.body;
  }
  EXPECT_EQ(l.Get("/api/v1/status/backends").body,
            R"({"status":"success","data":{"query":{"type":"local"},"events":{"type":"local"}}})");

  // The report's event sections and a deploy's impact read ClickHouse too. An error group
  // first seen after the deploy (sent to the edge and to the local instance); the deploy
  // marker is each instance's own.
  const int64_t deploy_s = now_ms / 1000 - 2 * 3600;
  const std::string late_error =
      R"x([{"type":"error","name":"SyntaxError","message":"Unexpected token","stack":"SyntaxError: Unexpected token\n    at parse (https://shop.example/assets/app.js:3:4)","sessionId":"late","pageViewId":"late-pv","url":"https://shop.example/cart","timestamp":)x" +
      std::to_string((deploy_s + 600) * 1000) + "}]";
  Post(edge.port(), {late_error});
  Post(local.port(), {late_error});
  ASSERT_TRUE(WaitFor([&] {
    return Metric(edge.port(), "perfwatch_clickhouse_errors_pending") == 0 &&
           Metric(edge.port(), "perfwatch_clickhouse_errors_sent_total") == 68;
  })) << edge.log();
  const std::string report = "/api/v1/report?app=shop&format=json&window=1d&to=" + std::to_string(now_ms / 1000 + 60);
  auto report_r = r.Get(report), report_l = l.Get(report);
  ASSERT_EQ(report_l.status, 200) << report_l.body;
  ASSERT_EQ(report_r.status, 200) << report_r.body;
  for (const char* key : {"vitals", "score", "slowest_pages", "findings", "errors", "notes"}) {
    EXPECT_EQ(JsonValue(report_r.body, key), JsonValue(report_l.body, key)) << key;
    if (std::string_view(key) != "notes") {
      EXPECT_GT(JsonValue(report_l.body, key).size(), 20u) << key << ": " << report_l.body;
    }
  }
  const std::string deploy = R"({"app":"shop","version":"2.0.0","time":)" + std::to_string(deploy_s) + "}";
  std::string impact[2];
  for (int i = 0; i < 2; ++i) {
    HttpClient& c = i == 0 ? r : l;
    auto posted = c.Post("/api/v1/deploys", deploy);
    ASSERT_EQ(posted.status, 200) << posted.body;
    auto got = c.Get("/api/v1/deploys/" + JsonValue(posted.body, "id").substr(1, 16) + "/impact?window=1h");
    ASSERT_EQ(got.status, 200) << got.body;
    impact[i] = got.body.substr(got.body.find(R"(,"window":)"));  // after the deploy (its id is the instance's)
  }
  EXPECT_EQ(impact[0], impact[1]);
  EXPECT_NE(impact[1].find(R"("type":"SyntaxError")"), std::string::npos) << impact[1];
  EXPECT_NE(impact[1].find(R"("page":"/cart")"), std::string::npos) << impact[1];

  // Bad parameters: the local API's 400.
  EXPECT_EQ(r.Get("/api/v1/vitals/series?metric=LCP&step=1s&from=0").status, 400);
  EXPECT_EQ(r.Get("/api/v1/network?window=x").status, 400);

  // ClickHouse down: the event APIs say so (503), and ingest goes on into the local log.
  ch_.Stop(/*kill=*/true);
  for (const char* q : {"/api/v1/network?app=shop", "/api/v1/vitals/series?metric=LCP", "/api/v1/journeys",
                        "/api/v1/vitals/attribution?metric=LCP", "/api/v1/score", "/api/v1/traces",
                        "/api/v1/traces/0123456789abcdef0123456789abcdef", "/api/v1/errors",
                        "/api/v1/errors/0123456789abcdef"}) {
    auto down = r.Get(q);
    EXPECT_EQ(down.status, 503) << q << ": " << down.body;
    EXPECT_NE(down.body.find("\"errorType\":\"unavailable\""), std::string::npos) << down.body;
  }
  // The report answers without its event sections and says why.
  auto report_down = r.Get(report);
  EXPECT_EQ(report_down.status, 200) << report_down.body;
  for (const char* section : {"vitals: ", "score: ", "top errors: "}) {
    EXPECT_NE(JsonValue(report_down.body, "notes").find(section), std::string::npos) << report_down.body;
  }
  EXPECT_EQ(HttpClient(edge.port()).Post("/api/rum?app=shop", bodies.front()).status, 204);
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
