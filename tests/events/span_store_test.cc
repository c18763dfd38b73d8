#include "events/span_store.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <random>

#include "events/span_codec.h"
#include "support/temp_dir.h"

namespace perfwatch::events {
namespace {
using perfwatch::testing::TempDir;

constexpr uint64_t kHourNs = 3600ull * 1'000'000'000;
constexpr uint64_t kBaseNs = 1'733'280'000ull * 1'000'000'000;  // 2024-12-04T02:40:00Z

std::array<uint8_t, 16> TraceId(uint64_t n) {
  std::array<uint8_t, 16> id{};
  std::mt19937_64 rng(n * 7919 + 1);
  uint64_t a = rng(), b = rng();
  std::memcpy(id.data(), &a, 8);
  std::memcpy(id.data() + 8, &b, 8);
  return id;
}
std::array<uint8_t, 8> SpanId(uint64_t n) {
  std::array<uint8_t, 8> id{};
  uint64_t v = std::mt19937_64(n * 104729 + 3)();
  std::memcpy(id.data(), &v, 8);
  return id;
}

// A typical instrumented HTTP server span (10 attributes, as the Node SDK writes them).
SpanRecord ServerSpan(uint64_t n, uint64_t start_ns, uint64_t duration_ns, const std::string& route = "/api/cart/:id") {
  SpanRecord s;
  s.trace_id = TraceId(n);
  s.span_id = SpanId(n);
  s.service = "api";
  s.name = "GET " + route;
  s.kind = kSpanKindServer;
  s.start_time_unix_nano = start_ns;
  s.end_time_unix_nano = start_ns + duration_ns;
  s.attributes = {SpanAttribute::String("http.request.method", "GET"),
                  SpanAttribute::String("http.route", route),
                  SpanAttribute::Int("http.response.status_code", 200),
                  SpanAttribute::String("url.path", "/api/cart/" + std::to_string(n % 100000)),
                  SpanAttribute::String("url.scheme", "http"),
                  SpanAttribute::String("server.address", "shop.example.com"),
                  SpanAttribute::Int("server.port", 8080),
                  SpanAttribute::String("network.protocol.version", "1.1"),
                  SpanAttribute::String("client.address", "10.0.3." + std::to_string(n % 200)),
                  SpanAttribute::String("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0")};
  return s;
}

SpanRecord ChildSpan(const SpanRecord& parent, uint64_t n, std::string service, std::string name, uint64_t offset_ns,
                     uint64_t duration_ns) {
  SpanRecord s;
  s.trace_id = parent.trace_id;
  s.span_id = SpanId(n + 1'000'000'000);
  s.parent_span_id = parent.span_id;
  s.service = std::move(service);
  s.name = std::move(name);
  s.kind = 3;
  s.start_time_unix_nano = parent.start_time_unix_nano + offset_ns;
  s.end_time_unix_nano = s.start_time_unix_nano + duration_ns;
  s.attributes = {SpanAttribute::String("db.system", "postgresql")};
  return s;
}

SpanStoreOptions Options() {
  SpanStoreOptions o;
  o.retention_ms = 0;  // tests call EnforceRetention themselves
  o.fsync_interval_ms = 0;
  return o;
}

TEST(SpanCodec, RoundTripsEveryFieldAndRejectsTruncation) {
  SpanRecord s = ServerSpan(1, kBaseNs + 5, 1234567, "/x");
  s.parent_span_id = SpanId(99);
  s.status_code = kSpanStatusError;
  s.status_message = "boom";
  s.attributes.push_back({"ratio", SpanAttribute::Type::kDouble, "", 0, 0.25, false});
  s.attributes.push_back({"cached", SpanAttribute::Type::kBool, "", 0, 0, true});
  s.attributes.push_back(SpanAttribute::Int("neg", -42));
  s.attributes.push_back(SpanAttribute::String("long", std::string(500, 'x')));
  s.events = {{"exception", kBaseNs + 100, {SpanAttribute::String("exception.type", "TypeError")}}};
  SpanRecord t = ServerSpan(2, kBaseNs + 1, 10);  // earlier start: negative delta
  std::vector<const SpanRecord*> in = {&s, &t, &s};
  SpanDictionary dict;
  std::string body;
  std::vector<SpanIds> ids;
  EncodeSpanBlock(in, kBaseNs, dict, body, &ids);
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_NE(ids[0].route, kNoId);
  SpanDictionary replayed;
  std::vector<SpanRecord> out;
  std::vector<SpanIds> out_ids;
  ASSERT_TRUE(DecodeSpanBlock(body, kBaseNs, &replayed, replayed.strings, &out, &out_ids).ok());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], s);
  EXPECT_EQ(out[1], t);
  EXPECT_EQ(out[2], s);
  EXPECT_EQ(out_ids[0].route, ids[0].route);
  EXPECT_EQ(replayed.strings.size(), dict.strings.size());
  for (size_t cut = 0; cut < body.size(); ++cut) {
    SpanDictionary d;
    EXPECT_FALSE(DecodeSpanBlock(body.substr(0, cut), kBaseNs, &d, d.strings, nullptr, nullptr).ok()) << cut;
  }
}

TEST(SpanStore, TraceLookupReturnsEverySpanOfTheTraceInStartOrder) {
  TempDir dir;
  auto store = SpanStore::Open(dir.path(), Options(), nullptr);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  std::vector<SpanRecord> batch;
  for (uint64_t i = 0; i < 3000; ++i) batch.push_back(ServerSpan(i, kBaseNs + i * 1'000'000, 5'000'000));
  SpanRecord root = ServerSpan(7, kBaseNs + 42, 9'000'000);  // a second span of trace 7
  root.span_id = SpanId(777);
  SpanRecord db = ChildSpan(root, 7, "db", "SELECT", 1000, 2000);
  batch.push_back(db);
  ASSERT_TRUE((*store)->Append(batch).ok());
  ASSERT_TRUE((*store)->Append(std::span(&root, 1)).ok());  // another block

  std::vector<SpanRecord> trace;
  uint64_t total = 0;
  ASSERT_TRUE((*store)->GetTrace(TraceId(7), 100, &trace, &total).ok());
  ASSERT_EQ(total, 3u);
  ASSERT_EQ(trace.size(), 3u);
  EXPECT_EQ(trace[0], root);
  EXPECT_EQ(trace[1], db);
  EXPECT_EQ(trace[2], batch[7]);
  ASSERT_TRUE((*store)->GetTrace(TraceId(7), 2, &trace, &total).ok());
  EXPECT_EQ(total, 3u);
  EXPECT_EQ(trace.size(), 2u);
  ASSERT_TRUE((*store)->GetTrace(TraceId(123456789), 100, &trace, &total).ok());
  EXPECT_EQ(total, 0u);
  EXPECT_EQ((*store)->Stats().spans, 3002u);
}

TEST(SpanStore, ListsEntrySpansFilteredSortedAndLimited) {
  TempDir dir;
  auto store = SpanStore::Open(dir.path(), Options(), nullptr);
  ASSERT_TRUE(store.ok());
  std::vector<SpanRecord> batch;
  for (uint64_t i = 0; i < 100; ++i) {
    SpanRecord s = ServerSpan(i, kBaseNs + i * 1'000'000'000, (i % 10 + 1) * 1'000'000, i % 2 ? "/a" : "/b");
    if (i % 5 == 0) s.status_code = kSpanStatusError;
    batch.push_back(s);
    batch.push_back(ChildSpan(s, i, "db", "SELECT", 10, 100));  // not an entry span
  }
  ASSERT_TRUE((*store)->Append(batch).ok());
  std::vector<SpanRecord> out;
  SpanListQuery q;
  q.limit = 1000;
  ASSERT_TRUE((*store)->ListEntrySpans(q, &out).ok());
  ASSERT_EQ(out.size(), 100u);
  EXPECT_EQ(out[0], batch[198]);  // newest first
  q.route = "/a";
  q.status = kSpanStatusError;
  ASSERT_TRUE((*store)->ListEntrySpans(q, &out).ok());
  for (const auto& s : out) {
    EXPECT_EQ(s.Find("http.route")->string_value, "/a");
    EXPECT_EQ(s.status_code, kSpanStatusError);
  }
  EXPECT_EQ(out.size(), 10u);  // odd multiples of 5
  q = {};
  q.sort = SpanListQuery::Sort::kSlowest;
  q.limit = 3;
  q.min_duration_ns = 10'000'000;
  ASSERT_TRUE((*store)->ListEntrySpans(q, &out).ok());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].start_time_unix_nano, batch[2 * 99].start_time_unix_nano);  // ties: newest first
  EXPECT_EQ(out[2].start_time_unix_nano, batch[2 * 79].start_time_unix_nano);
  q = {};
  q.service = "nope";
  ASSERT_TRUE((*store)->ListEntrySpans(q, &out).ok());
  EXPECT_TRUE(out.empty());
  q = {};
  q.from_ns = static_cast<int64_t>(kBaseNs + 10'000'000'000);
  q.to_ns = static_cast<int64_t>(kBaseNs + 12'000'000'000);
  ASSERT_TRUE((*store)->ListEntrySpans(q, &out).ok());
  EXPECT_EQ(out.size(), 3u);
}

TEST(SpanStore, ReopenKeepsEverythingAndCutsATornTail) {
  TempDir dir;
  std::vector<SpanRecord> batch;
  for (uint64_t i = 0; i < 500; ++i) batch.push_back(ServerSpan(i, kBaseNs + i, 1000));
  {
    auto store = SpanStore::Open(dir.path(), Options(), nullptr);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Append(batch).ok());
    ASSERT_TRUE((*store)->Append(std::span(batch).subspan(0, 10)).ok());
  }
  // A crash in the middle of a write: a partial record at the end of the log.
  std::filesystem::path log;
  for (auto& e : std::filesystem::directory_iterator(dir.path())) log = e.path() / "spans.log";
  uint64_t good = std::filesystem::file_size(log);
  {
    std::ofstream f(log, std::ios::app | std::ios::binary);
    f << std::string("\x12\x34\x56\x78\x7f", 5) << std::string(20, 'z');
  }
  auto store = SpanStore::Open(dir.path(), Options(), nullptr);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(std::filesystem::file_size(log), good);
  EXPECT_EQ((*store)->Stats().spans, 510u);
  std::vector<SpanRecord> trace;
  uint64_t total;
  ASSERT_TRUE((*store)->GetTrace(TraceId(3), 10, &trace, &total).ok());
  ASSERT_EQ(total, 2u);
  EXPECT_EQ(trace[0], batch[3]);
  // New strings after the reopen get the next dictionary ids; the store stays readable.
  SpanRecord fresh = ServerSpan(9999, kBaseNs + 77, 1, "/new-route");
  ASSERT_TRUE((*store)->Append(std::span(&fresh, 1)).ok());
  store->reset();
  store = SpanStore::Open(dir.path(), Options(), nullptr);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->GetTrace(TraceId(9999), 10, &trace, &total).ok());
  ASSERT_EQ(total, 1u);
  EXPECT_EQ(trace[0], fresh);
}

