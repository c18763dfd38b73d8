#include "common/memory_trim.h"

#include <malloc.h>
#include <time.h>

#include <algorithm>

#include "common/thread_name.h"

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

namespace {

std::chrono::nanoseconds ProcessCpuTime() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

}  // namespace

void MemoryTrimmer::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || interval_.count() <= 0) return;
  stopping_ = false;
  thread_ = NamedThread("pw-memory-trim", [this] {
    const auto tick = std::min<std::chrono::milliseconds>(interval_, std::chrono::milliseconds(250));
    auto last_trim = std::chrono::steady_clock::now();
    auto last_cpu = ProcessCpuTime();
    bool busy_since_trim = false;
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, tick, [this] { return stopping_; })) {
      lock.unlock();
      const auto now = std::chrono::steady_clock::now();
      const auto cpu = ProcessCpuTime();
      const double share = std::chrono::duration<double>(cpu - last_cpu).count() /
                           std::chrono::duration<double>(tick).count();  // of one core
      last_cpu = cpu;
      busy_since_trim |= share >= 0.25;
      // A burst just ended (busy before, quiet now), or the interval is up.
      if ((busy_since_trim && share < 0.05) || now - last_trim >= interval_) {
        TrimNow();
        last_trim = now;
        busy_since_trim = false;
      }
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
