// RUM vitals posted to the real server become rum_* histogram series in the TSDB whose
// bucket counts equal a brute-force count per label set (DESIGN.md "RUM aggregates").
#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>
#include <random>
#include <thread>

#include "support/http_client.h"
#include "support/server_process.h"

namespace perfwatch {
namespace {

using testing::HttpClient;
using testing::ServerProcess;

TEST(RumAggregatesTest, BucketCountsMatchBruteForceAndRepeatsCountOnce) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient client(server.port());
  std::mt19937_64 rng(5);
  std::lognormal_distribution<double> lcp(7.7, 0.6);
  const std::vector<double> bounds_s = {2.5, 4};  // thresholds every bucket layout must hold
  std::map<std::string, std::vector<double>> values;  // page -> LCP seconds
  for (int i = 0; i < 300; ++i) {
    std::string page = i % 3 ? "/p/" + std::to_string(i) : "/cart";
    double ms = std::round(lcp(rng));
    values[i % 3 ? "/p/:id" : "/cart"].push_back(ms / 1000);
    std::string beacon = R"({"name":"LCP","value":)" + std::to_string(ms) + R"(,"id":"v)" + std::to_string(i) +
                         R"(","sessionId":"s","url":"https://x.example)" + page + R"(","connection":"4g"})";
    ASSERT_EQ(client.Post("/api/rum?app=shop", beacon).status, 204);
    if (i == 7) {  // a repeat: counted once
      ASSERT_EQ(client.Post("/api/rum?app=shop", beacon).status, 204);
    }
  }
  // The aggregates are written once a second: wait for the count to arrive.
  const std::string query =
      "/api/v1/export?match[]=" + testing::UrlEncode("{__name__=~\"rum_lcp_seconds_(bucket|count)\"}");
  testing::HttpResponse r;
  for (int i = 0; i < 60; ++i) {
    r = client.Get(query);
    ASSERT_EQ(r.status, 200) << r.body;
    // Both pages' latest counts (100 for /cart, 200 for /p/:id) are in.
    auto has_last = [&](const std::string& v) {
      return r.body.find("," + v + "],") != std::string::npos || r.body.find("[" + v + "],") != std::string::npos;
    };
    if (has_last("100") && has_last("200")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  simdjson::dom::parser parser;
  int checked = 0;
  size_t start = 0;
  while (start < r.body.size()) {
    size_t end = r.body.find('\n', start);
    simdjson::dom::element line = parser.parse(r.body.substr(start, end - start));
    start = end + 1;
    simdjson::dom::object metric = line["metric"];
    EXPECT_EQ(std::string_view(metric["app"]), "shop");
    EXPECT_EQ(std::string_view(metric["device"]), "desktop");
    EXPECT_EQ(std::string_view(metric["connection"]), "4g");
    std::string page{std::string_view(metric["page"])};
    ASSERT_TRUE(values.count(page)) << page;
    simdjson::dom::array samples = line["values"];
    double last = double(samples.at(samples.size() - 1));
    std::string_view name = metric["__name__"];
    if (name == "rum_lcp_seconds_count") {
      EXPECT_EQ(last, values[page].size());
      ++checked;
      continue;
    }
    std::string_view le = metric["le"];
    double bound = le == "+Inf" ? INFINITY : std::stod(std::string(le));
    double want = 0;
    for (double v : values[page]) want += v <= bound;
    EXPECT_EQ(last, want) << page << " le=" << le;
    // Counters never decrease.
    double prev = 0;
    for (simdjson::dom::element v : samples) {
      EXPECT_GE(double(v), prev);
      prev = double(v);
    }
    for (double b : bounds_s) {
      if (bound == b) ++checked;
    }
  }
  EXPECT_EQ(checked, 2 * 2 + 2) << "both pages: the 2.5 and 4 s buckets and the count";
}

}  // namespace
}  // namespace perfwatch
