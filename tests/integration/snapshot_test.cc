// Snapshots, backup and restore through the real binary (docs/operations.md "Snapshots,
// backup and restore"): a snapshot taken while beacons and samples keep arriving holds a
// gap-free prefix of each, and a second server restored from it answers the export,
// vitals, alert, silence and deploy queries exactly as the source does for that prefix; `perfwatch
// backup` copies a snapshot out over HTTP and deletes it; bad input gets clear errors.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <snappy.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "common/time.h"
#include "ingest/remote_write/remote_write_encoder.h"
#include "support/http_client.h"
#include "support/run_perfwatch.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

namespace perfwatch {
namespace {

namespace fs = std::filesystem;
using testing::HttpClient;
using testing::RunPerfwatch;
using testing::ServerProcess;

constexpr int64_t kStepMs = 100;

std::string Beacon(int i, int64_t base) {
  return R"([{"type":"vital","name":"LCP","value":)" + std::to_string(1000 + i) + R"(,"id":"v)" + std::to_string(i) +
         R"(","sessionId":"s)" + std::to_string(i % 7) + R"(","timestamp":)" + std::to_string(base + i * kStepMs) +
         R"(,"url":"https://shop.example/p/)" + std::to_string(i % 5) + R"("}])";
}

std::string Samples(int i, int64_t base) {
  std::vector<std::string> ts;
  for (int s = 0; s < 3; ++s) {
    ts.push_back(ingest::EncodeTimeSeries({{"__name__", "snap_seq"}, {"job", "snap"}, {"shard", std::to_string(s)}},
                                          {{base + i * kStepMs, double(i)}}));
  }
  std::string raw = ingest::EncodeWriteRequest(ts), compressed;
  snappy::Compress(raw.data(), raw.size(), &compressed);
  return compressed;
}

// The event ids in the export, in export order.
std::vector<int> EventIds(uint16_t port) {
  HttpClient client(port);
  auto r = client.Get("/api/v1/events/export?type=vital");
  EXPECT_EQ(r.status, 200) << r.body;
  std::vector<int> ids;
  simdjson::dom::parser parser;
  size_t start = 0;
  while (start < r.body.size()) {
    size_t end = r.body.find('\n', start);
    if (end == std::string::npos) end = r.body.size();
    if (end > start) {
      std::string_view id = parser.parse(r.body.substr(start, end - start))["id"].get_string().value();
      ids.push_back(std::stoi(std::string(id.substr(1))));
    }
    start = end + 1;
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

// shard -> values of snap_seq in time order.
std::map<std::string, std::vector<double>> SeriesValues(uint16_t port, int64_t end_ms = INT64_MAX) {
  HttpClient client(port);
  std::string target = "/api/v1/export?match[]=" + testing::UrlEncode("{job=\"snap\"}");
  if (end_ms != INT64_MAX) target += "&end=" + std::to_string(end_ms / 1000.0);
  auto r = client.Get(target);
  EXPECT_EQ(r.status, 200) << r.body;
  std::map<std::string, std::vector<double>> out;
  simdjson::dom::parser parser;
  size_t start = 0;
  while (start < r.body.size()) {
    size_t end = r.body.find('\n', start);
    if (end == std::string::npos) end = r.body.size();
    if (end > start) {
      simdjson::dom::element line = parser.parse(r.body.substr(start, end - start));
      auto& values = out[std::string(std::string_view(line["metric"]["shard"]))];
      for (simdjson::dom::element v : line["values"].get_array()) values.push_back(double(v));
    }
    start = end + 1;
  }
  return out;
}

std::string Body(uint16_t port, const std::string& target) {
  HttpClient client(port);
  auto r = client.Get(target);
  EXPECT_EQ(r.status, 200) << target << ": " << r.body;
  return r.body;
}

std::string TakeSnapshot(uint16_t port, const std::string& path = "/api/v1/admin/snapshot") {
  HttpClient client(port);
  auto r = client.Post(path, "");
  EXPECT_EQ(r.status, 200) << r.body;
  simdjson::dom::parser parser;
  std::string_view name = parser.parse(r.body)["data"]["name"].get_string().value();
  return std::string(name);
}

// Stops `server`, empties its data directory and restores `snapshot` into it.
void RestoreInto(ServerProcess& server, const fs::path& snapshot) {
  server.Stop();
  fs::remove_all(server.data_dir());
  auto r = RunPerfwatch("restore " + snapshot.string() + " --data-dir " + server.data_dir().string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("restored "), std::string::npos) << r.output;
}

void AddSilenceAndDeploy(uint16_t port) {
  HttpClient client(port);
  const std::string now = FormatRfc3339Ms(NowMs());
  const std::string later = FormatRfc3339Ms(NowMs() + 3600'000);
  auto s = client.Post("/api/v2/silences", R"({"matchers":[{"name":"alertname","value":"LcpSlow","isRegex":false}],"startsAt":")" +
                                               now + R"(","endsAt":")" + later + R"(","createdBy":"ops","comment":"maintenance"})");
  ASSERT_EQ(s.status, 200) << s.body;
  auto d = client.Post("/api/v1/deploys", R"({"app":"shop","version":"1.2.3","commit":"abc123"})");
  ASSERT_EQ(d.status, 200) << d.body;
  // Alerts as an external Prometheus sends them: one silenced, one active.
  auto a = client.Post("/api/v2/alerts", R"([{"labels":{"alertname":"LcpSlow","app":"shop"},"startsAt":")" + now +
                                             R"(","endsAt":")" + later + R"("},{"labels":{"alertname":"ErrorsHigh","app":"shop"},"startsAt":")" +
                                             now + R"(","endsAt":")" + later + R"("}])");
  ASSERT_EQ(a.status, 200) << a.body;
}

