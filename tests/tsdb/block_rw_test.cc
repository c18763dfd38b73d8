// Block writer + reader: round trips against a brute-force querier, time clipping, label
// queries, writer input checks, meta.json, and corrupt files (reported, never a crash).
#include <gtest/gtest.h>

#include <fstream>

#include "block_test_util.h"
#include "common/crc32c.h"
#include "tsdb/block_reader.h"
#include "tsdb/block_writer.h"
#include "tsdb/head.h"

namespace perfwatch::tsdb {
namespace {

using namespace testing;  // NOLINT
namespace fs = std::filesystem;

constexpr int64_t kT0 = 1'700'000'000'000;

std::shared_ptr<Block> WriteAndOpen(const Querier& src, const fs::path& parent, BlockWriterOptions opts = {}) {
  auto meta = WriteBlockFromQuerier(src, src.mint(), src.maxt(), parent, "b1", 1, {}, opts);
  EXPECT_TRUE(meta.ok()) << meta.status().ToString();
  auto block = Block::Open(parent / "b1");
  EXPECT_TRUE(block.ok()) << block.status().ToString();
  return block.ok() ? *block : nullptr;
}

// Label queries are compared only for `labels`: a block answers them per chunk time range
// (a series whose chunk overlaps the range counts), not per sample.
void ExpectSameAnswers(const Querier& want, const Querier& got, bool labels = true) {
  for (const auto& ms : MatcherCases()) {
    std::string what;
    for (const auto& m : ms) what += m.ToString() + " ";
    EXPECT_EQ(DumpQuerier(want, ms), DumpQuerier(got, ms)) << what;
    if (!labels) continue;
    EXPECT_EQ(*want.LabelNames(ms), *got.LabelNames(ms)) << what;
    for (const char* name : {"__name__", "job", "le", "absent"}) {
      EXPECT_EQ(*want.LabelValues(name, ms), *got.LabelValues(name, ms)) << what << name;
    }
  }
}

TEST(BlockRw, RandomRoundTripMatchesBruteForce) {
  for (uint64_t seed : {1, 2, 3}) {
    TempDir dir;
    auto series = RandomSeries(seed, 300, 700, kT0);
    VectorQuerier src(series, INT64_MIN, INT64_MAX);
    BlockWriterOptions opts;
    opts.group_bytes = seed == 1 ? 1 : seed == 2 ? 4096 : 256 << 10;  // 1: a group per chunk
    opts.chunk_samples = seed == 3 ? 7 : kRecommendedChunkSamples;
    auto block = WriteAndOpen(src, dir.path(), opts);
    ASSERT_TRUE(block);
    uint64_t samples = 0, nonempty = 0;
    for (auto& s : series) samples += s.samples.size(), nonempty += !s.samples.empty();
    EXPECT_EQ(block->meta().num_samples, samples);
    EXPECT_EQ(block->meta().num_series, nonempty);
    EXPECT_EQ(block->meta().level, 1u);
    EXPECT_EQ(block->meta().sources, std::vector<std::string>{"b1"});
    auto q = block->NewQuerier(INT64_MIN, INT64_MAX);
    ExpectSameAnswers(src, *q);
  }
}

TEST(BlockRw, TimeRangeClippingIsInclusive) {
  TempDir dir;
  auto series = RandomSeries(7, 100, 500, kT0);
  VectorQuerier all(series, INT64_MIN, INT64_MAX);
  BlockWriterOptions opts;
  opts.chunk_samples = 50;
  auto block = WriteAndOpen(all, dir.path(), opts);
  ASSERT_TRUE(block);
  // Ranges on exact sample timestamps, between samples, and outside the block.
  const auto& s0 = series[0].samples.size() > 10 ? series[0] : series[1];
  std::vector<std::pair<int64_t, int64_t>> ranges = {
      {s0.samples[3].t, s0.samples[9].t},     {s0.samples[3].t + 1, s0.samples[9].t - 1},
      {s0.samples[5].t, s0.samples[5].t},     {s0.samples[5].t + 1, s0.samples[6].t - 1},
      {INT64_MIN, kT0 - 1},                   {kT0 + 1'000'000, kT0 + 2'000'000},
      {kT0 + 10'000'000, INT64_MAX}};
  for (auto [mint, maxt] : ranges) {
    VectorQuerier want(series, mint, maxt);
    auto got = block->NewQuerier(mint, maxt);
    ExpectSameAnswers(want, *got, /*labels=*/false);
  }
}

TEST(BlockRw, ExactValuesIncludingNaNPayloadsAndStaleMarkers) {
  TempDir dir;
  std::vector<double> values = {std::bit_cast<double>(kStaleNaN),
                                std::bit_cast<double>(0x7ff8000000000001ULL),
                                std::bit_cast<double>(0xfff0000000000abcULL),
                                INFINITY, -INFINITY, -0.0, 0.0, 5e-324, 1.7976931348623157e308, 0.1, 42};
  std::vector<MemSeries> series(1);
  series[0].labels = Labels::FromPairs({{"__name__", "x"}});
  for (int i = 0; i < 1000; ++i) series[0].samples.push_back({kT0 + i * 1000, values[i % values.size()]});
  VectorQuerier src(series, INT64_MIN, INT64_MAX);
  auto block = WriteAndOpen(src, dir.path());
  ASSERT_TRUE(block);
  auto dump = DumpQuerier(*block->NewQuerier(INT64_MIN, INT64_MAX));
  ASSERT_EQ(dump.size(), 1u);
  const auto& got = dump.begin()->second;
  ASSERT_EQ(got.size(), 1000u);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(got[i].first, kT0 + i * 1000);
    EXPECT_EQ(got[i].second, std::bit_cast<uint64_t>(values[i % values.size()])) << i;
  }
}

TEST(BlockRw, FromHead) {
  TempDir dir;
  Head head(HeadOptions{}, nullptr);
  auto series = RandomSeries(11, 200, 400, kT0);
  std::vector<OwnedSeries> owned;
  for (auto& s : series) owned.emplace_back(s.labels, s.samples);
  ASSERT_TRUE(head.AppendBatch(Views(owned)).ok());
  auto hq = head.NewQuerier(INT64_MIN, INT64_MAX);
  auto block = WriteAndOpen(*hq, dir.path());
  ASSERT_TRUE(block);
  VectorQuerier want(series, INT64_MIN, INT64_MAX);
  ExpectSameAnswers(want, *block->NewQuerier(INT64_MIN, INT64_MAX));
  ExpectSameAnswers(*hq, *block->NewQuerier(INT64_MIN, INT64_MAX));
}

TEST(BlockRw, WriterRejectsBadInputAndPublishesNothing) {
  TempDir dir;
  {
    auto w = BlockWriter::Create(dir.path(), "b", {});
    ASSERT_TRUE(w.ok());
    auto a = Labels::FromPairs({{"__name__", "b"}});
    auto b = Labels::FromPairs({{"__name__", "a"}});
    std::vector<Sample> s = {{1, 1}, {2, 2}};
    std::vector<Sample> unordered = {{2, 1}, {2, 2}};
    EXPECT_TRUE((*w)->AddSeries(a.Views(), s).ok());
    EXPECT_EQ((*w)->AddSeries(b.Views(), s).code(), StatusCode::kInvalidArgument);
    EXPECT_EQ((*w)->AddSeries(a.Views(), s).code(), StatusCode::kInvalidArgument);
    auto c = Labels::FromPairs({{"__name__", "c"}});
    EXPECT_EQ((*w)->AddSeries(c.Views(), unordered).code(), StatusCode::kInvalidArgument);
  }  // destroyed without Finish
  EXPECT_FALSE(fs::exists(dir.path() / "b"));
  EXPECT_FALSE(fs::exists(dir.path() / "b.tmp"));
  auto w = BlockWriter::Create(dir.path(), "empty", {});
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->Finish().status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(dir.path() / "empty"));
}

