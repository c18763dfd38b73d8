// RowChunk's value column (32 bits while open, 24 or 32 once sealed): every double must
// read back bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <iterator>
#include <memory>
#include <vector>

#include "events/partition.h"

namespace perfwatch::events {
namespace {

uint64_t Bits(double v) {
  uint64_t b;
  std::memcpy(&b, &v, 8);
  return b;
}

const double kValues[] = {0.0, -0.0, 1.0, 0.1, 2345.6, 0.0123, 0.25, 1e-9, -3.5, 123456.7,
                          536870911.0, 536870912.0, 1e300, 3.14159265358979, 0.1 + 0.2,
                          std::numeric_limits<double>::infinity(), std::nan(""), 53.6870911,
                          2097151.0, 2097152.0, 209715.1, 209715.2, 0.2097152, 17.25};

TEST(RowValueTest, RoundTripsBitForBit) {
  auto chunk = std::make_unique<RowChunk>(RowChunk::kRows);
  uint32_t i = 0;
  for (double v : kValues) chunk->Set(i++, 0, 0, 0, 0, v);
  i = 0;
  for (double v : kValues) {
    EXPECT_EQ(Bits(chunk->Value(i)), Bits(v)) << "value " << v;
    ++i;
  }
  // Short decimals stay in the 32-bit column; the others go to the wide list.
  // -0, 1e-9, -3.5, 2^29, 1e300, pi, 0.1 + 0.2, inf, NaN, 53.6870911 and 0.2097152 (7
  // decimals).
  EXPECT_EQ(chunk->wide.size(), 11u);
}

// A sealed chunk keeps values in 24 bits (k < 2^21) and moves larger short decimals to
// the wide list, unless too many would move.
TEST(RowValueTest, SealedChunksRoundTripBitForBit) {
  for (uint32_t large_every : {1024u, 4u}) {
    SCOPED_TRACE(large_every);
    RowChunk chunk(RowChunk::kRows);
    std::vector<double> want;
    for (uint32_t i = 0; i < RowChunk::kRows; ++i) {
      double v = i % large_every == 0 ? 300000.5 + i : i < 100 ? kValues[i % std::size(kValues)] : 12.5 + i % 7;
      want.push_back(v);
      chunk.Set(i, 0, i, 0, 0, v);
    }
    chunk.Seal();
    // 4 (or 1024) values with k >= 2^21, plus 2097152, 209715.2 and 536870911 in the first
    // 100 rows: up to kMaxWidened move to the wide list.
    EXPECT_EQ(chunk.value_bytes(), large_every == 1024 ? 3u : 4u);
    for (uint32_t i = 0; i < RowChunk::kRows; ++i) ASSERT_EQ(Bits(chunk.Value(i)), Bits(want[i])) << i << " " << want[i];
    chunk.VisitColumns([&](auto, auto, auto value) {
      for (uint32_t i = 0; i < RowChunk::kRows; ++i) {
        const double got = chunk.DecodeValue<decltype(value)::kWidth>(value[i]);
        ASSERT_EQ(Bits(got), Bits(want[i])) << i;
      }
    });
  }
}

}  // namespace
}  // namespace perfwatch::events
