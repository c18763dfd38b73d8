#include "events/pair_index.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "events/pair_run.h"
#include "support/temp_dir.h"

namespace perfwatch::events {
namespace {

using perfwatch::testing::TempDir;

size_t RunFiles(const std::filesystem::path& dir) {
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    if (name.rfind("pairs-", 0) == 0 && name.size() > 4 && name.substr(name.size() - 4) == ".run") ++n;
  }
  return n;
}

// Inserts, replaces and erases at random and checks Find against a model. Replaced and
// erased rows are "dead" (as in the store, whose confirm rejects dead rows).
void RunModel(PairIndex& index, int steps, uint32_t hash_range, uint32_t seed) {
  std::set<std::pair<uint32_t, uint32_t>> live;  // (hash, row)
  std::set<uint32_t> dead;
  std::vector<std::pair<uint32_t, uint32_t>> dead_pairs;
  std::mt19937 rng(seed);
  uint32_t next_row = 0;
  auto confirm_row = [&](uint32_t want) {
    return [&dead, want](uint32_t r) { return !dead.count(r) && r == want; };
  };
  for (int step = 0; step < steps; ++step) {
    int op = rng() % 10;
    if (op < 6 || live.empty()) {
      uint32_t hash = rng() % hash_range;  // collisions on purpose
      if (rng() % 4 == 0) hash = rng();
      index.Insert(hash, next_row);
      live.emplace(hash, next_row++);
    } else {
      auto it = live.begin();
      std::advance(it, rng() % std::min<size_t>(live.size(), 64));
      auto [hash, row] = *it;
      live.erase(it);
      dead.insert(row);
      dead_pairs.emplace_back(hash, row);
      if (op < 8) {
        ASSERT_TRUE(index.Erase(hash, row)) << hash << " " << row;
      } else {
        ASSERT_TRUE(index.Replace(hash, row, next_row)) << hash << " " << row;
        live.emplace(hash, next_row++);
      }
    }
  }
  for (auto [hash, row] : live) {
    auto found = index.Find(hash, confirm_row(row));
    ASSERT_TRUE(found.has_value()) << hash << " " << row;
    EXPECT_EQ(*found, row);
  }
  for (auto [hash, row] : dead_pairs) EXPECT_FALSE(index.Find(hash, confirm_row(row)).has_value());
  EXPECT_FALSE(index.Erase(hash_range + 5, next_row + 1));
  EXPECT_FALSE(index.Replace(hash_range + 5, next_row + 1, next_row + 2));
}

TEST(PairIndexTest, MatchesAReferenceModelUnderInsertReplaceErase) {
  PairIndex index;
  RunModel(index, 60000, 20000, 7);
  EXPECT_EQ(index.run_count(), 0u);
}

TEST(PairIndexTest, ConfirmRejectsCollisions) {
  PairIndex index;
  index.Insert(42, 1);
  index.Insert(42, 2);
  auto found = index.Find(42, [](uint32_t r) { return r == 2; });
  ASSERT_TRUE(found);
  EXPECT_EQ(*found, 2u);
  EXPECT_FALSE(index.Find(42, [](uint32_t) { return false; }));
  EXPECT_FALSE(index.Erase(42, 3));
}

TEST(PairIndexTest, TinyRecentTableSpillsAndMergesAndStillMatchesTheModel) {
  TempDir dir;
  PairIndex index(dir.path(), /*recent_cap=*/16, /*fan_in=*/3);
  RunModel(index, 30000, 2000, 11);
  EXPECT_GT(index.size(), index.recent_size());
  EXPECT_LE(index.recent_size(), 16u);
  // ~18,000 inserts / 16 per spill ~ 1,125 spills: tiers of fan-in 3 keep at most 2
  // runs per tier, log3(1125) < 7 tiers.
  EXPECT_GE(index.run_count(), 1u);
  EXPECT_LE(index.run_count(), 2u * 8);
  EXPECT_EQ(RunFiles(dir.path()), index.run_count());  // merged inputs are deleted
  EXPECT_EQ(index.spill_failures(), 0u);
  EXPECT_EQ(index.read_errors(), 0u);
}

TEST(PairIndexTest, FindsTheLiveRowOfAPairReplacedAcrossManySpills) {
  TempDir dir;
  PairIndex index(dir.path(), 8, 2);
  std::set<uint32_t> dead;
  constexpr uint32_t kHash = 0xABCD1234;
  uint32_t row = 0, live = row;
  index.Insert(kHash, row++);
  for (int round = 0; round < 50; ++round) {
    for (int k = 0; k < 5 + round % 7; ++k) index.Insert(static_cast<uint32_t>(round * 100 + k), row++);
    auto old = index.Find(kHash, [&](uint32_t r) { return !dead.count(r); });
    ASSERT_TRUE(old.has_value()) << round;
    ASSERT_EQ(*old, live) << round;
    dead.insert(*old);
    live = row++;
    ASSERT_TRUE(index.Replace(kHash, *old, live));
  }
  EXPECT_GE(index.run_count(), 2u);
  auto found = index.Find(kHash, [&](uint32_t r) { return !dead.count(r); });
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(*found, live);
  // Every superseded row is still a candidate (spilled entries are never rewritten) and
  // the live one too: confirm sees each exactly once.
  std::multiset<uint32_t> seen;
  index.Find(kHash, [&](uint32_t r) {
    seen.insert(r);
    return false;
  });
  EXPECT_EQ(seen.count(live), 1u);
  for (uint32_t r : seen) EXPECT_EQ(seen.count(r), 1u);
}

TEST(PairIndexTest, ErasingASpilledEntryReportsItAndRecentEntriesGo) {
  TempDir dir;
  PairIndex index(dir.path(), 4, 4);
  for (uint32_t r = 0; r < 5; ++r) index.Insert(100 + r, r);  // the 5th insert spills 4
  ASSERT_EQ(index.run_count(), 1u);
  EXPECT_EQ(index.recent_size(), 1u);
  EXPECT_TRUE(index.Erase(100, 0));   // spilled: found, stays on disk
  EXPECT_FALSE(index.Erase(100, 9));  // no such row
  EXPECT_TRUE(index.Erase(104, 4));   // recent: removed
  EXPECT_FALSE(index.Erase(104, 4));
  EXPECT_EQ(index.recent_size(), 0u);
}

TEST(PairIndexTest, FailedSpillKeepsEverythingInMemoryAndRetriesLater) {
  TempDir dir;
  const std::filesystem::path where = dir.path() / "part";
  { std::ofstream(where) << "a file where the partition directory should be"; }
  PairIndex index(where, 16, 4);
  std::map<uint32_t, uint32_t> model;  // hash -> row
  uint32_t row = 0;
  auto insert = [&](int n) {
    for (int i = 0; i < n; ++i, ++row) {
      uint32_t h = row * 2654435761u;
      index.Insert(h, row);
      model[h] = row;
    }
  };
  auto all_found = [&] {
    for (auto [h, r] : model) {
      uint32_t want = r;
      auto found = index.Find(h, [want](uint32_t x) { return x == want; });
      if (!found || *found != want) return false;
    }
    return true;
  };
  insert(100);
  EXPECT_GE(index.spill_failures(), 1u);
  EXPECT_EQ(index.run_count(), 0u);
  EXPECT_EQ(index.recent_size(), 100u);  // grew past its cap of 16
  EXPECT_TRUE(all_found());
  const size_t grown = index.MemoryBytes();

  std::filesystem::remove(where);
  std::filesystem::create_directory(where);
  insert(40);  // the next spill point (at most 16 inserts away) succeeds
  EXPECT_GE(index.run_count(), 1u);
  EXPECT_LE(index.recent_size(), 16u);
  EXPECT_EQ(index.size(), 140u);
  EXPECT_TRUE(all_found());
  EXPECT_LT(index.MemoryBytes(), grown + 4096 * 4);
}

TEST(PairIndexTest, ConstructorDeletesStaleRunFiles) {
  TempDir dir;
  { std::ofstream(dir.path() / "pairs-7.run") << "stale"; }
  { std::ofstream(dir.path() / "events.log") << "keep"; }
  PairIndex index(dir.path(), 4, 4);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "pairs-7.run"));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "events.log"));
  for (uint32_t r = 0; r < 5; ++r) index.Insert(r, r);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "pairs-1.run"));
}

