#pragma once
// The Prometheus HTTP API answered by `query.backend` (docs/scale-out.md "Queries from an
// external store"): GET/POST /api/v1/query, /api/v1/query_range, /api/v1/series,
// /api/v1/labels and GET /api/v1/label/<name>/values are forwarded to the backend's same
// path as a form POST with the request's parameters (query string and form body, as
// given), and the backend's JSON answer (status code and body) is returned as it is.
// perfwatch's own authentication applies to the inbound request (scope read); the backend
// sees query.backend's credentials only. Errors in Prometheus' shape:
//   backend unreachable, timeout, answer too large or not JSON -> 503 unavailable
//   "query backend: ...".
// Registered before the local handlers, these routes win (router: first exact match).
// Thread safety: handlers run on HTTP worker threads; `call` must be thread-safe.
#include <functional>
#include <string>
#include <string_view>

#include "http/router.h"

namespace perfwatch::query {

// What one request to the backend brought back.
struct BackendReply {
  int status = 0;     // HTTP status; 0: no answer (see error)
  std::string error;  // why there was no answer
  std::string body;   // the answer's body (at most the configured maximum)
  std::string content_type;
  bool truncated = false;  // the body was larger than the maximum
};

// POSTs `form` (application/x-www-form-urlencoded) to the backend's `path`
// ("/api/v1/query").
using BackendCall = std::function<BackendReply(std::string_view path, std::string_view form)>;

// The form body forwarded for `req`: its query string, then its body when that is a form
// (both as received, joined by '&').
std::string ForwardedForm(const http::Request& req);

// The answer for `reply` (shared with tests): passes JSON answers through, anything else
// becomes a 503 in Prometheus' shape.
void WriteBackendReply(const BackendReply& reply, http::Response& res);

void RegisterBackendQueryApi(http::Router& router, BackendCall call);

}  // namespace perfwatch::query