TEST(SnapshotTest, TakenDuringIngestRestoresAGapFreePrefixThatAnswersLikeTheSource) {
  ServerProcess source;
  ASSERT_TRUE(source.Start()) << source.log();
  AddSilenceAndDeploy(source.port());
  const int64_t base = NowMs() - 600'000;
  std::atomic<int> acked{0};
  std::atomic<bool> stop{false}, writer_done{false};
  std::thread writer([&] {
    HttpClient client(source.port());
    for (int i = 0; !stop; ++i) {
      if (client.Post("/api/rum", Beacon(i, base)).status != 204) break;
      if (client.Post("/api/v1/write", Samples(i, base), "application/x-protobuf",
                      {{"Content-Encoding", "snappy"}, {"X-Prometheus-Remote-Write-Version", "0.1.0"}})
              .status != 204) {
        break;
      }
      acked = i + 1;
      if (i >= 3000) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    writer_done = true;
  });
  while (acked < 500 && !writer_done) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const int before = acked;
  const std::string name = TakeSnapshot(source.port());
  const int after = acked;
  while (acked < after + 200 && !writer_done) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  stop = true;
  writer.join();
  ASSERT_GE(acked, after + 200);

  // The snapshot is whole on disk, with its manifest, and listed.
  const fs::path snap = source.data_dir() / "snapshots" / name;
  ASSERT_TRUE(fs::exists(snap / "snapshot.json"));
  EXPECT_NE(Body(source.port(), "/api/v1/admin/snapshots").find(name), std::string::npos);

  ServerProcess restored;
  ASSERT_TRUE(restored.Start()) << restored.log();
  RestoreInto(restored, snap);
  ASSERT_TRUE(restored.Start()) << restored.log();

  // Events: 0..k-1 exactly, with k between what was acknowledged before and after the call.
  const std::vector<int> ids = EventIds(restored.port());
  const int k = static_cast<int>(ids.size());
  EXPECT_GE(k, before);
  EXPECT_LE(k, after + 1);
  for (int i = 0; i < k; ++i) ASSERT_EQ(ids[i], i) << "gap in the restored events";
  // Samples: each shard 0..m-1 with m in the same bounds.
  auto series = SeriesValues(restored.port());
  ASSERT_EQ(series.size(), 3u);
  for (const auto& [shard, values] : series) {
    EXPECT_GE(static_cast<int>(values.size()), before) << shard;
    EXPECT_LE(static_cast<int>(values.size()), after + 1) << shard;
    for (size_t i = 0; i < values.size(); ++i) ASSERT_EQ(values[i], double(i)) << "gap in shard " << shard;
  }
  // The same queries on the source, cut at the prefix, answer identically.
  const int64_t last_ms = base + (k - 1) * kStepMs;
  const std::string window = "from=" + std::to_string(base / 1000.0) + "&to=" + std::to_string(last_ms / 1000.0);
  for (const std::string& target : {"/api/v1/events/export?type=vital&" + window,
                                   "/api/v1/vitals?metric=LCP&group_by=page&" + window,
                                   std::string("/api/v2/silences"), std::string("/api/v2/alerts"),
                                   std::string("/api/v1/deploys?app=shop")}) {
    EXPECT_EQ(Body(restored.port(), target), Body(source.port(), target)) << target;
  }
  const std::string alerts = Body(restored.port(), "/api/v2/alerts");
  EXPECT_NE(alerts.find("ErrorsHigh"), std::string::npos) << alerts;
  EXPECT_NE(alerts.find("\"state\":\"suppressed\""), std::string::npos) << "the silence still mutes LcpSlow: " << alerts;
  const int m = static_cast<int>(series.begin()->second.size());
  EXPECT_EQ(series, SeriesValues(source.port(), base + (m - 1) * kStepMs));
}

TEST(SnapshotTest, TsdbSnapshotLinksBlocksAndWalAndSkipHeadLeavesTheHeadOut) {
  ServerProcess source;
  ASSERT_TRUE(source.Start()) << source.log();
  {
    HttpClient client(source.port());
    for (int i = 0; i < 50; ++i) {
      ASSERT_EQ(client.Post("/api/v1/write", Samples(i, NowMs() - 60'000), "application/x-protobuf",
                            {{"Content-Encoding", "snappy"}, {"X-Prometheus-Remote-Write-Version", "0.1.0"}})
                    .status,
                204);
    }
  }
  // Prometheus' path and answer shape.
  const std::string name = TakeSnapshot(source.port(), "/api/v1/admin/tsdb/snapshot");
  const fs::path wal = source.data_dir() / "snapshots" / name / "tsdb" / "wal";
  size_t linked = 0;
  for (const auto& entry : fs::directory_iterator(wal)) {
    struct stat st {};
    ASSERT_EQ(::stat(entry.path().c_str(), &st), 0);
    if (S_ISREG(st.st_mode) && st.st_nlink >= 2) ++linked;  // shared with data_dir/tsdb/wal
  }
  EXPECT_GE(linked, 1u) << "WAL segments are hard links";

  HttpClient client(source.port());
  auto skip = client.Post("/api/v1/admin/snapshot?skip_head=true", "");
  ASSERT_EQ(skip.status, 200) << skip.body;
  simdjson::dom::parser parser;
  const std::string skip_name(parser.parse(skip.body)["data"]["name"].get_string().value());
  ServerProcess restored;
  ASSERT_TRUE(restored.Start()) << restored.log();
  RestoreInto(restored, source.data_dir() / "snapshots" / skip_name);
  ASSERT_TRUE(restored.Start()) << restored.log();
  EXPECT_TRUE(SeriesValues(restored.port()).empty()) << "skip_head: the samples were only in the head";
}

TEST(SnapshotTest, BackupCopiesOverHttpDeletesTheSnapshotAndRestores) {
  ServerProcess source;
  ASSERT_TRUE(source.Start()) << source.log();
  AddSilenceAndDeploy(source.port());
  const int64_t base = NowMs() - 600'000;
  {
    HttpClient client(source.port());
    for (int i = 0; i < 200; ++i) {
      ASSERT_EQ(client.Post("/api/rum", Beacon(i, base)).status, 204);
      ASSERT_EQ(client.Post("/api/v1/write", Samples(i, base), "application/x-protobuf",
                            {{"Content-Encoding", "snappy"}, {"X-Prometheus-Remote-Write-Version", "0.1.0"}})
                    .status,
                204);
    }
  }
  testing::TempDir dest("pw_backup_");
  auto r = RunPerfwatch("backup --server http://127.0.0.1:" + std::to_string(source.port()) + " " + dest.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("backup "), std::string::npos) << r.output;
  std::vector<fs::path> backups;
  for (const auto& entry : fs::directory_iterator(dest.path())) backups.push_back(entry.path());
  ASSERT_EQ(backups.size(), 1u);
  EXPECT_TRUE(fs::exists(backups[0] / "snapshot.json"));
  EXPECT_TRUE(fs::exists(backups[0] / "events"));
  EXPECT_EQ(Body(source.port(), "/api/v1/admin/snapshots"), R"({"status":"success","data":[]})")
      << "the backup deletes the snapshot it took";

  ServerProcess restored;
  ASSERT_TRUE(restored.Start()) << restored.log();
  RestoreInto(restored, backups[0]);
  ASSERT_TRUE(restored.Start()) << restored.log();
  for (const std::string& target :
       {std::string("/api/v1/events/export"), std::string("/api/v1/vitals?metric=LCP&group_by=page&from=") +
                                                   std::to_string(base / 1000) + "&to=" + std::to_string(NowMs() / 1000),
        std::string("/api/v2/silences"), std::string("/api/v2/alerts"), std::string("/api/v1/deploys?app=shop"),
        "/api/v1/export?match[]=" + testing::UrlEncode("{job=\"snap\"}")}) {
    EXPECT_EQ(Body(restored.port(), target), Body(source.port(), target)) << target;
  }
}

TEST(SnapshotTest, BadRequestsAndBrokenSnapshotsGetClearErrors) {
  ServerProcess source;
  ASSERT_TRUE(source.Start()) << source.log();
  HttpClient client(source.port());
  EXPECT_EQ(client.Post("/api/v1/admin/snapshot?skip_head=maybe", "").status, 400);
  EXPECT_EQ(client.Get("/api/v1/admin/snapshots/nope").status, 404);
  EXPECT_EQ(client.Get("/api/v1/admin/snapshots/..").status, 400);
  EXPECT_EQ(client.Request("DELETE", "/api/v1/admin/snapshots/nope", "", {}).status, 404);
  ASSERT_EQ(client.Post("/api/rum", Beacon(0, NowMs() - 60'000)).status, 204);
  const std::string name = TakeSnapshot(source.port());
  EXPECT_EQ(client.Get("/api/v1/admin/snapshots/" + name + "/files/../../config.yml").status, 404);
  EXPECT_EQ(client.Get("/api/v1/admin/snapshots/" + name + "/files/snapshot.json").status, 404)
      << "only files the manifest lists";
  auto manifest = client.Get("/api/v1/admin/snapshots/" + name);
  ASSERT_EQ(manifest.status, 200) << manifest.body;
  EXPECT_NE(manifest.body.find("\"files\":["), std::string::npos);

  const fs::path snap = source.data_dir() / "snapshots" / name;
  testing::TempDir target("pw_restore_");
  // A data directory that is not empty is refused.
  std::ofstream(target.path() / "keep.txt") << "x";
  auto r = RunPerfwatch("restore " + snap.string() + " --data-dir " + target.path().string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("is not empty"), std::string::npos) << r.output;
  // Not a snapshot.
  r = RunPerfwatch("restore " + target.path().string() + " --data-dir " + (target.path() / "new").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("is not a snapshot or backup"), std::string::npos) << r.output;
  // A file shorter than the manifest says: nothing is written.
  fs::path victim;
  for (const auto& entry : fs::recursive_directory_iterator(snap / "events")) {
    if (entry.is_regular_file() && entry.file_size() > 0) victim = entry.path();
  }
  ASSERT_FALSE(victim.empty());
  fs::remove(victim);  // break the link first: the source's own file stays whole
  std::ofstream(victim) << "";
  r = RunPerfwatch("restore " + snap.string() + " --data-dir " + (target.path() / "new").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("the manifest says"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(target.path() / "new"));
  // A snapshot written by a newer perfwatch (a format version this build does not read) is
  // refused before anything is written, whatever else is wrong with it.
  const std::string record = [&] {
    std::ifstream in(snap / "FORMATS");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  ASSERT_NE(record.find("events 1"), std::string::npos) << record;
  fs::remove(snap / "FORMATS");  // the snapshot's own copy, not the source's
  std::string newer = record;
  newer.replace(newer.find("events 1"), 8, "events 9");
  std::ofstream(snap / "FORMATS") << newer;
  r = RunPerfwatch("restore " + snap.string() + " --data-dir " + (target.path() / "new").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("events format version 9; this perfwatch reads up to 1: restore it with a newer perfwatch"),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(target.path() / "new"));
  // Usage errors exit 2.
  EXPECT_EQ(RunPerfwatch("restore " + snap.string()).exit_code, 2);
  EXPECT_EQ(RunPerfwatch("backup").exit_code, 2);
  // The server is unreachable: exit 1 with the reason.
  r = RunPerfwatch("backup --server http://127.0.0.1:1 " + target.path().string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("cannot reach the server"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace perfwatch
