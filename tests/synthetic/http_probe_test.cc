// HTTP checks against a real server on loopback (plain and TLS with a self-signed
// certificate made here with OpenSSL): phases, redirects, timeouts and the phase they hit,
// connection errors, body limits, TLS verification and certificate expiry, the response
// kept for failures, assertions end to end, and the asynchronous entry point.
#include "synthetic/http_probe.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace perfwatch::synthetic {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

// A self-signed EC certificate for localhost / 127.0.0.1 expiring at `not_after`.
struct SelfSigned {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  explicit SelfSigned(time_t not_after) {
    key = EVP_EC_gen("prime256v1");
    cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 4242);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    ASN1_TIME_set(X509_getm_notAfter(cert), not_after);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1,
                               0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
    X509_add_ext(cert, san, -1);
    X509_EXTENSION_free(san);
    X509_sign(cert, key, EVP_sha256());
  }
  ~SelfSigned() {
    X509_free(cert);
    EVP_PKEY_free(key);
  }
};

// The test server: one thread per connection, answering by path.
//   /ok               200 "ok" (text/plain, X-Version: 1.2.3)
//   /json             200 {"status":"ok","code":200,"items":[{"name":"a"}],"up":true}
//   /slow?ms=N        200 "slow" after N ms
//   /slowbody?ms=N    200, the header and half the body, N ms, the rest
//   /status/N?len=L   status N with L bytes of 'x' (default "boom")
//   /redirect/N       302 to /redirect/N-1; /redirect/1 to /ok (N redirects)
//   /slowredirect/N   like /redirect/N, each after 100 ms, to /slow?ms=100
//   /loop             302 to itself
//   /see-other        303 to /echo
//   /temporary        307 to /echo
//   /echo             200 "METHOD TARGET\n" + the request's headers + "\n" + body
//   /hang             reads the request and never answers
//   /big              11 MiB body
//   /close-delimited  200 without Content-Length, the body ends at the close
class TestServer {
 public:
  explicit TestServer(SelfSigned* tls = nullptr) : acceptor_(io_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {
    if (tls != nullptr) {
      ssl_ = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
      SSL_CTX_use_certificate(ssl_->native_handle(), tls->cert);
      SSL_CTX_use_PrivateKey(ssl_->native_handle(), tls->key);
    }
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }
  ~TestServer() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    {  // wakes the blocking accept() up
      net::io_context io;
      tcp::socket wake(io);
      beast::error_code ec;
      wake.connect(acceptor_.local_endpoint(), ec);
    }
    accept_thread_.join();
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mu_);
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
  }
  std::string Url(const std::string& path) const {
    return std::string(ssl_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + path;
  }
  int connections() const { return connections_.load(); }

 private:
  void AcceptLoop() {
    for (;;) {
      tcp::socket socket(io_);
      beast::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec) return;
      std::lock_guard lock(mu_);
      if (stopping_) return;
      ++connections_;
      threads_.emplace_back([this, s = std::move(socket)]() mutable { Serve(std::move(s)); });
    }
  }

  void Serve(tcp::socket socket) {
    beast::error_code ec;
    if (ssl_) {
      net::ssl::stream<tcp::socket> stream(std::move(socket), *ssl_);
      stream.handshake(net::ssl::stream_base::server, ec);
      if (!ec) Handle(stream);
      stream.shutdown(ec);
    } else {
      Handle(socket);
      socket.shutdown(tcp::socket::shutdown_both, ec);
    }
  }

  bool SleepMs(int ms) {  // false when the server stops meanwhile
    std::unique_lock lock(mu_);
    return !cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping_; });
  }

  static int Param(const std::string& target, const std::string& name, int fallback) {
    size_t p = target.find(name + "=");
    return p == std::string::npos ? fallback : std::stoi(target.substr(p + name.size() + 1));
  }

  template <class Stream>
  void Handle(Stream& stream) {
    beast::flat_buffer buffer;
    bhttp::request<bhttp::string_body> req;
    beast::error_code ec;
    bhttp::read(stream, buffer, req, ec);
    if (ec) return;
    const std::string target(req.target());
    const std::string path = target.substr(0, target.find('?'));
    bhttp::response<bhttp::string_body> res(bhttp::status::ok, 11);
    res.set(bhttp::field::content_type, "text/plain");
    res.set(bhttp::field::connection, "close");
    auto redirect = [&](int status, const std::string& to) {
      res.result(status);
      res.set(bhttp::field::location, to);
      res.body() = "moved";
    };
    if (path == "/ok") {
      res.set("X-Version", "1.2.3");
      res.body() = "ok";
    } else if (path == "/json") {
      res.set(bhttp::field::content_type, "application/json");
      res.body() = R"({"status":"ok","code":200,"items":[{"name":"a"}],"up":true})";
    } else if (path == "/slow") {
      if (!SleepMs(Param(target, "ms", 300))) return;
      res.body() = "slow";
    } else if (path == "/slowbody") {
      std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 8\r\nConnection: close\r\n\r\nfirst";
      net::write(stream, net::buffer(head), ec);
      if (ec || !SleepMs(Param(target, "ms", 300))) return;
      net::write(stream, net::buffer(std::string("end")), ec);
      return;
    } else if (path.rfind("/status/", 0) == 0) {
      res.result(std::stoi(path.substr(8)));
      int len = Param(target, "len", -1);
      res.body() = len < 0 ? "boom" : std::string(static_cast<size_t>(len), 'x');
    } else if (path.rfind("/redirect/", 0) == 0) {
      int n = std::stoi(path.substr(10));
      redirect(302, n <= 1 ? "/ok" : "/redirect/" + std::to_string(n - 1));
    } else if (path.rfind("/slowredirect/", 0) == 0) {
      int n = std::stoi(path.substr(14));
      if (!SleepMs(100)) return;
      redirect(302, n <= 1 ? "/slow?ms=100" : "/slowredirect/" + std::to_string(n - 1));
    } else if (path == "/loop") {
      redirect(302, "loop");
    } else if (path == "/see-other") {
      redirect(303, "/echo");
    } else if (path == "/temporary") {
      redirect(307, "/echo");
    } else if (path == "/echo") {
      std::string out = std::string(req.method_string()) + " " + target + "\n";
      for (const auto& f : req.base()) out += std::string(f.name_string()) + ": " + std::string(f.value()) + "\n";
      res.body() = out + "\n" + req.body();
    } else if (path == "/hang") {
      SleepMs(60'000);
      return;
    } else if (path == "/big") {
      res.body() = std::string(11u << 20, 'b');
    } else if (path == "/close-delimited") {
      std::string all = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the close";
      net::write(stream, net::buffer(all), ec);
      return;
    } else {
      res.result(404);
      res.body() = "not found";
    }
    res.prepare_payload();
    bhttp::write(stream, res, ec);
  }

  net::io_context io_;
  tcp::acceptor acceptor_;
  std::unique_ptr<net::ssl::context> ssl_;
  int port_ = 0;
  std::thread accept_thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
  std::atomic<int> connections_{0};
};