TEST(SpanStore, CorruptRecordCutsTheLogAndKeepsTheTail) {
  TempDir dir;
  std::filesystem::path log;
  {
    auto store = SpanStore::Open(dir.path(), Options(), nullptr);
    ASSERT_TRUE(store.ok());
    for (uint64_t b = 0; b < 3; ++b) {
      std::vector<SpanRecord> batch;
      for (uint64_t i = 0; i < 100; ++i) batch.push_back(ServerSpan(b * 100 + i, kBaseNs + i, 1000));
      ASSERT_TRUE((*store)->Append(batch).ok());
    }
  }
  for (auto& e : std::filesystem::directory_iterator(dir.path())) log = e.path() / "spans.log";
  uint64_t size = std::filesystem::file_size(log);
  {
    std::fstream f(log, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(size / 2));  // inside the second of three records
    f.put('\xff');
  }
  auto store = SpanStore::Open(dir.path(), Options(), nullptr);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->Stats().spans, 100u);
  size_t saved = 0;
  for (auto& e : std::filesystem::directory_iterator(log.parent_path())) {
    saved += e.path().filename().string().rfind("spans.log.corrupt-", 0) == 0;
  }
  EXPECT_EQ(saved, 1u);
}

TEST(SpanStore, RetentionDropsWholePartitions) {
  TempDir dir;
  SpanStoreOptions o = Options();
  o.retention_ms = 2 * 3600 * 1000;
  auto store = SpanStore::Open(dir.path(), o, nullptr);
  ASSERT_TRUE(store.ok());
  for (uint64_t h = 0; h < 4; ++h) {
    SpanRecord s = ServerSpan(h, kBaseNs + h * kHourNs, 1000);
    ASSERT_TRUE((*store)->Append(std::span(&s, 1)).ok());
  }
  EXPECT_EQ((*store)->Stats().partitions, 4u);
  const int64_t now_ms = static_cast<int64_t>((kBaseNs + 3 * kHourNs) / 1'000'000);
  ASSERT_TRUE((*store)->EnforceRetention(now_ms).ok());
  // Partitions ending at or before now - 2h are gone: the first one (kBaseNs is 40 min into its hour).
  EXPECT_EQ((*store)->Stats().partitions, 3u);
  std::vector<SpanRecord> trace;
  uint64_t total;
  ASSERT_TRUE((*store)->GetTrace(TraceId(0), 10, &trace, &total).ok());
  EXPECT_EQ(total, 0u);
  ASSERT_TRUE((*store)->GetTrace(TraceId(1), 10, &trace, &total).ok());
  EXPECT_EQ(total, 1u);
  size_t dirs = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path())) dirs += e.is_directory();
  EXPECT_EQ(dirs, 3u);
}

