// Reports through the real binary: known RUM beacons in this period and the previous one
// → GET /api/v1/report shows the exact p75 and its trend in json, md and html (content
// types, self-contained HTML); bad parameters are 400 in Prometheus' shape; `perfwatch
// report` writes the file (exit 0) or exits 2; a scheduled report (`reports:`) is sent by
// email to a real SMTP server on loopback once, and not again after a restart.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "common/time.h"
#include "support/http_client.h"
#include "support/run_perfwatch.h"
#include "support/server_process.h"
#include "support/smtp_sink.h"
#include "support/temp_dir.h"

namespace perfwatch {
namespace {

using testing::HttpClient;
using testing::RunPerfwatch;
using testing::ServerProcess;

constexpr int64_t kHourMs = 3'600'000;

std::string Lcp(double value, int64_t timestamp_ms, int id) {
  return R"({"type":"vital","name":"LCP","value":)" + std::to_string(value) + R"(,"id":"v)" + std::to_string(id) +
         R"(","sessionId":"s)" + std::to_string(id) + R"(","url":"https://shop.example/p/)" + std::to_string(id) +
         R"(","timestamp":)" + std::to_string(timestamp_ms) + "}";
}

class ReportIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>();
    ASSERT_TRUE(server_->Start()) << server_->log();
    client_ = std::make_unique<HttpClient>(server_->port());
    const int64_t now = NowMs();
    // Previous 12 h: 2000..2800 (p75 2600); this 12 h: 1000..1800 (p75 1600).
    std::string batch = "[";
    for (int i = 0; i < 5; ++i) {
      if (i) batch += ',';
      batch += Lcp(2000 + 200 * i, now - 18 * kHourMs, 10 + i) + "," + Lcp(1000 + 200 * i, now - kHourMs, 20 + i);
    }
    batch += "]";
    ASSERT_EQ(client_->Post("/api/rum?app=shop", batch).status, 204);
    ASSERT_EQ(client_->Post("/api/rum?app=blog", "[" + Lcp(9000, now - kHourMs, 99) + "]").status, 204);
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(ReportIntegrationTest, JsonShowsP75AndTrend) {
  auto res = client_->Get("/api/v1/report?app=shop&window=12h&format=json");
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.Header("content-type"), "application/json");
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_FALSE(parser.parse(res.body).get(root)) << res.body;
  EXPECT_EQ(std::string_view(root["status"]), "success");
  simdjson::dom::element lcp = root["data"]["vitals"].at(0);
  EXPECT_EQ(std::string_view(lcp["name"]), "LCP");
  EXPECT_DOUBLE_EQ(double(lcp["p75"]["current"]), 1600);
  EXPECT_DOUBLE_EQ(double(lcp["p75"]["previous"]), 2600);
  EXPECT_NEAR(double(lcp["p75"]["change"]), -1000.0 / 2600, 1e-9);
  EXPECT_EQ(int64_t(lcp["count"]), 5);
  EXPECT_EQ(int64_t(lcp["previous_count"]), 5);
  EXPECT_EQ(std::string_view(root["data"]["window"]), "12h");
  EXPECT_EQ(int64_t(root["data"]["score"]["views"]), 5);
  EXPECT_EQ(std::string_view(root["data"]["slowest_pages"].at(0)["page"]), "/p/:id");
  EXPECT_TRUE(bool(root["data"]["alerts"]["available"]));
}

