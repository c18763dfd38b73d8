// Decoder::Varint: every uint64 round-trips; a varint that runs past 64 bits (a 10th byte
// above 1) or past the end of the input is refused rather than truncated.
#include "common/coding.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace perfwatch {
namespace {

uint64_t Decode(const std::string& bytes, bool* ok) {
  Decoder d(bytes.data(), bytes.size());
  uint64_t v = 0;
  *ok = d.Varint(&v);
  return v;
}

TEST(CodingTest, VarintRoundTripsTheEdges) {
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{127}, uint64_t{128}, uint64_t{1} << 63, UINT64_MAX}) {
    std::string s;
    PutVarint(s, v);
    bool ok = false;
    EXPECT_EQ(Decode(s, &ok), v);
    EXPECT_TRUE(ok) << v;
  }
}

TEST(CodingTest, VarintBeyondSixtyFourBitsOrTheInputIsRefused) {
  bool ok = true;
  Decode(std::string(9, '\xff') + '\x01', &ok);  // UINT64_MAX: 10 bytes, the last is 1
  EXPECT_TRUE(ok);
  Decode(std::string(9, '\xff') + '\x02', &ok);  // bit 64 set: not a uint64
  EXPECT_FALSE(ok);
  Decode(std::string(9, '\x80') + '\x7f', &ok);
  EXPECT_FALSE(ok);
  Decode(std::string(3, '\x80'), &ok);  // runs off the end
  EXPECT_FALSE(ok);
}

}  // namespace
}  // namespace perfwatch
