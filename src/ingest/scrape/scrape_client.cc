#include "ingest/scrape/scrape_client.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <memory>

#include "http/tls_context.h"
#include "http/url.h"
#include "ingest/scrape/scrape_gzip.h"

namespace perfwatch::ingest {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

std::string TimeoutHeader(int64_t timeout_ms) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", static_cast<double>(timeout_ms) / 1000.0);
  return buf;
}

// One fetch. Owned by the shared_ptrs its pending handlers hold; every handler runs on
// `strand_` (the executor of the resolver, the stream and the timer), so the fields need
// no lock.
class FetchOp : public std::enable_shared_from_this<FetchOp> {
 public:
  FetchOp(net::io_context& io, FetchRequest request, FetchCallback done)
      : strand_(net::make_strand(io)),
        resolver_(strand_),
        stream_(strand_),
        deadline_(strand_),
        request_(std::move(request)),
        done_(std::move(done)) {}

  void Start() {
    // Everything from here on runs on the strand.
    net::dispatch(strand_, [self = shared_from_this()] { self->Begin(); });
  }

 private:
  void Begin() {
    std::string host, port;
    if (!SplitHostPort(request_.address, &host, &port)) {
      return Finish(InvalidArgument("bad target address \"" + request_.address + "\""), FetchFailure::kConnect);
    }
    if (request_.https) {
      if (!request_.tls_setup_error.empty() || !request_.tls_context) {
        return Finish(Unavailable(request_.tls_setup_error.empty() ? "no TLS context" : request_.tls_setup_error),
                      FetchFailure::kTls);
      }
      tls_ = std::make_unique<net::ssl::stream<beast::tcp_stream&>>(stream_, *request_.tls_context);
      Status st = http::ConfigureClientTls(tls_->native_handle(),
                                           request_.server_name.empty() ? host : request_.server_name);
      if (!st.ok()) return Finish(st, FetchFailure::kTls);
    }
    deadline_.expires_after(std::chrono::milliseconds(request_.timeout_ms));
    deadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->finished_) return;
      self->timed_out_ = true;
      self->resolver_.cancel();
      beast::error_code ignored;
      self->stream_.socket().cancel(ignored);
      self->stream_.socket().close(ignored);
    });
    req_.version(11);
    req_.method(bhttp::verb::get);
    req_.target(request_.target);
    req_.set(bhttp::field::host, request_.address);
    req_.set(bhttp::field::user_agent, request_.user_agent);
    req_.set(bhttp::field::accept, kScrapeAcceptHeader);
    if (!request_.authorization.empty()) req_.set(bhttp::field::authorization, request_.authorization);
    req_.set(bhttp::field::accept_encoding, "gzip");
    req_.set(bhttp::field::connection, "close");
    req_.set("X-Prometheus-Scrape-Timeout-Seconds", TimeoutHeader(request_.timeout_ms));
    parser_.body_limit(request_.max_body_bytes);
    parser_.header_limit(64 << 10);
    resolver_.async_resolve(host, port,
                            [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type results) {
                              self->OnResolve(ec, std::move(results));
                            });
  }

  void OnResolve(beast::error_code ec, tcp::resolver::results_type results) {
    if (ec) return Fail(ec, "resolve " + request_.address, FetchFailure::kConnect);
    stream_.async_connect(results, [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
      self->OnConnect(ec);
    });
  }

  void OnConnect(beast::error_code ec) {
    if (ec) return Fail(ec, "connect to " + request_.address, FetchFailure::kConnect);
    if (!tls_) return Send();
    tls_->async_handshake(net::ssl::stream_base::client,
                          [self = shared_from_this()](beast::error_code ec) { self->OnHandshake(ec); });
  }

  void OnHandshake(beast::error_code ec) {
    if (ec && !timed_out_) {
      return Finish(Unavailable("TLS handshake with " + request_.address + ": " +
                                http::DescribeTlsError(ec, tls_->native_handle())),
                    FetchFailure::kTls);
    }
    if (ec) return Fail(ec, "TLS handshake", FetchFailure::kTls);
    Send();
  }

  void Send() {
    auto on_write = [self = shared_from_this()](beast::error_code ec, size_t) { self->OnWrite(ec); };
    if (tls_) {
      bhttp::async_write(*tls_, req_, std::move(on_write));
    } else {
      bhttp::async_write(stream_, req_, std::move(on_write));
    }
  }

  void OnWrite(beast::error_code ec) {
    if (ec) return Fail(ec, "send request", FetchFailure::kIo);
    auto on_read = [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); };
    if (tls_) {
      bhttp::async_read(*tls_, buffer_, parser_, std::move(on_read));
    } else {
      bhttp::async_read(stream_, buffer_, parser_, std::move(on_read));
    }
  }

  void OnRead(beast::error_code ec) {
    if (ec == net::ssl::error::stream_truncated) {
      // The server closed without TLS close_notify: fine when the body was complete or
      // ends at the close (as most HTTPS servers do).
      beast::error_code eof_ec;
      if (!parser_.is_done()) parser_.put_eof(eof_ec);
      if (!eof_ec && parser_.is_done()) ec = {};
    }
    if (ec == bhttp::error::body_limit) {
      return Finish(ResourceExhausted("response body exceeds the limit of " +
                                      std::to_string(request_.max_body_bytes) + " bytes (scrape.max_body_bytes)"),
                    FetchFailure::kBodyLimit);
    }
    if (ec) return Fail(ec, "read response", FetchFailure::kIo);
    auto& res = parser_.get();
    result_.http_status = static_cast<int>(res.result_int());
    if (result_.http_status < 200 || result_.http_status > 299) {
      return Finish(Unavailable("server returned HTTP status " + std::to_string(result_.http_status) + " " +
                                std::string(res.reason())),
                    FetchFailure::kHttpStatus);
    }
    result_.content_type = std::string(res[bhttp::field::content_type]);
    result_.wire_bytes = res.body().size();
    std::string_view encoding = res[bhttp::field::content_encoding];
    if (http::EqualsIgnoreCase(encoding, "gzip")) {
      Status s = Gunzip(res.body(), request_.max_body_bytes, &result_.body);
      if (!s.ok()) {
        bool limit = s.code() == StatusCode::kResourceExhausted;
        return Finish(s.WithContext(limit ? "gzip body" : "decompress gzip body"),
                      limit ? FetchFailure::kBodyLimit : FetchFailure::kDecompress);
      }
    } else if (!encoding.empty() && !http::EqualsIgnoreCase(encoding, "identity")) {
      return Finish(InvalidArgument("unsupported Content-Encoding \"" + std::string(encoding) + "\""),
                    FetchFailure::kDecompress);
    } else {
      result_.body = std::move(res.body());
    }
    Finish(Status::Ok(), FetchFailure::kNone);
  }

  void Fail(beast::error_code ec, const std::string& what, FetchFailure failure) {
    if (timed_out_) {
      return Finish(Unavailable("scrape timed out after " + TimeoutHeader(request_.timeout_ms) +
                                "s (scrape_timeout)"),
                    FetchFailure::kTimeout);
    }
    // A TLS alert after the handshake (e.g. the target wanted a client certificate).
    if (ec.category() == net::error::get_ssl_category()) failure = FetchFailure::kTls;
    Finish(Unavailable(what + ": " + ec.message()), failure);
  }

  void Finish(Status status, FetchFailure failure) {
    if (finished_) return;
    finished_ = true;
    deadline_.cancel();
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
    result_.status = std::move(status);
    result_.failure = failure;
    if (!result_.status.ok()) result_.body.clear();
    FetchCallback done = std::move(done_);
    done(std::move(result_));
  }

  net::strand<net::io_context::executor_type> strand_;
  tcp::resolver resolver_;
  beast::tcp_stream stream_;
  std::unique_ptr<net::ssl::stream<beast::tcp_stream&>> tls_;  // HTTPS only; over stream_
  net::steady_timer deadline_;
  const FetchRequest request_;
  FetchCallback done_;
  bhttp::request<bhttp::empty_body> req_;
  beast::flat_buffer buffer_;
  bhttp::response_parser<bhttp::string_body> parser_;
  FetchResult result_;
  bool timed_out_ = false;
  bool finished_ = false;
};

}  // namespace

