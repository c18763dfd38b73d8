// The TLS keys of the configuration: http.tls and scrape_configs[].tls_config (parsing,
// validation, paths relative to the config file's folder).
#include <gtest/gtest.h>

#include "common/config.h"
#include "support/temp_dir.h"

namespace perfwatch {
namespace {

std::string Error(const std::string& yaml) {
  auto c = ParseConfig(yaml);
  return c.ok() ? std::string("<ok>") : c.status().message();
}

TEST(TlsConfigTest, ParsesHttpTls) {
  auto c = ParseConfig(
      "http:\n  tls:\n    cert_file: /etc/pw/cert.pem\n    key_file: /etc/pw/key.pem\n"
      "    client_ca_file: /etc/pw/ca.pem\n    min_version: TLS13\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE(c->http.tls.enabled());
  EXPECT_EQ(c->http.tls.cert_file, "/etc/pw/cert.pem");
  EXPECT_EQ(c->http.tls.key_file, "/etc/pw/key.pem");
  EXPECT_EQ(c->http.tls.client_ca_file, "/etc/pw/ca.pem");
  EXPECT_EQ(c->http.tls.min_version, "TLS13");
  auto plain = ParseConfig("http: {threads: 2}\n");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->http.tls.enabled());
  EXPECT_EQ(plain->http.tls.min_version, "TLS12");
}

TEST(TlsConfigTest, RejectsBadHttpTls) {
  EXPECT_EQ(Error("http: {tls: {cert_file: a.pem}}\n"), "http.tls needs both cert_file and key_file");
  EXPECT_EQ(Error("http: {tls: {key_file: a.pem}}\n"), "http.tls needs both cert_file and key_file");
  EXPECT_EQ(Error("http: {tls: {cert_file: a, key_file: b, cipher_suites: [x]}}\n"),
            "http.tls: unknown key \"cipher_suites\"");
  for (const char* old : {"TLS10", "TLS11"}) {
    EXPECT_EQ(Error(std::string("http: {tls: {cert_file: a, key_file: b, min_version: ") + old + "}}\n"),
              std::string("http.tls.min_version ") + old + " is refused: TLS below 1.2 is insecure (use TLS12 or TLS13)");
  }
  EXPECT_EQ(Error("http: {tls: {cert_file: a, key_file: b, min_version: tls1.2}}\n"),
            "http.tls.min_version must be TLS12 or TLS13, not \"tls1.2\"");
}

TEST(TlsConfigTest, ParsesScrapeTlsConfig) {
  auto c = ParseConfig(
      "scrape_configs:\n  - job_name: node\n    scheme: https\n"
      "    tls_config: {ca_file: /ca.pem, cert_file: /c.pem, key_file: /k.pem, server_name: node.internal, "
      "insecure_skip_verify: true}\n    static_configs: [{targets: [\"10.0.0.5:9100\"]}]\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const ScrapeConfig& job = c->scrape_configs.at(0);
  EXPECT_EQ(job.scheme, "https");
  EXPECT_EQ(job.tls_config.ca_file, "/ca.pem");
  EXPECT_EQ(job.tls_config.cert_file, "/c.pem");
  EXPECT_EQ(job.tls_config.key_file, "/k.pem");
  EXPECT_EQ(job.tls_config.server_name, "node.internal");
  EXPECT_TRUE(job.tls_config.insecure_skip_verify);

  auto job_with = [](const std::string& tls) {
    return "scrape_configs:\n  - job_name: a\n    scheme: https\n    tls_config: " + tls +
           "\n    static_configs: [{targets: [\"h:1\"]}]\n";
  };
  EXPECT_EQ(Error(job_with("{ca: inline}")), "scrape_configs[0] (a).tls_config: unknown key \"ca\"");
  EXPECT_EQ(Error(job_with("{cert_file: /c.pem}")),
            "scrape_configs (a): tls_config needs both cert_file and key_file, or neither");
}

TEST(TlsConfigTest, RelativePathsAreRelativeToTheConfigFile) {
  testing::TempDir dir("pw_tls_cfg_");
  std::string path = dir.Write(
      "perfwatch.yml",
      "http:\n  tls: {cert_file: certs/server.pem, key_file: /abs/server.key, client_ca_file: ca.pem}\n"
      "scrape_configs:\n  - job_name: a\n    scheme: https\n    tls_config: {ca_file: scrape-ca.pem}\n"
      "    static_configs: [{targets: [\"h:1\"]}]\n");
  auto c = LoadConfigFile(path);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->http.tls.cert_file, (dir.path() / "certs/server.pem").string());
  EXPECT_EQ(c->http.tls.key_file, "/abs/server.key");
  EXPECT_EQ(c->http.tls.client_ca_file, (dir.path() / "ca.pem").string());
  EXPECT_EQ(c->scrape_configs[0].tls_config.ca_file, (dir.path() / "scrape-ca.pem").string());
}

}  // namespace
}  // namespace perfwatch
