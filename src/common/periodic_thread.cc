#include "common/periodic_thread.h"

#include "common/thread_name.h"

namespace perfwatch {

void PeriodicThread::Start(std::string name, std::chrono::milliseconds interval, std::function<void()> fn) {
  std::lock_guard lock(mu_);
  if (interval.count() <= 0 || thread_.joinable()) return;
  stopping_ = false;
  interval_ = interval;
  thread_ = NamedThread(std::move(name), [this, fn = std::move(fn)] {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      const uint64_t changes = interval_changes_;
      cv_.wait_for(lock, interval_, [this, changes] { return stopping_ || interval_changes_ != changes; });
      if (stopping_) break;
      lock.unlock();
      fn();
      lock.lock();
    }
  });
}

void PeriodicThread::SetInterval(std::chrono::milliseconds interval) {
  if (interval.count() <= 0) return;
  {
    std::lock_guard lock(mu_);
    if (!thread_.joinable()) return;
    interval_ = interval;
    ++interval_changes_;
  }
  cv_.notify_all();
}

void PeriodicThread::Stop() {
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
