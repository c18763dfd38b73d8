#pragma once
// A small blocking HTTP/1.1 client for notifications: one POST per connection
// ("Connection: close") to an http:// URL, host names resolved with getaddrinfo, every
// address tried in turn, one deadline for connect, write and read, and a cancel flag
// polled every 50 ms so Stop() never waits a whole timeout. Reads the status line, the
// headers and up to 4 KiB of the body (for error messages). No TLS, no redirects.
// Thread safety: HttpPost is reentrant; each call uses its own socket.
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace perfwatch::alert {

struct HttpUrl {
  std::string host;  // without brackets for IPv6
  std::string port = "80";
  std::string target = "/";  // path and query
  std::string host_header;   // as it appears in the URL ("host:port" / "[::1]:80")
};

// Parses "http://host[:port][/path][?query]"; https and other schemes are refused, as
// are user info and fragments.
Result<HttpUrl> ParseHttpUrl(std::string_view url);

struct HttpPostRequest {
  HttpUrl url;
  std::vector<std::pair<std::string, std::string>>
      headers;  // besides Host, Content-Length, Connection
  std::string_view body;
  int64_t timeout_ms = 10'000;
  const std::atomic<bool>* cancel = nullptr;  // set: give up as soon as seen
};

struct HttpPostResult {
  int status = 0;     // 0: no HTTP answer (see error)
  std::string error;  // connection/timeout/protocol error when status == 0
  std::string body;   // first 4 KiB of the answer's body
};

HttpPostResult HttpPost(const HttpPostRequest& request);

// "Basic " + base64(user:password).
std::string BasicAuthHeader(std::string_view user, std::string_view password);

}  // namespace perfwatch::alert
