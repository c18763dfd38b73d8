// Bytes per head series (issue 11 item 7): heap growth, from glibc's allocation statistics
// (mallinfo2), for N series with a few samples each appended to a Head, and the time to
// create them. Series shapes:
//   rum   RUM histogram series: __name__, app, connection, device, le, page (values shared
//         by many series; 100 pages x 2 devices x 3 connections x 5 metrics x ~34 buckets)
//   node  node_exporter-like: __name__, cpu, instance, job, mode (head_benchmark.cc's shape)
//
//   ninja -C build-mem head_memory_benchmark && build-mem/bench/head_memory_benchmark
//
// Counters: bytes/series (heap growth / series, the head's fixed tables included),
// samples/series.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <string>
#include <vector>

#include "tsdb/head.h"

namespace perfwatch::tsdb {
namespace {

size_t HeapInUse() {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

std::vector<Labels> RumLabels(int n) {
  static const char* metrics[] = {"rum_lcp_seconds_bucket", "rum_inp_seconds_bucket", "rum_fcp_seconds_bucket",
                                  "rum_ttfb_seconds_bucket", "rum_cls_bucket"};
  static const char* devices[] = {"desktop", "mobile"};
  static const char* connections[] = {"4g", "3g", "2g"};
  std::vector<Labels> out;
  for (int i = 0; static_cast<int>(out.size()) < n; ++i) {
    int page = (i / 1020) % 100;
    out.push_back(Labels::FromPairs({{"__name__", metrics[(i / 34) % 5]},
                                     {"app", "shop"},
                                     {"connection", connections[(i / 170) % 3]},
                                     {"device", devices[(i / 510) % 2]},
                                     {"le", std::to_string(0.05 * (i % 34 + 1)).substr(0, 5)},
                                     {"page", "/section" + std::to_string(page % 20) + "/page-" + std::to_string(page)}}));
  }
  return out;
}

std::vector<Labels> NodeLabels(int n) {
  std::vector<Labels> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(Labels::FromPairs({{"__name__", "node_cpu_seconds_total"},
                                     {"cpu", std::to_string(i % 64)},
                                     {"instance", "host-" + std::to_string(i / 640) + ":9100"},
                                     {"job", "node"},
                                     {"mode", std::to_string(i / 64 % 10)}}));
  }
  return out;
}

// Args: series, samples per series, shape (0 rum, 1 node).
void BM_HeadBytesPerSeries(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const int samples_per_series = static_cast<int>(state.range(1));
  std::vector<Labels> labels = state.range(2) == 0 ? RumLabels(n) : NodeLabels(n);
  std::vector<std::vector<LabelView>> views;
  for (const Labels& l : labels) views.push_back(l.Views());
  std::vector<Sample> samples(n);
  std::vector<SeriesSamples> batch(n);
  double bytes = 0;
  for (auto _ : state) {
    malloc_trim(0);
    const size_t before = HeapInUse();
    auto head = std::make_unique<Head>(HeadOptions{}, nullptr);
    for (int k = 0; k < samples_per_series; ++k) {
      for (int i = 0; i < n; ++i) {
        samples[i] = Sample{1'700'000'000'000 + k * 1000, static_cast<double>((i % 7) * k)};
        batch[i] = SeriesSamples{views[i], std::span<const Sample>(&samples[i], 1)};
      }
      for (int from = 0; from < n; from += 2048) {
        int count = std::min(2048, n - from);
        (void)head->AppendBatch(std::span<const SeriesSamples>(batch.data() + from, count));
      }
    }
    bytes = static_cast<double>(HeapInUse() - before) / n;
    state.PauseTiming();
    head.reset();
    state.ResumeTiming();
  }
  state.counters["bytes/series"] = bytes;
  state.counters["samples/series"] = samples_per_series;
  state.SetItemsProcessed(state.iterations() * n * samples_per_series);
}
BENCHMARK(BM_HeadBytesPerSeries)
    ->Args({104232, 5, 0})
    ->Args({104232, 1, 0})
    ->Args({40000, 5, 1})
    ->Args({100000, 100, 1})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

}  // namespace
}  // namespace perfwatch::tsdb
