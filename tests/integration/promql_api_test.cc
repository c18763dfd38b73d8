// PromQL through the real binary: remote-written samples answer /api/v1/query and
// /api/v1/query_range, and `perfwatch query` prints them as a table.
#include <gtest/gtest.h>
#include <snappy.h>

#include <cstdio>

#include "ingest/remote_write/remote_write_encoder.h"
#include "support/http_client.h"
#include "support/run_perfwatch.h"
#include "support/server_process.h"

namespace perfwatch {
namespace {

using testing::HttpClient;
using testing::ServerProcess;

constexpr int64_t kT0 = 1'700'000'000'000;

// The output of `perfwatch <args>`; its exit status in *exit_code.
std::string RunBinary(const std::string& args, int* exit_code) {
  testing::CommandResult r = testing::RunPerfwatch(args);
  *exit_code = r.exit_code;
  return r.output;
}

class PromqlServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start()) << server_.log();
    // Two counters, one sample every 15 s for 10 minutes; instance b resets at 5 minutes.
    std::vector<std::string> ts;
    for (const char* instance : {"a", "b"}) {
      std::vector<std::pair<int64_t, double>> samples;
      for (int i = 0; i <= 40; ++i) {
        double v = std::string(instance) == "a" ? i * 15.0 : (i < 20 ? i * 30.0 : (i - 20) * 30.0);
        samples.emplace_back(kT0 + i * 15'000, v);
      }
      ts.push_back(ingest::EncodeTimeSeries({{"__name__", "http_requests_total"}, {"instance", instance}, {"job", "web"}},
                                            samples));
    }
    std::string raw = ingest::EncodeWriteRequest(ts), body;
    snappy::Compress(raw.data(), raw.size(), &body);
    HttpClient client(server_.port());
    auto r = client.Post("/api/v1/write", body, "application/x-protobuf", {{"Content-Encoding", "snappy"}});
    ASSERT_EQ(r.status, 204) << r.body;
  }
  ServerProcess server_{{}, "scrape:\n  self_scrape: false\n"};
};

TEST_F(PromqlServerTest, InstantAndRangeQueries) {
  HttpClient client(server_.port());
  auto r = client.Get("/api/v1/query?query=" + testing::UrlEncode("sum by (job) (rate(http_requests_total[5m]))") +
                      "&time=1700000600");
  ASSERT_EQ(r.status, 200) << r.body;
  // a: 1/s; b: 2/s with a reset handled as a counter reset.
  EXPECT_EQ(r.body, R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"web"},"value":[1700000600,"3"]}]}})");

  auto range = client.Post("/api/v1/query_range",
                           "query=" + testing::UrlEncode("http_requests_total{instance=\"a\"}") +
                               "&start=1700000000&end=1700000060&step=30",
                           "application/x-www-form-urlencoded");
  ASSERT_EQ(range.status, 200) << range.body;
  EXPECT_EQ(range.body,
            R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"http_requests_total","instance":"a","job":"web"},"values":[[1700000000,"0"],[1700000030,"30"],[1700000060,"60"]]}]}})");

  auto bad = client.Get("/api/v1/query?query=" + testing::UrlEncode("sum(") + "&time=1700000600");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find(R"("errorType":"bad_data")"), std::string::npos) << bad.body;
}

TEST_F(PromqlServerTest, QueryCommandPrintsATable) {
  int rc = 0;
  std::string server = "--server http://127.0.0.1:" + std::to_string(server_.port());
  std::string out = RunBinary("query 'http_requests_total' --time 1700000600 " + server, &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(out,
            "at 2023-11-14T22:23:20.000Z\n"
            "SERIES                                        VALUE\n"
            "http_requests_total{instance=\"a\", job=\"web\"}  600\n"
            "http_requests_total{instance=\"b\", job=\"web\"}  600\n");

  out = RunBinary("query 'http_requests_total{instance=\"b\"}' --start 1700000270 --end 1700000300 --step 15 " + server, &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(out,
            "http_requests_total{instance=\"b\", job=\"web\"}\n"
            "  2023-11-14T22:17:50.000Z  540\n"
            "  2023-11-14T22:18:05.000Z  570\n"
            "  2023-11-14T22:18:20.000Z  0\n");

  out = RunBinary("query 'rate(http_requests_total)' " + server, &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find("bad_data: invalid parameter \"query\""), std::string::npos) << out;

  out = RunBinary("query up --server http://127.0.0.1:1", &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find("cannot reach"), std::string::npos) << out;
}

}  // namespace
}  // namespace perfwatch
