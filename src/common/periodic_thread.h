#pragma once
// A background thread that calls a function every `interval` until Stop(): the writer
// loop of the in-memory aggregates (RUM histograms, span RED metrics) that flush to the
// TSDB on a timer. The first call comes one interval after Start(); Stop() wakes the
// thread at once and returns when the function no longer runs (it is not called again).
//
// Thread safety: Start and Stop may be called from any thread, any number of times; the
// function runs on the periodic thread only.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace perfwatch {

class PeriodicThread {
 public:
  PeriodicThread() = default;
  ~PeriodicThread() { Stop(); }
  PeriodicThread(const PeriodicThread&) = delete;
  PeriodicThread& operator=(const PeriodicThread&) = delete;

  // Starts calling `fn` every `interval` on a thread named `name` (common/thread_name.h);
  // no-op when already running or interval <= 0.
  void Start(std::string name, std::chrono::milliseconds interval, std::function<void()> fn);
  // The wait before the next call from now on (> 0; a reload): wakes the thread, which
  // calls `fn` once now and then every `interval`. Before Start: ignored (Start sets it).
  void SetInterval(std::chrono::milliseconds interval);
  // Wakes and joins the thread. Idempotent.
  void Stop();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::chrono::milliseconds interval_{0};  // guarded by mu_
  uint64_t interval_changes_ = 0;          // guarded by mu_
  std::thread thread_;     // guarded by mu_
};

}  // namespace perfwatch
