// EventStore::ScanRecords: every live event matching the type, time range and dimension
// filters, decoded from the logs across partitions and after a reopen; replaced events
// appear once, with their latest fields.
#include <gtest/gtest.h>

#include <map>

#include "events/event_store.h"
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

std::map<std::string, std::string> Scan(const EventStore& store, const RecordScan& scan) {
  std::map<std::string, std::string> out;  // id -> "page value attrs"
  Status st = store.ScanRecords(scan, [&](const EventRecord& r) {
    std::string v = std::string(r.dims[kPage]) + " " + std::to_string(r.value) + " " + std::string(r.attrs_json);
    EXPECT_TRUE(out.emplace(std::string(r.id), v).second) << "twice: " << r.id;
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out;
}

TEST(EventStoreRecordsTest, FiltersAndReplacedEvents) {
  TempDir dir;
  std::vector<OwnedEvent> events = {
      Vitals(Vital::kLCP, kT0 + 10, 1200, "/a", "s", "1"),
      Vitals(Vital::kCLS, kT0 + 20, 0.1, "/a", "s", "2"),
      Vitals(Vital::kCLS, kT0 + 30, 0.3, "/a", "s", "2"),     // replaces id 2
      Vitals(Vital::kINP, kT0 + kHour + 5, 80, "/b", "s", "3"),  // next (hourly) partition
  };
  events[2].attrs_json = R"({"pageViewId":"pv"})";
  OwnedEvent err = Vitals(Vital::kNone, kT0 + 40, 1, "/a", "s", "4");
  err.type = EventType::kError;
  events.push_back(err);
  OwnedEvent blog = Vitals(Vital::kLCP, kT0 + 50, 900, "/a", "s", "5");
  blog.dims[kApp] = "blog";
  events.push_back(blog);
  {
    auto store = std::move(EventStore::Open(dir.path(), TestConfig(), nullptr)).value();
    auto views = Views(events);
    ASSERT_TRUE(store->Append(views).ok());
    RecordScan all;
    EXPECT_EQ(Scan(*store, all).size(), 5u);
  }
  auto store = std::move(EventStore::Open(dir.path(), TestConfig(), nullptr)).value();  // from the logs
  RecordScan scan;
  scan.type = EventType::kVital;
  scan.filters[kApp] = "shop";
  auto got = Scan(*store, scan);
  EXPECT_EQ(got, (std::map<std::string, std::string>{{"1", "/a 1200.000000 {\"delta\":1.5,\"deviceMemory\":8}"},
                                                     {"2", "/a 0.300000 {\"pageViewId\":\"pv\"}"},
                                                     {"3", "/b 80.000000 {\"delta\":1.5,\"deviceMemory\":8}"}}));
  scan.to_ms = kT0 + kHour - 1;  // first partition only
  EXPECT_EQ(Scan(*store, scan).size(), 2u);
  scan.filters[kPage] = "/nowhere";
  EXPECT_TRUE(Scan(*store, scan).empty());
  scan.filters[kPage] = "";  // "" matches an absent dimension: none here
  EXPECT_TRUE(Scan(*store, scan).empty());
  RecordScan errors;
  errors.type = EventType::kError;
  EXPECT_EQ(Scan(*store, errors).count("4"), 1u);
  RecordScan lcp;  // by vital name, from the row's kind byte
  lcp.type = EventType::kVital;
  lcp.vital = Vital::kLCP;
  got = Scan(*store, lcp);
  EXPECT_EQ(got.size(), 2u);
  EXPECT_EQ(got.count("1"), 1u);
  EXPECT_EQ(got.count("5"), 1u);
}

}  // namespace
}  // namespace perfwatch::events