HttpSpec Get(const std::string& url, int64_t timeout_ms = 5000) {
  HttpSpec s;
  s.url = url;
  s.timeout_ms = timeout_ms;
  return s;
}

Assertion StatusIs(int status) {
  Assertion a;
  a.kind = Assertion::Kind::kStatus;
  a.status = status;
  return a;
}

Assertion BodyContains(std::string text) {
  Assertion a;
  a.kind = Assertion::Kind::kBodyContains;
  a.text = std::move(text);
  return a;
}

// The precise clock the probe stamps with: std::time() reads the coarse clock, which can lag
// it by a tick and so, truncated to seconds, be a whole second behind (fresh-clone CI run 20).
double Now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

TEST(HttpProbe, SuccessfulGetFillsTheResult) {
  TestServer server;
  const double before = Now();
  CheckResult r = RunHttpProbe(Get(server.Url("/ok")), {});
  EXPECT_TRUE(r.success) << r.error;
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.failed_assertion, -1);
  EXPECT_EQ(r.status_code, 200);
  EXPECT_EQ(r.http_version, 11);
  EXPECT_EQ(r.redirects, 0);
  EXPECT_EQ(r.earliest_cert_expiry, 0);
  EXPECT_FALSE(r.response.has_value());
  EXPECT_GE(r.time_ms / 1000.0, before - 1);
  EXPECT_LE(r.time_ms / 1000.0, Now() + 1);
  EXPECT_EQ(r.phases.tls, 0);
  EXPECT_GT(r.phases.connect, 0);
  EXPECT_GT(r.phases.processing, 0);
  const HttpPhases& p = r.phases;
  EXPECT_LE(p.resolve + p.connect + p.tls + p.processing + p.transfer, r.duration_s);
}

