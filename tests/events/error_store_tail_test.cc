// ErrorStore's tail API (ListPartitions, ReadOccurrences): every occurrence exactly once,
// identified by (day start, row), rows following the occurrences log (also after replay).
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "events/error_store.h"
#include "events/test_events.h"
#include "support/temp_dir.h"

namespace perfwatch::events {
namespace {
using perfwatch::testing::TempDir;

constexpr int64_t kDayMs = 24LL * 3600 * 1000;
constexpr int64_t kD0 = 1'733'270'400'000;  // 2024-12-04T00:00:00Z
constexpr int64_t kD1 = kD0 + kDayMs;

ErrorStoreOptions Options() {
  ErrorStoreOptions o;
  o.retention_ms = 0;
  o.fsync_interval_ms = 0;
  return o;
}

// Odd fingerprints are backend groups.
ErrorGroupInfo Group(uint64_t fp, std::string type) {
  return testing::TestErrorGroup(fp, std::move(type), fp % 2 ? ErrorSource::kBackend : ErrorSource::kBrowser);
}

// An occurrence as read back (owning copies of the views).
struct Row {
  uint32_t row = 0;
  uint64_t fingerprint = 0;
  int64_t time_ms = 0;
  std::string scope, location, browser, session_id, user_id, message;
  std::array<uint8_t, 16> trace_id{};
  std::array<uint8_t, 8> span_id{};
  bool operator==(const Row&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Row& r) {
  return os << "{row " << r.row << " fp " << r.fingerprint << " t " << r.time_ms << " " << r.session_id << " "
            << r.message << "}";
}

// Owns the strings an ErrorOccurrenceInput points to.
struct Input {
  const ErrorGroupInfo* group;
  int64_t time_ms;
  std::string scope, location, browser, session_id, user_id, message;
  std::array<uint8_t, 16> trace_id{};
  std::array<uint8_t, 8> span_id{};