std::string_view FetchFailureName(FetchFailure f) {
  switch (f) {
    case FetchFailure::kNone: return "none";
    case FetchFailure::kConnect: return "connect";
    case FetchFailure::kTimeout: return "timeout";
    case FetchFailure::kHttpStatus: return "http_status";
    case FetchFailure::kBodyLimit: return "body_limit";
    case FetchFailure::kDecompress: return "decompress";
    case FetchFailure::kIo: return "io";
    case FetchFailure::kTls: return "tls";
  }
  return "unknown";
}

bool SplitHostPort(std::string_view address, std::string* host, std::string* port) {
  size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == address.size()) return false;
  std::string_view h = address.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (h.empty()) return false;
  *host = std::string(h);
  *port = std::string(address.substr(colon + 1));
  return true;
}

void AsyncFetch(net::io_context& io, FetchRequest request, FetchCallback done) {
  std::make_shared<FetchOp>(io, std::move(request), std::move(done))->Start();
}

FetchResult FetchBlocking(const FetchRequest& request) {
  net::io_context io;
  FetchResult out;
  out.status = Internal("fetch did not complete");
  AsyncFetch(io, request, [&out](FetchResult r) { out = std::move(r); });
  io.run();
  return out;
}

}  // namespace perfwatch::ingest
