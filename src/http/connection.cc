#include "http/connection.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <array>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <exception>
#include <span>
#include <utility>

#include "common/log.h"
#include "http/url.h"
#include "http/wire.h"

namespace perfwatch::http {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using boost::system::error_code;
using std::chrono::milliseconds;

namespace {

constexpr size_t kHeaderReadSize = 8 * 1024;
constexpr size_t kBodyReadSize = 64 * 1024;
// Buffers grown beyond this by one large request are released afterwards, so idle
// connections stay small.
constexpr size_t kKeepCapacity = 128 * 1024;
// Streamed responses are written in pieces of at least this size (fewer syscalls).
constexpr size_t kStreamChunk = 64 * 1024;
// Over TLS, bodies up to this size are sent in the head's buffer: ssl::stream encrypts each
// buffer of a write as its own record (and write).
constexpr size_t kTlsCoalesceBytes = 16 * 1024;
// After an error answer, how long and how much of the unread request is discarded
// before closing (closing with unread data would reset the connection and could lose
// the answer).
constexpr milliseconds kLingerTime{1000};
constexpr size_t kLingerBytes = 16 << 20;

constexpr std::string_view k100Continue = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr std::string_view kLastChunk = "0\r\n\r\n";
constexpr std::string_view kCrLf = "\r\n";

bool OriginAllowed(const std::vector<std::string>& origins, std::string_view origin, bool* wildcard) {
  *wildcard = false;
  for (const std::string& o : origins) {
    if (o == "*") {
      *wildcard = true;
      return true;
    }
  }
  for (const std::string& o : origins) {
    if (EqualsIgnoreCase(o, origin)) return true;
  }
  return false;
}

}  // namespace

Connection::Connection(Worker* worker, Socket socket, ClientConnections::Slot slot)
    : worker_(worker),
      state_(worker->state()),
      config_(state_.limits()),
      socket_(std::move(socket)),
      client_slot_(std::move(slot)) {
  if (state_.config.tls.enabled()) {
    tls_context_ = state_.tls_context();
    tls_.emplace(socket_, *tls_context_);
  }
  worker_->Link(this);
  state_.metrics.ConnectionOpened();
}

Connection::~Connection() {
  ReleaseGuards();
  worker_->Unlink(this);
  state_.metrics.ConnectionClosed();
  state_.open_connections.fetch_sub(1, std::memory_order_relaxed);
}

void Connection::Start() {
  error_code ec;
  socket_.set_option(net::ip::tcp::no_delay(true), ec);
  auto peer = socket_.remote_endpoint(ec);
  if (!ec) {
    net::ip::address a = peer.address();
    if (a.is_v6() && a.to_v6().is_v4_mapped()) a = a.to_v6().to_v4();
    remote_address_ = a.to_string();
  }
  request_.remote_address = remote_address_;
  if (!tls_) {
    NewRequest(Clock::now());
    return;
  }
  phase_ = Phase::kHeader;  // the handshake is part of the header's time
  deadline_ = Clock::now() + milliseconds(config_->header_timeout_ms);
  tls_->async_handshake(net::ssl::stream_base::server,
                        [self = shared_from_this()](error_code ec) { self->OnHandshake(ec); });
}

void Connection::OnHandshake(error_code ec) {
  if (!ec && !closed_) {
    NewRequest(Clock::now());
    return;
  }
  state_.metrics.TlsHandshakeFailed();
  if (!closed_ && ec.category() == net::error::get_ssl_category() &&
      ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_HTTP_REQUEST) {
    RefusePlainHttp();
    return;
  }
  Close();
}

void Connection::RefusePlainHttp() {
  tls_.reset();  // from here on the connection speaks plain text
  dispatch_time_ = Clock::now();
  ResetResponse();
  request_ = Request{};
  request_.remote_address = remote_address_;
  route_index_ = -1;
  keep_alive_ = false;
  linger_ = true;  // the rest of the request is still unread
  head_request_ = false;
  WriteApiError(response_, 400, "bad_data", "client sent an HTTP request to an HTTPS server");
  WriteResponse();
}

template <typename Buffers, typename Handler>
void Connection::AsyncWrite(const Buffers& buffers, Handler&& handler) {
  if (tls_) {
    net::async_write(*tls_, buffers, std::forward<Handler>(handler));
  } else {
    net::async_write(socket_, buffers, std::forward<Handler>(handler));
  }
}

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  error_code ec;
  socket_.close(ec);
  if (response_.live) std::exchange(response_.live, nullptr)->Cancel();
}

