// The performance score (docs/score.md) at 1,000,000 vital events: GET /api/v1/score's
// work (ComputeScore: read the events back from the real event store's logs, group them
// into page views by pageViewId, score and average) and the scoring alone.
//
//   build/bench/score_benchmark --benchmark_counters_tabular=true
//
// Generator (fixed seed 15): 250,000 page views over 40 pages of one app, 70 % desktop,
// each reporting LCP, FCP, TTFB, CLS (always) and INP (4 in 5 views: 1,000,000 vitals in
// total when topped up with views of their own), values log-normal around each vital's
// typical level; 90 % of views carry a pageViewId, the rest's vitals are views of their own.
// Events span 6 hours of one day (one partition).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "analysis/score.h"
#include "analysis/score_api.h"
#include "events/event_store.h"

namespace perfwatch::analysis {
namespace {

constexpr int64_t kStart = 1700006400000;  // a UTC midnight
constexpr size_t kEvents = 1'000'000;

struct GenEvent {
  events::Vital vital;
  double value;
  std::string page, device, attrs, id;
  int64_t time_ms;
};

std::vector<GenEvent> Generate() {
  std::mt19937_64 rng(15);
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> n(0, 0.6);
  const events::Vital vitals[5] = {events::Vital::kLCP, events::Vital::kFCP, events::Vital::kTTFB,
                                   events::Vital::kCLS, events::Vital::kINP};
  const double level[5] = {2000, 1200, 400, 0.05, 150};
  std::vector<GenEvent> out;
  out.reserve(kEvents);
  for (uint64_t view = 0; out.size() < kEvents; ++view) {
    const std::string page = "/p" + std::to_string(rng() % 40);
    const std::string device = u(rng) < 0.7 ? "desktop" : "mobile";
    const bool keyed = u(rng) < 0.9;
    const std::string attrs = keyed ? R"({"delta":1,"pageViewId":"pv)" + std::to_string(view) + "\"}" : "";
    const int64_t t = kStart + static_cast<int64_t>(u(rng) * 6 * 3600 * 1000);
    for (int v = 0; v < 5 && out.size() < kEvents; ++v) {
      if (v == 4 && u(rng) < 0.2) continue;
      double value = level[v] * std::exp(n(rng));
      value = v == 3 ? std::round(value * 1e4) / 1e4 : std::round(value * 10) / 10;
      out.push_back({vitals[v], value, page, device, attrs, "v" + std::to_string(view) + "-" + std::to_string(v),
                     t + v * 10});
    }
  }
  return out;
}

struct Fixture {
  std::filesystem::path dir;
  std::unique_ptr<events::EventStore> store;
  std::vector<GenEvent> events;
  Fixture() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "pw-score-bench-XXXXXX").string();
    dir = ::mkdtemp(tmpl.data());
    EventsConfig config;
    config.retention_ms = 3650LL * 24 * 3600 * 1000;
    store = std::move(events::EventStore::Open(dir, config, nullptr)).value();
    events = Generate();
    std::vector<events::EventInput> batch;
    for (size_t i = 0; i < events.size(); ++i) {
      const GenEvent& g = events[i];
      events::EventInput e;
      e.type = events::EventType::kVital;
      e.vital = g.vital;
      e.time_ms = e.received_ms = g.time_ms;
      e.value = g.value;
      e.dims[events::kApp] = "shop";
      e.dims[events::kPage] = g.page;
      e.dims[events::kDevice] = g.device;
      e.dims[events::kConnection] = "4g";
      e.dims[events::kBrowser] = "Chrome";
      e.session_id = "s";
      e.id = g.id;
      e.attrs_json = g.attrs;
      batch.push_back(e);
      if (batch.size() == 1000 || i + 1 == events.size()) {
        if (!store->Append(batch).ok()) std::abort();
        batch.clear();
      }
    }
  }
  ~Fixture() {
    store.reset();
    std::filesystem::remove_all(dir);
  }
};

Fixture& Shared() {
  static Fixture f;
  return f;
}

void BM_ComputeScore1M(benchmark::State& state) {
  Fixture& f = Shared();
  ScoreReport r;
  for (auto _ : state) {
    r = std::move(ComputeScore(*f.store, std::string("shop"), kStart, kStart + 24LL * 3600 * 1000)).value();
    benchmark::DoNotOptimize(r);
  }
  state.counters["events"] = static_cast<double>(f.events.size());
  state.counters["views"] = static_cast<double>(r.views);
  state.counters["score"] = *r.score;
  state.counters["ns_per_event"] = benchmark::Counter(static_cast<double>(f.events.size()),
                                                      benchmark::Counter::kIsIterationInvariantRate |
                                                          benchmark::Counter::kInvert);
}
BENCHMARK(BM_ComputeScore1M)->Unit(benchmark::kMillisecond)->UseRealTime();

// The grouping and scoring alone (no store): the same events from memory.
void BM_ScoreAccumulator1M(benchmark::State& state) {
  Fixture& f = Shared();
  std::vector<std::string_view> keys;
  for (const GenEvent& g : f.events) keys.push_back(FindPageViewId(g.attrs));
  for (auto _ : state) {
    ScoreAccumulator acc;
    for (size_t i = 0; i < f.events.size(); ++i) {
      acc.Add(keys[i], f.events[i].page, f.events[i].device, f.events[i].vital, f.events[i].value);
    }
    benchmark::DoNotOptimize(acc.Finish());
  }
  state.counters["ns_per_event"] = benchmark::Counter(static_cast<double>(f.events.size()),
                                                      benchmark::Counter::kIsIterationInvariantRate |
                                                          benchmark::Counter::kInvert);
}
BENCHMARK(BM_ScoreAccumulator1M)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace perfwatch::analysis
