#include "http/rate_limit.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

namespace perfwatch::http {

size_t RateLimiter::KeyHash::operator()(const std::array<uint8_t, 16>& k) const {
  uint64_t a, b;
  std::memcpy(&a, k.data(), 8);
  std::memcpy(&b, k.data() + 8, 8);
  // MurmurHash3's finaliser over both halves: every input bit reaches the low bits that
  // pick the shard.
  auto mix = [](uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
  };
  return static_cast<size_t>(mix(a ^ mix(b)));
}

RateLimiter::RateLimiter(RateLimiterOptions options)
    : rate_per_ns_(std::max(0.0, options.rate_per_second) / 1e9),
      burst_(std::max(1.0, options.burst)),
      shard_cap_(std::max<size_t>(8, options.max_entries / kShards)),
      shards_(new Shard[kShards]) {}

size_t RateLimiter::size() const {
  size_t n = 0;
  for (size_t i = 0; i < kShards; ++i) {
    std::lock_guard lock(shards_[i].mu);
    n += shards_[i].buckets.size();
  }
  return n;
}

void RateLimiter::SetRate(double rate_per_second, double burst) {
  rate_per_ns_.store(std::max(0.0, rate_per_second) / 1e9, std::memory_order_relaxed);
  burst_.store(std::max(1.0, burst), std::memory_order_relaxed);
}

void RateLimiter::MakeRoom(Shard& shard, int64_t now_ns, double rate_per_ns, double burst) {
  auto& map = shard.buckets;
  // Buckets full again are indistinguishable from new ones: dropping them loses nothing.
  const size_t before = map.size();
  for (auto it = map.begin(); it != map.end();) {
    const double refilled = it->second.tokens + static_cast<double>(now_ns - it->second.last_ns) * rate_per_ns;
    it = refilled >= burst ? map.erase(it) : std::next(it);
  }
  // A flood of distinct active clients: drop arbitrary buckets so the next sweep is
  // shard_cap_/8 inserts away (amortised O(1) per insert).
  if (before - map.size() < shard_cap_ / 8) {
    const size_t target = shard_cap_ - shard_cap_ / 8;
    while (map.size() > target) map.erase(map.begin());
  }
}

int64_t RateLimiter::Acquire(const IpAddress& client, int64_t now_ns) {
  std::array<uint8_t, 16> key = client.bytes;
  if (!client.is_v4()) std::memset(key.data() + 8, 0, 8);  // IPv6: one bucket per /64
  Shard& shard = shards_[KeyHash{}(key) % kShards];
  // One read of each per call (SetRate may change them meanwhile).
  const double rate_per_ns = rate_per_ns_.load(std::memory_order_relaxed);
  const double burst = burst_.load(std::memory_order_relaxed);
  std::lock_guard lock(shard.mu);
  auto it = shard.buckets.find(key);
  if (it == shard.buckets.end()) {
    if (shard.buckets.size() >= shard_cap_) MakeRoom(shard, now_ns, rate_per_ns, burst);
    it = shard.buckets.emplace(key, Bucket{burst, now_ns}).first;
  }
  Bucket& b = it->second;
  if (now_ns > b.last_ns) {
    b.tokens = std::min(burst, b.tokens + static_cast<double>(now_ns - b.last_ns) * rate_per_ns);
    b.last_ns = now_ns;
  }
  b.tokens = std::min(b.tokens, burst);  // a lowered burst
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return 0;
  }
  if (rate_per_ns <= 0) return 3600;  // never refills (not reached through the guard, which is off at 0)
  const double wait_s = (1.0 - b.tokens) / (rate_per_ns * 1e9);
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(wait_s - 1e-6)));  // 3.0000001 s -> 3
}

ClientRateLimitGuard::ClientRateLimitGuard(RateLimiterOptions options, TrustedProxies trusted,
                                           std::vector<std::string> route_labels, MetricsRegistry* metrics)
    : limiter_(options),
      enabled_(options.rate_per_second > 0),
      trusted_(std::make_shared<const TrustedProxies>(std::move(trusted))),
      route_labels_(std::move(route_labels)) {
  for (const std::string& label : route_labels_) {
    limited_.push_back(metrics == nullptr
                           ? nullptr
                           : metrics->GetCounter("perfwatch_http_rate_limited_total",
                                                 "Requests refused with 429 by a per-client rate limit "
                                                 "(rum.rate_limit_per_ip).",
                                                 {{"route", label}}));
  }
}

void ClientRateLimitGuard::SetOptions(const RateLimiterOptions& options) {
  if (options.rate_per_second > 0) limiter_.SetRate(options.rate_per_second, options.burst);
  enabled_.store(options.rate_per_second > 0, std::memory_order_relaxed);
}

void ClientRateLimitGuard::SetTrustedProxies(TrustedProxies trusted) {
  auto next = std::make_shared<const TrustedProxies>(std::move(trusted));
  std::lock_guard lock(trusted_mu_);
  trusted_.swap(next);
}

bool ClientRateLimitGuard::Admit(const Request& req, const RouteOptions& options, Response& res) {
  if (!enabled_.load(std::memory_order_relaxed)) return true;
  size_t route = 0;
  while (route < route_labels_.size() && route_labels_[route] != options.metric_label) ++route;
  if (route == route_labels_.size()) return true;
  std::shared_ptr<const TrustedProxies> trusted;
  {
    std::lock_guard lock(trusted_mu_);
    trusted = trusted_;
  }
  std::optional<IpAddress> client = ClientAddress(req, *trusted);
  if (!client || client->IsLoopback()) return true;
  const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::steady_clock::now().time_since_epoch())
                             .count();
  const int64_t wait_s = limiter_.Acquire(*client, now_ns);
  if (wait_s == 0) return true;
  if (limited_[route]) limited_[route]->Inc();
  WriteApiError(res, 429, "too_many_requests",
                "rate limit exceeded for this client address (rum.rate_limit_per_ip); retry later");
  res.headers.emplace_back("Retry-After", std::to_string(wait_s));
  return false;
}

}  // namespace perfwatch::http
