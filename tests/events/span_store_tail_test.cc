// SpanStore's tail API (ListPartitions, ReadBlocks): every stored span exactly once,
// identified by (partition start, block), the same numbering after a reopen.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "events/span_codec.h"
#include "events/span_store.h"
#include "support/temp_dir.h"

namespace perfwatch::events {
namespace {
using perfwatch::testing::TempDir;

constexpr int64_t kHourMs = 3600 * 1000;
constexpr int64_t kH0 = 1'733'277'600'000;  // 2024-12-04T02:00:00Z, an hour boundary
constexpr uint64_t kMsNs = 1'000'000;

SpanStoreOptions Options() {
  SpanStoreOptions o;
  o.retention_ms = 0;
  o.fsync_interval_ms = 0;
  o.partition_ms = kHourMs;
  return o;
}

// A span with every field set, distinct per n, starting at `start_ms` (+ n ns).
SpanRecord MakeSpan(uint64_t n, int64_t start_ms) {
  SpanRecord s;
  std::memcpy(s.trace_id.data(), &n, 8);
  s.trace_id[15] = 0x5a;
  uint64_t sid = n * 7 + 1;
  std::memcpy(s.span_id.data(), &sid, 8);
  if (n % 3 != 0) s.parent_span_id[0] = static_cast<uint8_t>(n % 251 + 1);
  s.service = n % 2 ? "api" : "checkout";
  s.name = "op-" + std::to_string(n % 17);
  s.kind = static_cast<uint8_t>(n % 6);
  s.status_code = static_cast<uint8_t>(n % 3);
  if (s.status_code == kSpanStatusError) s.status_message = "failed " + std::to_string(n);
  s.start_time_unix_nano = static_cast<uint64_t>(start_ms) * kMsNs + n;
  s.end_time_unix_nano = s.start_time_unix_nano + 1000 + n * 13;
  s.attributes = {SpanAttribute::String("http.route", "/r/" + std::to_string(n % 5)),
                  SpanAttribute::Int("n", static_cast<int64_t>(n)),
                  SpanAttribute::String("unique", "u-" + std::to_string(n))};
  if (n % 4 == 0) {
    s.events = {{"exception", s.start_time_unix_nano + 10, {SpanAttribute::String("exception.type", "E")}}};
  }
  return s;
}

std::vector<SpanRecord> Batch(uint64_t first_n, size_t count, int64_t start_ms) {
  std::vector<SpanRecord> out;
  for (size_t i = 0; i < count; ++i) out.push_back(MakeSpan(first_n + i, start_ms + static_cast<int64_t>(i % 1000)));
  return out;
}

struct ReadBlock {
  uint32_t block;
  std::vector<SpanRecord> spans;
};

std::vector<ReadBlock> Read(const SpanStore& store, const SpanPartitionView& view, uint32_t from, uint32_t to,
                            Status* status = nullptr) {
  std::vector<ReadBlock> out;
  Status s = store.ReadBlocks(view.partition, from, to, [&](uint32_t block, std::span<const SpanRecord> spans) {
    out.push_back({block, std::vector<SpanRecord>(spans.begin(), spans.end())});
  });
  if (status) {
    *status = s;
  } else {
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  return out;
}

std::vector<SpanRecord> Flatten(const std::vector<ReadBlock>& blocks) {
  std::vector<SpanRecord> out;
  for (const ReadBlock& b : blocks) out.insert(out.end(), b.spans.begin(), b.spans.end());
  return out;
}

TEST(SpanStoreTail, ListsAndReadsEveryBlockOnceAcrossPartitionsAndReopen) {
  TempDir dir;
  // Per partition, the spans in append order (what the blocks must give back).
  std::map<int64_t, std::vector<SpanRecord>> expected;
  auto append = [&](SpanStore& store, const std::vector<SpanRecord>& batch) {
    ASSERT_TRUE(store.Append(batch).ok());
    for (const SpanRecord& s : batch) {
      int64_t start = static_cast<int64_t>(s.start_time_unix_nano / kMsNs) / kHourMs * kHourMs;
      expected[start].push_back(s);
    }
  };
  std::map<int64_t, std::vector<ReadBlock>> before_reopen;
  {
    auto opened = SpanStore::Open(dir.path(), Options(), nullptr);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    SpanStore& store = **opened;
    EXPECT_TRUE(store.ListPartitions().empty());
    // Batch 1: both hours, interleaved (one block per partition).
    std::vector<SpanRecord> b1;
    for (uint64_t n = 0; n < 6; ++n) b1.push_back(MakeSpan(n, n % 2 ? kH0 + kHourMs + 5 : kH0 + 5));
    append(store, b1);
    // Batch 2: 1500 spans in hour 0 (two blocks: 1024 + 476).
    append(store, Batch(100, 1500, kH0 + 1000));
    // Batch 3: 7 spans in hour 1.
    append(store, Batch(2000, 7, kH0 + kHourMs + 2000));

    std::vector<SpanPartitionView> views = store.ListPartitions();
    ASSERT_EQ(views.size(), 2u);
    EXPECT_EQ(views[0].start_ms, kH0);
    EXPECT_EQ(views[1].start_ms, kH0 + kHourMs);
    EXPECT_EQ(views[0].block_count, 3u);  // 3, 1024, 476 spans
    EXPECT_EQ(views[1].block_count, 2u);  // 3, 7 spans

    for (const SpanPartitionView& v : views) {
      std::vector<ReadBlock> all = Read(store, v, 0, v.block_count);
      ASSERT_EQ(all.size(), v.block_count);
      for (uint32_t i = 0; i < all.size(); ++i) {
        EXPECT_EQ(all[i].block, i);
        EXPECT_FALSE(all[i].spans.empty());
        EXPECT_LE(all[i].spans.size(), kMaxSpansPerBlock);
      }
      // Every span exactly once, fields equal, in append order.
      EXPECT_EQ(Flatten(all), expected[v.start_ms]);
      std::set<std::array<uint8_t, 8>> ids;
      for (const SpanRecord& s : Flatten(all)) EXPECT_TRUE(ids.insert(s.span_id).second);
      before_reopen[v.start_ms] = all;
    }
    EXPECT_EQ(before_reopen[kH0][0].spans.size(), 3u);
    EXPECT_EQ(before_reopen[kH0][1].spans.size(), kMaxSpansPerBlock);
    EXPECT_EQ(before_reopen[kH0][2].spans.size(), 1500 - kMaxSpansPerBlock);

    // A sub-range gives exactly those blocks.
    std::vector<ReadBlock> mid = Read(store, views[0], 1, 2);
    ASSERT_EQ(mid.size(), 1u);
    EXPECT_EQ(mid[0].block, 1u);
    EXPECT_EQ(mid[0].spans, std::vector<SpanRecord>(expected[kH0].begin() + 3, expected[kH0].begin() + 3 + 1024));
    std::vector<ReadBlock> tail = Read(store, views[0], 2, 3);
    ASSERT_EQ(tail.size(), 1u);
    EXPECT_EQ(tail[0].block, 2u);
    EXPECT_EQ(tail[0].spans, before_reopen[kH0][2].spans);
    EXPECT_TRUE(Read(store, views[1], 2, 2).empty());  // empty range: OK, no call
  }
  // Replay rebuilds the same numbering.
  auto reopened = SpanStore::Open(dir.path(), Options(), nullptr);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  SpanStore& store = **reopened;
  std::vector<SpanPartitionView> views = store.ListPartitions();
  ASSERT_EQ(views.size(), 2u);
  for (const SpanPartitionView& v : views) {
    ASSERT_TRUE(before_reopen.count(v.start_ms));
    ASSERT_EQ(v.block_count, before_reopen[v.start_ms].size());
    std::vector<ReadBlock> all = Read(store, v, 0, v.block_count);
    ASSERT_EQ(all.size(), before_reopen[v.start_ms].size());
    for (size_t i = 0; i < all.size(); ++i) {
      EXPECT_EQ(all[i].block, before_reopen[v.start_ms][i].block);
      EXPECT_EQ(all[i].spans, before_reopen[v.start_ms][i].spans) << "partition " << v.start_ms << " block " << i;
    }
  }
  // Appends after the reopen continue the numbering.
  ASSERT_TRUE(store.Append(Batch(5000, 4, kH0 + 20)).ok());
  std::vector<SpanPartitionView> after = store.ListPartitions();
  ASSERT_EQ(after[0].block_count, 4u);
  std::vector<ReadBlock> last = Read(store, after[0], 3, 4);
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].block, 3u);
  EXPECT_EQ(last[0].spans, Batch(5000, 4, kH0 + 20));
}

TEST(SpanStoreTail, ViewCountIsFixedAndNewBlocksShowInANewList) {
  TempDir dir;
  auto opened = SpanStore::Open(dir.path(), Options(), nullptr);
  ASSERT_TRUE(opened.ok());
  SpanStore& store = **opened;
  ASSERT_TRUE(store.Append(Batch(0, 5, kH0)).ok());
  std::vector<SpanPartitionView> old_views = store.ListPartitions();
  ASSERT_EQ(old_views.size(), 1u);
  ASSERT_EQ(old_views[0].block_count, 1u);
  ASSERT_TRUE(store.Append(Batch(10, 3, kH0 + 50)).ok());
  ASSERT_TRUE(store.Append(Batch(20, 2, kH0 + kHourMs)).ok());  // a new partition
  EXPECT_EQ(old_views[0].block_count, 1u);
  // The earlier view's range holds only what was there then.
  std::vector<ReadBlock> old_read = Read(store, old_views[0], 0, old_views[0].block_count);
  ASSERT_EQ(old_read.size(), 1u);
  EXPECT_EQ(old_read[0].spans, Batch(0, 5, kH0));
  // A new list shows the new block and the new partition; the old handle reads it too.
  std::vector<SpanPartitionView> views = store.ListPartitions();
  ASSERT_EQ(views.size(), 2u);
  EXPECT_EQ(views[0].block_count, 2u);
  EXPECT_EQ(views[1].block_count, 1u);
  EXPECT_EQ(views[0].partition, old_views[0].partition);
  std::vector<ReadBlock> fresh = Read(store, old_views[0], old_views[0].block_count, views[0].block_count);
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(fresh[0].block, 1u);
  EXPECT_EQ(fresh[0].spans, Batch(10, 3, kH0 + 50));
  EXPECT_EQ(Flatten(Read(store, views[1], 0, 1)), Batch(20, 2, kH0 + kHourMs));
}

TEST(SpanStoreTail, OutOfRangeIsInvalidArgument) {
  TempDir dir;
  auto opened = SpanStore::Open(dir.path(), Options(), nullptr);
  ASSERT_TRUE(opened.ok());
  SpanStore& store = **opened;
  ASSERT_TRUE(store.Append(Batch(0, 5, kH0)).ok());
  ASSERT_TRUE(store.Append(Batch(5, 5, kH0)).ok());
  std::vector<SpanPartitionView> views = store.ListPartitions();
  ASSERT_EQ(views.size(), 1u);
  ASSERT_EQ(views[0].block_count, 2u);
  int calls = 0;
  auto count = [&](uint32_t, std::span<const SpanRecord>) { ++calls; };
  EXPECT_EQ(store.ReadBlocks(views[0].partition, 0, 3, count).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store.ReadBlocks(views[0].partition, 3, 3, count).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store.ReadBlocks(views[0].partition, 2, 1, count).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store.ReadBlocks(views[0].partition, 5, 9, count).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store.ReadBlocks(nullptr, 0, 0, count).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(calls, 0);  // nothing read on an invalid range
  EXPECT_TRUE(store.ReadBlocks(views[0].partition, 2, 2, count).ok());
  EXPECT_EQ(calls, 0);
  EXPECT_TRUE(store.ReadBlocks(views[0].partition, 0, 2, count).ok());
  EXPECT_EQ(calls, 2);
}

TEST(SpanStoreTail, DroppedPartitionStillReadsThroughItsHandle) {
  TempDir dir;
  auto opened = SpanStore::Open(dir.path(), Options(), nullptr);
  ASSERT_TRUE(opened.ok());
  SpanStore& store = **opened;
  ASSERT_TRUE(store.Append(Batch(0, 5, kH0)).ok());
  ASSERT_TRUE(store.Append(Batch(5, 4, kH0 + 3 * kHourMs)).ok());
  std::vector<SpanPartitionView> views = store.ListPartitions();
  ASSERT_EQ(views.size(), 2u);
  store.SetRetention(2 * kHourMs);
  ASSERT_TRUE(store.EnforceRetention(kH0 + 3 * kHourMs + 10).ok());  // drops hour 0 only
  std::vector<SpanPartitionView> now = store.ListPartitions();
  ASSERT_EQ(now.size(), 1u);
  EXPECT_EQ(now[0].start_ms, kH0 + 3 * kHourMs);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / ("part-" + std::to_string(kH0))));
  EXPECT_EQ(Flatten(Read(store, views[0], 0, views[0].block_count)), Batch(0, 5, kH0));
}

