// The persisted notification queue: durability across reopen, tombstones, compaction and
// a torn tail left by kill -9.
#include "alert/notify_queue.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "support/temp_dir.h"

namespace perfwatch::alert {
namespace {

using perfwatch::testing::TempDir;

QueuedNotification Make(const std::string& body, uint32_t index = 0) {
  QueuedNotification n;
  n.receiver = "team";
  n.integration_index = index;
  n.created_ms = 1'700'000'000'000;
  n.group_key = "{}:{}";
  n.body = body;
  return n;
}

TEST(NotifyQueue, SurvivesReopenAndHonoursTombstones) {
  TempDir dir;
  {
    auto q = NotifyQueue::Open(dir.path());
    ASSERT_TRUE(q.ok()) << q.status().ToString();
    std::vector<QueuedNotification> batch = {Make("one"), Make("two", 1), Make("three")};
    ASSERT_TRUE((*q)->Append(batch).ok());
    EXPECT_LT(batch[0].id, batch[1].id);
    ASSERT_TRUE((*q)->Remove(batch[0].id).ok());
    EXPECT_EQ((*q)->size(), 2u);
  }
  auto q = NotifyQueue::Open(dir.path());
  ASSERT_TRUE(q.ok());
  auto live = (*q)->Live();
  ASSERT_EQ(live.size(), 2u);
  EXPECT_EQ(live[0].body, "two");
  EXPECT_EQ(live[0].integration_index, 1u);
  EXPECT_EQ(live[0].receiver, "team");
  EXPECT_EQ(live[0].created_ms, 1'700'000'000'000);
  EXPECT_EQ(live[1].body, "three");
  // New ids never reuse live ones.
  std::vector<QueuedNotification> more = {Make("four")};
  ASSERT_TRUE((*q)->Append(more).ok());
  EXPECT_GT(more[0].id, live[1].id);
}

TEST(NotifyQueue, TornTailIsTruncated) {
  TempDir dir;
  {
    auto q = NotifyQueue::Open(dir.path());
    ASSERT_TRUE(q.ok());
    std::vector<QueuedNotification> batch = {Make("first"), Make(std::string(1000, 'x'))};
    ASSERT_TRUE((*q)->Append(batch).ok());
  }
  const auto path = dir.path() / "notify_queue.log";
  const auto size = std::filesystem::file_size(path);
  std::filesystem::resize_file(path, size - 10);  // the second record is torn
  {
    auto q = NotifyQueue::Open(dir.path());
    ASSERT_TRUE(q.ok()) << q.status().ToString();
    EXPECT_GT((*q)->torn_bytes(), 0u);
    auto live = (*q)->Live();
    ASSERT_EQ(live.size(), 1u);
    EXPECT_EQ(live[0].body, "first");
    // Appends after the truncation are readable.
    std::vector<QueuedNotification> batch = {Make("after")};
    ASSERT_TRUE((*q)->Append(batch).ok());
  }
  // Garbage appended (a half-written header) is dropped too.
  {
    std::ofstream f(path, std::ios::app | std::ios::binary);
    f.write("\x05\x00\x00", 3);
  }
  auto q = NotifyQueue::Open(dir.path());
  ASSERT_TRUE(q.ok());
  auto live = (*q)->Live();
  ASSERT_EQ(live.size(), 2u);
  EXPECT_EQ(live[1].body, "after");
}

TEST(NotifyQueue, CompactsWhenTombstonesDominate) {
  TempDir dir;
  auto q = NotifyQueue::Open(dir.path());
  ASSERT_TRUE(q.ok());
  std::vector<QueuedNotification> batch;
  for (int i = 0; i < 1500; ++i) batch.push_back(Make("body" + std::to_string(i)));
  ASSERT_TRUE((*q)->Append(batch).ok());
  for (int i = 0; i < 1499; ++i) ASSERT_TRUE((*q)->Remove(batch[i].id).ok());
  const auto before = std::filesystem::file_size(dir.path() / "notify_queue.log");
  ASSERT_TRUE((*q)->MaybeCompact().ok());
  const auto after = std::filesystem::file_size(dir.path() / "notify_queue.log");
  EXPECT_LT(after, before / 10);
  std::vector<QueuedNotification> more = {Make("later")};
  ASSERT_TRUE((*q)->Append(more).ok());
  q = NotifyQueue::Open(dir.path());
  ASSERT_TRUE(q.ok());
  auto live = (*q)->Live();
  ASSERT_EQ(live.size(), 2u);
  EXPECT_EQ(live[0].body, "body1499");
  EXPECT_EQ(live[1].body, "later");
}

TEST(NotifyQueue, RefusesForeignFile) {
  TempDir dir;
  {
    std::ofstream f(dir.path() / "notify_queue.log");
    f << "definitely not a queue";
  }
  auto q = NotifyQueue::Open(dir.path());
  EXPECT_FALSE(q.ok());
}

}  // namespace
}  // namespace perfwatch::alert