TEST(HttpProbe, HostNamesAreResolved) {
  TestServer server;  // on 127.0.0.1 only: a ::1 answer for localhost is refused, then 127.0.0.1 is tried
  std::string url = server.Url("/ok");
  url.replace(url.find("127.0.0.1"), 9, "localhost");
  CheckResult r = RunHttpProbe(Get(url), {BodyContains("ok")});
  EXPECT_TRUE(r.success) << r.error;
  EXPECT_GT(r.phases.resolve, 0);
}

TEST(HttpProbe, SlowResponseIsProcessingAndSlowBodyIsTransfer) {
  TestServer server;
  CheckResult slow = RunHttpProbe(Get(server.Url("/slow?ms=300")), {});
  ASSERT_TRUE(slow.success) << slow.error;
  EXPECT_GE(slow.phases.processing, 0.3);
  EXPECT_LT(slow.phases.transfer, 0.3);
  EXPECT_GE(slow.duration_s, 0.3);

  CheckResult body = RunHttpProbe(Get(server.Url("/slowbody?ms=300")), {BodyContains("firstend")});
  ASSERT_TRUE(body.success) << body.error;
  // The 300 ms pause falls in transfer. Transfer starts when the probe has read the first
  // bytes, which a loaded machine may do a few ms after they arrived: no exact bound.
  EXPECT_GE(body.phases.transfer, 0.2);
  EXPECT_GT(body.phases.transfer, body.phases.processing);
  EXPECT_GE(body.duration_s, 0.3);
}

TEST(HttpProbe, ServerErrorFailsAndKeepsTheResponse) {
  TestServer server;
  CheckResult r = RunHttpProbe(Get(server.Url("/status/500")), {});
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.error, "status 500, expected 2xx");
  EXPECT_EQ(r.failed_assertion, -1);
  EXPECT_EQ(r.status_code, 500);
  ASSERT_TRUE(r.response.has_value());
  EXPECT_EQ(r.response->status, 500);
  EXPECT_EQ(r.response->body_prefix, "boom");
  bool has_type = false;
  for (const auto& h : r.response->headers) has_type |= h.first == "Content-Type" && h.second == "text/plain";
  EXPECT_TRUE(has_type);

  // Only the first 4 KiB of the body is kept.
  r = RunHttpProbe(Get(server.Url("/status/503?len=10000")), {});
  ASSERT_TRUE(r.response.has_value());
  EXPECT_EQ(r.response->body_prefix, std::string(kResponseSnapshotBytes, 'x'));

  // An explicit status assertion replaces the 2xx default.
  r = RunHttpProbe(Get(server.Url("/status/500")), {StatusIs(500)});
  EXPECT_TRUE(r.success) << r.error;
  EXPECT_FALSE(r.response.has_value());
  r = RunHttpProbe(Get(server.Url("/ok")), {BodyContains("ok"), StatusIs(201)});
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.error, "status 200, expected 201");
  EXPECT_EQ(r.failed_assertion, 1);
  ASSERT_TRUE(r.response.has_value());
  EXPECT_EQ(r.response->body_prefix, "ok");
}

