#include "budget/run_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/temp_dir.h"

namespace perfwatch::budget {
namespace {

constexpr int64_t kT = 1'796'378'400'000;  // 2026-12-04T10:00:00Z

NewRun MakeRun(std::string app, int64_t t, std::string branch = "main", std::string commit = "abc1234def") {
  NewRun r;
  r.app = app;
  r.branch = branch;
  r.commit = commit;
  r.build_id = "b" + std::to_string(t - kT);
  r.time_ms = t;
  r.json = "{\"app\":\"" + app + "\",\"t\":" + std::to_string(t - kT) + "}";
  return r;
}

// The "t" member of each listed run (the test's marker of which run it is).
std::vector<std::string> Ts(const Result<std::vector<std::string>>& runs) {
  std::vector<std::string> out;
  EXPECT_TRUE(runs.ok()) << runs.status().message();
  if (!runs.ok()) return out;
  for (const std::string& j : *runs) {
    const size_t at = j.find("\"t\":");
    out.push_back(at == std::string::npos ? "?" : j.substr(at + 4, j.find('}', at) - at - 4));
  }
  return out;
}

TEST(RunStoreTest, AddAssignsIdPutsItFirstAndSurvivesReopen) {
  testing::TempDir dir;
  std::string id;
  {
    auto store = RunStore::Open(dir.path() / "budget-runs");
    ASSERT_TRUE(store.ok()) << store.status().message();
    auto added = (*store)->Add(MakeRun("shop", kT));
    ASSERT_TRUE(added.ok()) << added.status().message();
    id = *added;
    EXPECT_EQ(id.size(), 16u);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
    auto runs = (*store)->List({});
    ASSERT_TRUE(runs.ok());
    ASSERT_EQ(runs->size(), 1u);
    EXPECT_EQ((*runs)[0], "{\"id\":\"" + id + "\",\"app\":\"shop\",\"t\":0}");
  }
  auto store = RunStore::Open(dir.path() / "budget-runs");
  ASSERT_TRUE(store.ok()) << store.status().message();
  auto runs = (*store)->List({});
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0], "{\"id\":\"" + id + "\",\"app\":\"shop\",\"t\":0}");
}

TEST(RunStoreTest, RejectsBadRunsAndKeepsNothing) {
  testing::TempDir dir;
  auto store = RunStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  NewRun r = MakeRun("shop", kT);
  r.app.clear();
  EXPECT_EQ((*store)->Add(r).status().code(), StatusCode::kInvalidArgument);
  r = MakeRun("shop", kT);
  r.commit = std::string(RunStore::kMaxFieldBytes + 1, 'a');
  EXPECT_EQ((*store)->Add(r).status().code(), StatusCode::kInvalidArgument);
  r = MakeRun("shop", kT);
  r.json = "{}";
  EXPECT_EQ((*store)->Add(r).status().code(), StatusCode::kInvalidArgument);
  r = MakeRun("shop", kT);
  r.json = "{\"x\":\"" + std::string(RunStore::kMaxJsonBytes, 'x') + "\"}";
  EXPECT_EQ((*store)->Add(r).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*store)->size(), 0u);
  EXPECT_EQ((*store)->records_in_file(), 0u);
}

TEST(RunStoreTest, ListFiltersNewestFirst) {
  testing::TempDir dir;
  auto store = RunStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Add(MakeRun("shop", kT + 2000, "main", "aaaaaaa111")).ok());
  ASSERT_TRUE((*store)->Add(MakeRun("shop", kT, "main", "bbbbbbb222")).ok());  // older, arrives later
  ASSERT_TRUE((*store)->Add(MakeRun("shop", kT + 1000, "feature/x", "ccccccc333")).ok());
  ASSERT_TRUE((*store)->Add(MakeRun("blog", kT + 3000, "main", "aaaaaaa111")).ok());
  ASSERT_TRUE((*store)->Add(MakeRun("shop", kT + 2000, "main", "ddddddd444")).ok());  // same time: after the first

  EXPECT_EQ(Ts((*store)->List({})), (std::vector<std::string>{"3000", "2000", "2000", "1000", "0"}));
  EXPECT_EQ(Ts((*store)->List({.app = "shop"})), (std::vector<std::string>{"2000", "2000", "1000", "0"}));
  EXPECT_EQ(Ts((*store)->List({.app = "shop", .branch = "main"})), (std::vector<std::string>{"2000", "2000", "0"}));
  EXPECT_EQ(Ts((*store)->List({.branch = "feature/x"})), (std::vector<std::string>{"1000"}));
  EXPECT_EQ(Ts((*store)->List({.build_id = "b1000"})), (std::vector<std::string>{"1000"}));
  // The newest matching commit; a short SHA (7+ characters) matches as a prefix.
  auto newest = (*store)->List({.app = "shop", .commit = "aaaaaaa111", .limit = 1});
  ASSERT_TRUE(newest.ok());
  ASSERT_EQ(newest->size(), 1u);
  EXPECT_NE((*newest)[0].find("\"app\":\"shop\""), std::string::npos);
  EXPECT_EQ(Ts((*store)->List({.commit = "aaaaaaa"})), (std::vector<std::string>{"3000", "2000"}));
  EXPECT_EQ(Ts((*store)->List({.commit = "aaaaaa"})), (std::vector<std::string>{}));  // too short for a prefix
  EXPECT_EQ(Ts((*store)->List({.commit = "ddddddd444"})), (std::vector<std::string>{"2000"}));
  EXPECT_EQ(Ts((*store)->List({.app = "shop", .limit = 2})), (std::vector<std::string>{"2000", "2000"}));
  EXPECT_EQ(Ts((*store)->List({.app = "nope"})), (std::vector<std::string>{}));
  // Of two runs at the same time the later arrival is newer.
  auto same = (*store)->List({.app = "shop", .limit = 1});
  ASSERT_TRUE(same.ok());
  EXPECT_NE((*same)[0].find("\"app\":\"shop\""), std::string::npos);
  auto by_commit = (*store)->List({.commit = "ddddddd444"});
  ASSERT_TRUE(by_commit.ok());
  EXPECT_EQ((*same)[0], (*by_commit)[0]);
}

