// MemPostings: the head's label index keeps 4-byte offsets from a base ref; refs may
// arrive in any order (concurrent appenders, replay), below the first one included.
#include "tsdb/postings.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace perfwatch::tsdb