TEST(HttpProbe, FollowsARedirectChainAndSumsThePhases) {
  TestServer server;
  CheckResult r = RunHttpProbe(Get(server.Url("/redirect/3")), {BodyContains("ok")});
  EXPECT_TRUE(r.success) << r.error;
  EXPECT_EQ(r.redirects, 3);
  EXPECT_EQ(r.status_code, 200);
  EXPECT_EQ(server.connections(), 4);  // one connection per request, no keep-alive

  // Each hop's wait for its answer is summed into processing; only the last body is
  // transfer.
  r = RunHttpProbe(Get(server.Url("/slowredirect/3")), {BodyContains("slow")});
  EXPECT_TRUE(r.success) << r.error;
  EXPECT_EQ(r.redirects, 3);
  EXPECT_GE(r.phases.processing, 0.4);
  EXPECT_LT(r.phases.transfer, 0.3);  // redirect bodies are not transfer
  EXPECT_GE(r.duration_s, r.phases.processing);

  // Without following, the 302 is the answer.
  HttpSpec no_follow = Get(server.Url("/redirect/3"));
  no_follow.follow_redirects = false;
  r = RunHttpProbe(no_follow, {});
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.status_code, 302);
  EXPECT_EQ(r.redirects, 0);
  EXPECT_EQ(r.error, "status 302, expected 2xx");
  r = RunHttpProbe(no_follow, {StatusIs(302), BodyContains("moved")});
  EXPECT_TRUE(r.success) << r.error;
}

TEST(HttpProbe, StopsAfterTenRedirects) {
  TestServer server;
  CheckResult r = RunHttpProbe(Get(server.Url("/loop")), {});
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.error, "stopped after 10 redirects");
  EXPECT_EQ(r.redirects, 11);  // as the blackbox exporter counts the refused one
  EXPECT_EQ(r.status_code, 302);
  EXPECT_EQ(server.connections(), 11);
  // Exactly ten are fine.
  r = RunHttpProbe(Get(server.Url("/redirect/10")), {});
  EXPECT_TRUE(r.success) << r.error;
  EXPECT_EQ(r.redirects, 10);
}

TEST(HttpProbe, MethodHeadersAndBodyAreSentAndRedirectsRewriteThem) {
  TestServer server;
  HttpSpec post = Get(server.Url("/echo?x=1"));
  post.method = "POST";
  post.headers = {{"X-Test", "one"}, {"Content-Type", "application/json"}, {"User-Agent", "probe/9"}};
  post.body = R"({"q":1})";
  CheckResult r = RunHttpProbe(post, {BodyContains("POST /echo?x=1\n"), BodyContains("X-Test: one\n"),
                                      BodyContains("User-Agent: probe/9\n"), BodyContains("Content-Length: 7\n"),
                                      BodyContains("\n\n{\"q\":1}")});
  EXPECT_TRUE(r.success) << r.error;

  // 303: the redirected request is a GET without the body.
  post.url = server.Url("/see-other");
  r = RunHttpProbe(post, {BodyContains("GET /echo\n"), BodyContains("X-Test: one\n")});
  EXPECT_TRUE(r.success) << r.error;
  EXPECT_EQ(r.redirects, 1);
  // 307: method and body kept.
  post.url = server.Url("/temporary");
  r = RunHttpProbe(post, {BodyContains("POST /echo\n"), BodyContains("\n\n{\"q\":1}")});
  EXPECT_TRUE(r.success) << r.error;

  // The default User-Agent and the Host header.
  r = RunHttpProbe(Get(server.Url("/echo")), {BodyContains("User-Agent: perfwatch-synthetic\n")});
  EXPECT_TRUE(r.success) << r.error;
  HttpSpec host = Get(server.Url("/echo"));
  host.headers = {{"Host", "example.test"}};
  r = RunHttpProbe(host, {BodyContains("Host: example.test\n")});
  EXPECT_TRUE(r.success) << r.error;
}

