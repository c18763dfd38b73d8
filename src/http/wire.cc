#include "http/wire.h"

#include <charconv>

#include "common/json_writer.h"

namespace perfwatch::http {
namespace {

void AppendInt(std::string& out, size_t v) {
  char buf[24];
  auto [p, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, p);
}

}  // namespace

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Range Not Satisfiable";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Unknown";
  }
}

void AppendResponseHead(std::string& out, const Response& res, BodyFraming framing,
                        size_t content_length, bool keep_alive, bool http10_keep_alive) {
  out += "HTTP/1.1 ";
  int status = res.status >= 100 && res.status <= 999 ? res.status : 500;
  AppendInt(out, static_cast<size_t>(status));
  out += ' ';
  out += ReasonPhrase(status);
  out += "\r\nServer: perfwatch\r\n";
  if (framing != BodyFraming::kNone && !res.content_type.empty()) {
    out += "Content-Type: ";
    out += res.content_type;
    out += "\r\n";
  }
  switch (framing) {
    case BodyFraming::kContentLength:
      out += "Content-Length: ";
      AppendInt(out, content_length);
      out += "\r\n";
      break;
    case BodyFraming::kChunked:
      out += "Transfer-Encoding: chunked\r\n";
      break;
    case BodyFraming::kUntilClose:
    case BodyFraming::kNone:
      break;
  }
  for (const auto& [name, value] : res.headers) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  if (!keep_alive) {
    out += "Connection: close\r\n";
  } else if (http10_keep_alive) {
    out += "Connection: keep-alive\r\n";
  }
  out += "\r\n";
}

void AppendChunkHeader(std::string& out, size_t size) {
  char buf[24];
  auto [p, ec] = std::to_chars(buf, buf + sizeof(buf), size, 16);
  out.append(buf, p);
  out += "\r\n";
}

void WriteBodyTooLarge(Response& res, size_t limit) {
  std::string msg = "request body exceeds the limit of " + std::to_string(limit) + " bytes";
  res.status = 413;
  res.content_type = "application/json";
  res.stream = nullptr;
  res.body.clear();
  res.body += R"({"status":"error","errorType":"bad_data","error":)";
  AppendJsonString(res.body, msg);
  res.body += R"(,"accepted":0,"rejected":0,"errors":[{"index":-1,"reason":)";
  AppendJsonString(res.body, msg);
  res.body += "}]}";
}

std::string_view ServiceUnavailableResponse() {
  static constexpr std::string_view kBody =
      R"({"status":"error","errorType":"unavailable","error":"too many open connections"})";
  static const std::string kResponse =
      "HTTP/1.1 503 Service Unavailable\r\nServer: perfwatch\r\nContent-Type: application/json\r\n"
      "Content-Length: " +
      std::to_string(kBody.size()) + "\r\nConnection: close\r\n\r\n" + std::string(kBody);
  return kResponse;
}

}  // namespace perfwatch::http
