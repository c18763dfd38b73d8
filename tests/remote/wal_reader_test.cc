// Reading the TSDB WAL while it is written (remote/wal_reader.h): across segments, torn
// and still-landing tails, deleted segments, resuming from a position, series records
// that come after their samples, relabel drops.
#include "remote/wal_reader.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "remote_test_util.h"
#include "tsdb/record.h"
#include "tsdb/wal.h"

namespace perfwatch::remote {
namespace {

using testing::TempDir;
using testing::TestStore;

std::string SeriesRecord(uint64_t ref, const std::vector<std::pair<std::string, std::string>>& labels) {
  std::string buf;
  size_t start = tsdb::BeginWalRecord(buf);
  tsdb::EncodeSeriesRecordStart(buf);
  std::vector<tsdb::LabelView> views;
  for (const auto& l : labels) views.push_back({l.first, l.second});
  tsdb::EncodeSeriesEntry(buf, ref, views);
  tsdb::FinishWalRecord(buf, start);
  return buf;
}

std::string SamplesRecord(uint64_t ref, std::vector<tsdb::Sample> samples) {
  std::string buf;
  size_t start = tsdb::BeginWalRecord(buf);
  tsdb::EncodeSamplesRecordStart(buf, samples.front().t);
  tsdb::EncodeSamplesGroup(buf, samples.front().t, ref, samples);
  tsdb::FinishWalRecord(buf, start);
  return buf;
}

void RawAppend(const std::filesystem::path& file, std::string_view bytes) {
  int fd = ::open(file.c_str(), O_WRONLY | O_APPEND);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  ::close(fd);
}

std::vector<int64_t> Times(const std::vector<WalSample>& s) {
  std::vector<int64_t> out;
  for (const auto& x : s) out.push_back(x.t);
  return out;
}

std::unique_ptr<tsdb::WalWriter> Writer(const std::filesystem::path& dir) {
  auto w = tsdb::WalWriter::Open(dir, tsdb::WalOptions{}, 1);
  EXPECT_TRUE(w.ok()) << w.status().ToString();
  return std::move(w).value();
}

TEST(WalReader, ReadsAcrossSegmentsAndSkipsATornTail) {
  TempDir dir;
  auto w = Writer(dir.path());
  ASSERT_TRUE(w->Append(SeriesRecord(1, {{"__name__", "a"}})).ok());
  ASSERT_TRUE(w->Append(SamplesRecord(1, {{1, 1.0}, {2, 2.0}})).ok());
  ASSERT_TRUE(w->Cut().ok());
  // A crash left half a record at the end of segment 1.
  const std::string rec = SamplesRecord(1, {{3, 3.0}});
  RawAppend(dir.path() / "00000001", rec.substr(0, rec.size() / 2));
  ASSERT_TRUE(w->Append(SamplesRecord(1, {{4, 4.0}})).ok());
  ASSERT_TRUE(w->Cut().ok());
  ASSERT_TRUE(w->Append(SamplesRecord(1, {{5, 5.0}, {6, 6.0}})).ok());

  WalReader r(dir.path(), nullptr);
  ASSERT_TRUE(r.Start({}).ok());
  std::vector<WalSample> got;
  ASSERT_TRUE(r.NextSamples(1000, &got).ok());
  EXPECT_EQ(Times(got), (std::vector<int64_t>{1, 2, 4, 5, 6}));
  ASSERT_NE(r.Labels(1), nullptr);
  EXPECT_EQ(*r.Labels(1), (LabelPairs{{"__name__", "a"}}));
  EXPECT_EQ(r.position().segment, 3u);
  // Nothing new: nothing more.
  got.clear();
  ASSERT_TRUE(r.NextSamples(1000, &got).ok());
  EXPECT_TRUE(got.empty());
}

TEST(WalReader, WaitsForARecordStillLandingInTheLiveSegment) {
  TempDir dir;
  auto w = Writer(dir.path());
  ASSERT_TRUE(w->Append(SeriesRecord(1, {{"__name__", "a"}})).ok());
  ASSERT_TRUE(w->Append(SamplesRecord(1, {{1, 1.0}})).ok());
  const std::string rec = SamplesRecord(1, {{2, 2.0}, {3, 3.0}});
  RawAppend(dir.path() / "00000001", rec.substr(0, 11));
  WalReader r(dir.path(), nullptr);
  ASSERT_TRUE(r.Start({}).ok());
  std::vector<WalSample> got;
  ASSERT_TRUE(r.NextSamples(1000, &got).ok());
  EXPECT_EQ(Times(got), (std::vector<int64_t>{1}));
  ASSERT_TRUE(r.NextSamples(1000, &got).ok());
  EXPECT_EQ(Times(got), (std::vector<int64_t>{1}));  // still incomplete: not skipped
  RawAppend(dir.path() / "00000001", rec.substr(11));
  ASSERT_TRUE(r.NextSamples(1000, &got).ok());
  EXPECT_EQ(Times(got), (std::vector<int64_t>{1, 2, 3}));
}

TEST(WalReader, SkipsAndCountsADeletedSegment) {
  TempDir dir;
  auto w = Writer(dir.path());
  ASSERT_TRUE(w->Append(SeriesRecord(1, {{"__name__", "a"}})).ok());
  ASSERT_TRUE(w->Append(SamplesRecord(1, {{1, 1.0}})).ok());
  ASSERT_TRUE(w->Cut().ok());
  ASSERT_TRUE(w->Append(SamplesRecord(1, {{2, 2.0}})).ok());
  ASSERT_TRUE(w->Cut().ok());
  ASSERT_TRUE(w->Append(SamplesRecord(1, {{3, 3.0}})).ok());
  WalReader r(dir.path(), nullptr);
  ASSERT_TRUE(r.Start({}).ok());
  std::vector<WalSample> got;
  ASSERT_TRUE(r.NextSamples(1, &got).ok());  // reads segment 1's sample, then stops
  EXPECT_EQ(Times(got), (std::vector<int64_t>{1}));
  std::filesystem::remove(dir.path() / "00000002");
  ASSERT_TRUE(r.NextSamples(1000, &got).ok());
  EXPECT_EQ(Times(got), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(r.stats().segments_skipped, 1u);
}

TEST(WalReader, ResumesFromAPositionWithTheSeriesBeforeIt) {
  TempDir dir;
  auto w = Writer(dir.path());
  ASSERT_TRUE(w->Append(SeriesRecord(1, {{"__name__", "a"}})).ok());
  ASSERT_TRUE(w->Append(SamplesRecord(1, {{1, 1.0}})).ok());
  ASSERT_TRUE(w->Cut().ok());
  ASSERT_TRUE(w->Append(SeriesRecord(2, {{"__name__", "b"}})).ok());
  ASSERT_TRUE(w->Append(SamplesRecord(2, {{2, 2.0}})).ok());
  WalPosition mid;
  {
    WalReader r(dir.path(), nullptr);
    ASSERT_TRUE(r.Start({}).ok());
    std::vector<WalSample> got;
    ASSERT_TRUE(r.NextSamples(1000, &got).ok());
    EXPECT_EQ(got.size(), 2u);
    mid = r.position();
  }
  ASSERT_TRUE(w->Append(SamplesRecord(1, {{3, 3.0}})).ok());
  ASSERT_TRUE(w->Append(SamplesRecord(2, {{4, 4.0}})).ok());
  WalReader r(dir.path(), nullptr);
  ASSERT_TRUE(r.Start(mid).ok());
  std::vector<WalSample> got;
  ASSERT_TRUE(r.NextSamples(1000, &got).ok());
  EXPECT_EQ(Times(got), (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(r.num_series(), 2u);  // loaded from the records before `mid`
}

TEST(WalReader, SeriesRecordAfterItsSamples) {
  TempDir dir;
  auto w = Writer(dir.path());
  // Concurrent appenders can log a batch's samples before another batch's series record.
  ASSERT_TRUE(w->Append(SamplesRecord(7, {{1, 1.0}})).ok());
  ASSERT_TRUE(w->Append(SeriesRecord(7, {{"__name__", "late"}})).ok());
  WalReader r(dir.path(), nullptr);
  ASSERT_TRUE(r.Start({}).ok());
  std::vector<WalSample> got;
  ASSERT_TRUE(r.NextSamples(1000, &got).ok());
  EXPECT_EQ(Times(got), (std::vector<int64_t>{1}));
  EXPECT_EQ(r.stats().unknown_series_samples, 0u);
}

TEST(WalReader, UnknownSeriesWaitsThenDrops) {
  TempDir dir;
  auto w = Writer(dir.path());
  ASSERT_TRUE(w->Append(SeriesRecord(1, {{"__name__", "a"}})).ok());
  ASSERT_TRUE(w->Append(SamplesRecord(9, {{1, 1.0}})).ok());
  ASSERT_TRUE(w->Append(SamplesRecord(1, {{2, 2.0}})).ok());
  {
    WalReader waiting(dir.path(), nullptr, /*unknown_ref_grace_ms=*/3'600'000);
    ASSERT_TRUE(waiting.Start({}).ok());
    std::vector<WalSample> got;
    ASSERT_TRUE(waiting.NextSamples(1000, &got).ok());
    EXPECT_TRUE(got.empty());  // stops before the record it cannot resolve yet
  }
  WalReader r(dir.path(), nullptr, /*unknown_ref_grace_ms=*/0);
  ASSERT_TRUE(r.Start({}).ok());
  std::vector<WalSample> got;
  ASSERT_TRUE(r.NextSamples(1000, &got).ok());
  EXPECT_EQ(Times(got), (std::vector<int64_t>{2}));
  EXPECT_EQ(r.stats().unknown_series_samples, 1u);
}

TEST(WalReader, RelabelDropsAreCounted) {
  TempDir dir;
  auto w = Writer(dir.path());
  ASSERT_TRUE(w->Append(SeriesRecord(1, {{"__name__", "go_goroutines"}})).ok());
  ASSERT_TRUE(w->Append(SeriesRecord(2, {{"__name__", "up"}, {"job", "x"}})).ok());
  ASSERT_TRUE(w->Append(SamplesRecord(1, {{1, 1.0}, {2, 1.0}})).ok());
  ASSERT_TRUE(w->Append(SamplesRecord(2, {{3, 1.0}})).ok());
  RelabelConfig drop;
  drop.action = "drop";
  drop.source_labels = {"__name__"};
  drop.regex = "go_.*";
  auto relabel = Relabeler::Create({drop});
  ASSERT_TRUE(relabel.ok());
  WalReader r(dir.path(), &*relabel);
  ASSERT_TRUE(r.Start({}).ok());
  std::vector<WalSample> got;
  ASSERT_TRUE(r.NextSamples(1000, &got).ok());
  EXPECT_EQ(Times(got), (std::vector<int64_t>{3}));
  EXPECT_EQ(r.stats().relabel_dropped_samples, 2u);
  EXPECT_EQ(r.Labels(1), nullptr);
}

// The real writer: a Tsdb rolling small segments; every appended sample read once.
TEST(WalReader, ReadsWhatTheTsdbWrites) {
  TempDir dir;
  TestStore store(dir.path(), /*segment_bytes=*/4096);
  size_t appended = 0;
  for (int batch = 0; batch < 200; ++batch) {
    std::vector<std::pair<int64_t, double>> s;
    for (int i = 0; i < 5; ++i) s.emplace_back(1'000 * batch + i, batch * 10.0 + i);
    store.Append({{"__name__", "m"}, {"series", std::to_string(batch % 7)}}, s);
    appended += s.size();
  }
  auto segments = tsdb::ListWalSegments(store.wal_dir());
  ASSERT_TRUE(segments.ok());
  EXPECT_GE(segments->size(), 3u);
  WalReader r(store.wal_dir(), nullptr);
  ASSERT_TRUE(r.Start({}).ok());
  std::vector<WalSample> got;
  ASSERT_TRUE(r.NextSamples(SIZE_MAX, &got).ok());
  EXPECT_EQ(got.size(), appended);
  for (const WalSample& s : got) {
    ASSERT_NE(r.Labels(s.ref), nullptr);
    EXPECT_EQ((*r.Labels(s.ref))[1].second, std::to_string((s.t / 1000) % 7));
  }
}

}  // namespace
}  // namespace perfwatch::remote
