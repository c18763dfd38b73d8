// Reloading every reloadable section without a restart (issue 21 item 4; docs/operations.md
// "Reloading"): the config file is changed, POST /-/reload (or SIGHUP) applies it, and the
// effect is observed through the API: scrape targets added and removed (the removed ones'
// series go stale), synthetic checks added and removed (API checks kept), remote_write
// queues started and stopped, auth tokens swapped at once. An invalid change to each
// section fails the reload, reports it (perfwatch_config_last_reload_successful 0) and
// leaves everything as it was. log_level (the --log-level flag winning) and external_url
// (notifications' externalURL, alerts' generatorURL) change at once; a `reports:` schedule
// added by a reload is sent, a kept one is not sent again early; `query:` limits apply to
// the next query (cached answers dropped), `rum:` parsing keys to the next beacon, the
// `analysis:` watch keys to the next pass; global.evaluation_interval (groups without their
// own), rule_query_offset, external_labels and `rules:` to the next evaluations,
// analysis.changepoint / leak / health to the next request or pass.
// Restart-only keys
// keep their values with a warning.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <snappy.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <thread>

#include "ingest/remote_write/remote_write_encoder.h"
#include "support/http_client.h"
#include "support/server_process.h"
#include "support/sha256.h"
#include "support/smtp_sink.h"
#include "support/temp_dir.h"
#include "support/webhook_receiver.h"

