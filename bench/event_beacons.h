#pragma once
// Synthetic RUM beacons for the event store benchmarks: vital beacons from ~50k sessions
// over ~30 page templates, with realistic URLs, user agents, ids and attrs, and ~10% of
// beacons repeating an earlier (sessionId, id) pair (CLS/INP re-reports).
// Thread safety: not thread-safe.
#include <array>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "events/event.h"

namespace perfwatch::bench {

class BeaconGenerator {
 public:
  // Events get times spread over [start_ms, start_ms + span_ms).
  // `arena_bytes` bounds the string bytes of one Next() call (~200 bytes per beacon).
  BeaconGenerator(int64_t start_ms, int64_t span_ms, size_t arena_bytes = 4 << 20, uint32_t seed = 1)
      : start_(start_ms), span_(span_ms), rng_(seed) {
    arena_.reserve(arena_bytes);
  }

  // Replaces `out` by the next n beacons. Views stay valid until the next call.
  void Next(size_t n, std::vector<events::EventInput>& out) {
    static const char* kPages[30] = {"/", "/cart", "/checkout", "/search", "/login", "/account", "/p/:id",
                                     "/c/:id", "/c/:id/p/:id", "/blog", "/blog/:id", "/help", "/help/:id",
                                     "/orders", "/orders/:id", "/wishlist", "/compare", "/deals", "/new",
                                     "/brands", "/brands/:id", "/stores", "/stores/:id", "/about", "/careers",
                                     "/press", "/terms", "/privacy", "/contact", "/sitemap"};
    static const char* kAgents[6] = {
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.1 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile "
        "Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
        "Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
        "Safari/605.1.15",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
        "Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
        "Mobile/15E148 Safari/604.1"};
    static const char* kDevice[6] = {"mobile", "mobile", "desktop", "desktop", "desktop", "tablet"};
    static const char* kBrowser[6] = {"Safari", "Chrome", "Chrome", "Safari", "Firefox", "Safari"};
    static const char* kConn[4] = {"4g", "4g", "3g", "unknown"};
    static const char* kVital[5] = {"LCP", "INP", "CLS", "FCP", "TTFB"};
    arena_.clear();
    out.clear();
    for (size_t i = 0; i < n; ++i) {
      ++count_;
      events::EventInput e;
      int v = static_cast<int>(rng_() % 5);
      int page = static_cast<int>(rng_() % 30);
      e.type = events::EventType::kVital;
      e.vital = static_cast<events::Vital>(v + 1);
      e.time_ms = start_ + static_cast<int64_t>((count_ * 7919) % static_cast<uint64_t>(span_));
      // Sessions are short: a session's events fall within a few minutes of each other.
      uint32_t session = static_cast<uint32_t>(
          ((e.time_ms - start_) * static_cast<int64_t>(kSessions) / span_ + rng_() % 3) % kSessions);
      int agent = session % 6;  // a session keeps its device
      e.received_ms = e.time_ms + 40;
      e.value = v == 2 ? (rng_() % 500) / 1000.0 : 200 + (rng_() % 60000) / 10.0 + 0.1;
      e.dims[events::kApp] = "shop";
      e.dims[events::kPage] = kPages[page];
      e.dims[events::kDevice] = kDevice[agent];
      e.dims[events::kConnection] = kConn[session % 4];
      e.dims[events::kBrowser] = kBrowser[agent];
      e.name = kVital[v];
      e.user_agent = kAgents[agent];
      e.navigation_type = "navigate";
      e.rating = "good";
      e.session_id = Put("1700000000000-" + std::to_string(1000000 + session));
      if (count_ > 64 && rng_() % 10 == 0) {
        // A re-report of a recent pair (same session and id, new value).
        const auto& r = recent_[rng_() % recent_.size()];
        e.session_id = Put(r.first);
        e.id = Put(r.second);
      } else {
        e.id = Put("v4-" + std::to_string(e.time_ms) + "-" + std::to_string(count_));
        recent_[count_ % recent_.size()] = {std::string(e.session_id), std::string(e.id)};
      }
      std::string url = "https://shop.example";
      url += kPages[page];
      for (size_t p; (p = url.find(":id")) != std::string::npos;) url.replace(p, 3, std::to_string(rng_() % 5000));
      if (rng_() % 4 == 0) url += "?utm_source=news";
      e.url = Put(url);
      e.attrs_json = Put("{\"delta\":" + std::to_string(rng_() % 1000) + ",\"deviceMemory\":8,\"hardwareConcurrency\":8}");
      out.push_back(e);
    }
  }

 private:
  static constexpr uint32_t kSessions = 50000;
  std::string_view Put(const std::string& s) {
    if (arena_.size() + s.size() > arena_.capacity()) std::abort();  // arena too small for this batch
    size_t at = arena_.size();
    arena_.append(s);
    return std::string_view(arena_.data() + at, s.size());
  }

  const int64_t start_, span_;
  std::mt19937 rng_;
  uint64_t count_ = 0;
  std::string arena_;
  std::array<std::pair<std::string, std::string>, 256> recent_;
};

}  // namespace perfwatch::bench
