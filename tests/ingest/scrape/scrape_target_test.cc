#include "ingest/scrape/scrape_target.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "ingest/scrape/scrape_gzip.h"

namespace perfwatch::ingest {
namespace {

TEST(ScrapeTargetTest, TargetLabelsAndUrlFromConfig) {
  auto c = ParseConfig(R"(
scrape: {max_body_bytes: 4096, max_samples_per_scrape: 10}
scrape_configs:
  - job_name: node
    scrape_interval: 30s
    static_configs:
      - targets: ["10.0.0.1:9100", "10.0.0.2:9100"]
        labels: {env: prod}
      - targets: ["10.0.0.3:9100"]
        labels: {instance: db-1, job: database}
  - job_name: probe
    metrics_path: /probe
    params: {module: [http_2xx]}
    honor_labels: true
    static_configs: [{targets: ["localhost:9115"]}]
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  auto targets = TargetsFromConfig(*c);
  ASSERT_EQ(targets.size(), 4u);
  EXPECT_EQ(targets[0].labels, tsdb::Labels::FromPairs({{"env", "prod"}, {"instance", "10.0.0.1:9100"}, {"job", "node"}}));
  EXPECT_EQ(targets[0].address, "10.0.0.1:9100");
  EXPECT_EQ(targets[0].path_and_query, "/metrics");
  EXPECT_EQ(targets[0].interval_ms, 30'000);
  EXPECT_EQ(targets[0].timeout_ms, 10'000);
  EXPECT_EQ(targets[0].max_body_bytes, 4096u);
  EXPECT_EQ(targets[0].max_samples, 10u);
  // Static labels may set job and instance themselves (as in Prometheus).
  EXPECT_EQ(targets[2].labels, tsdb::Labels::FromPairs({{"instance", "db-1"}, {"job", "database"}}));
  EXPECT_EQ(targets[2].address, "10.0.0.3:9100");
  EXPECT_EQ(targets[3].path_and_query, "/probe?module=http_2xx");
  EXPECT_TRUE(targets[3].honor_labels);
  EXPECT_EQ(targets[3].Key(), "probe/localhost:9115");
}

TEST(ScrapeTargetTest, BuildScrapePathEncodesAndKeepsOrder) {
  EXPECT_EQ(BuildScrapePath("/metrics", {}), "/metrics");
  EXPECT_EQ(BuildScrapePath("/probe", {{"module", {"a", "b"}}, {"target", {"http://x/?y=1"}}}),
            "/probe?module=a&module=b&target=http%3A%2F%2Fx%2F%3Fy%3D1");
  EXPECT_EQ(BuildScrapePath("/m?fixed=1", {{"x", {"2"}}}), "/m?fixed=1&x=2");
}

TEST(ScrapeTargetTest, SelfScrapeTarget) {
  Config c;
  c.scrape.self_scrape_interval_ms = 5000;
  ScrapeTarget t = SelfScrapeTarget(c, "127.0.0.1:9797", "0.0.0.0:9797");
  EXPECT_EQ(t.labels, tsdb::Labels::FromPairs({{"instance", "0.0.0.0:9797"}, {"job", "perfwatch"}}));
  EXPECT_EQ(t.address, "127.0.0.1:9797");
  EXPECT_EQ(t.interval_ms, 5000);
  EXPECT_EQ(t.timeout_ms, 5000);
}

TEST(ScrapeTargetTest, FirstScrapeDelayKeepsAFixedPhase) {
  const int64_t interval = 15'000;
  for (int64_t now : {int64_t{0}, int64_t{1'700'000'000'123}, int64_t{1'700'000'007'999}}) {
    int64_t d = FirstScrapeDelayMs(12345, 0, interval, now);
    EXPECT_GE(d, 0);
    EXPECT_LT(d, interval);
    EXPECT_EQ((now + d) % interval, 12345 % interval);
  }
  EXPECT_NE(FirstScrapeDelayMs(12345, 0, interval, 0), FirstScrapeDelayMs(12345, 777, interval, 0));
}

TEST(ScrapeTargetTest, JitterSpreadsTargetsOverTheInterval) {
  Config c;
  ScrapeConfig job;
  job.job_name = "many";
  job.interval_ms = 10'000;
  job.timeout_ms = 1'000;
  StaticTargetsConfig group;
  for (int i = 0; i < 200; ++i) group.targets.push_back("10.0.0." + std::to_string(i % 250) + ":" + std::to_string(9000 + i));
  job.static_configs.push_back(group);
  c.scrape_configs.push_back(job);
  std::vector<int> per_second(10, 0);
  std::set<int64_t> distinct;
  for (const ScrapeTarget& t : TargetsFromConfig(c)) {
    int64_t d = FirstScrapeDelayMs(t.Hash(), 42, t.interval_ms, 1'700'000'000'000);
    per_second[d / 1000]++;
    distinct.insert(d);
  }
  // 200 targets over 10 one-second slots: 20 expected in each; none empty or crowded.
  for (int n : per_second) {
    EXPECT_GE(n, 7);
    EXPECT_LE(n, 40);
  }
  EXPECT_GT(distinct.size(), 190u);
}

TEST(ScrapeGzipTest, RoundTripAndLimits) {
  std::string text;
  for (int i = 0; i < 10'000; ++i) text += "metric_" + std::to_string(i) + " 1\n";
  std::string out;
  ASSERT_TRUE(Gunzip(Gzip(text), text.size(), &out).ok());
  EXPECT_EQ(out, text);
  // Two members concatenated.
  ASSERT_TRUE(Gunzip(Gzip("a 1\n") + Gzip("b 2\n"), 100, &out).ok());
  EXPECT_EQ(out, "a 1\nb 2\n");
  Status s = Gunzip(Gzip(text), text.size() - 1, &out);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  std::string truncated = Gzip(text);
  truncated.resize(truncated.size() / 2);
  EXPECT_EQ(Gunzip(truncated, 1 << 20, &out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Gunzip("not gzip at all", 1 << 20, &out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Gunzip("", 1 << 20, &out).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace perfwatch::ingest
