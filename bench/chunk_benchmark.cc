// Chunk encoding: bytes/sample and encode/decode ns/sample on data shaped like the shared
// remote-write workload (../shared/bench/gen_remote_write.py), reimplemented here with a
// deterministic seed: blocks of 542 series (one web server instance + one RUM country),
// 10 s interval with a per-target offset and 0-30 ms jitter per scrape.
//
//   build-chunk/bench/chunk_benchmark --benchmark_filter=Size
//
// BM_Size/<kind>/<chunk samples>: counters xor (head XOR chunks), sealed (SealChunk) and
// zstd (sealed chunks in label order, series-major, zstd level 3 in 64 KiB groups, as a
// block writer would store them), all in bytes/sample. Kind "all" weights the kinds as
// the workload does. BM_Size_ZstdGroup varies group size and level.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tsdb/chunk.h"
#include "workload.h"

namespace perfwatch::tsdb {
namespace {

// ---- workload: bench/workload.h --------------------------------------------------------

using namespace perfwatch::bench;  // NOLINT
using Series = perfwatch::bench::WorkloadSeries;

constexpr int kBlocks = 8;   // 4336 series
constexpr int kSteps = 720;  // 2 h at 10 s: one persisted block's worth

const std::vector<Series>& Workload() {
  static const std::vector<Series> w = [] {
    std::vector<Series> out;
    for (int k = 0; k < kBlocks; ++k) GenerateBlock(k, kSteps, 1'700'000'000'000, &out);
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.key < b.key; });
    return out;
  }();
  return w;
}

// ---- sizes -----------------------------------------------------------------------------

struct Sizes {
  double samples = 0, xor_bytes = 0, sealed_bytes = 0, zstd_bytes = 0;
};

Sizes Measure(Kind kind, size_t chunk_samples, size_t group_bytes, int level) {
  Sizes z;
  std::vector<uint8_t> group;
  auto flush = [&] {
    if (!group.empty()) z.zstd_bytes += double(CompressBlock(group, level).size());
    group.clear();
  };
  for (const Series& s : Workload()) {  // label order, series-major: a block writer's order
    if (kind != kAll && s.kind != kind) continue;
    for (size_t off = 0; off < s.samples.size(); off += chunk_samples) {
      size_t n = std::min(chunk_samples, s.samples.size() - off);
      auto app = NewChunkAppender();
      for (size_t i = off; i < off + n; ++i) app->Append(s.samples[i].t, s.samples[i].v);
      std::vector<uint8_t> sealed = SealChunk(app->bytes());
      z.samples += double(n);
      z.xor_bytes += double(app->bytes().size());
      z.sealed_bytes += double(sealed.size());
      group.insert(group.end(), sealed.begin(), sealed.end());
      if (group.size() >= group_bytes) flush();
    }
  }
  flush();
  return z;
}

void Report(benchmark::State& state, const Sizes& z) {
  state.counters["xor"] = z.xor_bytes / z.samples;
  state.counters["sealed"] = z.sealed_bytes / z.samples;
  state.counters["zstd"] = z.zstd_bytes / z.samples;
  state.counters["samples"] = z.samples;
}

void BM_Size(benchmark::State& state) {
  auto kind = static_cast<Kind>(state.range(0));
  state.SetLabel(kKindNames[kind]);
  Sizes z;
  for (auto _ : state) z = Measure(kind, size_t(state.range(1)), 64 << 10, 3);
  Report(state, z);
}
BENCHMARK(BM_Size)
    ->ArgsProduct({benchmark::CreateDenseRange(0, kAll, 1), {120, 240, 720}})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// Group size (KiB) and zstd level for the whole workload at 240-sample chunks.
void BM_Size_ZstdGroup(benchmark::State& state) {
  Sizes z;
  for (auto _ : state) z = Measure(kAll, 240, size_t(state.range(0)) << 10, int(state.range(1)));
  Report(state, z);
}
BENCHMARK(BM_Size_ZstdGroup)
    ->ArgsProduct({{16, 64, 256, 4096}, {1, 3, 9, 19}})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// ---- speed -----------------------------------------------------------------------------

// One 542-series block's worth of 240-sample chunks, every kind as the workload mixes them.
std::vector<std::vector<Sample>> SpeedChunks() {
  std::vector<std::vector<Sample>> out;
  const auto& w = Workload();
  for (size_t i = 0; i < w.size(); i += kBlocks) {
    out.emplace_back(w[i].samples.begin(), w[i].samples.begin() + 240);
  }
  return out;
}

void BM_AppendXor(benchmark::State& state) {
  auto chunks = SpeedChunks();
  int64_t n = 0;
  for (auto _ : state) {
    for (const auto& c : chunks) {
      auto app = NewChunkAppender();
      for (const Sample& s : c) app->Append(s.t, s.v);
      benchmark::DoNotOptimize(app->bytes().data());
      n += int64_t(c.size());
    }
  }
  state.counters["ns/sample"] =
      benchmark::Counter(double(n), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_AppendXor);

void BM_Seal(benchmark::State& state) {
  std::vector<std::vector<uint8_t>> xors;
  int64_t per = 0;
  for (const auto& c : SpeedChunks()) {
    auto app = NewChunkAppender();
    for (const Sample& s : c) app->Append(s.t, s.v);
    xors.emplace_back(app->bytes().begin(), app->bytes().end());
    per += int64_t(c.size());
  }
  int64_t n = 0;
  for (auto _ : state) {
    for (const auto& x : xors) benchmark::DoNotOptimize(SealChunk(x).data());
    n += per;
  }
  state.counters["ns/sample"] =
      benchmark::Counter(double(n), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_Seal);

void Decode(benchmark::State& state, bool sealed) {
  std::vector<std::vector<uint8_t>> chunks;
  int64_t per = 0;
  for (const auto& c : SpeedChunks()) {
    auto app = NewChunkAppender();
    for (const Sample& s : c) app->Append(s.t, s.v);
    std::vector<uint8_t> b(app->bytes().begin(), app->bytes().end());
    chunks.push_back(sealed ? SealChunk(b) : b);
    per += int64_t(c.size());
  }
  int64_t n = 0;
  for (auto _ : state) {
    double acc = 0;
    int64_t tacc = 0;
    for (const auto& c : chunks) {
      ChunkIterator it(c);
      while (it.Next()) acc += it.v(), tacc += it.t();
    }
    benchmark::DoNotOptimize(acc);
    benchmark::DoNotOptimize(tacc);
    n += per;
  }
  state.counters["ns/sample"] =
      benchmark::Counter(double(n), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
void BM_DecodeXor(benchmark::State& state) { Decode(state, false); }
void BM_DecodeSealed(benchmark::State& state) { Decode(state, true); }
BENCHMARK(BM_DecodeXor);
BENCHMARK(BM_DecodeSealed);

}  // namespace
}  // namespace perfwatch::tsdb
