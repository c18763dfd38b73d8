// Scraping HTTPS targets (scheme: https, tls_config): verification against ca_file, the
// host name or server_name, insecure_skip_verify, client certificates for targets that
// want them, and the errors a failed handshake leaves in the report.
#include <gtest/gtest.h>

#include "common/config.h"
#include "ingest/scrape/scrape_loop.h"
#include "ingest/scrape/scrape_test_support.h"
#include "support/temp_dir.h"
#include "support/tls_certs.h"

namespace perfwatch::ingest {
namespace {

using testing::MakeTarget;
using testing::Target;
using testing::TestStore;

constexpr int64_t kT0 = 1'700'000'000'000;

ScrapeTlsConfig Tls(std::string ca_file, std::string server_name = "", bool insecure_skip_verify = false) {
  ScrapeTlsConfig t;
  t.ca_file = std::move(ca_file);
  t.server_name = std::move(server_name);
  t.insecure_skip_verify = insecure_skip_verify;
  return t;
}

class ScrapeTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    certs_ = perfwatch::testing::GenerateTestCerts(dir_.path());
    ASSERT_TRUE(certs_.ok()) << certs_.error;
  }
  TlsServerConfig ServerTls() const {
    TlsServerConfig t;
    t.cert_file = certs_.server_cert;
    t.key_file = certs_.server_key;
    return t;
  }
  ScrapeTarget Https(const Target& target, ScrapeTlsConfig tls) const {
    ScrapeTarget t = MakeTarget(target.address());
    t.scheme = "https";
    t.tls = std::move(tls);
    return t;
  }
  ScrapeReport ScrapeOnce(const ScrapeTarget& t) {
    ScrapeLoop loop(t, store_.get(), nullptr, &store_.metrics(), "perfwatch/test");
    return loop.ScrapeOnce(kT0 + 1000 * ++scrapes_);
  }

  perfwatch::testing::TempDir dir_{"pw_scrape_tls_"};
  perfwatch::testing::TestCerts certs_;
  TestStore store_;
  int scrapes_ = 0;
};

TEST_F(ScrapeTlsTest, VerifiedTargetIsScraped) {
  Target target("/metrics", ServerTls());
  target.SetBody("orders_total 42\n");
  ScrapeReport r = ScrapeOnce(Https(target, Tls(certs_.ca_cert)));
  ASSERT_TRUE(r.up) << r.error;
  EXPECT_EQ(r.samples_scraped, 1u);
  auto samples = store_.Samples("orders_total{instance=\"" + target.address() + "\", job=\"j\"}");
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].second, testing::Bits(42));
  // server_name: a name the certificate carries works.
  r = ScrapeOnce(Https(target, Tls(certs_.ca_cert, "localhost")));
  EXPECT_TRUE(r.up) << r.error;
}

TEST_F(ScrapeTlsTest, WrongCaFailsWithACertificateError) {
  Target target("/metrics", ServerTls());
  target.SetBody("orders_total 42\n");
  ScrapeReport r = ScrapeOnce(Https(target, Tls(certs_.other_ca_cert)));
  EXPECT_FALSE(r.up);
  EXPECT_EQ(r.error, "TLS handshake with " + target.address() +
                         ": certificate verify failed: unable to get local issuer certificate");
  EXPECT_NE(store_.metrics().Render().find("perfwatch_scrape_failures_total{job=\"j\",reason=\"tls\"} 1"),
            std::string::npos);
  // The system store does not know the test CA either.
  r = ScrapeOnce(Https(target, Tls("")));
  EXPECT_FALSE(r.up);
  EXPECT_NE(r.error.find("certificate verify failed"), std::string::npos) << r.error;
  // insecure_skip_verify accepts it.
  r = ScrapeOnce(Https(target, Tls(certs_.other_ca_cert, "", true)));
  EXPECT_TRUE(r.up) << r.error;
}

TEST_F(ScrapeTlsTest, ServerNameMustMatchTheCertificate) {
  Target target("/metrics", ServerTls());
  target.SetBody("a 1\n");
  ScrapeReport r = ScrapeOnce(Https(target, Tls(certs_.ca_cert, "metrics.example.com")));
  EXPECT_FALSE(r.up);
  EXPECT_EQ(r.error, "TLS handshake with " + target.address() + ": certificate verify failed: hostname mismatch");
  r = ScrapeOnce(Https(target, Tls(certs_.ca_cert, "metrics.example.com", true)));
  EXPECT_TRUE(r.up) << r.error;
}

TEST_F(ScrapeTlsTest, ClientCertificateForMutualTls) {
  TlsServerConfig tls = ServerTls();
  tls.client_ca_file = certs_.ca_cert;
  Target target("/metrics", tls);
  target.SetBody("a 1\n");
  ScrapeReport r = ScrapeOnce(Https(target, Tls(certs_.ca_cert)));
  EXPECT_FALSE(r.up);
  // TLS 1.3: the server's refusal arrives after the client's handshake, on the first read.
  EXPECT_NE(r.error.find("certificate required"), std::string::npos) << r.error;
  EXPECT_NE(store_.metrics().Render().find("perfwatch_scrape_failures_total{job=\"j\",reason=\"tls\"} 1"),
            std::string::npos);
  ScrapeTlsConfig with_cert = Tls(certs_.ca_cert);
  with_cert.cert_file = certs_.client_cert;
  with_cert.key_file = certs_.client_key;
  r = ScrapeOnce(Https(target, with_cert));
  EXPECT_TRUE(r.up) << r.error;
}

TEST_F(ScrapeTlsTest, SchemeMismatchesAndUnreadableFilesFailTheScrape) {
  Target plain;
  plain.SetBody("a 1\n");
  ScrapeReport r = ScrapeOnce(Https(plain, Tls(certs_.ca_cert)));
  EXPECT_FALSE(r.up);
  EXPECT_NE(r.error.find("TLS handshake with " + plain.address()), std::string::npos) << r.error;

  Target secure("/metrics", ServerTls());
  secure.SetBody("a 1\n");
  r = ScrapeOnce(MakeTarget(secure.address()));  // plain HTTP to the TLS port
  EXPECT_FALSE(r.up);
  EXPECT_NE(r.error.find("400"), std::string::npos) << r.error;

  std::string missing = (dir_.path() / "missing.crt").string();
  r = ScrapeOnce(Https(secure, Tls(missing)));
  EXPECT_FALSE(r.up);
  EXPECT_EQ(r.error, "scrape_configs (j).tls_config.ca_file " + missing + ": cannot read: No such file or directory");
}

}  // namespace
}  // namespace perfwatch::ingest
