// events.backend / events.clickhouse (docs/format/clickhouse.md): accepted by the
// configuration loader and restart-only on reload.
#include <gtest/gtest.h>

#include <algorithm>

#include "common/config.h"
#include "common/config_reload.h"

namespace perfwatch {
namespace {

TEST(ConfigEventsBackendTest, ChangingTheBackendNeedsARestart) {
  const std::string running = "events:\n  retention: 7d\n";
  const std::string fresh =
      "events:\n  retention: 3d\n  backend: clickhouse\n  clickhouse:\n    url: http://127.0.0.1:8123\n";
  auto plan = PlanReload(running, fresh);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  const auto& keys = plan->restart_needed;
  EXPECT_NE(std::find(keys.begin(), keys.end(), "events.backend"), keys.end());
  EXPECT_NE(std::find(keys.begin(), keys.end(), "events.clickhouse"), keys.end());
  // The applied configuration keeps the running (absent) backend and takes the retention.
  EXPECT_EQ(plan->applied_yaml.find("clickhouse"), std::string::npos) << plan->applied_yaml;
  EXPECT_NE(plan->applied_yaml.find("3d"), std::string::npos) << plan->applied_yaml;
  auto same = PlanReload(fresh, fresh);
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->restart_needed.empty());
}

TEST(ConfigEventsBackendTest, TheLoaderAcceptsTheKeys) {
  auto c = ParseConfig("events:\n  backend: clickhouse\n  clickhouse: {url: 'http://127.0.0.1:8123'}\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  auto typo = ParseConfig("events:\n  backends: clickhouse\n");
  EXPECT_FALSE(typo.ok());
}

}  // namespace
}  // namespace perfwatch
