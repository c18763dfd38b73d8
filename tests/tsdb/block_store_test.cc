// Merge querier (dedup, priority, order), compaction planning and equivalence, retention
// by time and size, and BlockStore recovery on open.
#include <gtest/gtest.h>

#include "block_test_util.h"
#include "tsdb/block_store.h"
#include "tsdb/compactor.h"
#include "tsdb/merge_querier.h"

namespace perfwatch::tsdb {
namespace {

using namespace testing;  // NOLINT
namespace fs = std::filesystem;

constexpr int64_t kT0 = 1'700'006'400'000;  // not window-aligned on purpose

MemSeries S(std::initializer_list<std::pair<std::string_view, std::string_view>> l, std::vector<Sample> s) {
  return MemSeries{Labels::FromPairs(l), std::move(s)};
}

TEST(MergeQuerier, MergesSeriesAndLaterQuerierWinsOnEqualTimestamps) {
  std::vector<MemSeries> a = {S({{"__name__", "x"}, {"i", "1"}}, {{1, 1}, {2, 2}, {3, 3}}),
                              S({{"__name__", "y"}}, {{5, 5}})};
  std::vector<MemSeries> b = {S({{"__name__", "x"}, {"i", "1"}}, {{3, 30}, {4, 40}}),
                              S({{"__name__", "w"}}, {{1, 1}}),
                              S({{"__name__", "x"}, {"i", "0"}}, {{1, 1}})};
  std::vector<std::unique_ptr<Querier>> qs;
  qs.push_back(std::make_unique<VectorQuerier>(a, 0, 100));
  qs.push_back(std::make_unique<VectorQuerier>(b, 0, 100));
  auto m = NewMergeQuerier(std::move(qs), 0, 100);
  auto dump = DumpQuerier(*m);
  std::vector<std::string> order;
  auto set = m->Select({});
  while (set->Next()) order.push_back(set->At().labels().ToString());
  EXPECT_EQ(order, (std::vector<std::string>{"w{}", "x{i=\"0\"}", "x{i=\"1\"}", "y{}"}));
  using P = std::vector<std::pair<int64_t, uint64_t>>;
  auto bits = [](double v) { return std::bit_cast<uint64_t>(v); };
  EXPECT_EQ(dump["x{i=\"1\"}"], (P{{1, bits(1)}, {2, bits(2)}, {3, bits(30)}, {4, bits(40)}}));
  EXPECT_EQ(*m->LabelNames({}), (std::vector<std::string>{"__name__", "i"}));
  EXPECT_EQ(*m->LabelValues("__name__", {}), (std::vector<std::string>{"w", "x", "y"}));
}

TEST(MergeQuerier, RandomOverlapsMatchBruteForce) {
  auto all = RandomSeries(21, 150, 300, kT0);
  // Split every series' samples between three queriers, with overlaps (duplicates equal).
  std::vector<MemSeries> parts[3];
  std::mt19937_64 rng(3);
  for (const auto& s : all) {
    for (auto& p : parts) p.push_back(MemSeries{s.labels, {}});
    for (const Sample& x : s.samples) {
      int mask = 1 + int(rng() % 7);
      for (int k = 0; k < 3; ++k)
        if (mask & (1 << k)) parts[k].back().samples.push_back(x);
    }
  }
  for (auto [mint, maxt] : {std::pair{INT64_MIN, INT64_MAX}, std::pair{kT0 + 500'000, kT0 + 900'000}}) {
    std::vector<std::unique_ptr<Querier>> qs;
    for (auto& p : parts) qs.push_back(std::make_unique<VectorQuerier>(p, mint, maxt));
    auto m = NewMergeQuerier(std::move(qs), mint, maxt);
    VectorQuerier want(all, mint, maxt);
    for (const auto& ms : MatcherCases()) EXPECT_EQ(DumpQuerier(want, ms), DumpQuerier(*m, ms));
  }
}

BlockMeta Meta(std::string name, int64_t mint, int64_t maxt) {
  BlockMeta m;
  m.name = std::move(name);
  m.mint = mint;
  m.maxt = maxt;
  return m;
}

TEST(Compactor, Plans) {
  const int64_t h = kHour;
  std::vector<int64_t> ranges = {6 * h, 24 * h};
  // Three 2 h blocks in [0, 6 h) and one later block: the window is complete.
  std::vector<BlockMeta> m = {Meta("a", 0, 2 * h - 1), Meta("b", 2 * h, 4 * h - 1), Meta("c", 4 * h, 6 * h - 1),
                              Meta("d", 6 * h, 8 * h - 1)};
  EXPECT_EQ(PlanCompaction(m, ranges), (std::vector<size_t>{0, 1, 2}));
  // The newest window is never compacted while still open.
  std::vector<BlockMeta> open = {Meta("a", 6 * h, 8 * h - 1), Meta("b", 8 * h, 10 * h - 1)};
  EXPECT_TRUE(PlanCompaction(open, ranges).empty());
  // Overlapping blocks merge first, whatever the window.
  std::vector<BlockMeta> ov = {Meta("a", 0, 2 * h - 1), Meta("b", 100, 200), Meta("c", 30 * h, 31 * h)};
  EXPECT_EQ(PlanCompaction(ov, ranges), (std::vector<size_t>{0, 1}));
  // Negative times use floor windows.
  std::vector<BlockMeta> neg = {Meta("a", -6 * h, -4 * h - 1), Meta("b", -4 * h, -1), Meta("c", 0, 10)};
  EXPECT_EQ(PlanCompaction(neg, ranges), (std::vector<size_t>{0, 1}));
  EXPECT_TRUE(PlanCompaction({}, ranges).empty());
}

// Writes `series` as one level-1 block per 2 h window.
void WriteWindows(BlockStore& store, const std::vector<MemSeries>& series, int64_t from, int64_t to) {
  for (int64_t w = FloorDiv(from, 2 * kHour) * 2 * kHour; w <= to; w += 2 * kHour) {
    auto q = VectorQuerier(series, w, w + 2 * kHour - 1);
    auto meta = store.WriteBlock(q, w, w + 2 * kHour - 1);
    ASSERT_TRUE(meta.ok() || meta.status().code() == StatusCode::kNotFound) << meta.status().ToString();
  }
}

TEST(BlockStore, CompactionKeepsQueryResultsIdentical) {
  TempDir dir;
  // 4000 samples at 10 s: ~11 h, several 6 h windows.
  auto series = RandomSeries(31, 80, 4000, kT0);
  auto store = BlockStore::Open(dir.path() / "blocks");
  ASSERT_TRUE(store.ok());
  WriteWindows(**store, series, kT0, kT0 + 4001 * 10'000);
  // A second, overlapping write of one window (e.g. an admin flush): dedup + merge.
  {
    int64_t w = FloorDiv(kT0, 2 * kHour) * 2 * kHour + 2 * kHour;
    VectorQuerier q(series, w, w + kHour);
    ASSERT_TRUE((*store)->WriteBlock(q, w, w + kHour).ok());
  }
  const uint64_t before_blocks = (*store)->Stats().blocks;
  VectorQuerier want(series, INT64_MIN, INT64_MAX);
  std::vector<std::pair<int64_t, int64_t>> ranges = {{INT64_MIN, INT64_MAX}, {kT0 + 3 * kHour, kT0 + 7 * kHour}};
  for (auto [mint, maxt] : ranges) {
    VectorQuerier w(series, mint, maxt);
    auto q = (*store)->NewQuerier(mint, maxt);
    for (const auto& ms : MatcherCases()) EXPECT_EQ(DumpQuerier(w, ms), DumpQuerier(*q, ms));
  }
  auto snapshot = (*store)->NewQuerier(INT64_MIN, INT64_MAX);  // held across compaction
  ASSERT_TRUE((*store)->Compact().ok());
  auto stats = (*store)->Stats();
  EXPECT_LT(stats.blocks, before_blocks);
  EXPECT_GT(stats.compactions, 0u);
  for (auto [mint, maxt] : ranges) {
    VectorQuerier w(series, mint, maxt);
    auto q = (*store)->NewQuerier(mint, maxt);
    for (const auto& ms : MatcherCases()) EXPECT_EQ(DumpQuerier(w, ms), DumpQuerier(*q, ms));
  }
  // The old snapshot still reads the deleted source blocks.
  EXPECT_EQ(DumpQuerier(want), DumpQuerier(*snapshot));
  bool higher_level = false;
  for (const auto& b : (*store)->Blocks()) higher_level |= b->meta().level > 1;
  EXPECT_TRUE(higher_level);
  // Reopen: same answers, nothing reported.
  store->reset();
  auto reopened = BlockStore::Open(dir.path() / "blocks");
  ASSERT_TRUE(reopened.ok());
  EXPECT_TRUE((*reopened)->problems().empty());
  EXPECT_EQ(DumpQuerier(want), DumpQuerier(*(*reopened)->NewQuerier(INT64_MIN, INT64_MAX)));
  ASSERT_TRUE((*reopened)->Compact().ok());  // idempotent
  EXPECT_EQ((*reopened)->Stats().blocks, stats.blocks);
}

TEST(BlockStore, RetentionByTimeAndSize) {
  TempDir dir;
  auto series = RandomSeries(41, 30, 3000, kT0);
  auto store = BlockStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  WriteWindows(**store, series, kT0, kT0 + 3001 * 10'000);
  auto blocks = (*store)->Blocks();
  ASSERT_GE(blocks.size(), 4u);
  // Time: everything ending before the second block's maxt + 1 goes.
  int64_t cutoff = blocks[1]->meta().maxt + 1;
  auto n = (*store)->EnforceRetention(cutoff + 1000, 1000, 0);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2u);
  EXPECT_FALSE(fs::exists(blocks[0]->dir()));
  EXPECT_FALSE(fs::exists(blocks[1]->dir()));
  EXPECT_EQ(DumpQuerier(*blocks[0]->NewQuerier(INT64_MIN, INT64_MAX)).size() > 0, true);  // still mapped
  auto left = (*store)->Blocks();
  EXPECT_EQ(left.front()->meta().name, blocks[2]->meta().name);
  // Size: keep only what fits in the newest block's size; the oldest go first.
  uint64_t newest = left.back()->size_bytes();
  n = (*store)->EnforceRetention(0, 0, newest);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, left.size() - 1);
  ASSERT_EQ((*store)->Blocks().size(), 1u);
  EXPECT_EQ((*store)->Blocks()[0]->meta().name, left.back()->meta().name);
  EXPECT_LE((*store)->Stats().bytes, newest);
  EXPECT_EQ((*store)->Stats().blocks_deleted, blocks.size() - 1);
  // Nothing to do.
  EXPECT_EQ(*(*store)->EnforceRetention(0, 30 * 24 * kHour, 0), 0u);
}

TEST(BlockStore, OpenSkipsCorruptAndCleansUp) {
  TempDir dir;
  auto series = RandomSeries(51, 20, 1500, kT0);
  {
    auto store = BlockStore::Open(dir.path());
    ASSERT_TRUE(store.ok());
    WriteWindows(**store, series, kT0, kT0 + 1501 * 10'000);
  }
  std::vector<fs::path> blocks;
  for (auto& e : fs::directory_iterator(dir.path())) blocks.push_back(e.path());
  std::sort(blocks.begin(), blocks.end());
  ASSERT_GE(blocks.size(), 2u);
  fs::resize_file(blocks[0] / kIndexFileName, 100);  // corrupt one block
  fs::create_directory(dir.path() / "x.tmp");         // an interrupted write
  auto store = BlockStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->Stats().blocks, blocks.size() - 1);
  EXPECT_EQ((*store)->problems().size(), 2u);
  EXPECT_FALSE(fs::exists(dir.path() / "x.tmp"));
  EXPECT_TRUE(fs::exists(blocks[0]));  // left for inspection
}

TEST(BlockStore, InterruptedCompactionSourcesAreRemovedOnOpen) {
  TempDir dir;
  auto series = RandomSeries(61, 20, 4000, kT0);
  fs::path keep = dir.path() / "copy";
  {
    auto store = BlockStore::Open(dir.path() / "blocks");
    ASSERT_TRUE(store.ok());
    WriteWindows(**store, series, kT0, kT0 + 4001 * 10'000);
    fs::create_directories(keep);
    for (auto& b : (*store)->Blocks()) fs::copy(b->dir(), keep / b->dir().filename(), fs::copy_options::recursive);
    ASSERT_TRUE((*store)->Compact().ok());
  }
  // Put the sources back as if the compaction died before deleting them.
  for (auto& e : fs::directory_iterator(keep)) {
    if (!fs::exists(dir.path() / "blocks" / e.path().filename()))
      fs::copy(e.path(), dir.path() / "blocks" / e.path().filename(), fs::copy_options::recursive);
  }
  auto store = BlockStore::Open(dir.path() / "blocks");
  ASSERT_TRUE(store.ok());
  EXPECT_FALSE((*store)->problems().empty());
  VectorQuerier want(series, INT64_MIN, INT64_MAX);
  EXPECT_EQ(DumpQuerier(want), DumpQuerier(*(*store)->NewQuerier(INT64_MIN, INT64_MAX)));
  auto metas = (*store)->Blocks();
  for (size_t i = 1; i < metas.size(); ++i) EXPECT_GT(metas[i]->meta().mint, metas[i - 1]->meta().maxt);
}

}  // namespace
}  // namespace perfwatch::tsdb
