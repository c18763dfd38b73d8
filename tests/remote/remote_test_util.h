#pragma once
// Helpers for the remote-write-out tests: a real Tsdb in a temp directory to append to,
// and decoding what a WebhookReceiver got with the server's own remote-write decoder.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/metrics.h"
#include "ingest/remote_write/remote_write_decoder.h"
#include "support/temp_dir.h"
#include "support/webhook_receiver.h"
#include "tsdb/tsdb.h"

namespace perfwatch::remote::testing {

using perfwatch::testing::TempDir;
using perfwatch::testing::WebhookReceiver;

// "{a=\"1\",b=\"2\"}" -> [(t, v)] in arrival order.
using Received = std::map<std::string, std::vector<std::pair<int64_t, double>>>;

inline std::string Key(const std::vector<std::pair<std::string, std::string>>& labels) {
  std::string k = "{";
  for (size_t i = 0; i < labels.size(); ++i) k += (i ? "," : "") + labels[i].first + "=\"" + labels[i].second + "\"";
  return k + "}";
}

struct TestStore {
  explicit TestStore(const std::filesystem::path& dir, uint64_t segment_bytes = 128ull << 20) {
    tsdb::TsdbOptions o;
    o.dir = dir;
    o.wal_fsync_interval = std::chrono::milliseconds(0);
    o.wal_segment_bytes = segment_bytes;
    o.maintenance_interval = std::chrono::milliseconds(0);
    auto t = tsdb::Tsdb::Open(o, &metrics);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    db = std::move(t).value();
  }
  // Appends samples (t, v) to the series `labels` (sorted by name).
  void Append(const std::vector<std::pair<std::string, std::string>>& labels,
              const std::vector<std::pair<int64_t, double>>& samples) {
    std::vector<tsdb::LabelView> views;
    for (const auto& l : labels) views.push_back({l.first, l.second});
    std::vector<tsdb::Sample> s;
    for (const auto& [t, v] : samples) s.push_back({t, v});
    tsdb::SeriesSamples ss{views, s};
    Status st = db->AppendBatch(std::span<const tsdb::SeriesSamples>(&ss, 1));
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  std::filesystem::path wal_dir() const { return db->options().dir / "wal"; }
  MetricsRegistry metrics;
  std::unique_ptr<tsdb::Tsdb> db;
};

// Decodes the recorded requests the receiver answered with a 2xx (what the sender may
// consider delivered) and checks the remote-write headers of all.
inline Received Decode(const std::vector<perfwatch::testing::RecordedRequest>& requests, size_t from = 0,
                       size_t to = SIZE_MAX) {
  Received out;
  ingest::RemoteWriteDecoder dec;
  for (size_t i = from; i < requests.size() && i < to; ++i) {
    const auto& r = requests[i];
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.headers.at("content-encoding"), "snappy");
    EXPECT_EQ(r.headers.at("content-type"), "application/x-protobuf");
    EXPECT_EQ(r.headers.at("x-prometheus-remote-write-version"), "0.1.0");
    if (r.status < 200 || r.status > 299) continue;
    Status s = dec.Decode(r.body);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (!s.ok()) continue;
    for (size_t j = 0; j < dec.num_series(); ++j) {
      ingest::RemoteWriteSeries ser = dec.series(j);
      std::vector<std::pair<std::string, std::string>> labels;
      for (const auto& l : ser.labels) labels.emplace_back(std::string(l.name), std::string(l.value));
      auto& v = out[Key(labels)];
      for (const auto& smp : ser.samples) v.emplace_back(smp.timestamp_ms, smp.value);
    }
  }
  return out;
}

inline size_t CountSamples(const Received& r) {
  size_t n = 0;
  for (const auto& [k, v] : r) n += v.size();
  return n;
}

// Polls `pred` every 10 ms for up to `timeout_ms` (waits for background threads; the
// assertion is on the state reached, never on how long it took).
template <typename Pred>
bool Eventually(Pred pred, int timeout_ms = 20'000) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

}  // namespace perfwatch::remote::testing