// The target: <= 120 bytes on disk per typical server span.
TEST(SpanStore, TypicalServerSpanTakesAtMost120BytesOnDisk) {
  TempDir dir;
  auto store = SpanStore::Open(dir.path(), Options(), nullptr);
  ASSERT_TRUE(store.ok());
  constexpr int kBatches = 200, kPerBatch = 100;
  const char* routes[] = {"/api/cart/:id", "/api/products", "/api/checkout", "/health", "/api/users/:id"};
  for (int b = 0; b < kBatches; ++b) {
    std::vector<SpanRecord> batch;
    for (int i = 0; i < kPerBatch; ++i) {
      uint64_t n = static_cast<uint64_t>(b * kPerBatch + i);
      batch.push_back(ServerSpan(n, kBaseNs + n * 200'000, 1'000'000 + (n * 7919) % 50'000'000, routes[n % 5]));
    }
    ASSERT_TRUE((*store)->Append(batch).ok());
  }
  auto stats = (*store)->Stats();
  double per_span = static_cast<double>(stats.disk_bytes) / stats.spans;
  RecordProperty("bytes_per_span", std::to_string(per_span));
  std::printf("bytes per span on disk: %.1f (%llu spans, %llu bytes)\n", per_span,
              static_cast<unsigned long long>(stats.spans), static_cast<unsigned long long>(stats.disk_bytes));
  EXPECT_LE(per_span, 120.0);
}

}  // namespace
}  // namespace perfwatch::events

