// HTTPS on the in-process server (http.tls): requests and keep-alive over TLS, a plain
// request on the TLS port, the handshake under the header timeout, mTLS, certificate
// reload without dropping open connections, and start-up errors for bad files.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "http/tls_context.h"
#include "server_fixture.h"
#include "support/temp_dir.h"
#include "support/tls_certs.h"
#include "support/tls_client.h"

namespace perfwatch::http {
namespace {

using perfwatch::testing::CopyFileOver;
using perfwatch::testing::GenerateTestCerts;
using perfwatch::testing::TempDir;
using perfwatch::testing::TestCerts;
using perfwatch::testing::TlsClient;
using perfwatch::testing::TlsGet;
using testing::RawSocket;
using namespace std::chrono_literals;

Router HelloRouter() {
  Router r;
  r.Handle("GET", "/hello", [](const Request& req, Response& res) {
    res.content_type = "text/plain";
    res.body = "hello " + std::string(req.remote_address);
  });
  return r;
}

// The value of an unlabelled counter in the registry's exposition (-1: absent).
double CounterValue(MetricsRegistry& metrics, const std::string& name) {
  std::string text = metrics.Render();
  size_t pos = text.find("\n" + name + " ");
  if (pos == std::string::npos) return -1;
  return std::stod(text.substr(pos + name.size() + 2));
}

// Polls until the counter reaches `want` (the server counts a failed handshake just after
// the client sees it fail); returns the last value.
double WaitForCounter(MetricsRegistry& metrics, const std::string& name, double want) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  double v = CounterValue(metrics, name);
  while (v < want && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
    v = CounterValue(metrics, name);
  }
  return v;
}

class TlsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    certs_ = GenerateTestCerts(dir_.path());
    ASSERT_TRUE(certs_.ok()) << certs_.error;
    // The server reads these paths; the reload test copies other files over them.
    cert_ = (dir_.path() / "live.crt").string();
    key_ = (dir_.path() / "live.key").string();
    CopyFileOver(certs_.server_cert, cert_);
    CopyFileOver(certs_.server_key, key_);
  }

  HttpConfig TlsConfig() {
    HttpConfig c = testing::TestConfig();
    c.tls.cert_file = cert_;
    c.tls.key_file = key_;
    return c;
  }

  TlsClient::Options Verified() {
    TlsClient::Options o;
    o.ca_file = certs_.ca_cert;
    return o;
  }

  TempDir dir_{"pw_tls_"};
  TestCerts certs_;
  std::string cert_, key_;
};

TEST_F(TlsServerTest, ServesHttpsWithAVerifiedCertificate) {
  testing::TestServer ts(HelloRouter(), TlsConfig());
  for (const char* name : {"127.0.0.1", "localhost"}) {
    TlsClient::Options o = Verified();
    o.server_name = name;
    auto r = TlsGet(ts.port(), "/hello", o);
    EXPECT_EQ(r.status, 200) << name << ": " << r.error;
    EXPECT_EQ(r.body, "hello 127.0.0.1");  // remote_address is still the peer IP
  }
  // The certificate does not name this host: verification fails on the client.
  TlsClient::Options wrong = Verified();
  wrong.server_name = "example.com";
  auto r = TlsGet(ts.port(), "/hello", wrong);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("certificate verify failed"), std::string::npos) << r.error;
}

