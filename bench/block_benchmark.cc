// Persisted blocks on the shared workload's shapes (bench/workload.h): 19 generator blocks
// = 10,298 series x 720 samples (2 h at 10 s) = 7.41 M samples, appended to an in-memory
// head, then written as one block through the head's querier.
//
//   build-block/bench/block_benchmark
//
// BM_WriteBlock/<group KiB>/<zstd level>: head -> block seconds; disk bytes/sample (all
//   files) and chunks-only bytes/sample.
// BM_OpenStore: BlockStore::Open of a data dir holding that block (the restart cost).
// BM_SelectAll: select every series of the block and iterate every sample (samples/s).
// BM_SelectOne: one `__name__="process_cpu_seconds_total"` selection (19 series).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "tsdb/block_store.h"
#include "tsdb/head.h"
#include "workload.h"

namespace perfwatch::tsdb {
namespace {

namespace fs = std::filesystem;

constexpr int kGenBlocks = 19;  // x 542 series
constexpr int kSteps = 720;

// Parses the generator's `name{a=b,c=d` keys into a label set.
Labels KeyLabels(const std::string& key) {
  std::vector<std::pair<std::string, std::string>> pairs;
  size_t brace = key.find('{');
  pairs.emplace_back("__name__", key.substr(0, brace));
  std::string rest = brace == std::string::npos ? "" : key.substr(brace + 1);
  size_t pos = 0;
  while (pos < rest.size()) {
    size_t comma = rest.find(',', pos);
    if (comma == std::string::npos) comma = rest.size();
    std::string kv = rest.substr(pos, comma - pos);
    size_t eq = kv.find('=');
    pairs.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    pos = comma + 1;
  }
  std::vector<LabelView> views;
  for (auto& p : pairs) views.push_back({p.first, p.second});
  return Labels::FromViews(views);
}

struct Fixture {
  std::unique_ptr<Head> head;
  uint64_t samples = 0;
  int64_t mint = INT64_MAX, maxt = INT64_MIN;
  fs::path dir;
};

Fixture& Get() {
  static Fixture* f = [] {
    auto* f = new Fixture;
    std::vector<bench::WorkloadSeries> w;
    for (int k = 0; k < kGenBlocks; ++k) bench::GenerateBlock(k, kSteps, 1'700'000'000'000, &w);
    HeadOptions opts;
    opts.chunk_max_samples = kRecommendedChunkSamples;
    f->head = std::make_unique<Head>(opts, nullptr);
    std::vector<Labels> labels;
    for (auto& s : w) labels.push_back(KeyLabels(s.key));
    std::vector<std::vector<LabelView>> views;
    for (auto& l : labels) views.push_back(l.Views());
    std::vector<SeriesSamples> batch;
    for (size_t i = 0; i < w.size(); ++i) {
      batch.push_back(SeriesSamples{views[i], w[i].samples});
      f->samples += w[i].samples.size();
      f->mint = std::min(f->mint, w[i].samples.front().t);
      f->maxt = std::max(f->maxt, w[i].samples.back().t);
    }
    Status s = f->head->AppendBatch(batch);
    if (!s.ok()) std::fprintf(stderr, "append: %s\n", s.ToString().c_str()), std::abort();
    char tmpl[] = "/tmp/pw_block_bench_XXXXXX";
    f->dir = ::mkdtemp(tmpl);
    return f;
  }();
  return *f;
}

uint64_t DirBytes(const fs::path& d, const char* only = nullptr) {
  uint64_t n = 0;
  for (auto& e : fs::recursive_directory_iterator(d)) {
    if (e.is_regular_file() && (!only || e.path().filename() == only)) n += e.file_size();
  }
  return n;
}

void BM_WriteBlock(benchmark::State& state) {
  Fixture& f = Get();
  BlockStoreOptions opts;
  opts.writer.group_bytes = size_t(state.range(0)) << 10;
  opts.writer.zstd_level = int(state.range(1));
  fs::path dir = f.dir / ("w" + std::to_string(state.range(0)) + "_" + std::to_string(state.range(1)));
  for (auto _ : state) {
    fs::remove_all(dir);
    auto store = BlockStore::Open(dir, opts);
    auto q = f.head->NewQuerier(f.mint, f.maxt);
    auto meta = (*store)->WriteBlock(*q, f.mint, f.maxt);
    if (!meta.ok()) state.SkipWithError(meta.status().ToString().c_str());
  }
  double samples = double(f.samples);
  state.counters["bytes/sample"] = double(DirBytes(dir)) / samples;
  state.counters["chunks_b/sample"] = double(DirBytes(dir, kChunksFileName)) / samples;
  state.counters["index_bytes"] = double(DirBytes(dir, kIndexFileName));
  state.counters["samples"] = samples;
  state.counters["Msamples/s"] =
      benchmark::Counter(samples / 1e6, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_WriteBlock)
    ->ArgsProduct({{64, 256, 1024}, {3, 9}})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

fs::path StoreDir() {
  static fs::path dir = [] {
    Fixture& f = Get();
    fs::path d = f.dir / "store";
    auto store = BlockStore::Open(d);
    auto q = f.head->NewQuerier(f.mint, f.maxt);
    if (!(*store)->WriteBlock(*q, f.mint, f.maxt).ok()) std::abort();
    return d;
  }();
  return dir;
}

void BM_OpenStore(benchmark::State& state) {
  fs::path d = StoreDir();
  for (auto _ : state) {
    auto store = BlockStore::Open(d);
    benchmark::DoNotOptimize(store.ok());
  }
}
BENCHMARK(BM_OpenStore)->Unit(benchmark::kMillisecond);

void BM_SelectAll(benchmark::State& state) {
  auto store = BlockStore::Open(StoreDir());
  int64_t n = 0;
  for (auto _ : state) {
    auto q = (*store)->NewQuerier(INT64_MIN, INT64_MAX);
    auto set = q->Select({});
    double acc = 0;
    while (set->Next()) {
      auto it = set->At().Iterator();
      while (it.Next()) acc += it.v(), ++n;
    }
    benchmark::DoNotOptimize(acc);
  }
  state.counters["Msamples/s"] = benchmark::Counter(double(n) / 1e6, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SelectAll)->Unit(benchmark::kMillisecond);

void BM_SelectOne(benchmark::State& state) {
  auto store = BlockStore::Open(StoreDir());
  auto m = Matcher::Make(MatchType::kEqual, "__name__", "process_cpu_seconds_total");
  std::vector<Matcher> ms = {*m};
  int64_t n = 0;
  for (auto _ : state) {
    auto q = (*store)->NewQuerier(INT64_MIN, INT64_MAX);
    auto set = q->Select(ms);
    while (set->Next()) {
      auto it = set->At().Iterator();
      while (it.Next()) ++n;
    }
  }
  state.counters["samples"] = benchmark::Counter(double(n), benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_SelectOne)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace perfwatch::tsdb
