// The real server: beacons in through POST /api/rum; with rum.percentile_interval: 1s the
// exact percentiles come back as rum_vital_percentile / rum_vital_samples through
// /api/v1/query, equal to what GET /api/v1/vitals answers for the same app, page and window.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <cmath>
#include <map>
#include <random>
#include <thread>

#include "support/http_client.h"
#include "support/server_process.h"

namespace perfwatch {
namespace {

using testing::HttpClient;
using testing::ServerProcess;

// label set rendered "page" ("" for app-wide) -> value of an instant query.
std::map<std::string, double> QueryByPage(HttpClient& client, const std::string& expr) {
  auto r = client.Get("/api/v1/query?query=" + testing::UrlEncode(expr));
  EXPECT_EQ(r.status, 200) << r.body;
  std::map<std::string, double> out;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(r.body).get(doc)) return out;
  for (simdjson::dom::element s : doc["data"]["result"].get_array()) {
    std::string_view page;
    if (s["metric"]["page"].get(page)) page = "";
    out[std::string(page)] = std::stod(std::string(std::string_view(s["value"].at(1))));
  }
  return out;
}

double VitalsP75(HttpClient& client, const std::string& page) {
  std::string q = "/api/v1/vitals?metric=LCP&window=1h&app=shop";
  if (!page.empty()) q += "&page=" + testing::UrlEncode(page);
  auto r = client.Get(q);
  EXPECT_EQ(r.status, 200) << r.body;
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(r.body);
  simdjson::dom::array groups = doc["data"]["groups"];
  EXPECT_EQ(groups.size(), 1u);
  return double(groups.at(0)["p75"]);
}

TEST(VitalPercentileTest, SeriesEqualTheVitalsApi) {
  ServerProcess server({}, "rum:\n  percentile_interval: 1s\n  percentile_window: 1h\n");
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient client(server.port());
  std::mt19937_64 rng(9);
  std::lognormal_distribution<double> lcp(8.2, 0.5);
  std::map<std::string, int> counts;
  for (int i = 0; i < 200; ++i) {
    std::string page = i % 4 ? "/search" : "/cart";
    double ms = std::round(lcp(rng));
    std::string beacon = R"({"name":"LCP","value":)" + std::to_string(ms) + R"(,"id":"v)" + std::to_string(i) +
                         R"(","sessionId":"s","url":"https://x.example)" + page + R"("})";
    ASSERT_EQ(client.Post("/api/rum?app=shop", beacon).status, 204);
    ++counts[page];
  }
  // Wait for an evaluation that has seen every beacon.
  std::map<std::string, double> samples;
  for (int i = 0; i < 100; ++i) {
    samples = QueryByPage(client, R"(rum_vital_samples{app="shop",metric="LCP"})");
    if (samples[""] == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(samples[""], 200) << server.log();
  EXPECT_EQ(samples["/cart"], counts["/cart"]);
  EXPECT_EQ(samples["/search"], counts["/search"]);
  EXPECT_EQ(samples.size(), 3u);

  auto p75 = QueryByPage(client, R"(rum_vital_percentile{app="shop",metric="LCP",percentile="75"})");
  ASSERT_EQ(p75.size(), 3u);
  for (const std::string page : {"", "/cart", "/search"}) {
    const double exact_s = VitalsP75(client, page) / 1000;  // the API answers ms
    EXPECT_NEAR(p75[page], exact_s, 1e-12) << "page=" << page;
  }
  // The metadata API knows the family.
  auto meta = client.Get("/api/v1/metadata?metric=rum_vital_percentile");
  EXPECT_EQ(meta.status, 200);
  EXPECT_NE(meta.body.find("gauge"), std::string::npos) << meta.body;
}

}  // namespace
}  // namespace perfwatch
