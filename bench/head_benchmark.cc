// TSDB head benchmarks: append cost per sample with the WAL on a temp dir (one and two
// appending threads), select + iterate, JSON export, and WAL replay of 7.2 M samples.
//
//   ninja -C build-head head_benchmark && build-head/bench/head_benchmark --benchmark_counters_tabular=true
//
// Workload: series shaped like node_exporter's (`__name__` + 4 labels), one sample per
// series per request as Prometheus remote write sends them, batches of 1000 series.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "common/log.h"
#include "common/metrics.h"
#include "tsdb/export_json.h"
#include "tsdb/tsdb.h"

namespace perfwatch::tsdb {
namespace {

constexpr int64_t kStart = 1700000000000;

std::filesystem::path MakeTempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "pw-head-bench-XXXXXX").string();
  return ::mkdtemp(tmpl.data());
}

struct Workload {
  std::vector<Labels> labels;
  std::vector<std::vector<LabelView>> views;
  explicit Workload(int n) {
    for (int i = 0; i < n; ++i) {
      labels.push_back(Labels::FromPairs({{"__name__", "node_cpu_seconds_total"},
                                          {"cpu", std::to_string(i % 64)},
                                          {"instance", "host-" + std::to_string(i / 640) + ":9100"},
                                          {"job", "node"},
                                          {"mode", std::to_string(i / 64 % 10)}}));
    }
    for (const auto& l : labels) views.push_back(l.Views());
  }
};

// Builds batch `round` for series [first, first + count): one sample each. Label bytes are
// copied into one arena, as the remote-write decoder leaves them in the decoded request
// (warm in cache), rather than read from 20,000 scattered std::strings.
struct BatchBuffers {
  std::vector<Sample> samples;
  std::vector<SeriesSamples> batch;
  std::vector<LabelView> views;
  std::string arena;
};
void MakeBatch(const Workload& w, int first, int count, int64_t round, BatchBuffers& b) {
  b.samples.resize(count);
  b.batch.resize(count);
  b.arena.clear();
  size_t nviews = 0;
  for (int i = 0; i < count; ++i) {
    for (const auto& l : w.views[first + i]) {
      b.arena.append(l.name);
      b.arena.append(l.value);
      ++nviews;
    }
  }
  b.views.resize(nviews);
  size_t pos = 0, v = 0;
  for (int i = 0; i < count; ++i) {
    size_t begin = v;
    for (const auto& l : w.views[first + i]) {
      std::string_view name(b.arena.data() + pos, l.name.size());
      pos += l.name.size();
      std::string_view value(b.arena.data() + pos, l.value.size());
      pos += l.value.size();
      b.views[v++] = LabelView{name, value};
    }
    b.samples[i] = Sample{kStart + round * 15000, static_cast<double>(round * 7 + i % 13)};
    b.batch[i] = SeriesSamples{std::span<const LabelView>(&b.views[begin], v - begin),
                               std::span<const Sample>(&b.samples[i], 1)};
  }
}

// Append through Tsdb (WAL write(2) per batch, fsync thread at 100 ms).
void BM_AppendWithWal(benchmark::State& state) {
  spdlog::set_level(spdlog::level::warn);
  static std::unique_ptr<Tsdb> db;
  static std::filesystem::path dir;
  static Workload w(20000);
  constexpr int kBatch = 1000;
  const int threads = state.threads();
  const int per_thread = static_cast<int>(w.labels.size()) / threads;
  if (state.thread_index() == 0) {
    dir = MakeTempDir();
    TsdbOptions o;
    o.dir = dir;
    db = std::move(Tsdb::Open(o, nullptr).value());
    (void)db->Start();
    BatchBuffers b;
    for (int first = 0; first < static_cast<int>(w.labels.size()); first += kBatch) {  // create series
      MakeBatch(w, first, kBatch, 0, b);
      (void)db->AppendBatch(b.batch);
    }
  }
  BatchBuffers b;
  int64_t round = 1;
  int offset = 0;
  for (auto _ : state) {
    state.PauseTiming();
    MakeBatch(w, state.thread_index() * per_thread + offset, kBatch, round, b);
    offset += kBatch;
    if (offset + kBatch > per_thread) {
      offset = 0;
      ++round;
    }
    state.ResumeTiming();
    Status s = db->AppendBatch(b.batch);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["ns/sample"] = benchmark::Counter(static_cast<double>(state.iterations() * kBatch),
                                                   benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  if (state.thread_index() == 0) {
    db.reset();
    std::filesystem::remove_all(dir);
  }
}
BENCHMARK(BM_AppendWithWal)->UseRealTime()->Threads(1)->Threads(2);

// 1000 series x 1000 samples (1 M samples) in a head without WAL.
Head& MillionHead() {
  static Head* head = [] {
    auto* h = new Head({}, nullptr);
    Workload w(1000);
    BatchBuffers b;
    for (int64_t round = 0; round < 1000; ++round) {
      MakeBatch(w, 0, 1000, round, b);
      (void)h->AppendBatch(b.batch);
    }
    return h;
  }();
  return *head;
}

void BM_SelectIterate1M(benchmark::State& state) {
  Head& head = MillionHead();
  auto matchers = ParseSelector("node_cpu_seconds_total{job=\"node\"}").value();
  for (auto _ : state) {
    auto q = head.NewQuerier(INT64_MIN, INT64_MAX);
    auto set = q->Select(matchers);
    double sum = 0;
    while (set->Next()) {
      auto it = set->At().Iterator();
      while (it.Next()) sum += it.v();
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * 1000000);
}
BENCHMARK(BM_SelectIterate1M)->Unit(benchmark::kMillisecond);

void BM_Export1M(benchmark::State& state) {
  Head& head = MillionHead();
  auto matchers = ParseSelector("{__name__=~\"node_.*\"}").value();
  size_t bytes = 0;
  for (auto _ : state) {
    auto q = head.NewQuerier(INT64_MIN, INT64_MAX);
    bytes = 0;
    Status s = ExportJsonLines(*q, matchers, INT64_MIN, INT64_MAX, [&](std::string_view c) {
      bytes += c.size();
      return true;
    });
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations() * 1000000);
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_Export1M)->Unit(benchmark::kMillisecond);

// Restart time: 10,000 series x 720 samples = 7.2 M samples in the WAL (no checkpoint),
// and the same after Flush() (checkpoint).
void BM_Replay7M(benchmark::State& state) {
  spdlog::set_level(spdlog::level::warn);
  const bool checkpoint = state.range(0) != 0;
  std::filesystem::path dir = MakeTempDir();
  TsdbOptions o;
  o.dir = dir;
  {
    auto db = std::move(Tsdb::Open(o, nullptr).value());
    Workload w(10000);
    BatchBuffers b;
    for (int64_t round = 0; round < 720; ++round) {
      for (int first = 0; first < 10000; first += 1000) {
        MakeBatch(w, first, 1000, round, b);
        (void)db->AppendBatch(b.batch);
      }
    }
    if (checkpoint) (void)db->Checkpoint();
  }
  for (auto _ : state) {
    auto db = Tsdb::Open(o, nullptr);
    if (!db.ok()) state.SkipWithError(db.status().ToString().c_str());
    HeadStats st = (*db)->head().Stats();
    state.counters["samples"] = static_cast<double>(st.samples);
    state.counters["chunk_B/sample"] = static_cast<double>(st.chunk_bytes) / static_cast<double>(st.samples);
    state.counters["rss_MiB"] = static_cast<double>(ProcessRssBytes()) / (1 << 20);
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_Replay7M)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace perfwatch::tsdb
