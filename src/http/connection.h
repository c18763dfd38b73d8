#pragma once
// One keep-alive HTTP/1.1 connection: reads and parses requests with a reused buffer and
// parser storage, dispatches them to the router's handlers on the worker thread, writes
// responses (Content-Length or chunked streaming) and enforces the limits of HttpConfig.
//
// Timeouts: the connection keeps one deadline for its current phase, checked by the
// worker's sweep timer:
//   idle   waiting for the first byte of a request      idle_timeout_ms
//   header from that first byte to the end of the header header_timeout_ms
//   body   from the end of the header to the full body   body_timeout_ms
//   write  each write of a response (or stream chunk)    write_timeout_ms
//   linger after an error answer, discarding the unread request before closing (<= 1 s)
//   live   a live body (Response::live) waiting for its producer: no deadline (each of
//          its writes has the write timeout); the socket is read meanwhile, and anything
//          arriving (the client closing, or sending more) ends the connection
// Past its deadline the socket is closed without an answer, within one sweep interval
// (the shortest timeout / 10, clamped to 5..250 ms).
//
// TLS (http.tls): the connection then holds the server's TLS context current at accept
// (a reload does not affect it) and an ssl::stream over its socket; the handshake comes
// first and must end within header_timeout_ms. A failed handshake closes the connection
// and counts in perfwatch_http_tls_handshake_failures_total; a plain-HTTP request sent to
// the TLS port is answered in plain text with 400 before closing. Plain connections pay
// one branch per read or write.
//
// Limits and timeouts: Server::SetLimits applies from each connection's next request.
// Thread safety: not thread-safe; lives on one Worker and is used only on its thread.
// Owned by the shared_ptrs held by its pending asynchronous operations.
#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "http/request_parser.h"
#include "http/router.h"
#include "http/worker.h"

namespace perfwatch::http {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Clock = std::chrono::steady_clock;

  // `slot`: the connection's place in its client's max_connections_per_ip count.
  Connection(Worker* worker, Socket socket, ClientConnections::Slot slot = {});
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void Start();
  // Closes the socket (pending operations complete with an error). Idempotent.
  void Close();
  // Closes the connection when the current phase's deadline has passed.
  void CloseIfExpired(Clock::time_point now) {
    if (now >= deadline_) Close();
  }

  // Links of Worker's intrusive list.
  Connection* prev_ = nullptr;
  Connection* next_ = nullptr;

 private:
  enum class Phase { kIdle, kHeader, kBody, kWrite, kLinger, kLive };

  void OnHandshake(boost::system::error_code ec);
  // Answers a plain-HTTP request that arrived on the TLS port, in plain text.
  void RefusePlainHttp();
  void NewRequest(Clock::time_point now);
  // async_write on the TLS stream or the plain socket.
  template <typename Buffers, typename Handler>
  void AsyncWrite(const Buffers& buffers, Handler&& handler);
  void ReadMore();
  void OnRead(boost::system::error_code ec, size_t n);
  void Parse();
  void SendContinue();
  void OnParseError(boost::system::error_code ec);
  // Runs the router's guards once the header is complete; false when one refused (the
  // refusal is being written).
  bool RunGuards();
  // Tells the guards that admitted the current request that it is over.
  void ReleaseGuards();
  void Dispatch();
  void Route(const Router::Match& match);
  void WriteResponse();
  void StreamNext();
  // A live body has nothing to send: wait for its producer and watch the socket meanwhile.
  void WaitLive();
  void OnLiveReady();
  void OnWritten(boost::system::error_code ec);
  void FinishRequest();
  void StartLinger();
  void ResetResponse();

  Worker* const worker_;
  ServerState& state_;
  // The limits and timeouts of the current request: taken at accept, when a connection
  // starts waiting for its next request and again at that request's first byte, so a reload
  // (Server::SetLimits) applies from a connection's next request; the request in progress
  // keeps the ones it started with (an idle connection keeps its idle deadline).
  std::shared_ptr<const HttpConfig> config_;
  Socket socket_;
  ClientConnections::Slot client_slot_;  // given back when the connection is destroyed
  // TLS only; declared after socket_, which the stream uses, and destroyed before it.
  std::shared_ptr<boost::asio::ssl::context> tls_context_;
  std::optional<boost::asio::ssl::stream<Socket&>> tls_;
  std::string remote_address_;
  bool closed_ = false;

  Phase phase_ = Phase::kIdle;
  Clock::time_point deadline_;

  // Input side, reused across requests.
  boost::beast::flat_buffer buffer_;
  ParsedRequest parsed_;
  std::optional<RequestParser> parser_;
  bool header_done_ = false;
  bool match_cached_ = false;  // match_ is this request's route (found by RunGuards)
  Router::Match match_;
  size_t linger_bytes_ = 0;

  // The request being served.
  Request request_;
  Response response_;
  int route_index_ = -1;
  const RouteOptions* guard_options_ = nullptr;  // the route the guards admitted
  size_t guards_admitted_ = 0;
  bool keep_alive_ = true;
  bool head_request_ = false;
  bool linger_ = false;          // close through StartLinger (request may be unread)
  bool streaming_ = false;       // response_.stream is being written
  bool stream_more_ = false;     // the producer has more pieces
  bool stream_chunked_ = false;  // chunked framing (false: HTTP/1.0, body until close)
  Clock::time_point dispatch_time_;

  // Output side, reused across requests.
  std::string head_;
  std::string chunk_;
  std::string chunk_header_;
  std::string tls_stream_out_;  // with TLS: a streamed chunk's buffers joined into one record
  std::array<boost::asio::const_buffer, 5> stream_bufs_;  // must live until the write ends
  std::array<char, 64> live_probe_;  // the socket watch of a live body reads into it
  bool live_probing_ = false;        // that read is pending
};

}  // namespace perfwatch::http