void Connection::NewRequest(Clock::time_point now) {
  config_ = state_.limits();  // a reload's limits apply from here on (and again at the first byte)
  parser_.emplace(&parsed_, config_->max_header_bytes, config_->max_body_bytes);
  header_done_ = false;
  match_cached_ = false;
  if (buffer_.size() > 0) {  // a pipelined request is already here
    phase_ = Phase::kHeader;
    deadline_ = now + milliseconds(config_->header_timeout_ms);
    Parse();
  } else {
    phase_ = Phase::kIdle;
    deadline_ = now + milliseconds(config_->idle_timeout_ms);
    ReadMore();
  }
}

void Connection::ReadMore() {
  if (closed_) return;
  size_t want =
      phase_ == Phase::kBody || phase_ == Phase::kLinger ? kBodyReadSize : kHeaderReadSize;
  auto on_read = [self = shared_from_this()](error_code ec, size_t n) { self->OnRead(ec, n); };
  if (tls_) {
    tls_->async_read_some(buffer_.prepare(want), std::move(on_read));
  } else {
    socket_.async_read_some(buffer_.prepare(want), std::move(on_read));
  }
}

void Connection::OnRead(error_code ec, size_t n) {
  if (ec) {
    // EOF between requests is the normal end of a keep-alive connection; anything else
    // (reset, timeout close, shutdown) ends it too.
    Close();
    return;
  }
  buffer_.commit(n);
  if (phase_ == Phase::kLinger) {
    linger_bytes_ += buffer_.size();
    buffer_.consume(buffer_.size());
    if (linger_bytes_ > kLingerBytes) {
      Close();
    } else {
      ReadMore();
    }
    return;
  }
  if (phase_ == Phase::kIdle) {
    // The request starts with this byte: it takes the limits in force now (a reload while
    // the connection waited applies to it). The parser has seen nothing yet.
    if (std::shared_ptr<const HttpConfig> now_limits = state_.limits(); now_limits != config_) {
      config_ = std::move(now_limits);
      parser_.emplace(&parsed_, config_->max_header_bytes, config_->max_body_bytes);
    }
    phase_ = Phase::kHeader;
    deadline_ = Clock::now() + milliseconds(config_->header_timeout_ms);
  }
  Parse();
}

void Connection::Parse() {
  if (!parser_->got_some()) {
    // Empty lines before a request line are ignored (RFC 9112 section 2.2), e.g. the CRLF
    // some clients send after a POST body. The header timeout still runs meanwhile.
    const char* p = static_cast<const char*>(buffer_.data().data());
    size_t skip = 0;
    while (skip < buffer_.size() && (p[skip] == '\r' || p[skip] == '\n')) ++skip;
    buffer_.consume(skip);
    if (buffer_.size() == 0) {
      ReadMore();
      return;
    }
  }
  for (;;) {
    error_code ec;
    size_t used = parser_->put(buffer_.data(), ec);
    buffer_.consume(used);
    if (ec && ec != bhttp::error::need_more) {
      OnParseError(ec);
      return;
    }
    if (!header_done_ && parser_->is_header_done()) {
      header_done_ = true;
      if (!RunGuards()) return;
      if (!parser_->is_done()) {
        phase_ = Phase::kBody;
        deadline_ = Clock::now() + milliseconds(config_->body_timeout_ms);
        if (parsed_.expect_continue && parsed_.version >= 11 && buffer_.size() == 0) {
          SendContinue();
          return;
        }
      }
    }
    if (parser_->is_done()) {
      Dispatch();
      return;
    }
    if (ec || used == 0 || buffer_.size() == 0) {
      ReadMore();
      return;
    }
  }
}

void Connection::SendContinue() {
  AsyncWrite(net::buffer(k100Continue.data(), k100Continue.size()),
             [self = shared_from_this()](error_code ec, size_t) {
               if (ec) return self->Close();
               self->ReadMore();
             });
}

