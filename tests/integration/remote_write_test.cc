// Prometheus remote write into the real binary: what was acknowledged comes back through
// /api/v1/export exactly, bad requests get 400 and keep nothing partial, and SIGKILL at
// random moments during ingest never loses an acknowledged sample.
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>
#include <snappy.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <map>
#include <random>
#include <thread>

#include "ingest/remote_write/remote_write_encoder.h"
#include "support/http_client.h"
#include "support/server_process.h"

namespace perfwatch {
namespace {

using testing::HttpClient;
using testing::ServerProcess;

using SeriesKey = std::string;  // "name|instance"
using Samples = std::map<int64_t, double>;

std::string WriteBody(const std::vector<std::tuple<std::string, std::string, int64_t, double>>& rows) {
  std::vector<std::string> ts;
  for (const auto& [name, instance, t, v] : rows) {
    ts.push_back(ingest::EncodeTimeSeries({{"__name__", name}, {"instance", instance}, {"job", "it"}}, {{t, v}}));
  }
  std::string compressed;
  std::string raw = ingest::EncodeWriteRequest(ts);
  snappy::Compress(raw.data(), raw.size(), &compressed);
  return compressed;
}

testing::HttpResponse PostWrite(HttpClient& client, const std::string& body) {
  return client.Post("/api/v1/write", body, "application/x-protobuf",
                     {{"Content-Encoding", "snappy"}, {"X-Prometheus-Remote-Write-Version", "0.1.0"}});
}

// Every sample of the job, from the export, keyed by name|instance.
std::map<SeriesKey, Samples> ExportAll(uint16_t port) {
  HttpClient client(port);
  auto r = client.Get("/api/v1/export?match[]=" + testing::UrlEncode("{job=\"it\"}"));
  EXPECT_EQ(r.status, 200) << r.body;
  std::map<SeriesKey, Samples> out;
  simdjson::dom::parser parser;
  size_t start = 0;
  while (start < r.body.size()) {
    size_t end = r.body.find('\n', start);
    if (end == std::string::npos) end = r.body.size();
    simdjson::dom::element line = parser.parse(r.body.substr(start, end - start));
    std::string key = std::string(std::string_view(line["metric"]["__name__"])) + "|" +
                      std::string(std::string_view(line["metric"]["instance"]));
    simdjson::dom::array values = line["values"];
    simdjson::dom::array stamps = line["timestamps"];
    auto vi = values.begin();
    for (simdjson::dom::element t : stamps) {
      double v = (*vi).is_null() ? NAN : double(*vi);
      out[key][int64_t(t)] = v;
      ++vi;
    }
    start = end + 1;
  }
  return out;
}

TEST(RemoteWriteTest, AcknowledgedSamplesComeBackExactly) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient client(server.port());
  std::map<SeriesKey, Samples> want;
  std::mt19937_64 rng(3);
  const int64_t t0 = 1'700'000'000'000;
  for (int step = 0; step < 50; ++step) {
    std::vector<std::tuple<std::string, std::string, int64_t, double>> rows;
    for (int s = 0; s < 40; ++s) {
      std::string name = s % 2 ? "http_requests_total" : "process_resident_memory_bytes";
      std::string instance = "host-" + std::to_string(s);
      int64_t t = t0 + step * 10'000 + static_cast<int64_t>(rng() % 30);
      double v = s % 2 ? step * 3.0 + s : std::round(std::uniform_real_distribution<double>(1e6, 1e9)(rng) / 4096) * 4096;
      if (step == 7 && s == 3) v = 0.1 + 0.2;  // an inexact decimal
      rows.emplace_back(name, instance, t, v);
      want[name + "|" + instance][t] = v;
    }
    ASSERT_EQ(PostWrite(client, WriteBody(rows)).status, 204);
  }
  auto got = ExportAll(server.port());
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [key, samples] : want) {
    ASSERT_EQ(got[key].size(), samples.size()) << key;
    for (const auto& [t, v] : samples) EXPECT_EQ(got[key][t], v) << key << " @" << t;
  }
  // Range selection is inclusive at both ends.
  auto r = client.Get("/api/v1/export?match[]=" + testing::UrlEncode("{instance=\"host-1\"}") +
                      "&start=1700000010&end=1700000020.029");
  ASSERT_EQ(r.status, 200);
  simdjson::dom::parser parser;
  simdjson::dom::element line = parser.parse(r.body);
  simdjson::dom::array stamps = line["timestamps"];
  ASSERT_EQ(stamps.size(), 2u) << r.body;  // steps 1 and 2 (10 s apart, jitter under 30 ms)
  EXPECT_GE(int64_t(stamps.at(0)), 1'700'000'010'000);
  EXPECT_LE(int64_t(stamps.at(1)), 1'700'000'020'029);
}

