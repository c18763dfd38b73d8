// Synthetic checks through the real binary (issue 18; docs/synthetic.md): YAML checks run
// on their schedule and store probe_* series, failures are retried once and kept with
// their response, the API creates, runs and deletes checks (kept across a restart), the
// public status page, scopes, and `perfwatch check run`.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <string>
#include <thread>

#include "support/http_client.h"
#include "support/run_perfwatch.h"
#include "support/server_process.h"
#include "support/sha256.h"
#include "support/temp_dir.h"
#include "support/webhook_receiver.h"

namespace perfwatch {
namespace {

using testing::HttpClient;
using testing::HttpResponse;
using testing::ServerProcess;
using testing::WebhookReceiver;

std::string ChecksConfig(const WebhookReceiver& ok, const WebhookReceiver& bad) {
  return "synthetic:\n"
         "  status_pages:\n"
         "    - name: default\n"
         "      title: Shop status\n"
         "  checks:\n"
         "    - name: home\n"
         "      interval: 10s\n"
         "      http: {url: \"" + ok.url("/home") + "\"}\n"
         "      assert: [{status: 200}, {body_contains: ok}]\n"
         "      labels: {team: web}\n"
         "    - name: api\n"
         "      interval: 10s\n"
         "      http: {url: \"" + bad.url("/api") + "\", timeout: 2s}\n"
         "      assert: [{status: 200}]\n";
}

// The value of an instant query's single sample, or NaN.
double QueryValue(HttpClient& client, const std::string& expr) {
  HttpResponse res = client.Get("/api/v1/query?query=" + testing::UrlEncode(expr));
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (res.status != 200 || parser.parse(res.body).get(root)) return NAN;
  simdjson::dom::array result;
  if (root["data"]["result"].get(result) || result.size() != 1) return NAN;
  std::string_view v;
  if (result.at(0)["value"].at(1).get(v)) return NAN;
  return std::stod(std::string(v));
}

// Polls GET /api/v1/checks until `pred` holds on its body (30 s at most).
bool WaitForChecks(HttpClient& client, const std::function<bool(const std::string&)>& pred) {
  for (int i = 0; i < 300; ++i) {
    HttpResponse res = client.Get("/api/v1/checks");
    if (res.status == 200 && pred(res.body)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

bool Contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST(SyntheticServer, ScheduledChecksStoreSeriesKeepFailuresAndSurviveARestart) {
  WebhookReceiver ok, bad;
  ASSERT_TRUE(ok.Start());
  ASSERT_TRUE(bad.Start());
  bad.set_status(500);
  ServerProcess server({}, ChecksConfig(ok, bad));
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient client(server.port());
  ASSERT_TRUE(WaitForChecks(client, [](const std::string& b) {
    return Contains(b, R"("name":"home")") && Contains(b, R"("name":"api")") && !Contains(b, R"("state":"pending")");
  })) << client.Get("/api/v1/checks").body;

  const std::string list = client.Get("/api/v1/checks").body;
  EXPECT_TRUE(Contains(list, R"("name":"home","kind":"http","interval":"10s","source":"config")")) << list;
  EXPECT_TRUE(Contains(list, R"("state":"up")")) << list;
  EXPECT_TRUE(Contains(list, R"("state":"down")")) << list;
  EXPECT_TRUE(Contains(list, R"("last_error":"status 500)")) << list;

  // Series, labelled as the blackbox exporter's are by check (plus instance and labels).
  EXPECT_EQ(QueryValue(client, "probe_success{check=\"home\",team=\"web\"}"), 1);
  EXPECT_EQ(QueryValue(client, "probe_success{check=\"api\"}"), 0);
  EXPECT_EQ(QueryValue(client, "probe_http_status_code{check=\"api\"}"), 500);
  EXPECT_EQ(QueryValue(client, "probe_http_status_code{check=\"home\",instance=\"" + ok.url("/home") + "\"}"), 200);
  EXPECT_EQ(QueryValue(client, "count(probe_http_duration_seconds{check=\"home\"})"), 5);  // one per phase
  EXPECT_GE(QueryValue(client, "probe_duration_seconds{check=\"home\"}"), 0);
  EXPECT_EQ(QueryValue(client, "probe_consecutive_failures{check=\"api\"}"), 1);
  // The failing check was run twice (the double check), the passing one once per run.
  EXPECT_EQ(bad.count() % 2, 0u);
  EXPECT_GE(bad.count(), 2u);

  HttpResponse detail = client.Get("/api/v1/checks/api");
  ASSERT_EQ(detail.status, 200);
  EXPECT_TRUE(Contains(detail.body, R"("retried":true)")) << detail.body;
  EXPECT_TRUE(Contains(detail.body, R"("response":{"status":500,"headers":[)")) << detail.body;
  EXPECT_TRUE(Contains(detail.body, R"("body":"ok")")) << detail.body;
  EXPECT_EQ(client.Get("/api/v1/checks/nope").status, 404);

  // The public status page, as JSON and HTML.
  HttpResponse page = client.Get("/api/v1/status-page/default");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_TRUE(Contains(page.body, R"("title":"Shop status")"));
  EXPECT_TRUE(Contains(page.body, R"("name":"home","state":"up","uptime_90d":1)")) << page.body;
  EXPECT_EQ(client.Get("/api/v1/status-page/other").status, 404);
  HttpResponse html = client.Get("/status");
  ASSERT_EQ(html.status, 200);
  EXPECT_EQ(html.Header("content-type"), "text/html; charset=utf-8");
  EXPECT_TRUE(Contains(html.body, "1 of 2 checks failing")) << html.body;
  EXPECT_TRUE(Contains(html.body, "<strong>home</strong>"));

  // History survives a restart (saved at stop).
  const size_t runs_before = ok.count();
  ASSERT_TRUE(server.Restart()) << server.log();
  HttpClient after(server.port());
  HttpResponse kept = after.Get("/api/v1/checks/home");
  ASSERT_EQ(kept.status, 200);
  EXPECT_TRUE(Contains(kept.body, R"("history":[{"time":)")) << kept.body;
  EXPECT_GE(runs_before, 1u);
}

TEST(SyntheticServer, ApiChecksAreCreatedRunReplacedAndDeleted) {
  WebhookReceiver ok, bad;
  ASSERT_TRUE(ok.Start());
  ASSERT_TRUE(bad.Start());
  bad.set_status(503);
  ServerProcess server({}, ChecksConfig(ok, bad));
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient client(server.port());

  const std::string spec = R"({"name":"made","interval":"1h","http":{"url":")" + ok.url("/made") +
                           R"("},"assert":[{"status":200},{"body_contains":"ok"}]})";
  HttpResponse created = client.Post("/api/v1/checks", spec);
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(created.body, R"({"status":"success","data":{"name":"made"}})");

  HttpResponse run = client.Post("/api/v1/checks/made/run", "");
  ASSERT_EQ(run.status, 200) << run.body;
  EXPECT_TRUE(Contains(run.body, R"("success":true)")) << run.body;
  EXPECT_TRUE(Contains(run.body, R"("status_code":200)")) << run.body;
  EXPECT_TRUE(Contains(client.Get("/api/v1/checks").body, R"("name":"made","kind":"http","interval":"1h","source":"api")"));

  // Bad input is refused with the reason, and nothing changes.
  HttpResponse bad_body = client.Post("/api/v1/checks", R"({"name":"x","http":{"url":"gopher://x"}})");
  EXPECT_EQ(bad_body.status, 400);
  EXPECT_TRUE(Contains(bad_body.body, R"("errorType":"bad_data")")) << bad_body.body;
  EXPECT_TRUE(Contains(bad_body.body, "is not an http:// or https:// URL")) << bad_body.body;
  HttpResponse yaml_name = client.Post("/api/v1/checks", R"({"name":"home","http":{"url":"http://127.0.0.1:1/"}})");
  EXPECT_EQ(yaml_name.status, 409) << yaml_name.body;
  EXPECT_EQ(client.Request("DELETE", "/api/v1/checks/home", "", {}).status, 409);

  // Replacing keeps the history; a failing run keeps its response.
  const std::string failing = R"({"name":"made","interval":"1h","http":{"url":")" + bad.url("/made") + R"("}})";
  ASSERT_EQ(client.Post("/api/v1/checks", failing).status, 200);
  HttpResponse failed = client.Post("/api/v1/checks/made/run", "");
  ASSERT_EQ(failed.status, 200);
  EXPECT_TRUE(Contains(failed.body, R"("success":false)")) << failed.body;
  EXPECT_TRUE(Contains(failed.body, R"("status_code":503)")) << failed.body;
  HttpResponse detail = client.Get("/api/v1/checks/made");
  EXPECT_TRUE(Contains(detail.body, R"("success":true)")) << detail.body;   // the first run's entry
  EXPECT_TRUE(Contains(detail.body, R"("failures":[{"time":)")) << detail.body;

  // Kept across a restart; then deleted for good.
  ASSERT_TRUE(server.Restart()) << server.log();
  HttpClient after(server.port());
  EXPECT_EQ(after.Get("/api/v1/checks/made").status, 200);
  EXPECT_EQ(after.Request("DELETE", "/api/v1/checks/made", "", {}).status, 200);
  EXPECT_EQ(after.Request("DELETE", "/api/v1/checks/made", "", {}).status, 404);
  EXPECT_EQ(after.Post("/api/v1/checks/made/run", "").status, 404);
  ASSERT_TRUE(server.Restart()) << server.log();
  HttpClient again(server.port());
  EXPECT_EQ(again.Get("/api/v1/checks/made").status, 404);
}

TEST(SyntheticServer, ScopesAndThePublicStatusPage) {
  WebhookReceiver ok, bad;
  ASSERT_TRUE(ok.Start());
  ASSERT_TRUE(bad.Start());
  const std::string with_auth = ChecksConfig(ok, bad) + "auth:\n  tokens:\n" +
                                "    - {name: reader, token_sha256: " + testing::Sha256Hex("reader") + ", scopes: [read]}\n" +
                                "    - {name: boss, token_sha256: " + testing::Sha256Hex("boss") + ", scopes: [admin]}\n";
  ServerProcess server({}, with_auth);
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient client(server.port());
  const std::string spec = R"({"name":"made","http":{"url":")" + ok.url("/") + R"("}})";
  EXPECT_EQ(client.Post("/api/v1/checks", spec).status, 401);
  EXPECT_EQ(client.Post("/api/v1/checks", spec, "application/json", {{"Authorization", "Bearer reader"}}).status, 403);
  EXPECT_EQ(client.Post("/api/v1/checks", spec, "application/json", {{"Authorization", "Bearer boss"}}).status, 200);
  EXPECT_EQ(client.Get("/api/v1/checks").status, 401);
  EXPECT_EQ(client.Get("/api/v1/checks", {{"Authorization", "Bearer reader"}}).status, 200);
  // The status page is public.
  EXPECT_EQ(client.Get("/status").status, 200);
  EXPECT_EQ(client.Get("/api/v1/status-page/default").status, 200);
}

TEST(SyntheticCli, CheckRunRunsAFileAndExitsOneOnFailure) {
  WebhookReceiver ok, bad;
  ASSERT_TRUE(ok.Start());
  ASSERT_TRUE(bad.Start());
  bad.set_status(500);
  testing::TempDir dir;
  const std::string file = dir.Write("checks.yml", "- name: home\n  http: {url: \"" + ok.url("/") +
                                                       "\"}\n- name: api\n  http: {url: \"" + bad.url("/") + "\"}\n");
  testing::CommandResult all = testing::RunPerfwatch("check run " + file);
  EXPECT_EQ(all.exit_code, 1) << all.output;
  EXPECT_TRUE(Contains(all.output, "PASS home  200")) << all.output;
  EXPECT_TRUE(Contains(all.output, "FAIL api  500")) << all.output;
  EXPECT_TRUE(Contains(all.output, "error: status 500")) << all.output;
  EXPECT_TRUE(Contains(all.output, "1 of 2 checks passed")) << all.output;
  testing::CommandResult one = testing::RunPerfwatch("check run " + file + " --only home --format json");
  EXPECT_EQ(one.exit_code, 0) << one.output;
  EXPECT_TRUE(Contains(one.output, R"([{"name":"home","result":{"time":)")) << one.output;
  testing::CommandResult broken = testing::RunPerfwatch("check run " + dir.Write("bad.yml", "- name: x\n  http: {}\n"));
  EXPECT_EQ(broken.exit_code, 2) << broken.output;
  EXPECT_TRUE(Contains(broken.output, "checks[0].http (line 2): url is required")) << broken.output;
  // A name goes to the server; none listening is exit 1 with the reason.
  testing::CommandResult remote = testing::RunPerfwatch("check run home --server http://127.0.0.1:1");
  EXPECT_EQ(remote.exit_code, 1) << remote.output;
  EXPECT_TRUE(Contains(remote.output, "cannot reach")) << remote.output;
}

}  // namespace
}  // namespace perfwatch
