#include "common/memory_trim.h"

#include <gtest/gtest.h>

#include <thread>

namespace perfwatch {
namespace {

TEST(MemoryTrimmerTest, TrimsPeriodicallyAndStopsPromptly) {
  MetricsRegistry metrics;
  MemoryTrimmer trimmer(std::chrono::milliseconds(10), &metrics);
  trimmer.Start();
  Counter* trims = metrics.GetCounter("perfwatch_memory_trims_total", "");
  for (int i = 0; i < 200 && trims->Value() < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_GE(trims->Value(), 2u);
  auto start = std::chrono::steady_clock::now();
  trimmer.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  uint64_t after = trims->Value();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(trims->Value(), after);
  trimmer.Stop();  // idempotent
}

TEST(MemoryTrimmerTest, ZeroIntervalNeverStartsAThread) {
  MetricsRegistry metrics;
  MemoryTrimmer trimmer(std::chrono::milliseconds(0), &metrics);
  trimmer.Start();
  trimmer.TrimNow();
  EXPECT_EQ(metrics.GetCounter("perfwatch_memory_trims_total", "")->Value(), 1u);
}

}  // namespace
}  // namespace perfwatch
