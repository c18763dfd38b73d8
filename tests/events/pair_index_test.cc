#include "events/pair_index.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

namespace perfwatch::events {
namespace {

TEST(PairIndexTest, MatchesAReferenceModelUnderInsertReplaceErase) {
  PairIndex index;
  std::set<std::pair<uint32_t, uint32_t>> model;  // (hash, row)
  std::mt19937 rng(7);
  uint32_t next_row = 0;
  for (int step = 0; step < 60000; ++step) {
    int op = rng() % 10;
    if (op < 6 || model.empty()) {
      uint32_t hash = rng() % 20000;  // collisions on purpose
      if (rng() % 4 == 0) hash = rng();
      index.Insert(hash, next_row);
      model.emplace(hash, next_row++);
    } else {
      auto it = model.begin();
      std::advance(it, rng() % std::min<size_t>(model.size(), 64));
      auto [hash, row] = *it;
      model.erase(it);
      if (op < 8) {
        ASSERT_TRUE(index.Erase(hash, row));
      } else {
        ASSERT_TRUE(index.Replace(hash, row, next_row));
        model.emplace(hash, next_row++);
      }
    }
  }
  ASSERT_EQ(index.size(), model.size());
  for (auto [hash, row] : model) {
    auto found = index.Find(hash, [&](uint32_t r) { return r == row; });
    ASSERT_TRUE(found.has_value()) << hash << " " << row;
  }
  EXPECT_FALSE(index.Find(123456789, [](uint32_t) { return true; }).has_value() &&
               !model.count({123456789, 0}));
}

TEST(PairIndexTest, ConfirmRejectsCollisions) {
  PairIndex index;
  index.Insert(42, 1);
  index.Insert(42, 2);
  auto found = index.Find(42, [](uint32_t r) { return r == 2; });
  ASSERT_TRUE(found);
  EXPECT_EQ(*found, 2u);
  EXPECT_FALSE(index.Find(42, [](uint32_t) { return false; }));
  EXPECT_FALSE(index.Erase(42, 3));
}

}  // namespace
}  // namespace perfwatch::events
