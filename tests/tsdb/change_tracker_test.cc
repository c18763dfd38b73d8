#include "tsdb/change_tracker.h"

#include <gtest/gtest.h>

namespace perfwatch::tsdb {
namespace {

TEST(ChangeTrackerTest, OnlyAppendsAtOrBeforeTheTimeCount) {
  ChangeTracker c;
  uint64_t e = c.epoch();
  EXPECT_TRUE(c.UnchangedSince(e, 1000));
  c.Record(2000);  // new data after the time of interest
  EXPECT_TRUE(c.UnchangedSince(e, 1000));
  EXPECT_TRUE(c.UnchangedSince(e, 1999));
  EXPECT_FALSE(c.UnchangedSince(e, 2000));
  c.Record(500);  // a late sample in the past
  EXPECT_FALSE(c.UnchangedSince(e, 1000));
  uint64_t later = c.epoch();
  EXPECT_TRUE(c.UnchangedSince(later, 1000));
  EXPECT_FALSE(c.UnchangedSince(later + 5, 1000)) << "an epoch the tracker never handed out";
}

TEST(ChangeTrackerTest, InvalidateAllAndHistoryOverflow) {
  ChangeTracker c;
  uint64_t e = c.epoch();
  c.InvalidateAll();
  EXPECT_FALSE(c.UnchangedSince(e, INT64_MIN + 1));
  uint64_t e2 = c.epoch();
  for (size_t i = 0; i < ChangeTracker::kHistory - 1; ++i) c.Record(10'000);
  EXPECT_TRUE(c.UnchangedSince(e2, 5'000)) << "still covered by the ring";
  c.Record(10'000);
  EXPECT_FALSE(c.UnchangedSince(e2, 5'000)) << "older than the ring: assume changed";
}

}  // namespace
}  // namespace perfwatch::tsdb
