#include "tsdb/export_json.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>

#include "tsdb_test_util.h"

namespace perfwatch::tsdb {
namespace {

using testing::OwnedSeries;
using testing::Views;

std::string ExportAll(const Head& head, std::string_view selector, int64_t start, int64_t end) {
  auto q = head.NewQuerier(start, end);
  auto ms = ParseSelector(selector);
  EXPECT_TRUE(ms.ok());
  std::string out;
  Status s = ExportJsonLines(*q, *ms, start, end, [&](std::string_view chunk) {
    out.append(chunk);
    return true;
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

TEST(ExportJsonTest, VictoriaMetricsFormat) {
  Head head({}, nullptr);
  const double stale = std::bit_cast<double>(uint64_t{0x7ff0000000000002});
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<OwnedSeries> batch;
  batch.emplace_back(Labels::FromPairs({{"__name__", "up"}, {"Zone", "eu"}, {"job", "a\"b"}}),
                     std::vector<Sample>{{1000, 1}, {2000, 0.5}, {3000, stale}, {4000, inf}, {5000, -inf},
                                         {6000, std::nan("")}, {7000, 1e300}, {8000, -0.0}});
  batch.emplace_back(Labels::FromPairs({{"__name__", "up"}, {"job", "z"}}), std::vector<Sample>{{100, 2}});
  ASSERT_TRUE(head.AppendBatch(Views(batch)).ok());
  std::string out = ExportAll(head, "up", 0, 10000);
  EXPECT_EQ(out,
            "{\"metric\":{\"__name__\":\"up\",\"Zone\":\"eu\",\"job\":\"a\\\"b\"},"
            "\"values\":[1,0.5,null,+Inf,-Inf,null,1e+300,-0],"
            "\"timestamps\":[1000,2000,3000,4000,5000,6000,7000,8000]}\n"
            "{\"metric\":{\"__name__\":\"up\",\"job\":\"z\"},\"values\":[2],\"timestamps\":[100]}\n");
  // Range is inclusive; series without samples in range are left out.
  EXPECT_EQ(ExportAll(head, "up", 2000, 3000),
            "{\"metric\":{\"__name__\":\"up\",\"Zone\":\"eu\",\"job\":\"a\\\"b\"},"
            "\"values\":[0.5,null],\"timestamps\":[2000,3000]}\n");
  EXPECT_EQ(ExportAll(head, "nothing", 0, 10000), "");
}

TEST(ExportJsonTest, StreamsInChunksAndStops) {
  Head head({}, nullptr);
  std::vector<OwnedSeries> batch;
  for (int i = 0; i < 200; ++i) {
    std::vector<Sample> s;
    for (int k = 0; k < 100; ++k) s.push_back({k * 1000, k * 1.5});
    batch.emplace_back(Labels::FromPairs({{"__name__", "m"}, {"i", std::to_string(i)}}), std::move(s));
  }
  ASSERT_TRUE(head.AppendBatch(Views(batch)).ok());
  auto q = head.NewQuerier(INT64_MIN, INT64_MAX);
  auto ms = ParseSelector("m");
  int calls = 0;
  size_t total = 0;
  ASSERT_TRUE(ExportJsonLines(*q, *ms, INT64_MIN, INT64_MAX, [&](std::string_view c) {
                ++calls;
                total += c.size();
                EXPECT_LT(c.size(), kExportChunkBytes + 8192);
                return true;
              }).ok());
  EXPECT_GT(calls, 3);
  EXPECT_GT(total, 200u * 100u * 4u);
  int stopped_calls = 0;
  ASSERT_TRUE(ExportJsonLines(*q, *ms, INT64_MIN, INT64_MAX, [&](std::string_view) {
                ++stopped_calls;
                return false;
              }).ok());
  EXPECT_EQ(stopped_calls, 1);
}

}  // namespace
}  // namespace perfwatch::tsdb
