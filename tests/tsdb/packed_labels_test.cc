#include "tsdb/packed_labels.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace perfwatch::tsdb {
namespace {

TEST(PackedLabelsTest, RoundTripsAndCompares) {
  Labels l = Labels::FromPairs({{"__name__", "rum_lcp_seconds_bucket"}, {"app", "shop"}, {"le", "2.5"},
                                {"page", std::string(300, 'p')}});  // a length needing a 2-byte varint
  std::vector<LabelView> views = l.Views();
  PackedLabels p(views);
  std::vector<LabelView> scratch;
  auto decoded = p.Decode(&scratch);
  EXPECT_TRUE(LabelsEqual(decoded, views));
  EXPECT_EQ(p.size(), 4u);
  EXPECT_TRUE(p.Equals(views));
  // Packed: 1 count byte + per label lengths and bytes, far below 32 bytes per label view.
  EXPECT_EQ(p.bytes(), 1u + (1 + 8 + 1 + 22) + (1 + 3 + 1 + 4) + (1 + 2 + 1 + 3) + (1 + 4 + 2 + 300));

  std::vector<LabelView> other = views;
  other[2].value = "4";
  EXPECT_FALSE(p.Equals(other));
  other.pop_back();
  EXPECT_FALSE(p.Equals(other));
  EXPECT_FALSE(p.Equals({}));
}

TEST(PackedLabelsTest, AppendToKeepsExistingViewsAndEmptyValues) {
  std::vector<LabelView> in = {{"a", ""}, {"b", "x"}};
  PackedLabels p(in);
  std::vector<LabelView> out = {{"z", "z"}};
  EXPECT_EQ(p.AppendTo(&out), 2u);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].name, "z");
  EXPECT_EQ(out[1].name, "a");
  EXPECT_EQ(out[1].value, "");
  EXPECT_EQ(out[2].value, "x");
}

TEST(PackedLabelsTest, DefaultIsEmpty) {
  PackedLabels p;
  std::vector<LabelView> scratch = {{"x", "y"}};
  EXPECT_TRUE(p.Decode(&scratch).empty());
  EXPECT_EQ(p.size(), 0u);
  EXPECT_TRUE(p.Equals({}));
}

}  // namespace
}  // namespace perfwatch::tsdb