void Connection::OnParseError(error_code ec) {
  dispatch_time_ = Clock::now();
  ResetResponse();
  keep_alive_ = false;
  linger_ = true;
  head_request_ = false;
  route_index_ = -1;
  if (parsed_.method.len > 0) {
    parsed_.Fill(request_);
    route_index_ = state_.router.Find(request_.method, request_.path).route_index;
  } else {
    request_ = Request{};
    request_.remote_address = remote_address_;
  }
  if (ec == bhttp::error::body_limit) {
    WriteBodyTooLarge(response_, config_->max_body_bytes);
  } else if (ec == bhttp::error::header_limit) {
    WriteApiError(response_, 431, "bad_data",
                  "request header exceeds the limit of " +
                      std::to_string(config_->max_header_bytes) + " bytes");
  } else {
    WriteApiError(response_, 400, "bad_data", "malformed HTTP request: " + ec.message());
  }
  WriteResponse();
}

bool Connection::RunGuards() {
  const auto& guards = state_.router.guards();
  if (guards.empty()) return true;
  parsed_.Fill(request_);
  match_ = state_.router.Find(request_.method, request_.path);
  match_cached_ = true;  // Dispatch reuses it: method and path do not change with the body
  const Router::Match& match = match_;
  if (!match.handler) return true;  // 404, 405 and OPTIONS answers need no admission
  guard_options_ = match.options;
  for (const auto& guard : guards) {
    ResetResponse();
    if (!guard->Admit(request_, *guard_options_, response_)) {
      ReleaseGuards();
      // Refused before the body was read: answer, then discard what is left of it.
      dispatch_time_ = Clock::now();
      route_index_ = match.route_index;
      head_request_ = request_.method == "HEAD";
      linger_ = !parser_->is_done();
      keep_alive_ = !linger_ && parser_->keep_alive() && !worker_->stopping();
      WriteResponse();
      return false;
    }
    ++guards_admitted_;
  }
  ResetResponse();
  return true;
}

void Connection::ReleaseGuards() {
  const auto& guards = state_.router.guards();
  for (size_t i = guards_admitted_; i-- > 0;) guards[i]->Done(*guard_options_);
  guards_admitted_ = 0;
  guard_options_ = nullptr;
}

void Connection::Dispatch() {
  dispatch_time_ = Clock::now();
  parsed_.Fill(request_);
  ResetResponse();
  keep_alive_ = parser_->keep_alive() && !worker_->stopping();
  linger_ = false;
  head_request_ = request_.method == "HEAD";
  if (!match_cached_) match_ = state_.router.Find(request_.method, request_.path);
  route_index_ = match_.route_index;
  request_.client_fd = socket_.native_handle();  // Request::ClientGone, while the handler runs
  Route(match_);
  request_.client_fd = -1;
  WriteResponse();
}

void Connection::Route(const Router::Match& match) {
  const RouteOptions* opts = match.options;
  // The route's CORS origins: replaceable ones (RouteOptions::cors_origins) or fixed ones.
  std::shared_ptr<const std::vector<std::string>> replaceable;
  const std::vector<std::string>* origins = nullptr;
  if (opts != nullptr) {
    if (opts->cors_origins) replaceable = opts->cors_origins->Get();
    origins = replaceable ? replaceable.get() : &opts->cors_allowed_origins;
  }
  bool cors = origins != nullptr && !origins->empty();
  std::string_view origin = cors ? request_.Header("Origin") : std::string_view();
  bool wildcard = false;
  if (cors && !origin.empty() && !OriginAllowed(*origins, origin, &wildcard)) {
    // Refused outright (not merely left without CORS headers) so that a page on a foreign
    // origin cannot make the server do work, e.g. ingest beacons, with a simple request.
    WriteApiError(response_, 403, "bad_data", "origin not allowed: " + std::string(origin));
    return;
  }
  if (!match.handler) {
    if (!match.path_known) {
      WriteApiError(
          response_, 404, "not_found",
          "no route for " + std::string(request_.method) + " " + std::string(request_.path));
      return;
    }
    std::string allow = state_.router.AllowedMethods(request_.path);
    if (request_.method == "OPTIONS") {
      response_.status = 204;
      if (!allow.empty()) allow += ", ";
      allow += "OPTIONS";
      if (cors && !origin.empty()) {
        response_.headers.emplace_back("Access-Control-Allow-Origin",
                                       wildcard ? "*" : std::string(origin));
        if (!wildcard) response_.headers.emplace_back("Vary", "Origin");
        response_.headers.emplace_back("Access-Control-Allow-Methods", allow);
        response_.headers.emplace_back("Access-Control-Allow-Headers", "Content-Type");
        response_.headers.emplace_back("Access-Control-Max-Age", "86400");
      } else {
        response_.headers.emplace_back("Allow", allow);
      }
      return;
    }
    WriteApiError(response_, 405, "bad_data",
                  "method " + std::string(request_.method) + " not allowed for " +
                      std::string(request_.path));
    response_.headers.emplace_back("Allow", allow);
    return;
  }
  try {
    (*match.handler)(request_, response_);
  } catch (const std::exception& e) {
    PW_LOG_ERROR("handler threw", "method={} path={} error={}", request_.method,
                 LogQuote(request_.path), LogQuote(e.what()));
    ResetResponse();
    WriteApiError(response_, 500, "internal", "internal error");
  } catch (...) {
    PW_LOG_ERROR("handler threw", "method={} path={} error=unknown", request_.method,
                 LogQuote(request_.path));
    ResetResponse();
    WriteApiError(response_, 500, "internal", "internal error");
  }
  if (cors && !origin.empty()) {
    response_.headers.emplace_back("Access-Control-Allow-Origin",
                                   wildcard ? "*" : std::string(origin));
    if (!wildcard) response_.headers.emplace_back("Vary", "Origin");
  }
}

