// Event store benchmarks: append cost, memory and disk per event, the p75-by-page scan and
// JSON export over 1,000,000 stored beacons. Figures and commands: docs/events.md.
//
//   build-events/bench/event_store_benchmark --benchmark_counters_tabular=true
//
// Run the Load benchmark first in a fresh process: it measures the RSS growth of loading
// 1M events (the other 1M-event benchmarks reuse its store).
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>

#include "common/metrics.h"
#include "analysis/vitals_series.h"
#include "event_beacons.h"
#include "events/event_store.h"

namespace perfwatch::events {
namespace {

constexpr int64_t kDay = 24LL * 3600 * 1000;
constexpr int64_t kStart = 1700006400000;  // a UTC midnight
constexpr size_t kMillion = 1000000;

std::filesystem::path MakeTempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "pw-events-bench-XXXXXX").string();
  return ::mkdtemp(tmpl.data());
}

EventsConfig BenchConfig() {
  EventsConfig c;
  c.retention_ms = 3650 * kDay;  // the fixed 2023 timestamps must not expire
  return c;
}

// The 1M-event store shared by the scan and export benchmarks (built by BM_Load1M or
// on first use).
struct Shared {
  std::filesystem::path dir;
  std::unique_ptr<EventStore> store;
  ~Shared() {
    store.reset();
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
  }
};
Shared& shared() {
  static Shared s;
  return s;
}

void Load(EventStore& store, size_t n) {
  bench::BeaconGenerator gen(kStart, 7 * kDay);  // 7 daily partitions
  std::vector<EventInput> batch;
  for (size_t done = 0; done < n; done += 20) {
    gen.Next(20, batch);
    if (!store.Append(batch).ok()) std::abort();
  }
}

EventStore& SharedStore() {
  Shared& s = shared();
  if (!s.store) {
    s.dir = MakeTempDir();
    s.store = std::move(EventStore::Open(s.dir, BenchConfig(), nullptr)).value();
    Load(*s.store, kMillion);
  }
  return *s.store;
}

