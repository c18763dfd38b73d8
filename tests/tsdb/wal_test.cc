#include "tsdb/wal.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <cmath>
#include <fstream>
#include <random>
#include <thread>

#include "tsdb/record.h"
#include "tsdb/tsdb.h"
#include "tsdb_test_util.h"

namespace perfwatch::tsdb {
namespace {

using testing::Dump;
using testing::DumpQuerier;
using testing::OwnedSeries;
using testing::TempDir;
using testing::Views;

TsdbOptions Options(const std::filesystem::path& dir) {
  TsdbOptions o;
  o.dir = dir;
  return o;
}

std::vector<OwnedSeries> Batch(int round, int series = 10, int per_series = 3) {
  std::vector<OwnedSeries> out;
  for (int i = 0; i < series; ++i) {
    std::vector<Sample> s;
    for (int k = 0; k < per_series; ++k) {
      int64_t t = 1'700'000'000'000 + (static_cast<int64_t>(round) * per_series + k) * 15'000;
      s.push_back({t, round * 100.0 + i + k * 0.25});
    }
    out.emplace_back(Labels::FromPairs({{"__name__", "m"}, {"i", std::to_string(i)}}), std::move(s));
  }
  return out;
}

Dump DumpDb(const Tsdb& db) { return DumpQuerier(*db.NewQuerier(INT64_MIN, INT64_MAX)); }

TEST(WalRecordTest, RoundTrip) {
  std::string buf;
  EncodeSamplesRecordStart(buf, 1000);
  std::vector<Sample> s = {{1000, 1.5}, {995, -0.0}, {2000000, std::bit_cast<double>(uint64_t{0x7ff0000000000002})}};
  EncodeSamplesGroup(buf, 1000, 7, s);
  EncodeSamplesGroup(buf, 1000, 300000, std::span(s).first(1));
  std::vector<std::pair<uint64_t, std::vector<Sample>>> got;
  ASSERT_TRUE(DecodeSamplesRecord(buf, [&](uint64_t ref, std::span<const Sample> x) {
                got.emplace_back(ref, std::vector<Sample>(x.begin(), x.end()));
                return Status::Ok();
              }).ok());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].first, 7u);
  ASSERT_EQ(got[0].second.size(), 3u);
  EXPECT_EQ(got[0].second[1].t, 995);
  EXPECT_TRUE(std::signbit(got[0].second[1].v));
  EXPECT_EQ(std::bit_cast<uint64_t>(got[0].second[2].v), 0x7ff0000000000002u);
  // Every truncation is rejected, never read out of bounds.
  for (size_t n = 1; n < buf.size(); ++n) {
    Status st = DecodeSamplesRecord(std::string_view(buf).substr(0, n),
                                    [](uint64_t, std::span<const Sample>) { return Status::Ok(); });
    (void)st;  // may succeed when cut at a group boundary; must not crash
  }
}

TEST(WalTest, ReplayAfterClose) {
  TempDir dir;
  Dump before;
  {
    auto db = Tsdb::Open(Options(dir.path()), nullptr);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    for (int r = 0; r < 50; ++r) {
      auto b = Batch(r);
      ASSERT_TRUE((*db)->AppendBatch(Views(b)).ok());
    }
    before = DumpDb(**db);
  }
  auto db = Tsdb::Open(Options(dir.path()), nullptr);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(DumpDb(**db), before);
  EXPECT_EQ((*db)->replay_report().samples, 50u * 30u);
  EXPECT_TRUE((*db)->replay_report().problems.empty());
  // Appends continue after replay with the same rules (duplicates, out of order).
  auto b = Batch(49);
  AppendResult r;
  EXPECT_TRUE((*db)->AppendBatch(Views(b), &r).ok());
  EXPECT_EQ(r.duplicates, 30u);
  auto next = Batch(50);
  EXPECT_TRUE((*db)->AppendBatch(Views(next)).ok());
  EXPECT_EQ((*db)->head().num_series(), 10u);
}

TEST(WalTest, SegmentsRollOver) {
  TempDir dir;
  TsdbOptions o = Options(dir.path());
  o.wal_segment_bytes = 4096;
  Dump before;
  {
    auto db = Tsdb::Open(o, nullptr);
    ASSERT_TRUE(db.ok());
    for (int r = 0; r < 100; ++r) {
      auto b = Batch(r);
      ASSERT_TRUE((*db)->AppendBatch(Views(b)).ok());
    }
    before = DumpDb(**db);
  }
  auto segs = ListWalSegments(dir.path() / "wal");
  ASSERT_TRUE(segs.ok());
  EXPECT_GT(segs->size(), 5u);
  auto db = Tsdb::Open(o, nullptr);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(DumpDb(**db), before);
}