namespace perfwatch {
namespace {

using testing::HttpClient;
using testing::HttpResponse;
using testing::ServerProcess;
using testing::TempDir;
using testing::WebhookReceiver;
using Headers = std::vector<std::pair<std::string, std::string>>;

bool Eventually(const std::function<bool()>& done, int seconds = 20) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

// Results of an instant query (-1 when the query failed).
int64_t ResultCount(HttpClient& c, const std::string& expr, const Headers& h = {}) {
  HttpResponse r = c.Get("/api/v1/query?query=" + testing::UrlEncode(expr), h);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::array result;
  if (r.status != 200 || parser.parse(r.body).get(root) || root["data"]["result"].get(result))
    return -1;
  return static_cast<int64_t>(result.size());
}

std::string ReloadMetric(HttpClient& c, const Headers& h = {}) {
  const std::string body = c.Get("/metrics", h).body;
  const std::string name = "\nperfwatch_config_last_reload_successful ";
  const size_t at = body.find(name);
  return at == std::string::npos ? "" : body.substr(at + name.size(), 1);
}

// A scrape job of one target with a 1 s interval. The receivers answer "ok", which is no
// exposition (up is 0): the requests they record show the scrapes.
std::string Job(const std::string& name, const WebhookReceiver& target) {
  return "  - job_name: " + name +
         "\n    scrape_interval: 1s\n    static_configs: [{targets: ['127.0.0.1:" +
         std::to_string(target.port()) + "']}]\n";
}

TEST(ConfigReloadTest, ScrapeTargetsAreAddedRemovedAndKept) {
  WebhookReceiver a, b, kept;
  ASSERT_TRUE(a.Start() && b.Start() && kept.Start());
  TempDir dir("pw_reload_");
  const std::string path =
      dir.Write("perfwatch.yml", "scrape_configs:\n" + Job("a", a) + Job("kept", kept));
  ServerProcess server({"--config", path});
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient c(server.port());
  ASSERT_TRUE(a.WaitFor(2, 10'000));
  ASSERT_TRUE(Eventually([&] { return ResultCount(c, "up{job=\"a\"}") == 1; }));
  std::string targets = c.Get("/api/v1/targets").body;
  EXPECT_NE(targets.find("\"job\":\"perfwatch\""), std::string::npos) << targets;

  // a removed, b added, kept unchanged, the self-scrape switched off.
  dir.Write("perfwatch.yml",
            "scrape:\n  self_scrape: false\nscrape_configs:\n" + Job("kept", kept) + Job("b", b));
  HttpResponse r = c.Post("/-/reload", "", "text/plain");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(ReloadMetric(c), "1");
  targets = c.Get("/api/v1/targets").body;
  EXPECT_NE(targets.find("\"job\":\"b\""), std::string::npos) << targets;
  EXPECT_NE(targets.find("\"job\":\"kept\""), std::string::npos) << targets;
  EXPECT_EQ(targets.find("\"job\":\"a\""), std::string::npos) << targets;
  EXPECT_EQ(targets.find("\"job\":\"perfwatch\""), std::string::npos) << targets;
  ASSERT_TRUE(b.WaitFor(2, 10'000)) << "the new target is scraped";
  ASSERT_TRUE(Eventually([&] { return ResultCount(c, "up{job=\"b\"}") == 1; }));
  // The removed target's series ended with a stale marker (gone at once, not after 5 m).
  EXPECT_TRUE(Eventually([&] { return ResultCount(c, "up{job=\"a\"}") == 0; }));
  EXPECT_TRUE(Eventually([&] { return ResultCount(c, "up{job=\"perfwatch\"}") == 0; }));
  const size_t a_scrapes = a.count();
  const size_t kept_scrapes = kept.count();
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(a.count(), a_scrapes) << "no scrape of a removed target";
  EXPECT_GE(kept.count(), kept_scrapes + 1) << "the unchanged target keeps being scraped";
  EXPECT_EQ(ResultCount(c, "up{job=\"kept\"}"), 1);

  // An invalid scrape section: the reload fails and the targets stay.
  dir.Write("perfwatch.yml", "scrape_configs:\n  - job_name: x\n    scrape_interval: soon\n");
  r = c.Post("/-/reload", "", "text/plain");
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_NE(r.body.find("failed to reload config"), std::string::npos) << r.body;
  EXPECT_EQ(ReloadMetric(c), "0");
  targets = c.Get("/api/v1/targets").body;
  EXPECT_NE(targets.find("\"job\":\"b\""), std::string::npos) << targets;
  EXPECT_EQ(targets.find("\"job\":\"x\""), std::string::npos) << targets;
  const size_t b_scrapes = b.count();
  EXPECT_TRUE(b.WaitFor(b_scrapes + 1, 5'000));
  // The effective configuration shows what runs.
  const std::string yaml = c.Get("/api/v1/status/config").body;
  EXPECT_NE(yaml.find("job_name: b"), std::string::npos) << yaml;
  EXPECT_EQ(yaml.find("soon"), std::string::npos) << yaml;
}

std::string Checks(const WebhookReceiver& site, const std::vector<std::string>& names) {
  std::string out = "synthetic:\n  checks:\n";
  for (const std::string& n : names) {
    out += "    - name: " + n + "\n      interval: 1h\n      http: {url: \"" + site.url("/" + n) +
           "\"}\n";
  }
  return out;
}

TEST(ConfigReloadTest, SyntheticChecksFollowTheFileAndApiChecksStay) {
  WebhookReceiver site;
  ASSERT_TRUE(site.Start());
  TempDir dir("pw_reload_");
  const std::string path = dir.Write("perfwatch.yml", Checks(site, {"kept", "gone"}));
  ServerProcess server({"--config", path});
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient c(server.port());
  ASSERT_EQ(c.Post("/api/v1/checks",
                   "{\"name\":\"from_api\",\"interval\":\"1h\",\"http\":{\"url\":\"" +
                       site.url("/api") + "\"}}",
                   "application/json")
                .status,
            200);
  for (const char* name : {"kept", "gone"}) {
    ASSERT_EQ(c.Post(std::string("/api/v1/checks/") + name + "/run", "", "text/plain").status, 200);
  }
  ASSERT_EQ(ResultCount(c, "probe_success{check=\"gone\"} == 1"), 1);
  ASSERT_EQ(ResultCount(c, "probe_success{check=\"kept\"} == 1"), 1);

  dir.Write("perfwatch.yml", Checks(site, {"kept", "added"}));
  server.Signal(SIGHUP);
  std::string list;
  ASSERT_TRUE(Eventually([&] {
    list = c.Get("/api/v1/checks").body;
    return list.find("\"added\"") != std::string::npos;
  })) << list;
  EXPECT_EQ(list.find("\"gone\""), std::string::npos) << list;
  EXPECT_NE(list.find("\"from_api\""), std::string::npos) << "API checks are kept: " << list;
  // The unchanged check kept its result; the removed one's series are stale at once.
  const std::string kept = c.Get("/api/v1/checks/kept").body;
  EXPECT_NE(kept.find("\"state\":\"up\""), std::string::npos) << kept;
  EXPECT_TRUE(Eventually([&] { return ResultCount(c, "probe_success{check=\"gone\"}") == 0; }));
  EXPECT_EQ(ResultCount(c, "probe_success{check=\"kept\"} == 1"), 1);
  ASSERT_EQ(c.Post("/api/v1/checks/added/run", "", "text/plain").status, 200);
  EXPECT_EQ(ResultCount(c, "probe_success{check=\"added\"} == 1"), 1);
  EXPECT_EQ(c.Post("/api/v1/checks/gone/run", "", "text/plain").status, 404);

  // An invalid check (interval below 10 s): nothing changes.
  dir.Write("perfwatch.yml", Checks(site, {"kept"}) +
                                 "    - name: fast\n      interval: 1s\n      http: {url: \"" +
                                 site.url("/f") + "\"}\n");
  HttpResponse r = c.Post("/-/reload", "", "text/plain");
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_EQ(ReloadMetric(c), "0");
  list = c.Get("/api/v1/checks").body;
  EXPECT_NE(list.find("\"added\""), std::string::npos) << list;
  EXPECT_EQ(list.find("\"fast\""), std::string::npos) << list;
}

std::string RemoteWrite(
    const std::vector<std::pair<std::string, const WebhookReceiver*>>& remotes) {
  std::string out = "scrape:\n  self_scrape_interval: 1s\n";
  if (remotes.empty()) return out;
  out += "remote_write:\n";
  for (const auto& [name, receiver] : remotes) {
    out += "  - url: " + receiver->url("/api/v1/write") + "\n    name: " + name +
           "\n    queue_config: {batch_send_deadline: 200ms, max_samples_per_send: 10000}\n";
  }
  return out;
}

TEST(ConfigReloadTest, RemoteWriteQueuesStartAndStop) {
  WebhookReceiver first, second;
  ASSERT_TRUE(first.Start() && second.Start());
  TempDir dir("pw_reload_");
  const std::string path = dir.Write("perfwatch.yml", RemoteWrite({}));
  ServerProcess server({"--config", path});
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient c(server.port());

  // From no remote_write at all to one queue.
  dir.Write("perfwatch.yml", RemoteWrite({{"first", &first}}));
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  ASSERT_TRUE(first.WaitFor(1, 20'000)) << server.log();
  EXPECT_EQ(first.requests()[0].headers["content-encoding"], "snappy");

  // first removed, second added: second delivers, first stops.
  dir.Write("perfwatch.yml", RemoteWrite({{"second", &second}}));
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  ASSERT_TRUE(second.WaitFor(1, 20'000)) << server.log();
  const size_t first_count = first.count();
  const size_t second_count = second.count();
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(first.count(), first_count) << "a removed queue sends nothing more";
  EXPECT_GT(second.count(), second_count);
  const std::string metrics = c.Get("/metrics").body;
  EXPECT_NE(metrics.find("remote_name=\"second\""), std::string::npos);

  // An invalid remote (a relabel rule that does not compile): the running queue stays.
  dir.Write("perfwatch.yml",
            RemoteWrite({{"second", &second}}) +
                "    write_relabel_configs: [{source_labels: [job], regex: '(', action: drop}]\n");
  HttpResponse r = c.Post("/-/reload", "", "text/plain");
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_EQ(ReloadMetric(c), "0");
  const size_t before = second.count();
  EXPECT_TRUE(second.WaitFor(before + 1, 10'000)) << "the unchanged queue keeps delivering";
}

std::string AuthConfig(const std::string& extra_tokens) {
  return "auth:\n  tokens:\n    - {name: root, token_sha256: " + testing::Sha256Hex("root-secret") +
         ", scopes: [admin]}\n" + extra_tokens;
}

TEST(ConfigReloadTest, RemovedTokensAreRefusedAtOnce) {
  TempDir dir("pw_reload_");
  dir.Write("reader.token", "reader-1\n");
  const std::string path = dir.Write(
      "perfwatch.yml", AuthConfig("    - {name: reader, token_file: reader.token, scopes: [read]}\n"
                                  "    - {name: other, token_sha256: " +
                                  testing::Sha256Hex("other-secret") + ", scopes: [read]}\n"));
  ServerProcess server({"--config", path});
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient c(server.port());
  const Headers root = {{"Authorization", "Bearer root-secret"}};
  const Headers reader1 = {{"Authorization", "Bearer reader-1"}};
  const Headers reader2 = {{"Authorization", "Bearer reader-2"}};
  const Headers other = {{"Authorization", "Bearer other-secret"}};
  ASSERT_EQ(c.Get("/api/v1/labels", reader1).status, 200);
  ASSERT_EQ(c.Get("/api/v1/labels", other).status, 200);

  // `other` removed, the reader's token file rotated.
  dir.Write("reader.token", "reader-2\n");
  dir.Write("perfwatch.yml",
            AuthConfig("    - {name: reader, token_file: reader.token, scopes: [read]}\n"));
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain", root).status, 200);
  EXPECT_EQ(c.Get("/api/v1/labels", other).status, 401);
  EXPECT_EQ(c.Get("/api/v1/labels", reader1).status, 401);
  EXPECT_EQ(c.Get("/api/v1/labels", reader2).status, 200);
  EXPECT_EQ(ReloadMetric(c, root), "1");

  // A token file that cannot be read: the reload fails and the tokens stay.
  dir.Write("perfwatch.yml",
            AuthConfig("    - {name: reader, token_file: missing.token, scopes: [read]}\n"));
  HttpResponse r = c.Post("/-/reload", "", "text/plain", root);
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_NE(r.body.find("reader"), std::string::npos) << r.body;
  EXPECT_EQ(c.Get("/api/v1/labels", reader2).status, 200);
  EXPECT_EQ(ReloadMetric(c, root), "0");
  // Turning authentication off is not a reload's business.
  dir.Write("perfwatch.yml", "auth:\n  tokens: []\n");
  r = c.Post("/-/reload", "", "text/plain", root);
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_EQ(c.Get("/api/v1/labels").status, 401);
  EXPECT_EQ(c.Get("/api/v1/labels", reader2).status, 200);
}

TEST(ConfigReloadTest, RestartOnlyKeysKeepTheirValuesWithAWarning) {
  WebhookReceiver target;
  ASSERT_TRUE(target.Start());
  TempDir dir("pw_reload_");
  const std::string path = dir.Write("perfwatch.yml", "tsdb:\n  retention: 3d\n");
  ServerProcess server({"--config", path});
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient c(server.port());
  // data_dir: restart-only (tsdb: is reloaded, see the tsdb and events tests at the end).
  dir.Write("perfwatch.yml", "tsdb:\n  retention: 9d\ndata_dir: " + (dir.path() / "elsewhere").string() +
                                 "\nscrape_configs:\n" + Job("t", target));
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  EXPECT_TRUE(target.WaitFor(1, 10'000)) << "the reloadable part is applied";
  EXPECT_TRUE(Eventually([&] {
    const std::string log = server.log();
    const size_t at = log.find("need a restart");
    return at != std::string::npos && log.substr(at, log.find('\n', at) - at).find("data_dir") != std::string::npos;
  })) << server.log();
  const std::string yaml = c.Get("/api/v1/status/config").body;
  EXPECT_EQ(yaml.find("elsewhere"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("retention: 9d"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("job_name: t"), std::string::npos) << yaml;
  EXPECT_NE(c.Get("/api/v1/status/runtimeinfo").body.find("\"storageRetention\":\"9d\""),
            std::string::npos);
}

size_t Occurrences(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

TEST(ConfigReloadTest, LogLevelChangesAtOnce) {
  TempDir dir("pw_reload_");
  const std::string path = dir.Write("perfwatch.yml", "log_level: info\n");
  ServerProcess server({"--config", path});
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient c(server.port());
  const std::string debug_line = "msg=\"configuration reload applied\"";
  const std::string info_line = "msg=\"configuration reloaded\"";
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  EXPECT_EQ(Occurrences(server.log(), debug_line), 0u) << server.log();
  EXPECT_EQ(Occurrences(server.log(), info_line), 1u) << server.log();

  // debug: the reload's own debug line appears, and the running configuration says so.
  dir.Write("perfwatch.yml", "log_level: debug\n");
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  EXPECT_EQ(Occurrences(server.log(), debug_line), 1u) << server.log();
  EXPECT_NE(server.log().find("level=debug"), std::string::npos);
  EXPECT_NE(c.Get("/api/v1/status/config").body.find("log_level: debug"), std::string::npos);
  EXPECT_NE(c.Get("/api/v1/status/flags").body.find("\"log-level\":\"debug\""), std::string::npos);

  // warn: info lines stop, this reload's included.
  dir.Write("perfwatch.yml", "log_level: warn\n");
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  EXPECT_EQ(Occurrences(server.log(), info_line), 2u) << server.log();
  EXPECT_EQ(Occurrences(server.log(), debug_line), 1u) << server.log();

  // An unknown level fails the reload and keeps warn.
  dir.Write("perfwatch.yml", "log_level: loud\n");
  HttpResponse r = c.Post("/-/reload", "", "text/plain");
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_NE(r.body.find("log_level"), std::string::npos) << r.body;
  EXPECT_EQ(ReloadMetric(c), "0");
  EXPECT_NE(c.Get("/api/v1/status/config").body.find("log_level: warn"), std::string::npos);
  dir.Write("perfwatch.yml", "log_level: warn\n");
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  EXPECT_EQ(Occurrences(server.log(), info_line), 2u) << "still warn: " << server.log();

  // Back to info.
  dir.Write("perfwatch.yml", "{}\n");
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  EXPECT_EQ(Occurrences(server.log(), info_line), 3u) << server.log();
}

TEST(ConfigReloadTest, LogLevelFlagWinsOverTheFile) {
  TempDir dir("pw_reload_");
  const std::string path = dir.Write("perfwatch.yml", "log_level: warn\n");
  ServerProcess server({"--config", path, "--log-level", "info"});
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient c(server.port());
  dir.Write("perfwatch.yml", "log_level: debug\n");
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  const std::string log = server.log();
  EXPECT_EQ(log.find("msg=\"configuration reload applied\""), std::string::npos) << log;
  EXPECT_NE(log.find("msg=\"configuration reloaded\""), std::string::npos) << log;
  EXPECT_NE(log.find("log_level is set by --log-level"), std::string::npos) << log;
  EXPECT_NE(c.Get("/api/v1/status/config").body.find("log_level: info"), std::string::npos);
}

// A rule file of alerts that fire at once (group_by alertname: one notification each).
std::string FiringRules(const std::vector<std::string>& alerts) {
  std::string out = "groups:\n  - name: g\n    interval: 1s\n    rules:\n";
  for (const std::string& a : alerts) out += "      - alert: " + a + "\n        expr: vector(1)\n";
  return out;
}

std::string AlertingWith(const std::string& external_url, const WebhookReceiver& hook) {
  return (external_url.empty() ? "" : "external_url: " + external_url + "\n") +
         "rule_files: [rules.yml]\n"
         "alerting:\n  route:\n    receiver: hook\n    group_by: [alertname]\n"
         "    group_wait: 0s\n    group_interval: 1s\n"
         "  receivers:\n    - name: hook\n      webhook_configs:\n        - url: " +
         hook.url() + "\n";
}

// The notification for alert `name` (its body), "" when none came.
std::string NotificationFor(const WebhookReceiver& hook, const std::string& name) {
  for (const auto& req : hook.requests()) {
    if (req.body.find("\"alertname\":\"" + name + "\"") != std::string::npos) return req.body;
  }
  return "";
}

TEST(ConfigReloadTest, ExternalUrlReachesNotificationsAndGeneratorUrls) {
  WebhookReceiver hook;
  ASSERT_TRUE(hook.Start());
  TempDir dir("pw_reload_");
  dir.Write("rules.yml", FiringRules({"First"}));
  const std::string path = dir.Write("perfwatch.yml", AlertingWith("http://before.test:9797", hook));
  ServerProcess server({"--config", path});
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient c(server.port());
  ASSERT_TRUE(Eventually([&] { return !NotificationFor(hook, "First").empty(); })) << server.log();
  simdjson::dom::parser parser;
  simdjson::dom::element body;
  ASSERT_FALSE(parser.parse(NotificationFor(hook, "First")).get(body));
  EXPECT_EQ(std::string_view(body["externalURL"]), "http://before.test:9797");

  dir.Write("rules.yml", FiringRules({"First", "Second"}));
  dir.Write("perfwatch.yml", AlertingWith("http://after.test/perfwatch", hook));
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  ASSERT_TRUE(Eventually([&] { return !NotificationFor(hook, "Second").empty(); })) << server.log();
  const std::string second = NotificationFor(hook, "Second");
  ASSERT_FALSE(parser.parse(second).get(body));
  EXPECT_EQ(std::string_view(body["externalURL"]), "http://after.test/perfwatch");
  const std::string_view generator = body["alerts"].at(0)["generatorURL"];
  EXPECT_EQ(generator.rfind("http://after.test/perfwatch/graph?", 0), 0u) << generator;
  EXPECT_EQ(second.find("before.test"), std::string::npos) << second;
  EXPECT_EQ(ReloadMetric(c), "1");
  EXPECT_NE(c.Get("/api/v1/status/config").body.find("external_url: http://after.test/perfwatch"),
            std::string::npos);
  const std::string log = server.log();
  EXPECT_EQ(log.find("need a restart"), std::string::npos) << log;

  // An invalid URL fails the reload; the running one stays.
  dir.Write("rules.yml", FiringRules({"First", "Second", "Third"}));
  dir.Write("perfwatch.yml", AlertingWith("after.test", hook));
  HttpResponse r = c.Post("/-/reload", "", "text/plain");
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_NE(r.body.find("external_url"), std::string::npos) << r.body;
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(NotificationFor(hook, "Third"), "") << "the rules did not change either";
  EXPECT_NE(c.Get("/api/v1/status/config").body.find("external_url: http://after.test/perfwatch"),
            std::string::npos);
}

std::string MailConfig(const testing::SmtpSinkProcess& sink, const std::string& reports) {
  return "alerting:\n  global:\n    smtp_smarthost: '" + sink.smarthost() +
         "'\n    smtp_from: perfwatch@example.test\n    smtp_require_tls: false\n"
         "  route: {receiver: team-mail}\n  receivers:\n    - name: team-mail\n"
         "      email_configs: [{to: team@example.test}]\n" +
         (reports.empty() ? "" : "reports:\n" + reports);
}

TEST(ConfigReloadTest, ReportSchedulesFollowTheFile) {
  testing::SmtpSinkProcess sink;
  ASSERT_TRUE(sink.ok());
  TempDir dir("pw_reload_");
  const std::string path = dir.Write("perfwatch.yml", MailConfig(sink, ""));
  ServerProcess server({"--config", path});
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient c(server.port());
  const std::string weekly = "  - {name: weekly-shop, app: shop, every: 7d, format: html, to: team-mail}\n";
  const std::string daily = "  - {name: daily-blog, app: blog, every: 1d, format: md, to: team-mail}\n";

  // A new schedule is due at once (the server started without any).
  dir.Write("perfwatch.yml", MailConfig(sink, weekly));
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  ASSERT_TRUE(Eventually([&] { return sink.messages() == 1; })) << server.log();
  EXPECT_EQ(testing::MailHeader(sink.File(1, ".eml"), "Subject").rfind("[perfwatch] Performance report: shop, ", 0), 0u);
  EXPECT_EQ(server.log().find("need a restart"), std::string::npos) << server.log();

  // Another one added: it is sent, the kept one is not sent again before its week is over.
  dir.Write("perfwatch.yml", MailConfig(sink, weekly + daily));
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  ASSERT_TRUE(Eventually([&] { return sink.messages() == 2; })) << server.log();
  EXPECT_EQ(testing::MailHeader(sink.File(2, ".eml"), "Subject").rfind("[perfwatch] Performance report: blog, ", 0), 0u);
  EXPECT_EQ(testing::MailHeader(sink.File(2, ".eml"), "Content-Type"), "text/plain; charset=UTF-8");
  const std::string state = (server.data_dir() / "reports" / "schedule.state").string();
  ASSERT_TRUE(Eventually([&] {
    std::ifstream in(state);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return text.find("daily-blog") != std::string::npos && text.find("weekly-shop") != std::string::npos;
  }));
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(sink.messages(), 2);

  // A report to a receiver that does not exist fails the reload; the schedules stay.
  dir.Write("perfwatch.yml", MailConfig(sink, weekly + "  - {name: other, app: shop, to: nobody}\n"));
  HttpResponse r = c.Post("/-/reload", "", "text/plain");
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_NE(r.body.find("is not a receiver of alerting"), std::string::npos) << r.body;
  EXPECT_EQ(ReloadMetric(c), "0");
  EXPECT_NE(c.Get("/api/v1/status/config").body.find("daily-blog"), std::string::npos);
}

TEST(ConfigReloadTest, QueryLimitsApplyToTheNextQuery) {
  TempDir dir("pw_reload_");
  const std::string path = dir.Write("perfwatch.yml", "query:\n  max_samples: 100000\n");
  ServerProcess server({"--config", path});
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient c(server.port());
  // 601 samples in memory at once, at a fixed time (so the answer may be cached).
  const std::string query = "/api/v1/query?time=1700000000&query=" +
                            testing::UrlEncode("count_over_time(vector(1)[10m:1s])");
  HttpResponse r = c.Get(query);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"601\""), std::string::npos) << r.body;
  ASSERT_EQ(c.Get(query).status, 200);

  dir.Write("perfwatch.yml", "query:\n  max_samples: 100\n");
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  EXPECT_EQ(server.log().find("need a restart"), std::string::npos) << server.log();
  r = c.Get(query);
  EXPECT_EQ(r.status, 422) << "the cached answer is dropped too: " << r.body;
  EXPECT_NE(r.body.find("too many samples"), std::string::npos) << r.body;
  const std::string yaml = c.Get("/api/v1/status/config").body;  // the YAML as a JSON string
  EXPECT_NE(yaml.find("max_samples: 100\\n"), std::string::npos) << yaml;

  // An invalid limit fails the reload; the running one stays.
  dir.Write("perfwatch.yml", "query:\n  max_samples: 0\n");
  r = c.Post("/-/reload", "", "text/plain");
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_NE(r.body.find("query.max_samples"), std::string::npos) << r.body;
  EXPECT_EQ(c.Get(query).status, 422);

  // Back to a large limit; cache_max_bytes is applied too (see QueryCacheIsResized).
  dir.Write("perfwatch.yml", "query:\n  max_samples: 100000\n  cache_max_bytes: 1024\n");
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  r = c.Get(query);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(server.log().find("need a restart"), std::string::npos) << server.log();
}

TEST(ConfigReloadTest, RumParsingKeysApplyToTheNextBeacon) {
  TempDir dir("pw_reload_");
  const std::string path = dir.Write("perfwatch.yml", "rum:\n  max_beacons_per_request: 100\n");
  ServerProcess server({"--config", path});
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient c(server.port());
  const std::string beacon = R"({"type":"vital","name":"FCP","value":1200,"url":"/blog/post-hello"})";
  const std::string three = "[" + beacon + "," + beacon + "," + beacon + "]";
  ASSERT_EQ(c.Post("/api/rum", three, "application/json").status, 204);

  const std::string rum =
      "rum:\n  max_beacons_per_request: 2\n  default_app: shop\n"
      "  route_rules: [{pattern: 'post-[a-z]+', replacement: ':post'}]\n";
  dir.Write("perfwatch.yml", rum);
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  EXPECT_EQ(server.log().find("need a restart"), std::string::npos) << server.log();
  EXPECT_EQ(c.Post("/api/rum", three, "application/json").status, 413);
  ASSERT_EQ(c.Post("/api/rum", beacon, "application/json").status, 204);
  const std::string vitals = c.Get("/api/v1/vitals?metric=FCP&window=1h&by=app,page").body;
  EXPECT_NE(vitals.find(R"("app":"shop","page":"/blog/:post")"), std::string::npos) << vitals;
  EXPECT_NE(vitals.find(R"("app":"default","page":"/blog/post-hello")"), std::string::npos)
      << "beacons taken before the reload keep what they were stored with: " << vitals;

  // A route rule that does not compile fails the reload; the running settings stay.
  dir.Write("perfwatch.yml", "rum:\n  max_beacons_per_request: 100\n  route_rules: [{pattern: '(', replacement: ':x'}]\n");
  HttpResponse r = c.Post("/-/reload", "", "text/plain");
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_NE(r.body.find("rum.route_rules"), std::string::npos) << r.body;
  EXPECT_EQ(c.Post("/api/rum", three, "application/json").status, 413);

  // CORS origins: from any ("*") to one; the others are refused from the next request on.
  HttpResponse cors = c.Post("/api/rum", beacon, "application/json", {{"Origin", "https://other.example"}});
  EXPECT_EQ(cors.status, 204) << cors.body;
  dir.Write("perfwatch.yml", rum + "  cors_allowed_origins: ['https://shop.example']\n");
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  cors = c.Post("/api/rum", beacon, "application/json", {{"Origin", "https://other.example"}});
  EXPECT_EQ(cors.status, 403) << cors.body;
  cors = c.Post("/api/rum", beacon, "application/json", {{"Origin", "https://shop.example"}});
  EXPECT_EQ(cors.status, 204) << cors.body;
  EXPECT_EQ(cors.headers["access-control-allow-origin"], "https://shop.example");

  // The series caps (here max_apps) are applied too (see RumSeriesCapsApplyToTheNextBeacon).
  dir.Write("perfwatch.yml", rum + "  cors_allowed_origins: ['https://shop.example']\n  max_apps: 3\n");
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  EXPECT_EQ(server.log().find("need a restart"), std::string::npos) << server.log();
}

// The value of an unlabelled series on /metrics (-1 when absent).
double MetricValue(HttpClient& c, const std::string& name) {
  const std::string body = c.Get("/metrics").body;
  const size_t at = body.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(body.substr(at + name.size() + 2));
}

TEST(ConfigReloadTest, ContinuousWatchesFollowTheFile) {
  TempDir dir("pw_reload_");
  const std::string path = dir.Write("perfwatch.yml", "analysis:\n  watch_interval: 0s\n");
  ServerProcess server({"--config", path});
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient c(server.port());
  const std::string passes = "perfwatch_watch_evaluations_total";
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(MetricValue(c, passes), 0) << "watches off";

  // On, every second, with one watch expression: its series is analysed.
  const std::string on = "analysis:\n  watch_interval: 1s\n  watch_lookback: 2h\n"
                         "  watch: [{name: ones, expr: 'vector(1)', step: 10m}]\n";
  dir.Write("perfwatch.yml", on);
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  EXPECT_TRUE(Eventually([&] { return MetricValue(c, passes) >= 2; })) << server.log();
  EXPECT_EQ(MetricValue(c, "perfwatch_watch_series"), 1);
  EXPECT_EQ(c.Get("/api/v1/regressions").status, 200);
  EXPECT_EQ(server.log().find("need a restart"), std::string::npos) << server.log();

  // A watch expression that does not parse fails the reload; the watches go on.
  dir.Write("perfwatch.yml", "analysis:\n  watch_interval: 1s\n  watch: [{name: bad, expr: 'sum('}]\n");
  HttpResponse r = c.Post("/-/reload", "", "text/plain");
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_NE(r.body.find("analysis.watch \"bad\""), std::string::npos) << r.body;
  const double before = MetricValue(c, passes);
  EXPECT_TRUE(Eventually([&] { return MetricValue(c, passes) > before; }));
  EXPECT_EQ(MetricValue(c, "perfwatch_watch_series"), 1);

  // The detector's options are applied too; off again stops the passes.
  dir.Write("perfwatch.yml", "analysis:\n  watch_interval: 0s\n  changepoint: {min_segment: 5}\n");
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  EXPECT_EQ(server.log().find("need a restart"), std::string::npos) << server.log();
  EXPECT_NE(c.Get("/api/v1/status/config").body.find("min_segment: 5"), std::string::npos);
  const double stopped = MetricValue(c, passes);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(MetricValue(c, passes), stopped);
}

// --- global / rules / analysis keys ---

// A series' value on /metrics whose labels contain `label_part` (-1 when absent).
double LabelledMetric(HttpClient& c, const std::string& name, const std::string& label_part) {
  const std::string body = c.Get("/metrics").body;
  for (size_t at = body.find("\n" + name + "{"); at != std::string::npos; at = body.find("\n" + name + "{", at + 1)) {
    const size_t end = body.find('\n', at + 1);
    const std::string line = body.substr(at + 1, end - at - 1);
    if (line.find(label_part) == std::string::npos) continue;
    return std::stod(line.substr(line.rfind(' ') + 1));
  }
  return -1;
}

// The "interval" of rule group `name` in GET /api/v1/rules (-1 when absent).
double GroupInterval(HttpClient& c, const std::string& name) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(c.Get("/api/v1/rules").body).get(root)) return -1;
  simdjson::dom::array groups;
  if (root["data"]["groups"].get(groups)) return -1;
  for (simdjson::dom::element g : groups) {
    std::string_view n;
    double interval;
    if (!g["name"].get(n) && n == name && !g["interval"].get(interval)) return interval;
  }
  return -1;
}

// The value of the first sample of an instant query (NaN when none).
double QueryValue(HttpClient& c, const std::string& expr) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(c.Get("/api/v1/query?query=" + testing::UrlEncode(expr)).body).get(root)) return NAN;
  simdjson::dom::array result;
  if (root["data"]["result"].get(result) || result.size() == 0) return NAN;
  std::string_view v;
  if (result.at(0)["value"].at(1).get(v)) return NAN;
  return std::stod(std::string(v));
}

TEST(ConfigReloadTest, EvaluationIntervalAppliesToGroupsWithoutTheirOwn) {
  TempDir dir("pw_reload_");
  dir.Write("rules.yml",
            "groups:\n  - name: defaulted\n    rules:\n      - record: one\n        expr: vector(1)\n"
            "  - name: own\n    interval: 7s\n    rules:\n      - record: two\n        expr: vector(2)\n");
  const std::string path = dir.Write(
      "perfwatch.yml", "rule_files: [rules.yml]\nglobal: {evaluation_interval: 1m}\nrules: {eval_threads: 2}\n");
  ServerProcess server({"--config", path});
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient c(server.port());
  EXPECT_EQ(GroupInterval(c, "defaulted"), 60);
  EXPECT_EQ(GroupInterval(c, "own"), 7);
  EXPECT_EQ(LabelledMetric(c, "prometheus_rule_group_interval_seconds", ";defaulted\""), 60);

  // 1 s: the group is evaluated every second from now on (not at its old 1 m tick); the
  // rest of `rules:` is applied, eval_threads (a thread pool) needs a restart.
  dir.Write("perfwatch.yml",
            "rule_files: [rules.yml]\nglobal: {evaluation_interval: 1s}\n"
            "rules: {eval_threads: 3, resend_delay: 5s, event_driven: false}\n");
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  EXPECT_EQ(GroupInterval(c, "defaulted"), 1);
  EXPECT_EQ(GroupInterval(c, "own"), 7) << "a group's own interval wins";
  EXPECT_EQ(LabelledMetric(c, "prometheus_rule_group_interval_seconds", ";defaulted\""), 1);
  const double iterations = LabelledMetric(c, "prometheus_rule_group_iterations_total", ";defaulted\"");
  EXPECT_TRUE(Eventually([&] {
    return LabelledMetric(c, "prometheus_rule_group_iterations_total", ";defaulted\"") >= iterations + 3;
  }, 10)) << server.log();
  EXPECT_TRUE(Eventually([&] { return server.log().find("keys=rules.eval_threads") != std::string::npos; }))
      << server.log();
  const std::string yaml = c.Get("/api/v1/status/config").body;
  EXPECT_NE(yaml.find("eval_threads: 2"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("resend_delay: 5s"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("evaluation_interval: 1s"), std::string::npos) << yaml;
  EXPECT_EQ(ReloadMetric(c), "1");

  // An invalid interval fails the reload; the running one stays.
  dir.Write("perfwatch.yml", "rule_files: [rules.yml]\nglobal: {evaluation_interval: 0s}\n");
  HttpResponse r = c.Post("/-/reload", "", "text/plain");
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_NE(r.body.find("evaluation_interval"), std::string::npos) << r.body;
  EXPECT_EQ(ReloadMetric(c), "0");
  EXPECT_EQ(GroupInterval(c, "defaulted"), 1);
  EXPECT_NE(c.Get("/api/v1/status/config").body.find("evaluation_interval: 1s"), std::string::npos);
}

TEST(ConfigReloadTest, QueryOffsetAndExternalLabelsApplyToTheNextEvaluations) {
  WebhookReceiver hook;
  ASSERT_TRUE(hook.Start());
  TempDir dir("pw_reload_");
  // rule_time's samples are written at the evaluation time minus the query offset.
  const std::string rules = "groups:\n  - name: g\n    rules:\n      - record: rule_time\n        expr: time()\n";
  dir.Write("rules.yml", rules + "      - alert: First\n        expr: vector(1)\n");
  auto config = [&](const std::string& offset, const std::string& dc) {
    return "global: {evaluation_interval: 1s, rule_query_offset: " + offset + ", external_labels: {dc: " + dc +
           "}}\n" + AlertingWith("", hook);
  };
  const std::string path = dir.Write("perfwatch.yml", config("30s", "a"));
  ServerProcess server({"--config", path});
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient c(server.port());
  ASSERT_TRUE(Eventually([&] { return !NotificationFor(hook, "First").empty(); })) << server.log();
  simdjson::dom::parser parser;
  simdjson::dom::element body;
  ASSERT_FALSE(parser.parse(NotificationFor(hook, "First")).get(body));
  EXPECT_EQ(std::string_view(body["alerts"].at(0)["labels"]["dc"]), "a");
  ASSERT_TRUE(Eventually([&] { return QueryValue(c, "time() - timestamp(rule_time)") >= 29; })) << server.log();

  dir.Write("rules.yml", rules + "      - alert: First\n        expr: vector(1)\n"
                                 "      - alert: Second\n        expr: vector(1)\n");
  dir.Write("perfwatch.yml", config("0s", "b"));
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  ASSERT_TRUE(Eventually([&] { return !NotificationFor(hook, "Second").empty(); })) << server.log();
  ASSERT_FALSE(parser.parse(NotificationFor(hook, "Second")).get(body));
  EXPECT_EQ(std::string_view(body["alerts"].at(0)["labels"]["dc"]), "b");
  EXPECT_TRUE(Eventually([&] { return QueryValue(c, "time() - timestamp(rule_time)") < 10; })) << server.log();
  EXPECT_EQ(server.log().find("need a restart"), std::string::npos) << server.log();
  EXPECT_NE(c.Get("/api/v1/status/config").body.find("dc: b"), std::string::npos);
}

TEST(ConfigReloadTest, DetectorLeakAndHealthOptionsApply) {
  TempDir dir("pw_reload_");
  const std::string path = dir.Write("perfwatch.yml", "analysis:\n  leak: {interval: 0s}\n");
  ServerProcess server({"--config", path});
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient c(server.port());
  std::string values;
  for (int i = 0; i < 40; ++i) {
    values += std::string(i ? "," : "") + (i < 20 ? (i % 2 ? "100" : "101") : (i % 2 ? "130" : "131"));  // +30 %
  }
  const std::string series = "{\"values\":[" + values + "]}";
  HttpResponse r = c.Post("/api/v1/analysis/changepoints", series, "application/json");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("\"changepoints\":[{\"index\":20,"), std::string::npos) << r.body;
  EXPECT_NE(c.Get("/api/v1/health?app=shop").body.find("\"window\":\"1h\""), std::string::npos);
  const std::string passes = "perfwatch_leak_evaluations_total";
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(MetricValue(c, passes), 0) << "leak passes off";

  // A 30 % shift is below the new minimum magnitude; leak passes every second; a 30 m
  // health window.
  dir.Write("perfwatch.yml",
            "analysis:\n  changepoint: {min_magnitude: 0.5}\n  leak: {interval: 1s}\n  health: {window: 30m}\n");
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  r = c.Post("/api/v1/analysis/changepoints", series, "application/json");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("\"changepoints\":[]"), std::string::npos) << r.body;
  EXPECT_NE(c.Get("/api/v1/health?app=shop").body.find("\"window\":\"30m\""), std::string::npos);
  EXPECT_TRUE(Eventually([&] { return MetricValue(c, passes) >= 2; })) << server.log();
  EXPECT_EQ(server.log().find("need a restart"), std::string::npos) << server.log();

  // A leak expression that does not parse fails the reload: nothing changes.
  dir.Write("perfwatch.yml",
            "analysis:\n  changepoint: {min_magnitude: 0.1}\n  leak: {interval: 1s, expressions: ['sum(']}\n"
            "  health: {window: 2h}\n");
  r = c.Post("/-/reload", "", "text/plain");
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_NE(r.body.find("analysis.leak"), std::string::npos) << r.body;
  EXPECT_EQ(ReloadMetric(c), "0");
  EXPECT_NE(c.Post("/api/v1/analysis/changepoints", series, "application/json").body.find("\"changepoints\":[]"),
            std::string::npos);
  EXPECT_NE(c.Get("/api/v1/health?app=shop").body.find("\"window\":\"30m\""), std::string::npos);
  const double before = MetricValue(c, passes);
  EXPECT_TRUE(Eventually([&] { return MetricValue(c, passes) > before; })) << "the leak passes go on";
}

// --- rum caps, query cache, browsers ---

// A vital beacon of `app` on `page` (its own event: no id).
std::string VitalBeacon(const std::string& app, const std::string& page) {
  return R"({"type":"vital","name":"LCP","value":1200,"url":"https://shop.example)" + page + R"(","app":")" + app +
         R"("})";
}

// Series of `expr` summed (1 when the series exists, 0 when not).
int64_t Exists(HttpClient& c, const std::string& selector) { return ResultCount(c, "sum(" + selector + ")"); }

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// rum.max_pages_per_app / max_apps: a raised cap admits new pages and apps from the next
// beacon; a lowered one keeps those that exist and refuses new ones; a bad file changes
// nothing.
TEST(ConfigReloadTest, RumSeriesCapsApplyToTheNextBeacon) {
  TempDir dir("pw_reload_");
  const std::string base = "scrape:\n  self_scrape: false\nrum:\n  rate_limit_per_ip: 0\n";
  const std::string path = dir.Write("perfwatch.yml", base + "  max_pages_per_app: 1\n  max_apps: 1\n");
  ServerProcess server({"--config", path});
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient c(server.port());
  const std::string pages = "perfwatch_rum_pages_overflow_total";
  const std::string apps = "perfwatch_rum_apps_overflow_total";
  auto post = [&](const std::string& app, const std::string& page) {
    return c.Post("/api/rum", VitalBeacon(app, page), "application/json").status;
  };
  ASSERT_EQ(post("shop", "/a"), 204);
  ASSERT_EQ(post("shop", "/b"), 204);
  ASSERT_EQ(post("blog", "/a"), 204);
  EXPECT_EQ(MetricValue(c, pages), 1);
  EXPECT_EQ(MetricValue(c, apps), 1);
  ASSERT_TRUE(Eventually([&] { return Exists(c, R"(rum_lcp_seconds_count{app="shop",page="/a"})") == 1; }));
  EXPECT_EQ(Exists(c, R"(rum_lcp_seconds_count{app="shop",page="/b"})"), 0);
  EXPECT_EQ(Exists(c, R"(rum_lcp_seconds_count{app="blog"})"), 0);

  dir.Write("perfwatch.yml", base + "  max_pages_per_app: 2\n  max_apps: 2\n");
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  EXPECT_EQ(server.log().find("need a restart"), std::string::npos) << server.log();
  ASSERT_EQ(post("shop", "/b"), 204);
  ASSERT_EQ(post("blog", "/a"), 204);
  EXPECT_EQ(MetricValue(c, pages), 1) << "the raised cap admitted /b";
  EXPECT_EQ(MetricValue(c, apps), 1) << "and the app blog";
  EXPECT_TRUE(Eventually([&] { return Exists(c, R"(rum_lcp_seconds_count{app="shop",page="/b"})") == 1; }));
  EXPECT_TRUE(Eventually([&] { return Exists(c, R"(rum_lcp_seconds_count{app="blog",page="/a"})") == 1; }));

  // Lowered below what exists: /a and /b go on, /c is refused (page="other").
  dir.Write("perfwatch.yml", base + "  max_pages_per_app: 1\n  max_apps: 1\n");
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  ASSERT_EQ(post("shop", "/b"), 204);
  ASSERT_EQ(post("shop", "/c"), 204);
  EXPECT_EQ(MetricValue(c, pages), 2);
  EXPECT_TRUE(Eventually([&] {
    return ResultCount(c, R"(sum(rum_lcp_seconds_count{app="shop",page="/b"}) == 2)") == 1;
  }));
  EXPECT_EQ(Exists(c, R"(rum_lcp_seconds_count{app="shop",page="/c"})"), 0);

  // A bad value elsewhere in `rum:` fails the reload: the raised cap is not applied.
  dir.Write("perfwatch.yml", base + "  max_pages_per_app: 5\n  max_apps: 1\n  percentile_window: 0s\n");
  HttpResponse r = c.Post("/-/reload", "", "text/plain");
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_NE(r.body.find("rum.percentile_window"), std::string::npos) << r.body;
  EXPECT_EQ(ReloadMetric(c), "0");
  ASSERT_EQ(post("shop", "/d"), 204);
  EXPECT_EQ(MetricValue(c, pages), 3) << "still capped at 1";
  EXPECT_NE(c.Get("/api/v1/status/config").body.find("max_pages_per_app: 1"), std::string::npos);
}

// rum.rate_limit_per_ip / rate_limit_burst: switched on (429 appears), a bad value changes
// nothing, switched off (429 gone), on again with a new burst.
TEST(ConfigReloadTest, RumRateLimitTurnsOnAndOff) {
  TempDir dir("pw_reload_");
  // Through the trusted proxy 127.0.0.1, X-Forwarded-For names the client (loopback
  // clients are never limited).
  const std::string base = "scrape:\n  self_scrape: false\nhttp:\n  trusted_proxies: [127.0.0.1]\nrum:\n";
  const std::string path = dir.Write("perfwatch.yml", base + "  rate_limit_per_ip: 0\n");
  ServerProcess server({"--config", path});
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient c(server.port());
  auto post = [&](const std::string& client) {
    return c.Post("/api/rum", VitalBeacon("shop", "/"), "application/json", {{"X-Forwarded-For", client}}).status;
  };
  for (int i = 0; i < 10; ++i) ASSERT_EQ(post("198.51.100.7"), 204) << "off: " << i;

  dir.Write("perfwatch.yml", base + "  rate_limit_per_ip: 0.01\n  rate_limit_burst: 2\n");
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  EXPECT_EQ(server.log().find("need a restart"), std::string::npos) << server.log();
  EXPECT_EQ(post("198.51.100.7"), 204);
  EXPECT_EQ(post("198.51.100.7"), 204);
  EXPECT_EQ(post("198.51.100.7"), 429) << "the burst of 2 is spent";
  EXPECT_EQ(c.Get("/rum.js", {{"X-Forwarded-For", "198.51.100.7"}}).status, 429);

  dir.Write("perfwatch.yml", base + "  rate_limit_per_ip: -1\n");
  HttpResponse r = c.Post("/-/reload", "", "text/plain");
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_NE(r.body.find("rum.rate_limit_per_ip"), std::string::npos) << r.body;
  EXPECT_EQ(post("198.51.100.7"), 429) << "the limit stays on";

  dir.Write("perfwatch.yml", base + "  rate_limit_per_ip: 0\n");
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(post("198.51.100.7"), 204) << "off again: " << i;

  dir.Write("perfwatch.yml", base + "  rate_limit_per_ip: 0.01\n  rate_limit_burst: 3\n");
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(post("198.51.100.8"), 204) << i;
  EXPECT_EQ(post("198.51.100.8"), 429) << "the new burst of 3";
}

// query.cache_max_bytes: from 0 (no cache) to 1 MiB (repeats are hits), then 0 again (the
// cache emptied at once).
TEST(ConfigReloadTest, QueryCacheIsResized) {
  TempDir dir("pw_reload_");
  const std::string base = "scrape:\n  self_scrape: false\nquery:\n";
  const std::string path = dir.Write("perfwatch.yml", base + "  cache_max_bytes: 0\n");
  ServerProcess server({"--config", path});
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient c(server.port());
  const std::string query = "/api/v1/query?time=1700000000&query=" + testing::UrlEncode("vector(7)");
  const std::string hits = "perfwatch_query_cache_hits_total";
  const std::string bytes = "perfwatch_query_cache_bytes";
  for (int i = 0; i < 3; ++i) ASSERT_EQ(c.Get(query).status, 200);
  EXPECT_EQ(MetricValue(c, hits), 0);
  EXPECT_EQ(MetricValue(c, bytes), 0);

  dir.Write("perfwatch.yml", base + "  cache_max_bytes: 1048576\n");
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  EXPECT_EQ(server.log().find("need a restart"), std::string::npos) << server.log();
  for (int i = 0; i < 3; ++i) ASSERT_EQ(c.Get(query).status, 200);
  EXPECT_GE(MetricValue(c, hits), 2);
  EXPECT_GT(MetricValue(c, bytes), 0);

  dir.Write("perfwatch.yml", base + "  cache_max_bytes: -5\n");
  EXPECT_EQ(c.Post("/-/reload", "", "text/plain").status, 500);
  EXPECT_GT(MetricValue(c, bytes), 0) << "a bad value keeps the cache";

  dir.Write("perfwatch.yml", base + "  cache_max_bytes: 0\n");
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  EXPECT_EQ(MetricValue(c, bytes), 0) << "evicted down to 0";
  const double before = MetricValue(c, hits);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(c.Get(query).status, 200);
  EXPECT_EQ(MetricValue(c, hits), before);
}

// rum.percentile_interval (the writer switched on) and rum.journey_timeout (the journeys
// API and the abandoned count) apply without a restart.
TEST(ConfigReloadTest, RumPercentileWriterAndJourneyTimeoutApply) {
  TempDir dir("pw_reload_");
  const std::string base = "scrape:\n  self_scrape: false\nrum:\n";
  const std::string path = dir.Write("perfwatch.yml", base + "  percentile_interval: 0s\n  journey_timeout: 1h\n");
  ServerProcess server({"--config", path});
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient c(server.port());
  const int64_t t = WallMs() - 60'000;
  const std::string journey =
      R"({"type":"journey","name":"checkout","value":1500,"id":"j-1","journeyId":"1","outcome":"abandoned",)"
      R"("steps":[{"name":"cart","t":0,"d":500}],"sessionId":"s1","timestamp":)" +
      std::to_string(t) + R"(,"url":"https://shop.example/cart","app":"shop"})";
  ASSERT_EQ(c.Post("/api/rum", "[" + VitalBeacon("shop", "/") + "," + journey + "]", "application/json").status,
            204);
  auto abandoned = [&] {
    const std::string body = c.Get("/api/v1/journeys?app=shop&name=checkout&window=1h").body;
    const size_t at = body.find("\"abandoned\":");
    return at == std::string::npos ? -1.0 : std::strtod(body.c_str() + at + 12, nullptr);
  };
  EXPECT_EQ(abandoned(), 0) << "a minute old: under the 1 h timeout";
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(ResultCount(c, "rum_vital_percentile"), 0) << "the writer is off";
  EXPECT_EQ(Exists(c, R"(rum_journeys_total{outcome="abandoned"})"), 0) << "held under the 1 h timeout";

  // The aggregator times a held journey from its receive time, the API from its event time.
  dir.Write("perfwatch.yml", base + "  percentile_interval: 1s\n  journey_timeout: 2s\n");
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  EXPECT_EQ(server.log().find("need a restart"), std::string::npos) << server.log();
  EXPECT_EQ(abandoned(), 1) << "the 2 s timeout applies to the next request";
  EXPECT_TRUE(Eventually([&] { return ResultCount(c, R"(rum_vital_percentile{app="shop"})") > 0; }))
      << "the writer runs every second";
  EXPECT_TRUE(Eventually([&] { return Exists(c, R"(rum_journeys_total{outcome="abandoned"})") == 1; }))
      << "the aggregator's sweep counts it with the new timeout";

  dir.Write("perfwatch.yml", base + "  percentile_interval: 1s\n  journey_timeout: 0s\n");
  HttpResponse r = c.Post("/-/reload", "", "text/plain");
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_NE(r.body.find("rum.journey_timeout"), std::string::npos) << r.body;
  EXPECT_EQ(abandoned(), 1);
}

// synthetic.max_browsers: applied (the browser pool resized) without a restart warning; an
// out-of-range value fails the reload.
TEST(ConfigReloadTest, SyntheticMaxBrowsersReloads) {
  TempDir dir("pw_reload_");
  const std::string base = "scrape:\n  self_scrape: false\nsynthetic:\n";
  const std::string path = dir.Write("perfwatch.yml", base + "  max_browsers: 1\n");
  ServerProcess server({"--config", path});
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient c(server.port());
  dir.Write("perfwatch.yml", base + "  max_browsers: 3\n");
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  EXPECT_EQ(server.log().find("need a restart"), std::string::npos) << server.log();
  EXPECT_NE(c.Get("/api/v1/status/config").body.find("max_browsers: 3"), std::string::npos);
  dir.Write("perfwatch.yml", base + "  max_browsers: 99\n");
  HttpResponse r = c.Post("/-/reload", "", "text/plain");
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_NE(r.body.find("synthetic.max_browsers"), std::string::npos) << r.body;
  EXPECT_NE(c.Get("/api/v1/status/config").body.find("max_browsers: 3"), std::string::npos);
}

// --- tsdb and events keys ---
// One remote-write request of a sample per instance (job="rl"), snappy-compressed.
std::string RemoteWriteBody(const std::vector<std::string>& instances, int64_t t) {
  std::vector<std::string> ts;
  for (const std::string& instance : instances) {
    ts.push_back(ingest::EncodeTimeSeries({{"__name__", "rl_up"}, {"instance", instance}, {"job", "rl"}}, {{t, 1}}));
  }
  const std::string raw = ingest::EncodeWriteRequest(ts);
  std::string compressed;
  snappy::Compress(raw.data(), raw.size(), &compressed);
  return compressed;
}

int PostRemoteWrite(HttpClient& c, const std::vector<std::string>& instances, int64_t t) {
  return c.Post("/api/v1/write", RemoteWriteBody(instances, t), "application/x-protobuf",
                {{"Content-Encoding", "snappy"}, {"X-Prometheus-Remote-Write-Version", "0.1.0"}})
      .status;
}

// A number field of GET /api/v1/status/runtimeinfo (-1 when absent).
int64_t RuntimeInfoNumber(HttpClient& c, const std::string& key) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  int64_t v = -1;
  if (parser.parse(c.Get("/api/v1/status/runtimeinfo").body).get(root) || root["data"][key].get(v)) return -1;
  return v;
}

// tsdb.max_series lowered to what the head holds: new series are refused (400, counted as
// series_limit) while existing ones take samples; raised: accepted. Then
// max_label_value_length and max_remote_write_decompressed_bytes; a bad value elsewhere
// (events.retention below 1h) fails the reload with the limits unchanged.
TEST(ConfigReloadTest, TsdbLimitsApplyToTheNextRemoteWrite) {
  TempDir dir("pw_reload_");
  const std::string base = "scrape:\n  self_scrape: false\n";
  const std::string path = dir.Write("perfwatch.yml", base + "tsdb:\n  max_series: 100000\n");
  ServerProcess server({"--config", path});
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient c(server.port());
  const std::string series_limit = R"(perfwatch_tsdb_samples_rejected_total{reason="series_limit"})";
  const std::string label_limit = R"(perfwatch_tsdb_samples_rejected_total{reason="label_limit"})";
  int64_t t = WallMs();
  ASSERT_EQ(PostRemoteWrite(c, {"a", "b"}, t), 204);
  const int64_t head = RuntimeInfoNumber(c, "headSeries");
  ASSERT_GE(head, 2);

  dir.Write("perfwatch.yml", base + "tsdb:\n  max_series: " + std::to_string(head) + "\n");
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  EXPECT_EQ(server.log().find("need a restart"), std::string::npos) << server.log();
  EXPECT_EQ(PostRemoteWrite(c, {"c"}, ++t), 400) << "a new series over the lowered limit";
  // (>= : the server's own writers may meet the limit too)
  EXPECT_GE(LabelledMetric(c, "perfwatch_tsdb_samples_rejected_total", R"(reason="series_limit")"), 1)
      << series_limit;
  EXPECT_EQ(PostRemoteWrite(c, {"a", "b"}, ++t), 204) << "existing series go on";

  dir.Write("perfwatch.yml", base + "tsdb:\n  max_series: " + std::to_string(head + 1000) + "\n");
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  EXPECT_EQ(PostRemoteWrite(c, {"c"}, ++t), 204) << "the raised limit admits it";
  EXPECT_TRUE(Eventually([&] { return Exists(c, R"(rl_up{instance="c"})") == 1; }));

  // A bad file changes nothing: the lowered limit in it is not applied.
  dir.Write("perfwatch.yml", base + "tsdb:\n  max_series: 1\nevents:\n  retention: 30m\n");
  HttpResponse bad = c.Post("/-/reload", "", "text/plain");
  EXPECT_EQ(bad.status, 500) << bad.body;
  EXPECT_NE(bad.body.find("events.retention"), std::string::npos) << bad.body;
  EXPECT_EQ(ReloadMetric(c), "0");
  EXPECT_EQ(PostRemoteWrite(c, {"d"}, ++t), 204) << "max_series is still the raised one";

  dir.Write("perfwatch.yml", base + "tsdb:\n  max_series: " + std::to_string(head + 1000) +
                                 "\n  max_label_value_length: 8\n");
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  EXPECT_EQ(ReloadMetric(c), "1");
  EXPECT_EQ(PostRemoteWrite(c, {"a-much-longer-instance"}, ++t), 400);
  EXPECT_GE(LabelledMetric(c, "perfwatch_tsdb_samples_rejected_total", R"(reason="label_limit")"), 1) << label_limit;
  EXPECT_EQ(PostRemoteWrite(c, {"short"}, ++t), 204);

  dir.Write("perfwatch.yml", base + "tsdb:\n  max_remote_write_decompressed_bytes: 16\n");
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  EXPECT_EQ(PostRemoteWrite(c, {"a", "b"}, ++t), 413) << "the body decompresses past 16 bytes";
  dir.Write("perfwatch.yml", base);
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  EXPECT_EQ(PostRemoteWrite(c, {"a", "b"}, ++t), 204);
  EXPECT_EQ(server.log().find("need a restart"), std::string::npos) << server.log();
}

// events.retention: a lowered retention drops the days the old one kept at once (the
// store's background pass wakes for it), as the store reports (eventsStored,
// eventsRetention); tsdb.retention shows in storageRetention.
TEST(ConfigReloadTest, EventsRetentionDropsOldDaysAtOnce) {
  TempDir dir("pw_reload_");
  const std::string base = "scrape:\n  self_scrape: false\nrum:\n  rate_limit_per_ip: 0\n  max_timestamp_age: 30d\n";
  const std::string path = dir.Write("perfwatch.yml", base + "events:\n  retention: 7d\n");
  ServerProcess server({"--config", path});
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient c(server.port());
  const int64_t now = WallMs();
  auto beacon = [&](const std::string& page, int64_t t) {
    return R"({"type":"vital","name":"LCP","value":1200,"url":"https://shop.example)" + page +
           R"(","app":"shop","timestamp":)" + std::to_string(t) + "}";
  };
  ASSERT_EQ(c.Post("/api/rum", beacon("/old", now - 4 * 86'400'000LL), "application/json").status, 204);
  ASSERT_EQ(c.Post("/api/rum", beacon("/new", now), "application/json").status, 204);
  ASSERT_TRUE(Eventually([&] { return RuntimeInfoNumber(c, "eventsStored") >= 2; }))
      << c.Get("/api/v1/status/runtimeinfo").body;
  const int64_t stored = RuntimeInfoNumber(c, "eventsStored");

  dir.Write("perfwatch.yml", base + "events:\n  retention: 2d\n  fsync_interval: 0s\ntsdb:\n  retention: 5d\n");
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  EXPECT_EQ(server.log().find("need a restart"), std::string::npos) << server.log();
  EXPECT_TRUE(Eventually([&] { return RuntimeInfoNumber(c, "eventsStored") == stored - 1; }))
      << "the 4-day-old event is dropped: " << c.Get("/api/v1/status/runtimeinfo").body;
  const std::string info = c.Get("/api/v1/status/runtimeinfo").body;
  EXPECT_NE(info.find(R"("eventsRetention":"2d")"), std::string::npos) << info;
  EXPECT_NE(info.find(R"("storageRetention":"5d")"), std::string::npos) << info;
  // Appends go on under the new fsync policy (fsync before each acknowledgement).
  ASSERT_EQ(c.Post("/api/rum", beacon("/later", WallMs()), "application/json").status, 204);
  EXPECT_TRUE(Eventually([&] { return RuntimeInfoNumber(c, "eventsStored") == stored; }));
  EXPECT_NE(c.Get("/api/v1/status/config").body.find("retention: 2d"), std::string::npos);
}

// --- http and otlp keys ---
// A JSON array of `n` vital beacons (~100 bytes each): a valid body of any size.
std::string Beacons(int n) {
  std::string out = "[";
  for (int i = 0; i < n; ++i) out += (i ? "," : "") + VitalBeacon("shop", "/p");
  return out + "]";
}

// The server log's restart warning line ("" when there is none).
std::string RestartWarning(const std::string& log) {
  const size_t at = log.find("need a restart");
  return at == std::string::npos ? "" : log.substr(at, log.find('\n', at) - at);
}

// http.max_body_bytes, max_header_bytes and max_inflight_*: applied to the next request (on
// a connection opened before the reload, too) without a restart warning; a bad value
// fails the reload and changes nothing; http.threads still needs a restart.
TEST(ConfigReloadTest, HttpLimitsApplyToTheNextRequest) {
  TempDir dir("pw_reload_");
  const std::string base = "scrape:\n  self_scrape: false\nrum:\n  rate_limit_per_ip: 0\n";
  const std::string path = dir.Write("perfwatch.yml", base + "http:\n  max_body_bytes: 65536\n");
  ServerProcess server({"--config", path});
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient c(server.port());  // keep-alive: the same connection before and after
  const std::string body = Beacons(60);
  ASSERT_GT(body.size(), 4096u);
  ASSERT_EQ(c.Post("/api/rum", body, "application/json").status, 204);
  EXPECT_NE(c.Get("/metrics").body.find("perfwatch_http_inflight_limit{class=\"query\"} 32"), std::string::npos);

  dir.Write("perfwatch.yml", base +
                                 "http:\n  max_body_bytes: 4096\n  max_header_bytes: 2048\n"
                                 "  max_inflight_query: 7\n  header_timeout: 5s\n  idle_timeout: 30s\n");
  HttpResponse r = c.Post("/-/reload", "", "text/plain");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(ReloadMetric(c), "1");
  EXPECT_EQ(RestartWarning(server.log()), "") << server.log();
  HttpResponse refused = c.Post("/api/rum", body, "application/json");
  EXPECT_EQ(refused.status, 413);
  EXPECT_NE(refused.body.find("4096"), std::string::npos) << refused.body;
  EXPECT_EQ(HttpClient(server.port()).Post("/api/rum", Beacons(10), "application/json").status, 204);
  EXPECT_EQ(HttpClient(server.port()).Get("/metrics", {{"X-Pad", std::string(3000, 'x')}}).status, 431);
  EXPECT_NE(c.Get("/metrics").body.find("perfwatch_http_inflight_limit{class=\"query\"} 7"), std::string::npos);
  EXPECT_NE(c.Get("/api/v1/status/config").body.find("max_body_bytes: 4096"), std::string::npos);

  // A bad value fails the whole reload: the raised body limit is not applied either.
  dir.Write("perfwatch.yml", base + "http:\n  max_body_bytes: 65536\n  max_connections: 0\n");
  r = c.Post("/-/reload", "", "text/plain");
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_NE(r.body.find("max_connections"), std::string::npos) << r.body;
  EXPECT_EQ(ReloadMetric(c), "0");
  EXPECT_EQ(HttpClient(server.port()).Post("/api/rum", body, "application/json").status, 413);
  dir.Write("perfwatch.yml", base + "http:\n  max_body_bytes: 65536\n  trusted_proxies: [nonsense]\n");
  r = c.Post("/-/reload", "", "text/plain");
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_EQ(HttpClient(server.port()).Post("/api/rum", body, "application/json").status, 413);

  // Raised again, with a restart-only key changed alongside: the limit applies, threads warns.
  dir.Write("perfwatch.yml", base + "http:\n  max_body_bytes: 65536\n  threads: 3\n");
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  EXPECT_EQ(HttpClient(server.port()).Post("/api/rum", body, "application/json").status, 204);
  EXPECT_TRUE(Eventually([&] { return RestartWarning(server.log()).find("http.threads") != std::string::npos; }))
      << server.log();
  EXPECT_EQ(RestartWarning(server.log()).find("max_body_bytes"), std::string::npos) << server.log();
}

// http.trusted_proxies: through the RUM rate limit, X-Forwarded-For names the client only
// while the peer (127.0.0.1 here) is trusted; loopback clients themselves are never limited.
TEST(ConfigReloadTest, HttpTrustedProxiesApplyToTheNextRequest) {
  TempDir dir("pw_reload_");
  const std::string base = "scrape:\n  self_scrape: false\nrum:\n  rate_limit_per_ip: 0.01\n  rate_limit_burst: 1\n";
  const std::string path = dir.Write("perfwatch.yml", base);
  ServerProcess server({"--config", path});
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient c(server.port());
  auto post = [&](const std::string& client) {
    return c.Post("/api/rum", VitalBeacon("shop", "/"), "application/json", {{"X-Forwarded-For", client}}).status;
  };
  for (int i = 0; i < 5; ++i) ASSERT_EQ(post("198.51.100.9"), 204) << "untrusted peer: the loopback client " << i;

  dir.Write("perfwatch.yml", base + "http:\n  trusted_proxies: [127.0.0.1]\n");
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  EXPECT_EQ(RestartWarning(server.log()), "") << server.log();
  EXPECT_EQ(post("198.51.100.9"), 204);
  EXPECT_EQ(post("198.51.100.9"), 429) << "the forwarded client's burst of 1 is spent";
  EXPECT_EQ(post("198.51.100.10"), 204) << "another forwarded client";

  dir.Write("perfwatch.yml", base);
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(post("198.51.100.9"), 204) << "untrusted again " << i;
}

// One OTLP/JSON request: a server span of `service` ending a second ago.
std::string OtlpTraces(const std::string& service, int i) {
  const int64_t end_ns = WallMs() * 1'000'000 - 1'000'000'000;
  const std::string n = std::to_string(i + 1);  // decimal digits are hex digits too
  const std::string ids = R"("traceId":")" + std::string(32 - n.size(), '0') + n + R"(","spanId":")" +
                          std::string(16 - n.size(), '0') + n + "\"";
  return R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":")" + service +
         R"("}}]},"scopeSpans":[{"scope":{"name":"t"},"spans":[{)" + ids +
         R"(,"name":"GET /x","kind":2,"startTimeUnixNano":")" + std::to_string(end_ns - 20'000'000) +
         R"(","endTimeUnixNano":")" + std::to_string(end_ns) + R"("}]}]}]})";
}

