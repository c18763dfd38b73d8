#include "common/time.h"

#include <gtest/gtest.h>

namespace perfwatch {
namespace {

TEST(TimeTest, ParsesUnixSecondsWithFractions) {
  EXPECT_EQ(*ParseTimeMs("1700000000"), 1'700'000'000'000);
  EXPECT_EQ(*ParseTimeMs("1700000000.25"), 1'700'000'000'250);
  EXPECT_EQ(*ParseTimeMs("0"), 0);
}

TEST(TimeTest, ParsesRfc3339) {
  EXPECT_EQ(*ParseTimeMs("2023-11-14T22:13:20Z"), 1'700'000'000'000);
  EXPECT_EQ(*ParseTimeMs("2023-11-14T22:13:20.5Z"), 1'700'000'000'500);
  EXPECT_EQ(*ParseTimeMs("2023-11-14T23:13:20+01:00"), 1'700'000'000'000);
  EXPECT_EQ(*ParseTimeMs("2023-11-14T21:13:20.123-01:00"), 1'700'000'000'123);
  EXPECT_EQ(*ParseTimeMs("1970-01-01T00:00:00Z"), 0);
}

TEST(TimeTest, RejectsGarbage) {
  for (const char* s : {"", "yesterday", "2023-11-14", "2023-13-14T22:13:20Z", "2023-11-14T22:13:20",
                        "1700000000x", "nan", "inf", "2023-11-14T22:13:20.Z"}) {
    EXPECT_FALSE(ParseTimeMs(s).ok()) << s;
  }
}

TEST(TimeTest, ParsesDurations) {
  EXPECT_EQ(*ParseDurationMs("24h"), 86'400'000);
  EXPECT_EQ(*ParseDurationMs("1h30m"), 5'400'000);
  EXPECT_EQ(*ParseDurationMs("250ms"), 250);
  EXPECT_EQ(*ParseDurationMs("7d"), 7 * 86'400'000LL);
  EXPECT_EQ(*ParseDurationMs("2w"), 14 * 86'400'000LL);
  EXPECT_EQ(*ParseDurationMs("90"), 90'000);
  EXPECT_EQ(*ParseDurationMs("1.5"), 1'500);
  // Beyond int64 milliseconds: an error, not an overflow (found by the ack_body fuzzer).
  EXPECT_FALSE(ParseDurationMs("20000300000w").ok());
  EXPECT_FALSE(ParseDurationMs("900000000000y").ok());
  EXPECT_FALSE(ParseDurationMs("100000000000w100000000000w").ok());
  for (const char* s : {"", "h", "5", "-5m", "5x", "5m3", "1e400"}) {
    if (std::string(s) == "5") continue;  // plain seconds are valid
    EXPECT_FALSE(ParseDurationMs(s).ok()) << s;
  }
}

TEST(TimeTest, FormatsRfc3339) {
  EXPECT_EQ(FormatRfc3339Ms(1'700'000'000'123), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(FormatRfc3339Ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(*ParseTimeMs(FormatRfc3339Ms(1'234'567'890'987)), 1'234'567'890'987);
}

// Prometheus' model.Duration.String(): years and weeks only when exact.
TEST(TimeTest, FormatsPromDurations) {
  constexpr int64_t kDay = 24LL * 3600 * 1000;
  EXPECT_EQ(FormatPromDuration(0), "0s");
  EXPECT_EQ(FormatPromDuration(15'000), "15s");
  EXPECT_EQ(FormatPromDuration(90'000), "1m30s");
  EXPECT_EQ(FormatPromDuration(3'600'000), "1h");
  EXPECT_EQ(FormatPromDuration(kDay), "1d");
  EXPECT_EQ(FormatPromDuration(14 * kDay), "2w");
  EXPECT_EQ(FormatPromDuration(365 * kDay), "1y");
  EXPECT_EQ(FormatPromDuration(90 * kDay), "90d");  // not 12w6d: weeks only when exact
  EXPECT_EQ(FormatPromDuration(250), "250ms");
  EXPECT_EQ(FormatPromDuration(366 * kDay), "366d");
  EXPECT_EQ(FormatPromDuration(kDay + 3'600'000 + 60'000 + 1'001), "1d1h1m1s1ms");
  // Round trips through the parser.
  for (const char* s : {"15s", "1m30s", "1h", "2w", "1y", "90d", "250ms"}) {
    auto ms = ParseDurationMs(s);
    ASSERT_TRUE(ms.ok()) << s;
    EXPECT_EQ(FormatPromDuration(*ms), s);
  }
}

}  // namespace
}  // namespace perfwatch
