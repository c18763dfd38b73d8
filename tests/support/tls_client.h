#pragma once
// A small blocking HTTPS/1.1 client for tests, on Boost.Asio's OpenSSL stream and Beast:
// one TLS connection (Connect) on which any number of keep-alive GETs can be made, and
// the server certificate's subject and serial. Every step has a timeout (default 10 s).
// Verification: with ca_file set, the server certificate must chain to it and name
// `server_name` (or `host`); without ca_file nothing is verified.
// Thread safety: not thread-safe; one instance per thread.
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "http/tls_context.h"

namespace perfwatch::testing {

class TlsClient {
 public:
  struct Options {
    std::string ca_file;                 // "" = do not verify the server
    std::string cert_file, key_file;     // client certificate (mTLS)
    std::string host = "127.0.0.1";      // connected to
    std::string server_name;             // checked in the certificate and sent as SNI ("" = host)
    std::chrono::milliseconds timeout{10'000};
  };
  struct Response {
    int status = 0;  // 0: the request failed (see error)
    std::string body;
    bool keep_alive = false;
    std::string error;
  };

  TlsClient(uint16_t port, Options options) : port_(port), options_(std::move(options)) {}

  // TCP connect and TLS handshake; false (with error()) on failure.
  bool Connect() {
    namespace net = boost::asio;
    namespace ssl = boost::asio::ssl;
    http::ClientTlsOptions o;
    o.ca_file = options_.ca_file;
    o.cert_file = options_.cert_file;
    o.key_file = options_.key_file;
    o.insecure_skip_verify = options_.ca_file.empty();
    auto ctx = http::MakeClientTlsContext(o);
    if (!ctx.ok()) return Fail(ctx.status().message());
    ctx_ = *ctx;
    stream_.emplace(ioc_, *ctx_);
    std::string name = options_.server_name.empty() ? options_.host : options_.server_name;
    Status st = http::ConfigureClientTls(stream_->native_handle(), name);
    if (!st.ok()) return Fail(st.message());
    boost::system::error_code ec;
    auto address = net::ip::make_address(options_.host, ec);
    if (ec) return Fail("bad host " + options_.host);
    Lowest().expires_after(options_.timeout);
    Lowest().async_connect(net::ip::tcp::endpoint(address, port_), [&](boost::system::error_code e) { ec = e; });
    Run();
    if (ec) return Fail("connect: " + ec.message());
    Lowest().expires_after(options_.timeout);
    stream_->async_handshake(ssl::stream_base::client, [&](boost::system::error_code e) { ec = e; });
    Run();
    if (ec) return Fail("handshake: " + http::DescribeTlsError(ec, stream_->native_handle()));
    return true;
  }

  // One GET on the open connection.
  Response Get(const std::string& target) { return Send(boost::beast::http::verb::get, target); }

  // One request with an empty body (e.g. POST /-/reload) on the open connection.
  Response Send(boost::beast::http::verb method, const std::string& target) {
    namespace bhttp = boost::beast::http;
    Response out;
    if (!stream_) {
      out.error = "not connected";
      return out;
    }
    bhttp::request<bhttp::string_body> req{method, target, 11};
    req.set(bhttp::field::host, options_.host);
    req.prepare_payload();
    boost::system::error_code ec;
    Lowest().expires_after(options_.timeout);
    bhttp::async_write(*stream_, req, [&](boost::system::error_code e, size_t) { ec = e; });
    Run();
    if (ec) {
      out.error = "write: " + ec.message();
      return out;
    }
    bhttp::response<bhttp::string_body> res;
    Lowest().expires_after(options_.timeout);
    bhttp::async_read(*stream_, buffer_, res, [&](boost::system::error_code e, size_t) { ec = e; });
    Run();
    if (ec) {
      out.error = "read: " + http::DescribeTlsError(ec, stream_->native_handle());
      return out;
    }
    out.status = static_cast<int>(res.result_int());
    out.body = std::move(res.body());
    out.keep_alive = res.keep_alive();
    return out;
  }

  // "/CN=server-one" (X509_NAME_oneline) of the server's certificate; "" when none.
  std::string PeerSubject() {
    if (!stream_) return "";
    X509* cert = SSL_get1_peer_certificate(stream_->native_handle());
    if (cert == nullptr) return "";
    char name[512];
    X509_NAME_oneline(X509_get_subject_name(cert), name, sizeof(name));
    X509_free(cert);
    return name;
  }

  const std::string& error() const { return error_; }

 private:
  using Stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

  boost::beast::tcp_stream& Lowest() { return boost::beast::get_lowest_layer(*stream_); }
  void Run() {
    ioc_.restart();
    ioc_.run();
  }
  bool Fail(std::string message) {
    error_ = std::move(message);
    return false;
  }

  const uint16_t port_;
  const Options options_;
  boost::asio::io_context ioc_;
  std::shared_ptr<boost::asio::ssl::context> ctx_;
  std::optional<Stream> stream_;  // after ctx_: destroyed first
  boost::beast::flat_buffer buffer_;
  std::string error_;
};

// Connects, GETs `target` once and returns the response (status 0 with error on failure).
inline TlsClient::Response TlsGet(uint16_t port, const std::string& target, TlsClient::Options options) {
  TlsClient client(port, std::move(options));
  if (!client.Connect()) {
    TlsClient::Response r;
    r.error = client.error();
    return r;
  }
  return client.Get(target);
}

}  // namespace perfwatch::testing
