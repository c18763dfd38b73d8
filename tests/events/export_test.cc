#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>

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

std::string ExportAll(const EventStore& store, ExportQuery q = {}) {
  std::string all;
  size_t chunks = 0;
  EXPECT_TRUE(store.Export(q, [&](std::string_view c) {
    EXPECT_LE(c.size(), 80u << 10);
    all.append(c);
    ++chunks;
    return true;
  }).ok());
  return all;
}

std::string Str(simdjson::dom::element obj, const char* key) {
  auto v = obj[key];
  if (v.error()) return "";
  return std::string(v.get_string().value());
}

TEST(ExportTest, LinesParseAndMatchWhatWasAppended) {
  TempDir dir;
  EventsConfig config;
  config.partition_ms = kHour;
  config.retention_ms = INT64_MAX / 2;
  auto store = std::move(EventStore::Open(dir.path(), config, nullptr)).value();
  std::vector<OwnedEvent> events;
  for (int i = 0; i < 3000; ++i) {
    // Times go backwards so export has to sort; two partitions.
    auto e = Vitals(Vital::kLCP, kT0 + 2 * kHour - 1 - i * 1000, 1000.25 + i, i % 2 ? "/p/:id" : "/",
                    "sess-" + std::to_string(i % 50), "v4-" + std::to_string(i));
    e.url = "https://shop.example/p/" + std::to_string(i) + "?q=\"quoted\"\\back";
    e.attrs_json = "{\"delta\":" + std::to_string(i) + ",\"deviceMemory\":8}";
    if (i % 3 == 0) {
      e.type = EventType::kError;
      e.vital = Vital::kNone;
      e.name = "TypeError: x is undefined\n\tat y";
      e.value = std::nan("");
    }
    events.push_back(std::move(e));
  }
  // A repeat of event 1's pair with a new value: exported once, with the final value.
  auto repeat = events[1];
  repeat.value = 4242.5;
  ASSERT_TRUE(store->Append(Views(events)).ok());
  ASSERT_TRUE(store->Append(Views({repeat})).ok());
  events[1] = repeat;

  std::map<std::string, const OwnedEvent*> by_id;
  for (const auto& e : events) by_id[e.id] = &e;
  std::string all = ExportAll(*store);
  simdjson::dom::parser parser;
  size_t n = 0;
  int64_t prev_time = INT64_MIN;
  int64_t prev_partition = INT64_MIN;
  size_t pos = 0;
  while (pos < all.size()) {
    size_t nl = all.find('\n', pos);
    ASSERT_NE(nl, std::string::npos);
    std::string line = all.substr(pos, nl - pos);
    pos = nl + 1;
    auto doc = parser.parse(line);
    ASSERT_FALSE(doc.error()) << line;
    simdjson::dom::element obj = doc.value();
    const OwnedEvent& e = *by_id.at(Str(obj, "id"));
    EXPECT_EQ(Str(obj, "type"), std::string(EventTypeName(e.type)));
    EXPECT_EQ(Str(obj, "name"), e.name);
    EXPECT_EQ(Str(obj, "sessionId"), e.session_id);
    EXPECT_EQ(Str(obj, "url"), e.url);
    EXPECT_EQ(Str(obj, "userAgent"), e.user_agent);
    EXPECT_EQ(Str(obj, "connection"), e.dims[kConnection]);
    EXPECT_EQ(Str(obj, "navigationType"), e.navigation_type);
    EXPECT_EQ(Str(obj, "rating"), e.rating);
    EXPECT_EQ(Str(obj, "app"), e.dims[kApp]);
    EXPECT_EQ(Str(obj, "page"), e.dims[kPage]);
    EXPECT_EQ(Str(obj, "device"), e.dims[kDevice]);
    EXPECT_EQ(Str(obj, "browser"), e.dims[kBrowser]);
    int64_t t = obj["timestamp"].get_int64().value();
    EXPECT_EQ(t, e.time_ms);
    EXPECT_EQ(obj["received"].get_int64().value(), e.received_ms);
    if (std::isnan(e.value)) {
      EXPECT_TRUE(obj["value"].error());
    } else {
      EXPECT_EQ(obj["value"].get_double().value(), e.value);
    }
    EXPECT_EQ(obj["deviceMemory"].get_int64().value(), 8);
    EXPECT_EQ(obj["delta"].get_int64().value(), std::stoi(e.id.substr(3)));
    int64_t partition = (t - kT0) / kHour;
    if (partition == prev_partition) {
      EXPECT_GE(t, prev_time);  // time order per partition
    }
    prev_partition = partition;
    prev_time = t;
    ++n;
  }
  EXPECT_EQ(n, events.size());

  // One type only, and a time window.
  ExportQuery q;
  q.type = EventType::kError;
  q.from_ms = kT0;
  q.to_ms = kT0 + kHour - 1;
  std::string errors = ExportAll(*store, q);
  size_t want = 0;
  for (const auto& e : events) want += e.type == EventType::kError && e.time_ms <= kT0 + kHour - 1 && e.time_ms >= kT0;
  EXPECT_EQ(static_cast<size_t>(std::count(errors.begin(), errors.end(), '\n')), want);

  // The sink can stop the export.
  size_t calls = 0;
  ASSERT_TRUE(store->Export({}, [&](std::string_view) { return ++calls < 1; }).ok());
  EXPECT_EQ(calls, 1u);
}

}  // namespace
}  // namespace perfwatch::events
