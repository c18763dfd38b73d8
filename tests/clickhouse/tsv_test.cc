#include "clickhouse/tsv.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "clickhouse/forwarder.h"
#include "clickhouse/schema.h"

namespace perfwatch::clickhouse {
namespace {

const std::string kNasty = std::string("a'b\"c\\d\te\nf\rg") + std::string(1, '\0') + "h\b\f\xff\xfe\xc3(i" + "\\N";

TEST(TsvTest, FieldRoundTripsEveryByte) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  for (const std::string& s : {std::string(), kNasty, all}) {
    std::string line;
    AppendTsvField(line, s);
    EXPECT_EQ(line.find('\n'), std::string::npos);
    EXPECT_EQ(line.find('\t'), std::string::npos);
    EXPECT_EQ(line.find('\0'), std::string::npos);
    line += "\tx\n";
    auto rows = ParseTsv(line);
    ASSERT_TRUE(rows.ok()) << rows.status().message();
    ASSERT_EQ(rows->size(), 1u);
    ASSERT_EQ((*rows)[0].size(), 2u);
    EXPECT_EQ((*rows)[0][0], s);
    EXPECT_EQ((*rows)[0][1], "x");
  }
}

TEST(TsvTest, ParsesRowsAndRejectsBadShapes) {
  auto rows = ParseTsv("a\tb\nc\td");  // no final newline
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[1][1], "d");
  EXPECT_TRUE(ParseTsv("").ok());
  EXPECT_EQ(ParseTsv("")->size(), 0u);
  auto ragged = ParseTsv("a\tb\nc\n");
  ASSERT_FALSE(ragged.ok());
  EXPECT_NE(ragged.status().message().find("line 2"), std::string::npos);
  EXPECT_FALSE(ParseTsv("a\n", 2).ok());
  EXPECT_FALSE(ParseTsv("a\\").ok());
  EXPECT_FALSE(ParseTsv("a\\q\n").ok());
  // An empty line is a row with one empty field.
  auto empty = ParseTsv("\n", 1);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ((*empty)[0][0], "");
}

TEST(TsvTest, NumbersAreStrict) {
  EXPECT_EQ(*ParseUint("18446744073709551615"), UINT64_MAX);
  EXPECT_FALSE(ParseUint("").ok());
  EXPECT_FALSE(ParseUint("-1").ok());
  EXPECT_FALSE(ParseUint("12 ").ok());
  EXPECT_FALSE(ParseUint("18446744073709551616").ok());
  EXPECT_EQ(*ParseInt("-12"), -12);
  EXPECT_FALSE(ParseInt("1e3").ok());
}

TEST(SqlTest, StringLiteralsAreAsciiAndEscaped) {
  const std::string q = SqlString(kNasty);
  for (char c : q) {
    EXPECT_GE(static_cast<unsigned char>(c), 0x20);
    EXPECT_LT(static_cast<unsigned char>(c), 0x7F);
  }
  EXPECT_EQ(SqlString("it's"), "'it\\'s'");
  EXPECT_EQ(SqlString("a\\b"), "'a\\\\b'");
  EXPECT_EQ(SqlString(std::string("\n\0\xff", 3)), "'\\x0A\\x00\\xFF'");
  // No way out of the literal: the only quote left unescaped is the closing one.
  EXPECT_EQ(SqlString("x' OR 1=1 --"), "'x\\' OR 1=1 --'");
}

TEST(SqlTest, IdentifiersAreRestricted) {
  EXPECT_EQ(*SqlIdentifier("perf_watch1"), "`perf_watch1`");
  EXPECT_FALSE(SqlIdentifier("").ok());
  EXPECT_FALSE(SqlIdentifier("a`b").ok());
  EXPECT_FALSE(SqlIdentifier("a.b").ok());
  EXPECT_FALSE(SqlIdentifier("a b").ok());
}

TEST(SqlTest, DoubleBitsRoundTrip) {
  for (double v : {0.0, -0.0, 1.5, 87.50691697792669, std::numeric_limits<double>::denorm_min(),
                   std::numeric_limits<double>::infinity()}) {
    EXPECT_EQ(DoubleBits(DoubleFromBits(DoubleBits(v))), DoubleBits(v));
  }
  EXPECT_TRUE(std::isnan(DoubleFromBits(DoubleBits(std::nan("")))));
}

TEST(EventRowTest, EncodesEveryColumnEscaped) {
  events::EventRecord e;
  e.type = events::EventType::kVital;
  e.vital = events::Vital::kLCP;
  e.time_ms = 1700000000123;
  e.received_ms = 1700000000456;
  e.value = 2345.6;
  e.dims = {"shop", kNasty, "mobile", "4g", "Chrome"};
  e.name = "LCP";
  e.session_id = "s\t1";
  e.id = "v4-1";
  e.attrs_json = "{\"delta\":1}";
  std::string out;
  EncodeEventRow(out, e, "0123456789abcdef", 1699920000000, 42);
  ASSERT_EQ(out.back(), '\n');
  auto rows = ParseTsv(out);
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  ASSERT_EQ(rows->size(), 1u);
  const auto& r = (*rows)[0];
  // kEventColumns' order.
  const std::vector<std::string> want = {"shop", kNasty, "LCP", "1700000000123", "1700000000456", "vital",
                                         std::to_string(DoubleBits(2345.6)), "mobile", "4g", "Chrome", "LCP",
                                         "s\t1", "v4-1", "{\"delta\":1}", "0123456789abcdef", "1699920000000", "42"};
  EXPECT_EQ(r, want);
  size_t commas = 0;
  for (char c : kEventColumns) commas += c == ',';
  EXPECT_EQ(commas + 1, want.size());
}

TEST(CursorTest, RoundTripsAndIgnoresAnotherDestination) {
  std::map<int64_t, uint32_t> c = {{1700000000000, 12}, {1700086400000, 0}};
  const std::string text = EncodeCursor("http://h:8123", "pw", c);
  auto back = DecodeCursor(text, "http://h:8123", "pw");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, c);
  auto other = DecodeCursor(text, "http://h:8123", "other");
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->empty());
  EXPECT_FALSE(DecodeCursor("junk\n1 2\n", "http://h:8123", "pw").ok());
  EXPECT_FALSE(DecodeCursor(EncodeCursor("u", "d", {}) + "1 x\n", "u", "d").ok());
}

}  // namespace
}  // namespace perfwatch::clickhouse
