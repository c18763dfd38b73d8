#include "tsdb/labels.h"

#include <gtest/gtest.h>

#include <thread>

namespace perfwatch::tsdb {
namespace {

TEST(LabelsTest, FromViewsSortsAndDropsEmptyValues) {
  std::vector<LabelView> in = {{"job", "api"}, {"__name__", "up"}, {"empty", ""}, {"instance", "a:1"}};
  Labels l = Labels::FromViews(in);
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0].name, "__name__");
  EXPECT_EQ(l[1].name, "instance");
  EXPECT_EQ(l[2].name, "job");
  EXPECT_EQ(l.Get("job"), "api");
  EXPECT_EQ(l.Get("missing"), "");
  EXPECT_EQ(l.ToString(), "up{instance=\"a:1\", job=\"api\"}");
}

TEST(LabelsTest, ToStringEscapes) {
  Labels l = Labels::FromPairs({{"__name__", "m"}, {"path", "a\"b\\c\nd"}});
  EXPECT_EQ(l.ToString(), "m{path=\"a\\\"b\\\\c\\nd\"}");
}

TEST(LabelsTest, HashAndCompare) {
  Labels a = Labels::FromPairs({{"__name__", "up"}, {"job", "a"}});
  Labels b = Labels::FromPairs({{"job", "a"}, {"__name__", "up"}});
  Labels c = Labels::FromPairs({{"__name__", "up"}, {"job", "b"}});
  EXPECT_EQ(HashLabels(a.Views()), HashLabels(b.Views()));
  EXPECT_NE(HashLabels(a.Views()), HashLabels(c.Views()));
  EXPECT_EQ(CompareLabels(a.Views(), b.Views()), 0);
  EXPECT_LT(CompareLabels(a.Views(), c.Views()), 0);
  EXPECT_TRUE(LabelsEqual(a.Views(), b.Views()));
  // Boundary shifts must not collide: {ab="c"} vs {a="bc"}.
  std::vector<LabelView> x = {{"ab", "c"}}, y = {{"a", "bc"}};
  EXPECT_NE(HashLabels(x), HashLabels(y));
  // A prefix sorts first.
  Labels shorter = Labels::FromPairs({{"__name__", "up"}});
  EXPECT_LT(CompareLabels(shorter.Views(), a.Views()), 0);
}

TEST(SymbolTableTest, InternsOnceAndKeepsViewsStable) {
  SymbolTable t;
  std::string_view first = t.Intern("hello");
  std::vector<std::string_view> views;
  for (int i = 0; i < 10000; ++i) views.push_back(t.Intern("s" + std::to_string(i)));  // forces rehashes
  EXPECT_EQ(t.Intern(std::string("hel") + "lo").data(), first.data());
  EXPECT_EQ(first, "hello");
  for (int i = 0; i < 10000; ++i) EXPECT_EQ(views[i], "s" + std::to_string(i));
  EXPECT_EQ(t.size(), 10001u);
}

TEST(SymbolTableTest, ConcurrentInterning) {
  SymbolTable t;
  std::vector<std::thread> threads;
  std::vector<std::vector<const char*>> seen(4);
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&, k] {
      for (int i = 0; i < 2000; ++i) seen[k].push_back(t.Intern("v" + std::to_string(i)).data());
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(t.size(), 2000u);
  for (int k = 1; k < 4; ++k) EXPECT_EQ(seen[k], seen[0]);
}

}  // namespace
}  // namespace perfwatch::tsdb