void Connection::ResetResponse() {
  response_.status = 200;
  response_.content_type.assign("application/json");
  response_.body.clear();
  response_.headers.clear();
  response_.stream = nullptr;
  response_.live = nullptr;
}

void Connection::WriteResponse() {
  if (closed_) return;
  if (response_.status < 200 || response_.status > 599) {
    PW_LOG_ERROR("handler set an invalid status", "path={} status={}", LogQuote(request_.path),
                 response_.status);
    ResetResponse();
    WriteApiError(response_, 500, "internal", "internal error");
  }
  phase_ = Phase::kWrite;
  deadline_ = Clock::now() + milliseconds(config_->write_timeout_ms);
  const bool no_body = StatusHasNoBody(response_.status);
  const bool http10 = parsed_.version < 11;
  if (response_.live && response_.stream) response_.live = nullptr;
  if (response_.live) {
    if (no_body || head_request_) {
      std::exchange(response_.live, nullptr)->Cancel();
    } else {
      keep_alive_ = false;  // the body ends when the producer says so: close then
      ReleaseGuards();      // a stream that lasts hours must not hold an admission slot
    }
  }
  streaming_ = (response_.stream != nullptr || response_.live != nullptr) && !no_body;
  stream_chunked_ = streaming_ && !http10;
  if (streaming_ && !stream_chunked_) keep_alive_ = false;  // HTTP/1.0: the body ends at close
  BodyFraming framing = no_body           ? BodyFraming::kNone
                        : !streaming_     ? BodyFraming::kContentLength
                        : stream_chunked_ ? BodyFraming::kChunked
                                          : BodyFraming::kUntilClose;
  head_.clear();
  AppendResponseHead(head_, response_, framing, response_.body.size(), keep_alive_,
                     http10 && keep_alive_);
  if (streaming_ && !head_request_) {
    StreamNext();
    return;
  }
  std::array<net::const_buffer, 2> bufs;
  if (!no_body && !head_request_) {
    if (tls_ && response_.body.size() <= kTlsCoalesceBytes) {
      head_.append(response_.body);  // one TLS record instead of two
    } else {
      bufs[1] = net::buffer(response_.body);
    }
  }
  bufs[0] = net::buffer(head_);
  streaming_ = false;
  AsyncWrite(bufs, [self = shared_from_this()](error_code ec, size_t) { self->OnWritten(ec); });
}

