#pragma once
// A small blocking HTTP/1.1 client for tests: one keep-alive connection to 127.0.0.1.
// Handles Content-Length and chunked responses. Not thread-safe: one per thread.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace perfwatch::testing {

struct HttpResponse {
  int status = 0;                              // 0: connection failed or closed early
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
  }
};

class HttpClient {
 public:
  explicit HttpClient(uint16_t port, std::string host = "127.0.0.1");
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResponse Get(const std::string& target, const std::vector<std::pair<std::string, std::string>>& headers = {});
  HttpResponse Post(const std::string& target, std::string_view body,
                    const std::string& content_type = "application/json",
                    const std::vector<std::pair<std::string, std::string>>& headers = {});
  // Any method; `raw_extra_headers` lines are added verbatim.
  HttpResponse Request(const std::string& method, const std::string& target, std::string_view body,
                       const std::vector<std::pair<std::string, std::string>>& headers);
  // Sends raw bytes and reads one response (for malformed-request tests).
  HttpResponse Raw(std::string_view bytes);
  void Close();

 private:
  bool EnsureConnected();
  HttpResponse ReadResponse();
  uint16_t port_;
  std::string host_;
  int fd_ = -1;
  std::string buf_;
};

// Returns a TCP port on 127.0.0.1 that was free a moment ago.
uint16_t FreePort();

// Percent-encodes a query parameter value.
std::string UrlEncode(std::string_view s);

}  // namespace perfwatch::testing
