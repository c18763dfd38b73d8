#pragma once
// A small blocking HTTP/1.1 client: one keep-alive connection to a loopback or LAN
// address. Handles Content-Length and chunked responses. Used by the demo's simulated
// visitors and by the tests. Not thread-safe: one per thread.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace perfwatch::http {

struct ClientResponse {
  int status = 0;                              // 0: connection failed or closed early
  int interim_status = 0;                      // a 1xx answered before `status` (100 Continue)
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
  }
};

class BlockingClient {
 public:
  explicit BlockingClient(uint16_t port, std::string host = "127.0.0.1");
  ~BlockingClient();
  BlockingClient(const BlockingClient&) = delete;
  BlockingClient& operator=(const BlockingClient&) = delete;

  ClientResponse Get(const std::string& target, const std::vector<std::pair<std::string, std::string>>& headers = {});
  ClientResponse Post(const std::string& target, std::string_view body,
                    const std::string& content_type = "application/json",
                    const std::vector<std::pair<std::string, std::string>>& headers = {});
  // Any method; `raw_extra_headers` lines are added verbatim.
  ClientResponse Request(const std::string& method, const std::string& target, std::string_view body,
                       const std::vector<std::pair<std::string, std::string>>& headers);
  // Sends raw bytes and reads one response (for malformed-request tests).
  ClientResponse Raw(std::string_view bytes);
  void Close();

 private:
  bool EnsureConnected();
  ClientResponse ReadResponse();
  uint16_t port_;
  std::string host_;
  int fd_ = -1;
  std::string buf_;
  bool head_request_ = false;  // the request being answered is a HEAD: no body follows
};

// Returns a TCP port on 127.0.0.1 that was free a moment ago.
uint16_t FreePort();

// Percent-encodes a query parameter value.
std::string UrlEncode(std::string_view s);

}  // namespace perfwatch::http
