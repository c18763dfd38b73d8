#pragma once
// Simulated visitors for `perfwatch demo`: realistic page views (several routes, a device
// and connection mix, log-normal vitals, a few slow pages, JS errors, long tasks, slow
// resources) posted as RUM beacons through the real HTTP path (POST /api/rum on loopback),
// so a newcomer sees live data at once.
// Thread safety: Start/Stop from one thread; the simulator owns its worker thread.
#include <atomic>
#include <cstdint>
#include <random>
#include <string>
#include <thread>

#include "common/status.h"

namespace perfwatch::cli {

struct DemoOptions {
  uint16_t port = 9797;            // the server to post to, on 127.0.0.1
  double page_views_per_second = 5;
  int64_t backfill_ms = 3600'000;  // page views spread over this much past time at start
  uint64_t seed = 1;
};

class DemoSimulator {
 public:
  explicit DemoSimulator(DemoOptions options);
  ~DemoSimulator();
  DemoSimulator(const DemoSimulator&) = delete;
  DemoSimulator& operator=(const DemoSimulator&) = delete;

  void Start();
  void Stop();  // idempotent; joins the thread
  uint64_t page_views_sent() const { return page_views_sent_.load(); }

  // One page view's beacons as a JSON array, stamped `timestamp_ms` (exposed for tests).
  std::string PageViewBatch(int64_t timestamp_ms);

 private:
  void Run();

  const DemoOptions options_;
  std::mt19937_64 rng_;           // used only by the worker thread (and PageViewBatch's caller)
  uint64_t next_id_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> page_views_sent_{0};
  std::thread thread_;
};

}  // namespace perfwatch::cli