void Connection::StreamNext() {
  // The first call also sends the head (head_ is cleared once written).
  chunk_.clear();
  bool more = true;
  try {
    if (response_.live) {
      more = response_.live->Read(chunk_);
      if (more && chunk_.empty() && head_.empty()) {
        WaitLive();
        return;
      }
    } else {
      while (more && chunk_.size() < kStreamChunk) more = response_.stream(chunk_);
    }
  } catch (const std::exception& e) {
    PW_LOG_ERROR("response stream threw", "path={} error={}", LogQuote(request_.path),
                 LogQuote(e.what()));
    Close();  // the status is already sent: truncating is the only signal left
    return;
  }
  stream_more_ = more;
  deadline_ = Clock::now() + milliseconds(config_->write_timeout_ms);
  std::array<net::const_buffer, 5>& bufs = stream_bufs_;
  size_t n = 0;
  if (!head_.empty()) bufs[n++] = net::buffer(head_);
  if (stream_chunked_) {
    if (!chunk_.empty()) {
      chunk_header_.clear();
      AppendChunkHeader(chunk_header_, chunk_.size());
      bufs[n++] = net::buffer(chunk_header_);
      bufs[n++] = net::buffer(chunk_);
      bufs[n++] = net::buffer(kCrLf.data(), kCrLf.size());
    }
    if (!more) bufs[n++] = net::buffer(kLastChunk.data(), kLastChunk.size());
  } else if (!chunk_.empty()) {
    bufs[n++] = net::buffer(chunk_);
  }
  if (tls_ && n > 1) {
    // An SSL stream writes each buffer as its own record (five per chunk, most a few
    // bytes long): send one contiguous buffer instead.
    tls_stream_out_.clear();
    for (size_t i = 0; i < n; ++i) tls_stream_out_.append(static_cast<const char*>(bufs[i].data()), bufs[i].size());
    bufs[0] = net::buffer(tls_stream_out_);
    n = 1;
  }
  AsyncWrite(std::span<const net::const_buffer>(bufs.data(), n),
             [self = shared_from_this()](error_code ec, size_t) {
               self->head_.clear();
               self->OnWritten(ec);
             });
}

void Connection::WaitLive() {
  phase_ = Phase::kLive;
  deadline_ = Clock::time_point::max();
  if (!live_probing_) {
    live_probing_ = true;
    auto on_read = [self = shared_from_this()](error_code, size_t) {
      // End of stream, an error or unexpected bytes: the client is done with this stream.
      self->live_probing_ = false;
      self->Close();
    };
    if (tls_) {
      tls_->async_read_some(net::buffer(live_probe_), std::move(on_read));
    } else {
      socket_.async_read_some(net::buffer(live_probe_), std::move(on_read));
    }
  }
  std::weak_ptr<Connection> weak = weak_from_this();
  auto executor = worker_->io_context().get_executor();
  response_.live->Wait([weak, executor] {
    net::post(executor, [weak] {
      if (auto self = weak.lock()) self->OnLiveReady();
    });
  });
}

void Connection::OnLiveReady() {
  if (closed_ || phase_ != Phase::kLive || !response_.live) return;
  phase_ = Phase::kWrite;
  StreamNext();
}

void Connection::OnWritten(error_code ec) {
  if (ec) {
    double secs = std::chrono::duration<double>(Clock::now() - dispatch_time_).count();
    state_.metrics.RecordRequest(route_index_, request_.method, response_.status, secs);
    ReleaseGuards();
    Close();
    return;
  }
  if (streaming_ && stream_more_) {
    StreamNext();
    return;
  }
  FinishRequest();
}

void Connection::FinishRequest() {
  Clock::time_point now = Clock::now();
  double secs = std::chrono::duration<double>(now - dispatch_time_).count();
  state_.metrics.RecordRequest(route_index_, request_.method, response_.status, secs);
  streaming_ = false;
  response_.stream = nullptr;  // release whatever the producer holds
  if (response_.live) std::exchange(response_.live, nullptr)->Cancel();
  ReleaseGuards();
  if (!keep_alive_ || worker_->stopping()) {
    if (linger_) {
      StartLinger();
    } else {
      Close();
    }
    return;
  }
  if (parsed_.body.capacity() > kKeepCapacity) std::string().swap(parsed_.body);
  if (response_.body.capacity() > kKeepCapacity) std::string().swap(response_.body);
  if (chunk_.capacity() > 2 * kStreamChunk) std::string().swap(chunk_);
  if (buffer_.size() == 0 && buffer_.capacity() > kKeepCapacity) buffer_.shrink_to_fit();
  NewRequest(now);
}

void Connection::StartLinger() {
  phase_ = Phase::kLinger;
  deadline_ = Clock::now() + kLingerTime;
  linger_bytes_ = 0;
  buffer_.consume(buffer_.size());
  error_code ec;
  socket_.shutdown(net::ip::tcp::socket::shutdown_send, ec);
  if (ec) {
    Close();
    return;
  }
  ReadMore();
}

}  // namespace perfwatch::http
