// Authentication, scopes, the public-ingest rate limit and the secure default, through the
// real binary (docs/security.md): 401 with WWW-Authenticate without or with wrong
// credentials, 403 for a token without the route's scope, bearer and basic auth both
// accepted, /api/rum open but limited per client (429 + Retry-After), the self-scrape
// still working, and no start on a non-loopback address without tokens.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <snappy.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "ingest/remote_write/remote_write_encoder.h"
#include "support/http_client.h"
#include "support/run_perfwatch.h"
#include "support/server_process.h"
#include "support/sha256.h"
#include "support/temp_dir.h"

namespace perfwatch {
namespace {

using testing::HttpClient;
using testing::HttpResponse;
using testing::ServerProcess;
using Headers = std::vector<std::pair<std::string, std::string>>;

using testing::Sha256Hex;

std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char ch : in) {
    acc = acc << 8 | ch;
    bits += 8;
    while (bits >= 6) out.push_back(kAlphabet[(acc >> (bits -= 6)) & 63]);
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 63]);
  while (out.size() % 4) out.push_back('=');
  return out;
}

Headers Bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }
Headers Basic(const std::string& user, const std::string& token) {
  return {{"Authorization", "Basic " + Base64(user + ":" + token)}};
}

std::string WriteBody(int64_t t_ms, double v) {
  std::string raw = ingest::EncodeWriteRequest(
      {ingest::EncodeTimeSeries({{"__name__", "auth_it"}, {"job", "auth"}}, {{t_ms, v}})});
  std::string compressed;
  snappy::Compress(raw.data(), raw.size(), &compressed);
  return compressed;
}

HttpResponse PostWrite(HttpClient& c, const std::string& body, Headers headers) {
  headers.emplace_back("Content-Encoding", "snappy");
  headers.emplace_back("X-Prometheus-Remote-Write-Version", "0.1.0");
  return c.Post("/api/v1/write", body, "application/x-protobuf", headers);
}

const char kBeacon[] = R"({"type":"vital","name":"LCP","value":1200,"url":"https://shop.example/p/1?email=a@b.c#x"})";

std::string Config() {
  return "auth:\n"
         "  tokens:\n"
         "    - {name: writer, token_sha256: " + Sha256Hex("w-secret") + ", scopes: [ingest]}\n"
         "    - {name: reader, token_file: reader.token, scopes: [read]}\n"
         "    - {name: pager, token_sha256: " + Sha256Hex("a-secret") + ", scopes: [alert]}\n"
         "    - {name: root, token_sha256: " + Sha256Hex("x-secret") + ", scopes: [admin]}\n"
         "http:\n"
         "  trusted_proxies: [127.0.0.1]\n"
         "rum:\n"
         "  rate_limit_per_ip: 2\n"
         "  rate_limit_burst: 3\n"
         "scrape:\n"
         "  self_scrape_interval: 1s\n";
}

class AuthIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // token_file is relative to the config file's folder (the data dir's parent here).
    std::ofstream(server_.data_dir().parent_path() / "reader.token") << "r-secret\n";
    ASSERT_TRUE(server_.Start()) << server_.log();
  }
  ServerProcess server_{{}, Config()};
};

TEST_F(AuthIntegrationTest, MissingOrWrongCredentialsAre401WithAChallenge) {
  HttpClient c(server_.port());
  HttpResponse r = c.Get("/api/v1/query?query=1");
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(r.Header("www-authenticate"), "Basic realm=\"perfwatch\"");
  EXPECT_NE(r.body.find("\"status\":\"error\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"errorType\":\"unauthorized\""), std::string::npos) << r.body;
  r = c.Get("/api/v1/query?query=1", Bearer("r-secret-wrong"));
  EXPECT_EQ(r.status, 401);
  EXPECT_FALSE(r.Header("www-authenticate").empty());
  EXPECT_EQ(c.Get("/api/v1/query?query=1", Basic("grafana", "wrong")).status, 401);
  EXPECT_EQ(c.Get("/api/v1/query?query=1", {{"Authorization", "Basic %%%"}}).status, 401);
  EXPECT_EQ(c.Get("/").status, 401);  // the dashboard: browsers prompt for basic auth
  EXPECT_EQ(c.Get("/metrics").status, 401);
  EXPECT_EQ(PostWrite(c, WriteBody(1000, 1), {}).status, 401);
  // The server logs no token, not even a wrong one.
  EXPECT_EQ(server_.log().find("r-secret"), std::string::npos);
}