// The figure behind docs/events.md: memory of the index of 1M distinct pairs.
TEST(PairIndexTest, MillionPairsFitInAboutTwoMegabytes) {
  TempDir dir;
  PairIndex index(dir.path());
  std::mt19937 rng(3);
  constexpr uint32_t kN = 1000000;
  std::vector<uint32_t> hashes(kN);
  for (uint32_t r = 0; r < kN; ++r) {
    hashes[r] = static_cast<uint32_t>(rng());
    index.Insert(hashes[r], r);
  }
  std::printf("PairIndex: %u pairs, %zu runs, %zu bytes in memory (%.2f bytes/pair)\n", kN, index.run_count(),
              index.MemoryBytes(), static_cast<double>(index.MemoryBytes()) / kN);
  EXPECT_LT(index.MemoryBytes(), 2'500'000u);
  EXPECT_LE(index.run_count(), 8u);
  for (uint32_t r = 0; r < kN; r += 997) {
    auto found = index.Find(hashes[r], [r](uint32_t x) { return x == r; });
    ASSERT_TRUE(found.has_value()) << r;
  }
}

TEST(PairBloomTest, NoFalseNegativesAndAboutOnePercentFalsePositives) {
  constexpr uint32_t kKeys = 100000;
  PairBloom bloom(kKeys);
  for (uint32_t i = 0; i < kKeys; ++i) bloom.Add(i * 7919u);
  for (uint32_t i = 0; i < kKeys; ++i) ASSERT_TRUE(bloom.MayContain(i * 7919u)) << i;
  uint32_t fp = 0;
  for (uint32_t i = 0; i < kKeys; ++i) fp += bloom.MayContain(i * 7919u + 1);
  EXPECT_LT(fp, kKeys / 50) << "false positive rate " << fp * 100.0 / kKeys << "%";
  EXPECT_LE(bloom.MemoryBytes(), kKeys * PairBloom::kBitsPerKey / 8 + 4096);
  PairBloom empty;
  EXPECT_FALSE(empty.MayContain(1));
}

