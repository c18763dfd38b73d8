// Tsdb::SetRuntimeOptions (a configuration reload of the tsdb: keys): limits apply to
// appends from then on and survive a flush's new head, a lowered max_series keeps existing
// series, retention applies at the next flush, the fsync interval at once; bad values
// change nothing.
#include <gtest/gtest.h>

#include "common/metrics.h"
#include "common/time.h"
#include "tsdb/tsdb.h"
#include "tsdb_test_util.h"

namespace perfwatch::tsdb {
namespace {

using testing::OwnedSeries;
using testing::TempDir;
using testing::Views;

constexpr int64_t kHour = 3600'000;
constexpr int64_t kDay = 24 * kHour;

TsdbOptions Options(const std::filesystem::path& dir) {
  TsdbOptions o;
  o.dir = dir;
  o.maintenance_interval = std::chrono::milliseconds(0);
  o.head.limits.max_series = 2;
  return o;
}

OwnedSeries One(const std::string& name, int64_t t, const std::string& value = "x") {
  return OwnedSeries(Labels::FromPairs({{"__name__", name}, {"v", value}}), {{t, 1.0}});
}

Status AppendOne(Tsdb& db, const std::string& name, int64_t t, AppendResult* r, const std::string& value = "x") {
  std::vector<OwnedSeries> batch = {One(name, t, value)};
  return db.AppendBatch(Views(batch), r);
}

TEST(TsdbRuntimeOptionsTest, LoweredMaxSeriesKeepsSeriesAndRefusesNewOnesRaisedAcceptsThem) {
  TempDir dir;
  auto db = Tsdb::Open(Options(dir.path()), nullptr);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  const int64_t t = NowMs();
  AppendResult r;
  ASSERT_TRUE(AppendOne(**db, "a", t, &r).ok());
  ASSERT_TRUE(AppendOne(**db, "b", t, &r).ok());
  EXPECT_EQ(AppendOne(**db, "c", t, &r).code(), StatusCode::kInvalidArgument);

  TsdbRuntimeOptions o = (*db)->runtime_options();
  EXPECT_EQ(o.limits.max_series, 2u);
  o.limits.max_series = 1;  // below the 2 series the head has
  ASSERT_TRUE((*db)->SetRuntimeOptions(o).ok());
  EXPECT_EQ((*db)->head().limits().max_series, 1u);
  EXPECT_TRUE(AppendOne(**db, "a", t + 1000, &r).ok()) << "an existing series still takes samples";
  EXPECT_TRUE(AppendOne(**db, "b", t + 1000, &r).ok());
  EXPECT_EQ((*db)->head().num_series(), 2u);

  o.limits.max_series = 3;
  ASSERT_TRUE((*db)->SetRuntimeOptions(o).ok());
  r = {};
  EXPECT_TRUE(AppendOne(**db, "c", t, &r).ok());
  EXPECT_EQ(r.series_created, 1u);
  r = {};
  EXPECT_EQ(AppendOne(**db, "d", t, &r).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.rejected_by_reason[static_cast<size_t>(RejectReason::kSeriesLimit)], 1u);
}

TEST(TsdbRuntimeOptionsTest, LabelValueLengthAppliesToTheNextAppendAndToTheHeadAfterAFlush) {
  TempDir dir;
  auto db = Tsdb::Open(Options(dir.path()), nullptr);
  ASSERT_TRUE(db.ok());
  const int64_t t = (NowMs() / kHour - 3) * kHour;
  AppendResult r;
  ASSERT_TRUE(AppendOne(**db, "a", t, &r, std::string(20, 'v')).ok());
  TsdbRuntimeOptions o = (*db)->runtime_options();
  o.limits.max_label_value_length = 10;
  o.limits.max_series = 100;
  ASSERT_TRUE((*db)->SetRuntimeOptions(o).ok());
  r = {};
  EXPECT_EQ(AppendOne(**db, "b", t, &r, std::string(20, 'v')).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.rejected_by_reason[static_cast<size_t>(RejectReason::kLabelLimit)], 1u);
  EXPECT_TRUE(AppendOne(**db, "b", t, &r, std::string(10, 'v')).ok());

  ASSERT_TRUE((*db)->Flush().ok());  // a new head: it must have the set limits, not the opened ones
  EXPECT_EQ((*db)->head().limits().max_label_value_length, 10u);
  EXPECT_EQ((*db)->head().limits().max_series, 100u);
  r = {};
  EXPECT_EQ(AppendOne(**db, "c", t + 60'000, &r, std::string(11, 'v')).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.rejected_by_reason[static_cast<size_t>(RejectReason::kLabelLimit)], 1u);
}

TEST(TsdbRuntimeOptionsTest, NegativeValuesAreRefusedAndChangeNothing) {
  TempDir dir;
  auto db = Tsdb::Open(Options(dir.path()), nullptr);
  ASSERT_TRUE(db.ok());
  TsdbRuntimeOptions o = (*db)->runtime_options();
  o.limits.max_series = 50;
  o.retention_ms = -1;
  EXPECT_EQ((*db)->SetRuntimeOptions(o).code(), StatusCode::kInvalidArgument);
  o.retention_ms = kDay;
  o.wal_fsync_interval = std::chrono::milliseconds(-5);
  EXPECT_EQ(Tsdb::CheckRuntimeOptions(o).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*db)->SetRuntimeOptions(o).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*db)->runtime_options().limits.max_series, 2u);
  EXPECT_EQ((*db)->runtime_options().retention_ms, TsdbOptions{}.retention_ms);
  EXPECT_EQ((*db)->head().limits().max_series, 2u);
}

TEST(TsdbRuntimeOptionsTest, LoweredRetentionDeletesOldBlocksAtTheNextFlush) {
  TempDir dir;
  auto db = Tsdb::Open(Options(dir.path()), nullptr);
  ASSERT_TRUE(db.ok());
  const int64_t old_t = (NowMs() / kHour) * kHour - 5 * kDay;  // kept by the default 30 days
  AppendResult r;
  ASSERT_TRUE(AppendOne(**db, "a", old_t, &r).ok());
  ASSERT_TRUE((*db)->Flush().ok());
  ASSERT_EQ((*db)->blocks().Stats().samples, 1u);

  TsdbRuntimeOptions o = (*db)->runtime_options();
  o.retention_ms = 2 * kDay;
  ASSERT_TRUE((*db)->SetRuntimeOptions(o).ok());
  EXPECT_EQ((*db)->blocks().Stats().samples, 1u) << "retention waits for the next maintenance flush";
  ASSERT_TRUE((*db)->Flush().ok());
  EXPECT_EQ((*db)->blocks().Stats().samples, 0u);
}

TEST(TsdbRuntimeOptionsTest, FsyncIntervalZeroMakesEveryAppendFsync) {
  TempDir dir;
  MetricsRegistry metrics;
  TsdbOptions opts = Options(dir.path());
  opts.wal_fsync_interval = std::chrono::hours(1);  // the background thread never gets to it
  auto db = Tsdb::Open(opts, &metrics);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->Start().ok());
  Counter* fsyncs = metrics.GetCounter("perfwatch_tsdb_wal_fsyncs_total", "");
  const int64_t t = NowMs();
  AppendResult r;
  const uint64_t before = fsyncs->Value();
  ASSERT_TRUE(AppendOne(**db, "a", t, &r).ok());
  EXPECT_EQ(fsyncs->Value(), before) << "with an interval, appends do not fsync";

  TsdbRuntimeOptions o = (*db)->runtime_options();
  o.wal_fsync_interval = std::chrono::milliseconds(0);
  ASSERT_TRUE((*db)->SetRuntimeOptions(o).ok());
  for (int i = 1; i <= 3; ++i) {
    const uint64_t n = fsyncs->Value();
    ASSERT_TRUE(AppendOne(**db, "a", t + i * 1000, &r).ok());
    EXPECT_GT(fsyncs->Value(), n) << "append " << i << " is fsynced before it returns";
  }
  (*db)->Stop();
}

}  // namespace
}  // namespace perfwatch::tsdb
