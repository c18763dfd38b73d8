#include "alert/http_post.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <mutex>

#include "alert/client_conn.h"
#include "common/base64.h"

namespace perfwatch::alert {
namespace {

constexpr size_t kMaxBody = 4096;
constexpr size_t kMaxHeader = 64 * 1024;

using SteadyClock = std::chrono::steady_clock;

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Built contexts by their settings (few distinct ones per configuration).
std::mutex tls_cache_mu;
std::map<std::string, std::shared_ptr<http::TlsContext>>& TlsCache() {
  static auto* cache = new std::map<std::string, std::shared_ptr<http::TlsContext>>();
  return *cache;
}

// Decodes a chunked body (RFC 9112 7.1; extensions and trailers ignored) up to `max`
// bytes; false on a malformed or incomplete one (unless `max` was reached first).
bool DecodeChunked(std::string_view in, size_t max, std::string* out, bool* truncated) {
  out->clear();
  for (;;) {
    size_t eol = in.find("\r\n");
    if (eol == std::string_view::npos) return false;
    size_t size = 0;
    size_t digits = 0;
    for (char c : in.substr(0, eol)) {
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (d < 0) break;
      if (++digits > 15) return false;
      size = size * 16 + static_cast<size_t>(d);
    }
    if (digits == 0) return false;
    in.remove_prefix(eol + 2);
    if (size == 0) return true;
    if (out->size() + size > max) {
      out->append(in.substr(0, max - out->size()));
      *truncated = true;
      return true;
    }
    if (in.size() < size + 2) return false;
    out->append(in.substr(0, size));
    in.remove_prefix(size + 2);
  }
}

}  // namespace

Result<HttpUrl> ParseHttpUrl(std::string_view url) {
  constexpr std::string_view kHttp = "http://", kHttps = "https://";
  HttpUrl out;
  std::string_view rest;
  if (url.size() >= kHttp.size() && IEquals(url.substr(0, kHttp.size()), kHttp)) {
    rest = url.substr(kHttp.size());
  } else if (url.size() >= kHttps.size() && IEquals(url.substr(0, kHttps.size()), kHttps)) {
    rest = url.substr(kHttps.size());
    out.https = true;
    out.port = "443";
  } else {
    // Errors do not quote the URL: webhook and remote-write URLs may carry credentials.
    return InvalidArgument("unsupported URL: only http:// and https:// are supported");
  }
  if (size_t hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  size_t end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, end);
  std::string_view target = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  if (authority.find('@') != std::string_view::npos) {
    return InvalidArgument("URL with user info (user:password@) is not supported");
  }
  out.host_header = std::string(authority);
  std::string_view port;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos)
      return InvalidArgument("URL with a bad IPv6 host");
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return InvalidArgument("URL with a bad host");
      port = after.substr(1);
    }
  } else {
    size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return InvalidArgument("URL without a host");
  if (!port.empty()) {
    if (port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        std::stoi(std::string(port)) == 0 || std::stoi(std::string(port)) > 65535) {
      return InvalidArgument("URL with a bad port");
    }
    out.port = std::string(port);
  }
  if (target.empty()) {
    out.target = "/";
  } else if (target[0] == '?') {
    out.target = "/" + std::string(target);
  } else {
    out.target = std::string(target);
  }
  return out;
}