TEST_F(AuthIntegrationTest, ScopesDecideAndBothCredentialFormsWork) {
  HttpClient c(server_.port());
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  HttpResponse r = PostWrite(c, WriteBody(now - 2000, 1), Bearer("r-secret"));
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_NE(r.body.find("\"errorType\":\"forbidden\""), std::string::npos) << r.body;
  EXPECT_EQ(PostWrite(c, WriteBody(now - 2000, 1), Bearer("w-secret")).status, 204);
  EXPECT_EQ(PostWrite(c, WriteBody(now - 1000, 2), Basic("prometheus", "w-secret")).status, 204);
  EXPECT_EQ(PostWrite(c, WriteBody(now - 500, 3), Bearer("x-secret")).status, 204);  // admin implies ingest

  const std::string q = "/api/v1/query?query=auth_it";
  EXPECT_EQ(c.Get(q, Bearer("w-secret")).status, 403);
  r = c.Get(q, Basic("grafana", "r-secret"));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"auth_it\""), std::string::npos) << r.body;
  EXPECT_EQ(c.Get(q, Bearer("r-secret")).status, 200);
  EXPECT_EQ(c.Get(q, Bearer("a-secret")).status, 200);  // alert implies read
  EXPECT_EQ(c.Get(q, Bearer("x-secret")).status, 200);
  EXPECT_EQ(c.Get("/api/v1/alerts", Bearer("a-secret")).status, 200);
  EXPECT_EQ(c.Post("/api/v2/alerts", "[]", "application/json", Bearer("r-secret")).status, 403);
  EXPECT_EQ(c.Post("/api/v2/alerts", "[]", "application/json", Bearer("a-secret")).status, 200);
  EXPECT_EQ(c.Post("/-/reload", "", "text/plain", Bearer("a-secret")).status, 403);
  EXPECT_EQ(c.Post("/-/reload", "", "text/plain", Bearer("x-secret")).status, 200);
  EXPECT_EQ(c.Post("/api/v1/admin/flush", "", "text/plain", Bearer("r-secret")).status, 403);

  // Public routes need nothing.
  EXPECT_EQ(c.Get("/healthz").status, 200);
  EXPECT_EQ(c.Get("/readyz").status, 200);
  EXPECT_EQ(c.Post("/api/rum", kBeacon, "application/json").status, 204);

  // Refusals are counted; the self-scrape reaches /metrics with its own token.
  r = c.Get("/metrics", Bearer("r-secret"));
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("perfwatch_http_auth_failures_total{reason=\"forbidden\"} "), std::string::npos);
  bool self_scraped = false;
  for (int i = 0; i < 100 && !self_scraped; ++i) {
    r = c.Get("/api/v1/query?query=" + testing::UrlEncode("up{job=\"perfwatch\"} == 1"), Bearer("r-secret"));
    self_scraped = r.body.find("\"up\"") != std::string::npos;
    if (!self_scraped) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(self_scraped) << r.body;
}