// Writes 3 batches, then cuts the last segment at every offset inside the last record:
// replay must give exactly the first two batches and report a torn tail.
TEST(WalTest, TornTailAtEveryOffsetOfLastRecord) {
  TempDir dir;
  std::filesystem::path seg;
  uint64_t size_after_two = 0, full_size = 0;
  Dump two;
  {
    auto db = Tsdb::Open(Options(dir.path()), nullptr);
    ASSERT_TRUE(db.ok());
    for (int r = 0; r < 2; ++r) {
      auto b = Batch(r);
      ASSERT_TRUE((*db)->AppendBatch(Views(b)).ok());
    }
    two = DumpDb(**db);
    auto segs = *ListWalSegments(dir.path() / "wal");
    seg = dir.path() / "wal" / WalSegmentName(segs.back());
    size_after_two = std::filesystem::file_size(seg);
    auto b = Batch(2);
    ASSERT_TRUE((*db)->AppendBatch(Views(b)).ok());
    full_size = std::filesystem::file_size(seg);
  }
  ASSERT_GT(full_size, size_after_two);
  std::string full;
  {
    std::ifstream in(seg, std::ios::binary);
    full.assign(std::istreambuf_iterator<char>(in), {});
  }
  for (uint64_t cut = size_after_two; cut < full_size; ++cut) {
    TempDir copy;
    std::filesystem::create_directories(copy.path() / "wal");
    auto target = copy.path() / "wal" / seg.filename();
    {
      std::ofstream out(target, std::ios::binary);
      out.write(full.data(), static_cast<std::streamsize>(cut));
    }
    auto db = Tsdb::Open(Options(copy.path()), nullptr);
    ASSERT_TRUE(db.ok()) << "cut " << cut << ": " << db.status().ToString();
    EXPECT_EQ(DumpDb(**db), two) << "cut " << cut;
    if (cut > size_after_two) {
      ASSERT_EQ((*db)->replay_report().problems.size(), 1u) << "cut " << cut;
      EXPECT_NE((*db)->replay_report().problems[0].find("torn tail"), std::string::npos);
    }
    EXPECT_EQ(std::filesystem::file_size(target), size_after_two) << "truncated at the last good record";
  }
}

TEST(WalTest, ZeroFilledTailIsTorn) {
  TempDir dir;
  Dump before;
  std::filesystem::path seg;
  {
    auto db = Tsdb::Open(Options(dir.path()), nullptr);
    ASSERT_TRUE(db.ok());
    auto b = Batch(0);
    ASSERT_TRUE((*db)->AppendBatch(Views(b)).ok());
    before = DumpDb(**db);
    seg = dir.path() / "wal" / WalSegmentName((*ListWalSegments(dir.path() / "wal")).back());
  }
  std::filesystem::resize_file(seg, std::filesystem::file_size(seg) + 4096);
  auto db = Tsdb::Open(Options(dir.path()), nullptr);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(DumpDb(**db), before);
  ASSERT_EQ((*db)->replay_report().problems.size(), 1u);
  EXPECT_NE((*db)->replay_report().problems[0].find("torn tail"), std::string::npos);
}

TEST(WalTest, CorruptionMidSegmentIsReportedAndTruncated) {
  TempDir dir;
  std::filesystem::path seg;
  uint64_t good = 0;
  Dump first;
  {
    auto db = Tsdb::Open(Options(dir.path()), nullptr);
    ASSERT_TRUE(db.ok());
    auto b0 = Batch(0);
    ASSERT_TRUE((*db)->AppendBatch(Views(b0)).ok());
    first = DumpDb(**db);
    seg = dir.path() / "wal" / WalSegmentName((*ListWalSegments(dir.path() / "wal")).back());
    good = std::filesystem::file_size(seg);
    for (int r = 1; r < 5; ++r) {
      auto b = Batch(r);
      ASSERT_TRUE((*db)->AppendBatch(Views(b)).ok());
    }
  }
  // Flip a byte inside the second record's payload.
  {
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(good + kWalRecordHeaderBytes + 5));
    char c;
    f.seekg(static_cast<std::streamoff>(good + kWalRecordHeaderBytes + 5));
    f.read(&c, 1);
    c ^= 0x40;
    f.seekp(static_cast<std::streamoff>(good + kWalRecordHeaderBytes + 5));
    f.write(&c, 1);
  }
  auto db = Tsdb::Open(Options(dir.path()), nullptr);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(DumpDb(**db), first);
  const auto& problems = (*db)->replay_report().problems;
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("corrupt record"), std::string::npos) << problems[0];
  EXPECT_NE(problems[0].find(seg.filename().string()), std::string::npos) << problems[0];
  EXPECT_NE(problems[0].find("offset " + std::to_string(good)), std::string::npos) << problems[0];
  EXPECT_EQ(std::filesystem::file_size(seg), good);
}

