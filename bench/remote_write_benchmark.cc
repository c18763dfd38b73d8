// Remote-write 1.0 decoding speed: ns/sample and samples/s for a request shaped like the
// shared benchmark's (2000 TimeSeries of one sample each, 6-9 labels, sorted, snappy),
// split into the snappy and the protobuf share, plus heap allocations per request in
// steady state (must be 0).
//
//   build-rw/bench/remote_write_benchmark
//   PW_RW_PAYLOAD=/tmp/rwpayload build-rw/bench/remote_write_benchmark   # also real shards
//
// With PW_RW_PAYLOAD set to a gen_remote_write.py output directory, BM_DecodeGenerated*
// replay every frame of its shard-000.bin.
#include <benchmark/benchmark.h>
#include <snappy.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "ingest/remote_write/remote_write_decoder.h"
#include "ingest/remote_write/remote_write_encoder.h"

// Counts every operator new in the process (the benchmark is its own executable).
static std::atomic<uint64_t> g_allocations{0};
void* operator new(size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

namespace perfwatch::ingest {
namespace {

// 2000 series in the shared workload's shape: http_requests_total / duration buckets /
// RUM gauges with the generator's label names and value styles, one sample each,
// 10 s steps with jitter. Deterministic.
std::string WorkloadRequest(int num_series, int64_t t0) {
  static const char* kRoutes[] = {"/",
                                  "/search",
                                  "/product/:id",
                                  "/category/:slug",
                                  "/cart",
                                  "/api/cart",
                                  "/api/checkout",
                                  "/login",
                                  "/api/session",
                                  "/static/*",
                                  "/api/recommendations",
                                  "/account"};
  static const char* kLe[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
                              "0.5",   "1",    "2.5",   "5",    "10",  "+Inf"};
  static const char* kStatus[] = {"200", "304", "404", "500"};
  std::mt19937_64 rng(42);
  std::vector<std::string> ts;
  ts.reserve(num_series);
  for (int i = 0; i < num_series; ++i) {
    std::string instance = "web-" + std::to_string(i / 542) + ":8080";
    const char* route = kRoutes[i % 12];
    std::vector<std::pair<std::string, std::string>> labels;
    double value;
    switch (i % 3) {
      case 0:
        labels = {{"__name__", "http_requests_total"},
                  {"env", "prod"},
                  {"instance", instance},
                  {"job", "webapp"},
                  {"method", "GET"},
                  {"region", "eu-west-1"},
                  {"route", route},
                  {"status", kStatus[i % 4]}};
        value = static_cast<double>(rng() % 100000);
        break;
      case 1:
        labels = {{"__name__", "http_request_duration_seconds_bucket"},
                  {"env", "prod"},
                  {"instance", instance},
                  {"job", "webapp"},
                  {"le", kLe[i % 12]},
                  {"method", "GET"},
                  {"region", "eu-west-1"},
                  {"route", route}};
        value = static_cast<double>(rng() % 100000);
        break;
      default:
        labels = {{"__name__", "rum_lcp_p75_ms"},
                  {"country", "DE"},
                  {"device", "mobile"},
                  {"job", "rum"},
                  {"page", route},
                  {"site", "shop-0"}};
        value = static_cast<double>(rng() % 40000) / 10.0;
        break;
    }
    int64_t t = t0 - static_cast<int64_t>(rng() % 10000) - static_cast<int64_t>(rng() % 31);
    ts.push_back(EncodeTimeSeries(labels, {{t, value}}));
  }
  return EncodeWriteRequest(ts);
}

struct Request {
  std::string raw;
  std::string body;  // snappy
};

const Request& Workload() {
  static const Request r = [] {
    Request out;
    out.raw = WorkloadRequest(2000, 1700000000000);
    snappy::Compress(out.raw.data(), out.raw.size(), &out.body);
    return out;
  }();
  return r;
}

void SetCounters(benchmark::State& state, size_t samples_per_iteration, size_t raw_bytes,
                 uint64_t allocations) {
  double samples = static_cast<double>(samples_per_iteration);
  state.counters["samples/s"] =
      benchmark::Counter(samples, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["ns/sample"] = benchmark::Counter(
      samples * 1e-9, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["raw_bytes"] = static_cast<double>(raw_bytes);
  state.counters["allocs/iter"] =
      static_cast<double>(allocations) / static_cast<double>(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * raw_bytes));
}

// Snappy + protobuf: what POST /api/v1/write pays per request.
void BM_Decode(benchmark::State& state) {
  const Request& r = Workload();
  RemoteWriteDecoder decoder;
  if (!decoder.Decode(r.body).ok()) state.SkipWithError("decode failed");  // warm-up
  uint64_t a0 = g_allocations.load();
  for (auto _ : state) {
    Status s = decoder.Decode(r.body);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(decoder.num_samples());
  }
  SetCounters(state, decoder.num_samples(), r.raw.size(), g_allocations.load() - a0);
  state.counters["body_bytes"] = static_cast<double>(r.body.size());
}
BENCHMARK(BM_Decode);

// The snappy share alone.
void BM_SnappyOnly(benchmark::State& state) {
  const Request& r = Workload();
  std::vector<char> out(r.raw.size());
  for (auto _ : state) {
    size_t n = 0;
    snappy::GetUncompressedLength(r.body.data(), r.body.size(), &n);
    bool ok = snappy::RawUncompress(r.body.data(), r.body.size(), out.data());
    benchmark::DoNotOptimize(ok);
    benchmark::ClobberMemory();
  }
  SetCounters(state, 2000, r.raw.size(), 0);
}
BENCHMARK(BM_SnappyOnly);

// The protobuf share alone (validation, sorting check and flat arrays included).
void BM_ProtobufOnly(benchmark::State& state) {
  const Request& r = Workload();
  RemoteWriteDecoder decoder;
  if (!decoder.DecodeUncompressed(r.raw).ok()) state.SkipWithError("decode failed");
  uint64_t a0 = g_allocations.load();
  for (auto _ : state) {
    Status s = decoder.DecodeUncompressed(r.raw);
    benchmark::DoNotOptimize(s);
  }
  SetCounters(state, decoder.num_samples(), r.raw.size(), g_allocations.load() - a0);
}
BENCHMARK(BM_ProtobufOnly);

// Protobuf with labels arriving reversed (sender that does not sort): the sort path.
void BM_ProtobufUnsortedLabels(benchmark::State& state) {
  std::vector<std::string> ts;
  for (int i = 0; i < 2000; ++i) {
    ts.push_back(EncodeTimeSeries({{"status", "200"},
                                   {"route", "/api/x"},
                                   {"region", "eu"},
                                   {"method", "GET"},
                                   {"job", "webapp"},
                                   {"instance", "web-" + std::to_string(i) + ":8080"},
                                   {"env", "prod"},
                                   {"__name__", "http_requests_total"}},
                                  {{1700000000000 + i, 1.0 * i}}));
  }
  std::string raw = EncodeWriteRequest(ts);
  RemoteWriteDecoder decoder;
  if (!decoder.DecodeUncompressed(raw).ok()) state.SkipWithError("decode failed");
  for (auto _ : state) {
    Status s = decoder.DecodeUncompressed(raw);
    benchmark::DoNotOptimize(s);
  }
  SetCounters(state, decoder.num_samples(), raw.size(), 0);
}
BENCHMARK(BM_ProtobufUnsortedLabels);

// Real frames from gen_remote_write.py (PW_RW_PAYLOAD=dir), snappy + protobuf.
std::vector<std::string> GeneratedFrames() {
  std::vector<std::string> frames;
  const char* dir = std::getenv("PW_RW_PAYLOAD");
  if (!dir) return frames;
  std::ifstream in(std::string(dir) + "/shard-000.bin", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string data = ss.str();
  size_t pos = 0;
  while (pos + 8 <= data.size()) {
    uint32_t len;
    std::memcpy(&len, data.data() + pos, 4);
    pos += 8;
    if (pos + len > data.size()) break;
    frames.push_back(data.substr(pos, len));
    pos += len;
  }
  return frames;
}

void BM_DecodeGenerated(benchmark::State& state) {
  static const std::vector<std::string> frames = GeneratedFrames();
  if (frames.empty()) {
    state.SkipWithError("set PW_RW_PAYLOAD to a gen_remote_write.py output directory");
    return;
  }
  RemoteWriteDecoder decoder;
  size_t samples = 0, raw = 0;
  for (const auto& f : frames) {
    if (!decoder.Decode(f).ok()) {
      state.SkipWithError("decode failed");
      return;
    }
    samples += decoder.num_samples();
    raw += decoder.decompressed_bytes();
  }
  uint64_t a0 = g_allocations.load();
  for (auto _ : state) {
    for (const auto& f : frames) {
      Status s = decoder.Decode(f);
      benchmark::DoNotOptimize(s);
    }
  }
  SetCounters(state, samples, raw, g_allocations.load() - a0);
  state.counters["requests"] = static_cast<double>(frames.size());
}
BENCHMARK(BM_DecodeGenerated);

}  // namespace
}  // namespace perfwatch::ingest