TEST(RunStoreTest, KeepsTheNewestMaxRunsAcrossCompactionAndReopen) {
  testing::TempDir dir;
  const RunStoreOptions opts{.max_runs = 4};
  {
    auto store = RunStore::Open(dir.path(), opts);
    ASSERT_TRUE(store.ok());
    for (int i = 0; i < 4; ++i) ASSERT_TRUE((*store)->Add(MakeRun("shop", kT + i * 1000)).ok());
    EXPECT_EQ((*store)->size(), 4u);
    // A fifth run evicts the oldest; an old run arriving late is evicted at once.
    ASSERT_TRUE((*store)->Add(MakeRun("shop", kT + 4000)).ok());
    ASSERT_TRUE((*store)->Add(MakeRun("shop", kT - 5000)).ok());
    EXPECT_EQ(Ts((*store)->List({})), (std::vector<std::string>{"4000", "3000", "2000", "1000"}));
    EXPECT_EQ((*store)->records_in_file(), 6u);
  }
  {
    // Reopening keeps the same runs (the evicted ones are still in the file).
    auto store = RunStore::Open(dir.path(), opts);
    ASSERT_TRUE(store.ok()) << store.status().message();
    EXPECT_EQ(Ts((*store)->List({})), (std::vector<std::string>{"4000", "3000", "2000", "1000"}));
    const auto before = std::filesystem::file_size(dir.path() / "runs.log");
    ASSERT_TRUE((*store)->Add(MakeRun("shop", kT + 5000)).ok());
    EXPECT_EQ((*store)->records_in_file(), 7u);  // three dead records
    // The fourth dead record (max_runs) rewrites the file with the kept runs only.
    ASSERT_TRUE((*store)->Add(MakeRun("shop", kT + 6000)).ok());
    EXPECT_EQ((*store)->records_in_file(), 4u);
    EXPECT_LT(std::filesystem::file_size(dir.path() / "runs.log"), before);
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "runs.log.compact"));
    EXPECT_EQ(Ts((*store)->List({})), (std::vector<std::string>{"6000", "5000", "4000", "3000"}));
    // Appends after the compaction go to the new file.
    ASSERT_TRUE((*store)->Add(MakeRun("shop", kT + 7000)).ok());
    EXPECT_EQ(Ts((*store)->List({})), (std::vector<std::string>{"7000", "6000", "5000", "4000"}));
  }
  auto store = RunStore::Open(dir.path(), opts);
  ASSERT_TRUE(store.ok()) << store.status().message();
  EXPECT_EQ(Ts((*store)->List({})), (std::vector<std::string>{"7000", "6000", "5000", "4000"}));
  EXPECT_EQ((*store)->records_in_file(), 5u);
  // A smaller cap on reopen keeps the newest.
  store->reset();
  auto smaller = RunStore::Open(dir.path(), {.max_runs = 2});
  ASSERT_TRUE(smaller.ok());
  EXPECT_EQ(Ts((*smaller)->List({})), (std::vector<std::string>{"7000", "6000"}));
}

TEST(RunStoreTest, LeftoverCompactionFileIsIgnored) {
  testing::TempDir dir;
  {
    auto store = RunStore::Open(dir.path());
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Add(MakeRun("shop", kT)).ok());
  }
  dir.Write("runs.log.compact", "half a file");
  auto store = RunStore::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status().message();
  EXPECT_EQ((*store)->size(), 1u);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "runs.log.compact"));
}

TEST(RunStoreTest, TruncatedTailLosesOnlyTheTornRecord) {
  testing::TempDir dir;
  {
    auto store = RunStore::Open(dir.path());
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Add(MakeRun("shop", kT)).ok());
    ASSERT_TRUE((*store)->Add(MakeRun("shop", kT + 1000)).ok());
  }
  const auto log = dir.path() / "runs.log";
  std::filesystem::resize_file(log, std::filesystem::file_size(log) - 5);
  {
    auto store = RunStore::Open(dir.path());
    ASSERT_TRUE(store.ok()) << store.status().message();
    EXPECT_EQ(Ts((*store)->List({})), (std::vector<std::string>{"0"}));
    ASSERT_TRUE((*store)->Add(MakeRun("shop", kT + 2000)).ok());
  }
  auto store = RunStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(Ts((*store)->List({})), (std::vector<std::string>{"2000", "0"}));
}

TEST(RunStoreTest, CorruptRecordInTheMiddleIsAnError) {
  testing::TempDir dir;
  {
    auto store = RunStore::Open(dir.path());
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Add(MakeRun("shop", kT)).ok());
    ASSERT_TRUE((*store)->Add(MakeRun("shop", kT + 1000)).ok());
  }
  std::fstream f(dir.path() / "runs.log", std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(40);  // inside the first record (the header is 32 bytes)
  f.put('\xff');
  f.close();
  auto store = RunStore::Open(dir.path());
  EXPECT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace perfwatch::budget