TEST(WalTest, CheckpointReplayEquivalence) {
  TempDir dir;
  Dump before;
  {
    auto db = Tsdb::Open(Options(dir.path()), nullptr);
    ASSERT_TRUE(db.ok());
    for (int r = 0; r < 100; ++r) {  // 300 samples per series: a sealed chunk + open chunk
      auto b = Batch(r);
      ASSERT_TRUE((*db)->AppendBatch(Views(b)).ok());
    }
    ASSERT_TRUE((*db)->Checkpoint().ok());
    for (int r = 100; r < 110; ++r) {
      auto b = Batch(r);
      ASSERT_TRUE((*db)->AppendBatch(Views(b)).ok());
    }
    before = DumpDb(**db);
  }
  auto segs = *ListWalSegments(dir.path() / "wal");
  EXPECT_EQ(segs.size(), 1u) << "segments covered by the checkpoint are gone";
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "wal" / "checkpoint.00000001"));
  auto db = Tsdb::Open(Options(dir.path()), nullptr);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ((*db)->replay_report().checkpoint, 1u);
  EXPECT_TRUE((*db)->replay_report().problems.empty());
  EXPECT_EQ(DumpDb(**db), before);
  // Second checkpoint replaces the first; appends continue.
  ASSERT_TRUE((*db)->Checkpoint().ok());
  auto b = Batch(110);
  ASSERT_TRUE((*db)->AppendBatch(Views(b)).ok());
  before = DumpDb(**db);
  db->reset();
  auto again = Tsdb::Open(Options(dir.path()), nullptr);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(DumpDb(**again), before);
  int checkpoints = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path() / "wal")) {
    checkpoints += e.path().filename().string().rfind("checkpoint.", 0) == 0;
  }
  EXPECT_EQ(checkpoints, 1);
}

