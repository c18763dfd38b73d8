// Cost of one rum_vital_percentile evaluation (analysis/vital_recorder.h): exact p50/p75/p95
// and counts of 5 Web Vitals for every page and app-wide, over a trailing hour holding
// 1,000,000 vital events on 200 pages (2 apps). Figures: docs/benchmarks.md, "Issue 12".
//
//   nice build-mem/bench/vital_recorder_benchmark --benchmark_counters_tabular=true
//
// BM_Compute: the scans and percentiles only. BM_RecordAt: plus the TSDB append of the
// ~4,000 series (and the bookkeeping for stale markers) at a new timestamp each iteration.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "analysis/vital_recorder.h"
#include "common/metrics.h"
#include "events/event_store.h"
#include "tsdb/tsdb.h"

namespace perfwatch::analysis {
namespace {

constexpr int64_t kDay = 24LL * 3600 * 1000;
constexpr int64_t kHour = 3600LL * 1000;
constexpr size_t kEvents = 1'000'000;
constexpr int kPages = 200;

std::filesystem::path MakeTempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "pw-vital-recorder-bench-XXXXXX").string();
  return ::mkdtemp(tmpl.data());
}

struct Shared {
  std::filesystem::path dir;
  std::unique_ptr<events::EventStore> store;
  std::unique_ptr<tsdb::Tsdb> db;
  int64_t now_ms = 0;
  Shared() {
    dir = MakeTempDir();
    EventsConfig c;
    c.retention_ms = 3650 * kDay;
    c.fsync_interval_ms = 1000;
    auto store_or = events::EventStore::Open(dir / "events", c, nullptr);
    if (!store_or.ok()) std::abort();
    store = std::move(store_or).value();
    tsdb::TsdbOptions o;
    o.dir = dir / "tsdb";
    o.maintenance_interval = std::chrono::milliseconds(0);
    auto db_or = tsdb::Tsdb::Open(o, nullptr);
    if (!db_or.ok()) std::abort();
    db = std::move(db_or).value();
    // Events over the hour before now (recent: the TSDB keeps samples relative to the clock).
    now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                 .count() / 1000 * 1000;
    std::vector<std::string> pages;
    for (int p = 0; p < kPages; ++p) pages.push_back("/section" + std::to_string(p % 20) + "/page" + std::to_string(p));
    std::mt19937_64 rng(12);
    std::lognormal_distribution<double> ms(7.6, 0.55);
    std::lognormal_distribution<double> cls(-2.6, 0.9);
    std::vector<events::EventInput> batch;
    for (size_t done = 0; done < kEvents;) {
      batch.clear();
      for (int i = 0; i < 1000 && done < kEvents; ++i, ++done) {
        events::EventInput e;
        e.type = events::EventType::kVital;
        e.vital = static_cast<events::Vital>(1 + rng() % 5);
        e.time_ms = now_ms - kHour + 1 + static_cast<int64_t>(rng() % kHour);
        e.received_ms = e.time_ms;
        e.value = e.vital == events::Vital::kCLS ? cls(rng) : ms(rng);
        const size_t page = rng() % kPages;
        e.dims[events::kApp] = page % 2 ? "shop" : "blog";
        e.dims[events::kPage] = pages[page];
        e.dims[events::kDevice] = rng() % 3 ? "desktop" : "mobile";
        e.dims[events::kConnection] = "4g";
        e.dims[events::kBrowser] = "Chrome";
        e.name = events::VitalName(e.vital);
        batch.push_back(e);
      }
      if (!store->Append(batch).ok()) std::abort();
    }
  }
  ~Shared() {
    store.reset();
    db.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

Shared& shared() {
  static Shared s;
  return s;
}

void BM_Compute(benchmark::State& state) {
  Shared& s = shared();
  size_t entries = 0;
  for (auto _ : state) {
    auto r = VitalRecorder::Compute(*s.store, s.now_ms, kHour);
    if (!r.ok()) state.SkipWithError(r.status().message().c_str());
    entries = r->size();
    benchmark::DoNotOptimize(r);
  }
  state.counters["events"] = static_cast<double>(kEvents);
  state.counters["groups"] = static_cast<double>(entries);
  state.counters["events_per_s"] = benchmark::Counter(static_cast<double>(kEvents), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Compute)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_RecordAt(benchmark::State& state) {
  Shared& s = shared();
  VitalRecorder rec({.interval_ms = 0, .window_ms = kHour}, s.store.get(), s.db.get(), nullptr);
  int64_t ts = s.now_ms;
  size_t samples = 0;
  for (auto _ : state) {
    auto r = rec.RecordAt(ts);  // events stay in the window: ts moves by 1 ms
    if (!r.ok()) state.SkipWithError(r.status().message().c_str());
    samples = *r;
    ++ts;
  }
  state.counters["samples_written"] = static_cast<double>(samples);
}
BENCHMARK(BM_RecordAt)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace perfwatch::analysis
