#pragma once
// A blocking client connection for notification integrations (HTTP POST, SMTP): a
// non-blocking TCP socket waited on with poll, optionally TLS through OpenSSL on the same
// socket, with one deadline for everything and a cancel flag polled every 50 ms, so
// stopping a receiver never waits a whole timeout. Errors are returned as one-line
// reasons ("" = success).
// Thread safety: one connection per thread; distinct connections are independent.
#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <string>
#include <string_view>
#include <sys/types.h>

#include "http/tls_context.h"

namespace perfwatch::alert {

class ClientConn {
 public:
  using Clock = std::chrono::steady_clock;
  ClientConn(Clock::time_point deadline, const std::atomic<bool>* cancel) : deadline_(deadline), cancel_(cancel) {}
  ~ClientConn();
  ClientConn(const ClientConn&) = delete;
  ClientConn& operator=(const ClientConn&) = delete;

  // Resolves `host` and connects to the first address that answers. Errors:
  // "resolve HOST: ...", "connect timeout", "cancelled", or the last address's errno text.
  std::string Connect(const std::string& host, const std::string& port);
  // TLS client handshake on the connected socket; `name` is sent as SNI and verified when
  // `ctx` verifies peers. Error: "timeout during TLS", "cancelled" or the verification /
  // OpenSSL reason ("certificate verify failed: ...").
  std::string Handshake(http::TlsContext& ctx, const std::string& name);
  bool tls() const { return ssl_ != nullptr; }

  // Writes all of `data`. Error: "timeout writing", "cancelled", "write: ..." or a TLS one.
  std::string WriteAll(std::string_view data);
  // Reads some bytes: > 0 read, 0 at the end of the stream (a TLS peer closing without
  // close_notify counts), -1 with *error set ("timeout reading", "cancelled", ...).
  ssize_t ReadSome(char* buf, size_t len, std::string* error);

 private:
  // After an OpenSSL call returned rc <= 0: waits for what it wants; false on a real error
  // (*why empty), timeout or cancel.
  bool Await(int rc, std::string* why);
  int Wait(short events);  // 1 ready, 0 timeout, -1 cancelled or poll error

  const Clock::time_point deadline_;
  const std::atomic<bool>* const cancel_;
  int fd_ = -1;
  SSL* ssl_ = nullptr;
};

}  // namespace perfwatch::alert
