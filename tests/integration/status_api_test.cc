// GET /api/v1/status/config, /runtimeinfo and /flags through the real binary: Prometheus'
// shapes, secrets never in the answer, flags written into the effective configuration,
// reloads reflected, scope `read` (docs/api.md, docs/security.md).
#include <gtest/gtest.h>
#include <simdjson.h>

#include <unistd.h>

#include <csignal>
#include <string>
#include <vector>

#include "support/http_client.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

namespace perfwatch {
namespace {

using testing::HttpClient;

// sha256("status-read-token-abc") and sha256("status-ingest-token-xyz").
constexpr const char* kReadTokenHash = "c85d1d498c41c41329df00a061edf2a3c2115b649e6a24f75416c6d72ecca957";
constexpr const char* kIngestTokenHash = "271da4118b633b78e5720007fde23777827dbc72d7991f65c60c836bb2530fe3";
const std::vector<std::pair<std::string, std::string>> kRead = {{"Authorization", "Bearer status-read-token-abc"}};

// Every value here is secret and must never be answered.
const std::vector<std::string> kSecrets = {
    "status-read-token-abc", kReadTokenHash, kIngestTokenHash, "SLACKHOOK0042", "GLOBALSLACK77",
    "PDROUTINGKEY99",        "SMTPPASS_x1",  "GLOBALSMTP_y2",  "WEBHOOKPATH55", "BEARERCRED77",
    "BASICPASS31",           "userpw9",      "OPSGENIEKEY5",   "VICTOROPSKEY6", "WECHATSECRET7"};

std::string ConfigYaml(const std::string& extra_receiver = "") {
  return std::string("auth:\n  tokens:\n") +
         "    - {name: reader, token_sha256: " + kReadTokenHash + ", scopes: [read]}\n" +
         "    - {name: writer, token_sha256: " + kIngestTokenHash + ", scopes: [ingest]}\n" +
         "external_url: http://user:userpw9@perfwatch.example.com/\n"
         "alerting:\n"
         "  global:\n"
         "    smtp_auth_password: GLOBALSMTP_y2\n"
         "    slack_api_url: https://hooks.slack.com/services/GLOBALSLACK77\n"
         "    opsgenie_api_key: OPSGENIEKEY5\n"
         "    victorops_api_key: VICTOROPSKEY6\n"
         "    wechat_api_secret: WECHATSECRET7\n"
         "  route:\n"
         "    receiver: team\n"
         "  receivers:\n"
         "    - name: team\n"
         "      slack_configs:\n"
         "        - api_url: https://hooks.slack.com/services/SLACKHOOK0042\n"
         "          channel: '#ops'\n"
         "      pagerduty_configs:\n"
         "        - routing_key: PDROUTINGKEY99\n"
         "      email_configs:\n"
         "        - to: oncall@example.com\n"
         "          from: perfwatch@example.com\n"
         "          smarthost: smtp.example.com:587\n"
         "          auth_username: perfwatch\n"
         "          auth_password: SMTPPASS_x1\n"
         "      webhook_configs:\n"
         "        - url: http://hooks.example.com/WEBHOOKPATH55\n"
         "          http_config:\n"
         "            authorization:\n"
         "              type: Token\n"
         "              credentials: BEARERCRED77\n"
         "        - url: http://user:userpw9@hooks.example.com/plain\n"
         "          http_config:\n"
         "            basic_auth:\n"
         "              username: bob\n"
         "              password: BASICPASS31\n" +
         extra_receiver;
}

std::string StringField(const std::string& body, const char* a, const char* b = nullptr) {
  simdjson::dom::parser parser;
  auto doc = parser.parse(body);
  if (doc.error()) return "<bad json>";
  auto v = doc["data"][a];
  if (b) v = v[b];
  std::string_view s;
  if (v.get(s)) return "<missing>";
  return std::string(s);
}

TEST(StatusApiTest, ConfigHidesEverySecretAndShowsFlagOverrides) {
  testing::ServerProcess server({}, ConfigYaml());
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient c(server.port());
  auto r = c.Get("/api/v1/status/config", kRead);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.rfind(R"({"status":"success","data":{"yaml":")", 0), 0u) << r.body;
  for (const std::string& secret : kSecrets) EXPECT_EQ(r.body.find(secret), std::string::npos) << secret << "\n" << r.body;
  const std::string yaml = StringField(r.body, "yaml");
  EXPECT_NE(yaml.find("routing_key: <secret>"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("api_url: <secret>"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("auth_password: <secret>"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("token_sha256: <secret>"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("http://user:<secret>@perfwatch.example.com/"), std::string::npos) << yaml;
  // What is not secret stays readable; the flags' values are written in.
  EXPECT_NE(yaml.find("name: reader"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("type: Token"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("credentials: <secret>"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("channel: \"#ops\""), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("data_dir: " + server.data_dir().string()), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("listen: 127.0.0.1:" + std::to_string(server.port())), std::string::npos) << yaml;
  // Other status answers do not leak them either.
  for (const char* path : {"/api/v1/status/runtimeinfo", "/api/v1/status/flags", "/api/v2/status"}) {
    auto o = c.Get(path, kRead);
    EXPECT_EQ(o.status, 200) << path << o.body;
    for (const std::string& secret : kSecrets) EXPECT_EQ(o.body.find(secret), std::string::npos) << path << secret;
  }
  // Scope read: no token 401, an ingest-only token 403.
  EXPECT_EQ(c.Get("/api/v1/status/config").status, 401);
  EXPECT_EQ(c.Get("/api/v1/status/config", {{"Authorization", "Bearer status-ingest-token-xyz"}}).status, 403);
}

TEST(StatusApiTest, RuntimeInfoAndFlagsInPrometheusShape) {
  testing::ServerProcess server({}, "tsdb:\n  retention: 15d\n");
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient c(server.port());
  auto r = c.Get("/api/v1/status/runtimeinfo");
  ASSERT_EQ(r.status, 200) << r.body;
  simdjson::dom::parser parser;
  auto doc = parser.parse(r.body);
  ASSERT_FALSE(doc.error()) << r.body;
  auto data = doc["data"];
  for (const char* key : {"startTime", "CWD", "lastConfigTime", "GOGC", "GODEBUG", "storageRetention", "version",
                          "dataDir", "eventsRetention"}) {
    std::string_view s;
    EXPECT_FALSE(data[key].get(s)) << key << " is not a string: " << r.body;
  }
  for (const char* key : {"corruptionCount", "goroutineCount", "GOMAXPROCS", "eventsStored", "headSeries", "rssBytes"}) {
    int64_t n = -1;
    EXPECT_FALSE(data[key].get(n)) << key << " is not an integer: " << r.body;
    EXPECT_GE(n, 0) << key;
  }
  bool ok = false;
  EXPECT_FALSE(data["reloadConfigSuccess"].get(ok));
  EXPECT_TRUE(ok);
  EXPECT_EQ(StringField(r.body, "storageRetention"), "15d");
  EXPECT_EQ(StringField(r.body, "dataDir"), server.data_dir().string());
  int64_t threads = 0;
  EXPECT_FALSE(data["goroutineCount"].get(threads));
  EXPECT_GT(threads, 1);
  int64_t rss = 0;
  EXPECT_FALSE(data["rssBytes"].get(rss));
  EXPECT_GT(rss, 1 << 20);

  auto f = c.Get("/api/v1/status/flags");
  ASSERT_EQ(f.status, 200) << f.body;
  EXPECT_EQ(StringField(f.body, "listen"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(StringField(f.body, "data-dir"), server.data_dir().string());
}

TEST(StatusApiTest, ReloadChangesTheConfigAndFailuresAreReported) {
  testing::TempDir dir("pw_status_");
  const std::string path = dir.Write("perfwatch.yml", ConfigYaml());
  testing::ServerProcess server({"--config", path});
  ASSERT_TRUE(server.Start()) << server.log();
  HttpClient c(server.port());
  const std::string before = StringField(c.Get("/api/v1/status/runtimeinfo", kRead).body, "lastConfigTime");
  EXPECT_EQ(StringField(c.Get("/api/v1/status/config", kRead).body, "yaml").find("name: second"), std::string::npos);

  dir.Write("perfwatch.yml", ConfigYaml("    - name: second\n      pagerduty_configs:\n        - routing_key: NEWKEY8\n"));
  server.Signal(SIGHUP);  // reload
  std::string yaml;
  for (int i = 0; i < 100; ++i) {
    yaml = StringField(c.Get("/api/v1/status/config", kRead).body, "yaml");
    if (yaml.find("name: second") != std::string::npos) break;
    usleep(50'000);
  }
  EXPECT_NE(yaml.find("name: second"), std::string::npos) << yaml;
  EXPECT_EQ(yaml.find("NEWKEY8"), std::string::npos) << yaml;
  auto info = c.Get("/api/v1/status/runtimeinfo", kRead).body;
  EXPECT_NE(info.find(R"("reloadConfigSuccess":true)"), std::string::npos) << info;
  EXPECT_GE(StringField(info, "lastConfigTime"), before);

  dir.Write("perfwatch.yml", "alerting: [not a mapping\n");
  server.Signal(SIGHUP);
  for (int i = 0; i < 100; ++i) {
    info = c.Get("/api/v1/status/runtimeinfo", kRead).body;
    if (info.find(R"("reloadConfigSuccess":false)") != std::string::npos) break;
    usleep(50'000);
  }
  EXPECT_NE(info.find(R"("reloadConfigSuccess":false)"), std::string::npos) << info;
  // The running configuration is still shown.
  EXPECT_NE(StringField(c.Get("/api/v1/status/config", kRead).body, "yaml").find("name: second"), std::string::npos);
}

}  // namespace
}  // namespace perfwatch
