#include "events/error_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "events/test_events.h"
#include "support/temp_dir.h"

namespace perfwatch::events {
namespace {

ErrorGroupInfo Group(uint64_t fp, std::string type) { return testing::TestErrorGroup(fp, std::move(type)); }

ErrorOccurrenceInput Occ(const ErrorGroupInfo* g, int64_t t, std::string_view session) {
  ErrorOccurrenceInput o;
  o.group = g;
  o.time_ms = t;
  o.scope = "shop";
  o.location = "/cart/:id";
  o.browser = "Chrome";
  o.session_id = session;
  o.message = "x 1";
  o.trace_id[0] = 0xab;
  return o;
}

constexpr int64_t kT = 1'733'280'000'000;

size_t Count(const ErrorStore& s, uint64_t fp) {
  size_t n = 0;
  s.ScanOccurrences(0, INT64_MAX, [&](const ErrorGroup& g, const ErrorOccurrenceView&) { n += g.info.fingerprint == fp; });
  return n;
}

TEST(ErrorStoreTest, AppendReopenKeepsGroupsAndOccurrences) {
  testing::TempDir dir;
  ErrorGroupInfo a = Group(1, "TypeError"), b = Group(2, "RangeError");
  {
    auto s = ErrorStore::Open(dir.path(), {}, nullptr);
    ASSERT_TRUE(s.ok()) << s.status().message();
    std::vector<ErrorOccurrenceInput> batch = {Occ(&a, kT, "s1"), Occ(&a, kT + 5, "s2"), Occ(&b, kT + 86'400'000, "s1")};
    bool is_new[3];
    ASSERT_TRUE((*s)->Append(batch, is_new).ok());
    EXPECT_TRUE(is_new[0]);
    EXPECT_FALSE(is_new[1]);
    EXPECT_TRUE(is_new[2]);
    std::vector<ErrorOccurrenceInput> again = {Occ(&a, kT - 10, "s3")};
    bool again_new[1];
    ASSERT_TRUE((*s)->Append(again, again_new).ok());
    EXPECT_FALSE(again_new[0]);
  }
  auto s = ErrorStore::Open(dir.path(), {}, nullptr);
  ASSERT_TRUE(s.ok()) << s.status().message();
  auto g = (*s)->FindGroup(1);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->info.type, "TypeError");
  EXPECT_EQ(g->info.frames, a.frames);
  EXPECT_EQ(g->first_seen_ms, kT - 10);
  EXPECT_EQ(g->last_seen_ms, kT + 5);
  EXPECT_EQ(Count(**s, 1), 3u);
  EXPECT_EQ(Count(**s, 2), 1u);
  EXPECT_EQ((*s)->Stats().partitions, 2u);
  bool trace_seen = false;
  (*s)->ScanOccurrences(kT, kT, [&](const ErrorGroup&, const ErrorOccurrenceView& o) {
    trace_seen = o.trace_id[0] == 0xab && o.session_id == "s1" && o.location == "/cart/:id";
  });
  EXPECT_TRUE(trace_seen);
}

TEST(ErrorStoreTest, TruncatedTailLosesOnlyTheTornRecord) {
  testing::TempDir dir;
  ErrorGroupInfo a = Group(7, "Error");
  std::filesystem::path log;
  {
    auto s = ErrorStore::Open(dir.path(), {}, nullptr);
    ASSERT_TRUE(s.ok());
    for (int i = 0; i < 3; ++i) {
      std::vector<ErrorOccurrenceInput> batch = {Occ(&a, kT + i, "s")};
      ASSERT_TRUE((*s)->Append(batch).ok());
    }
  }
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    if (e.path().filename().string().rfind("occurrences-", 0) == 0) log = e.path();
  }
  ASSERT_FALSE(log.empty());
  std::filesystem::resize_file(log, std::filesystem::file_size(log) - 3);
  {
    auto s = ErrorStore::Open(dir.path(), {}, nullptr);
    ASSERT_TRUE(s.ok()) << s.status().message();
    EXPECT_EQ(Count(**s, 7), 2u);
    std::vector<ErrorOccurrenceInput> batch = {Occ(&a, kT + 9, "s")};
    ASSERT_TRUE((*s)->Append(batch).ok());  // appends after the good records
  }
  auto s = ErrorStore::Open(dir.path(), {}, nullptr);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(Count(**s, 7), 3u);
}

TEST(ErrorStoreTest, RetentionDropsOldDays) {
  testing::TempDir dir;
  ErrorGroupInfo a = Group(3, "Error");
  auto s = ErrorStore::Open(dir.path(), {.retention_ms = 86'400'000}, nullptr);
  ASSERT_TRUE(s.ok());
  std::vector<ErrorOccurrenceInput> batch = {Occ(&a, kT, "s"), Occ(&a, kT + 3 * 86'400'000LL, "s")};
  ASSERT_TRUE((*s)->Append(batch).ok());
  ASSERT_TRUE((*s)->EnforceRetention(kT + 3 * 86'400'000LL).ok());
  EXPECT_EQ(Count(**s, 3), 1u);
  EXPECT_TRUE((*s)->HasGroup(3));  // the group and its first seen stay
}

TEST(ErrorStoreTest, GroupRecordRoundTripsAndRejectsGarbage) {
  ErrorGroupInfo a = Group(0xfeedface, "TypeError");
  ErrorGroupInfo out;
  int64_t first = 0;
  ASSERT_TRUE(DecodeErrorGroupRecord(EncodeErrorGroupRecord(a, 42), &out, &first).ok());
  EXPECT_EQ(first, 42);
  EXPECT_EQ(out.frames, a.frames);
  EXPECT_EQ(out.sample_stack, a.sample_stack);
  EXPECT_FALSE(DecodeErrorGroupRecord("Gxx", &out, &first).ok());
}

}  // namespace
}  // namespace perfwatch::events
