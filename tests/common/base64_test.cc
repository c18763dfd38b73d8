// Base64 as HTTP basic auth and SMTP AUTH use it.
#include "common/base64.h"

#include <gtest/gtest.h>

namespace perfwatch {
namespace {

TEST(Base64Test, EncodesWithPadding) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("user:pass"), "dXNlcjpwYXNz");
  EXPECT_EQ(Base64Encode("x:TT"), "eDpUVA==");
  EXPECT_EQ(Base64Encode("x:T!"), "eDpUIQ==");
  EXPECT_EQ(Base64Encode(std::string("\0u\0p", 4)), "AHUAcA==");
  for (std::string s : {"a", "ab", "abc", "abcd", "\xff\xfe\xfd"}) {
    EXPECT_EQ(Base64Decode(Base64Encode(s)), s) << s;
  }
}

TEST(Base64Test, DecodesWithAndWithoutPadding) {
  EXPECT_EQ(Base64Decode("dXNlcjpwYXNz"), "user:pass");
  EXPECT_EQ(Base64Decode("eDpU"), "x:T");
  EXPECT_EQ(Base64Decode("eDpUVA=="), "x:TT");
  EXPECT_EQ(Base64Decode("eDpUVA"), "x:TT");
  EXPECT_EQ(Base64Decode(""), "");
  EXPECT_FALSE(Base64Decode("eDp!VA=="));
  EXPECT_FALSE(Base64Decode("eDpUVA==="));
  EXPECT_FALSE(Base64Decode("eDpUV"));    // 4n+1 characters cannot be base64
  EXPECT_FALSE(Base64Decode("eDpUVA=")); // padding that does not complete a group
  EXPECT_FALSE(Base64Decode("eD pUVA=="));
}

}  // namespace
}  // namespace perfwatch
