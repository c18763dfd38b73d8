// PromQL evaluator benchmarks over an in-memory head: 10,000 counter series x 720 samples
// (3 h at 15 s), and 1,000 classic histograms x 10 buckets (10,000 series) alike.
//
//   ninja -C build bench/promql_benchmark && build/bench/promql_benchmark
//
// Reported: time per query and samples/s (raw samples the query reads per second).
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "query/promql_engine.h"
#include "query/promql_parser.h"
#include "tsdb/head.h"

namespace perfwatch::query::promql {
namespace {

constexpr int kSeries = 10'000;
constexpr int kSamples = 720;
constexpr int64_t kInterval = 15'000;
constexpr int64_t kEnd = (kSamples - 1) * kInterval;

struct Fixture {
  std::unique_ptr<tsdb::Head> head;
  std::unique_ptr<HeadQueryable> queryable;
  std::unique_ptr<Engine> engine;

  Fixture() {
    head = std::make_unique<tsdb::Head>(tsdb::HeadOptions{}, nullptr);
    std::vector<tsdb::Labels> labels;
    for (int i = 0; i < kSeries; ++i) {
      labels.push_back(tsdb::Labels::FromPairs({{"__name__", "http_requests_total"},
                                                {"instance", "host-" + std::to_string(i / 10)},
                                                {"job", "job-" + std::to_string(i % 10)},
                                                {"path", "/p" + std::to_string(i % 100)}}));
    }
    static const char* kLe[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"};
    for (int i = 0; i < kSeries; ++i) {
      labels.push_back(tsdb::Labels::FromPairs({{"__name__", "latency_seconds_bucket"},
                                                {"instance", "host-" + std::to_string(i / 10 % 1000)},
                                                {"job", "job-" + std::to_string(i / 10 % 10)},
                                                {"le", kLe[i % 10]}}));
    }
    std::vector<std::vector<tsdb::LabelView>> views;
    for (const auto& l : labels) views.push_back(l.Views());
    std::vector<tsdb::Sample> samples(labels.size());
    std::vector<tsdb::SeriesSamples> batch(labels.size());
    for (int k = 0; k < kSamples; ++k) {
      for (size_t i = 0; i < labels.size(); ++i) {
        const double v = i < kSeries ? static_cast<double>(k) * (1 + i % 7) : static_cast<double>(k) * (1 + i % 10);
        samples[i] = tsdb::Sample{k * kInterval, v};
        batch[i] = tsdb::SeriesSamples{views[i], std::span<const tsdb::Sample>(&samples[i], 1)};
      }
      (void)head->AppendBatch(batch);
    }
    queryable = std::make_unique<HeadQueryable>(head.get());
    engine = std::make_unique<Engine>(queryable.get());
  }
};

Fixture& F() {
  static Fixture f;
  return f;
}

void RunInstant(benchmark::State& state, const char* query, int64_t samples_read) {
  auto expr = ParseExpr(query);
  if (!expr.ok()) {
    state.SkipWithError(expr.status().message().c_str());
    return;
  }
  Fixture& f = F();
  for (auto _ : state) {
    auto r = f.engine->InstantQuery(**expr, kEnd);
    if (!r.ok()) state.SkipWithError(r.status().message().c_str());
    benchmark::DoNotOptimize(r);
  }
  state.counters["samples/s"] = benchmark::Counter(static_cast<double>(samples_read) * state.iterations(),
                                                   benchmark::Counter::kIsRate);
}

void RunRange(benchmark::State& state, const char* query, int64_t step, int64_t samples_read) {
  auto expr = ParseExpr(query);
  if (!expr.ok()) {
    state.SkipWithError(expr.status().message().c_str());
    return;
  }
  Fixture& f = F();
  for (auto _ : state) {
    auto r = f.engine->RangeQuery(**expr, kEnd - 3600'000, kEnd, step);
    if (!r.ok()) state.SkipWithError(r.status().message().c_str());
    benchmark::DoNotOptimize(r);
  }
  state.counters["samples/s"] = benchmark::Counter(static_cast<double>(samples_read) * state.iterations(),
                                                   benchmark::Counter::kIsRate);
}

// 10k series, 20 samples each in the window.
void BM_RateInstant(benchmark::State& state) { RunInstant(state, "rate(http_requests_total[5m])", kSeries * 21); }
BENCHMARK(BM_RateInstant)->Unit(benchmark::kMillisecond);

void BM_SumByRateInstant(benchmark::State& state) {
  RunInstant(state, "sum by (job) (rate(http_requests_total[5m]))", kSeries * 21);
}
BENCHMARK(BM_SumByRateInstant)->Unit(benchmark::kMillisecond);

// The whole 3 h: 720 samples per series.
void BM_RateLongWindow(benchmark::State& state) {
  RunInstant(state, "rate(http_requests_total[3h])", int64_t{kSeries} * kSamples);
}
BENCHMARK(BM_RateLongWindow)->Unit(benchmark::kMillisecond);

// 1 h at a 1 m step: 61 steps x 10k series.
void BM_RateRange(benchmark::State& state) {
  RunRange(state, "rate(http_requests_total[5m])", 60'000, int64_t{kSeries} * 260);
}
BENCHMARK(BM_RateRange)->Unit(benchmark::kMillisecond);

void BM_SumByRateRange(benchmark::State& state) {
  RunRange(state, "sum by (job) (rate(http_requests_total[5m]))", 60'000, int64_t{kSeries} * 260);
}
BENCHMARK(BM_SumByRateRange)->Unit(benchmark::kMillisecond);

void BM_HistogramQuantileInstant(benchmark::State& state) {
  RunInstant(state, "histogram_quantile(0.99, sum by (job, le) (rate(latency_seconds_bucket[5m])))", kSeries * 21);
}
BENCHMARK(BM_HistogramQuantileInstant)->Unit(benchmark::kMillisecond);

void BM_HistogramQuantileRange(benchmark::State& state) {
  RunRange(state, "histogram_quantile(0.99, sum by (job, le) (rate(latency_seconds_bucket[5m])))", 60'000,
           int64_t{kSeries} * 260);
}
BENCHMARK(BM_HistogramQuantileRange)->Unit(benchmark::kMillisecond);

// A fast query: one series out of 20k.
void BM_SingleSeries(benchmark::State& state) {
  RunInstant(state, "http_requests_total{instance=\"host-7\", path=\"/p71\"}", 1);
}
BENCHMARK(BM_SingleSeries)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace perfwatch::query::promql
