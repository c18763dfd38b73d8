// Sealed row chunks: a full chunk is re-encoded at the narrowest widths its rows allow
// (u16 / u24 time and u16 combo against a base, u24 values, u32 log offsets); every row must read back the same,
// stay writable (MarkDead) and answer scans and exports like the open layout, also after
// a restart (replay re-seals the same way).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <set>

#include "events/event_store.h"
#include "events/partition.h"
#include "test_events.h"

namespace perfwatch::events {
namespace {

using testing::kHour;
using testing::kT0;
using testing::OwnedEvent;
using testing::TempDir;
using testing::TestConfig;
using testing::Views;
using testing::Vitals;

constexpr uint32_t kRows = RowChunk::kRows;

struct Row {
  uint64_t offset;
  uint32_t time, combo;
  uint8_t kind;
  double value;
};

// Rows for one chunk: times base_t + [0, time_span], combos base_c + [0, combo_span],
// offsets from base_o rising by `stride` per row.
std::vector<Row> MakeRows(uint32_t base_t, uint32_t time_span, uint32_t base_c, uint32_t combo_span, uint64_t base_o,
                          uint64_t stride) {
  std::vector<Row> rows;
  for (uint32_t i = 0; i < kRows; ++i) {
    Row r;
    r.offset = base_o + i * stride;
    r.time = base_t + (i == kRows - 1 ? time_span : static_cast<uint32_t>((uint64_t{i} * 7919) % (time_span + 1)));
    r.combo = base_c + (i == 5 ? combo_span : static_cast<uint32_t>((uint64_t{i} * 31) % (combo_span + 1)));
    r.kind = RowKind(EventType::kVital, static_cast<Vital>(1 + i % 5));
    const double values[] = {2345.6, 0.0123, 0.25, 1234.5, 17};
    r.value = i % 1024 == 3 ? -1.5 - i : values[i % 5] + (i % 5 == 4 ? i : 0);  // 4 wide values
    rows.push_back(r);
  }
  return rows;
}

void ExpectRows(const Partition& p, uint32_t chunk, const std::vector<Row>& rows) {
  const RowChunk& c = *p.chunks()[chunk];
  for (uint32_t i = 0; i < rows.size(); ++i) {
    ASSERT_EQ(c.Time(i), rows[i].time) << i;
    ASSERT_EQ(c.Combo(i), rows[i].combo) << i;
    ASSERT_EQ(c.kinds()[i], rows[i].kind) << i;
    ASSERT_EQ(c.Value(i), rows[i].value) << i;
    if (i % RowChunk::kIndexEvery == 0) {
      ASSERT_EQ(c.GroupOffset(i / RowChunk::kIndexEvery), rows[i].offset) << i;
    }
  }
  // The typed columns say the same as the single-row accessors.
  c.VisitTimeCombo([&](auto time, auto combo) {
    for (uint32_t i = 0; i < rows.size(); ++i) {
      ASSERT_EQ(c.time_base() + time[i], rows[i].time);
      ASSERT_EQ(c.combo_base() + combo[i], rows[i].combo);
    }
  });
}

struct Layout {
  uint32_t time_span, combo_span;
  uint64_t stride;
  uint32_t time_bytes, combo_bytes;
};

TEST(RowChunkTest, SealsAtTheNarrowestWidthsAndReadsBackEveryRow) {
  TempDir dir;
  const Layout layouts[] = {
      {20000, 3030, 180, 2, 2},             // a busy site: 8.25 bytes per row
      {65535, 65535, 180, 2, 2},            // the widest spans that still fit 16 bits
      {65536, 65536, 180, 3, 4},            // one more does not
      {3600000, 20, 180, 3, 2},             // an hour of beacon times in one chunk
      {(1u << 24) - 1, 20, 180, 3, 2},      // the widest 24-bit span
      {1u << 24, 20, 180, 4, 2},            // a slow site's 4.7-hour chunk
      {30, 100000, 1u << 21, 2, 4},         // >65,536 combos, records spanning > 4 GiB
  };
  for (const Layout& l : layouts) {
    SCOPED_TRACE(::testing::Message() << l.time_span << " " << l.combo_span << " " << l.stride);
    Partition p(dir.path(), LogHeader{kT0, 24 * kHour});
    auto first = MakeRows(5, 10, 0, 3, 100, 50);  // chunk 0
    auto second = MakeRows(1000000, l.time_span, 7, l.combo_span, 100 + kRows * 50, l.stride);
    for (const auto* rows : {&first, &second}) {
      for (const Row& r : *rows) p.AddRow(r.offset, r.time, r.kind, r.combo, r.value);
    }
    p.AddRow(1ull << 40, 3, 9, 4, 1.25);  // the open third chunk
    ASSERT_EQ(p.chunks().size(), 3u);
    EXPECT_TRUE(p.chunks()[1]->sealed());
    EXPECT_FALSE(p.chunks()[2]->sealed());
    EXPECT_EQ(p.chunks()[1]->time_bytes(), l.time_bytes);
    EXPECT_EQ(p.chunks()[1]->combo_bytes(), l.combo_bytes);
    EXPECT_EQ(p.chunks()[1]->value_bytes(), 3u);
    EXPECT_EQ(p.chunks()[1]->offset_bytes(), l.stride == 180 ? 4u : 8u);
    ExpectRows(p, 0, first);
    ExpectRows(p, 1, second);
    ExpectRows(p, 2, {{1ull << 40, 3, 4, 9, 1.25}});
    if (l.time_bytes == 2 && l.combo_bytes == 2) {
      const size_t bytes = p.chunks()[1]->MemoryBytes();
      EXPECT_LE(bytes, kRows * 8.25 + 4 * 8);  // + the 4 negative values as doubles
      EXPECT_GE(bytes, kRows * 8.25);
    }
    // Sealed rows stay writable.
    const uint32_t row = kRows + 77;
    EXPECT_FALSE(p.RowDead(row));
    const uint64_t live = p.live_rows();
    p.MarkDead(row);
    p.MarkDead(row);
    EXPECT_TRUE(p.RowDead(row));
    EXPECT_FALSE(p.RowDead(row + 1));
    EXPECT_EQ(p.live_rows(), live - 1);
    EXPECT_EQ(p.chunks()[1]->kinds()[77], second[77].kind | kDeadRow);
  }
}

TEST(RowChunkTest, FirstChunkStartsSmallAndGrows) {
  TempDir dir;
  Partition p(dir.path(), LogHeader{kT0, kHour});
  std::vector<Row> rows;
  for (uint32_t i = 0; i < kRows + 1; ++i) {
    rows.push_back({1000 + i * 10ull, i * 3, i % 50, RowKind(EventType::kVital, Vital::kLCP), i * 0.5});
  }
  for (uint32_t i = 0; i < 3; ++i) p.AddRow(rows[i].offset, rows[i].time, rows[i].kind, rows[i].combo, rows[i].value);
  EXPECT_EQ(p.chunks()[0]->capacity(), RowChunk::kFirstCapacity);
  EXPECT_LT(p.chunks()[0]->MemoryBytes(), 5000u);
  for (uint32_t i = 3; i < kRows; ++i) {
    p.AddRow(rows[i].offset, rows[i].time, rows[i].kind, rows[i].combo, rows[i].value);
    if (i == RowChunk::kFirstCapacity) {
      EXPECT_EQ(p.chunks()[0]->capacity(), 2 * RowChunk::kFirstCapacity);
    }
  }
  EXPECT_TRUE(p.chunks()[0]->sealed());
  p.AddRow(rows[kRows].offset, rows[kRows].time, rows[kRows].kind, rows[kRows].combo, rows[kRows].value);
  EXPECT_EQ(p.chunks()[1]->capacity(), kRows);  // a busy partition: later chunks start full size
  rows.pop_back();
  ExpectRows(p, 0, rows);
}

// The rows of bench/rum_cardinality_load.py's beacons: sessions starting 1-2 hours before
// they are sent, 2-60 s per view, 5 vitals per view (lognormal, 1 or 4 decimals), 3,030
// combos. Beacon times arrive out of order over ~1.5 hours: u24 times.
TEST(RowChunkTest, RealisticBeaconsCostUnderNineAndAHalfBytesPerRow) {
  TempDir dir;
  Partition p(dir.path(), LogHeader{kT0, 24 * kHour});
  std::mt19937_64 rng(7);
  const double mu[5] = {7.6, 7.1, 6.0, -2.5, 5.3}, sigma[5] = {0.5, 0.5, 0.6, 0.8, 0.6};
  const int64_t now = 12 * kHour;
  uint64_t offset = 0;
  const uint32_t kEvents = 300000;
  while (p.row_count() < kEvents) {
    int64_t t = now - kHour - static_cast<int64_t>(rng() % kHour);
    const uint32_t combo = static_cast<uint32_t>(rng() % 3030);
    do {
      t += 2000 + static_cast<int64_t>(rng() % 58000);
      for (int v = 0; v < 5 && p.row_count() < kEvents; ++v) {
        double x = std::exp(mu[v] + sigma[v] * std::normal_distribution<double>()(rng));
        x = v == 3 ? std::round(x * 1e4) / 1e4 : std::round(x * 10) / 10;
        p.AddRow(offset, static_cast<uint32_t>(t), RowKind(EventType::kVital, static_cast<Vital>(1 + v)), combo, x);
        offset += 230;
      }
    } while (rng() % 4 != 0);
  }
  size_t bytes = 0, narrow_time = 0;
  for (const auto& c : p.chunks()) {
    bytes += sizeof(RowChunk) + c->MemoryBytes();
    narrow_time += c->sealed() && c->time_bytes() == 3;
  }
  const double per_row = static_cast<double>(bytes) / kEvents;
  std::printf("rows: %.2f bytes per row (%zu of %zu chunks with u24 times)\n", per_row, narrow_time, p.chunks().size());
  EXPECT_EQ(narrow_time, p.chunks().size() - 1);
  EXPECT_LT(per_row, 9.5);
}

// ---- through the store: scans, exports and replay across sealed chunks of each width.

std::unique_ptr<EventStore> OpenStore(const std::filesystem::path& dir) {
  EventsConfig config = TestConfig();
  config.partition_ms = 24 * kHour;  // room for chunks spanning more than 2^24 ms
  auto store = EventStore::Open(dir, config, nullptr);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

using GroupMap = std::map<std::string, std::vector<double>>;  // page -> sorted values

GroupMap ScanByPage(const EventStore& store, Vital v, int64_t from, int64_t to) {
  VitalScan scan;
  scan.vital = v;
  scan.from_ms = from;
  scan.to_ms = to;
  scan.group_by[kPage] = true;
  GroupMap out;
  Status s = store.ScanVitals(scan, [&](const auto& key, std::span<const double> values) {
    auto& g = out[std::string(key[kPage])];
    g.insert(g.end(), values.begin(), values.end());
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  for (auto& [k, g] : out) std::sort(g.begin(), g.end());
  return out;
}

GroupMap BruteForce(const std::vector<OwnedEvent>& events, Vital v, int64_t from, int64_t to) {
  std::map<std::pair<std::string, std::string>, size_t> last;  // (session, id) -> latest event
  for (size_t i = 0; i < events.size(); ++i) {
    if (!events[i].session_id.empty() && !events[i].id.empty()) last[{events[i].session_id, events[i].id}] = i;
  }
  GroupMap out;
  for (size_t i = 0; i < events.size(); ++i) {
    const OwnedEvent& e = events[i];
    if (!e.session_id.empty() && !e.id.empty() && last[{e.session_id, e.id}] != i) continue;  // replaced
    if (e.vital != v || e.time_ms < from || e.time_ms > to) continue;
    out[e.dims[kPage]].push_back(e.value);
  }
  for (auto& [k, g] : out) std::sort(g.begin(), g.end());
  return out;
}

std::string ExportAll(const EventStore& store, ExportQuery q = {}) {
  std::string all;
  Status s = store.Export(q, [&](std::string_view chunk) {
    all.append(chunk);
    return true;
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return all;
}

// One daily partition: 2 chunks whose times span < 65 s (u16 times), one spanning > 65 s
// (u24), 17 spanning > 2^24 ms (u32; 70,000 pages, combo ids 40 .. 69,999), two holding
// combo ids 0 and 69,999 (u32 combos), then an open chunk. Events of the first chunk are
// re-reported after it is sealed (dead rows in a sealed chunk).
std::vector<OwnedEvent> SealingWorkload() {
  std::vector<OwnedEvent> events;
  const Vital vitals[] = {Vital::kLCP, Vital::kINP, Vital::kCLS};
  auto add = [&](int64_t t, std::string page, double value, std::string session, std::string id) {
    OwnedEvent e = Vitals(vitals[events.size() % 3], t, value, std::move(page), std::move(session), std::move(id));
    e.url.clear();  // keep the log small
    e.user_agent.clear();
    e.attrs_json.clear();
    events.push_back(std::move(e));
  };
  uint32_t n = 0;
  for (; n < 2 * kRows; ++n) {  // narrow times and combos
    add(kT0 + 1000 + n * 7, "/p" + std::to_string(n % 40), (n % 1000) / 10.0, "s" + std::to_string(n), "v");
  }
  for (uint32_t i = 0; i < 300; ++i) {  // re-reports of chunk 0's first rows, now sealed
    add(kT0 + 1000 + n * 7, "/p1", 9000 + i, "s" + std::to_string(i), "v");
    ++n;
  }
  for (; n < 3 * kRows; ++n) {  // u24 times
    add(kT0 + 1000 + n * 7 + (n % 2) * 70000, "/p" + std::to_string(n % 40), n * 0.25, "", "");
  }
  for (uint32_t i = 0; i < 70000 - 40; ++i, ++n) {  // many new combos: ids 40 .. 69,999
    add(kT0 + 1000 + n * 7 + (n % 2) * 5 * kHour, "/q" + std::to_string(i), 2.5, "", "");  // u32 times
  }
  for (uint32_t i = 0; i < 2 * kRows + 100; ++i, ++n) {  // combos 0 and 69,999 in one chunk
    add(kT0 + 1000 + n * 7, i % 2 ? "/p0" : "/q69959", i, "", "");
  }
  return events;
}

TEST(RowChunkTest, ScansExportsAndReplayAcrossSealedWidths) {
  TempDir dir;
  const auto events = SealingWorkload();
  const int64_t first = kT0 + 1000;
  int64_t last = 0;
  for (const auto& e : events) last = std::max(last, e.time_ms);
  ASSERT_LT(last, kT0 + 24 * kHour);  // one partition
  // Exact bounds: the first and last event, one past them, a single millisecond, and a
  // window inside the wide-time chunks.
  const std::vector<std::pair<int64_t, int64_t>> ranges = {
      {first, last}, {first + 1, last - 1}, {first, first}, {first + 7, first + 7}, {last, last},
      {kT0, kT0 + 24 * kHour - 1}, {first + 3 * kRows * 7, first + 3 * kRows * 7 + 90000},
      {first + 5 * kHour, first + 5 * kHour + 50000}, {first + 5, first + 6}};
  std::map<int, GroupMap> want;
  std::string exported;
  {
    auto store = OpenStore(dir.path());
    auto views = Views(events);
    for (size_t i = 0; i < views.size(); i += 50) {
      ASSERT_TRUE(store->Append(std::span(views).subspan(i, std::min<size_t>(50, views.size() - i))).ok());
    }
    EXPECT_EQ(store->Stats().events, events.size() - 300);
    for (size_t r = 0; r < ranges.size(); ++r) {
      for (Vital v : {Vital::kLCP, Vital::kINP, Vital::kCLS}) {
        auto got = ScanByPage(*store, v, ranges[r].first, ranges[r].second);
        ASSERT_EQ(got, BruteForce(events, v, ranges[r].first, ranges[r].second)) << "range " << r;
        want[static_cast<int>(r) * 8 + static_cast<int>(v)] = std::move(got);
      }
    }
    EXPECT_EQ(ScanByPage(*store, Vital::kLCP, first + 5, first + 6).size(), 0u);
    exported = ExportAll(*store);
    EXPECT_EQ(static_cast<size_t>(std::count(exported.begin(), exported.end(), '\n')), events.size() - 300);
    ExportQuery q;
    q.from_ms = q.to_ms = first + 7;  // s1's first report, replaced after its chunk sealed
    EXPECT_EQ(ExportAll(*store, q), "");
    q.from_ms = q.to_ms = first + 400 * 7;
    std::string one = ExportAll(*store, q);
    EXPECT_EQ(std::count(one.begin(), one.end(), '\n'), 1);
    EXPECT_NE(one.find("\"sessionId\":\"s400\""), std::string::npos) << one;
  }
  auto store = OpenStore(dir.path());  // replay seals the same chunks
  EXPECT_EQ(store->Stats().events, events.size() - 300);
  for (size_t r = 0; r < ranges.size(); ++r) {
    for (Vital v : {Vital::kLCP, Vital::kINP, Vital::kCLS}) {
      ASSERT_EQ(ScanByPage(*store, v, ranges[r].first, ranges[r].second), want[static_cast<int>(r) * 8 + static_cast<int>(v)])
          << "range " << r;
    }
  }
  EXPECT_EQ(ExportAll(*store), exported);
}

}  // namespace
}  // namespace perfwatch::events
