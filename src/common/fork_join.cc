#include "common/fork_join.h"

namespace perfwatch {

ForkJoin::~ForkJoin() {
  {
    std::lock_guard lock(mu_);
    quit_ = true;
  }
  start_cv_.notify_all();
  for (auto& t : helpers_) t.join();
}

void ForkJoin::Run(int n, const std::function<void(int)>& fn) {
  {
    std::lock_guard lock(mu_);
    while (static_cast<int>(helpers_.size()) < n - 1) {
      const int index = static_cast<int>(helpers_.size()) + 1;
      helpers_.emplace_back([this, index] { Helper(index); });
    }
    fn_ = &fn;
    parts_ = n;
    remaining_ = n - 1;
    ++generation_;
  }
  start_cv_.notify_all();
  fn(0);
  std::unique_lock lock(mu_);
  done_cv_.wait(lock, [this] { return remaining_ == 0; });
  fn_ = nullptr;
}

void ForkJoin::Helper(int index) {
  std::unique_lock lock(mu_);
  uint64_t seen = generation_;  // a helper created by a call takes part in that call
  if (parts_ > index && fn_) seen = generation_ - 1;
  for (;;) {
    start_cv_.wait(lock, [&] { return quit_ || generation_ != seen; });
    if (quit_) return;
    seen = generation_;
    if (index >= parts_) continue;
    const std::function<void(int)>* fn = fn_;
    lock.unlock();
    (*fn)(index);
    lock.lock();
    if (--remaining_ == 0) done_cv_.notify_one();
  }
}

}  // namespace perfwatch
