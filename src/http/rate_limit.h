#pragma once
// Per-client token-bucket rate limits for public routes (rum.rate_limit_per_ip on
// /api/rum and /rum.js, docs/security.md).
//
// RateLimiter: one bucket per client key, refilled at `rate_per_second` up to `burst`;
// a request takes one token or is refused with the whole seconds until one is available
// (>= 1, for Retry-After). IPv6 clients are keyed by their /64 (one host usually owns a
// whole /64, so per-/128 buckets would be free to dodge). The table is bounded: at
// `max_entries` it first drops idle buckets that have refilled completely (dropping one
// loses nothing), then, under a flood of distinct active clients, arbitrary buckets
// down to 7/8 of the cap (those clients restart with a full burst; memory stays bounded).
// ClientRateLimitGuard: the RequestGuard applying a RateLimiter to the routes named by
// metric label, keyed by ClientAddress (X-Forwarded-For only from trusted proxies).
// Loopback clients are not limited (local tools, the demo, a same-host proxy that is not
// listed in http.trusted_proxies). Refusals: 429, Prometheus' error shape with errorType
// "too_many_requests", Retry-After; counted in perfwatch_http_rate_limited_total{route}.
// SetRate / ClientRateLimitGuard::SetOptions (a reload of rum.rate_limit_per_ip /
// rate_limit_burst) apply from the next request: buckets keep their tokens (capped at the
// new burst as they refill); a rate of 0 turns the guard off (every request admitted),
// a rate > 0 on again.
// Thread safety: Acquire/Admit/SetRate/SetOptions/SetTrustedProxies are thread-safe; the table is split into
// mutex-guarded shards so concurrent clients rarely contend; rate and burst are atomics.
#include <atomic>
#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/metrics.h"
#include "http/client_ip.h"
#include "http/router.h"

namespace perfwatch::http {

struct RateLimiterOptions {
  double rate_per_second = 50;
  double burst = 100;            // raised to at least 1
  size_t max_entries = 100'000;  // buckets kept at most (across all shards)
};

class RateLimiter {
 public:
  explicit RateLimiter(RateLimiterOptions options);
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Takes one token for `client` at `now_ns` (a monotonic clock). Returns 0 when
  // admitted, else the seconds to wait (>= 1).
  int64_t Acquire(const IpAddress& client, int64_t now_ns);
  size_t size() const;  // buckets held now
  // From the next Acquire (rate > 0; burst raised to at least 1).
  void SetRate(double rate_per_second, double burst);
  double rate_per_second() const { return rate_per_ns_.load(std::memory_order_relaxed) * 1e9; }
  double burst() const { return burst_.load(std::memory_order_relaxed); }

 private:
  struct Bucket {
    double tokens;
    int64_t last_ns;
  };
  struct KeyHash {
    size_t operator()(const std::array<uint8_t, 16>& k) const;
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::array<uint8_t, 16>, Bucket, KeyHash> buckets;
  };
  static constexpr size_t kShards = 32;
  void MakeRoom(Shard& shard, int64_t now_ns, double rate_per_ns, double burst);

  std::atomic<double> rate_per_ns_;
  std::atomic<double> burst_;
  const size_t shard_cap_;
  std::unique_ptr<Shard[]> shards_;
};

class ClientRateLimitGuard : public RequestGuard {
 public:
  // Limits the routes whose RouteOptions::metric_label is in `route_labels`; a
  // rate_per_second <= 0 admits everything (until SetOptions turns it on).
  ClientRateLimitGuard(RateLimiterOptions options, TrustedProxies trusted, std::vector<std::string> route_labels,
                       MetricsRegistry* metrics);
  bool Admit(const Request& req, const RouteOptions& options, Response& res) override;
  const RateLimiter& limiter() const { return limiter_; }
  // rate_per_second and burst from the next request (max_entries is kept); rate <= 0: off.
  void SetOptions(const RateLimiterOptions& options);
  // http.trusted_proxies from the next request (a reload).
  void SetTrustedProxies(TrustedProxies trusted);
  bool enabled() const { return enabled_.load(std::memory_order_relaxed); }

 private:
  RateLimiter limiter_;
  std::atomic<bool> enabled_;
  mutable std::mutex trusted_mu_;
  std::shared_ptr<const TrustedProxies> trusted_;  // guarded by trusted_mu_ (the pointer)
  std::vector<std::string> route_labels_;
  std::vector<Counter*> limited_;  // per route label
};

}  // namespace perfwatch::http
