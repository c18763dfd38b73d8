// EventCsvWriter (the export path for format=csv) against the plain formatter
// AppendEventCsv, and a store's CSV export read back with an RFC 4180 reader.
#include "events/export_csv.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <random>

#include "common/coding.h"
#include "events/event_store.h"
#include "test_events.h"

namespace perfwatch::events {
namespace {

using testing::OwnedEvent;
using testing::TempDir;
using testing::Views;
using testing::Vitals;

constexpr int64_t kT0 = 1700006400000;
constexpr int64_t kHour = 3600000;
constexpr int64_t kDay = 24 * kHour;

std::string_view Encode(Partition& p, const OwnedEvent& e, uint64_t seq, std::string& framed, uint32_t* combo) {
  std::string scratch;
  framed.clear();
  EventInput in = e.View();
  *combo = p.EncodeEvent(in, seq, scratch, framed);
  Decoder d(framed.data() + 4, framed.size() - 4);
  uint64_t len = 0;
  EXPECT_TRUE(d.Varint(&len));
  return {d.position(), len};
}

// RFC 4180: records of cells; quoted cells may hold commas, doubled quotes, CR and LF.
// Fails the test on a malformed input.
std::vector<std::vector<std::string>> ReadCsv(std::string_view text) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string cell;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '"') {
      ++i;
      for (;;) {
        if (i >= text.size()) {
          ADD_FAILURE() << "unterminated quoted cell";
          return records;
        }
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            cell += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        cell += text[i++];
      }
    }
    while (i < text.size() && text[i] != ',' && text[i] != '\r') {
      EXPECT_NE(text[i], '"') << "a quote inside an unquoted cell at " << i;
      EXPECT_NE(text[i], '\n') << "a bare LF at " << i;
      cell += text[i++];
    }
    if (i >= text.size()) {
      ADD_FAILURE() << "the last record does not end with CRLF";
      break;
    }
    record.push_back(std::move(cell));
    cell.clear();
    if (text[i] == ',') {
      ++i;
      continue;
    }
    EXPECT_EQ(text.substr(i, 2), "\r\n");
    i += 2;
    records.push_back(std::move(record));
    record.clear();
  }
  return records;
}

TEST(ExportCsvTest, WriterMatchesAppendEventCsv) {
  const std::vector<std::string> strings = {
      "", "a", "navigate", "\"quoted\"", "a,b", "line\r\nbreak", "lf\nonly", std::string("nul\0in", 6),
      "h\xc3\xa9llo \xe2\x9c\x93", std::string(100, 'x') + "\"", "https://shop.example/p/12?q=\"a\",b",
      std::string(3000, '"')};
  const std::vector<double> values = {std::nan(""), 0, -0.0, 1, 2810.3, -1.5, 0.1, 1700000000, 1e20, 1e-7,
                                      std::numeric_limits<double>::infinity()};
  const std::vector<std::string> attrs = {"", "{}", " { \"a\":1 } ", "{\"delta\":315,\"deviceMemory\":8}",
                                          "{\"x\":\"}\",\"y\":\"a,b\"}", "[1,2]", "{", "{ }"};
  std::mt19937 rng(5);
  auto pick = [&](const auto& v) { return v[rng() % v.size()]; };

  Partition p("/nonexistent", LogHeader{kT0, kDay});
  EventCsvWriter writer;
  writer.StartPartition(p);
  std::string framed, expected;
  RecordView r;
  for (uint64_t seq = 1; seq <= 3000; ++seq) {
    OwnedEvent e;
    e.type = static_cast<EventType>(1 + rng() % (kEventTypeCount - 1));
    e.vital = e.type == EventType::kVital ? static_cast<Vital>(rng() % kVitalCount) : Vital::kNone;
    e.time_ms = kT0 + static_cast<int64_t>(rng() % kDay);
    e.received_ms = e.time_ms + static_cast<int64_t>(rng() % 2000) - 1000;
    e.value = pick(values);
    for (auto& d : e.dims) d = rng() % 3 ? pick(strings).substr(0, 200) : std::string();
    e.name = pick(strings);
    e.url = pick(strings);
    e.user_agent = pick(strings);
    e.session_id = pick(strings);
    e.id = pick(strings);
    e.navigation_type = pick(strings);
    e.rating = pick(strings);
    e.attrs_json = pick(attrs);
    uint32_t combo;
    std::string_view payload = Encode(p, e, seq, framed, &combo);
    ASSERT_TRUE(p.DecodeRecord(payload, &r).ok());
    expected.clear();
    AppendEventCsv(expected, r);
    size_t before = writer.size();
    ASSERT_TRUE(writer.Append(p, payload, combo).ok());
    ASSERT_EQ(writer.data().substr(before), expected) << "event " << seq;
    // Every record reads back as 17 cells holding what went in.
    auto rows = ReadCsv(expected);
    ASSERT_EQ(rows.size(), 1u);
    ASSERT_EQ(rows[0].size(), 17u);
    EXPECT_EQ(rows[0][5], e.url);
    EXPECT_EQ(rows[0][11], e.dims[kApp]);
    if (writer.size() > (64 << 10)) writer.Clear();
  }
  std::string bad(framed.substr(5, 3));
  EXPECT_FALSE(writer.Append(p, bad, 0).ok());
}

