#include "alert/client_conn.h"

#include <netdb.h>
#include <openssl/err.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/ssl/error.hpp>
#include <cerrno>
#include <cstring>

namespace perfwatch::alert {

ClientConn::~ClientConn() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (fd_ >= 0) ::close(fd_);
}

int ClientConn::Wait(short events) {
  for (;;) {
    if (cancel_ != nullptr && cancel_->load(std::memory_order_relaxed)) return -1;
    const int64_t left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now()).count();
    if (left <= 0) return 0;
    pollfd p{fd_, events, 0};
    const int rc = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 50)));
    if (rc > 0) return 1;
    if (rc < 0 && errno != EINTR) return -1;
  }
}

std::string ClientConn::Connect(const std::string& host, const std::string& port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* addrs = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &addrs); rc != 0) {
    return "resolve " + host + ": " + ::gai_strerror(rc);
  }
  std::string why = "no address";
  for (addrinfo* ai = addrs; ai != nullptr; ai = ai->ai_next) {
    fd_ = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd_ < 0) {
      why = std::strerror(errno);
      continue;
    }
    int err = ::connect(fd_, ai->ai_addr, ai->ai_addrlen) == 0 ? 0 : errno;
    if (err == EINPROGRESS) {
      const int w = Wait(POLLOUT);
      if (w <= 0) {
        why = w == 0 ? "connect timeout" : "cancelled";
        ::close(fd_);
        fd_ = -1;
        break;
      }
      socklen_t len = sizeof err;
      if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    }
    if (err == 0) break;
    why = std::strerror(err);
    ::close(fd_);
    fd_ = -1;
  }
  ::freeaddrinfo(addrs);
  return fd_ >= 0 ? "" : why;
}

bool ClientConn::Await(int rc, std::string* why) {
  const int e = SSL_get_error(ssl_, rc);
  short events;
  if (e == SSL_ERROR_WANT_READ) {
    events = POLLIN;
  } else if (e == SSL_ERROR_WANT_WRITE) {
    events = POLLOUT;
  } else {
    return false;
  }
  const int w = Wait(events);
  if (w > 0) return true;
  *why = w == 0 ? "timeout during TLS" : "cancelled";
  return false;
}

std::string ClientConn::Handshake(http::TlsContext& ctx, const std::string& name) {
  ssl_ = SSL_new(ctx.native_handle());
  if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1) return "TLS setup failed";
  if (Status st = http::ConfigureClientTls(ssl_, name); !st.ok()) return st.message();
  for (;;) {
    ERR_clear_error();
    const int rc = SSL_connect(ssl_);
    if (rc == 1) return "";
    std::string why;
    if (!Await(rc, &why)) {
      if (!why.empty()) return why;
      return http::DescribeTlsError(
          boost::system::error_code(static_cast<int>(ERR_peek_last_error()), boost::asio::error::get_ssl_category()),
          ssl_);
    }
  }
}

std::string ClientConn::WriteAll(std::string_view data) {
  while (!data.empty()) {
    if (ssl_ != nullptr) {
      ERR_clear_error();
      const int rc = SSL_write(ssl_, data.data(), static_cast<int>(std::min<size_t>(data.size(), 1 << 30)));
      if (rc > 0) {
        data.remove_prefix(static_cast<size_t>(rc));
        continue;
      }
      std::string why;
      if (!Await(rc, &why)) return why.empty() ? "TLS write failed" : why;
      continue;
    }
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      const int w = Wait(POLLOUT);
      if (w <= 0) return w == 0 ? "timeout writing" : "cancelled";
      continue;
    }
    return std::string("write: ") + std::strerror(errno);
  }
  return "";
}

ssize_t ClientConn::ReadSome(char* buf, size_t len, std::string* error) {
  for (;;) {
    if (ssl_ != nullptr) {
      ERR_clear_error();
      const int rc = SSL_read(ssl_, buf, static_cast<int>(std::min<size_t>(len, 1 << 30)));
      if (rc > 0) return rc;
      const int e = SSL_get_error(ssl_, rc);
      if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)) return 0;
      std::string why;
      if (!Await(rc, &why)) {
        *error = why.empty() ? "TLS read failed" : why;
        return -1;
      }
      continue;
    }
    const ssize_t n = ::recv(fd_, buf, len, 0);
    if (n >= 0) return n;
    if (errno == EAGAIN || errno == EINTR) {
      const int w = Wait(POLLIN);
      if (w <= 0) {
        *error = w == 0 ? "timeout reading" : "cancelled";
        return -1;
      }
      continue;
    }
    *error = std::string("read: ") + std::strerror(errno);
    return -1;
  }
}

}  // namespace perfwatch::alert
