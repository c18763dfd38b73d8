// Scheduler::ApplyConfig (a configuration reload, synthetic/scheduler.h): unchanged YAML
// checks keep their results, changed ones keep their history under the new spec, removed
// ones go, API checks stay unless a YAML check takes their name, and max_browsers grows or
// shrinks the browser worker pool.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "support/temp_dir.h"
#include "support/webhook_receiver.h"
#include "synthetic/scheduler.h"

namespace perfwatch::synthetic {
namespace {

using testing::TempDir;
using testing::WebhookReceiver;

CheckSpec HttpCheck(const std::string& name, const std::string& url) {
  CheckSpec c;
  c.name = name;
  c.interval_ms = 3600'000;  // run with RunNow, not on the schedule
  c.http.url = url;
  c.http.timeout_ms = 2000;
  return c;
}

SchedulerOptions InDir(const std::filesystem::path& dir) {
  SchedulerOptions o;
  o.dir = dir;
  return o;
}

std::vector<std::string> Names(const Scheduler& s) {
  std::vector<std::string> out;
  for (const CheckView& v : s.List()) out.push_back(v.spec.name);
  return out;
}

TEST(SchedulerReload, ChecksFollowTheFileAndKeepTheirResults) {
  WebhookReceiver site;
  ASSERT_TRUE(site.Start());
  TempDir dir;
  SyntheticConfig config;
  config.checks = {HttpCheck("kept", site.url("/k")), HttpCheck("changed", site.url("/c")),
                   HttpCheck("gone", site.url("/g"))};
  config.max_browsers = 1;
  auto created = Scheduler::Create(config, InDir(dir.path()));
  ASSERT_TRUE(created.ok()) << created.status().message();
  std::unique_ptr<Scheduler> s = std::move(created).value();
  s->Start();
  ASSERT_TRUE(s->Put(HttpCheck("api", site.url("/a"))).ok());
  ASSERT_TRUE(s->Put(HttpCheck("taken", site.url("/t"))).ok());
  for (const char* name : {"kept", "changed", "gone", "taken"})
    ASSERT_TRUE(s->RunNow(name).ok()) << name;

  SyntheticConfig next;
  CheckSpec changed = HttpCheck("changed", site.url("/c2"));
  next.checks = {HttpCheck("added", site.url("/n")), HttpCheck("kept", site.url("/k")), changed,
                 HttpCheck("taken", site.url("/t2"))};
  next.max_browsers = 4;
  next.max_concurrent_http = 7;
  const Scheduler::ApplyReport report = s->ApplyConfig(next);
  EXPECT_EQ(report.added, 1u);
  EXPECT_EQ(report.unchanged, 1u);
  EXPECT_EQ(report.changed, 2u);  // "changed" and the API check "taken"
  EXPECT_EQ(report.removed, 1u);
  // YAML checks in the file's order, then the API checks.
  EXPECT_EQ(Names(*s), (std::vector<std::string>{"added", "kept", "changed", "taken", "api"}));
  auto kept = s->Get("kept");
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->state, "up");
  EXPECT_EQ(kept->history.size(), 1u);
  auto c = s->Get("changed");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->spec.http.url, site.url("/c2"));
  EXPECT_EQ(c->history.size(), 1u) << "a changed check keeps its history";
  auto taken = s->Get("taken");
  ASSERT_TRUE(taken);
  EXPECT_FALSE(taken->spec.from_api) << "the YAML check wins over the API one";
  EXPECT_EQ(taken->spec.http.url, site.url("/t2"));
  EXPECT_FALSE(s->Get("gone"));
  EXPECT_EQ(s->RunNow("gone").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(s->Delete("taken").code(), StatusCode::kInvalidArgument) << "now a YAML check";
  EXPECT_EQ(s->config().max_browsers, 4);
  EXPECT_EQ(s->browser_workers(), 4u) << "the pool grew at once";
  EXPECT_EQ(s->config().max_concurrent_http, 7);
  ASSERT_TRUE(s->RunNow("added").ok());
  ASSERT_TRUE(s->RunNow("changed").ok());
  EXPECT_EQ(s->Get("changed")->history.size(), 2u);
  s->Stop();

  // The API checks file no longer has the check the YAML took.
  SyntheticConfig none;
  auto reopened = Scheduler::Create(none, InDir(dir.path()));
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(Names(**reopened), std::vector<std::string>{"api"});
}

TEST(SchedulerReload, SameConfigChangesNothing) {
  TempDir dir;
  SyntheticConfig config;
  config.checks = {HttpCheck("a", "http://127.0.0.1:1/")};
  auto s = Scheduler::Create(config, InDir(dir.path()));
  ASSERT_TRUE(s.ok());
  const Scheduler::ApplyReport report = (*s)->ApplyConfig(config);
  EXPECT_EQ(report.unchanged, 1u);
  EXPECT_EQ(report.added + report.changed + report.removed, 0u);
  EXPECT_EQ(Names(**s), std::vector<std::string>{"a"});
}

// max_browsers reloaded: the pool grows at once; idle workers above a lowered cap exit
// (waited for: they exit on their own thread); raised again, it grows back.
TEST(SchedulerReload, MaxBrowsersGrowsAndShrinksThePool) {
  TempDir dir;
  SyntheticConfig config;
  config.max_browsers = 2;
  auto created = Scheduler::Create(config, InDir(dir.path()));
  ASSERT_TRUE(created.ok()) << created.status().message();
  std::unique_ptr<Scheduler> s = std::move(created).value();
  EXPECT_EQ(s->browser_workers(), 0u) << "started by Start";
  config.max_browsers = 3;
  s->ApplyConfig(config);
  EXPECT_EQ(s->browser_workers(), 0u) << "not started: the reload only records the number";
  s->Start();
  EXPECT_EQ(s->browser_workers(), 3u);
  config.max_browsers = 1;
  s->ApplyConfig(config);
  EXPECT_EQ(s->config().max_browsers, 1);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (s->browser_workers() > 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(s->browser_workers(), 1u) << "idle workers above the cap exited";
  config.max_browsers = 4;
  s->ApplyConfig(config);
  EXPECT_EQ(s->browser_workers(), 4u) << "exited slots are joined and started again";
  s->Stop();
  EXPECT_EQ(s->browser_workers(), 0u);
}

}  // namespace
}  // namespace perfwatch::synthetic
