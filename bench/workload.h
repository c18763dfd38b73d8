#pragma once
// The shared remote-write workload's series shapes (../shared/bench/gen_remote_write.py),
// reimplemented with a deterministic seed for the storage benchmarks: blocks of 542 series
// (one web server instance + one RUM country), 10 s interval with a per-target offset and
// 0-30 ms jitter per scrape. Used by chunk_benchmark.cc and block_benchmark.cc.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tsdb/chunk.h"

namespace perfwatch::bench {

using tsdb::Sample;


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

inline double RoundTo(double v, int decimals) {  // Python's round(): nearest double to the decimal
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
inline const char* kKindNames[] = {"counter", "bucket",   "sum",          "count", "memory",
                            "cpu",     "rum_1dec", "rum_cls_3dec", "all"};

struct Route {
  const char *path, *method;
  double rate, median;
};
inline const Route kRoutes[] = {{"/", "GET", 12.0, 0.045},
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
inline const char* kStatus[] = {"200", "304", "404", "500"};
inline const double kStatusP[] = {0.93, 0.03, 0.03, 0.01};
inline const double kLe[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0};
inline const char* kLeStr[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
                        "0.5",   "1",    "2.5",   "5",    "10",  "+Inf"};
inline const double kPages[] = {1.0, 1.15, 1.25, 1.1, 0.9, 1.05, 0.8, 0.95, 1.3, 0.9, 0.85, 1.4};
inline const double kDevices[] = {0.8, 1.35, 1.1};
inline const char* kDeviceNames[] = {"desktop", "mobile", "tablet"};
struct Vital {
  const char* name;
  double base;
  int decimals;
};
inline const Vital kVitals[] = {{"rum_lcp_p75_ms", 2100.0, 1},
                         {"rum_fcp_p75_ms", 1300.0, 1},
                         {"rum_inp_p75_ms", 170.0, 1},
                         {"rum_ttfb_p75_ms", 550.0, 1},
                         {"rum_cls_p75", 0.07, 3}};

struct WorkloadSeries {
  std::string key;  // name{labels}: sorts like a label set
  Kind kind;
  std::vector<Sample> samples;
};

// One 542-series block, `steps` scrapes.
inline void GenerateBlock(int k, int steps, int64_t t0, std::vector<WorkloadSeries>* out) {
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

}  // namespace perfwatch::bench