TEST(HttpProbe, HangingServerTimesOutNamingThePhase) {
  TestServer server;
  CheckResult r = RunHttpProbe(Get(server.Url("/hang"), 500), {});
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.error, "timeout after 0.5s (while waiting for the response)");
  EXPECT_GE(r.duration_s, 0.5);
  EXPECT_EQ(r.status_code, 0);
  EXPECT_FALSE(r.response.has_value());
  EXPECT_EQ(r.phases.processing, 0);  // no first byte: not counted, as the exporter does

  r = RunHttpProbe(Get(server.Url("/slowbody?ms=5000"), 1000), {});
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.error, "timeout after 1s (while reading the body)");
  EXPECT_EQ(r.status_code, 200);
  ASSERT_TRUE(r.response.has_value());
  EXPECT_EQ(r.response->body_prefix, "first");
  EXPECT_GT(r.phases.transfer, 0);
}

TEST(HttpProbe, ConnectionRefusedAndBadUrls) {
  int port;
  {
    net::io_context io;
    tcp::acceptor a(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    port = a.local_endpoint().port();
  }
  CheckResult r = RunHttpProbe(Get("http://127.0.0.1:" + std::to_string(port) + "/"), {});
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.error, "connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused");
  EXPECT_EQ(r.phases.connect, 0);

  r = RunHttpProbe(Get("ftp://127.0.0.1/"), {});
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.error, "URL \"ftp://127.0.0.1/\" is not http:// or https://");
  r = RunHttpProbe(Get("http://127.0.0.1:99999/"), {});
  EXPECT_EQ(r.error, "URL \"http://127.0.0.1:99999/\": bad port");
  r = RunHttpProbe(Get("http://name.invalid/"), {});
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.error.rfind("resolve name.invalid: ", 0), 0u) << r.error;
}

TEST(HttpProbe, BodyLimitAndCloseDelimitedBodies) {
  TestServer server;
  CheckResult r = RunHttpProbe(Get(server.Url("/big")), {});
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.error, "body larger than 10 MiB (10485760 bytes)");
  r = RunHttpProbe(Get(server.Url("/close-delimited")), {BodyContains("until the close")});
  EXPECT_TRUE(r.success) << r.error;
  HttpSpec head = Get(server.Url("/big"));
  head.method = "HEAD";  // a HEAD answer's Content-Length announces no body
  r = RunHttpProbe(head, {});
  EXPECT_TRUE(r.success) << r.error;
}

TEST(HttpProbe, EveryAssertionKindAgainstARealResponse) {
  TestServer server;
  Assertion json;
  json.kind = Assertion::Kind::kJsonPath;
  json.text = "$.items[0].name";
  json.equals = "a";
  Assertion header;
  header.kind = Assertion::Kind::kHeader;
  header.text = "content-type";
  header.matches = "application/.*";
  Assertion regex;
  regex.kind = Assertion::Kind::kBodyRegex;
  regex.text = R"("code":\d+)";
  Assertion fast;
  fast.kind = Assertion::Kind::kMaxDuration;
  fast.max_duration_ms = 30'000;
  CheckResult r = RunHttpProbe(Get(server.Url("/json")), {StatusIs(200), json, header, regex, fast});
  EXPECT_TRUE(r.success) << r.error;

  json.equals = "b";
  r = RunHttpProbe(Get(server.Url("/json")), {StatusIs(200), header, json});
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.error, "$.items[0].name is \"a\", expected \"b\"");
  EXPECT_EQ(r.failed_assertion, 2);
  ASSERT_TRUE(r.response.has_value());

  fast.max_duration_ms = 100;
  r = RunHttpProbe(Get(server.Url("/slow?ms=300")), {fast});
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.error.rfind("took 0.", 0), 0u) << r.error;
  EXPECT_NE(r.error.find("s, more than 100ms"), std::string::npos) << r.error;

  Assertion cert;
  cert.kind = Assertion::Kind::kCertDaysLeft;
  cert.cert_days_left = 1;
  r = RunHttpProbe(Get(server.Url("/ok")), {cert});
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.error, "cert_days_left: no TLS certificate (not an https:// response)");
}

