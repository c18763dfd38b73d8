#include "events/deploy_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "support/temp_dir.h"

namespace perfwatch::events {
namespace {

constexpr int64_t kT = 1'733'280'000'000;

Deploy App(std::string app, std::string version, int64_t t, std::string env = "prod") {
  Deploy d;
  d.app = std::move(app);
  d.version = std::move(version);
  d.commit = "abc123";
  d.environment = std::move(env);
  d.time_ms = t;
  return d;
}

TEST(DeployStoreTest, AddAssignsIdAndSurvivesReopen) {
  testing::TempDir dir;
  Deploy first, second;
  {
    auto store = DeployStore::Open(dir.path() / "deploys");
    ASSERT_TRUE(store.ok()) << store.status().message();
    auto a = (*store)->Add(App("shop", "1.0", kT));
    ASSERT_TRUE(a.ok()) << a.status().message();
    EXPECT_EQ(a->id.size(), 16u);
    EXPECT_EQ(a->id.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_GT(a->received_ms, 0);
    Deploy svc;
    svc.service = "checkout";
    svc.version = "2.0";
    svc.time_ms = kT + 1000;
    auto b = (*store)->Add(svc);
    ASSERT_TRUE(b.ok());
    EXPECT_NE(a->id, b->id);
    first = *a;
    second = *b;
  }
  auto store = DeployStore::Open(dir.path() / "deploys");
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->size(), 2u);
  EXPECT_EQ((*store)->Get(first.id), first);
  EXPECT_EQ((*store)->Get(second.id), second);
  EXPECT_FALSE((*store)->Get("0000000000000000").has_value());
}

TEST(DeployStoreTest, RejectsBadDeploysAndKeepsNothing) {
  testing::TempDir dir;
  auto store = DeployStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  Deploy no_version = App("shop", "", kT);
  EXPECT_EQ((*store)->Add(no_version).status().code(), StatusCode::kInvalidArgument);
  Deploy both = App("shop", "1", kT);
  both.service = "api";
  EXPECT_EQ((*store)->Add(both).status().code(), StatusCode::kInvalidArgument);
  Deploy neither = App("", "1", kT);
  EXPECT_EQ((*store)->Add(neither).status().code(), StatusCode::kInvalidArgument);
  Deploy long_commit = App("shop", "1", kT);
  long_commit.commit = std::string(DeployStore::kMaxFieldBytes + 1, 'a');
  EXPECT_EQ((*store)->Add(long_commit).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*store)->size(), 0u);
  ASSERT_TRUE((*store)->Add(App("shop", "1", kT)).ok());
  EXPECT_EQ((*store)->size(), 1u);
}

TEST(DeployStoreTest, ListFiltersNewestFirst) {
  testing::TempDir dir;
  auto store = DeployStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  // Added out of time order: the list is by deploy time.
  ASSERT_TRUE((*store)->Add(App("shop", "1.1", kT + 2000)).ok());
  ASSERT_TRUE((*store)->Add(App("shop", "1.0", kT + 1000)).ok());
  ASSERT_TRUE((*store)->Add(App("blog", "7", kT + 1500, "staging")).ok());
  ASSERT_TRUE((*store)->Add(App("shop", "1.2", kT + 3000, "staging")).ok());

  auto all = (*store)->List({});
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].version, "1.2");
  EXPECT_EQ(all[1].version, "1.1");
  EXPECT_EQ(all[2].version, "7");
  EXPECT_EQ(all[3].version, "1.0");

  auto shop = (*store)->List({.app = "shop"});
  ASSERT_EQ(shop.size(), 3u);
  auto prod = (*store)->List({.app = "shop", .environment = "prod"});
  ASSERT_EQ(prod.size(), 2u);
  EXPECT_EQ(prod[0].version, "1.1");
  auto range = (*store)->List({.start_ms = kT + 1000, .end_ms = kT + 2000});
  ASSERT_EQ(range.size(), 3u);
  auto limited = (*store)->List({.app = "shop", .limit = 1});
  ASSERT_EQ(limited.size(), 1u);
  EXPECT_EQ(limited[0].version, "1.2");

  EXPECT_EQ((*store)->ClosestBefore("shop", "", kT + 2500)->version, "1.1");
  EXPECT_EQ((*store)->ClosestBefore("shop", "", kT + 2000)->version, "1.1");  // at counts
  EXPECT_FALSE((*store)->ClosestBefore("shop", "", kT + 999).has_value());
  EXPECT_FALSE((*store)->ClosestBefore("", "", kT + 5000).has_value());
  EXPECT_FALSE((*store)->ClosestBefore("", "shop", kT + 5000).has_value());  // an app, not a service
}

TEST(DeployStoreTest, TruncatedTailLosesOnlyTheTornRecord) {
  testing::TempDir dir;
  std::string kept;
  {
    auto store = DeployStore::Open(dir.path());
    ASSERT_TRUE(store.ok());
    kept = (*store)->Add(App("shop", "1.0", kT))->id;
    ASSERT_TRUE((*store)->Add(App("shop", "1.1", kT + 1)).ok());
  }
  const auto log = dir.path() / "deploys.log";
  const auto size = std::filesystem::file_size(log);
  std::filesystem::resize_file(log, size - 5);  // a crash in the middle of the last write
  {
    auto store = DeployStore::Open(dir.path());
    ASSERT_TRUE(store.ok()) << store.status().message();
    EXPECT_EQ((*store)->size(), 1u);
    EXPECT_TRUE((*store)->Get(kept).has_value());
    // Appends continue after the good records and are readable again.
    ASSERT_TRUE((*store)->Add(App("shop", "1.2", kT + 2)).ok());
  }
  auto store = DeployStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->size(), 2u);
  EXPECT_EQ((*store)->List({})[0].version, "1.2");
}

TEST(DeployStoreTest, CorruptRecordInTheMiddleIsAnError) {
  testing::TempDir dir;
  {
    auto store = DeployStore::Open(dir.path());
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Add(App("shop", "1.0", kT)).ok());
    ASSERT_TRUE((*store)->Add(App("shop", "1.1", kT + 1)).ok());
  }
  const auto log = dir.path() / "deploys.log";
  std::fstream f(log, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(40);  // inside the first record (the header is 32 bytes)
  f.put('\xff');
  f.close();
  auto store = DeployStore::Open(dir.path());
  EXPECT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace perfwatch::events