// Concurrent appenders with a checkpoint in the middle: every acknowledged sample is
// replayed, whatever order the appenders' records reached the log in.
TEST(WalTest, ConcurrentAppendsAndCheckpointReplay) {
  TempDir dir;
  Dump before;
  {
    auto db = Tsdb::Open(Options(dir.path()), nullptr);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Start().ok());
    std::vector<std::thread> threads;
    for (int w = 0; w < 4; ++w) {
      threads.emplace_back([&, w] {
        for (int r = 0; r < 200; ++r) {
          std::vector<OwnedSeries> b;
          for (int i = 0; i < 20; ++i) {
            b.emplace_back(Labels::FromPairs({{"__name__", "c"}, {"i", std::to_string(i)}}),
                           std::vector<Sample>{{r * 10 + w, double(w)}});
          }
          (void)(*db)->AppendBatch(Views(b));
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_TRUE((*db)->Checkpoint().ok());
    for (auto& t : threads) t.join();
    before = DumpDb(**db);
  }
  auto db = Tsdb::Open(Options(dir.path()), nullptr);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(DumpDb(**db), before);
}

// Concurrent appenders can log out of application order: samples before their series
// record, and older samples after newer ones. Replay must restore them all, in order.
TEST(WalTest, ReplayToleratesReorderedRecords) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "wal");
  {
    auto w = WalWriter::Open(dir.path() / "wal", WalOptions{}, 1);
    ASSERT_TRUE(w.ok());
    std::string buf;
    std::vector<Sample> late = {{2000, 2}, {3000, 3}};
    std::vector<Sample> early = {{1000, 1}, {2000, 2}};  // 2000 repeated: an exact duplicate
    std::vector<Sample> edge = {{INT64_MIN, -1}, {INT64_MAX, 1}};
    size_t at = BeginWalRecord(buf);
    EncodeSamplesRecordStart(buf, 2000);
    EncodeSamplesGroup(buf, 2000, 5, late);  // before ref 5's series record
    FinishWalRecord(buf, at);
    at = BeginWalRecord(buf);
    EncodeSeriesRecordStart(buf);
    Labels l = Labels::FromPairs({{"__name__", "r"}});
    Labels e = Labels::FromPairs({{"__name__", "edge"}});
    EncodeSeriesEntry(buf, 5, l.Views());
    EncodeSeriesEntry(buf, 9, e.Views());
    FinishWalRecord(buf, at);
    at = BeginWalRecord(buf);
    EncodeSamplesRecordStart(buf, 1000);
    EncodeSamplesGroup(buf, 1000, 5, early);
    EncodeSamplesGroup(buf, 1000, 9, edge);
    FinishWalRecord(buf, at);
    ASSERT_TRUE((*w)->Append(buf).ok());
  }
  auto db = Tsdb::Open(Options(dir.path()), nullptr);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_TRUE((*db)->replay_report().problems.empty());
  Dump d = DumpDb(**db);
  ASSERT_EQ(d["r{}"].size(), 3u);
  EXPECT_EQ(d["r{}"][0].first, 1000);
  EXPECT_EQ(d["r{}"][2].first, 3000);
  ASSERT_EQ(d["edge{}"].size(), 2u);
  EXPECT_EQ(d["edge{}"][0].first, INT64_MIN);
  EXPECT_EQ(d["edge{}"][1].first, INT64_MAX);
  // New series get refs after the replayed ones.
  std::vector<OwnedSeries> b;
  b.emplace_back(Labels::FromPairs({{"__name__", "new"}}), std::vector<Sample>{{1, 1}});
  ASSERT_TRUE((*db)->AppendBatch(Views(b)).ok());
  db->reset();
  auto again = Tsdb::Open(Options(dir.path()), nullptr);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(DumpDb(**again).size(), 3u);
}

TEST(WalTest, OutOfOrderSamplesSurviveReplayAndCheckpoint) {
  TempDir dir;
  TsdbOptions o = Options(dir.path());
  o.out_of_order_window_ms = 60'000;
  Dump before;
  {
    auto db = Tsdb::Open(o, nullptr);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    for (int r = 0; r < 10; ++r) {
      auto b = Batch(r);
      ASSERT_TRUE((*db)->AppendBatch(Views(b)).ok());
    }
    std::vector<OwnedSeries> late;
    late.emplace_back(Labels::FromPairs({{"__name__", "m"}, {"i", "3"}}),
                      std::vector<Sample>{{1'700'000'000'000 + 27 * 15'000 + 7, 42}});
    ASSERT_TRUE((*db)->AppendBatch(Views(late)).ok());
    before = DumpDb(**db);
    ASSERT_EQ(before["m{i=\"3\"}"].size(), 31u);
  }
  {
    auto db = Tsdb::Open(o, nullptr);
    ASSERT_TRUE(db.ok());
    EXPECT_EQ(DumpDb(**db), before);
    ASSERT_TRUE((*db)->Checkpoint().ok());
  }
  auto db = Tsdb::Open(o, nullptr);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(DumpDb(**db), before);
}

TEST(WalTest, FsyncThreadAndStrictMode) {
  TempDir dir;
  MetricsRegistry reg;
  TsdbOptions o = Options(dir.path());
  o.wal_fsync_interval = std::chrono::milliseconds(0);
  auto db = Tsdb::Open(o, &reg);
  ASSERT_TRUE(db.ok());
  auto b = Batch(0);
  ASSERT_TRUE((*db)->AppendBatch(Views(b)).ok());
  EXPECT_NE(reg.Render().find("perfwatch_tsdb_wal_fsyncs_total 1"), std::string::npos);

  TempDir dir2;
  MetricsRegistry reg2;
  TsdbOptions o2 = Options(dir2.path());
  o2.wal_fsync_interval = std::chrono::milliseconds(5);
  auto db2 = Tsdb::Open(o2, &reg2);
  ASSERT_TRUE(db2.ok());
  ASSERT_TRUE((*db2)->Start().ok());
  ASSERT_TRUE((*db2)->AppendBatch(Views(b)).ok());
  // The fsync thread runs every 5 ms; a loaded machine may delay it, so wait up to 5 s.
  for (int i = 0; i < 500 && reg2.Render().find("perfwatch_tsdb_wal_fsyncs_total 0") != std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(reg2.Render().find("perfwatch_tsdb_wal_fsyncs_total 0"), std::string::npos);
  (*db2)->Stop();
  (*db2)->Stop();
}

}  // namespace
}  // namespace perfwatch::tsdb