TEST(RemoteWriteTest, BadRequestsAre400AndOutOfOrderKeepsTheRest) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient client(server.port());
  EXPECT_EQ(PostWrite(client, "definitely not snappy").status, 400);
  std::string raw = "\x0a\xff\xff";  // a length past the end
  std::string compressed;
  snappy::Compress(raw.data(), raw.size(), &compressed);
  EXPECT_EQ(PostWrite(client, compressed).status, 400);
  ASSERT_EQ(PostWrite(client, WriteBody({{"m", "a", 2000, 1}})).status, 204);
  auto r = PostWrite(client, WriteBody({{"m", "a", 1000, 5}, {"m", "b", 1000, 7}}));  // a: out of order
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("out_of_order"), std::string::npos) << r.body;
  auto got = ExportAll(server.port());
  EXPECT_EQ(got["m|a"].size(), 1u);
  EXPECT_EQ(got["m|b"].at(1000), 7);
  auto metrics = client.Get("/metrics").body;
  EXPECT_NE(metrics.find("perfwatch_tsdb_samples_rejected_total{reason=\"out_of_order\"} 1"), std::string::npos);
}

TEST(RemoteWriteTest, SeriesLabelsAndFlushEndpoints) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient client(server.port());
  // Recent samples: the flush below also applies the 30-day block retention.
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  ASSERT_EQ(PostWrite(client, WriteBody({{"up", "a", now, 1}, {"up", "b", now, 0}, {"other", "a", now, 3}})).status,
            204);
  auto series = client.Get("/api/v1/series?match[]=up");
  EXPECT_EQ(series.body,
            R"({"status":"success","data":[{"__name__":"up","instance":"a","job":"it"},)"
            R"({"__name__":"up","instance":"b","job":"it"}]})");
  EXPECT_EQ(client.Get("/api/v1/labels").body, R"({"status":"success","data":["__name__","instance","job"]})");
  EXPECT_EQ(client.Get("/api/v1/label/__name__/values").body, R"({"status":"success","data":["other","up"]})");
  EXPECT_EQ(client.Get("/api/v1/label/instance/values?match[]=other").body, R"({"status":"success","data":["a"]})");
  EXPECT_EQ(client.Get("/api/v1/series").status, 400);
  EXPECT_EQ(client.Get("/api/v1/label/bad-name/values").status, 400);
  EXPECT_EQ(client.Request("POST", "/api/v1/admin/flush", "", {}).status, 204);
  EXPECT_EQ(ExportAll(server.port()).size(), 3u) << "served from the block after the flush";
  ASSERT_EQ(PostWrite(client, WriteBody({{"up", "a", now + 1000, 5}})).status, 204);
  ASSERT_TRUE(server.Restart()) << server.log();
  auto got = ExportAll(server.port());
  EXPECT_EQ(got.size(), 3u);
  EXPECT_EQ(got["up|a"].size(), 2u) << "block and WAL merged after a restart";
  // Data older than the retention is dropped by the next flush.
  ASSERT_EQ(PostWrite(client, WriteBody({{"ancient", "a", 1000, 1}})).status, 204);
  EXPECT_EQ(client.Request("POST", "/api/v1/admin/flush", "", {}).status, 204);
  EXPECT_EQ(ExportAll(server.port()).count("ancient|a"), 0u);
}

TEST(RemoteWriteCrashTest, KillNineAtRandomMomentsLosesNoAcknowledgedSample) {
  ServerProcess server;
  ASSERT_TRUE(server.Start()) << server.log();
  std::map<SeriesKey, Samples> acknowledged;
  std::mt19937_64 rng(11);
  int64_t step = 0;
  for (int round = 0; round < 10; ++round) {
    std::atomic<bool> stop{false};
    std::mutex mu;
    std::vector<std::thread> writers;
    for (int w = 0; w < 2; ++w) {
      writers.emplace_back([&, w] {
        HttpClient client(server.port());
        for (int64_t i = 0; !stop; ++i) {
          // Each writer owns its series; timestamps only grow (the crash may drop the last
          // unacknowledged step, and the next round continues after it).
          int64_t t;
          {
            std::lock_guard lock(mu);
            t = 1'700'000'000'000 + (step++) * 1000;
          }
          std::vector<std::tuple<std::string, std::string, int64_t, double>> rows;
          for (int s = 0; s < 20; ++s) rows.emplace_back("crash_metric", std::to_string(w) + "-" + std::to_string(s), t, t % 977 + s);
          auto r = PostWrite(client, WriteBody(rows));
          if (r.status != 204) break;
          std::lock_guard lock(mu);
          for (const auto& [name, instance, ts, v] : rows) acknowledged[name + "|" + instance][ts] = v;
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 400));
    server.Kill();
    stop = true;
    for (auto& t : writers) t.join();
    ASSERT_TRUE(server.Start()) << server.log();
    auto got = ExportAll(server.port());
    for (const auto& [key, samples] : acknowledged) {
      for (const auto& [t, v] : samples) {
        auto it = got[key].find(t);
        ASSERT_NE(it, got[key].end()) << "round " << round << ": lost " << key << " @" << t;
        ASSERT_EQ(it->second, v);
      }
    }
  }
}

}  // namespace
}  // namespace perfwatch
