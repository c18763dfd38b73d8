#pragma once
// MemoryTrimmer: a background thread that hands freed heap memory back to the kernel
// (glibc's malloc_trim). Ingest bursts leave freed chunks scattered through glibc's
// arenas; without a trim they stay resident although nothing uses them. A trim walks the
// arenas' free lists and releases whole free pages: cheap on an idle heap, but on a busy
// one (a 100,000-sample scrape every few seconds) each trim hands back pages the next
// scrape faults in again (trimming every second was 9% of such a scraper's CPU). So the
// thread samples the process' CPU time every 250 ms and trims when a burst has just ended
// (a tick of at least 25% of a core since the last trim, then a tick under 5%), and
// otherwise once per `interval`. The last trim's duration is exported as
// perfwatch_memory_trim_last_seconds.
// Thread safety: Start/Stop from one controlling thread.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/metrics.h"

namespace perfwatch {

class MemoryTrimmer {
 public:
  // `interval`: the longest time between two trims. `metrics` may be null.
  MemoryTrimmer(std::chrono::milliseconds interval, MetricsRegistry* metrics);
  ~MemoryTrimmer();  // Stop()
  MemoryTrimmer(const MemoryTrimmer&) = delete;
  MemoryTrimmer& operator=(const MemoryTrimmer&) = delete;

  void Start();
  void Stop();
  // One trim now, on the calling thread.
  void TrimNow();

 private:
  const std::chrono::milliseconds interval_;
  Counter* trims_ = nullptr;
  Gauge* last_seconds_ = nullptr;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;     // started/joined under mu_
};

}  // namespace perfwatch
