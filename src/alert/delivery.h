#pragma once
// Delivers one integration's notifications (one receiver's webhook, PagerDuty, Slack or
// email config; integrations.h numbers them) from
// the persisted queue, in order: the oldest is attempted until it is delivered, dropped
// (a non-retryable answer) or given up on (older than give_up_after_ms), with exponential
// backoff and jitter between attempts (first_backoff_ms doubling up to max_backoff_ms,
// each wait drawn from [d/2, d]). Each worker has its own thread, so a slow or dead
// receiver never delays another; with threads off, RunDue() makes the attempts due now on
// the caller's thread. Finished notifications are tombstoned in the queue.
// Thread safety: thread-safe. Lock order: a worker's mutex before the queue's.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "alert/alert.h"
#include "alert/am_config.h"
#include "alert/integrations.h"
#include "alert/notify_queue.h"
#include "common/metrics.h"

namespace perfwatch::alert {

struct DeliveryOptions {
  const Clock* clock = nullptr;
  int64_t first_backoff_ms = 100;
  int64_t max_backoff_ms = 60'000;
  int64_t give_up_after_ms = 24 * 3600'000;
};

// Alertmanager's notification metrics for one integration type, plus the queue gauge.
struct DeliveryMetrics {
  Counter* requests_total = nullptr;
  Counter* requests_failed_total = nullptr;
  Counter* failed_client_error = nullptr;  // notifications_failed_total{reason="clientError"}
  Counter* failed_server_error = nullptr;  // {reason="serverError"}
  Counter* failed_other = nullptr;         // {reason="other"}
  Histogram* latency_seconds = nullptr;
  Gauge* queued = nullptr;  // perfwatch_alert_notifications_queued{receiver,integration}
};

class DeliveryWorker {
 public:
  DeliveryWorker(std::string receiver, uint32_t index, IntegrationConfig config,
                 NotifyQueue* queue, DeliveryOptions options, DeliveryMetrics metrics);
  ~DeliveryWorker();  // Stop()
  DeliveryWorker(const DeliveryWorker&) = delete;
  DeliveryWorker& operator=(const DeliveryWorker&) = delete;

  void StartThread();
  // Ends the thread; an attempt in flight is cancelled and stays queued.
  void Stop();

  // Takes a notification already appended to the queue; due at once.
  void Enqueue(QueuedNotification n);
  void UpdateConfig(IntegrationConfig config);
  // Attempts the notifications due at the clock's now, in order; returns the next
  // attempt time (INT64_MAX when idle). For start_threads = false.
  int64_t RunDue();
  // Tombstones every pending notification (the receiver left the configuration).
  void DropAll();
  // Tombstones the oldest pending notification not in flight; returns false when none.
  bool DropOldest();
  // The id of the oldest pending notification (UINT64_MAX when none).
  uint64_t OldestId() const;
  size_t pending() const;

 private:
  struct Item {
    QueuedNotification n;
    int attempts = 0;
    int64_t next_attempt_ms = 0;
  };
  void Run();
  // Attempts items_.front(); unlocks `lock` during the request.
  void AttemptFront(std::unique_lock<std::mutex>& lock);
  void PopFrontLocked();
  int64_t BackoffMs(int attempts);

  const std::string receiver_;
  const uint32_t index_;
  NotifyQueue* const queue_;
  const DeliveryOptions options_;
  const DeliveryMetrics metrics_;
  std::atomic<bool> cancel_{false};

  mutable std::mutex mu_;
  std::condition_variable cv_;
  IntegrationConfig config_;  // guarded by mu_
  std::deque<Item> items_;  // guarded by mu_; the front is never removed while in_flight_
  bool in_flight_ = false;  // guarded by mu_
  bool stop_ = false;       // guarded by mu_
  std::mt19937_64 rng_;     // guarded by mu_
  std::thread thread_;
};

}  // namespace perfwatch::alert
