#include "common/flat_index.h"

#include <gtest/gtest.h>

#include <random>
#include <unordered_map>

namespace perfwatch {
namespace {

TEST(FlatIndex, FindsWhatWasInsertedAcrossGrowth) {
  FlatIndex index;  // starts at 16 slots: grows many times below
  std::unordered_map<uint64_t, uint32_t> want;
  std::mt19937_64 rng(7);
  for (uint32_t i = 0; i < 200'000; ++i) {
    // Keys alike in their low or their high half (session << 32 | template), and random ones.
    const uint64_t key = i % 3 == 0 ? (uint64_t{i} << 32) : i % 3 == 1 ? (uint64_t{7} << 32 | i) : rng() >> 1;
    auto [value, fresh] = index.TryEmplace(key);
    auto [it, added] = want.try_emplace(key, i);
    ASSERT_EQ(fresh, added) << key;
    if (fresh) {
      EXPECT_EQ(*value, 0u);
      *value = i;
    } else {
      EXPECT_EQ(*value, it->second);
    }
  }
  EXPECT_EQ(index.size(), want.size());
  for (const auto& [key, v] : want) {
    auto [value, fresh] = index.TryEmplace(key);
    EXPECT_FALSE(fresh);
    EXPECT_EQ(*value, v);
  }
  EXPECT_EQ(index.size(), want.size());
}

TEST(FlatIndex, KeyZeroAndLargestUsableKey) {
  FlatIndex index(4);
  *index.TryEmplace(0).first = 5;
  *index.TryEmplace(FlatIndex::kEmpty - 1).first = 6;
  EXPECT_EQ(*index.TryEmplace(0).first, 5u);
  EXPECT_EQ(*index.TryEmplace(FlatIndex::kEmpty - 1).first, 6u);
  EXPECT_EQ(index.size(), 2u);
}

}  // namespace
}  // namespace perfwatch
