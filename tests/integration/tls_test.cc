// TLS through the real binary: `perfwatch serve` with http.tls (HTTPS, keep-alive, the
// self-scrape over HTTPS, SIGHUP and POST /-/reload re-reading the certificate without
// dropping connections, a bad certificate stopping start-up), and one perfwatch scraping
// another over HTTPS with scheme: https + tls_config.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <string>
#include <thread>

#include "support/http_client.h"
#include "support/server_process.h"
#include "support/temp_dir.h"
#include "support/tls_certs.h"
#include "support/tls_client.h"

namespace perfwatch {
namespace {

using namespace std::chrono_literals;
using testing::CopyFileOver;
using testing::HttpClient;
using testing::ServerProcess;
using testing::TlsClient;
using testing::TlsGet;
using testing::UrlEncode;

class TlsIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    certs_ = testing::GenerateTestCerts(dir_.path());
    ASSERT_TRUE(certs_.ok()) << certs_.error;
    cert_ = (dir_.path() / "live.crt").string();
    key_ = (dir_.path() / "live.key").string();
    CopyFileOver(certs_.server_cert, cert_);
    CopyFileOver(certs_.server_key, key_);
  }

  std::string TlsYaml() const { return "http:\n  tls:\n    cert_file: " + cert_ + "\n    key_file: " + key_ + "\n"; }

  TlsClient::Options Verified() const {
    TlsClient::Options o;
    o.ca_file = certs_.ca_cert;
    return o;
  }

  // Start() waits for /readyz over HTTPS.
  void UseTlsReadyProbe(ServerProcess& server) const {
    server.SetReadyProbe([o = Verified()](uint16_t port) { return TlsGet(port, "/readyz", o).status == 200; });
  }

  // Polls GET `target` over HTTPS until the body contains `needle` (15 s at most).
  std::string WaitForTls(uint16_t port, const std::string& target, const std::string& needle) const {
    std::string body;
    auto deadline = std::chrono::steady_clock::now() + 15s;
    while (std::chrono::steady_clock::now() < deadline) {
      body = TlsGet(port, target, Verified()).body;
      if (body.find(needle) != std::string::npos) break;
      std::this_thread::sleep_for(100ms);
    }
    return body;
  }

  testing::TempDir dir_{"pw_tls_it_"};
  testing::TestCerts certs_;
  std::string cert_, key_;
};

TEST_F(TlsIntegrationTest, ServesHttpsAndReloadsTheCertificateOnSighup) {
  ServerProcess server({}, TlsYaml() + "scrape: {self_scrape_interval: 300ms}\n");
  UseTlsReadyProbe(server);
  ASSERT_TRUE(server.Start()) << server.log();

  TlsClient before(server.port(), Verified());
  ASSERT_TRUE(before.Connect()) << before.error();
  EXPECT_EQ(before.PeerSubject(), "/CN=server-one");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(before.Get("/healthz").status, 200);  // keep-alive

  // Plain HTTP on the HTTPS port: a clean 400.
  EXPECT_EQ(HttpClient(server.port()).Get("/healthz").status, 400);

  // The self-scrape goes over HTTPS too.
  std::string up = WaitForTls(server.port(), "/api/v1/query?query=" + UrlEncode("up{job=\"perfwatch\"}"), "\"1\"]");
  EXPECT_NE(up.find("\"1\"]"), std::string::npos) << up << server.log();
  std::string metrics = TlsGet(server.port(), "/metrics", Verified()).body;
  EXPECT_NE(metrics.find("perfwatch_http_tls_handshake_failures_total 1"), std::string::npos) << metrics;

  // A new certificate at the same paths, then SIGHUP.
  CopyFileOver(certs_.server2_cert, cert_);
  CopyFileOver(certs_.server2_key, key_);
  server.Signal(SIGHUP);
  std::string subject;
  auto deadline = std::chrono::steady_clock::now() + 15s;
  while (std::chrono::steady_clock::now() < deadline) {
    TlsClient c(server.port(), Verified());
    if (c.Connect()) subject = c.PeerSubject();
    if (subject == "/CN=server-two") break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(subject, "/CN=server-two") << server.log();
  // The connection opened before the reload was not dropped.
  auto old = before.Get("/healthz");
  EXPECT_EQ(old.status, 200) << old.error;
  EXPECT_NE(server.log().find("tls certificate reloaded"), std::string::npos);

  // A broken key: POST /-/reload reports the error and the current certificate stays.
  CopyFileOver(certs_.server_key, key_);
  auto reload = before.Send(boost::beast::http::verb::post, "/-/reload");
  EXPECT_EQ(reload.status, 500);
  EXPECT_NE(reload.body.find("does not match the certificate"), std::string::npos) << reload.body;
  TlsClient after(server.port(), Verified());
  ASSERT_TRUE(after.Connect()) << after.error();
  EXPECT_EQ(after.PeerSubject(), "/CN=server-two");
  EXPECT_EQ(after.Get("/healthz").status, 200);
  EXPECT_EQ(server.Stop(), 0);
}

TEST_F(TlsIntegrationTest, MutualTlsRefusesClientsWithoutACertificateFromTheClientCa) {
  ServerProcess server({}, TlsYaml() + "    client_ca_file: " + certs_.ca_cert + "\nscrape: {self_scrape: false}\n");
  TlsClient::Options with_cert = Verified();
  with_cert.cert_file = certs_.client_cert;
  with_cert.key_file = certs_.client_key;
  server.SetReadyProbe([with_cert](uint16_t port) { return TlsGet(port, "/readyz", with_cert).status == 200; });
  ASSERT_TRUE(server.Start()) << server.log();

  // No client certificate: the handshake is refused, nothing is served.
  TlsClient::Response anonymous = TlsGet(server.port(), "/healthz", Verified());
  EXPECT_EQ(anonymous.status, 0) << anonymous.body;
  // A client certificate signed by the client CA: served, several requests on one connection.
  TlsClient client(server.port(), with_cert);
  ASSERT_TRUE(client.Connect()) << client.error();
  EXPECT_EQ(client.Get("/healthz").status, 200);
  TlsClient::Response metrics = client.Get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("perfwatch_http_tls_handshake_failures_total"), std::string::npos);
  EXPECT_EQ(metrics.body.find("perfwatch_http_tls_handshake_failures_total 0\n"), std::string::npos)
      << "the refused handshake was not counted";
}

