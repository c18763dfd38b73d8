#include "events/event_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "test_events.h"

namespace perfwatch::events {
namespace {

using testing::OwnedEvent;
using testing::TempDir;
using testing::Views;
using testing::Vitals;

using testing::kHour;
using testing::kT0;
using testing::TestConfig;

std::unique_ptr<EventStore> OpenStore(const std::filesystem::path& dir, EventsConfig config = TestConfig(),
                                      MetricsRegistry* metrics = nullptr) {
  auto store = EventStore::Open(dir, config, metrics);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

using GroupMap = std::map<std::array<std::string, kDimCount>, std::vector<double>>;

GroupMap Scan(const EventStore& store, const VitalScan& scan) {
  GroupMap out;
  Status s = store.ScanVitals(scan, [&](const std::array<std::string_view, kDimCount>& key,
                                        std::span<const double> values) {
    std::array<std::string, kDimCount> k;
    for (int d = 0; d < kDimCount; ++d) k[d] = std::string(key[d]);
    auto& v = out[k];
    v.insert(v.end(), values.begin(), values.end());
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  for (auto& [k, v] : out) std::sort(v.begin(), v.end());
  return out;
}

GroupMap BruteForce(const std::vector<OwnedEvent>& events, const VitalScan& scan) {
  GroupMap out;
  for (const auto& e : events) {
    if (e.type != EventType::kVital || e.vital != scan.vital || e.time_ms < scan.from_ms || e.time_ms > scan.to_ms) {
      continue;
    }
    bool match = true;
    std::array<std::string, kDimCount> key;
    for (int d = 0; d < kDimCount; ++d) {
      if (scan.filters[d] && *scan.filters[d] != e.dims[d]) match = false;
      if (scan.group_by[d]) key[d] = e.dims[d];
    }
    if (match) out[key].push_back(e.value);
  }
  for (auto& [k, v] : out) std::sort(v.begin(), v.end());
  return out;
}

std::vector<std::string> ExportLines(const EventStore& store, ExportQuery q = {}) {
  std::string all;
  Status s = store.Export(q, [&](std::string_view chunk) {
    all.append(chunk);
    return true;
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < all.size()) {
    size_t nl = all.find('\n', pos);
    lines.push_back(all.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return lines;
}

std::vector<OwnedEvent> RandomEvents(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  const char* pages[] = {"/", "/p/:id", "/cart", "/search", "/a/b"};
  const char* devices[] = {"mobile", "desktop", "tablet"};
  const char* conns[] = {"4g", "3g", "unknown"};
  const char* browsers[] = {"Chrome", "Safari", "Firefox"};
  std::vector<OwnedEvent> out;
  for (int i = 0; i < n; ++i) {
    Vital v = static_cast<Vital>(1 + rng() % 5);
    OwnedEvent e = Vitals(v, kT0 + static_cast<int64_t>(rng() % (3 * kHour)), (rng() % 100000) / 10.0,
                          pages[rng() % 5], "s" + std::to_string(rng() % 300), "v" + std::to_string(i));
    if (rng() % 10 == 0) {
      e.type = EventType::kNavigation;
      e.vital = Vital::kNone;
      e.name = "";
    }
    e.dims[kApp] = rng() % 2 ? "shop" : "blog";
    e.dims[kDevice] = devices[rng() % 3];
    e.dims[kConnection] = conns[rng() % 3];
    e.dims[kBrowser] = browsers[rng() % 3];
    if (rng() % 20 == 0) e.dims[kBrowser] = "";
    out.push_back(std::move(e));
  }
  return out;
}

void ExpectScansMatch(const EventStore& store, const std::vector<OwnedEvent>& events, uint32_t seed) {
  std::mt19937 rng(seed);
  for (int q = 0; q < 60; ++q) {
    VitalScan scan;
    scan.vital = static_cast<Vital>(1 + rng() % 5);
    scan.from_ms = kT0 + static_cast<int64_t>(rng() % (2 * kHour));
    scan.to_ms = scan.from_ms + static_cast<int64_t>(rng() % (2 * kHour));
    for (int d = 0; d < kDimCount; ++d) {
      scan.group_by[d] = rng() % 2;
      if (rng() % 4 == 0) scan.filters[d] = events[rng() % events.size()].dims[d];
    }
    ASSERT_EQ(Scan(store, scan), BruteForce(events, scan)) << "query " << q;
  }
}

TEST(EventStoreTest, ScanGroupsAndFiltersLikeBruteForceAndSurvivesRestart) {
  TempDir dir;
  auto events = RandomEvents(6000, 1);
  {
    auto store = OpenStore(dir.path());
    auto views = Views(events);
    for (size_t i = 0; i < views.size(); i += 7) {
      size_t n = std::min<size_t>(7, views.size() - i);
      ASSERT_TRUE(store->Append(std::span(views).subspan(i, n)).ok());
    }
    EXPECT_EQ(store->Stats().events, events.size());
    EXPECT_EQ(store->Stats().partitions, 3u);
    ExpectScansMatch(*store, events, 2);
  }
  auto store = OpenStore(dir.path());
  EXPECT_EQ(store->Stats().events, events.size());
  ExpectScansMatch(*store, events, 3);
  EXPECT_EQ(ExportLines(*store).size(), events.size());
}

TEST(EventStoreTest, TimeBoundsAreInclusive) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  std::vector<OwnedEvent> events = {Vitals(Vital::kLCP, kT0 + 999, 1, "/"), Vitals(Vital::kLCP, kT0 + 1000, 2, "/"),
                                    Vitals(Vital::kLCP, kT0 + 2000, 3, "/"), Vitals(Vital::kLCP, kT0 + 2001, 4, "/"),
                                    Vitals(Vital::kLCP, kT0 + kHour, 5, "/")};
  ASSERT_TRUE(store->Append(Views(events)).ok());
  VitalScan scan;
  scan.from_ms = kT0 + 1000;
  scan.to_ms = kT0 + 2000;
  GroupMap want;
  want[{}] = {2, 3};
  EXPECT_EQ(Scan(*store, scan), want);
  scan.from_ms = kT0 + kHour - 1;  // partition boundary
  scan.to_ms = kT0 + kHour;
  want[{}] = {5};
  EXPECT_EQ(Scan(*store, scan), want);
  ExportQuery q;
  q.from_ms = kT0 + 1000;
  q.to_ms = kT0 + 2000;
  EXPECT_EQ(ExportLines(*store, q).size(), 2u);
}

TEST(EventStoreTest, ReplaceOnRepeatKeepsTheLastValue) {
  TempDir dir;
  MetricsRegistry metrics;
  {
    auto store = OpenStore(dir.path(), TestConfig(), &metrics);
    std::vector<OwnedEvent> first = {Vitals(Vital::kCLS, kT0 + 10, 0.1, "/", "s1", "v1"),
                                     Vitals(Vital::kCLS, kT0 + 20, 0.5, "/", "s1", ""),   // no id
                                     Vitals(Vital::kCLS, kT0 + 30, 0.6, "/", "", "v1"),   // no session
                                     Vitals(Vital::kCLS, kT0 + 40, 0.7, "/", "s2", "v1")};
    ASSERT_TRUE(store->Append(Views(first)).ok());
    // Same batch repeat, then a later repeat of the same pair.
    std::vector<OwnedEvent> second = {Vitals(Vital::kCLS, kT0 + 50, 0.2, "/", "s1", "v1"),
                                      Vitals(Vital::kCLS, kT0 + 60, 0.3, "/", "s1", "v1"),
                                      Vitals(Vital::kCLS, kT0 + 70, 0.8, "/", "s1", ""),
                                      Vitals(Vital::kCLS, kT0 + 80, 0.9, "/", "", "v1")};
    ASSERT_TRUE(store->Append(Views(second)).ok());
    EXPECT_EQ(store->Stats().events, 6u);
    EXPECT_EQ(store->Stats().replaced, 2u);
    VitalScan scan;
    scan.vital = Vital::kCLS;
    scan.from_ms = kT0;
    scan.to_ms = kT0 + kHour;
    GroupMap want;
    want[{}] = {0.3, 0.5, 0.6, 0.7, 0.8, 0.9};
    EXPECT_EQ(Scan(*store, scan), want);
    EXPECT_EQ(metrics.GetCounter("perfwatch_events_replaced_total", "")->Value(), 2u);
  }
  {
    auto store = OpenStore(dir.path());
    EXPECT_EQ(store->Stats().events, 6u);
    // A repeat after the restart, landing in another partition (an hour later).
    std::vector<OwnedEvent> later = {Vitals(Vital::kCLS, kT0 + 2 * kHour, 0.4, "/", "s1", "v1")};
    ASSERT_TRUE(store->Append(Views(later)).ok());
    EXPECT_EQ(store->Stats().events, 6u);
    VitalScan scan;
    scan.vital = Vital::kCLS;
    scan.from_ms = kT0;
    scan.to_ms = kT0 + 3 * kHour;
    GroupMap want;
    want[{}] = {0.4, 0.5, 0.6, 0.7, 0.8, 0.9};
    EXPECT_EQ(Scan(*store, scan), want);
    // An older report arriving later (out-of-order beacons) is a repeat but does not
    // replace the newer one, in another partition or in the same one.
    std::vector<OwnedEvent> back = {Vitals(Vital::kCLS, kT0 + 5, 0.45, "/", "s1", "v1"),
                                    Vitals(Vital::kCLS, kT0 + 2 * kHour - 1, 0.46, "/", "s1", "v1")};
    ASSERT_TRUE(store->Append(Views(back)).ok());
    EXPECT_EQ(store->Stats().events, 6u);
    EXPECT_EQ(Scan(*store, scan), want);
    // The same time goes to the later arrival.
    std::vector<OwnedEvent> same = {Vitals(Vital::kCLS, kT0 + 2 * kHour, 0.41, "/", "s1", "v1")};
    ASSERT_TRUE(store->Append(Views(same)).ok());
    want[{}] = {0.41, 0.5, 0.6, 0.7, 0.8, 0.9};
    EXPECT_EQ(Scan(*store, scan), want);
    EXPECT_EQ(ExportLines(*store).size(), 6u);
  }
  auto store = OpenStore(dir.path());  // replay follows arrival order across partitions
  VitalScan scan;
  scan.vital = Vital::kCLS;
  scan.from_ms = kT0;
  scan.to_ms = kT0 + 3 * kHour;
  GroupMap want;
  want[{}] = {0.41, 0.5, 0.6, 0.7, 0.8, 0.9};
  EXPECT_EQ(Scan(*store, scan), want);
  EXPECT_EQ(ExportLines(*store).size(), 6u);
}

TEST(EventStoreTest, ManyRepeatsAcrossRestartAreCountedOnce) {
  TempDir dir;
  // The kept report of each pair: the latest time, ties to the later arrival.
  std::map<std::pair<std::string, std::string>, std::pair<int64_t, double>> last;
  std::mt19937 rng(5);
  {
    auto store = OpenStore(dir.path());
    for (int i = 0; i < 5000; ++i) {
      std::string s = "s" + std::to_string(rng() % 100), id = "v" + std::to_string(rng() % 20);
      double v = i;
      const int64_t t = kT0 + static_cast<int64_t>(rng() % (3 * kHour));
      auto e = Vitals(Vital::kINP, t, v, "/", s, id);
      ASSERT_TRUE(store->Append(Views({e})).ok());
      auto [it, fresh] = last.try_emplace({s, id}, t, v);
      if (!fresh && t >= it->second.first) it->second = {t, v};
    }
    EXPECT_EQ(store->Stats().events, last.size());
  }
  auto store = OpenStore(dir.path());
  EXPECT_EQ(store->Stats().events, last.size());
  VitalScan scan;
  scan.vital = Vital::kINP;
  scan.from_ms = kT0;
  scan.to_ms = kT0 + 3 * kHour;
  std::vector<double> want;
  for (auto& [k, tv] : last) want.push_back(tv.second);
  std::sort(want.begin(), want.end());
  EXPECT_EQ(Scan(*store, scan)[{}], want);
}

std::filesystem::path OnlyLog(const std::filesystem::path& dir) {
  for (auto& e : std::filesystem::directory_iterator(dir)) return e.path() / "events.log";
  return {};
}

TEST(EventStoreTest, TornTailAtEveryOffsetKeepsEarlierRecords) {
  TempDir dir;
  auto events = RandomEvents(30, 9);
  for (auto& e : events) e.time_ms = kT0 + 1;
  uint64_t before_last;
  {
    auto store = OpenStore(dir.path());
    auto views = Views(events);
    ASSERT_TRUE(store->Append(std::span(views).first(29)).ok());
    before_last = store->Stats().disk_bytes;
    ASSERT_TRUE(store->Append(std::span(views).last(1)).ok());
  }
  auto log = OnlyLog(dir.path());
  uint64_t full = std::filesystem::file_size(log);
  std::string bytes;
  {
    std::ifstream in(log, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  MetricsRegistry metrics;
  for (uint64_t cut = before_last; cut < full; ++cut) {
    {
      std::ofstream out(log, std::ios::binary | std::ios::trunc);
      out.write(bytes.data(), static_cast<std::streamsize>(cut));
    }
    auto store = OpenStore(dir.path(), TestConfig(), &metrics);
    ASSERT_TRUE(store) << cut;
    ASSERT_EQ(store->Stats().events, 29u) << cut;
    EXPECT_EQ(std::filesystem::file_size(log), before_last);
    EXPECT_EQ(ExportLines(*store).size(), 29u);
    // The store keeps working after the truncation.
    ASSERT_TRUE(store->Append(Views({events.back()})).ok());
    EXPECT_EQ(store->Stats().events, 30u);
  }
  EXPECT_EQ(metrics.GetCounter("perfwatch_events_replay_truncations_total", "")->Value(), full - before_last - 1);
}

TEST(EventStoreTest, CorruptionInTheMiddleTruncatesThereAndKeepsACopy) {
  TempDir dir;
  auto events = RandomEvents(20, 11);
  for (auto& e : events) e.time_ms = kT0 + 1;
  uint64_t cut;
  {
    auto store = OpenStore(dir.path());
    auto views = Views(events);
    ASSERT_TRUE(store->Append(std::span(views).first(10)).ok());
    cut = store->Stats().disk_bytes;
    for (size_t i = 10; i < views.size(); ++i) ASSERT_TRUE(store->Append(std::span(views).subspan(i, 1)).ok());
  }
  auto log = OnlyLog(dir.path());
  {
    std::fstream f(log, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(cut + 8));
    char c;
    f.seekg(static_cast<std::streamoff>(cut + 8));
    f.get(c);
    f.seekp(static_cast<std::streamoff>(cut + 8));
    f.put(static_cast<char>(c ^ 0x5a));
  }
  uint64_t full = std::filesystem::file_size(log);
  MetricsRegistry metrics;
  auto store = OpenStore(dir.path(), TestConfig(), &metrics);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->Stats().events, 10u);
  EXPECT_EQ(std::filesystem::file_size(log), cut);
  auto copy = log;
  copy += ".corrupt-" + std::to_string(cut);
  ASSERT_TRUE(std::filesystem::exists(copy));
  EXPECT_EQ(std::filesystem::file_size(copy), full - cut);
  EXPECT_EQ(metrics.GetCounter("perfwatch_events_replay_truncations_total", "")->Value(), 1u);
  ASSERT_TRUE(store->Append(Views({events.back()})).ok());
  EXPECT_EQ(store->Stats().events, 11u);
}

TEST(EventStoreTest, RetentionDropsWholePartitions) {
  TempDir dir;
  EventsConfig config = TestConfig();
  config.retention_ms = 2 * kHour;
  auto store = OpenStore(dir.path(), config);
  std::vector<OwnedEvent> events;
  for (int h = 0; h < 5; ++h) events.push_back(Vitals(Vital::kLCP, kT0 + h * kHour + 10, h, "/", "s", std::to_string(h)));
  ASSERT_TRUE(store->Append(Views(events)).ok());
  EXPECT_EQ(store->Stats().partitions, 5u);
  // now = start of hour 5: partitions ending at or before hour 3 are dropped (hours 0-2).
  ASSERT_TRUE(store->EnforceRetention(kT0 + 5 * kHour).ok());
  EXPECT_EQ(store->Stats().partitions, 2u);
  EXPECT_EQ(store->Stats().events, 2u);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / ("part-" + std::to_string(kT0))));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / ("part-" + std::to_string(kT0 + 4 * kHour))));
  VitalScan scan;
  scan.from_ms = kT0;
  scan.to_ms = kT0 + 5 * kHour;
  GroupMap want;
  want[{}] = {3, 4};
  EXPECT_EQ(Scan(*store, scan), want);
  // A pair whose first report was dropped is stored anew.
  ASSERT_TRUE(store->Append(Views({Vitals(Vital::kLCP, kT0 + 4 * kHour + 20, 9, "/", "s", "0")})).ok());
  EXPECT_EQ(store->Stats().events, 3u);
  store.reset();
  store = OpenStore(dir.path(), config);
  EXPECT_EQ(store->Stats().partitions, 2u);
  EXPECT_EQ(store->Stats().events, 3u);
}

TEST(EventStoreTest, BackgroundThreadFsyncsAndImmediateModeSyncsInAppend) {
  TempDir dir;
  MetricsRegistry metrics;
  EventsConfig config = TestConfig();
  config.fsync_interval_ms = 5;
  {
    auto store = OpenStore(dir.path(), config, &metrics);
    ASSERT_TRUE(store->Start().ok());
    ASSERT_TRUE(store->Append(Views({Vitals(Vital::kLCP, kT0, 1, "/")})).ok());
    auto* fsyncs = metrics.GetCounter("perfwatch_events_log_fsyncs_total", "");
    for (int i = 0; i < 400 && fsyncs->Value() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_GE(fsyncs->Value(), 1u);
    store->Stop();
    store->Stop();  // idempotent
  }
  TempDir dir2;
  MetricsRegistry metrics2;
  config.fsync_interval_ms = 0;
  auto store = OpenStore(dir2.path(), config, &metrics2);
  ASSERT_TRUE(store->Append(Views({Vitals(Vital::kLCP, kT0, 1, "/")})).ok());
  EXPECT_EQ(metrics2.GetCounter("perfwatch_events_log_fsyncs_total", "")->Value(), 1u);
  EXPECT_EQ(metrics2.GetGauge("perfwatch_events_stored", "")->Value(), 1.0);
  EXPECT_EQ(metrics2.GetCounter("perfwatch_events_appended_total", "")->Value(), 1u);
}

TEST(EventStoreTest, ConcurrentAppendsAndScans) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  constexpr int kWriters = 3, kPerWriter = 3000;
  std::atomic<bool> done{false};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kPerWriter; ++i) {
        auto e = Vitals(Vital::kLCP, kT0 + (i * 997) % (2 * kHour), i, i % 2 ? "/a" : "/b",
                        "w" + std::to_string(w), std::to_string(i));
        ASSERT_TRUE(store->Append(Views({e})).ok());
      }
    });
  }
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      size_t last = 0;
      while (!done) {
        VitalScan scan;
        scan.from_ms = kT0;
        scan.to_ms = kT0 + 2 * kHour;
        scan.group_by[kPage] = true;
        size_t n = 0;
        for (auto& [k, v] : Scan(*store, scan)) n += v.size();
        EXPECT_GE(n, last);  // counts never go backwards
        last = n;
        size_t lines = 0;
        ASSERT_TRUE(store->Export({}, [&](std::string_view c) {
          lines += std::count(c.begin(), c.end(), '\n');
          return true;
        }).ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(store->Stats().events, uint64_t{kWriters * kPerWriter});
  VitalScan scan;
  scan.from_ms = kT0;
  scan.to_ms = kT0 + 2 * kHour;
  EXPECT_EQ(Scan(*store, scan)[{}].size(), size_t{kWriters * kPerWriter});
}

TEST(EventStoreTest, RejectsBadConfig) {
  TempDir dir;
  EventsConfig c = TestConfig();
  c.partition_ms = 0;
  EXPECT_FALSE(EventStore::Open(dir.path(), c, nullptr).ok());
}

}  // namespace
}  // namespace perfwatch::events
