// The real server over loopback: beacons in through POST /api/rum, exact percentiles out
// of GET /api/v1/vitals, compared with a brute-force computation on the same values.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "support/http_client.h"
#include "support/server_process.h"

namespace perfwatch {
namespace {

using testing::HttpClient;
using testing::ServerProcess;

double BruteForcePercentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  double rank = p / 100.0 * static_cast<double>(v.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(rank));
  size_t hi = static_cast<size_t>(std::ceil(rank));
  return v[lo] + (v[hi] - v[lo]) * (rank - static_cast<double>(lo));
}

std::string Beacon(const std::string& name, double value, const std::string& url, const std::string& ua,
                   const std::string& session, const std::string& id, const std::string& connection = "4g") {
  char buf[1024];
  std::snprintf(buf, sizeof(buf),
                R"({"type":"vital","name":"%s","value":%.17g,"rating":"good","delta":%.17g,"id":"%s",)"
                R"("navigationType":"navigate","sessionId":"%s","url":"%s","userAgent":"%s","connection":"%s",)"
                R"("deviceMemory":8,"hardwareConcurrency":8})",
                name.c_str(), value, value, id.c_str(), session.c_str(), url.c_str(), ua.c_str(), connection.c_str());
  return buf;
}

const char* kMobileUa =
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.0 Mobile/15E148 Safari/604.1";
const char* kDesktopUa =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
    "Safari/537.36";

struct Group {
  std::vector<double> values;
};

class RumVitalsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start()) << server_.log(); }
  ServerProcess server_;
};

TEST_F(RumVitalsTest, PercentilesPerGroupEqualBruteForce) {
  HttpClient client(server_.port());
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> lcp(7.6, 0.5);
  const std::vector<std::string> pages = {"/products/123", "/products/987654", "/cart", "/"};
  const std::vector<std::string> page_templates = {"/products/:id", "/products/:id", "/cart", "/"};
  std::map<std::pair<std::string, std::string>, Group> expected;  // (page, device) -> values
  std::vector<double> all;
  int id = 0;
  for (int batch = 0; batch < 40; ++batch) {
    std::string body = "[";
    for (int i = 0; i < 50; ++i) {
      size_t p = rng() % pages.size();
      bool mobile = rng() % 3 == 0;
      double v = std::round(lcp(rng) * 10) / 10;
      if (i) body += ',';
      body += Beacon("LCP", v, "https://shop.example" + pages[p] + "?q=" + std::to_string(i),
                     mobile ? kMobileUa : kDesktopUa, "s" + std::to_string(id / 3), "v4-" + std::to_string(id));
      ++id;
      expected[{page_templates[p], mobile ? "mobile" : "desktop"}].values.push_back(v);
      all.push_back(v);
    }
    body += "]";
    auto r = client.Post("/api/rum", body);
    ASSERT_EQ(r.status, 204) << r.body;
  }

  auto r = client.Get("/api/v1/vitals?metric=LCP&window=1h&by=page,device&percentile=90");
  ASSERT_EQ(r.status, 200) << r.body;
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(r.body);
  EXPECT_EQ(std::string_view(doc["status"]), "success");
  EXPECT_EQ(std::string_view(doc["data"]["metric"]), "LCP");
  EXPECT_EQ(double(doc["data"]["percentile"]), 90);
  simdjson::dom::array groups = doc["data"]["groups"];
  ASSERT_EQ(groups.size(), expected.size());
  for (simdjson::dom::element g : groups) {
    std::string page{std::string_view(g["labels"]["page"])};
    std::string device{std::string_view(g["labels"]["device"])};
    ASSERT_EQ(simdjson::dom::object(g["labels"]).size(), 2u);
    auto it = expected.find(std::make_pair(page, device));
    ASSERT_NE(it, expected.end()) << page << " " << device;
    const auto& v = it->second.values;
    EXPECT_EQ(uint64_t(g["count"]), v.size());
    EXPECT_DOUBLE_EQ(double(g["value"]), BruteForcePercentile(v, 90));
    EXPECT_DOUBLE_EQ(double(g["p50"]), BruteForcePercentile(v, 50));
    EXPECT_DOUBLE_EQ(double(g["p75"]), BruteForcePercentile(v, 75));
    EXPECT_DOUBLE_EQ(double(g["p95"]), BruteForcePercentile(v, 95));
    double good = 0, poor = 0;
    for (double x : v) {
      good += x <= 2500;
      poor += x > 4000;
    }
    EXPECT_NEAR(double(g["good"]), good / v.size(), 1e-12);
    EXPECT_NEAR(double(g["poor"]), poor / v.size(), 1e-12);
    EXPECT_NEAR(double(g["needs_improvement"]), (v.size() - good - poor) / v.size(), 1e-12);
  }

  // No `by`: one group with empty labels covering everything.
  r = client.Get("/api/v1/vitals?metric=LCP");
  ASSERT_EQ(r.status, 200) << r.body;
  doc = parser.parse(r.body);
  simdjson::dom::array one = doc["data"]["groups"];
  ASSERT_EQ(one.size(), 1u);
  simdjson::dom::element g0 = one.at(0);
  EXPECT_EQ(simdjson::dom::object(g0["labels"]).size(), 0u);
  EXPECT_EQ(uint64_t(g0["count"]), all.size());
  EXPECT_DOUBLE_EQ(double(g0["p75"]), BruteForcePercentile(all, 75));

  // Filters.
  r = client.Get("/api/v1/vitals?metric=LCP&device=mobile&page=" + testing::UrlEncode("/cart"));
  ASSERT_EQ(r.status, 200) << r.body;
  doc = parser.parse(r.body);
  simdjson::dom::array filtered = doc["data"]["groups"];
  ASSERT_EQ(filtered.size(), 1u);
  const size_t cart_mobile = expected[std::make_pair(std::string("/cart"), std::string("mobile"))].values.size();
  EXPECT_EQ(uint64_t(filtered.at(0)["count"]), cart_mobile);

  // Nothing matched -> groups: [].
  r = client.Get("/api/v1/vitals?metric=INP");
  ASSERT_EQ(r.status, 200);
  doc = parser.parse(r.body);
  EXPECT_EQ(simdjson::dom::array(doc["data"]["groups"]).size(), 0u);
}

