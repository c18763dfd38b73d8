#include <gtest/gtest.h>

#include "common/config.h"

namespace perfwatch {
namespace {

TEST(ConfigJourneys, MeasureNameCapAndJourneyTimeout) {
  auto c = ParseConfig("");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->rum.max_measure_names, 100u);
  EXPECT_EQ(c->rum.journey_timeout_ms, 30LL * 60 * 1000);
  c = ParseConfig("rum:\n  max_measure_names: 7\n  journey_timeout: 10m\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->rum.max_measure_names, 7u);
  EXPECT_EQ(c->rum.journey_timeout_ms, 10LL * 60 * 1000);
  c = ParseConfig("rum:\n  journey_timeout: 0s\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("rum.journey_timeout"), std::string::npos) << c.status().ToString();
  EXPECT_FALSE(ParseConfig("rum:\n  journey_timeout: soon\n").ok());
  EXPECT_FALSE(ParseConfig("rum:\n  max_measure_name: 5\n").ok());  // unknown key
}

}  // namespace
}  // namespace perfwatch