class HttpsProbe : public ::testing::Test {
 protected:
  // Expires in 3 days and 2 hours.
  const time_t not_after_ = std::time(nullptr) + 3 * 86400 + 7200;
  SelfSigned cert_{not_after_};
  TestServer server_{&cert_};
};

TEST_F(HttpsProbe, VerificationRefusesASelfSignedCertificate) {
  CheckResult r = RunHttpProbe(Get(server_.Url("/ok")), {});
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.error, "TLS handshake: certificate verify failed: self-signed certificate");
  EXPECT_EQ(r.status_code, 0);
  EXPECT_FALSE(r.response.has_value());
}

TEST_F(HttpsProbe, WithoutVerificationTheCertificateExpiryIsRead) {
  HttpSpec spec = Get(server_.Url("/ok"));
  spec.tls_verify = false;
  CheckResult r = RunHttpProbe(spec, {BodyContains("ok")});
  EXPECT_TRUE(r.success) << r.error;
  EXPECT_EQ(r.earliest_cert_expiry, static_cast<double>(not_after_));
  EXPECT_GT(r.phases.tls, 0);
  EXPECT_GT(r.phases.connect, 0);

  Assertion cert;
  cert.kind = Assertion::Kind::kCertDaysLeft;
  cert.cert_days_left = 3;
  r = RunHttpProbe(spec, {cert});
  EXPECT_TRUE(r.success) << r.error;
  cert.cert_days_left = 14;
  r = RunHttpProbe(spec, {cert});
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.error, "certificate expires in 3 days, less than 14");
  EXPECT_EQ(r.failed_assertion, 0);

  // Redirects over TLS.
  spec.url = server_.Url("/redirect/2");
  r = RunHttpProbe(spec, {});
  EXPECT_TRUE(r.success) << r.error;
  EXPECT_EQ(r.redirects, 2);
  EXPECT_EQ(r.earliest_cert_expiry, static_cast<double>(not_after_));
}

TEST(HttpProbeAsync, ManyRunsOnOneIoContextEachReportOnce) {
  TestServer server;
  net::io_context io;
  std::mutex mu;
  std::vector<CheckResult> results;
  std::atomic<int> calls{0};
  const std::vector<std::string> paths = {"/ok", "/status/500", "/slow?ms=200", "/redirect/2", "/hang", "/json"};
  for (const std::string& p : paths) {
    AsyncHttpProbe(io, Get(server.Url(p), 1500), {}, [&](CheckResult r) {
      ++calls;
      std::lock_guard lock(mu);
      results.push_back(std::move(r));
    });
  }
  std::thread t1([&] { io.run(); });
  std::thread t2([&] { io.run(); });
  t1.join();
  t2.join();
  EXPECT_EQ(calls.load(), static_cast<int>(paths.size()));
  int ok = 0, timeouts = 0, server_errors = 0;
  for (const CheckResult& r : results) {
    ok += r.success;
    timeouts += r.error == "timeout after 1.5s (while waiting for the response)";
    server_errors += r.status_code == 500;
  }
  EXPECT_EQ(ok, 4);
  EXPECT_EQ(timeouts, 1);
  EXPECT_EQ(server_errors, 1);
}

}  // namespace
}  // namespace perfwatch::synthetic