TEST_F(RumVitalsTest, RepeatedSessionAndIdReplacesTheEarlierValue) {
  HttpClient client(server_.port());
  ASSERT_EQ(client.Post("/api/rum", Beacon("CLS", 0.05, "/a", kDesktopUa, "s1", "v4-cls")).status, 204);
  ASSERT_EQ(client.Post("/api/rum", Beacon("CLS", 0.30, "/a", kDesktopUa, "s1", "v4-cls")).status, 204);
  // Without a sessionId the beacons are never merged.
  ASSERT_EQ(client.Post("/api/rum", R"([{"name":"CLS","value":0.01,"id":"x","url":"/a"},
                                        {"name":"CLS","value":0.01,"id":"x","url":"/a"}])")
                .status,
            204);
  auto r = client.Get("/api/v1/vitals?metric=CLS&percentile=100");
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(r.body);
  simdjson::dom::element g = simdjson::dom::array(doc["data"]["groups"]).at(0);
  EXPECT_EQ(uint64_t(g["count"]), 3u) << r.body;
  EXPECT_DOUBLE_EQ(double(g["value"]), 0.30);
  EXPECT_NEAR(double(g["poor"]), 1.0 / 3, 1e-12);
}

TEST_F(RumVitalsTest, EventTimeFollowsTheTimestampRule) {
  HttpClient client(server_.port());
  using namespace std::chrono;
  int64_t now_ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  auto with_ts = [&](double value, int64_t ts, const std::string& id) {
    return R"({"name":"TTFB","value":)" + std::to_string(value) + R"(,"id":")" + id + R"(","timestamp":)" +
           std::to_string(ts) + "}";
  };
  std::string body = "[" + with_ts(100, now_ms - 5 * 3600'000, "a") + "," +   // 5 h ago: kept
                     with_ts(200, now_ms - 48 * 3600'000, "b") + "," +         // too old: receive time
                     with_ts(300, now_ms + 3600'000, "c") + "]";               // future: clamped to now
  ASSERT_EQ(client.Post("/api/rum", body).status, 204);
  simdjson::dom::parser parser;
  auto count_in = [&](const std::string& query) -> uint64_t {
    auto r = client.Get("/api/v1/vitals?metric=TTFB&" + query);
    EXPECT_EQ(r.status, 200) << r.body;
    simdjson::dom::element doc = parser.parse(r.body);
    simdjson::dom::array groups = doc["data"]["groups"];
    return groups.size() == 0 ? 0 : uint64_t(groups.at(0)["count"]);
  };
  EXPECT_EQ(count_in("window=1h"), 2u);   // b and c are stamped with the receive time
  EXPECT_EQ(count_in("window=6h"), 3u);
  std::string from = std::to_string((now_ms - 6 * 3600'000) / 1000);
  std::string to = std::to_string((now_ms - 4 * 3600'000) / 1000);
  EXPECT_EQ(count_in("from=" + from + "&to=" + to), 1u);
}

TEST_F(RumVitalsTest, VitalsApiErrorsUsePrometheusShape) {
  HttpClient client(server_.port());
  for (const char* q : {"", "?metric=NOPE", "?metric=LCP&percentile=200", "?metric=LCP&by=planet",
                        "?metric=LCP&window=forever", "?metric=LCP&from=garbage"}) {
    auto r = client.Get(std::string("/api/v1/vitals") + q);
    EXPECT_EQ(r.status, 400) << q;
    simdjson::dom::parser parser;
    simdjson::dom::element doc = parser.parse(r.body);
    EXPECT_EQ(std::string_view(doc["status"]), "error") << q;
    EXPECT_EQ(std::string_view(doc["errorType"]), "bad_data") << q;
    EXPECT_FALSE(std::string_view(doc["error"]).empty()) << q;
  }
}

}  // namespace
}  // namespace perfwatch
