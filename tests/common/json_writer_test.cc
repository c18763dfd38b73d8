#include "common/json_writer.h"

#include <gtest/gtest.h>

#include <random>

namespace perfwatch {
namespace {

// The definition, one byte at a time.
std::string Naive(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string Appended(std::string_view s) {
  std::string out = "x";  // appends after existing content
  AppendJsonString(out, s);
  return out.substr(1);
}

std::string Written(std::string_view s) {
  std::string buf(6 * s.size() + 2 + 8, '\0');
  char* end = WriteJsonString(buf.data(), s);
  buf.resize(static_cast<size_t>(end - buf.data()));
  return buf;
}

TEST(JsonStringTest, BothWritersEscapeEveryByteAtEveryWordPosition) {
  for (size_t len = 1; len <= 24; ++len) {
    for (size_t at = 0; at < len; ++at) {
      for (int b = 0; b < 256; ++b) {
        std::string s(len, 'a');
        s[at] = static_cast<char>(b);
        std::string want = Naive(s);
        ASSERT_EQ(Appended(s), want) << "len " << len << " at " << at << " byte " << b;
        ASSERT_EQ(Written(s), want) << "len " << len << " at " << at << " byte " << b;
      }
    }
  }
}

TEST(JsonStringTest, RandomMixesOfCleanAndSpecialBytes) {
  // Neighbouring special bytes exercise the borrows in JsonEscapeMask.
  const std::string alphabet = std::string("ab/\"\\\x7f\x80\xc3\xa9\xe2\x9c\x93 \x1f\n\t\r\b\f", 20) + '\0';
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    std::string s(rng() % 40, ' ');
    for (char& c : s) c = alphabet[rng() % alphabet.size()];
    std::string want = Naive(s);
    ASSERT_EQ(Appended(s), want);
    ASSERT_EQ(Written(s), want);
  }
  EXPECT_EQ(Appended(""), "\"\"");
  EXPECT_EQ(Written(""), "\"\"");
}

}  // namespace
}  // namespace perfwatch
