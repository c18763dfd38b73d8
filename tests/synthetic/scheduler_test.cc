// The scheduler's bookkeeping (synthetic/scheduler.h) against real HTTP targets on
// loopback: API checks kept across a restart and refused for YAML names, a failing run
// retried once and kept with its response, history, daily uptime and the state file.
#include "synthetic/scheduler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "support/temp_dir.h"
#include "support/webhook_receiver.h"

namespace perfwatch::synthetic {
namespace {

using testing::TempDir;
using testing::WebhookReceiver;

CheckSpec HttpCheck(const std::string& name, const std::string& url) {
  CheckSpec c;
  c.name = name;
  c.interval_ms = 3600'000;  // the tests run checks with RunNow, not on the schedule
  c.http.url = url;
  c.http.timeout_ms = 2000;
  return c;
}

std::unique_ptr<Scheduler> Open(const std::filesystem::path& dir, std::vector<CheckSpec> yaml) {
  SyntheticConfig config;
  config.checks = std::move(yaml);
  SchedulerOptions options;
  options.dir = dir;
  auto s = Scheduler::Create(std::move(config), std::move(options));
  EXPECT_TRUE(s.ok()) << s.status().message();
  return s.ok() ? std::move(s).value() : nullptr;
}

TEST(Scheduler, ApiChecksPersistAndYamlChecksAreNotTheApis) {
  TempDir dir;
  {
    auto s = Open(dir.path(), {HttpCheck("yaml", "http://127.0.0.1:1/")});
    ASSERT_TRUE(s);
    Status conflict = s->Put(HttpCheck("yaml", "http://127.0.0.1:2/"));
    EXPECT_EQ(conflict.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(conflict.message(), "conflict: the check \"yaml\" is defined in the configuration file");
    ASSERT_TRUE(s->Put(HttpCheck("made", "http://127.0.0.1:3/")).ok());
    EXPECT_EQ(s->Delete("yaml").code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "checks.json"));
  }
  auto again = Open(dir.path(), {HttpCheck("yaml", "http://127.0.0.1:1/")});
  ASSERT_TRUE(again);
  const std::vector<CheckView> list = again->List();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].spec.name, "yaml");  // YAML checks first
  EXPECT_FALSE(list[0].spec.from_api);
  EXPECT_EQ(list[1].spec.name, "made");
  EXPECT_TRUE(list[1].spec.from_api);
  EXPECT_EQ(list[1].spec.http.url, "http://127.0.0.1:3/");
  EXPECT_EQ(list[1].state, "pending");
  EXPECT_TRUE(again->Delete("made").ok());
  EXPECT_EQ(again->Delete("made").code(), StatusCode::kNotFound);
  EXPECT_EQ(Open(dir.path(), {})->List().size(), 0u);
}

TEST(Scheduler, RunsAreRecordedRetriedAndSurviveARestart) {
  WebhookReceiver ok, bad;
  ASSERT_TRUE(ok.Start());
  ASSERT_TRUE(bad.Start());
  bad.set_status(502);
  TempDir dir;
  const std::vector<CheckSpec> yaml = {HttpCheck("ok", ok.url("/")), HttpCheck("bad", bad.url("/"))};
  {
    auto s = Open(dir.path(), yaml);
    ASSERT_TRUE(s);
    s->Start();
    auto r1 = s->RunNow("ok");
    ASSERT_TRUE(r1.ok());
    EXPECT_TRUE(r1->success) << r1->error;
    EXPECT_FALSE(r1->retried);
    EXPECT_EQ(ok.count(), 1u);
    auto r2 = s->RunNow("bad");
    ASSERT_TRUE(r2.ok());
    EXPECT_FALSE(r2->success);
    EXPECT_TRUE(r2->retried);
    EXPECT_EQ(bad.count(), 2u);  // the double check
    EXPECT_EQ(s->RunNow("nope").status().code(), StatusCode::kNotFound);
    auto v = s->Get("bad");
    ASSERT_TRUE(v);
    EXPECT_EQ(v->state, "down");
    ASSERT_EQ(v->failures.size(), 1u);
    ASSERT_TRUE(v->failures[0].result.response.has_value());
    EXPECT_EQ(v->failures[0].result.response->status, 502);
    EXPECT_EQ(v->failures[0].result.response->body_prefix, "ok");
    EXPECT_FALSE(v->history.back().response.has_value());  // the history is light
    s->Stop();
  }
  auto s = Open(dir.path(), yaml);
  ASSERT_TRUE(s);
  auto ok_view = s->Get("ok");
  auto bad_view = s->Get("bad");
  ASSERT_TRUE(ok_view && bad_view);
  EXPECT_EQ(ok_view->state, "up");
  ASSERT_EQ(ok_view->history.size(), 1u);
  ASSERT_EQ(ok_view->days.size(), 1u);
  EXPECT_EQ(ok_view->days[0].up, 1);
  EXPECT_EQ(bad_view->days[0].up, 0);
  EXPECT_EQ(bad_view->days[0].total, 1);
  EXPECT_EQ(bad_view->failures.size(), 1u);
  const int64_t now = ok_view->history[0].time_ms;
  EXPECT_EQ(ok_view->Uptime(now, 90), 1.0);
  EXPECT_EQ(bad_view->Uptime(now, 1), 0.0);
  EXPECT_TRUE(std::isnan(CheckView{}.Uptime(now, 90)));
  // Another run adds to the restored history.
  s->Start();
  ASSERT_TRUE(s->RunNow("ok").ok());
  EXPECT_EQ(s->Get("ok")->history.size(), 2u);
  EXPECT_EQ(s->Get("ok")->days[0].total, 2);
  s->Stop();
}

}  // namespace
}  // namespace perfwatch::synthetic
