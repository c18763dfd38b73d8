// GET /api/v1/targets rendering: Prometheus' field set and formats (durations, Go's time,
// health before the first scrape), __param_ labels, pool order and filters.
#include "ingest/scrape/scrape_api.h"

#include <gtest/gtest.h>

namespace perfwatch::ingest {
namespace {

ScrapeTarget Target(std::string job, std::string address, std::string path_and_query) {
  ScrapeTarget t;
  t.job = job;
  t.address = address;
  t.path_and_query = std::move(path_and_query);
  t.labels = tsdb::Labels::FromPairs({{"instance", address}, {"job", job}, {"zone", "eu"}});
  t.interval_ms = 90'000;
  t.timeout_ms = 10'000;
  return t;
}

TEST(TargetsApiTest, RendersPrometheusFieldsAndFormats) {
  ScrapeReport never;  // not scraped yet
  ScrapeReport down;
  down.time_ms = 1'700'000'000'120;
  down.error = "connect to 10.0.0.1:80: Connection refused";
  down.duration_seconds = 0.25;
  std::vector<std::pair<ScrapeTarget, ScrapeReport>> reports = {
      {Target("z", "127.0.0.1:9100", "/metrics?module=http_2xx&target=a%20b"), never},
      {Target("a", "10.0.0.1:80", "/m"), down}};
  std::string out = RenderTargets(reports, "", "", "box");
  EXPECT_EQ(out,
            R"({"activeTargets":[)"
            R"({"discoveredLabels":{"__address__":"10.0.0.1:80","__metrics_path__":"/m","__scheme__":"http",)"
            R"("__scrape_interval__":"1m30s","__scrape_timeout__":"10s","job":"a","zone":"eu"},)"
            R"("labels":{"instance":"10.0.0.1:80","job":"a","zone":"eu"},"scrapePool":"a",)"
            R"("scrapeUrl":"http://10.0.0.1:80/m","globalUrl":"http://10.0.0.1:80/m",)"
            R"("lastError":"connect to 10.0.0.1:80: Connection refused","lastScrape":"2023-11-14T22:13:20.12Z",)"
            R"("lastScrapeDuration":0.25,"health":"down","scrapeInterval":"1m30s","scrapeTimeout":"10s"},)"
            R"({"discoveredLabels":{"__address__":"127.0.0.1:9100","__metrics_path__":"/metrics",)"
            R"("__param_module":"http_2xx","__param_target":"a b","__scheme__":"http",)"
            R"("__scrape_interval__":"1m30s","__scrape_timeout__":"10s","job":"z","zone":"eu"},)"
            R"("labels":{"instance":"127.0.0.1:9100","job":"z","zone":"eu"},"scrapePool":"z",)"
            R"("scrapeUrl":"http://127.0.0.1:9100/metrics?module=http_2xx&target=a%20b",)"
            R"("globalUrl":"http://box:9100/metrics?module=http_2xx&target=a%20b",)"
            R"("lastError":"","lastScrape":"0001-01-01T00:00:00Z","lastScrapeDuration":0,"health":"unknown",)"
            R"("scrapeInterval":"1m30s","scrapeTimeout":"10s"}],"droppedTargets":[]})");
}

TEST(TargetsApiTest, FiltersByPoolAndState) {
  ScrapeReport up;
  up.time_ms = 1'700'000'000'000;
  up.up = true;
  up.error = "stale text from an earlier failure";
  std::vector<std::pair<ScrapeTarget, ScrapeReport>> reports = {{Target("a", "h:1", "/metrics"), up},
                                                                {Target("b", "h:2", "/metrics"), up}};
  std::string one = RenderTargets(reports, "active", "b", "box");
  EXPECT_EQ(one.find(R"("scrapePool":"a")"), std::string::npos);
  EXPECT_NE(one.find(R"("scrapePool":"b")"), std::string::npos);
  EXPECT_NE(one.find(R"("lastError":"","lastScrape":"2023-11-14T22:13:20Z")"), std::string::npos) << one;
  EXPECT_EQ(RenderTargets(reports, "dropped", "", "box"), R"({"activeTargets":[],"droppedTargets":[]})");
  EXPECT_EQ(RenderTargets(reports, "any", "nope", "box"), R"({"activeTargets":[],"droppedTargets":[]})");
}

}  // namespace
}  // namespace perfwatch::ingest