// otlp.max_services (RED series and error series: service "other"), otlp.max_body_bytes
// and span_retention: applied to the next request without a restart warning; otlp.listen
// still needs one.
TEST(ConfigReloadTest, OtlpCapsAndBodyLimitApplyToTheNextRequest) {
  TempDir dir("pw_reload_");
  const std::string base = "scrape:\n  self_scrape: false\n";
  const std::string path = dir.Write("perfwatch.yml", base + "otlp:\n  max_services: 1\n");
  ServerProcess server({"--config", path});
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient c(server.port());
  auto post = [&](const std::string& service, int i) {
    return c.Post("/v1/traces", OtlpTraces(service, i), "application/json").status;
  };
  const std::string overflow = "perfwatch_otlp_services_overflow_total";
  ASSERT_EQ(post("api", 1), 200);
  ASSERT_EQ(post("auth", 2), 200);
  EXPECT_EQ(MetricValue(c, overflow), 1);
  EXPECT_TRUE(Eventually([&] { return Exists(c, R"(perfwatch_span_calls_total{service="other"})") == 1; }));
  EXPECT_EQ(Exists(c, R"(perfwatch_span_calls_total{service="auth"})"), 0);

  dir.Write("perfwatch.yml", base + "otlp:\n  max_services: 3\n  span_retention: 2d\n");
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  EXPECT_EQ(RestartWarning(server.log()), "") << server.log();
  ASSERT_EQ(post("auth", 3), 200);
  EXPECT_EQ(MetricValue(c, overflow), 1) << "auth admitted under the raised cap";
  EXPECT_TRUE(Eventually([&] { return Exists(c, R"(perfwatch_span_calls_total{service="auth"})") == 1; }));
  std::string padded = OtlpTraces("api", 5);  // ~1.5 KB
  padded.insert(padded.find(R"("scopeSpans")"), R"("schemaUrl":")" + std::string(1200, 'x') + R"(",)");
  ASSERT_EQ(c.Post("/v1/traces", padded, "application/json").status, 200);

  // Lowered: api and auth keep their series, a third service is "other".
  dir.Write("perfwatch.yml", base + "otlp:\n  max_services: 1\n  max_body_bytes: 1024\n");
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  ASSERT_EQ(post("cart", 4), 200);
  EXPECT_EQ(MetricValue(c, overflow), 2);
  // otlp.max_body_bytes: the request taken before is now too large.
  EXPECT_EQ(c.Post("/v1/traces", padded, "application/json").status, 413);
  EXPECT_EQ(post("api", 6), 200);

  // A bad value fails the reload: the body limit stays.
  dir.Write("perfwatch.yml", base + "otlp:\n  max_services: 5\n  max_body_bytes: 10\n");
  HttpResponse r = c.Post("/-/reload", "", "text/plain");
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_EQ(c.Post("/v1/traces", padded, "application/json").status, 413);
  ASSERT_EQ(post("shop", 7), 200);
  EXPECT_EQ(MetricValue(c, overflow), 3) << "max_services stays 1";

  // otlp.listen is restart-only.
  dir.Write("perfwatch.yml", base + "otlp:\n  max_services: 1\n  max_body_bytes: 1024\n  listen: 127.0.0.1:0\n");
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  EXPECT_TRUE(Eventually([&] { return RestartWarning(server.log()).find("otlp.listen") != std::string::npos; }))
      << server.log();
}

}  // namespace
}  // namespace perfwatch