// A reader tailing the store while a writer appends sees every span exactly once, in
// append order.
TEST(SpanStoreTail, ConcurrentTailSeesEverySpanOnce) {
  TempDir dir;
  auto opened = SpanStore::Open(dir.path(), Options(), nullptr);
  ASSERT_TRUE(opened.ok());
  SpanStore& store = **opened;
  constexpr int kBatches = 120;
  constexpr size_t kPerBatch = 9;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int b = 0; b < kBatches; ++b) {
      // Alternate between two hours so that both partitions grow.
      int64_t start = kH0 + (b % 2) * kHourMs + b;
      if (!store.Append(Batch(static_cast<uint64_t>(b) * 100, kPerBatch, start)).ok()) {
        ADD_FAILURE() << "append " << b;
        break;
      }
    }
    done = true;
  });
  std::map<int64_t, uint32_t> cursor;
  std::map<int64_t, std::vector<SpanRecord>> seen;
  auto poll = [&] {
    for (const SpanPartitionView& v : store.ListPartitions()) {
      uint32_t& c = cursor[v.start_ms];
      Status s = store.ReadBlocks(v.partition, c, v.block_count, [&](uint32_t block, std::span<const SpanRecord> spans) {
        EXPECT_EQ(block, c);
        ++c;
        seen[v.start_ms].insert(seen[v.start_ms].end(), spans.begin(), spans.end());
      });
      ASSERT_TRUE(s.ok()) << s.ToString();
      EXPECT_EQ(c, v.block_count);
    }
  };
  while (!done) poll();
  writer.join();
  poll();
  std::map<int64_t, std::vector<SpanRecord>> expected;
  for (int b = 0; b < kBatches; ++b) {
    int64_t start = kH0 + (b % 2) * kHourMs + b;
    for (SpanRecord& s : Batch(static_cast<uint64_t>(b) * 100, kPerBatch, start)) {
      expected[kH0 + (b % 2) * kHourMs].push_back(std::move(s));
    }
  }
  EXPECT_EQ(seen, expected);
}

}  // namespace
}  // namespace perfwatch::events