HttpPostResult HttpPost(const HttpPostRequest& req) {
  HttpPostResult res;
  const auto deadline =
      SteadyClock::now() + std::chrono::milliseconds(std::max<int64_t>(req.timeout_ms, 1));

  ClientConn sock(deadline, req.cancel);
  if (std::string why = sock.Connect(req.url.host, req.url.port); !why.empty()) {
    res.error = why.rfind("resolve ", 0) == 0 ? why : "connect " + req.url.host_header + ": " + why;
    return res;
  }

  if (req.url.https) {
    std::shared_ptr<http::TlsContext> ctx = req.tls;
    if (ctx == nullptr) {
      auto def = ClientTlsContextFor(HttpClientConfig{});
      if (!def.ok()) {
        res.error = def.status().message();
        return res;
      }
      ctx = *def;
    }
    std::string why =
        sock.Handshake(*ctx, req.tls_server_name.empty() ? req.url.host : req.tls_server_name);
    if (!why.empty()) {
      res.error = why;
      return res;
    }
  }

  std::string out = "POST " + req.url.target + " HTTP/1.1\r\nHost: " + req.url.host_header + "\r\n";
  for (const auto& [name, value] : req.headers) out += name + ": " + value + "\r\n";
  out += "Content-Length: " + std::to_string(req.body.size()) + "\r\nConnection: close\r\n\r\n";
  out.append(req.body);
  if (std::string why = sock.WriteAll(out); !why.empty()) {
    res.error = why == "timeout writing" ? "timeout writing the request" : why;
    return res;
  }

  // Read the status line and headers, then some of the body.
  std::string in;
  size_t header_end = std::string::npos;
  size_t content_length = std::string::npos;
  bool chunked = false;
  const size_t max_body = std::max<size_t>(req.max_body_bytes, 1);
  char buf[8192];
  for (;;) {
    if (header_end != std::string::npos) {
      size_t body_have = in.size() - header_end;
      if (chunked) {
        // The last chunk ends the body (we asked for Connection: close, but a server may
        // keep the connection open); the raw body may exceed the decoded limit a little.
        std::string_view raw(in.data() + header_end, body_have);
        if (raw.size() >= 5 && (raw == "0\r\n\r\n" || raw.substr(raw.size() - 7) == "\r\n0\r\n\r\n")) break;
        if (body_have > max_body + max_body / 8 + 4096) break;
      } else if (body_have >= std::min(content_length, max_body + 1)) {
        break;
      }
    }
    std::string read_error;
    ssize_t n = sock.ReadSome(buf, sizeof buf, &read_error);
    if (n > 0) {
      in.append(buf, static_cast<size_t>(n));
    } else if (n == 0) {
      break;
    } else {
      if (header_end != std::string::npos) break;  // the status is known; the body is optional
      res.error = read_error == "timeout reading" ? "timeout waiting for the response" : read_error;
      return res;
    }
    if (header_end == std::string::npos) {
      size_t pos = in.find("\r\n\r\n");
      if (pos == std::string::npos) {
        if (in.size() > kMaxHeader) {
          res.error = "response headers too large";
          return res;
        }
        continue;
      }
      header_end = pos + 4;
      std::string_view head(in.data(), pos);
      // Status line: HTTP/1.x NNN reason
      if (head.size() < 12 || head.substr(0, 5) != "HTTP/" || head[8] != ' ') {
        res.error = "malformed response status line";
        return res;
      }
      int status = 0;
      for (size_t i = 9; i < 12; ++i) {
        if (head[i] < '0' || head[i] > '9') {
          res.error = "malformed response status line";
          return res;
        }
        status = status * 10 + (head[i] - '0');
      }
      res.status = status;
      // 204 and 304 answers have no body, whatever the headers say (RFC 9110 6.4.1): a
      // keep-alive server that ignores Connection: close must not hold us until the deadline.
      if (status == 204 || status == 304) content_length = 0;
      size_t line = head.find("\r\n");
      while (line != std::string_view::npos) {
        size_t next = head.find("\r\n", line + 2);
        std::string_view h = head.substr(
            line + 2, next == std::string_view::npos ? std::string_view::npos : next - line - 2);
        size_t colon = h.find(':');
        if (colon != std::string_view::npos && IEquals(h.substr(0, colon), "content-type")) {
          std::string_view v = h.substr(colon + 1);
          while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
          res.content_type = std::string(v);
        }
        if (colon != std::string_view::npos && IEquals(h.substr(0, colon), "transfer-encoding") &&
            h.find("chunked", colon) != std::string_view::npos && status != 204 && status != 304) {
          chunked = true;
        }
        if (colon != std::string_view::npos && IEquals(h.substr(0, colon), "content-length") &&
            status != 204 && status != 304) {
          std::string_view v = h.substr(colon + 1);
          while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
          content_length = 0;
          for (char c : v) {
            if (c < '0' || c > '9') break;
            content_length = content_length * 10 + static_cast<size_t>(c - '0');
          }
        }
        line = next;
      }
    }
  }
  if (header_end == std::string::npos) {
    res.status = 0;
    res.error = "connection closed before the response headers";
    return res;
  }
  if (chunked) {
    if (!DecodeChunked(std::string_view(in).substr(header_end), max_body, &res.body, &res.truncated)) {
      if (max_body > kMaxBody) {  // a caller that reads whole answers must not get half of one
        res.status = 0;
        res.error = "malformed or incomplete chunked response body";
      }
    }
    return res;
  }
  if (max_body > kMaxBody && content_length != std::string::npos &&
      in.size() - header_end < std::min(content_length, max_body)) {
    res.status = 0;
    res.error = "connection closed before the end of the response body";
    return res;
  }
  res.truncated = in.size() - header_end > max_body;
  res.body = in.substr(header_end, max_body);
  return res;
}

Result<std::shared_ptr<http::TlsContext>> ClientTlsContextFor(const HttpClientConfig& c) {
  std::string key = c.tls_ca_file + '\0' + c.tls_cert_file + '\0' + c.tls_key_file + '\0' +
                    (c.tls_insecure_skip_verify ? "1" : "0");
  std::lock_guard lock(tls_cache_mu);
  auto& cache = TlsCache();
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  http::ClientTlsOptions o;
  o.ca_file = c.tls_ca_file;
  o.cert_file = c.tls_cert_file;
  o.key_file = c.tls_key_file;
  o.insecure_skip_verify = c.tls_insecure_skip_verify;
  o.where = "tls_config";
  PW_ASSIGN_OR_RETURN(std::shared_ptr<http::TlsContext> ctx, http::MakeClientTlsContext(o));
  if (cache.size() >= 64) cache.clear();  // configurations are reloaded rarely; stay bounded
  cache.emplace(std::move(key), ctx);
  return ctx;
}

std::string BasicAuthHeader(std::string_view user, std::string_view password) {
  return "Basic " + Base64Encode(std::string(user) + ":" + std::string(password));
}

}  // namespace perfwatch::alert
