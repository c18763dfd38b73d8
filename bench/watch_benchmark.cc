// Continuous watches: the cost of one evaluation pass (docs/benchmarks.md "Issue 15:
// continuous watches"). The generator: N series of 336 hourly points (14 days, the default
// analysis.watch_lookback) around a level in [0.05, 2] s with 3 % Gaussian noise (fixed
// seed 15); one series in ten rises 30 % at a random hour in [100, 300).
//   BM_FindRegressions/N   the detector and the regression rule alone over N series
//   BM_WatchPass/N         Watcher::RunAt: N series remote-written into a real TSDB (temp
//                          dir), one `analysis.watch` expression
//                          (last_over_time(bench_latency_seconds[1h])) evaluated as a range
//                          query over 14 days at 1h, the detector, and the append of
//                          perfwatch_regression_active
// Counters: series analysed, regressions found per pass.
// Run: build/bench/watch_benchmark
#include <benchmark/benchmark.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "analysis/watch.h"
#include "query/promql_engine.h"
#include "tsdb/tsdb.h"

namespace pa = perfwatch::analysis;
namespace tsdb = perfwatch::tsdb;

namespace {

constexpr int64_t kHour = 3'600'000;
constexpr int kPoints = 336;
constexpr int64_t kNow = 1'764'547'200'000;  // 2025-12-01T00:00:00Z

std::vector<std::vector<double>> Generate(int n) {
  std::mt19937 rng(15);
  std::uniform_real_distribution<double> level(0.05, 2);
  std::uniform_int_distribution<int> at(100, 299);
  std::normal_distribution<double> noise(0, 0.03);
  std::vector<std::vector<double>> out(n);
  for (int s = 0; s < n; ++s) {
    const double base = level(rng);
    const int shift = s % 10 == 0 ? at(rng) : kPoints;
    for (int i = 0; i < kPoints; ++i) out[s].push_back(base * (i >= shift ? 1.3 : 1.0) * (1 + noise(rng)));
  }
  return out;
}

void BM_FindRegressions(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::vector<pa::WatchedSeries> series;
  for (auto& values : Generate(n)) {
    pa::WatchedSeries w;
    w.metric = "p95";
    w.values = std::move(values);
    for (int i = 0; i < kPoints; ++i) w.times_ms.push_back(kNow - (kPoints - i) * kHour);
    series.push_back(std::move(w));
  }
  size_t found = 0;
  for (auto _ : state) {
    found = 0;
    for (const auto& s : series) found += pa::FindRegressions(s).size();
    benchmark::DoNotOptimize(found);
  }
  state.counters["series"] = n;
  state.counters["regressions"] = static_cast<double>(found);
}
BENCHMARK(BM_FindRegressions)->Arg(1000)->Unit(benchmark::kMillisecond);

void BM_WatchPass(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("pw_watch_bench_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  tsdb::TsdbOptions o;
  o.dir = dir;
  o.maintenance_interval = std::chrono::milliseconds(0);
  auto db = tsdb::Tsdb::Open(o, nullptr);
  if (!db.ok()) {
    state.SkipWithError(db.status().ToString().c_str());
    return;
  }
  {
    const auto data = Generate(n);
    for (int s = 0; s < n; ++s) {
      const std::string route = "/r/" + std::to_string(s);
      const tsdb::LabelView labels[] = {
          {"__name__", "bench_latency_seconds"}, {"http_route", route}, {"service", "api"}};
      std::vector<tsdb::Sample> samples;
      for (int i = 0; i < kPoints; ++i) samples.push_back({kNow - (kPoints - 1 - i) * kHour, data[s][i]});
      const tsdb::SeriesSamples batch[] = {{labels, samples}};
      if (auto st = (*db)->AppendBatch(batch); !st.ok()) {
        state.SkipWithError(st.ToString().c_str());
        return;
      }
    }
  }
  tsdb::Tsdb* t = db->get();
  perfwatch::query::promql::TsdbQueryable queryable(t);
  perfwatch::query::promql::Engine engine(&queryable);
  pa::WatcherOptions wo;
  wo.interval_ms = 0;
  wo.max_series = static_cast<size_t>(n);
  wo.watch.push_back({.name = "latency", .expr = "last_over_time(bench_latency_seconds[1h])", .step_ms = kHour});
  auto watcher = pa::Watcher::Create(wo, nullptr, &engine, t, nullptr, nullptr);
  if (!watcher.ok()) {
    state.SkipWithError(watcher.status().ToString().c_str());
    return;
  }
  int64_t now = kNow;
  size_t analysed = 0;
  for (auto _ : state) {
    auto r = (*watcher)->RunAt(now);
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      break;
    }
    analysed = *r;
    now += 1000;  // each pass appends perfwatch_regression_active at a new time
  }
  state.counters["series"] = static_cast<double>(analysed);
  state.counters["regressions"] = static_cast<double>((*watcher)->Regressions().size());
  watcher->reset();
  db->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_WatchPass)->Arg(1000)->Unit(benchmark::kMillisecond)->Iterations(5);

}  // namespace