TEST(BlockRw, MetaJsonRoundTrip) {
  BlockMeta m;
  m.mint = -5;
  m.maxt = 1'700'000'000'000;
  m.num_series = 3;
  m.num_samples = 7;
  m.num_chunks = 4;
  m.level = 3;
  m.sources = {"0001-aa", "0002-bb"};
  auto p = ParseBlockMeta(EncodeBlockMeta(m));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->mint, m.mint);
  EXPECT_EQ(p->maxt, m.maxt);
  EXPECT_EQ(p->num_samples, 7u);
  EXPECT_EQ(p->level, 3u);
  EXPECT_EQ(p->sources, m.sources);
  EXPECT_FALSE(ParseBlockMeta("{}").ok());
  EXPECT_FALSE(ParseBlockMeta(R"({"version":2})").ok());
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void WriteFile(const fs::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << s;
}

// Opens and reads everything; returns false when corruption was reported (open or read).
bool OpenAndReadAll(const fs::path& dir, size_t* samples) {
  auto b = Block::Open(dir);
  if (!b.ok()) {
    EXPECT_EQ(b.status().code(), StatusCode::kDataLoss) << b.status().ToString();
    return false;
  }
  auto q = (*b)->NewQuerier(INT64_MIN, INT64_MAX);
  auto set = q->Select({});
  bool ok = true;
  while (set->Next()) {
    auto it = set->At().Iterator();
    while (it.Next()) ++*samples;
    ok &= it.status().ok();
  }
  (void)q->LabelNames({});
  (void)q->LabelValues("job", {});
  return ok && set->status().ok();
}

