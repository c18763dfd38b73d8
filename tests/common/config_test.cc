#include "common/config.h"

#include <gtest/gtest.h>

namespace perfwatch {
namespace {

TEST(ConfigTest, EmptyTextGivesDefaults) {
  auto c = ParseConfig("");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->http.listen, "127.0.0.1:9797");
  EXPECT_EQ(c->data_dir, "./data");
  EXPECT_EQ(c->http.max_body_bytes, 1u << 20);
  EXPECT_EQ(c->rum.max_beacons_per_request, 1000u);
  EXPECT_EQ(c->rum.max_json_depth, 64);
  EXPECT_EQ(c->events.retention_ms, 7 * 86'400'000LL);
  EXPECT_EQ(c->events.fsync_interval_ms, 100);
}

TEST(ConfigTest, ReadsEverySection) {
  auto c = ParseConfig(R"(
listen: 0.0.0.0:1234
data_dir: /tmp/x
log_level: debug
http: {threads: 3, max_connections: 10, idle_timeout: 2m}
rum:
  cors_allowed_origins: [https://a.example]
  default_app: shop
  route_rules:
    - {pattern: "^[a-z]+-[a-z]+$", replacement: ":slug"}
events: {retention: 14d, fsync_interval: 0}
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->http.listen, "0.0.0.0:1234");
  EXPECT_EQ(c->data_dir, "/tmp/x");
  EXPECT_EQ(c->log_level, "debug");
  EXPECT_EQ(c->http.threads, 3);
  EXPECT_EQ(c->http.max_connections, 10);
  EXPECT_EQ(c->http.idle_timeout_ms, 120'000);
  ASSERT_EQ(c->rum.cors_allowed_origins.size(), 1u);
  EXPECT_EQ(c->rum.cors_allowed_origins[0], "https://a.example");
  EXPECT_EQ(c->rum.default_app, "shop");
  ASSERT_EQ(c->rum.route_rules.size(), 1u);
  EXPECT_EQ(c->rum.route_rules[0].replacement, ":slug");
  EXPECT_EQ(c->events.retention_ms, 14 * 86'400'000LL);
  EXPECT_EQ(c->events.fsync_interval_ms, 0);
}

TEST(ConfigTest, RejectsUnknownKeysBadValuesAndBadYaml) {
  EXPECT_NE(ParseConfig("lissten: x").status().message().find("lissten"), std::string::npos);
  EXPECT_NE(ParseConfig("http: {nope: 1}").status().message().find("nope"), std::string::npos);
  EXPECT_FALSE(ParseConfig("events: {retention: forever}").ok());
  EXPECT_FALSE(ParseConfig("events: {retention: 1m}").ok());
  EXPECT_FALSE(ParseConfig("http: {max_connections: 0}").ok());
  EXPECT_FALSE(ParseConfig("log_level: loud").ok());
  EXPECT_FALSE(ParseConfig("listen: nocolon").ok());
  EXPECT_FALSE(ParseConfig("http: [1, 2").ok());
  EXPECT_FALSE(ParseConfig("rum: {route_rules: [{pattern: x}]}").ok());
}

}  // namespace
}  // namespace perfwatch
