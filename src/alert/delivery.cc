#include "alert/delivery.h"

#include <algorithm>
#include <chrono>
#include <climits>

#include "alert/webhook.h"
#include "common/log.h"
#include "common/thread_name.h"

namespace perfwatch::alert {

DeliveryWorker::DeliveryWorker(std::string receiver, uint32_t index, IntegrationConfig config,
                               NotifyQueue* queue, DeliveryOptions options, DeliveryMetrics metrics)
    : receiver_(std::move(receiver)),
      index_(index),
      queue_(queue),
      options_(options),
      metrics_(metrics),
      config_(std::move(config)),
      rng_(std::random_device{}()) {}

DeliveryWorker::~DeliveryWorker() { Stop(); }

void DeliveryWorker::StartThread() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stop_) return;
  thread_ = NamedThread("pw-notify", [this] { Run(); });
}

void DeliveryWorker::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cancel_.store(true);
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DeliveryWorker::Enqueue(QueuedNotification n) {
  {
    std::lock_guard lock(mu_);
    Item item;
    item.n = std::move(n);
    item.next_attempt_ms = 0;
    items_.push_back(std::move(item));
  }
  if (metrics_.queued) metrics_.queued->Add(1);
  cv_.notify_all();
}

void DeliveryWorker::UpdateConfig(IntegrationConfig config) {
  std::lock_guard lock(mu_);
  config_ = std::move(config);
}

int64_t DeliveryWorker::RunDue() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (items_.empty() || stop_) return INT64_MAX;
    const int64_t next = items_.front().next_attempt_ms;
    if (next > options_.clock->NowMs()) return next;
    AttemptFront(lock);
  }
}

void DeliveryWorker::Run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    if (items_.empty()) {
      cv_.wait(lock);
      continue;
    }
    const int64_t wait = items_.front().next_attempt_ms - options_.clock->NowMs();
    if (wait > 0) {
      cv_.wait_for(lock, std::chrono::milliseconds(std::min<int64_t>(wait, 1000)));
      continue;
    }
    AttemptFront(lock);
  }
}

void DeliveryWorker::AttemptFront(std::unique_lock<std::mutex>& lock) {
  // Copies: the deque may change while the lock is released.
  const IntegrationConfig config = config_;
  const uint64_t id = items_.front().n.id;
  const std::string body = items_.front().n.body;
  in_flight_ = true;
  lock.unlock();
  const auto start = std::chrono::steady_clock::now();
  WebhookAttempt attempt = SendIntegration(config, body, &cancel_);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  lock.lock();
  in_flight_ = false;
  if (items_.empty() || items_.front().n.id != id) return;  // dropped meanwhile
  if (stop_ && attempt.outcome != DeliveryOutcome::kDelivered)
    return;  // stays queued for the next start
  Item& item = items_.front();
  if (metrics_.latency_seconds) metrics_.latency_seconds->Observe(seconds);
  if (metrics_.requests_total) metrics_.requests_total->Inc();
  if (attempt.outcome == DeliveryOutcome::kDelivered) {
    if (item.attempts > 0) {
      PW_LOG_INFO("Notify success", "receiver={} integration={}[{}] attempts={}",
                  LogQuote(receiver_), config.type, IntegrationPosition(index_), item.attempts + 1);
    }
    PopFrontLocked();
    return;
  }
  if (metrics_.requests_failed_total) metrics_.requests_failed_total->Inc();
  ++item.attempts;
  const int64_t now = options_.clock->NowMs();
  const bool give_up = attempt.outcome == DeliveryOutcome::kDrop ||
                       now - item.n.created_ms >= options_.give_up_after_ms;
  if (!give_up) {
    if (item.attempts == 1 || item.attempts % 10 == 0) {
      PW_LOG_WARN("Notify attempt failed, will retry later",
                  "receiver={} integration={}[{}] attempts={} err={}", LogQuote(receiver_),
                  config.type, IntegrationPosition(index_), item.attempts, LogQuote(attempt.error));
    }
    item.next_attempt_ms = now + BackoffMs(item.attempts);
    return;
  }
  Counter* failed = attempt.reason == "clientError"   ? metrics_.failed_client_error
                    : attempt.reason == "serverError" ? metrics_.failed_server_error
                                                      : metrics_.failed_other;
  if (failed) failed->Inc();
  PW_LOG_ERROR(
      "Notify for alerts failed", "receiver={} integration={}[{}] attempts={} err={}",
      LogQuote(receiver_), config.type, IntegrationPosition(index_), item.attempts,
      LogQuote(attempt.outcome == DeliveryOutcome::kDrop ? "unrecoverable error: " + attempt.error
                                                         : "gave up: " + attempt.error));
  PopFrontLocked();
}

void DeliveryWorker::PopFrontLocked() {
  Status s = queue_->Remove(items_.front().n.id);
  if (!s.ok()) PW_LOG_WARN("notification queue", "err={}", LogQuote(s.ToString()));
  items_.pop_front();
  if (metrics_.queued) metrics_.queued->Add(-1);
}

int64_t DeliveryWorker::BackoffMs(int attempts) {
  int64_t d = std::max<int64_t>(options_.first_backoff_ms, 1);
  for (int i = 1; i < attempts && d < options_.max_backoff_ms; ++i) d *= 2;
  d = std::min(d, std::max<int64_t>(options_.max_backoff_ms, 1));
  std::uniform_int_distribution<int64_t> jitter(d / 2, d);
  return jitter(rng_);
}

void DeliveryWorker::DropAll() {
  std::lock_guard lock(mu_);
  while (!items_.empty()) {
    Status st = queue_->Remove(items_.back().n.id);
    if (!st.ok()) PW_LOG_WARN("notification queue", "err={}", LogQuote(st.ToString()));
    items_.pop_back();
    if (metrics_.queued) metrics_.queued->Add(-1);
  }
}

bool DeliveryWorker::DropOldest() {
  std::lock_guard lock(mu_);
  size_t pos = in_flight_ ? 1 : 0;
  if (items_.size() <= pos) return false;
  Status s = queue_->Remove(items_[pos].n.id);
  if (!s.ok()) PW_LOG_WARN("notification queue", "err={}", LogQuote(s.ToString()));
  items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(pos));
  if (metrics_.queued) metrics_.queued->Add(-1);
  if (metrics_.failed_other) metrics_.failed_other->Inc();
  return true;
}

uint64_t DeliveryWorker::OldestId() const {
  std::lock_guard lock(mu_);
  size_t pos = in_flight_ ? 1 : 0;
  return items_.size() <= pos ? UINT64_MAX : items_[pos].n.id;
}

size_t DeliveryWorker::pending() const {
  std::lock_guard lock(mu_);
  return items_.size();
}

}  // namespace perfwatch::alert