void BM_Load1M(benchmark::State& state) {
  for (auto _ : state) {
    Shared& s = shared();
    s.store.reset();
    if (!s.dir.empty()) std::filesystem::remove_all(s.dir);
    s.dir = MakeTempDir();
    bench::BeaconGenerator warm(kStart, kDay);  // allocate the generator's arena first
    std::vector<EventInput> batch;
    warm.Next(20, batch);
    malloc_trim(0);
    uint64_t rss_before = ProcessRssBytes();
    s.store = std::move(EventStore::Open(s.dir, BenchConfig(), nullptr)).value();
    Load(*s.store, kMillion);
    malloc_trim(0);
    uint64_t rss_after = ProcessRssBytes();
    auto stats = s.store->Stats();
    state.counters["events"] = static_cast<double>(stats.events);
    state.counters["rss_bytes_per_event"] = static_cast<double>(rss_after - rss_before) / stats.events;
    state.counters["disk_bytes_per_event"] = static_cast<double>(stats.disk_bytes) / stats.events;
    state.counters["process_rss_MB"] = rss_after / 1e6;
    state.counters["heap_bytes_per_event"] = static_cast<double>(stats.memory_bytes) / stats.events;
    state.counters["ns_per_event"] = benchmark::Counter(
        static_cast<double>(kMillion), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  }
}
BENCHMARK(BM_Load1M)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

// Reopening replays the logs: time and memory of a restart with 1M events.
void BM_Replay1M(benchmark::State& state) {
  SharedStore();
  Shared& s = shared();
  for (auto _ : state) {
    s.store.reset();
    malloc_trim(0);
    uint64_t rss_before = ProcessRssBytes();
    s.store = std::move(EventStore::Open(s.dir, BenchConfig(), nullptr)).value();
    malloc_trim(0);
    uint64_t rss_after = ProcessRssBytes();
    state.counters["rss_bytes_per_event"] =
        static_cast<double>(rss_after - rss_before) / static_cast<double>(s.store->Stats().events);
    state.counters["process_rss_MB"] = rss_after / 1e6;
  }
}
BENCHMARK(BM_Replay1M)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

// p75 of LCP by page over all 1M events, percentiles (nth_element) included.
void BM_ScanP75ByPage(benchmark::State& state) {
  EventStore& store = SharedStore();
  VitalScan scan;
  scan.vital = Vital::kLCP;
  scan.from_ms = kStart;
  scan.to_ms = kStart + 7 * kDay;
  scan.group_by[kPage] = true;
  size_t matched = 0;
  for (auto _ : state) {
    std::map<std::string, std::vector<double>, std::less<>> groups;
    Status st = store.ScanVitals(scan, [&](const std::array<std::string_view, kDimCount>& key,
                                           std::span<const double> values) {
      auto it = groups.find(key[kPage]);
      if (it == groups.end()) it = groups.emplace(std::string(key[kPage]), std::vector<double>()).first;
      it->second.insert(it->second.end(), values.begin(), values.end());
    });
    if (!st.ok()) std::abort();
    matched = 0;
    double sum = 0;
    for (auto& [page, v] : groups) {
      size_t k = (v.size() * 75) / 100;
      std::nth_element(v.begin(), v.begin() + k, v.end());
      sum += v[k];
      matched += v.size();
    }
    benchmark::DoNotOptimize(sum);
  }
  state.counters["matched"] = static_cast<double>(matched);
  state.counters["stored"] = static_cast<double>(store.Stats().events);
}
BENCHMARK(BM_ScanP75ByPage)->Unit(benchmark::kMillisecond)->UseRealTime();

// The same scan filtered to one device and grouped by page and connection.
void BM_ScanFiltered(benchmark::State& state) {
  EventStore& store = SharedStore();
  VitalScan scan;
  scan.vital = Vital::kINP;
  scan.from_ms = kStart;
  scan.to_ms = kStart + 7 * kDay;
  scan.filters[kDevice] = "mobile";
  scan.group_by[kPage] = scan.group_by[kConnection] = true;
  for (auto _ : state) {
    size_t n = 0;
    Status st = store.ScanVitals(scan, [&](const auto&, std::span<const double> v) { n += v.size(); });
    benchmark::DoNotOptimize(n);
  }
}
BENCHMARK(BM_ScanFiltered)->Unit(benchmark::kMillisecond)->UseRealTime();

// The dashboard's trend and distribution APIs over all 1M events (issue 13's target: under
// 100 ms): exact p75 of LCP per hour over the 7 days (Arg 0: one series; Arg 1: by page),
// and the LCP histogram in 40 buckets.
void BM_VitalsSeries(benchmark::State& state) {
  EventStore& store = SharedStore();
  analysis::VitalsRequest r;
  r.scan.vital = Vital::kLCP;
  r.scan.from_ms = kStart;
  r.scan.to_ms = kStart + 7 * kDay;
  r.scan.group_by[kPage] = state.range(0) == 1;
  size_t points = 0;
  for (auto _ : state) {
    auto series = analysis::ComputeVitalSeries(store, r, 3600'000);
    if (!series.ok()) std::abort();
    points = 0;
    for (const auto& s : *series) points += s.values.size();
    benchmark::DoNotOptimize(points);
  }
  state.counters["points"] = static_cast<double>(points);
}
BENCHMARK(BM_VitalsSeries)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_VitalsHistogram(benchmark::State& state) {
  EventStore& store = SharedStore();
  analysis::VitalsRequest r;
  r.scan.vital = Vital::kLCP;
  r.scan.from_ms = kStart;
  r.scan.to_ms = kStart + 7 * kDay;
  for (auto _ : state) {
    auto h = analysis::ComputeVitalHistogram(store, r, 40, {});
    if (!h.ok()) std::abort();
    benchmark::DoNotOptimize(h->count);
  }
}
BENCHMARK(BM_VitalsHistogram)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_ExportNullSink(benchmark::State& state) {
  EventStore& store = SharedStore();
  size_t bytes = 0;
  for (auto _ : state) {
    bytes = 0;
    Status st = store.Export({}, [&](std::string_view chunk) {
      bytes += chunk.size();
      return true;
    });
    if (!st.ok()) std::abort();
  }
  state.counters["json_MB"] = bytes / 1e6;
  state.counters["events"] = static_cast<double>(store.Stats().events);
}
BENCHMARK(BM_ExportNullSink)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

void BM_ExportToFile(benchmark::State& state) {
  EventStore& store = SharedStore();
  auto path = shared().dir / "export.jsonl";
  for (auto _ : state) {
    std::FILE* f = std::fopen(path.c_str(), "w");
    Status st = store.Export({}, [&](std::string_view chunk) {
      return std::fwrite(chunk.data(), 1, chunk.size(), f) == chunk.size();
    });
    std::fclose(f);
    if (!st.ok()) std::abort();
  }
  std::filesystem::remove(path);
}
BENCHMARK(BM_ExportToFile)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

// Durable append (write(2) per call; the 100 ms fsync is off the request path).
void BM_Append(benchmark::State& state) {
  const size_t batch_size = static_cast<size_t>(state.range(0));
  constexpr size_t kPool = 200000;
  bench::BeaconGenerator gen(kStart, kDay, 64 << 20);
  std::vector<EventInput> pool;
  gen.Next(kPool, pool);
  auto dir = MakeTempDir();
  {
    auto store = std::move(EventStore::Open(dir, BenchConfig(), nullptr)).value();
    size_t at = 0;
    for (auto _ : state) {
      if (at + batch_size > pool.size()) at = 0;  // wrapping makes later appends repeats
      if (!store->Append(std::span(pool).subspan(at, batch_size)).ok()) std::abort();
      at += batch_size;
    }
    state.counters["ns_per_event"] = benchmark::Counter(
        static_cast<double>(batch_size), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_Append)->Arg(1)->Iterations(200000)->UseRealTime();
BENCHMARK(BM_Append)->Arg(20)->Iterations(10000)->UseRealTime();

}  // namespace
}  // namespace perfwatch::events