  ErrorOccurrenceInput View() const {
    ErrorOccurrenceInput in;
    in.group = group;
    in.time_ms = time_ms;
    in.scope = scope;
    in.location = location;
    in.browser = browser;
    in.session_id = session_id;
    in.user_id = user_id;
    in.message = message;
    in.trace_id = trace_id;
    in.span_id = span_id;
    return in;
  }
};

Input MakeInput(const ErrorGroupInfo* g, int n, int64_t time_ms) {
  Input in{g, time_ms, n % 2 ? "shop" : "api", "/page/" + std::to_string(n % 4), n % 3 ? "Chrome" : "Firefox",
           "s" + std::to_string(n), n % 5 ? "u" + std::to_string(n) : "", "boom " + std::to_string(n)};
  if (n % 2 == 0) {
    in.trace_id[0] = static_cast<uint8_t>(n + 1);
    in.trace_id[15] = 0xee;
    in.span_id[7] = static_cast<uint8_t>(n + 2);
  }
  return in;
}

Row Expected(const Input& in) {
  return Row{0, in.group->fingerprint, in.time_ms, in.scope, in.location, in.browser, in.session_id, in.user_id,
             in.message, in.trace_id, in.span_id};
}

Status AppendInputs(ErrorStore& store, const std::vector<Input>& inputs) {
  std::vector<ErrorOccurrenceInput> batch;
  for (const Input& in : inputs) batch.push_back(in.View());
  return store.Append(batch);
}

std::vector<Row> Read(const ErrorStore& store, const ErrorPartitionView& view, uint32_t from, uint32_t to) {
  std::vector<Row> out;
  Status s = store.ReadOccurrences(view.partition, from, to,
                                   [&](uint32_t row, const ErrorGroup& g, const ErrorOccurrenceView& o) {
                                     out.push_back(Row{row, g.info.fingerprint, o.time_ms, std::string(o.scope),
                                                       std::string(o.location), std::string(o.browser),
                                                       std::string(o.session_id), std::string(o.user_id),
                                                       std::string(o.message), o.trace_id, o.span_id});
                                   });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

TEST(ErrorStoreTail, ListsAndReadsEveryOccurrenceOnceAcrossPartitionsAndReopen) {
  TempDir dir;
  const ErrorGroupInfo a = Group(1, "TypeError"), b = Group(2, "RangeError");
  std::map<int64_t, std::vector<Row>> expected;  // per day, in append order, rows numbered
  auto append = [&](ErrorStore& store, const std::vector<Input>& inputs) {
    ASSERT_TRUE(AppendInputs(store, inputs).ok());
    for (const Input& in : inputs) {
      std::vector<Row>& day = expected[in.time_ms >= kD1 ? kD1 : kD0];
      Row r = Expected(in);
      r.row = static_cast<uint32_t>(day.size());
      day.push_back(r);
    }
  };
  std::map<int64_t, std::vector<Row>> before_reopen;
  {
    auto opened = ErrorStore::Open(dir.path(), Options(), nullptr);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    ErrorStore& store = **opened;
    EXPECT_TRUE(store.ListPartitions().empty());
    // Batch 1: both days interleaved, times out of order within a day.
    append(store, {MakeInput(&a, 0, kD1 + 500), MakeInput(&a, 1, kD0 + 900), MakeInput(&b, 2, kD0 + 100),
                   MakeInput(&b, 3, kD1 + 10), MakeInput(&a, 4, kD0 + 50)});
    // Batch 2: day 0 only.
    append(store, {MakeInput(&b, 5, kD0 + 7000), MakeInput(&a, 6, kD0 + 20)});
    // Batch 3: both days.
    append(store, {MakeInput(&a, 7, kD1 + 1), MakeInput(&b, 8, kD0 + 3), MakeInput(&a, 9, kD1 + kDayMs - 1)});

    std::vector<ErrorPartitionView> views = store.ListPartitions();
    ASSERT_EQ(views.size(), 2u);
    EXPECT_EQ(views[0].start_ms, kD0);
    EXPECT_EQ(views[1].start_ms, kD1);
    EXPECT_EQ(views[0].row_count, 6u);
    EXPECT_EQ(views[1].row_count, 4u);
    for (const ErrorPartitionView& v : views) {
      std::vector<Row> all = Read(store, v, 0, v.row_count);
      EXPECT_EQ(all, expected[v.start_ms]);  // each once, rows 0..n-1, fields equal, append order
      before_reopen[v.start_ms] = all;
    }
    // Sub-ranges give exactly those rows.
    EXPECT_EQ(Read(store, views[0], 2, 5), std::vector<Row>(expected[kD0].begin() + 2, expected[kD0].begin() + 5));
    EXPECT_EQ(Read(store, views[1], 3, 4), std::vector<Row>(expected[kD1].begin() + 3, expected[kD1].end()));
    EXPECT_TRUE(Read(store, views[1], 4, 4).empty());
  }
  auto reopened = ErrorStore::Open(dir.path(), Options(), nullptr);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  ErrorStore& store = **reopened;
  std::vector<ErrorPartitionView> views = store.ListPartitions();
  ASSERT_EQ(views.size(), 2u);
  for (const ErrorPartitionView& v : views) {
    EXPECT_EQ(v.row_count, before_reopen[v.start_ms].size());
    EXPECT_EQ(Read(store, v, 0, v.row_count), before_reopen[v.start_ms]);
  }
  // Appends after the reopen continue the numbering.
  append(store, {MakeInput(&b, 10, kD0 + 1)});
  views = store.ListPartitions();
  ASSERT_EQ(views[0].row_count, 7u);
  EXPECT_EQ(Read(store, views[0], 6, 7), std::vector<Row>{expected[kD0].back()});
  EXPECT_EQ(expected[kD0].back().row, 6u);
}

TEST(ErrorStoreTail, ViewCountIsFixedAndNewRowsShowInANewList) {
  TempDir dir;
  auto opened = ErrorStore::Open(dir.path(), Options(), nullptr);
  ASSERT_TRUE(opened.ok());
  ErrorStore& store = **opened;
  const ErrorGroupInfo a = Group(1, "TypeError");
  const std::vector<Input> first = {MakeInput(&a, 0, kD0 + 1), MakeInput(&a, 1, kD0 + 2)};
  const std::vector<Input> second = {MakeInput(&a, 2, kD0 + 3), MakeInput(&a, 3, kD1 + 4)};
  ASSERT_TRUE(AppendInputs(store, first).ok());
  std::vector<ErrorPartitionView> old_views = store.ListPartitions();
  ASSERT_EQ(old_views.size(), 1u);
  ASSERT_EQ(old_views[0].row_count, 2u);
  ASSERT_TRUE(AppendInputs(store, second).ok());
  EXPECT_EQ(old_views[0].row_count, 2u);
  std::vector<Row> old_read = Read(store, old_views[0], 0, old_views[0].row_count);
  ASSERT_EQ(old_read.size(), 2u);
  EXPECT_EQ(old_read[1].session_id, "s1");
  std::vector<ErrorPartitionView> views = store.ListPartitions();
  ASSERT_EQ(views.size(), 2u);
  EXPECT_EQ(views[0].partition, old_views[0].partition);
  EXPECT_EQ(views[0].row_count, 3u);
  EXPECT_EQ(views[1].row_count, 1u);
  std::vector<Row> fresh = Read(store, old_views[0], old_views[0].row_count, views[0].row_count);
  Row want = Expected(second[0]);
  want.row = 2;
  EXPECT_EQ(fresh, std::vector<Row>{want});
  std::vector<Row> other = Read(store, views[1], 0, 1);
  Row want1 = Expected(second[1]);
  EXPECT_EQ(other, std::vector<Row>{want1});
}

TEST(ErrorStoreTail, OutOfRangeIsInvalidArgument) {
  TempDir dir;
  auto opened = ErrorStore::Open(dir.path(), Options(), nullptr);
  ASSERT_TRUE(opened.ok());
  ErrorStore& store = **opened;
  const ErrorGroupInfo a = Group(1, "TypeError");
  ASSERT_TRUE(AppendInputs(store, {MakeInput(&a, 0, kD0), MakeInput(&a, 1, kD0), MakeInput(&a, 2, kD0)}).ok());
  std::vector<ErrorPartitionView> views = store.ListPartitions();
  ASSERT_EQ(views.size(), 1u);
  ASSERT_EQ(views[0].row_count, 3u);
  int calls = 0;
  auto count = [&](uint32_t, const ErrorGroup&, const ErrorOccurrenceView&) { ++calls; };
  EXPECT_EQ(store.ReadOccurrences(views[0].partition, 0, 4, count).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store.ReadOccurrences(views[0].partition, 4, 4, count).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store.ReadOccurrences(views[0].partition, 2, 1, count).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store.ReadOccurrences(nullptr, 0, 0, count).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(calls, 0);
  EXPECT_TRUE(store.ReadOccurrences(views[0].partition, 3, 3, count).ok());
  EXPECT_EQ(calls, 0);
  EXPECT_TRUE(store.ReadOccurrences(views[0].partition, 1, 3, count).ok());
  EXPECT_EQ(calls, 2);
}

// Replay skips occurrences whose group record is missing from groups.log: their rows stay
// taken (gaps), so every other occurrence keeps the row it had, the index of its record.
TEST(ErrorStoreTail, RowsFollowTheLogWhenReplaySkipsAnOccurrence) {
  TempDir dir;
  const ErrorGroupInfo a = Group(1, "TypeError"), b = Group(2, "RangeError");
  std::vector<Row> before;
  uintmax_t groups_after_a = 0;
  {
    auto opened = ErrorStore::Open(dir.path(), Options(), nullptr);
    ASSERT_TRUE(opened.ok());
    ErrorStore& store = **opened;
    ASSERT_TRUE(AppendInputs(store, {MakeInput(&a, 0, kD0 + 1)}).ok());
    groups_after_a = std::filesystem::file_size(dir.path() / "groups.log");
    // Rows 1 and 3 belong to group b, whose record follows a's in groups.log.
    ASSERT_TRUE(AppendInputs(store, {MakeInput(&b, 1, kD0 + 2), MakeInput(&a, 2, kD0 + 3), MakeInput(&b, 3, kD0 + 4),
                                     MakeInput(&a, 4, kD0 + 5)})
                    .ok());
    std::vector<ErrorPartitionView> views = store.ListPartitions();
    ASSERT_EQ(views.size(), 1u);
    ASSERT_EQ(views[0].row_count, 5u);
    before = Read(store, views[0], 0, 5);
    ASSERT_EQ(before.size(), 5u);
  }
  // Lose group b's record (as a crash before groups.log reached the disk could).
  std::filesystem::resize_file(dir.path() / "groups.log", groups_after_a);
  auto reopened = ErrorStore::Open(dir.path(), Options(), nullptr);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  ErrorStore& store = **reopened;
  EXPECT_FALSE(store.HasGroup(2));
  std::vector<ErrorPartitionView> views = store.ListPartitions();
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(views[0].row_count, 5u);  // the log still holds 5 records
  EXPECT_EQ(Read(store, views[0], 0, 5), (std::vector<Row>{before[0], before[2], before[4]}));
  EXPECT_EQ(Read(store, views[0], 1, 4), (std::vector<Row>{before[2]}));
  EXPECT_TRUE(Read(store, views[0], 3, 4).empty());
  EXPECT_EQ(Read(store, views[0], 4, 5), (std::vector<Row>{before[4]}));
  // New occurrences take the rows after the log's records.
  ASSERT_TRUE(AppendInputs(store, {MakeInput(&a, 5, kD0 + 6)}).ok());
  views = store.ListPartitions();
  ASSERT_EQ(views[0].row_count, 6u);
  std::vector<Row> last = Read(store, views[0], 5, 6);
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].row, 5u);
  EXPECT_EQ(last[0].session_id, "s5");
  // And the numbering survives another reopen.
  std::vector<Row> all = Read(store, views[0], 0, 6);
  reopened->reset();
  auto again = ErrorStore::Open(dir.path(), Options(), nullptr);
  ASSERT_TRUE(again.ok());
  views = (*again)->ListPartitions();
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(Read(**again, views[0], 0, views[0].row_count), all);
}

TEST(ErrorStoreTail, DroppedPartitionStillReadsThroughItsHandle) {
  TempDir dir;
  auto opened = ErrorStore::Open(dir.path(), Options(), nullptr);
  ASSERT_TRUE(opened.ok());
  ErrorStore& store = **opened;
  const ErrorGroupInfo a = Group(1, "TypeError");
  const std::vector<Input> inputs = {MakeInput(&a, 0, kD0 + 1), MakeInput(&a, 1, kD1 + 2)};
  ASSERT_TRUE(AppendInputs(store, inputs).ok());
  std::vector<ErrorPartitionView> views = store.ListPartitions();
  ASSERT_EQ(views.size(), 2u);
  ASSERT_TRUE(store.SetPolicies(kDayMs, 0).ok());
  ASSERT_TRUE(store.EnforceRetention(kD1 + kDayMs).ok());  // day 0 ended before now - 1 day
  std::vector<ErrorPartitionView> now = store.ListPartitions();
  ASSERT_EQ(now.size(), 1u);
  EXPECT_EQ(now[0].start_ms, kD1);
  EXPECT_EQ(Read(store, views[0], 0, views[0].row_count), std::vector<Row>{Expected(inputs[0])});
}

// A reader tailing the store while a writer appends sees every occurrence exactly once.
TEST(ErrorStoreTail, ConcurrentTailSeesEveryOccurrenceOnce) {
  TempDir dir;
  auto opened = ErrorStore::Open(dir.path(), Options(), nullptr);
  ASSERT_TRUE(opened.ok());
  ErrorStore& store = **opened;
  const ErrorGroupInfo a = Group(1, "TypeError"), b = Group(2, "RangeError");
  constexpr int kBatches = 150;
  std::vector<std::vector<Input>> batches;
  std::map<int64_t, std::vector<Row>> expected;
  for (int i = 0; i < kBatches; ++i) {
    std::vector<Input> batch;
    for (int j = 0; j < 4; ++j) {
      int n = i * 4 + j;
      batch.push_back(MakeInput(n % 3 ? &a : &b, n, (n % 2 ? kD1 : kD0) + n));
      std::vector<Row>& day = expected[n % 2 ? kD1 : kD0];
      Row r = Expected(batch.back());
      r.row = static_cast<uint32_t>(day.size());
      day.push_back(r);
    }
    batches.push_back(std::move(batch));
  }
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (const auto& batch : batches) {
      if (!AppendInputs(store, batch).ok()) {
        ADD_FAILURE() << "append";
        break;
      }
    }
    done = true;
  });
  std::map<int64_t, uint32_t> cursor;
  std::map<int64_t, std::vector<Row>> seen;
  auto poll = [&] {
    for (const ErrorPartitionView& v : store.ListPartitions()) {
      uint32_t& c = cursor[v.start_ms];
      std::vector<Row> rows = Read(store, v, c, v.row_count);
      c = v.row_count;
      seen[v.start_ms].insert(seen[v.start_ms].end(), rows.begin(), rows.end());
    }
  };
  while (!done) poll();
  writer.join();
  poll();
  EXPECT_EQ(seen, expected);
}

}  // namespace
}  // namespace perfwatch::events