TEST_F(ReportIntegrationTest, MarkdownAndHtml) {
  auto md = client_->Get("/api/v1/report?app=shop&window=12h&format=md");
  ASSERT_EQ(md.status, 200) << md.body;
  EXPECT_EQ(md.Header("content-type"), "text/markdown; charset=utf-8");
  EXPECT_NE(md.body.find("| LCP | 1,600 ms | 2,600 ms | -38.5% ✅ | 5 | good |"), std::string::npos) << md.body;
  auto html = client_->Get("/api/v1/report?app=shop&window=12h");
  ASSERT_EQ(html.status, 200) << html.body;
  EXPECT_EQ(html.Header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(html.body.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.body.find("1,600 ms"), std::string::npos);
  EXPECT_NE(html.body.find("-38.5%"), std::string::npos);
  for (const char* banned : {"<script", "<img", "src=", "url(", "@import"}) {
    EXPECT_EQ(html.body.find(banned), std::string::npos) << banned;
  }
  EXPECT_EQ(html.body.find("href="), html.body.rfind("href="));  // one: the inline icon
  EXPECT_NE(html.body.find("href=\"data:,\""), std::string::npos);
}

TEST_F(ReportIntegrationTest, BadParametersAre400) {
  for (const char* q : {"window=7d", "app=shop&window=never", "app=shop&format=pdf", "app=shop&to=later"}) {
    auto res = client_->Get(std::string("/api/v1/report?") + q);
    EXPECT_EQ(res.status, 400) << q;
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    ASSERT_FALSE(parser.parse(res.body).get(root)) << res.body;
    EXPECT_EQ(std::string_view(root["status"]), "error");
    EXPECT_EQ(std::string_view(root["errorType"]), "bad_data");
  }
}

TEST_F(ReportIntegrationTest, CliWritesTheFile) {
  testing::TempDir tmp("pw_report_cli_");
  const std::string out = (tmp.path() / "shop.md").string();
  const std::string server = "--server http://127.0.0.1:" + std::to_string(server_->port());
  auto r = RunPerfwatch("report --app shop --window 12h --format md --out " + out + " " + server);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(out);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("| LCP | 1,600 ms | 2,600 ms |"), std::string::npos) << text;
  r = RunPerfwatch("report --app shop --format pdf " + server);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--format must be html, md or json"), std::string::npos) << r.output;
  r = RunPerfwatch("report --window 7d " + server);
  EXPECT_EQ(r.exit_code, 2);
  r = RunPerfwatch("report --app shop --window never " + server);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("invalid window"), std::string::npos) << r.output;
}

// Polls `cond` for up to 30 s.
template <typename F>
bool Eventually(F cond) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < until) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return cond();
}

// The value of a metric line "name value" in /metrics, or -1.
double MetricValue(HttpClient& client, const std::string& name) {
  const std::string body = client.Get("/metrics").body;
  const size_t at = body.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(body.substr(at + name.size() + 2));
}

TEST(ScheduledReportIntegrationTest, SentOnceAndNotAgainAfterRestart) {
  testing::SmtpSinkProcess sink;
  ASSERT_TRUE(sink.ok());
  ServerProcess server({}, "alerting:\n  global:\n    smtp_smarthost: '" + sink.smarthost() +
                               "'\n    smtp_from: perfwatch@example.test\n    smtp_require_tls: false\n"
                               "  route: {receiver: team-mail}\n  receivers:\n    - name: team-mail\n"
                               "      email_configs: [{to: team@example.test}]\n"
                               "reports:\n  - {name: weekly-shop, app: shop, every: 7d, format: html, to: team-mail}\n");
  ASSERT_TRUE(server.Start()) << server.log();
  ASSERT_TRUE(Eventually([&] { return sink.messages() == 1; })) << server.log();
  const std::string msg = sink.File(1, ".eml");
  EXPECT_EQ(testing::MailHeader(msg, "Content-Type"), "text/html; charset=UTF-8");
  EXPECT_EQ(testing::MailHeader(msg, "Subject").rfind("[perfwatch] Performance report: shop, ", 0), 0u) << msg;
  // The schedule's state is written once the SMTP exchange has ended (after QUIT; the sink
  // stores the message at the end of DATA, a moment before).
  ASSERT_TRUE(Eventually([&] { return std::filesystem::exists(server.data_dir() / "reports" / "schedule.state"); }));
  ASSERT_TRUE(server.Restart()) << server.log();
  HttpClient client(server.port());
  // Once the restarted scheduler has checked, still one message.
  ASSERT_TRUE(Eventually([&] { return MetricValue(client, "perfwatch_report_checks_total") >= 1; }));
  EXPECT_EQ(sink.messages(), 1);
}

TEST(ScheduledReportIntegrationTest, UnknownReceiverFailsStart) {
  ServerProcess server({}, "reports:\n  - {name: weekly, app: shop, to: nobody}\n");
  EXPECT_FALSE(server.Start());
  EXPECT_NE(server.log().find("is not a receiver of alerting"), std::string::npos) << server.log();
}

}  // namespace
}  // namespace perfwatch