TEST(BlockRw, CorruptFilesAreReportedNotCrashing) {
  TempDir dir;
  auto series = RandomSeries(5, 60, 300, kT0);
  VectorQuerier src(series, INT64_MIN, INT64_MAX);
  BlockWriterOptions opts;
  opts.group_bytes = 2048;
  ASSERT_TRUE(WriteAndOpen(src, dir.path(), opts));
  fs::path block = dir.path() / "b1";
  size_t total = 0;
  ASSERT_TRUE(OpenAndReadAll(block, &total));
  std::mt19937_64 rng(99);
  for (const char* file : {kChunksFileName, kIndexFileName, kMetaFileName}) {
    const std::string orig = ReadFile(block / file);
    // Truncations.
    // (meta.json without its final newline is still valid JSON: cut two bytes.)
    for (size_t len : {size_t(0), size_t(4), size_t(8), orig.size() / 2, orig.size() - 2}) {
      WriteFile(block / file, orig.substr(0, len));
      size_t n = 0;
      EXPECT_FALSE(OpenAndReadAll(block, &n)) << file << " truncated to " << len;
    }
    // Flipped bytes: reported (index and chunks are checksummed); meta.json flips may
    // still parse, so only require no crash there.
    for (int i = 0; i < 60; ++i) {
      std::string bad = orig;
      size_t pos = rng() % bad.size();
      bad[pos] = char(bad[pos] ^ (1 + rng() % 255));
      WriteFile(block / file, bad);
      size_t n = 0;
      bool ok = OpenAndReadAll(block, &n);
      if (std::string(file) != kMetaFileName) {
        EXPECT_FALSE(ok) << file << " flipped at " << pos;
      }
    }
    WriteFile(block / file, orig);
  }
  size_t again = 0;
  EXPECT_TRUE(OpenAndReadAll(block, &again));
  EXPECT_EQ(again, total);
  EXPECT_FALSE(Block::Open(dir.path() / "missing").ok());
}

// Found by block_file_fuzzer (fuzz/corpus/block_file/regression-numseries-overflow): a
// series count whose `* 4` wraps to the table's real size passed the size check, and
// reading series read past the mapped index. Checksum and meta.json agree here, so only
// the size check can refuse it.
TEST(BlockRw, SeriesCountThatWrapsTheTableSizeIsDataLoss) {
  TempDir dir;
  VectorQuerier src(RandomSeries(3, 20, 100, kT0), INT64_MIN, INT64_MAX);
  ASSERT_TRUE(WriteAndOpen(src, dir.path()));
  const fs::path block = dir.path() / "b1";
  std::string index = ReadFile(block / kIndexFileName);
  std::string meta = ReadFile(block / kMetaFileName);
  auto parsed = ParseBlockMeta(meta);
  ASSERT_TRUE(parsed.ok());
  const uint64_t huge = (uint64_t{1} << 62) + parsed->num_series;  // huge * 4 == num_series * 4
  const size_t toc = index.size() - kIndexTocSize;
  ASSERT_EQ(LoadU64(reinterpret_cast<const uint8_t*>(index.data()) + toc + 40), parsed->num_series);
  for (int i = 0; i < 8; ++i) index[toc + 40 + i] = char(huge >> (8 * i));
  uint32_t crc = Crc32c(index.data(), index.size() - 8);
  for (int i = 0; i < 4; ++i) index[toc + 56 + i] = char(crc >> (8 * i));
  const std::string from = "\"numSeries\": " + std::to_string(parsed->num_series) + ",";
  ASSERT_NE(meta.find(from), std::string::npos);
  meta.replace(meta.find(from), from.size(), "\"numSeries\": " + std::to_string(huge) + ",");
  WriteFile(block / kIndexFileName, index);
  WriteFile(block / kMetaFileName, meta);
  auto b = Block::Open(block);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(b.status().message().find("series table size mismatch"), std::string::npos) << b.status().ToString();
}

}  // namespace
}  // namespace perfwatch::tsdb
