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

namespace perfwatch::tsdb {
namespace {

// ---- workload --------------------------------------------------------------------------

class Rng {  // xoshiro256** seeded by splitmix64: deterministic everywhere
 public:
  explicit Rng(uint64_t seed) {
    for (auto& x : s_) {
      seed += 0x9e3779b97f4a7c15ULL;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      x = z ^ (z >> 31);
    }
  }
  uint64_t Next() {
    uint64_t r = Rotl(s_[1] * 5, 7) * 9, t = s_[1] << 17;
    s_[2] ^= s_[0], s_[3] ^= s_[1], s_[1] ^= s_[2], s_[0] ^= s_[3], s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return r;
  }
  double Uniform() { return double(Next() >> 11) * 0x1.0p-53; }
  double Uniform(double a, double b) { return a + (b - a) * Uniform(); }
  double Gauss(double mu, double sigma) {
    double u1 = Uniform(), u2 = Uniform();
    return mu + sigma * std::sqrt(-2 * std::log(1 - u1)) * std::cos(2 * M_PI * u2);
  }
  int64_t Poisson(double lam) {
    if (lam <= 0) return 0;
    if (lam < 30) {
      double limit = std::exp(-lam), p = Uniform();
      int64_t k = 0;
      while (p > limit) ++k, p *= Uniform();
      return k;
    }
    return std::max<int64_t>(0, std::llround(Gauss(lam, std::sqrt(lam))));
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

double RoundTo(double v, int decimals) {  // Python's round(): nearest double to the decimal
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return std::strtod(buf, nullptr);
}

enum Kind {
  kCounter,
  kBucket,
  kSum,
  kCount,
  kMemory,
  kCpu,
  kRum1,
  kRum3,
  kNumKinds,
  kAll = kNumKinds
};
const char* kKindNames[] = {"counter", "bucket",   "sum",          "count", "memory",
                            "cpu",     "rum_1dec", "rum_cls_3dec", "all"};

struct Route {
  const char *path, *method;
  double rate, median;
};
const Route kRoutes[] = {{"/", "GET", 12.0, 0.045},
                         {"/search", "GET", 6.0, 0.120},
                         {"/product/:id", "GET", 15.0, 0.060},
                         {"/category/:slug", "GET", 5.0, 0.080},
                         {"/cart", "GET", 3.0, 0.050},
                         {"/api/cart", "POST", 2.5, 0.070},
                         {"/api/checkout", "POST", 0.6, 0.350},
                         {"/login", "POST", 0.8, 0.150},
                         {"/api/session", "GET", 9.0, 0.012},
                         {"/static/*", "GET", 40.0, 0.004},
                         {"/api/recommendations", "GET", 7.0, 0.200},
                         {"/account", "GET", 1.2, 0.090},
                         {"/api/orders", "GET", 1.5, 0.110},
                         {"/api/orders", "POST", 0.5, 0.300},
                         {"/api/search/suggest", "GET", 11.0, 0.025},
                         {"/blog/:slug", "GET", 2.0, 0.070},
                         {"/api/reviews", "GET", 2.2, 0.060},
                         {"/api/reviews", "POST", 0.2, 0.180},
                         {"/health", "GET", 1.0, 0.002},
                         {"/api/inventory", "GET", 4.0, 0.040}};
constexpr int kRouteCount = 20;
const char* kStatus[] = {"200", "304", "404", "500"};
const double kStatusP[] = {0.93, 0.03, 0.03, 0.01};
const double kLe[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0};
const char* kLeStr[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
                        "0.5",   "1",    "2.5",   "5",    "10",  "+Inf"};
const double kPages[] = {1.0, 1.15, 1.25, 1.1, 0.9, 1.05, 0.8, 0.95, 1.3, 0.9, 0.85, 1.4};
const double kDevices[] = {0.8, 1.35, 1.1};
const char* kDeviceNames[] = {"desktop", "mobile", "tablet"};
struct Vital {
  const char* name;
  double base;
  int decimals;
};
const Vital kVitals[] = {{"rum_lcp_p75_ms", 2100.0, 1},
                         {"rum_fcp_p75_ms", 1300.0, 1},
                         {"rum_inp_p75_ms", 170.0, 1},
                         {"rum_ttfb_p75_ms", 550.0, 1},
                         {"rum_cls_p75", 0.07, 3}};

struct Series {
  std::string key;  // name{labels}: sorts like a label set
  Kind kind;
  std::vector<Sample> samples;
};

// One 542-series block, `steps` scrapes.
void GenerateBlock(int k, int steps, int64_t t0, std::vector<Series>* out) {
  Rng rng(42 * 1'000'003ULL + k);
  std::string inst = "instance=web-" + std::to_string(1000 + k).substr(1) + ":8080";
  size_t first = out->size();
  auto add = [&](std::string key, Kind kind) {
    out->push_back({std::move(key), kind, {}});
    out->back().samples.reserve(steps);
  };
  for (auto& r : kRoutes)
    for (auto* st : kStatus)
      add(std::string("http_requests_total{env=prod,") + inst + ",method=" + r.method +
              ",route=" + r.path + ",status=" + st,
          kCounter);
  for (auto& r : kRoutes) {
    std::string l = std::string("{env=prod,") + inst + ",method=" + r.method + ",route=" + r.path;
    for (auto* le : kLeStr)
      add(std::string("http_request_duration_seconds_bucket{env=prod,") + inst + ",le=" + le +
              ",method=" + r.method + ",route=" + r.path,
          kBucket);
    add("http_request_duration_seconds_sum" + l, kSum);
    add("http_request_duration_seconds_count" + l, kCount);
  }
  add("process_resident_memory_bytes{env=prod," + inst, kMemory);
  add("process_cpu_seconds_total{env=prod," + inst, kCpu);
  std::string country = "country=C" + std::to_string(k % 20);
  for (int p = 0; p < 12; ++p)
    for (int d = 0; d < 3; ++d)
      for (auto& v : kVitals)
        add(std::string(v.name) + "{" + country + ",device=" + kDeviceNames[d] + ",page=p" +
                std::to_string(p),
            v.decimals == 3 ? kRum3 : kRum1);

  double scale = std::exp(rng.Gauss(0, 0.35)), phase = rng.Uniform() * 2 * M_PI;
  int64_t req[kRouteCount][4] = {}, bucket[kRouteCount][11] = {}, count[kRouteCount] = {};
  double sum[kRouteCount] = {}, drift[kRouteCount] = {}, sigma[kRouteCount];
  for (double& s : sigma) s = 0.55 + 0.25 * rng.Uniform();
  int64_t rss_base = 4096 * int64_t(rng.Uniform(180e6, 420e6) / 4096), rss = rss_base;
  double cpu = RoundTo(rng.Uniform(1000, 50000), 2), cpu_util = rng.Uniform(0.15, 0.6);
  int incident = 0, incident_route = 0;
  double cf = std::exp(rng.Gauss(0, 0.15)), rum_drift = 0;
  int64_t offset_ms = int64_t(rng.Uniform() * 10'000);
  std::vector<double> vals;
  for (int i = 0; i < steps; ++i) {
    vals.clear();
    double day = 1.0 + 0.25 * std::sin(2 * M_PI * i * 10 / 86400.0 + phase);
    if (incident == 0 && rng.Uniform() < 0.004) {
      incident = 20 + int(rng.Next() % 41);
      incident_route = int(rng.Next() % kRouteCount);
    }
    int64_t totals[kRouteCount];
    for (int r = 0; r < kRouteCount; ++r) {
      double lam = kRoutes[r].rate * scale * day * 10;
      totals[r] = 0;
      for (int s = 0; s < 4; ++s) {
        double pp = kStatusP[s] * (incident && r == incident_route && s == 3 ? 15 : 1);
        int64_t inc = rng.Poisson(lam * pp);
        req[r][s] += inc;
        totals[r] += inc;
        vals.push_back(double(req[r][s]));
      }
    }
    if (incident) --incident;
    for (int r = 0; r < kRouteCount; ++r) {
      double d = drift[r] = 0.97 * drift[r] + rng.Gauss(0, 0.04);
      if (incident && r == incident_route) d += 0.8;
      double lmed = std::log(kRoutes[r].median) + d, sig = sigma[r], u = rng.Uniform();
      double inv = 1.0 / (sig * std::sqrt(2.0));
      for (int j = 0; j < 11; ++j) {
        double f = 0.5 * (1.0 + std::erf((std::log(kLe[j]) - lmed) * inv));
        bucket[r][j] += int64_t(double(totals[r]) * f + u);
        vals.push_back(double(bucket[r][j]));
      }
      count[r] += totals[r];
      vals.push_back(double(count[r]));  // +Inf
      sum[r] += double(totals[r]) * std::exp(lmed + sig * sig / 2) * (1.0 + rng.Gauss(0, 0.03));
      vals.push_back(sum[r]);
      vals.push_back(double(count[r]));
    }
    rss += 4096 * int64_t(rng.Gauss(0, 300)) + int64_t(0.05 * double(rss_base - rss)) / 4096 * 4096;
    vals.push_back(double(rss));
    cpu = RoundTo(cpu + std::max(0.0, rng.Gauss(cpu_util, 0.05)) * 10, 2);
    vals.push_back(cpu);
    rum_drift = 0.98 * rum_drift + rng.Gauss(0, 0.01);
    int idx = 0;
    for (double pf : kPages)
      for (double df : kDevices)
        for (auto& v : kVitals) {
          (void)idx++;
          double x = v.base * pf * df * cf * std::exp(rum_drift + rng.Gauss(0, 0.08));
          vals.push_back(RoundTo(x, v.decimals));
        }
    int64_t jitter = int64_t(rng.Next() % 31);
    int64_t ts = t0 + int64_t(i) * 10'000 - offset_ms - jitter;
    for (size_t s = 0; s < vals.size(); ++s) (*out)[first + s].samples.push_back({ts, vals[s]});
  }
}

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
