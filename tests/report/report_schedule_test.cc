// Scheduled reports against a real SMTP server on loopback (tests/support/smtp_sink.py):
// the report goes out as an HTML email through the alert module's SMTP client to the
// receiver's address; it is not sent again within `every`, nor by a new scheduler over
// the same state file (a restart), and is sent again once `every` has passed; a `to`
// that is not an email receiver is refused; a failed send is retried later.
#include "report/report_schedule.h"

#include <gtest/gtest.h>

#include "alert/am_config.h"
#include "support/smtp_sink.h"
#include "support/temp_dir.h"

namespace perfwatch::report {
namespace {

using perfwatch::testing::DecodeQuotedPrintable;
using perfwatch::testing::MailHeader;
using perfwatch::testing::SmtpSinkProcess;

constexpr int64_t kNow = 1'700'006'400'000;
constexpr int64_t kDay = 86'400'000;

alert::AlertmanagerConfig AmConfig(const std::string& smarthost) {
  auto cfg = alert::ParseAlertmanagerYaml(
      "global:\n  smtp_smarthost: '" + smarthost +
      "'\n  smtp_from: 'perfwatch@example.test'\n  smtp_require_tls: false\n"
      "route: {receiver: team-mail}\n"
      "receivers:\n- name: team-mail\n  email_configs:\n  - to: 'team@example.test, lead@example.test'\n"
      "- name: hook\n  webhook_configs:\n  - url: http://127.0.0.1:1/x\n");
  EXPECT_TRUE(cfg.ok()) << cfg.status().ToString();
  return std::move(cfg).value();
}

ReportScheduleConfig Weekly(std::string to = "team-mail") {
  ReportScheduleConfig c;
  c.name = "weekly-shop";
  c.app = "shop";
  c.to = std::move(to);
  return c;
}

TEST(ReportScheduleTest, SendsHtmlEmailOncePerPeriodAcrossRestarts) {
  SmtpSinkProcess sink;
  ASSERT_TRUE(sink.ok());
  perfwatch::testing::TempDir dir("pw_report_sched_");
  const auto state = dir.path() / "reports" / "schedule.state";
  {
    auto s = ReportScheduler::Create({Weekly()}, AmConfig(sink.smarthost()), ReportSources{}, {.state_file = state});
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_EQ((*s)->LastSent("weekly-shop"), 0);
    EXPECT_EQ((*s)->RunDue(kNow), 1u);
    ASSERT_EQ(sink.messages(), 1);
    EXPECT_EQ((*s)->LastSent("weekly-shop"), kNow);
    EXPECT_EQ((*s)->RunDue(kNow + kDay), 0u);  // within `every` (7d)
  }
  EXPECT_EQ(sink.File(1, ".env"), "from perfwatch@example.test\nto team@example.test\nto lead@example.test\ntls no\nauth -\n");
  const std::string msg = sink.File(1, ".eml");
  EXPECT_EQ(MailHeader(msg, "Subject").rfind("[perfwatch] Performance report: shop, ", 0), 0u) << msg;
  EXPECT_EQ(MailHeader(msg, "Content-Type"), "text/html; charset=UTF-8");
  EXPECT_EQ(MailHeader(msg, "To"), "team@example.test, lead@example.test");
  const std::string body = DecodeQuotedPrintable(msg.substr(msg.find("\r\n\r\n") + 4));
  EXPECT_EQ(body.rfind("<!DOCTYPE html>", 0), 0u) << body.substr(0, 100);
  EXPECT_NE(body.find("Performance report: shop"), std::string::npos);
  // A restart: a new scheduler over the same state file does not send again...
  auto again = ReportScheduler::Create({Weekly()}, AmConfig(sink.smarthost()), ReportSources{}, {.state_file = state});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->LastSent("weekly-shop"), kNow);
  EXPECT_EQ((*again)->RunDue(kNow + 2 * kDay), 0u);
  EXPECT_EQ(sink.messages(), 1);
  // ...until the period has passed.
  EXPECT_EQ((*again)->RunDue(kNow + 7 * kDay), 1u);
  EXPECT_EQ(sink.messages(), 2);
}

TEST(ReportScheduleTest, ReceiverMustHaveEmail) {
  auto missing = ReportScheduler::Create({Weekly("nobody")}, AmConfig("127.0.0.1:25"), ReportSources{}, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("\"nobody\" is not a receiver"), std::string::npos)
      << missing.status().message();
  auto hook = ReportScheduler::Create({Weekly("hook")}, AmConfig("127.0.0.1:25"), ReportSources{}, {});
  ASSERT_FALSE(hook.ok());
  EXPECT_NE(hook.status().message().find("has no email_configs"), std::string::npos) << hook.status().message();
}

TEST(ReportScheduleTest, FailedSendIsRetriedLater) {
  SmtpSinkProcess sink({"--fail-first", "1"});
  ASSERT_TRUE(sink.ok());
  perfwatch::testing::TempDir dir("pw_report_sched_");
  auto s = ReportScheduler::Create({Weekly()}, AmConfig(sink.smarthost()), ReportSources{},
                                   {.state_file = dir.path() / "state"});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->RunDue(kNow), 0u);  // 451
  EXPECT_EQ((*s)->LastSent("weekly-shop"), 0);
  EXPECT_EQ((*s)->RunDue(kNow + 60'000), 0u);  // before the retry delay (5m)
  EXPECT_EQ((*s)->RunDue(kNow + 5 * 60'000), 1u);
  EXPECT_EQ(sink.messages(), 1);
}

TEST(ReportScheduleTest, ApplyKeepsTheStateOfKeptReportsAndAddsNewOnes) {
  SmtpSinkProcess sink({"--fail-first", "1"});
  ASSERT_TRUE(sink.ok());
  perfwatch::testing::TempDir dir("pw_report_sched_");
  auto s = ReportScheduler::Create({Weekly()}, AmConfig(sink.smarthost()), ReportSources{},
                                   {.state_file = dir.path() / "state"});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->RunDue(kNow), 0u);  // 451: retried after 5m
  ReportScheduleConfig daily = Weekly();
  daily.name = "daily-shop";
  daily.every_ms = kDay;
  EXPECT_FALSE(ReportScheduler::Prepare({Weekly("hook")}, AmConfig(sink.smarthost())).ok());
  auto entries = ReportScheduler::Prepare({Weekly(), daily}, AmConfig(sink.smarthost()));
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  (*s)->Apply(std::move(entries).value());
  // The kept report keeps its retry time; the new one is due at once.
  EXPECT_EQ((*s)->RunDue(kNow + 60'000), 1u);
  EXPECT_EQ((*s)->LastSent("daily-shop"), kNow + 60'000);
  EXPECT_EQ((*s)->LastSent("weekly-shop"), 0);
  EXPECT_EQ((*s)->RunDue(kNow + 5 * 60'000), 1u);
  EXPECT_EQ((*s)->LastSent("weekly-shop"), kNow + 5 * 60'000);
  // Removed: not sent any more, even when due.
  auto only_daily = ReportScheduler::Prepare({daily}, AmConfig(sink.smarthost()));
  ASSERT_TRUE(only_daily.ok());
  (*s)->Apply(std::move(only_daily).value());
  EXPECT_EQ((*s)->RunDue(kNow + 8 * kDay), 1u);
  EXPECT_EQ((*s)->LastSent("weekly-shop"), kNow + 5 * 60'000);
  EXPECT_EQ(sink.messages(), 3);
}

TEST(ReportEmailTest, QueuedFormAndHeaders) {
  alert::EmailConfig ec;
  ec.from = "Perf <perfwatch@example.test>";
  ec.to = "a@example.test";
  auto q = BuildReportEmail(ec, "Réport", "line\n.dot", "text/plain; charset=UTF-8", kNow);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->rfind("perfwatch@example.test\na@example.test\n\n", 0), 0u) << *q;
  EXPECT_NE(q->find("Subject: =?utf-8?q?R=C3=A9port?=\r\n"), std::string::npos) << *q;
  EXPECT_NE(q->find("Date: Wed, 15 Nov 2023 00:00:00 +0000\r\n"), std::string::npos) << *q;
  ec.to = "not an address";
  EXPECT_FALSE(BuildReportEmail(ec, "s", "b", "text/plain", kNow).ok());
}

}  // namespace
}  // namespace perfwatch::report
