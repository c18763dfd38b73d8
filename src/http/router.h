#pragma once
// Request/response types and the router that maps (method, path) to handlers.
// Handlers run synchronously on an HTTP worker thread and fill a Response.
// Thread safety: a Router is built before Server::Start and only read afterwards.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace perfwatch::http {

struct Request {
  std::string_view method;   // "GET", "POST", ...
  std::string_view path;     // without the query string, not percent-decoded
  std::string_view query;    // raw query string without '?'
  std::string_view body;
  // Headers as received (name, value); lookups are case-insensitive.
  std::vector<std::pair<std::string_view, std::string_view>> headers;
  // The peer's IP address as text ("127.0.0.1", "::1"); the TCP peer, not X-Forwarded-For.
  std::string_view remote_address;
  // The name of the token that authenticated the request (auth.tokens' `name`), set by the
  // AuthGuard when it admits a request to a non-public route; empty when auth is off.
  // Mutable because guards see the request as const.
  mutable std::string principal;
  // The connection's socket while the handler runs; -1 otherwise (a Request built by hand,
  // or after the handler returned: a Response::stream producer must not use it).
  int client_fd = -1;

  std::string_view Header(std::string_view name) const;
  // The first value of a query parameter (percent-decoded, '+' as space); for POST with
  // Content-Type application/x-www-form-urlencoded the body's parameters count too.
  std::optional<std::string> Param(std::string_view name) const;
  // Every value of a repeated parameter (e.g. match[]), query first, then form body.
  std::vector<std::string> Params(std::string_view name) const;
  // True when the client has closed its side of the connection (or it broke), so nobody
  // will read the answer: long handlers (PromQL evaluation) ask now and then and stop. A
  // poll(2) without waiting, about a microsecond. As in Go's net/http (Prometheus), a
  // client that half-closes after its request counts as gone. False when client_fd < 0.
  bool ClientGone() const;
};

// A response body produced over time by other threads (server-sent events). The
// connection calls Read on its worker thread; when Read added nothing and more is to come,
// it calls Wait with a function the producer calls (from any thread, any number of times,
// also after the connection is gone, when it does nothing) once Read has something new.
// The connection then watches the socket, so a client that leaves is noticed at once;
// Cancel is called when the connection ends. A live response does not hold its admission
// slot while it lasts, and its connection closes when it ends (no keep-alive).
class LiveBody {
 public:
  virtual ~LiveBody() = default;
  // Appends what is ready to `out`; false when the body ends after `out`.
  virtual bool Read(std::string& out) = 0;
  virtual void Wait(std::function<void()> wake) = 0;
  virtual void Cancel() {}
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  // When set, the body is streamed with chunked transfer encoding instead of `body`:
  // called repeatedly, each call appends the next piece to `chunk`; return false after
  // the last piece. Runs on the worker thread.
  std::function<bool(std::string& chunk)> stream;
  // When set (and `stream` is not), the body is this live body, chunked.
  std::shared_ptr<LiveBody> live;
};

using Handler = std::function<void(const Request&, Response&)>;

// What a token must be allowed to do to reach a route (auth.tokens' scopes). kPublic
// routes need no token (browser ingest, health checks, the SDK file).
enum class Scope : uint8_t { kPublic, kIngest, kRead, kAlert, kAdmin };
// Admission class of a route: each class has its own concurrency limit.
enum class RouteClass : uint8_t { kIngest, kQuery, kOther };

// A route's CORS origins that can be replaced while the server runs (a reload of
// rum.cors_allowed_origins). Thread safety: thread-safe; Get is one atomic load.
class CorsOrigins {
 public:
  explicit CorsOrigins(std::vector<std::string> origins) { Set(std::move(origins)); }
  std::shared_ptr<const std::vector<std::string>> Get() const { return origins_.load(); }
  void Set(std::vector<std::string> origins) {
    origins_.store(std::make_shared<const std::vector<std::string>>(std::move(origins)));
  }

 private:
  std::atomic<std::shared_ptr<const std::vector<std::string>>> origins_;
};

struct RouteOptions {
  // Label for perfwatch_http_* metrics; defaults to the registered path.
  std::string metric_label{};
  // Answer CORS preflight (OPTIONS) and add Access-Control-Allow-Origin for these origins;
  // "*" allows any. Empty: no CORS.
  std::vector<std::string> cors_allowed_origins{};
  // Who may call the route; the default asks the most so a forgotten route is not open.
  Scope scope = Scope::kAdmin;
  RouteClass route_class = RouteClass::kOther;
  // When set, the CORS origins are read from here on every request (replaceable) instead
  // of cors_allowed_origins.
  std::shared_ptr<const CorsOrigins> cors_origins = nullptr;
};

// Runs for every request that matched a route, as soon as its header is complete and
// before its body is read (so refusals cost no body memory): authentication, rate
// limits, admission control. Request::body may hold part of the body or none of it:
// guards must not read it.
// Thread safety: Admit and Done are called concurrently from every worker thread.
class RequestGuard {
 public:
  virtual ~RequestGuard() = default;
  // Returns true to let the request on; false after filling `res` with the refusal.
  virtual bool Admit(const Request& req, const RouteOptions& options, Response& res) = 0;
  // Called exactly once for every admitted request, when its response is finished or
  // its connection is gone.
  virtual void Done(const RouteOptions& options) { (void)options; }
};

class Router {
 public:
  // Exact path match. `method` "GET" also answers HEAD.
  void Handle(std::string method, std::string path, Handler handler, RouteOptions options = {});
  // Every path starting with `prefix` (e.g. "/api/v1/label/"). Longest prefix wins;
  // exact matches win over prefixes.
  void HandlePrefix(std::string method, std::string prefix, Handler handler, RouteOptions options = {});

  struct Match {
    const Handler* handler = nullptr;    // null: no route for this path/method
    const RouteOptions* options = nullptr;
    bool path_known = false;             // the path exists for another method -> 405
    std::string_view metric_label;       // route label (or "other" for unknown paths)
    int route_index = -1;                // index of the route (< route_count()), -1: none
  };
  // A route matching the method wins (exact first, then the longest prefix); otherwise a
  // route for another method makes the path known (405) and supplies `options`.
  Match Find(std::string_view method, std::string_view path) const;

  // The methods that have a route for `path`, for the Allow header ("GET, HEAD, POST");
  // empty when none. Not for hot paths.
  std::string AllowedMethods(std::string_view path) const;
  size_t route_count() const { return routes_.size(); }
  // The metric label of route `index` ("other" when out of range).
  std::string_view RouteLabel(size_t index) const;

  // Guards run in the order added; the first refusal wins (later guards are not asked,
  // earlier ones get Done at once).
  void AddGuard(std::shared_ptr<RequestGuard> guard) { guards_.push_back(std::move(guard)); }
  const std::vector<std::shared_ptr<RequestGuard>>& guards() const { return guards_; }

 private:
  struct Route {
    std::string method;
    std::string path;
    bool prefix;
    Handler handler;
    RouteOptions options;
  };
  std::vector<Route> routes_;
  std::vector<std::shared_ptr<RequestGuard>> guards_;
};

// Fills `res` with Prometheus' error shape:
// {"status":"error","errorType":"<type>","error":"<message>"}.
void WriteApiError(Response& res, int status, std::string_view error_type, std::string_view message);
// A store behind an API failed: 503 "unavailable" when it is unreachable (an external
// backend such as ClickHouse down), else 500 "internal".
void WriteStoreError(Response& res, const Status& status);

}  // namespace perfwatch::http
