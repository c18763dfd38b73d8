// Reloading every reloadable section without a restart (issue 21 item 4; docs/operations.md
// "Reloading"): the config file is changed, POST /-/reload (or SIGHUP) applies it, and the
// effect is observed through the API: scrape targets added and removed (the removed ones'
// series go stale), synthetic checks added and removed (API checks kept), remote_write
// queues started and stopped, auth tokens swapped at once. An invalid change to each
// section fails the reload, reports it (perfwatch_config_last_reload_successful 0) and
// leaves everything as it was. Restart-only keys keep their values with a warning.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <functional>
#include <string>
#include <thread>

#include "support/http_client.h"
#include "support/server_process.h"
#include "support/sha256.h"
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
  dir.Write("perfwatch.yml", "tsdb:\n  retention: 9d\nevents:\n  retention: 2d\nscrape_configs:\n" +
                                 Job("t", target));
  ASSERT_EQ(c.Post("/-/reload", "", "text/plain").status, 200);
  EXPECT_TRUE(target.WaitFor(1, 10'000)) << "the reloadable part is applied";
  EXPECT_TRUE(Eventually([&] {
    const std::string log = server.log();
    return log.find("need a restart") != std::string::npos &&
           log.find("events,tsdb") != std::string::npos;
  })) << server.log();
  const std::string yaml = c.Get("/api/v1/status/config").body;
  EXPECT_NE(yaml.find("retention: 3d"), std::string::npos) << yaml;
  EXPECT_EQ(yaml.find("9d"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("job_name: t"), std::string::npos) << yaml;
  EXPECT_NE(c.Get("/api/v1/status/runtimeinfo").body.find("\"storageRetention\":\"3d\""),
            std::string::npos);
}

}  // namespace
}  // namespace perfwatch