TEST_F(AuthIntegrationTest, BeaconUrlsAreStoredWithoutQueryStrings) {
  HttpClient c(server_.port());
  ASSERT_EQ(c.Post("/api/rum", kBeacon, "application/json").status, 204);
  HttpResponse r = c.Get("/api/v1/events/export", Bearer("r-secret"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("https://shop.example/p/1"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("email"), std::string::npos) << r.body;
}

TEST_F(AuthIntegrationTest, BrowserIngestIsRateLimitedPerClient) {
  HttpClient c(server_.port());
  // Through the trusted proxy (127.0.0.1), X-Forwarded-For names the client.
  const Headers client_a = {{"X-Forwarded-For", "198.51.100.1, 203.0.113.9"}};
  int limited = 0;
  HttpResponse refusal;
  for (int i = 0; i < 20; ++i) {
    HttpResponse r = c.Post("/api/rum", kBeacon, "application/json", client_a);
    ASSERT_TRUE(r.status == 204 || r.status == 429) << r.status << " " << r.body;
    if (r.status == 429) ++limited, refusal = r;
  }
  EXPECT_GE(limited, 10);  // burst 3 at 2/s: most of 20 quick requests are refused
  EXPECT_GE(std::atoi(refusal.Header("retry-after").c_str()), 1) << refusal.Header("retry-after");
  EXPECT_NE(refusal.body.find("\"errorType\":\"too_many_requests\""), std::string::npos) << refusal.body;
  EXPECT_EQ(c.Get("/rum.js", client_a).status, 429);  // the SDK file shares the limit
  EXPECT_EQ(c.Get("/rum-trace.js", client_a).status, 429);  // and so does its trace variant
  // Another client has its own bucket; loopback itself is not limited.
  EXPECT_EQ(c.Post("/api/rum", kBeacon, "application/json", {{"X-Forwarded-For", "203.0.113.10"}}).status, 204);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(c.Post("/api/rum", kBeacon, "application/json").status, 204);
  HttpResponse m = c.Get("/metrics", Bearer("r-secret"));
  EXPECT_NE(m.body.find("perfwatch_http_rate_limited_total{route=\"/api/rum\"} "), std::string::npos);
  EXPECT_NE(m.body.find("perfwatch_http_rate_limited_total{route=\"/rum-trace.js\"} 1"), std::string::npos) << m.body;
}

TEST_F(AuthIntegrationTest, QueryCommandSendsItsToken) {
  const std::string server = " --server http://127.0.0.1:" + std::to_string(server_.port());
  auto denied = testing::RunPerfwatch("query" + server + " 'vector(7)'");
  EXPECT_NE(denied.exit_code, 0);
  EXPECT_NE(denied.output.find("unauthorized"), std::string::npos) << denied.output;
  auto ok = testing::RunPerfwatch("query" + server + " --token r-secret 'vector(7)'");
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("7"), std::string::npos) << ok.output;
  ::setenv("PERFWATCH_TOKEN", "r-secret", 1);
  auto env = testing::RunPerfwatch("query" + server + " 'vector(8)'");
  ::unsetenv("PERFWATCH_TOKEN");
  EXPECT_EQ(env.exit_code, 0) << env.output;
}

TEST(SecureDefaultTest, RefusesANonLoopbackAddressWithoutTokens) {
  testing::TempDir dir;
  const std::string port = std::to_string(testing::FreePort());
  auto r = testing::RunPerfwatch("serve --listen 0.0.0.0:" + port + " --data-dir " + (dir.path() / "data").string());
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("refusing to listen on 0.0.0.0:" + port + " without authentication"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("auth.tokens"), std::string::npos) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << "one line: " << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "data" / "events")) << "nothing may be opened";
  // A wildcard IPv6 address is no better.
  r = testing::RunPerfwatch("serve --listen [::]:" + port + " --data-dir " + (dir.path() / "data").string());
  EXPECT_NE(r.exit_code, 0) << r.output;
}

// Runs `perfwatch serve` on 0.0.0.0 (the harness' ServerProcess always listens on
// loopback) and reports whether it became ready, and what it logged.
struct WildcardRun {
  bool ready = false;
  std::string log;
};
WildcardRun ServeOnWildcard(const std::string& config_yaml) {
  testing::TempDir dir;
  const std::string config = dir.Write("perfwatch.yml", config_yaml);
  const std::string log = (dir.path() / "server.log").string();
  const uint16_t port = testing::FreePort();
  std::vector<std::string> args = {PERFWATCH_BINARY, "serve", "--listen", "0.0.0.0:" + std::to_string(port),
                                   "--data-dir", (dir.path() / "data").string(), "--config", config};
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  WildcardRun run;
  for (int i = 0; i < 500 && !run.ready; ++i) {
    int st;
    if (::waitpid(pid, &st, WNOHANG) == pid) {
      pid = -1;
      break;
    }
    run.ready = HttpClient(port).Get("/readyz").status == 200;
    if (!run.ready) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (pid > 0) {
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);
  }
  std::ifstream in(log);
  run.log.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return run;
}

TEST(SecureDefaultTest, AuthDisabledStartsAnywhereWithAWarning) {
  WildcardRun run = ServeOnWildcard("auth:\n  disabled: true\n");
  EXPECT_TRUE(run.ready) << run.log;
  EXPECT_NE(run.log.find("level=warning msg=\"authentication disabled\""), std::string::npos) << run.log;
}

TEST(SecureDefaultTest, TokensAllowANonLoopbackAddress) {
  WildcardRun run = ServeOnWildcard("auth:\n  tokens:\n    - {name: t, token_sha256: " + Sha256Hex("t") +
                                    ", scopes: [read]}\n");
  EXPECT_TRUE(run.ready) << run.log;
  EXPECT_EQ(run.log.find("authentication disabled"), std::string::npos) << run.log;
}

TEST(SecureDefaultTest, UnreadableTokenFileStopsTheStart) {
  testing::TempDir dir;
  const std::string config = dir.Write("perfwatch.yml", "auth:\n  tokens:\n    - {name: ci, token_file: nope.token, scopes: [ingest]}\n");
  auto r = testing::RunPerfwatch("serve --listen 127.0.0.1:" + std::to_string(testing::FreePort()) + " --data-dir " +
                                 (dir.path() / "data").string() + " --config " + config);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("auth.tokens \\\"ci\\\": cannot read token_file"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace perfwatch
