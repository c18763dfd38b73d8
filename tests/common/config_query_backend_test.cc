// query.backend parsing (common/config_http_client.h) through ParseConfig, and the shared
// auth parser's rules.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/config.h"
#include "common/config_http_client.h"
#include "common/config_reload.h"

namespace perfwatch {
namespace {

TEST(ConfigQueryBackendTest, AbsentMeansLocal) {
  auto c = ParseConfig("query: {timeout: 1m}\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_FALSE(c->query.backend.enabled());
}

TEST(ConfigQueryBackendTest, ReadsEveryKey) {
  auto c = ParseConfig(R"(
query:
  backend:
    url: https://vm.example:8428/select/0/prometheus/
    timeout: 5s
    max_response_bytes: 1048576
    authorization: {type: Bearer, credentials_file: /etc/pw/vm-token}
    headers: {X-Scope-OrgID: team-a}
    tls_config: {ca_file: /etc/pw/ca.pem, server_name: vm.internal, insecure_skip_verify: false}
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const QueryBackendConfig& b = c->query.backend;
  EXPECT_TRUE(b.enabled());
  EXPECT_EQ(b.url, "https://vm.example:8428/select/0/prometheus");  // trailing slash dropped
  EXPECT_EQ(b.timeout_ms, 5000);
  EXPECT_EQ(b.max_response_bytes, 1048576u);
  EXPECT_TRUE(b.auth.has_authorization);
  EXPECT_EQ(b.auth.authorization_type, "Bearer");
  EXPECT_EQ(b.auth.authorization_credentials_file, "/etc/pw/vm-token");
  ASSERT_EQ(b.auth.headers.size(), 1u);
  EXPECT_EQ(b.auth.headers[0], (std::pair<std::string, std::string>{"X-Scope-OrgID", "team-a"}));
  EXPECT_TRUE(b.auth.has_tls_config);
  EXPECT_EQ(b.auth.tls_ca_file, "/etc/pw/ca.pem");
  EXPECT_EQ(b.auth.tls_server_name, "vm.internal");
}

TEST(ConfigQueryBackendTest, BadSettingsNameTheKey) {
  struct Case {
    const char* yaml;
    const char* error;
  } cases[] = {
      {"query: {backend: {timeout: 5s}}", "query.backend (line 1): url is required"},
      {"query: {backend: {url: ftp://x}}", "query.backend.url (line 1): unsupported URL"},
      {"query: {backend: {url: 'http://u:p@x'}}", "user info"},
      {"query: {backend: {url: 'http://x/?a=1'}}", "must not have a query"},
      {"query: {backend: {url: http://x, tiemout: 5s}}",
       "query.backend.tiemout (line 1): unknown key"},
      {"query: {backend: {url: http://x, timeout: soon}}", "query.backend.timeout"},
      {"query: {backend: {url: http://x, max_response_bytes: 10}}", "at least 1024"},
      {"query: {backend: {url: http://x, basic_auth: {username: a, password: b, password_file: "
       "c}}}",
       "at most one of password and password_file"},
      {"query: {backend: {url: http://x, basic_auth: {username: a}, authorization: {credentials: "
       "t}}}",
       "at most one of basic_auth and authorization"},
      {"query: {backend: {url: http://x, authorization: {type: Basic}}}",
       "use \"basic_auth\" instead"},
      {"query: {backend: {url: http://x, headers: {Authorization: x}}}", "reserved header"},
      {"query: {backend: {url: http://x, tls_config: {cert_file: a.pem}}}",
       "cert_file and key_file"},
      {"query: {backend: {url: http://x, tls_config: {insecure_skip_verify: maybe}}}",
       "expected true or false"},
      {"query: {backends: {}}", "backends"},
  };
  for (const Case& k : cases) {
    auto c = ParseConfig(k.yaml);
    ASSERT_FALSE(c.ok()) << k.yaml;
    EXPECT_NE(c.status().message().find(k.error), std::string::npos)
        << k.yaml << " -> " << c.status().message();
  }
}

TEST(ConfigQueryBackendTest, RelativeSecretFilesResolveAgainstTheConfigFolder) {
  const auto dir = std::filesystem::temp_directory_path() / ("pw-qb-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir / "perfwatch.yml")
        << "query:\n  backend:\n    url: http://127.0.0.1:1\n"
           "    basic_auth: {username: pw, password_file: secret}\n";
    std::ofstream(dir / "secret") << "s3cret\n";
  }
  auto c = LoadConfigFile(dir / "perfwatch.yml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->query.backend.auth.basic_auth_password_file, (dir / "secret").string());
  auto headers = HttpClientAuthHeaders(c->query.backend.auth);
  ASSERT_TRUE(headers.ok()) << headers.status().message();
  ASSERT_EQ(headers->size(), 1u);
  EXPECT_EQ((*headers)[0].first, "Authorization");
  EXPECT_EQ((*headers)[0].second, "Basic cHc6czNjcmV0");  // base64("pw:s3cret"), newline trimmed
  std::filesystem::remove_all(dir);
}

TEST(ConfigQueryBackendTest, MissingSecretFileIsAnError) {
  HttpClientAuthConfig auth;
  auth.has_authorization = true;
  auth.authorization_credentials_file = "/nonexistent/pw-token";
  auto headers = HttpClientAuthHeaders(auth);
  ASSERT_FALSE(headers.ok());
  EXPECT_NE(headers.status().message().find("authorization.credentials_file"), std::string::npos)
      << headers.status().message();
}

TEST(ConfigQueryBackendTest, BackendIsRestartOnly) {
  auto plan = PlanReload("query:\n  backend: {url: http://a:1}\n  timeout: 1m\n",
                         "query:\n  backend: {url: http://b:2}\n  timeout: 2m\n");
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_EQ(plan->restart_needed, std::vector<std::string>{"query.backend"});
  auto applied = ParseConfig(plan->applied_yaml);
  ASSERT_TRUE(applied.ok()) << applied.status().message();
  EXPECT_EQ(applied->query.backend.url, "http://a:1");  // kept
  EXPECT_EQ(applied->query.timeout_ms, 120'000);        // reloaded
}

}  // namespace
}  // namespace perfwatch