TEST_F(TlsIntegrationTest, BadCertificateStopsStartupWithAOneLineReason) {
  CopyFileOver(certs_.server2_key, key_);  // does not match cert_
  ServerProcess server({}, TlsYaml());
  UseTlsReadyProbe(server);
  EXPECT_FALSE(server.Start());
  std::string log = server.log();
  EXPECT_NE(log.find("http.tls.key_file " + key_ + " does not match the certificate in http.tls.cert_file " + cert_),
            std::string::npos)
      << log;
}

TEST_F(TlsIntegrationTest, ScrapesAnotherPerfwatchOverHttps) {
  ServerProcess target({}, TlsYaml() + "scrape: {self_scrape: false}\n");
  UseTlsReadyProbe(target);
  ASSERT_TRUE(target.Start()) << target.log();
  const std::string address = "127.0.0.1:" + std::to_string(target.port());

  auto job = [&](const std::string& name, const std::string& tls) {
    return "  - job_name: " + name + "\n    scheme: https\n    scrape_interval: 500ms\n    scrape_timeout: 400ms\n" +
           "    tls_config: " + tls + "\n    static_configs: [{targets: [\"" + address + "\"]}]\n";
  };
  ServerProcess scraper({}, "scrape: {self_scrape: false}\nscrape_configs:\n" +
                                job("secure", "{ca_file: " + certs_.ca_cert + "}") +
                                job("named", "{ca_file: " + certs_.ca_cert + ", server_name: localhost}") +
                                job("wrong_ca", "{ca_file: " + certs_.other_ca_cert + "}") +
                                job("insecure", "{ca_file: " + certs_.other_ca_cert + ", insecure_skip_verify: true}"));
  ASSERT_TRUE(scraper.Start()) << scraper.log();
  HttpClient client(scraper.port());
  auto up = [&](const std::string& name) {
    std::string body;
    auto deadline = std::chrono::steady_clock::now() + 15s;
    while (std::chrono::steady_clock::now() < deadline) {
      body = client.Get("/api/v1/query?query=" + UrlEncode("up{job=\"" + name + "\"}")).body;
      if (body.find("\"value\"") != std::string::npos) break;
      std::this_thread::sleep_for(100ms);
    }
    return body;
  };
  EXPECT_NE(up("secure").find(",\"1\"]"), std::string::npos) << scraper.log();
  EXPECT_NE(up("named").find(",\"1\"]"), std::string::npos) << scraper.log();
  EXPECT_NE(up("insecure").find(",\"1\"]"), std::string::npos) << scraper.log();
  EXPECT_NE(up("wrong_ca").find(",\"0\"]"), std::string::npos) << scraper.log();

  // Samples of the target are stored under the job.
  std::string series = client.Get("/api/v1/series?match[]=" + UrlEncode("perfwatch_http_connections{job=\"secure\"}")).body;
  EXPECT_NE(series.find("\"instance\":\"" + address + "\""), std::string::npos) << series;

  // The failure says why, and is counted as a TLS failure.
  std::string log = scraper.log();
  EXPECT_NE(log.find("target=wrong_ca/" + address + " error=\"TLS handshake with " + address +
                     ": certificate verify failed: unable to get local issuer certificate\""),
            std::string::npos)
      << log;
  std::string metrics = client.Get("/metrics").body;
  EXPECT_NE(metrics.find("perfwatch_scrape_failures_total{job=\"wrong_ca\",reason=\"tls\"}"), std::string::npos);
  EXPECT_EQ(metrics.find("perfwatch_scrape_failures_total{job=\"secure\""), std::string::npos);
}

}  // namespace
}  // namespace perfwatch
