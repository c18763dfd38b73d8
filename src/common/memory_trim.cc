#include "common/memory_trim.h"

#include <malloc.h>

namespace perfwatch {

MemoryTrimmer::MemoryTrimmer(std::chrono::milliseconds interval, MetricsRegistry* metrics) : interval_(interval) {
  if (metrics == nullptr) return;
  trims_ = metrics->GetCounter("perfwatch_memory_trims_total", "Times freed heap memory was returned to the kernel.");
  last_seconds_ = metrics->GetGauge("perfwatch_memory_trim_last_seconds", "Duration of the last heap trim.");
}

MemoryTrimmer::~MemoryTrimmer() { Stop(); }

void MemoryTrimmer::TrimNow() {
  auto start = std::chrono::steady_clock::now();
  malloc_trim(0);
  if (trims_) trims_->Inc();
  if (last_seconds_) last_seconds_->Set(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

void MemoryTrimmer::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || interval_.count() <= 0) return;
  stopping_ = false;
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, interval_, [this] { return stopping_; })) {
      lock.unlock();
      TrimNow();
      lock.lock();
    }
  });
}

void MemoryTrimmer::Stop() {
  std::thread t;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    t = std::move(thread_);
  }
  cv_.notify_all();
  if (t.joinable()) t.join();
}

}  // namespace perfwatch