TEST_F(TlsServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  testing::TestServer ts(HelloRouter(), TlsConfig());
  TlsClient client(ts.port(), Verified());
  ASSERT_TRUE(client.Connect()) << client.error();
  for (int i = 0; i < 20; ++i) {
    auto r = client.Get("/hello");
    ASSERT_EQ(r.status, 200) << "request " << i << ": " << r.error;
    EXPECT_TRUE(r.keep_alive);
    EXPECT_EQ(r.body, "hello 127.0.0.1");
  }
  auto missing = client.Get("/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(client.Get("/hello").status, 200);  // still the same connection
  std::string metrics = ts.metrics().Render();
  EXPECT_NE(metrics.find("perfwatch_http_connections 1"), std::string::npos) << metrics;
  EXPECT_EQ(CounterValue(ts.metrics(), "perfwatch_http_tls_handshake_failures_total"), 0);
}

TEST_F(TlsServerTest, LargeBodiesCrossTlsRecords) {
  Router r;
  r.Handle("GET", "/big", [](const Request&, Response& res) { res.body.assign(300'000, 'x'); });
  r.Handle("GET", "/stream", [](const Request&, Response& res) {
    auto left = std::make_shared<int>(50);
    res.stream = [left](std::string& out) {
      out.append(10'000, 'y');
      return --*left > 0;
    };
  });
  testing::TestServer ts(std::move(r), TlsConfig());
  TlsClient client(ts.port(), Verified());
  ASSERT_TRUE(client.Connect()) << client.error();
  auto big = client.Get("/big");
  EXPECT_EQ(big.status, 200) << big.error;
  EXPECT_EQ(big.body.size(), 300'000u);
  auto streamed = client.Get("/stream");
  EXPECT_EQ(streamed.status, 200) << streamed.error;
  EXPECT_EQ(streamed.body.size(), 500'000u);
}

TEST_F(TlsServerTest, PlainHttpOnTheTlsPortGets400AndIsClosed) {
  testing::TestServer ts(HelloRouter(), TlsConfig());
  RawSocket raw(ts.port());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.Send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_TRUE(raw.WaitForClose(10s));
  EXPECT_EQ(raw.received().rfind("HTTP/1.1 400 ", 0), 0u) << raw.received();
  EXPECT_NE(raw.received().find("HTTP request to an HTTPS server"), std::string::npos) << raw.received();
  EXPECT_EQ(WaitForCounter(ts.metrics(), "perfwatch_http_tls_handshake_failures_total", 1), 1);
  // Garbage that is neither TLS nor HTTP is simply closed.
  RawSocket junk(ts.port());
  ASSERT_TRUE(junk.Send(std::string(64, '\x01')));
  EXPECT_TRUE(junk.WaitForClose(10s));
  // The server still serves HTTPS.
  EXPECT_EQ(TlsGet(ts.port(), "/hello", Verified()).status, 200);
}

TEST_F(TlsServerTest, ClientThatNeverHandshakesIsClosedByTheHeaderTimeout) {
  HttpConfig c = TlsConfig();
  c.header_timeout_ms = 300;
  testing::TestServer ts(HelloRouter(), c);
  RawSocket silent(ts.port());
  ASSERT_TRUE(silent.connected());
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(silent.WaitForClose(10s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 9s);
  EXPECT_TRUE(silent.received().empty());
  // A client stuck halfway (a partial ClientHello record) is closed the same way.
  RawSocket partial(ts.port());
  ASSERT_TRUE(partial.Send(std::string("\x16\x03\x01\x02\x00", 5)));
  EXPECT_TRUE(partial.WaitForClose(10s));
  EXPECT_EQ(WaitForCounter(ts.metrics(), "perfwatch_http_tls_handshake_failures_total", 2), 2);
  EXPECT_EQ(TlsGet(ts.port(), "/hello", Verified()).status, 200);
}

TEST_F(TlsServerTest, MutualTlsNeedsAClientCertificateFromTheCa) {
  HttpConfig c = TlsConfig();
  c.tls.client_ca_file = certs_.ca_cert;
  testing::TestServer ts(HelloRouter(), c);

  // No client certificate: refused (TLS 1.3 reports it on the first read).
  auto none = TlsGet(ts.port(), "/hello", Verified());
  EXPECT_EQ(none.status, 0) << none.body;
  EXPECT_FALSE(none.error.empty());

  // A certificate from another CA: refused too.
  TlsClient::Options self_signed = Verified();
  TempDir other("pw_tls_other_");
  TestCerts foreign = GenerateTestCerts(other.path());
  ASSERT_TRUE(foreign.ok()) << foreign.error;
  self_signed.cert_file = foreign.client_cert;
  self_signed.key_file = foreign.client_key;
  EXPECT_EQ(TlsGet(ts.port(), "/hello", self_signed).status, 0);

  TlsClient::Options with_cert = Verified();
  with_cert.cert_file = certs_.client_cert;
  with_cert.key_file = certs_.client_key;
  TlsClient client(ts.port(), with_cert);
  ASSERT_TRUE(client.Connect()) << client.error();
  auto r = client.Get("/hello");
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(client.Get("/hello").status, 200);
  EXPECT_EQ(WaitForCounter(ts.metrics(), "perfwatch_http_tls_handshake_failures_total", 2), 2);
}

TEST_F(TlsServerTest, ReloadTlsSwapsTheCertificateForNewConnectionsOnly) {
  testing::TestServer ts(HelloRouter(), TlsConfig());
  TlsClient before(ts.port(), Verified());
  ASSERT_TRUE(before.Connect()) << before.error();
  EXPECT_EQ(before.PeerSubject(), "/CN=server-one");
  ASSERT_EQ(before.Get("/hello").status, 200);

  CopyFileOver(certs_.server2_cert, cert_);
  CopyFileOver(certs_.server2_key, key_);
  ASSERT_TRUE(ts.server().ReloadTls().ok());

  TlsClient after(ts.port(), Verified());
  ASSERT_TRUE(after.Connect()) << after.error();
  EXPECT_EQ(after.PeerSubject(), "/CN=server-two");
  EXPECT_EQ(after.Get("/hello").status, 200);
  // The connection opened before the reload keeps working (keep-alive, old certificate).
  auto old = before.Get("/hello");
  EXPECT_EQ(old.status, 200) << old.error;
  EXPECT_EQ(before.PeerSubject(), "/CN=server-one");

  // A failed re-read (a key that does not match) keeps the current certificate.
  CopyFileOver(certs_.server_key, key_);
  Status bad = ts.server().ReloadTls();
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("does not match the certificate"), std::string::npos) << bad.message();
  TlsClient third(ts.port(), Verified());
  ASSERT_TRUE(third.Connect()) << third.error();
  EXPECT_EQ(third.PeerSubject(), "/CN=server-two");
}

TEST_F(TlsServerTest, MinVersionTls13RefusesTls12Clients) {
  HttpConfig c = TlsConfig();
  c.tls.min_version = "TLS13";
  testing::TestServer ts(HelloRouter(), c);
  EXPECT_EQ(TlsGet(ts.port(), "/hello", Verified()).status, 200);
  // A client limited to TLS 1.2.
  boost::asio::io_context ioc;
  boost::asio::ssl::context ctx(boost::asio::ssl::context::tls_client);
  SSL_CTX_set_max_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  boost::beast::ssl_stream<boost::beast::tcp_stream> s(ioc, ctx);
  boost::beast::get_lowest_layer(s).expires_after(10s);
  boost::system::error_code ec;
  boost::beast::get_lowest_layer(s).connect(
      boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), ts.port()), ec);
  ASSERT_FALSE(ec) << ec.message();
  s.handshake(boost::asio::ssl::stream_base::client, ec);
  EXPECT_TRUE(ec) << "a TLS 1.2 handshake was accepted";
}

TEST_F(TlsServerTest, BadFilesFailAtCreateWithOneLine) {
  MetricsRegistry metrics;
  auto create = [&](HttpConfig c) { return Server::Create(std::move(c), HelloRouter(), &metrics).status(); };

  HttpConfig missing = TlsConfig();
  missing.tls.cert_file = (dir_.path() / "nope.crt").string();
  Status s = create(missing);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("http.tls.cert_file " + missing.tls.cert_file + ": cannot read"), std::string::npos)
      << s.message();

  HttpConfig mismatch = TlsConfig();
  mismatch.tls.key_file = certs_.server2_key;
  s = create(mismatch);
  EXPECT_EQ(s.message(), "http.tls.key_file " + certs_.server2_key + " does not match the certificate in " +
                             "http.tls.cert_file " + cert_);

  HttpConfig junk_key = TlsConfig();
  junk_key.tls.key_file = dir_.Write("junk.key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  s = create(junk_key);
  EXPECT_NE(s.message().find("http.tls.key_file " + junk_key.tls.key_file + ": not an unencrypted PEM private key"),
            std::string::npos)
      << s.message();

  HttpConfig not_pem = TlsConfig();
  not_pem.tls.cert_file = dir_.Write("junk.crt", "hello");
  s = create(not_pem);
  EXPECT_NE(s.message().find("not a PEM certificate"), std::string::npos) << s.message();

  HttpConfig bad_ca = TlsConfig();
  bad_ca.tls.client_ca_file = dir_.Write("junk_ca.crt", "hello");
  s = create(bad_ca);
  EXPECT_NE(s.message().find("http.tls.client_ca_file"), std::string::npos) << s.message();

  for (HttpConfig* c : {&missing, &mismatch, &junk_key, &not_pem, &bad_ca}) {
    Status st = create(*c);
    EXPECT_EQ(st.message().find('\n'), std::string::npos) << st.message();
  }
}

}  // namespace
}  // namespace perfwatch::http
