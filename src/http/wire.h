#pragma once
// Small HTTP/1.1 wire-format helpers for the server: reason phrases, response heads and
// chunk framing, and the canned bodies of server-generated errors.
// Thread safety: pure functions.
#include <cstddef>
#include <string>
#include <string_view>

#include "http/router.h"

namespace perfwatch::http {

// "OK", "Not Found", ...; "Unknown" for codes without a standard phrase.
std::string_view ReasonPhrase(int status);

// True for statuses that never carry a body (1xx, 204, 304).
inline bool StatusHasNoBody(int status) { return status < 200 || status == 204 || status == 304; }

// How the body of a response travels.
enum class BodyFraming { kContentLength, kChunked, kUntilClose, kNone };

// Appends the status line and headers of `res` (Server, Content-Type, framing, extra
// headers, Connection) and the blank line to `out`. `content_length` is used with
// kContentLength. `keep_alive` false adds "Connection: close"; `http10_keep_alive` adds
// "Connection: keep-alive" (an HTTP/1.0 client asked for it).
void AppendResponseHead(std::string& out, const Response& res, BodyFraming framing,
                        size_t content_length, bool keep_alive, bool http10_keep_alive);

// Appends the chunk-size line of a chunk of `size` bytes ("1f40\r\n").
void AppendChunkHeader(std::string& out, size_t size);

// The 413 body, valid both as a Prometheus API error and as an /api/rum ingest answer:
// {"status":"error","errorType":"bad_data","error":"...","accepted":0,"rejected":0,
//  "errors":[{"index":-1,"reason":"..."}]}
void WriteBodyTooLarge(Response& res, size_t limit);

// The complete response sent, without reading the request, to a connection refused
// because the server is at max_connections.
std::string_view ServiceUnavailableResponse();

}  // namespace perfwatch::http
