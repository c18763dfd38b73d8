#pragma once
// ForkJoin runs fn(0) .. fn(n-1) at once, fn(0) on the calling thread and the others on
// helper threads it keeps from call to call (created when a call first needs them), and
// returns when every one has returned. For code that splits each round of work over a
// varying number of parallel parts (remote write's shards) without creating threads per
// round: a thread's creation and exit (stack mapping, its malloc arena, TLB shootdowns)
// cost more than a round of small batches.
//
// Thread safety: Run from one thread at a time; the destructor joins the helpers (call it
// when no Run is in progress).
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace perfwatch {

class ForkJoin {
 public:
  ForkJoin() = default;
  ~ForkJoin();
  ForkJoin(const ForkJoin&) = delete;
  ForkJoin& operator=(const ForkJoin&) = delete;

  // `fn` must not throw; n >= 1.
  void Run(int n, const std::function<void(int)>& fn);

 private:
  void Helper(int index);  // runs fn(index) of each call with n > index

  std::mutex mu_;
  std::condition_variable start_cv_, done_cv_;
  std::vector<std::thread> helpers_;  // helpers_[k] runs part k + 1
  const std::function<void(int)>* fn_ = nullptr;
  int parts_ = 0;          // n of the call in progress
  int remaining_ = 0;      // helpers of the call in progress not done yet
  uint64_t generation_ = 0;  // calls so far
  bool quit_ = false;
};

}  // namespace perfwatch
