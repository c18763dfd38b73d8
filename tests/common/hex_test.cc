#include "common/hex.h"

#include <gtest/gtest.h>

namespace perfwatch {
namespace {

TEST(HexTest, SixteenLowercaseDigitsZeroPadded) {
  EXPECT_EQ(Hex64(0xabc), "0000000000000abc");
  EXPECT_EQ(Hex64(0), "0000000000000000");
  EXPECT_EQ(Hex64(UINT64_MAX), "ffffffffffffffff");
  EXPECT_EQ(Hex64(0x0123456789abcdefULL), "0123456789abcdef");
}

TEST(HexTest, ParsesBackEitherCaseAndRefusesAnythingElse) {
  uint64_t v = 7;
  ASSERT_TRUE(ParseHex64("0123456789ABCDEF", &v));
  EXPECT_EQ(v, 0x0123456789abcdefULL);
  ASSERT_TRUE(ParseHex64(Hex64(0xfeedface12345678ULL), &v));
  EXPECT_EQ(v, 0xfeedface12345678ULL);
  for (const char* bad : {"", "123", "0123456789abcdef0", "0123456789abcdeg", "0x23456789abcdef", " 123456789abcdef"}) {
    uint64_t w = 42;
    EXPECT_FALSE(ParseHex64(bad, &w)) << bad;
    EXPECT_EQ(w, 42u) << bad;
  }
}

}  // namespace
}  // namespace perfwatch
