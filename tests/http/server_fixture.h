#pragma once
// Test helpers for the HTTP server: a server on 127.0.0.1:0 with a given config and
// router, and a raw loopback socket for byte-level and timing tests.
// Not thread-safe.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "common/config.h"
#include "common/metrics.h"
#include "http/router.h"
#include "http/server.h"

namespace perfwatch::http::testing {

inline HttpConfig TestConfig() {
  HttpConfig c;
  c.listen = "127.0.0.1:0";
  c.threads = 2;
  return c;
}

// Owns a started server and its metrics registry.
class TestServer {
 public:
  TestServer(Router router, HttpConfig config = TestConfig()) {
    auto s = Server::Create(std::move(config), std::move(router), &metrics_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
    Status st = server_->Start();
    EXPECT_TRUE(st.ok()) << st.ToString();
  }
  uint16_t port() const { return server_->port(); }
  Server& server() { return *server_; }
  MetricsRegistry& metrics() { return metrics_; }

 private:
  MetricsRegistry metrics_;
  std::unique_ptr<Server> server_;
};

// A plain blocking TCP connection with timeouts, for raw requests and close detection.
class RawSocket {
 public:
  // `host`: an IPv4 address of this machine.
  explicit RawSocket(uint16_t port, const char* host = "127.0.0.1") {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    ::inet_pton(AF_INET, host, &addr.sin_addr);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawSocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  bool connected() const { return connected_; }

  bool Send(std::string_view bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

  // Reads until `needle` appears in what was received, EOF, or the timeout. Returns
  // everything received so far (also kept in received()).
  std::string ReadUntil(std::string_view needle, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (received_.find(needle) == std::string::npos && !eof_) {
      if (!ReadSome(deadline)) break;
    }
    return received_;
  }

  // Reads until the peer closes (true) or the timeout passes (false).
  bool WaitForClose(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!eof_) {
      if (!ReadSome(deadline)) return eof_;
    }
    return true;
  }

  const std::string& received() const { return received_; }
  bool eof() const { return eof_; }

 private:
  // One poll+recv; false on timeout. Sets eof_ on EOF or reset.
  bool ReadSome(std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) {
      eof_ = true;
      return true;
    }
    received_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string received_;
};

}  // namespace perfwatch::http::testing
