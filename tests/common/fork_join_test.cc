#include "common/fork_join.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace perfwatch {
namespace {

TEST(ForkJoinTest, EveryPartRunsOncePerCallWhateverTheCountFromCallToCall) {
  ForkJoin pool;
  for (int n : {1, 4, 2, 8, 1, 3, 8}) {
    std::vector<std::atomic<int>> runs(static_cast<size_t>(n));
    pool.Run(n, [&](int i) { runs[static_cast<size_t>(i)].fetch_add(1); });
    for (int i = 0; i < n; ++i) EXPECT_EQ(runs[static_cast<size_t>(i)].load(), 1) << "n=" << n << " part " << i;
  }
}

TEST(ForkJoinTest, PartZeroRunsOnTheCallerAndTheHelpersAreKept) {
  ForkJoin pool;
  std::mutex mu;
  std::vector<std::thread::id> first(3), second(3);
  pool.Run(3, [&](int i) {
    std::lock_guard lock(mu);
    first[static_cast<size_t>(i)] = std::this_thread::get_id();
  });
  pool.Run(3, [&](int i) {
    std::lock_guard lock(mu);
    second[static_cast<size_t>(i)] = std::this_thread::get_id();
  });
  EXPECT_EQ(first[0], std::this_thread::get_id());
  EXPECT_EQ(first, second);  // the same helper threads, not new ones
  EXPECT_EQ(std::set<std::thread::id>(first.begin(), first.end()).size(), 3u);
}

TEST(ForkJoinTest, PartsRunAtTheSameTimeAndRunReturnsAfterAllOfThem) {
  ForkJoin pool;
  constexpr int kParts = 4;
  std::mutex mu;
  std::condition_variable cv;
  int arrived = 0;
  std::atomic<int> met{0}, finished{0};
  pool.Run(kParts, [&](int) {
    std::unique_lock lock(mu);
    ++arrived;
    cv.notify_all();
    // Each part waits for all the others: only possible if they run at once.
    if (cv.wait_for(lock, std::chrono::seconds(10), [&] { return arrived == kParts; })) met.fetch_add(1);
    lock.unlock();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    finished.fetch_add(1);
  });
  EXPECT_EQ(met.load(), kParts);
  EXPECT_EQ(finished.load(), kParts);
}

}  // namespace
}  // namespace perfwatch
