// Tsdb::Flush: the head moves into blocks while appends and queries go on, nothing is lost
// or duplicated, the WAL that held it is dropped, and a restart reads blocks + WAL.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "common/time.h"
#include "tsdb/tsdb.h"
#include "tsdb/wal.h"
#include "tsdb_test_util.h"

namespace perfwatch::tsdb {
namespace {

using testing::DumpQuerier;
using testing::OwnedSeries;
using testing::TempDir;
using testing::Views;

constexpr int64_t kHour = 3600'000;

TsdbOptions Options(const std::filesystem::path& dir) {
  TsdbOptions o;
  o.dir = dir;
  o.maintenance_interval = std::chrono::milliseconds(0);
  return o;
}

// `n` samples of series `name`, one a minute from `t0`.
OwnedSeries Series(const std::string& name, int64_t t0, int n, double base = 0) {
  std::vector<Sample> samples;
  for (int i = 0; i < n; ++i) samples.push_back({t0 + i * 60'000, base + i});
  return OwnedSeries(Labels::FromPairs({{"__name__", name}, {"job", "t"}}), samples);
}

uint64_t CountSamples(const Tsdb& db) {
  uint64_t n = 0;
  for (const auto& [labels, samples] : DumpQuerier(*db.NewQuerier(INT64_MIN / 4, INT64_MAX / 4))) n += samples.size();
  return n;
}

TEST(TsdbFlushTest, HeadMovesIntoBlocksAndEverythingStaysQueryable) {
  TempDir dir;
  const int64_t t0 = (NowMs() / kHour - 10) * kHour;  // recent: retention keeps it
  auto db = Tsdb::Open(Options(dir.path()), nullptr);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  std::vector<OwnedSeries> batch = {Series("a", t0, 300), Series("b", t0 + kHour, 200, 1000)};  // ~5 h of data
  ASSERT_TRUE((*db)->AppendBatch(Views(batch)).ok());
  auto before = DumpQuerier(*(*db)->NewQuerier(INT64_MIN / 4, INT64_MAX / 4));

  ASSERT_TRUE((*db)->Flush().ok());
  EXPECT_EQ((*db)->head().Stats().samples, 0u);
  EXPECT_GE((*db)->blocks().Stats().blocks, 1u);  // a block per 2 h window, compacted at 6 h
  EXPECT_EQ((*db)->blocks().Stats().samples, 500u);
  EXPECT_EQ(DumpQuerier(*(*db)->NewQuerier(INT64_MIN / 4, INT64_MAX / 4)), before);

  // Appends continue in the new head, including a series that is also in the blocks.
  std::vector<OwnedSeries> more = {Series("a", t0 + 300 * 60'000, 10, 300)};
  ASSERT_TRUE((*db)->AppendBatch(Views(more)).ok());
  EXPECT_EQ(CountSamples(**db), 510u);
  (*db)->Stop();
  db = Tsdb::Open(Options(dir.path()), nullptr);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(CountSamples(**db), 510u) << "blocks + the WAL written after the flush";
  EXPECT_EQ((*db)->replay_report().samples, 10u) << "the flushed head's WAL is gone";
}

TEST(TsdbFlushTest, ConcurrentAppendsAndQueriesAcrossFlushes) {
  TempDir dir;
  auto db = Tsdb::Open(Options(dir.path()), nullptr);
  ASSERT_TRUE(db.ok());
  const int64_t t0 = (NowMs() / kHour - 5) * kHour;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> appended{0};
  std::thread writer([&] {
    for (int i = 0; !stop; ++i) {
      std::vector<OwnedSeries> batch;
      for (int s = 0; s < 20; ++s) {
        batch.emplace_back(Labels::FromPairs({{"__name__", "m"}, {"s", std::to_string(s)}}),
                           std::vector<Sample>{{t0 + i * 1000, static_cast<double>(i)}});
      }
      ASSERT_TRUE((*db)->AppendBatch(Views(batch)).ok());
      appended += 20;
    }
  });
  std::thread reader([&] {
    uint64_t last = 0;
    while (!stop) {
      uint64_t n = CountSamples(**db);
      EXPECT_GE(n, last) << "a flush must never hide samples from a query";
      last = n;
    }
  });
  for (int f = 0; f < 4; ++f) {
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    ASSERT_TRUE((*db)->Flush().ok());
  }
  stop = true;
  writer.join();
  reader.join();
  EXPECT_EQ(CountSamples(**db), appended.load());
  (*db)->Stop();
  db = Tsdb::Open(Options(dir.path()), nullptr);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(CountSamples(**db), appended.load());
}

TEST(TsdbFlushTest, BackgroundMaintenanceFlushesALongHead) {
  TempDir dir;
  TsdbOptions o = Options(dir.path());
  o.maintenance_interval = std::chrono::milliseconds(20);
  auto db = Tsdb::Open(o, nullptr);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->Start().ok());
  const int64_t t0 = (NowMs() / kHour - 6) * kHour;
  std::vector<OwnedSeries> batch = {Series("long", t0, 5 * 60)};  // spans 5 h > 1.5 x 2 h
  ASSERT_TRUE((*db)->AppendBatch(Views(batch)).ok());
  for (int i = 0; i < 200 && (*db)->blocks().Stats().blocks == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GT((*db)->blocks().Stats().blocks, 0u);
  EXPECT_EQ(CountSamples(**db), 300u);
  (*db)->Stop();
}

}  // namespace
}  // namespace perfwatch::tsdb

namespace perfwatch::tsdb {
namespace {

// A flush replaces the head; /metrics must report the current head's series once, and
// never call into the head that was dropped (it did before: a use-after-free).
TEST(TsdbFlushTest, MetricsReportTheCurrentHeadOnceAcrossFlushes) {
  TempDir dir;
  MetricsRegistry metrics;
  const int64_t t0 = (NowMs() / kHour - 3) * kHour;
  auto db = Tsdb::Open(Options(dir.path()), &metrics);
  ASSERT_TRUE(db.ok());
  std::vector<OwnedSeries> batch = {Series("a", t0, 10), Series("b", t0, 10)};
  ASSERT_TRUE((*db)->AppendBatch(Views(batch)).ok());
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE((*db)->Flush().ok());
    std::vector<OwnedSeries> one = {Series("c" + std::to_string(round), t0 + kHour, 5)};
    ASSERT_TRUE((*db)->AppendBatch(Views(one)).ok());
    std::string text = metrics.Render();
    size_t first = text.find("# TYPE perfwatch_tsdb_head_series gauge");
    ASSERT_NE(first, std::string::npos);
    EXPECT_EQ(text.find("# TYPE perfwatch_tsdb_head_series gauge", first + 1), std::string::npos) << text;
    EXPECT_NE(text.find("\nperfwatch_tsdb_head_series 1\n"), std::string::npos) << "only the new head's series";
  }
}

}  // namespace
}  // namespace perfwatch::tsdb

namespace perfwatch::tsdb {
namespace {

// Appends by ref (the scrape loop's fast path): the same rules, logged to the WAL (so a
// restart replays them), and refs of a head that a flush replaced are reported, not lost.
TEST(TsdbFlushTest, AppendByRefIsLoggedAndReportsRefsOfAReplacedHead) {
  TempDir dir;
  const int64_t t0 = (NowMs() / kHour - 3) * kHour;
  auto db = Tsdb::Open(Options(dir.path()), nullptr);
  ASSERT_TRUE(db.ok());
  std::vector<OwnedSeries> batch = {Series("a", t0, 1), Series("b", t0, 1, 100)};
  std::vector<SeriesRef> refs(batch.size(), 0);
  ASSERT_TRUE((*db)->AppendBatch(Views(batch), nullptr, refs).ok());
  ASSERT_NE(refs[0], 0u);
  ASSERT_NE(refs[1], refs[0]);
  std::vector<RefSample> by_ref = {{refs[0], {t0 + 60'000, 1}}, {refs[1], {t0 + 60'000, 101}},
                                   {refs[0], {t0 + 30'000, 5}}};  // out of order: rejected
  AppendResult res;
  std::vector<uint32_t> unknown;
  Status st = (*db)->AppendRefs(by_ref, &res, &unknown);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.ToString();
  EXPECT_EQ(res.appended, 2u);
  EXPECT_EQ(res.rejected, 1u);
  EXPECT_TRUE(unknown.empty());
  EXPECT_EQ(CountSamples(**db), 4u);

  (*db)->Stop();
  db = Tsdb::Open(Options(dir.path()), nullptr);  // the WAL holds the by-ref samples
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(CountSamples(**db), 4u);

  const uint64_t gen = (*db)->head_generation();
  ASSERT_TRUE((*db)->Flush().ok());
  EXPECT_NE((*db)->head_generation(), gen);
  std::vector<RefSample> stale_refs = {{refs[0], {t0 + 120'000, 2}}};
  unknown.clear();
  EXPECT_TRUE((*db)->AppendRefs(stale_refs, &res, &unknown).ok());
  EXPECT_EQ(unknown, (std::vector<uint32_t>{0}));
  EXPECT_EQ(res.appended, 0u);
  EXPECT_EQ(CountSamples(**db), 4u);
}

}  // namespace
}  // namespace perfwatch::tsdb

namespace perfwatch::tsdb {
namespace {

std::vector<uint32_t> Segments(const std::filesystem::path& wal) {
  auto s = ListWalSegments(wal);
  EXPECT_TRUE(s.ok());
  return s.ok() ? *s : std::vector<uint32_t>{};
}

// A WAL reader's hold (remote write out) keeps the segments a flush would delete; replay
// skips them (no sample twice); once released, the next flush deletes them.
TEST(TsdbWalHoldTest, FlushKeepsHeldSegmentsAndReplayDoesNotLoadThemAgain) {
  TempDir dir;
  const int64_t t0 = (NowMs() / kHour - 10) * kHour;
  const std::filesystem::path wal = dir.path() / "wal";
  std::atomic<uint32_t> hold{1};  // a reader at the start of segment 1
  {
    auto db = Tsdb::Open(Options(dir.path()), nullptr);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    (*db)->SetWalHold([&] { return Tsdb::WalReadPosition{.segment = hold.load(), .offset = 0}; });
    std::vector<OwnedSeries> batch = {Series("a", t0, 100), Series("b", t0, 50, 1000)};
    ASSERT_TRUE((*db)->AppendBatch(Views(batch)).ok());
    ASSERT_TRUE((*db)->Flush().ok());
    EXPECT_EQ(Segments(wal).front(), 1u);  // segment 1 kept
    EXPECT_TRUE(std::filesystem::is_directory(wal / "checkpoint.00000001"));  // the marker
    std::vector<OwnedSeries> more = {Series("a", t0 + 100 * 60'000, 10, 100)};
    ASSERT_TRUE((*db)->AppendBatch(Views(more)).ok());
    EXPECT_EQ(CountSamples(**db), 160u);
  }
  {
    auto db = Tsdb::Open(Options(dir.path()), nullptr);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    EXPECT_EQ((*db)->head().Stats().samples, 10u);  // only what came after the flush
    EXPECT_EQ(CountSamples(**db), 160u);            // nothing twice
    // Released: the next flush deletes the held segments and the marker.
    hold = UINT32_MAX;
    (*db)->SetWalHold([&] { return Tsdb::WalReadPosition{.segment = hold.load(), .offset = 0}; });
    ASSERT_TRUE((*db)->Flush().ok());
    for (uint32_t s : Segments(wal)) EXPECT_GT(s, 2u);
    EXPECT_FALSE(std::filesystem::exists(wal / "checkpoint.00000001"));
    EXPECT_EQ(CountSamples(**db), 160u);
  }
}

TEST(TsdbWalHoldTest, HeldSegmentsBeyondTheCapAreDeletedAndCounted) {
  TempDir dir;
  const int64_t t0 = (NowMs() / kHour - 10) * kHour;
  TsdbOptions o = Options(dir.path());
  o.wal_hold_max_bytes = 1;  // no segment fits
  MetricsRegistry metrics;
  auto db = Tsdb::Open(o, &metrics);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  (*db)->SetWalHold([] { return Tsdb::WalReadPosition{.segment = 1, .offset = 0}; });
  std::vector<OwnedSeries> batch = {Series("a", t0, 100)};
  ASSERT_TRUE((*db)->AppendBatch(Views(batch)).ok());
  ASSERT_TRUE((*db)->Flush().ok());
  for (uint32_t s : Segments(dir.path() / "wal")) EXPECT_GT(s, 1u);
  EXPECT_NE(metrics.Render().find("perfwatch_tsdb_wal_held_segments_dropped_total 1"), std::string::npos)
      << metrics.Render();
}

// Snapshot (POST /api/v1/admin/snapshot): blocks and the closed WAL as hard links, cut
// between two appends; what comes after the call is not in it.
TEST(TsdbSnapshotTest, HoldsBlocksAndHeadAsOfTheCallAsHardLinks) {
  TempDir dir;
  TempDir out;
  const int64_t t0 = (NowMs() / kHour - 10) * kHour;
  auto db = Tsdb::Open(Options(dir.path()), nullptr);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  std::vector<OwnedSeries> flushed = {Series("a", t0, 100), Series("b", t0, 50, 1000)};
  ASSERT_TRUE((*db)->AppendBatch(Views(flushed)).ok());
  ASSERT_TRUE((*db)->Flush().ok());  // into a block
  std::vector<OwnedSeries> head = {Series("a", t0 + 100 * 60'000, 10, 100)};
  ASSERT_TRUE((*db)->AppendBatch(Views(head)).ok());

  auto stats = (*db)->Snapshot(out.path() / "full", /*with_head=*/true);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_GE(stats->blocks, 1u);
  auto no_head = (*db)->Snapshot(out.path() / "blocks-only", /*with_head=*/false);
  ASSERT_TRUE(no_head.ok()) << no_head.status().ToString();
  std::vector<OwnedSeries> later = {Series("c", t0 + 200 * 60'000, 5)};
  ASSERT_TRUE((*db)->AppendBatch(Views(later)).ok());
  ASSERT_TRUE((*db)->Flush().ok());  // deletes the source's segments: the links keep them

  for (const auto& entry : std::filesystem::recursive_directory_iterator(out.path() / "full")) {
    if (entry.is_regular_file()) {
      EXPECT_GE(entry.hard_link_count(), 1u);
    }
  }
  size_t shared = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(out.path() / "full" / "blocks")) {
    if (entry.is_regular_file() && entry.hard_link_count() >= 2) ++shared;
  }
  EXPECT_GE(shared, 3u) << "a block's chunks, index and meta.json are links";

  auto full = Tsdb::Open(Options(out.path() / "full"), nullptr);
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_EQ(CountSamples(**full), 160u);  // the block's 150 and the head's 10, not "c"
  auto blocks_only = Tsdb::Open(Options(out.path() / "blocks-only"), nullptr);
  ASSERT_TRUE(blocks_only.ok()) << blocks_only.status().ToString();
  EXPECT_EQ(CountSamples(**blocks_only), 150u);
  // A destination that exists already is refused, not merged into.
  EXPECT_FALSE((*db)->Snapshot(out.path() / "full", true).ok());
}

}  // namespace
}  // namespace perfwatch::tsdb
