// GET /api/v1/journeys and GET /api/v1/vitals/attribution at 1,000,000 stored events
// (issue 16: < 100 ms each): ComputeJourneys and ComputeAttribution as the handlers run
// them, with their caches (cold: the first request; warm: every later one), and as the
// baseline in the same run without (read every event back from the real event store's
// logs, parse its attrs_json, exact percentiles).
//
//   build/bench/journeys_benchmark --benchmark_counters_tabular=true
//
// Generator (fixed seed 16): 1,000,000 events of one app over 6 hours of one day (one
// partition), 40 pages: 200,000 page views each with LCP (attribution: one of 50 elements,
// four subparts adding up to LCP), FCP, TTFB, CLS (attribution target) and INP (attribution
// target, three subparts, 0-2 long-animation-frame scripts), values log-normal; every fifth
// view also carries one journey (checkout or signup, 1-4 steps of 5, 70 % completed, 10 %
// failed, 20 % abandoned), taking the place of one of its vitals so the total stays 10^6:
// 40,000 journeys, 160,000 LCP, 200,000 INP events.
// The worst case (BM_Journeys1MAllJourneys): 1,000,000 journey events.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cmath>
#include <memory>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "analysis/attribution_api.h"
#include "analysis/journeys_api.h"
#include "events/event_store.h"

