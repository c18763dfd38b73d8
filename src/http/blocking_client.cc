#include "http/blocking_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstring>

namespace perfwatch::http {

BlockingClient::BlockingClient(uint16_t port, std::string host) : port_(port), host_(std::move(host)) {}
BlockingClient::~BlockingClient() { Close(); }

void BlockingClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buf_.clear();
}

bool BlockingClient::EnsureConnected() {
  if (fd_ >= 0) return true;
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  ::inet_pton(AF_INET, host_.c_str(), &addr.sin_addr);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    Close();
    return false;
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  timeval tv{30, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return true;
}

ClientResponse BlockingClient::Get(const std::string& target,
                             const std::vector<std::pair<std::string, std::string>>& headers) {
  return Request("GET", target, "", headers);
}

ClientResponse BlockingClient::Post(const std::string& target, std::string_view body, const std::string& content_type,
                              const std::vector<std::pair<std::string, std::string>>& headers) {
  auto h = headers;
  h.emplace_back("Content-Type", content_type);
  return Request("POST", target, body, h);
}

ClientResponse BlockingClient::Request(const std::string& method, const std::string& target, std::string_view body,
                                 const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: " + host_ + "\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT") {
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n";
  req.append(body);
  return Raw(req);
}

ClientResponse BlockingClient::Raw(std::string_view bytes) {
  // A response to HEAD has headers only, whatever its Content-Length says.
  head_request_ = bytes.substr(0, 5) == "HEAD ";
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool reused = fd_ >= 0;
    if (!EnsureConnected()) return {};
    size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    ClientResponse r = ReadResponse();
    if (r.status != 0) return r;
    Close();
    // Only a reused keep-alive connection may have been closed by the server before it saw
    // this request (e.g. its idle timeout): retry that once on a fresh connection. On a
    // fresh connection, status 0 is the real outcome.
    if (!reused) return r;
  }
  return {};
}

ClientResponse BlockingClient::ReadResponse() {
  ClientResponse r;
  auto fill = [&]() -> bool {
    char tmp[65536];
    ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  };
  size_t hdr_end;
  std::string head;
  size_t line_end;
  for (;;) {
    while ((hdr_end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return {};
    }
    head = buf_.substr(0, hdr_end);
    buf_.erase(0, hdr_end + 4);
    line_end = head.find("\r\n");
    std::string status_line = head.substr(0, line_end);
    if (status_line.size() < 12) return {};
    r.status = std::atoi(status_line.c_str() + 9);
    if (r.status >= 200) break;
    r.interim_status = r.status;  // e.g. 100 Continue: the final response follows
  }
  size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t e = head.find("\r\n", pos);
    if (e == std::string::npos) e = head.size();
    std::string line = head.substr(pos, e - pos);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      r.headers[name] = value;
    }
    pos = e + 2;
  }
  if (head_request_ || r.status == 204 || r.status == 304) {
    // No body, whatever the framing headers say.
  } else if (r.Header("transfer-encoding").find("chunked") != std::string::npos) {
    while (true) {
      size_t le;
      while ((le = buf_.find("\r\n")) == std::string::npos) {
        if (!fill()) return r;
      }
      size_t size = std::stoul(buf_.substr(0, le), nullptr, 16);
      buf_.erase(0, le + 2);
      while (buf_.size() < size + 2) {
        if (!fill()) return r;
      }
      r.body.append(buf_, 0, size);
      buf_.erase(0, size + 2);
      if (size == 0) break;
    }
  } else if (!r.Header("content-length").empty()) {
    size_t len = std::stoul(r.Header("content-length"));
    while (buf_.size() < len) {
      if (!fill()) return r;
    }
    r.body = buf_.substr(0, len);
    buf_.erase(0, len);
  } else if (r.status >= 200 && r.status != 204 && r.status != 304) {
    while (fill()) {
    }
    r.body = buf_;
    buf_.clear();
  }
  if (r.Header("connection") == "close") Close();
  return r;
}

uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  uint16_t port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

std::string UrlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace perfwatch::http
