#include "http/request_parser.h"

#include <algorithm>

#include "http/url.h"

namespace perfwatch::http {

namespace bhttp = boost::beast::http;

void ParsedRequest::Clear() {
  text.clear();
  method = target = Span{0, 0};
  fields.clear();
  body.clear();
  version = 11;
  expect_continue = false;
}

void ParsedRequest::Fill(Request& req) const {
  req.method = View(method);
  std::string_view t = View(target);
  size_t q = t.find('?');
  req.path = t.substr(0, q);
  req.query = q == std::string_view::npos ? std::string_view() : t.substr(q + 1);
  req.body = body;
  req.headers.clear();
  for (const auto& [n, v] : fields) req.headers.emplace_back(View(n), View(v));
}

RequestParser::RequestParser(ParsedRequest* out, size_t max_header_bytes, size_t max_body_bytes)
    : out_(out) {
  out_->Clear();
  header_limit(static_cast<uint32_t>(std::min<size_t>(max_header_bytes, UINT32_MAX)));
  body_limit(static_cast<std::uint64_t>(max_body_bytes));
  eager(true);
}

ParsedRequest::Span RequestParser::Append(string_view s) {
  ParsedRequest::Span span{static_cast<uint32_t>(out_->text.size()),
                           static_cast<uint32_t>(s.size())};
  out_->text.append(s.data(), s.size());
  return span;
}

void RequestParser::on_request_impl(bhttp::verb, string_view method_str, string_view target,
                                    int version, error_code&) {
  out_->method = Append(method_str);
  out_->target = Append(target);
  out_->version = version;
}

void RequestParser::on_field_impl(bhttp::field name, string_view name_string, string_view value,
                                  error_code&) {
  if (name == bhttp::field::expect &&
      EqualsIgnoreCase(std::string_view(value.data(), value.size()), "100-continue")) {
    out_->expect_continue = true;
  }
  ParsedRequest::Span n = Append(name_string);
  ParsedRequest::Span v = Append(value);
  out_->fields.emplace_back(n, v);
}

void RequestParser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                                      error_code&) {
  // The body limit was already checked against Content-Length by basic_parser.
  if (content_length) out_->body.reserve(static_cast<size_t>(*content_length));
}

size_t RequestParser::on_body_impl(string_view body, error_code&) {
  out_->body.append(body.data(), body.size());
  return body.size();
}

size_t RequestParser::on_chunk_body_impl(std::uint64_t, string_view body, error_code&) {
  out_->body.append(body.data(), body.size());
  return body.size();
}

}  // namespace perfwatch::http