namespace perfwatch::analysis {
namespace {

constexpr int64_t kStart = 1700006400000;  // a UTC midnight
constexpr size_t kEvents = 1'000'000;

struct GenEvent {
  events::EventType type = events::EventType::kVital;
  events::Vital vital = events::Vital::kNone;
  double value = 0;
  std::string page, name, attrs, id;
  int64_t time_ms = 0;
};

std::string Journey(std::mt19937_64& rng, double* value) {
  static const char* kSteps[] = {"cart", "address", "shipping", "pay", "confirm"};
  std::uniform_real_distribution<double> u(0, 1);
  std::lognormal_distribution<double> d(std::log(1500), 0.7);
  const double r = u(rng);
  const char* outcome = r < 0.7 ? "completed" : r < 0.8 ? "failed" : "abandoned";
  const int n = r < 0.8 ? 5 : 1 + static_cast<int>(rng() % 4);
  std::string steps = "[";
  double t = 0;
  for (int i = 0; i < n; ++i) {
    const double dur = std::round(d(rng));
    if (i) steps += ',';
    steps += R"({"name":")" + std::string(kSteps[i]) + R"(","t":)" + std::to_string(static_cast<int>(t)) +
             R"(,"d":)" + std::to_string(static_cast<int>(dur)) + "}";
    t += dur;
  }
  steps += "]";
  *value = t;
  return R"({"journeyId":"x","outcome":")" + std::string(outcome) + R"(","target":8000,"steps":)" + steps +
         R"(,"startedAt":1700006400000})";
}

std::vector<GenEvent> Generate(bool all_journeys) {
  std::mt19937_64 rng(16);
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> n(0, 0.6);
  std::vector<GenEvent> out;
  out.reserve(kEvents);
  const events::Vital vitals[5] = {events::Vital::kLCP, events::Vital::kFCP, events::Vital::kTTFB,
                                   events::Vital::kCLS, events::Vital::kINP};
  const double level[5] = {2000, 1200, 400, 0.05, 150};
  for (uint64_t view = 0; out.size() < kEvents; ++view) {
    const std::string page = "/p" + std::to_string(rng() % 40);
    const int64_t t = kStart + static_cast<int64_t>(u(rng) * 6 * 3600 * 1000);
    const bool journey = all_journeys || view % 5 == 0;
    for (int v = 0; v < 5 && out.size() < kEvents; ++v) {
      GenEvent g;
      g.page = page;
      g.time_ms = t + v * 10;
      g.id = "v" + std::to_string(view) + "-" + std::to_string(v);
      if (journey && (all_journeys || v == 0)) {
        g.type = events::EventType::kJourney;
        g.name = rng() % 4 ? "checkout" : "signup";
        g.attrs = Journey(rng, &g.value);
        out.push_back(std::move(g));
        continue;
      }
      g.vital = vitals[v];
      g.name = std::string(events::VitalName(g.vital));
      double value = level[v] * std::exp(n(rng));
      value = v == 3 ? std::round(value * 1e4) / 1e4 : std::round(value * 10) / 10;
      g.value = value;
      const std::string sel = "#el" + std::to_string(rng() % 50);
      if (v == 0) {
        const double ttfb = std::round(value * 0.2), delay = std::round(value * 0.1), load = std::round(value * 0.4);
        g.attrs = R"({"pageViewId":"pv","attribution":{"element":")" + sel + R"(","url":"https://x/hero.jpg","ttfb":)" +
                  std::to_string(ttfb) + R"(,"loadDelay":)" + std::to_string(delay) + R"(,"loadDuration":)" +
                  std::to_string(load) + R"(,"renderDelay":)" + std::to_string(value - ttfb - delay - load) + "}}";
      } else if (v == 3) {
        g.attrs = R"({"pageViewId":"pv","attribution":{"target":")" + sel + R"(","time":1200,"value":0.01}})";
      } else if (v == 4) {
        std::string scripts = "[";
        for (uint64_t s = 0, ns = rng() % 3; s < ns; ++s) {
          if (s) scripts += ',';
          scripts += R"({"src":"https://x/s)" + std::to_string(rng() % 10) + R"(.js","fn":"f","invoker":"BUTTON.onclick","dur":)" +
                     std::to_string(static_cast<int>(value * 0.5)) + "}";
        }
        scripts += "]";
        g.attrs = R"({"pageViewId":"pv","attribution":{"target":")" + sel + R"(","type":"pointer","inputDelay":10,"processing":)" +
                  std::to_string(value * 0.6) + R"(,"presentation":20,"scripts":)" + scripts + "}}";
      } else {
        g.attrs = R"({"pageViewId":"pv"})";
      }
      out.push_back(std::move(g));
    }
  }
  return out;
}

struct Fixture {
  std::filesystem::path dir;
  std::unique_ptr<events::EventStore> store;
  size_t journeys = 0, lcp = 0, inp = 0;
  explicit Fixture(bool all_journeys) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "pw-journeys-bench-XXXXXX").string();
    dir = ::mkdtemp(tmpl.data());
    EventsConfig config;
    config.retention_ms = 3650LL * 24 * 3600 * 1000;
    store = std::move(events::EventStore::Open(dir, config, nullptr)).value();
    std::vector<GenEvent> gen = Generate(all_journeys);
    std::vector<events::EventInput> batch;
    for (size_t i = 0; i < gen.size(); ++i) {
      const GenEvent& g = gen[i];
      journeys += g.type == events::EventType::kJourney;
      lcp += g.vital == events::Vital::kLCP;
      inp += g.vital == events::Vital::kINP;
      events::EventInput e;
      e.type = g.type;
      e.vital = g.vital;
      e.time_ms = e.received_ms = g.time_ms;
      e.value = g.value;
      e.dims[events::kApp] = "shop";
      e.dims[events::kPage] = g.page;
      e.dims[events::kDevice] = "desktop";
      e.dims[events::kConnection] = "4g";
      e.dims[events::kBrowser] = "Chrome";
      e.name = g.name;
      e.session_id = "s";
      e.id = g.id;
      e.attrs_json = g.attrs;
      batch.push_back(e);
      if (batch.size() == 1000 || i + 1 == gen.size()) {
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

Fixture& Mixed() {
  static Fixture f(false);
  return f;
}

constexpr int64_t kDay = 24LL * 3600 * 1000;

// kUncached: the handlers before the caches (read and parse every matching event per
// request) — the baseline; kCold: a first request (empty cache); kWarm: every later one.
enum class Mode { kUncached, kCold, kWarm };

void RunJourneys(benchmark::State& state, Fixture& f, Mode mode) {
  JourneysRequest r;
  r.app = "shop";
  r.from_ms = kStart;
  r.to_ms = kStart + kDay;
  std::vector<JourneyReport> out;
  std::unique_ptr<JourneysCache> cache;
  if (mode == Mode::kWarm) {
    cache = std::make_unique<JourneysCache>();
    if (!ComputeJourneys(*f.store, r, kStart + kDay, 30 * 60 * 1000, *cache).ok()) std::abort();
  }
  for (auto _ : state) {
    if (mode == Mode::kCold) {
      state.PauseTiming();
      cache = std::make_unique<JourneysCache>();
      state.ResumeTiming();
    }
    out = std::move(mode == Mode::kUncached ? ComputeJourneys(*f.store, r, kStart + kDay, 30 * 60 * 1000)
                                            : ComputeJourneys(*f.store, r, kStart + kDay, 30 * 60 * 1000, *cache))
              .value();
    benchmark::DoNotOptimize(out);
  }
  state.counters["stored"] = static_cast<double>(kEvents);
  state.counters["scanned"] = static_cast<double>(f.journeys);
  state.counters["completion"] = out.empty() ? 0 : *out[0].completion_rate;
  if (cache) state.counters["cache_MiB"] = static_cast<double>(cache->Stats().bytes) / (1 << 20);
}

void BM_Journeys1M_Uncached(benchmark::State& state) { RunJourneys(state, Mixed(), Mode::kUncached); }
BENCHMARK(BM_Journeys1M_Uncached)->Unit(benchmark::kMillisecond)->UseRealTime();
void BM_Journeys1M_Cold(benchmark::State& state) { RunJourneys(state, Mixed(), Mode::kCold); }
BENCHMARK(BM_Journeys1M_Cold)->Unit(benchmark::kMillisecond)->UseRealTime();
void BM_Journeys1M_Warm(benchmark::State& state) { RunJourneys(state, Mixed(), Mode::kWarm); }
BENCHMARK(BM_Journeys1M_Warm)->Unit(benchmark::kMillisecond)->UseRealTime();

void RunAttribution(benchmark::State& state, events::Vital m, size_t scanned, Mode mode) {
  Fixture& f = Mixed();
  AttributionRequest r;
  r.metric = m;
  r.app = "shop";
  r.from_ms = kStart;
  r.to_ms = kStart + kDay;
  AttributionReport out;
  std::unique_ptr<AttributionCache> cache;
  if (mode == Mode::kWarm) {
    cache = std::make_unique<AttributionCache>();
    if (!ComputeAttribution(*f.store, r, *cache).ok()) std::abort();
  }
  for (auto _ : state) {
    if (mode == Mode::kCold) {
      state.PauseTiming();
      cache = std::make_unique<AttributionCache>();
      state.ResumeTiming();
    }
    out = std::move(mode == Mode::kUncached ? ComputeAttribution(*f.store, r) : ComputeAttribution(*f.store, r, *cache))
              .value();
    benchmark::DoNotOptimize(out);
  }
  state.counters["stored"] = static_cast<double>(kEvents);
  state.counters["scanned"] = static_cast<double>(scanned);
  state.counters["targets"] = static_cast<double>(out.targets.size());
  if (cache) state.counters["cache_MiB"] = static_cast<double>(cache->Stats().bytes) / (1 << 20);
}

void BM_AttributionLcp1M_Uncached(benchmark::State& state) {
  RunAttribution(state, events::Vital::kLCP, Mixed().lcp, Mode::kUncached);
}
BENCHMARK(BM_AttributionLcp1M_Uncached)->Unit(benchmark::kMillisecond)->UseRealTime();
void BM_AttributionLcp1M_Cold(benchmark::State& state) { RunAttribution(state, events::Vital::kLCP, Mixed().lcp, Mode::kCold); }
BENCHMARK(BM_AttributionLcp1M_Cold)->Unit(benchmark::kMillisecond)->UseRealTime();
void BM_AttributionLcp1M_Warm(benchmark::State& state) { RunAttribution(state, events::Vital::kLCP, Mixed().lcp, Mode::kWarm); }
BENCHMARK(BM_AttributionLcp1M_Warm)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_AttributionInp1M_Uncached(benchmark::State& state) {
  RunAttribution(state, events::Vital::kINP, Mixed().inp, Mode::kUncached);
}
BENCHMARK(BM_AttributionInp1M_Uncached)->Unit(benchmark::kMillisecond)->UseRealTime();
void BM_AttributionInp1M_Cold(benchmark::State& state) { RunAttribution(state, events::Vital::kINP, Mixed().inp, Mode::kCold); }
BENCHMARK(BM_AttributionInp1M_Cold)->Unit(benchmark::kMillisecond)->UseRealTime();
void BM_AttributionInp1M_Warm(benchmark::State& state) { RunAttribution(state, events::Vital::kINP, Mixed().inp, Mode::kWarm); }
BENCHMARK(BM_AttributionInp1M_Warm)->Unit(benchmark::kMillisecond)->UseRealTime();

// Every stored event a journey: the scan and parse cost per event.
Fixture& AllJourneys() {
  static Fixture f(true);
  return f;
}
void BM_Journeys1MAllJourneys_Uncached(benchmark::State& state) { RunJourneys(state, AllJourneys(), Mode::kUncached); }
BENCHMARK(BM_Journeys1MAllJourneys_Uncached)->Unit(benchmark::kMillisecond)->UseRealTime();
void BM_Journeys1MAllJourneys_Cold(benchmark::State& state) { RunJourneys(state, AllJourneys(), Mode::kCold); }
BENCHMARK(BM_Journeys1MAllJourneys_Cold)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
void BM_Journeys1MAllJourneys_Warm(benchmark::State& state) { RunJourneys(state, AllJourneys(), Mode::kWarm); }
BENCHMARK(BM_Journeys1MAllJourneys_Warm)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace perfwatch::analysis