// --- otlp.span_retention reloaded (SpanStore::SetRetention) ---
namespace perfwatch::events {
namespace {

TEST(SpanStore, SetRetentionAppliesToTheNextRetentionPass) {
  TempDir dir;
  SpanStoreOptions o = Options();
  o.retention_ms = 0;  // keep everything
  auto store = SpanStore::Open(dir.path(), o, nullptr);
  ASSERT_TRUE(store.ok());
  for (uint64_t h = 0; h < 4; ++h) {
    SpanRecord s = ServerSpan(h, kBaseNs + h * kHourNs, 1000);
    ASSERT_TRUE((*store)->Append(std::span(&s, 1)).ok());
  }
  const int64_t now_ms = static_cast<int64_t>((kBaseNs + 3 * kHourNs) / 1'000'000);
  ASSERT_TRUE((*store)->EnforceRetention(now_ms).ok());
  EXPECT_EQ((*store)->Stats().partitions, 4u);
  (*store)->SetRetention(2 * 3600 * 1000);
  EXPECT_EQ((*store)->retention_ms(), 2 * 3600 * 1000);
  ASSERT_TRUE((*store)->EnforceRetention(now_ms).ok());
  EXPECT_EQ((*store)->Stats().partitions, 3u);
  (*store)->SetRetention(3600 * 1000);
  ASSERT_TRUE((*store)->EnforceRetention(now_ms).ok());
  EXPECT_EQ((*store)->Stats().partitions, 2u);
}

}  // namespace
}  // namespace perfwatch::events
