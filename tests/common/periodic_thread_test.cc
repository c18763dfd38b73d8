#include "common/periodic_thread.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace perfwatch {
namespace {

using namespace std::chrono_literals;

bool WaitFor(const std::function<bool()>& cond, std::chrono::milliseconds limit = 10s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

TEST(PeriodicThreadTest, CallsRepeatedlyUntilStoppedAndNeverAfter) {
  std::atomic<int> calls{0};
  PeriodicThread t;
  t.Start("pw-test", 5ms, [&] { calls++; });
  t.Start("pw-test", 5ms, [&] { calls += 1000; });  // already running: ignored
  ASSERT_TRUE(WaitFor([&] { return calls.load() >= 3; }));
  t.Stop();
  int at_stop = calls.load();
  EXPECT_LT(at_stop, 1000);
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(calls.load(), at_stop);
  t.Stop();  // idempotent
  // Startable again after Stop.
  t.Start("pw-test", 5ms, [&] { calls++; });
  ASSERT_TRUE(WaitFor([&] { return calls.load() > at_stop; }));
}

TEST(PeriodicThreadTest, StopWakesALongWaitAtOnceAndNonPositiveIntervalsRunNothing) {
  std::atomic<int> calls{0};
  PeriodicThread idle;
  idle.Start("pw-test", 0ms, [&] { calls++; });
  idle.Start("pw-test", -5ms, [&] { calls++; });
  PeriodicThread slow;
  slow.Start("pw-test", std::chrono::hours(1), [&] { calls++; });
  auto t0 = std::chrono::steady_clock::now();
  slow.Stop();  // must not wait for the hour
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ(calls.load(), 0);
}

}  // namespace
}  // namespace perfwatch
