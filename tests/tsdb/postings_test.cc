// MemPostings: the head's label index keeps 4-byte offsets from a base ref; refs may
// arrive in any order (concurrent appenders, replay), below the first one included.
#include "tsdb/postings.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "tsdb/matcher.h"

namespace perfwatch::tsdb {
namespace {

TEST(MemPostingsTest, RefsBelowTheFirstAreIndexedInOrder) {
  MemPostings p;
  std::vector<LabelView> a = {{"job", "a"}};
  std::vector<LabelView> b = {{"job", "b"}};
  p.Add(1000, a);
  p.Add(999, b);  // created concurrently, added after a later ref
  p.Add(5, a);
  p.Add(1001, b);
  EXPECT_EQ(p.All(), (Postings{5, 999, 1000, 1001}));
  std::vector<Matcher> m;
  m.push_back(Matcher::Make(MatchType::kEqual, "job", "a").value());
  EXPECT_EQ(p.Select(m), (Postings{5, 1000}));
  EXPECT_EQ(p.num_series(), 4u);
}

std::vector<std::pair<std::string, uint64_t>> Flat(const std::vector<PostingsStat>& stats) {
  std::vector<std::pair<std::string, uint64_t>> out;
  for (const PostingsStat& s : stats) out.emplace_back(s.name, s.count);
  return out;
}

TEST(MemPostingsTest, StatsListTheLargestEntriesFirstAndBreakTiesByName) {
  MemPostings p;
  SeriesRef ref = 1;
  // http: 3 series, up: 2, go: 2 (tie with up), z: 1; job values a, b, c.
  for (auto [name, job] : std::vector<std::pair<std::string, std::string>>{
           {"http", "a"}, {"http", "b"}, {"http", "c"}, {"up", "a"}, {"up", "b"}, {"go", "a"}, {"go", "bb"}, {"z", "a"}}) {
    std::vector<LabelView> labels = {{"__name__", name}, {"job", job}};
    p.Add(ref++, labels);
  }
  PostingsStats all = p.Stats("__name__", 10);
  using V = std::vector<std::pair<std::string, uint64_t>>;
  EXPECT_EQ(Flat(all.series_by_metric), (V{{"http", 3}, {"go", 2}, {"up", 2}, {"z", 1}}));
  EXPECT_EQ(Flat(all.values_by_label), (V{{"__name__", 4}, {"job", 4}}));
  EXPECT_EQ(Flat(all.bytes_by_label), (V{{"__name__", 9}, {"job", 5}}));  // http+up+go+z; a+b+c+bb
  EXPECT_EQ(all.num_label_pairs, 8u);
  EXPECT_EQ(Flat(all.series_by_pair).front(), (std::pair<std::string, uint64_t>{"job=a", 4}));
  EXPECT_EQ(all.series_by_pair.size(), 8u);

  PostingsStats two = p.Stats("__name__", 2);
  EXPECT_EQ(Flat(two.series_by_metric), (V{{"http", 3}, {"go", 2}}));
  EXPECT_EQ(Flat(two.series_by_pair), (V{{"job=a", 4}, {"__name__=http", 3}}));
}

TEST(MemPostingsTest, StatsOfAnEmptyIndexAreEmpty) {
  MemPostings p;
  PostingsStats s = p.Stats("__name__", 10);
  EXPECT_TRUE(s.series_by_metric.empty());
  EXPECT_TRUE(s.series_by_pair.empty());
  EXPECT_EQ(s.num_label_pairs, 0u);
}

}  // namespace
}  // namespace perfwatch::tsdb