TEST(PairRunTest, WritesFindsAcrossPageBoundariesAndMerges) {
  TempDir dir;
  std::vector<uint64_t> a, b;
  for (uint32_t r = 0; r < 700; ++r) a.push_back(PackPair(500, r));  // one hash over two pages
  for (uint32_t h = 0; h < 2000; ++h) (h % 2 ? a : b).push_back(PackPair(h * 3 + 1000, h));
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  auto ra = PairRun::Write(dir.path() / "a.run", a);
  auto rb = PairRun::Write(dir.path() / "b.run", b);
  ASSERT_TRUE(ra.ok() && rb.ok());
  EXPECT_EQ((*ra)->count(), a.size());
  EXPECT_EQ((*ra)->pages(), (a.size() + 511) / 512);
  EXPECT_EQ(std::filesystem::file_size(dir.path() / "a.run"), a.size() * 8 + PairRun::kTrailerBytes);
  {  // trailer: magic and count
    std::ifstream in(dir.path() / "a.run", std::ios::binary);
    in.seekg(static_cast<std::streamoff>(a.size() * 8));
    char t[32];
    in.read(t, 32);
    EXPECT_EQ(std::string(t, 8), "PWPAIRS1");
    uint64_t count;
    std::memcpy(&count, t + 16, 8);
    EXPECT_EQ(count, a.size());
  }

  const PairRun* inputs[] = {ra->get(), rb->get()};
  auto merged = PairRun::Merge(dir.path() / "m.run", inputs);
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  std::vector<uint64_t> all = a;
  all.insert(all.end(), b.begin(), b.end());
  std::sort(all.begin(), all.end());
  {
    PairRun::Reader reader(**merged);
    std::vector<uint64_t> got;
    uint64_t e;
    bool has;
    while (reader.Next(&e, &has).ok() && has) got.push_back(e);
    EXPECT_EQ(got, all);
  }
  // Every entry is in a page PagesFor names.
  uint64_t page[PairRun::kPageEntries];
  for (uint64_t want : all) {
    uint32_t hash = PairEntryHash(want);
    ASSERT_TRUE((*merged)->MayContain(hash));
    auto [first, last] = (*merged)->PagesFor(hash);
    bool found = false;
    for (size_t p = first; p < last && !found; ++p) {
      uint32_t n;
      ASSERT_TRUE((*merged)->ReadPage(p, page, &n).ok());
      found = std::binary_search(page, page + n, want);
    }
    ASSERT_TRUE(found) << hash;
  }
  auto none = (*merged)->PagesFor(1);  // below every hash
  EXPECT_EQ(none.first, none.second);

  // A flipped byte is caught by the page checksum, on lookups and on merges.
  int fd = ::open((dir.path() / "a.run").c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::pwrite(fd, "X", 1, 600 * 8 + 3), 1);
  ::close(fd);
  uint32_t n;
  EXPECT_EQ((*ra)->ReadPage(1, page, &n).code(), StatusCode::kDataLoss);
  EXPECT_TRUE((*ra)->ReadPage(0, page, &n).ok());
  auto bad = PairRun::Merge(dir.path() / "bad.run", inputs);
  EXPECT_FALSE(bad.ok());
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "bad.run"));
}

}  // namespace
}  // namespace perfwatch::events
