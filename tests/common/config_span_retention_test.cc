#include <gtest/gtest.h>

#include "common/config.h"

namespace perfwatch {
namespace {

TEST(ConfigSpanRetention, DefaultsToSevenDaysParsesDurationsAndRejectsLessThanAnHour) {
  auto c = ParseConfig("");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->otlp.span_retention_ms, 7LL * 24 * 3600 * 1000);
  c = ParseConfig("otlp:\n  span_retention: 36h\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->otlp.span_retention_ms, 36LL * 3600 * 1000);
  EXPECT_TRUE(ValidateConfig(*c).ok());
  c = ParseConfig("otlp:\n  span_retention: 30m\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("otlp.span_retention"), std::string::npos) << c.status().ToString();
  EXPECT_FALSE(ParseConfig("otlp:\n  span_retention: soon\n").ok());
  EXPECT_FALSE(ParseConfig("otlp:\n  span_retentoin: 1d\n").ok());  // unknown key
}

}  // namespace
}  // namespace perfwatch
