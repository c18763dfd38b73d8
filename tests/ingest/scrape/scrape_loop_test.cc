// ScrapeLoop against a real local HTTP target: samples, labels and timestamps in the TSDB,
// the report series, staleness, gzip, limits, timeouts, honor_labels, all-or-nothing.
#include "ingest/scrape/scrape_loop.h"

#include <gtest/gtest.h>

#include "common/time.h"

#include <cmath>

#include "ingest/scrape/scrape_test_support.h"
#include "tsdb/stale.h"

namespace perfwatch::ingest {
namespace {

using testing::Bits;
using testing::MakeTarget;
using testing::Target;
using testing::TestStore;

constexpr int64_t kT0 = 1'700'000'000'000;

std::string Series(const std::string& name, const std::string& address, const std::string& extra = "") {
  return name + "{" + extra + "instance=\"" + address + "\", job=\"j\"}";
}

TEST(ScrapeLoopTest, SamplesLandWithTargetLabelsAndScrapeTime) {
  Target target;
  target.SetBody(
      "# HELP http_requests_total Requests.\n# TYPE http_requests_total counter\n"
      "http_requests_total{code=\"200\"} 7\nhttp_requests_total{code=\"500\"} 1\nmemory_bytes 3.5\n");
  TestStore store;
  ScrapeLoop loop(MakeTarget(target.address(), {{"env", "prod"}}), store.get(), nullptr, nullptr, "perfwatch/test");
  ScrapeReport r = loop.ScrapeOnce(kT0);
  ASSERT_TRUE(r.up) << r.error;
  EXPECT_EQ(r.samples_scraped, 3u);
  EXPECT_EQ(r.series_added, 3u);
  const std::string a = target.address();
  auto dump = store.Dump();
  using V = std::vector<std::pair<int64_t, uint64_t>>;
  EXPECT_EQ(dump[Series("http_requests_total", a, "code=\"200\", env=\"prod\", ")], (V{{kT0, Bits(7)}}));
  EXPECT_EQ(dump[Series("http_requests_total", a, "code=\"500\", env=\"prod\", ")], (V{{kT0, Bits(1)}}));
  EXPECT_EQ(dump[Series("memory_bytes", a, "env=\"prod\", ")], (V{{kT0, Bits(3.5)}}));
  EXPECT_EQ(dump[Series("up", a, "env=\"prod\", ")], (V{{kT0, Bits(1)}}));
  EXPECT_EQ(dump[Series("scrape_samples_scraped", a, "env=\"prod\", ")], (V{{kT0, Bits(3)}}));
  EXPECT_EQ(dump[Series("scrape_samples_post_metric_relabeling", a, "env=\"prod\", ")], (V{{kT0, Bits(3)}}));
  EXPECT_EQ(dump[Series("scrape_series_added", a, "env=\"prod\", ")], (V{{kT0, Bits(3)}}));
  ASSERT_EQ(dump[Series("scrape_duration_seconds", a, "env=\"prod\", ")].size(), 1u);
  EXPECT_EQ(dump.size(), 8u);

  // A second scrape of the same series adds none.
  r = loop.ScrapeOnce(kT0 + 15'000);
  ASSERT_TRUE(r.up) << r.error;
  EXPECT_EQ(r.series_added, 0u);
  EXPECT_EQ(store.Samples(Series("memory_bytes", a, "env=\"prod\", ")).size(), 2u);
}

TEST(ScrapeLoopTest, SendsPrometheusRequestHeaders) {
  Target target;
  target.SetBody("a 1\n");
  TestStore store;
  ScrapeLoop loop(MakeTarget(target.address()), store.get(), nullptr, nullptr, "perfwatch/9.9");
  ASSERT_TRUE(loop.ScrapeOnce(kT0).up);
  EXPECT_EQ(target.LastHeader("accept"), kScrapeAcceptHeader);
  EXPECT_EQ(target.LastHeader("accept-encoding"), "gzip");
  EXPECT_EQ(target.LastHeader("user-agent"), "perfwatch/9.9");
  EXPECT_EQ(target.LastHeader("x-prometheus-scrape-timeout-seconds"), "10");
}

TEST(ScrapeLoopTest, ExplicitTimestampsAreHonoredUnlessDisabled) {
  Target target;
  target.SetBody("a 1 1600000000000\nb 2\n");
  TestStore store;
  ScrapeLoop loop(MakeTarget(target.address()), store.get(), nullptr, nullptr, "pw");
  ASSERT_TRUE(loop.ScrapeOnce(kT0).up);
  const std::string a = target.address();
  EXPECT_EQ(store.Samples(Series("a", a)), (std::vector<std::pair<int64_t, uint64_t>>{{1'600'000'000'000, Bits(1)}}));
  EXPECT_EQ(store.Samples(Series("b", a)), (std::vector<std::pair<int64_t, uint64_t>>{{kT0, Bits(2)}}));
  // Series with their own timestamps are not tracked for staleness.
  target.SetBody("b 2\n");
  ASSERT_TRUE(loop.ScrapeOnce(kT0 + 1000).up);
  EXPECT_EQ(store.Samples(Series("a", a)).size(), 1u);

  ScrapeTarget t = MakeTarget(target.address());
  t.honor_timestamps = false;
  t.labels = tsdb::Labels::FromPairs({{"instance", "other"}, {"job", "j"}});
  ScrapeLoop ignoring(t, store.get(), nullptr, nullptr, "pw");
  target.SetBody("a 1 1600000000000\n");
  ASSERT_TRUE(ignoring.ScrapeOnce(kT0).up);
  EXPECT_EQ(store.Samples("a{instance=\"other\", job=\"j\"}"),
            (std::vector<std::pair<int64_t, uint64_t>>{{kT0, Bits(1)}}));
}

TEST(ScrapeLoopTest, StaleMarkerWhenASeriesDisappears) {
  Target target;
  target.SetBody("a 1\nb{x=\"1\"} 2\n");
  TestStore store;
  ScrapeLoop loop(MakeTarget(target.address()), store.get(), nullptr, nullptr, "pw");
  ASSERT_TRUE(loop.ScrapeOnce(kT0).up);
  target.SetBody("a 1\n");
  ScrapeReport r = loop.ScrapeOnce(kT0 + 15'000);
  ASSERT_TRUE(r.up);
  EXPECT_EQ(r.stale_markers, 1u);
  const std::string addr = target.address();
  auto b = store.Samples("b{instance=\"" + addr + "\", job=\"j\", x=\"1\"}");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[1].first, kT0 + 15'000);
  EXPECT_EQ(b[1].second, tsdb::kStaleNaNBits);
  EXPECT_EQ(store.Samples(Series("a", addr)).size(), 2u);
  // It comes back: a normal sample after the marker.
  target.SetBody("a 1\nb{x=\"1\"} 3\n");
  ASSERT_TRUE(loop.ScrapeOnce(kT0 + 30'000).up);
  b = store.Samples("b{instance=\"" + addr + "\", job=\"j\", x=\"1\"}");
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[2].second, Bits(3));
}

TEST(ScrapeLoopTest, FailedScrapeWritesUpZeroAndMarksEverythingStale) {
  Target target;
  target.SetBody("a 1\nb 2\n");
  TestStore store;
  ScrapeLoop loop(MakeTarget(target.address()), store.get(), nullptr, nullptr, "pw");
  ASSERT_TRUE(loop.ScrapeOnce(kT0).up);
  target.SetStatus(500);
  ScrapeReport r = loop.ScrapeOnce(kT0 + 15'000);
  EXPECT_FALSE(r.up);
  EXPECT_NE(r.error.find("HTTP status 500"), std::string::npos) << r.error;
  EXPECT_EQ(r.stale_markers, 2u);
  const std::string addr = target.address();
  for (const char* name : {"a", "b"}) {
    auto s = store.Samples(Series(name, addr));
    ASSERT_EQ(s.size(), 2u) << name;
    EXPECT_EQ(s[1], (std::pair<int64_t, uint64_t>{kT0 + 15'000, tsdb::kStaleNaNBits}));
  }
  auto up = store.Samples(Series("up", addr));
  ASSERT_EQ(up.size(), 2u);
  EXPECT_EQ(up[1].second, Bits(0));
  EXPECT_EQ(store.Samples(Series("scrape_samples_scraped", addr)).back().second, Bits(0));
  // Still down: nothing more to mark stale, up=0 again.
  r = loop.ScrapeOnce(kT0 + 30'000);
  EXPECT_EQ(r.stale_markers, 0u);
  EXPECT_EQ(store.Samples(Series("up", addr)).size(), 3u);
}

TEST(ScrapeLoopTest, ConnectionRefusedIsDown) {
  uint16_t port;
  {
    Target gone;
    port = static_cast<uint16_t>(std::stoi(gone.address().substr(10)));
  }
  TestStore store;
  MetricsRegistry metrics;
  ScrapeLoop loop(MakeTarget("127.0.0.1:" + std::to_string(port)), store.get(), nullptr, &metrics, "pw");
  ScrapeReport r = loop.ScrapeOnce(kT0);
  EXPECT_FALSE(r.up);
  EXPECT_NE(r.error.find("connect"), std::string::npos) << r.error;
  EXPECT_NE(metrics.Render().find("perfwatch_scrape_failures_total{job=\"j\",reason=\"connect\"} 1"), std::string::npos);
}

TEST(ScrapeLoopTest, GzipBodiesAreDecompressed) {
  Target target;
  std::string body;
  for (int i = 0; i < 500; ++i) body += "metric_" + std::to_string(i) + " " + std::to_string(i) + "\n";
  target.SetBody(body);
  target.SetGzip(true);
  TestStore store;
  ScrapeLoop loop(MakeTarget(target.address()), store.get(), nullptr, nullptr, "pw");
  ScrapeReport r = loop.ScrapeOnce(kT0);
  ASSERT_TRUE(r.up) << r.error;
  EXPECT_EQ(r.samples_scraped, 500u);
  EXPECT_EQ(store.Samples(Series("metric_499", target.address())),
            (std::vector<std::pair<int64_t, uint64_t>>{{kT0, Bits(499)}}));
}

TEST(ScrapeLoopTest, BodyLimitFailsTheScrapeWithAClearError) {
  Target target;
  std::string body;
  for (int i = 0; i < 200; ++i) body += "metric_" + std::to_string(i) + " 1\n";
  target.SetBody(body);
  TestStore store;
  ScrapeTarget t = MakeTarget(target.address());
  t.max_body_bytes = 1024;
  ScrapeLoop loop(t, store.get(), nullptr, nullptr, "pw");
  ScrapeReport r = loop.ScrapeOnce(kT0);
  EXPECT_FALSE(r.up);
  EXPECT_NE(r.error.find("exceeds the limit of 1024 bytes"), std::string::npos) << r.error;
  EXPECT_TRUE(store.Samples(Series("metric_0", target.address())).empty());
  EXPECT_EQ(store.Samples(Series("up", target.address())).at(0).second, Bits(0));

  // A small gzip body that expands past the limit fails the same way.
  target.SetBody(std::string(100'000, '#') + "\n");
  target.SetGzip(true);
  r = loop.ScrapeOnce(kT0 + 1000);
  EXPECT_FALSE(r.up);
  EXPECT_NE(r.error.find("decompressed body exceeds the limit"), std::string::npos) << r.error;
}

TEST(ScrapeLoopTest, TimeoutFailsTheScrapePromptly) {
  Target target;
  target.SetBody("a 1\n");
  target.SetDelay(std::chrono::milliseconds(1500));
  TestStore store;
  ScrapeTarget t = MakeTarget(target.address());
  t.timeout_ms = 200;
  ScrapeLoop loop(t, store.get(), nullptr, nullptr, "pw");
  auto start = std::chrono::steady_clock::now();
  ScrapeReport r = loop.ScrapeOnce(kT0);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(r.up);
  EXPECT_NE(r.error.find("timed out after 0.2s"), std::string::npos) << r.error;
  EXPECT_LT(took, std::chrono::milliseconds(1000));
  EXPECT_EQ(target.LastHeader("x-prometheus-scrape-timeout-seconds"), "0.2");
}

TEST(ScrapeLoopTest, HonorLabelsFalseRenamesConflictsToExported) {
  Target target;
  target.SetBody("a{job=\"scraped\",instance=\"i\",exported_job=\"taken\"} 1\n");
  TestStore store;
  ScrapeLoop loop(MakeTarget(target.address()), store.get(), nullptr, nullptr, "pw");
  ASSERT_TRUE(loop.ScrapeOnce(kT0).up);
  auto dump = store.Dump();
  const std::string want = "a{exported_exported_job=\"scraped\", exported_instance=\"i\", exported_job=\"taken\", instance=\"" +
                           target.address() + "\", job=\"j\"}";
  EXPECT_EQ(dump.count(want), 1u) << want;
}

TEST(ScrapeLoopTest, HonorLabelsTrueKeepsScrapedValues) {
  Target target;
  target.SetBody("a{job=\"scraped\"} 1\n");
  TestStore store;
  ScrapeLoop loop(MakeTarget(target.address(), {}, /*honor_labels=*/true), store.get(), nullptr, nullptr, "pw");
  ASSERT_TRUE(loop.ScrapeOnce(kT0).up);
  EXPECT_EQ(store.Samples("a{instance=\"" + target.address() + "\", job=\"scraped\"}").size(), 1u);
  // The report series keep the target's labels.
  EXPECT_EQ(store.Samples(Series("up", target.address())).size(), 1u);
}

TEST(ScrapeLoopTest, ParamsAreAppendedToTheUrl) {
  Target target("/probe");
  target.SetBody("a 1\n");
  TestStore store;
  Config config;
  ScrapeConfig job;
  job.job_name = "blackbox";
  job.interval_ms = 15'000;
  job.timeout_ms = 10'000;
  job.metrics_path = "/probe";
  job.params = {{"module", {"http_2xx", "tcp"}}, {"target", {"a b&c"}}};
  job.static_configs.push_back({{target.address()}, {}});
  config.scrape_configs.push_back(job);
  ScrapeLoop loop(TargetsFromConfig(config).at(0), store.get(), nullptr, nullptr, "pw");
  ASSERT_TRUE(loop.ScrapeOnce(kT0).up) << loop.last_report().error;
  EXPECT_EQ(target.LastQuery(), "module=http_2xx&module=tcp&target=a%20b%26c");
}

TEST(ScrapeLoopTest, ParseErrorMidBodyAppendsNothing) {
  Target target;
  target.SetBody("a 1\nb 2\nc 3\nd{oops 4\ne 5\n");
  TestStore store;
  ScrapeLoop loop(MakeTarget(target.address()), store.get(), nullptr, nullptr, "pw");
  ScrapeReport r = loop.ScrapeOnce(kT0);
  EXPECT_FALSE(r.up);
  EXPECT_NE(r.error.find("line 4"), std::string::npos) << r.error;
  auto dump = store.Dump();
  for (const auto& [labels, samples] : dump) {
    EXPECT_TRUE(labels.starts_with("up{") || labels.starts_with("scrape_")) << labels;
  }
}

TEST(ScrapeLoopTest, SampleLimitFailsTheScrape) {
  Target target;
  target.SetBody("a 1\nb 2\nc 3\n");
  TestStore store;
  ScrapeTarget t = MakeTarget(target.address());
  t.max_samples = 2;
  ScrapeLoop loop(t, store.get(), nullptr, nullptr, "pw");
  ScrapeReport r = loop.ScrapeOnce(kT0);
  EXPECT_FALSE(r.up);
  EXPECT_NE(r.error.find("sample limit of 2 exceeded"), std::string::npos) << r.error;
  EXPECT_TRUE(store.Samples(Series("a", target.address())).empty());
}

TEST(ScrapeLoopTest, OpenMetricsBodiesAndMetadata) {
  Target target;
  target.SetBody(
      "# TYPE req counter\n# HELP req Requests served.\nreq_total 3\n# TYPE temp gauge\ntemp 21.5\n# EOF\n",
      "application/openmetrics-text; version=1.0.0; charset=utf-8");
  TestStore store;
  MetadataStore metadata;
  ScrapeLoop loop(MakeTarget(target.address()), store.get(), &metadata, nullptr, "pw");
  ScrapeReport r = loop.ScrapeOnce(kT0);
  ASSERT_TRUE(r.up) << r.error;
  EXPECT_EQ(store.Samples(Series("req_total", target.address())).size(), 1u);
  auto md = metadata.Query({});
  ASSERT_EQ(md.count("req"), 1u);
  EXPECT_EQ(md["req"], (std::vector<MetricMetadata>{{"counter", "Requests served.", ""}}));
  EXPECT_EQ(md["temp"], (std::vector<MetricMetadata>{{"gauge", "", ""}}));
  loop.MarkStale(kT0 + 1);
  EXPECT_TRUE(metadata.Query({}).empty());
}

TEST(ScrapeLoopTest, MarkStaleEndsEverySeriesAndTheReport) {
  Target target;
  target.SetBody("a 1\n");
  TestStore store;
  ScrapeLoop loop(MakeTarget(target.address()), store.get(), nullptr, nullptr, "pw");
  ASSERT_TRUE(loop.ScrapeOnce(kT0).up);
  EXPECT_EQ(loop.MarkStale(kT0 - 5), 6u);  // a + 5 report series; time raised past the scrape
  for (const auto& [labels, samples] : store.Dump()) {
    ASSERT_EQ(samples.size(), 2u) << labels;
    EXPECT_EQ(samples[1], (std::pair<int64_t, uint64_t>{kT0 + 1, tsdb::kStaleNaNBits})) << labels;
  }
  EXPECT_EQ(loop.MarkStale(kT0 + 10), 0u);
}

}  // namespace
}  // namespace perfwatch::ingest

namespace perfwatch::ingest {
namespace {

using testing::Bits;
using testing::MakeTarget;
using testing::Target;
using testing::TestStore;

// Series seen before are appended by ref (the series cache). A flush replaces the head, so
// those refs are gone: samples, staleness and new series must come out exactly as if the
// cache did not exist, and the appends after the flush go by ref again.
TEST(ScrapeLoopTest, SeriesCacheSurvivesAFlushBetweenScrapes) {
  const int64_t kT1 = (NowMs() / 60'000 - 60) * 60'000;  // recent: retention keeps the flushed blocks
  Target target;
  target.SetBody("a 1\nb{x=\"1\"} 2\nc 3\n");
  TestStore store;
  ScrapeLoop loop(MakeTarget(target.address()), store.get(), nullptr, &store.metrics(), "pw");
  ASSERT_TRUE(loop.ScrapeOnce(kT1).up);
  target.SetBody("a 10\nb{x=\"1\"} 20\nc 30\n");
  ASSERT_TRUE(loop.ScrapeOnce(kT1 + 15'000).up);  // by ref
  ASSERT_TRUE(store.get()->Flush().ok());
  target.SetBody("a 100\nb{x=\"1\"} 200\nd 4\n");  // c ends, d is new
  ScrapeReport r = loop.ScrapeOnce(kT1 + 30'000);  // refs unknown: by labels again
  ASSERT_TRUE(r.up);
  EXPECT_EQ(r.stale_markers, 1u);
  EXPECT_EQ(r.samples_scraped, 3u);
  target.SetBody("a 1000\nb{x=\"1\"} 2000\nd 40\n");
  ASSERT_TRUE(loop.ScrapeOnce(kT1 + 45'000).up);  // by ref into the new head
  const std::string addr = target.address();
  auto series = [&](const std::string& name, const std::string& extra = "") {
    return store.Samples(name + "{" + extra + "instance=\"" + addr + "\", job=\"j\"}");
  };
  using P = std::pair<int64_t, uint64_t>;
  EXPECT_EQ(series("a"), (std::vector<P>{{kT1, Bits(1)}, {kT1 + 15'000, Bits(10)}, {kT1 + 30'000, Bits(100)},
                                         {kT1 + 45'000, Bits(1000)}}));
  EXPECT_EQ(store.Samples("b{instance=\"" + addr + "\", job=\"j\", x=\"1\"}").back(), (P{kT1 + 45'000, Bits(2000)}));
  EXPECT_EQ(series("c"), (std::vector<P>{{kT1, Bits(3)}, {kT1 + 15'000, Bits(30)}, {kT1 + 30'000, tsdb::kStaleNaNBits}}));
  EXPECT_EQ(series("d"), (std::vector<P>{{kT1 + 30'000, Bits(4)}, {kT1 + 45'000, Bits(40)}}));
  // Stopping marks every remaining series stale, by ref.
  EXPECT_EQ(loop.MarkStale(kT1 + 50'000), 3u + 5u);
  EXPECT_EQ(series("d").back(), (P{kT1 + 50'000, tsdb::kStaleNaNBits}));
  EXPECT_EQ(series("up").back(), (P{kT1 + 50'000, tsdb::kStaleNaNBits}));
}

}  // namespace
}  // namespace perfwatch::ingest
