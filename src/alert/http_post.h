#pragma once
// A small blocking HTTP/1.1 client for notifications: one POST per connection
// ("Connection: close") to an http:// or https:// URL, host names resolved with
// getaddrinfo, every address tried in turn, one deadline for connect, TLS handshake, write
// and read, and a cancel flag polled every 50 ms so Stop() never waits a whole timeout.
// Reads the status line, the headers and up to 4 KiB of the body (for error messages), or
// up to max_body_bytes (query.backend reads whole answers); a chunked body is decoded.
// HTTPS verifies the server's certificate against the system's trusted certificates (or
// tls_config.ca_file) and the URL's host (or tls_config.server_name), unless
// insecure_skip_verify. No redirects.
// Thread safety: HttpPost is reentrant; each call uses its own socket. ClientTlsContextFor
// is thread-safe (a mutex-guarded cache of built contexts, shared read-only).
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alert/am_config.h"
#include "common/status.h"
#include "http/tls_context.h"

namespace perfwatch::alert {

struct HttpUrl {
  bool https = false;
  std::string host;  // without brackets for IPv6
  std::string port = "80";
  std::string target = "/";  // path and query
  std::string host_header;   // as it appears in the URL ("host:port" / "[::1]:80")
};

// Parses "http[s]://host[:port][/path][?query]" (default port 80 / 443); other schemes
// and user info are refused; a fragment is dropped.
Result<HttpUrl> ParseHttpUrl(std::string_view url);

struct HttpPostRequest {
  HttpUrl url;
  std::vector<std::pair<std::string, std::string>>
      headers;  // besides Host, Content-Length, Connection
  std::string_view body;
  int64_t timeout_ms = 10'000;
  const std::atomic<bool>* cancel = nullptr;  // set: give up as soon as seen
  // https: the client context (null: the system's trusted certificates, verified) and the
  // name to send as SNI and verify (empty: url.host).
  std::shared_ptr<http::TlsContext> tls;
  std::string tls_server_name;
  size_t max_body_bytes = 4096;  // the body read at most (beyond: truncated)
};

struct HttpPostResult {
  int status = 0;     // 0: no HTTP answer (see error)
  std::string error;  // connection/timeout/protocol error when status == 0
  std::string body;   // first max_body_bytes of the answer's body (chunked: decoded)
  bool truncated = false;    // the body was longer than max_body_bytes
  std::string content_type;  // the answer's Content-Type header
};

HttpPostResult HttpPost(const HttpPostRequest& request);

// The TLS client context for an integration's http_config (tls_config), built once per
// distinct setting and cached; errors name the file: "tls_config: ca_file ...".
Result<std::shared_ptr<http::TlsContext>> ClientTlsContextFor(const HttpClientConfig& config);

// "Basic " + base64(user:password).
std::string BasicAuthHeader(std::string_view user, std::string_view password);

}  // namespace perfwatch::alert
