#include "analysis/changepoint_csv.h"

#include <gtest/gtest.h>

namespace perfwatch::analysis {
namespace {

TEST(ChangepointCsvTest, OneColumnNoHeader) {
  auto r = ParseSeriesCsv("1\n2.5\r\n\n# comment\n+3e2\n", "", "");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->values, (std::vector<double>{1, 2.5, 300}));
  EXPECT_TRUE(r->times.empty());
  EXPECT_EQ(r->value_column, "column 1");
}

TEST(ChangepointCsvTest, HeaderQuotesAndNamedColumns) {
  auto r = ParseSeriesCsv("\"when\",\"p95, ms\",n\n\"2026-12-01\",\" 10 \",1\n2026-12-02,\"11\",2\n", "p95, ms", "when");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->values, (std::vector<double>{10, 11}));
  EXPECT_EQ(r->times, (std::vector<std::string>{"2026-12-01", "2026-12-02"}));
  EXPECT_EQ(r->value_column, "p95, ms");
  r = ParseSeriesCsv("t,a,b\n1,2,3\n4,5,6\n", "3", "none");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->values, (std::vector<double>{3, 6}));
  EXPECT_EQ(r->value_column, "b");
  r = ParseSeriesCsv("t,\"say \"\"hi\"\"\"\n1,2\n", "say \"hi\"", "");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->times, (std::vector<std::string>{"1"}));
}

TEST(ChangepointCsvTest, ErrorsNameTheLine) {
  auto message = [](std::string_view text, std::string_view col = "") {
    auto r = ParseSeriesCsv(text, col, "");
    return r.ok() ? std::string("ok") : std::string(r.status().message());
  };
  EXPECT_EQ(message("t,v\n1,2\n2,NaN\n"), "line 3: \"NaN\" is not a finite number");
  EXPECT_EQ(message("t,v\n1,2\n3\n"), "line 3: 1 fields, the columns need 2");
  EXPECT_EQ(message("t,v\n\"1,2\n"), "line 2: unterminated quote");
  EXPECT_EQ(message("t,v\n"), "no data rows");
  EXPECT_EQ(message(""), "no data rows");
  EXPECT_EQ(message("t,v\n1,2\n", "5"), "value column \"5\" is not a header name or a position from 1 to 2");
}

}  // namespace
}  // namespace perfwatch::analysis
