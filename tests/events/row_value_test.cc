// RowChunk's 32-bit value column: every double must read back bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>

#include "events/partition.h"

namespace perfwatch::events {
namespace {

uint64_t Bits(double v) {
  uint64_t b;
  std::memcpy(&b, &v, 8);
  return b;
}

TEST(RowValueTest, RoundTripsBitForBit) {
  const double values[] = {0.0, -0.0, 1.0, 0.1, 2345.6, 0.0123, 0.25, 1e-9, -3.5, 123456.7,
                           536870911.0, 536870912.0, 1e300, 3.14159265358979, 0.1 + 0.2,
                           std::numeric_limits<double>::infinity(), std::nan(""), 53.6870911};
  auto chunk = std::make_unique<RowChunk>();
  uint32_t i = 0;
  for (double v : values) chunk->SetValue(i++, v);
  i = 0;
  for (double v : values) {
    EXPECT_EQ(Bits(chunk->Value(i)), Bits(v)) << "value " << v;
    ++i;
  }
  // Short decimals stay in the 32-bit column; the others go to the wide list.
  // -0, 1e-9, -3.5, 2^29, 1e300, pi, 0.1 + 0.2, inf, NaN and 53.6870911 (7 decimals).
  EXPECT_EQ(chunk->wide.size(), 10u);
}

}  // namespace
}  // namespace perfwatch::events
