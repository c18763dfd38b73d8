#include "clickhouse/clickhouse_config.h"

#include <gtest/gtest.h>

#include <fstream>

namespace perfwatch::clickhouse {
namespace {

TEST(ClickHouseConfigTest, NoBackendOrLocal) {
  EXPECT_FALSE(ParseEventsBackend("", "")->has_value());
  EXPECT_FALSE(ParseEventsBackend("events: {retention: 7d}\n", "")->has_value());
  EXPECT_FALSE(ParseEventsBackend("events: {backend: local}\n", "")->has_value());
}

TEST(ClickHouseConfigTest, ScalarSpellingWithSection) {
  auto c = ParseEventsBackend(
      "events:\n  backend: clickhouse\n  clickhouse:\n    url: http://127.0.0.1:8123\n    database: pw_events\n"
      "    user: pw\n    password: s3cret\n    batch_size: 500\n    max_backoff: 5s\n",
      "");
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_TRUE(c->has_value());
  EXPECT_EQ((*c)->url, "http://127.0.0.1:8123");
  EXPECT_EQ((*c)->database, "pw_events");
  EXPECT_EQ((*c)->user, "pw");
  EXPECT_EQ(*ResolvePassword(**c), "s3cret");
  EXPECT_EQ((*c)->batch_size, 500u);
  EXPECT_EQ((*c)->max_backoff_ms, 5000);
  EXPECT_EQ((*c)->min_backoff_ms, 100);
}

TEST(ClickHouseConfigTest, MappingSpellingAndPasswordFile) {
  const auto dir = std::filesystem::temp_directory_path() / ("pw-ch-config-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "pass") << "from-file\n";
  auto c = ParseEventsBackend("events:\n  backend: {type: clickhouse, url: 'http://ch:8123', password_file: pass}\n",
                              dir);
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_TRUE(c->has_value());
  EXPECT_EQ((*c)->database, "perfwatch");
  EXPECT_EQ((*c)->user, "default");
  EXPECT_EQ(*ResolvePassword(**c), "from-file");
  std::filesystem::remove_all(dir);
}

TEST(ClickHouseConfigTest, ErrorsNameTheKey) {
  auto expect_error = [](const std::string& yaml, const std::string& part) {
    auto c = ParseEventsBackend(yaml, "");
    ASSERT_FALSE(c.ok()) << yaml;
    EXPECT_NE(c.status().message().find(part), std::string::npos) << c.status().message();
  };
  expect_error("events: {backend: clickhouse}\n", "events.clickhouse section");
  expect_error("events: {backend: mysql}\n", "expected clickhouse or local");
  expect_error("events: {backend: clickhouse, clickhouse: {database: x}}\n", "url is required");
  expect_error("events: {backend: clickhouse, clickhouse: {url: 'ftp://x'}}\n", "events.clickhouse.url");
  expect_error("events: {backend: clickhouse, clickhouse: {url: 'http://x', database: 'a;b'}}\n", "database");
  expect_error("events: {backend: clickhouse, clickhouse: {url: 'http://x', password: a, password_file: b}}\n",
               "at most one of password and password_file");
  expect_error("events: {backend: clickhouse, clickhouse: {url: 'http://x', bogus: 1}}\n", "unknown key \"bogus\"");
  expect_error("events: {backend: clickhouse, clickhouse: {url: 'http://x', batch_size: 0}}\n", "batch_size");
  expect_error("events: {backend: clickhouse, clickhouse: {url: 'http://x', timeout: -1s}}\n", "timeout");
  expect_error("events: {clickhouse: {url: 'http://x'}}\n", "set events.backend: clickhouse");
  expect_error("events: {backend: {type: clickhouse, url: 'http://x'}, clickhouse: {url: 'http://y'}}\n", "not both");
  expect_error("events: {backend: {url: 'http://x'}}\n", "type: clickhouse");
}

}  // namespace
}  // namespace perfwatch::clickhouse
