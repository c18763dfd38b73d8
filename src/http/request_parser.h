#pragma once
// An incremental HTTP/1.x request parser on top of Beast's basic_parser that copies the
// request line, header fields and body into caller-owned, reusable storage, so that a
// keep-alive connection parses request after request without heap allocation once its
// buffers have grown. Limits: header size (error::header_limit) and body size
// (error::body_limit, checked against Content-Length up front and while reading chunks).
// Thread safety: not thread-safe; one per connection.
#include <boost/beast/http/basic_parser.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/router.h"

namespace perfwatch::http {

// What the parser extracts from one request. Cleared (capacity kept) between requests.
struct ParsedRequest {
  std::string text;  // method, target and header fields back to back
  struct Span {
    uint32_t off;
    uint32_t len;
  };
  Span method{0, 0};
  Span target{0, 0};
  std::vector<std::pair<Span, Span>> fields;
  std::string body;
  int version = 11;  // 10 or 11
  bool expect_continue = false;

  void Clear();
  // Points `req` at this storage (views stay valid until the next Clear or parse).
  void Fill(Request& req) const;
  std::string_view View(Span s) const { return std::string_view(text).substr(s.off, s.len); }
};

class RequestParser final : public boost::beast::http::basic_parser<true> {
 public:
  // `out` must outlive the parser; it is cleared here.
  RequestParser(ParsedRequest* out, size_t max_header_bytes, size_t max_body_bytes);

 private:
  using error_code = boost::beast::error_code;
  using string_view = boost::beast::string_view;

  ParsedRequest::Span Append(string_view s);

  void on_request_impl(boost::beast::http::verb method, string_view method_str, string_view target,
                       int version, error_code& ec) override;
  void on_response_impl(int, string_view, int, error_code&) override {}
  void on_field_impl(boost::beast::http::field name, string_view name_string, string_view value,
                     error_code& ec) override;
  void on_header_impl(error_code& ec) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         error_code& ec) override;
  size_t on_body_impl(string_view body, error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t size, string_view extensions, error_code& ec) override {}
  size_t on_chunk_body_impl(std::uint64_t remain, string_view body, error_code& ec) override;
  void on_finish_impl(error_code& ec) override {}

  ParsedRequest* out_;
};

}  // namespace perfwatch::http
