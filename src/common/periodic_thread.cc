#include "common/periodic_thread.h"

namespace perfwatch {

void PeriodicThread::Start(std::chrono::milliseconds interval, std::function<void()> fn) {
  std::lock_guard lock(mu_);
  if (interval.count() <= 0 || thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this, interval, fn = std::move(fn)] {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      if (cv_.wait_for(lock, interval, [this] { return stopping_; })) break;
      lock.unlock();
      fn();
      lock.lock();
    }
  });
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