TEST(ExportCsvTest, StoreExportHasTheHeaderAndOneRecordPerEvent) {
  TempDir dir;
  EventsConfig config;
  config.partition_ms = kHour;
  config.retention_ms = INT64_MAX / 2;
  auto store = std::move(EventStore::Open(dir.path(), config, nullptr)).value();
  std::vector<OwnedEvent> events;
  for (int i = 0; i < 2500; ++i) {
    auto e = Vitals(Vital::kLCP, kT0 + 2 * kHour - 1 - i * 1000, 1000.25 + i, i % 2 ? "/p/:id" : "/",
                    "sess-" + std::to_string(i % 50), "v4-" + std::to_string(i));
    e.url = "https://shop.example/p/" + std::to_string(i) + "?q=\"quoted\",x";
    e.attrs_json = "{\"delta\":" + std::to_string(i) + ",\"deviceMemory\":8}";
    if (i % 5 == 0) {
      e.type = EventType::kError;
      e.vital = Vital::kNone;
      e.name = "TypeError: x, y\n\tat z";
      e.value = std::nan("");
    }
    events.push_back(std::move(e));
  }
  ASSERT_TRUE(store->Append(Views(events)).ok());

  auto export_csv = [&](ExportQuery q) {
    q.format = ExportFormat::kCsv;
    std::string all;
    EXPECT_TRUE(store->Export(q, [&](std::string_view c) {
      all.append(c);
      return true;
    }).ok());
    return all;
  };
  const std::string all = export_csv({});
  ASSERT_TRUE(all.starts_with(EventCsvHeader()));
  auto rows = ReadCsv(all);
  ASSERT_EQ(rows.size(), events.size() + 1);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"type", "name", "value", "id", "sessionId", "url", "timestamp",
                                               "userAgent", "connection", "navigationType", "rating", "app", "page",
                                               "device", "browser", "received", "attributes"}));
  std::map<std::string, const OwnedEvent*> by_id;
  for (const auto& e : events) by_id[e.id] = &e;
  int64_t prev = INT64_MIN;
  for (size_t i = 1; i < rows.size(); ++i) {
    const auto& row = rows[i];
    ASSERT_EQ(row.size(), 17u);
    const OwnedEvent* e = by_id.at(row[3]);
    EXPECT_EQ(row[0], e->type == EventType::kError ? "error" : "vital");
    EXPECT_EQ(row[1], e->name);
    if (std::isnan(e->value)) {
      EXPECT_EQ(row[2], "");
    } else {
      EXPECT_DOUBLE_EQ(std::stod(row[2]), e->value);
    }
    EXPECT_EQ(row[4], e->session_id);
    EXPECT_EQ(row[5], e->url);
    EXPECT_EQ(std::stoll(row[6]), e->time_ms);
    EXPECT_EQ(row[7], e->user_agent);
    EXPECT_EQ(row[8], "4g");
    EXPECT_EQ(row[11], "shop");
    EXPECT_EQ(row[12], e->dims[kPage]);
    EXPECT_EQ(std::stoll(row[15]), e->received_ms);
    EXPECT_EQ(row[16], e->attrs_json);
    // Time order within a partition (one hour each here).
    const int64_t t = std::stoll(row[6]);
    if (t / kHour == prev / kHour) {
      EXPECT_GE(t, prev);
    }
    prev = t;
  }

  ExportQuery errors;
  errors.type = EventType::kError;
  EXPECT_EQ(ReadCsv(export_csv(errors)).size(), 500u + 1);
  ExportQuery none;
  none.to_ms = 1000;
  EXPECT_EQ(export_csv(none), EventCsvHeader());  // the header even when nothing matched
}

}  // namespace
}  // namespace perfwatch::events
