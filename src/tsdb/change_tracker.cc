#include "tsdb/change_tracker.h"

namespace perfwatch::tsdb {

uint64_t ChangeTracker::epoch() const {
  std::lock_guard lock(mu_);
  return epoch_;
}

void ChangeTracker::Record(int64_t min_t) {
  std::lock_guard lock(mu_);
  ++epoch_;
  min_t_[epoch_ % kHistory] = min_t;
}

void ChangeTracker::InvalidateAll() {
  std::lock_guard lock(mu_);
  ++epoch_;
  min_t_[epoch_ % kHistory] = INT64_MIN;
  invalidated_at_ = epoch_;
}

bool ChangeTracker::UnchangedSince(uint64_t epoch, int64_t t) const {
  std::lock_guard lock(mu_);
  if (epoch > epoch_) return false;  // not an epoch this tracker handed out
  if (invalidated_at_ > epoch) return false;
  if (epoch_ - epoch >= kHistory) return false;  // history no longer covers it
  for (uint64_t e = epoch + 1; e <= epoch_; ++e) {
    if (min_t_[e % kHistory] <= t) return false;
  }
  return true;
}

}  // namespace perfwatch::tsdb
