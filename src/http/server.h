#pragma once
// The HTTP/1.1 server: Boost.Beast on Asio, event-driven keep-alive connections served by
// a pool of worker threads. Enforces the limits of HttpConfig: body size (413, may close
// without reading the rest), header size (431), connection cap, header/body/idle/write
// timeouts. Records perfwatch_http_* metrics per route.
//
// Threading: each worker thread runs its own io_context; the acceptor hands connections
// to the workers round-robin and a connection stays on its worker for life, so handlers
// run synchronously on that worker thread (a slow handler delays the other connections of
// its worker: long work belongs on another thread or in a Response::stream producer).
// Server answers: unknown path 404 (errorType "not_found"), known path with another
// method 405 + Allow ("bad_data"), OPTIONS 204 (a CORS preflight on routes with
// cors_allowed_origins), an Origin not in cors_allowed_origins 403, malformed request 400,
// a handler that throws 500 ("internal"); see connection.h for the timeouts.
// TLS (http.tls, docs/tls.md): Create reads the certificate and key (a clear error when
// unreadable or mismatched); ReloadTls re-reads them without dropping connections.
// Thread safety: Start/Stop from one controlling thread (never from a handler); handlers
// run on worker threads; ReloadTls and SetLimits from any thread.
#include <cstdint>
#include <memory>

#include "common/config.h"
#include "common/metrics.h"
#include "common/status.h"
#include "http/router.h"

namespace perfwatch::http {

class Server {
 public:
  // `metrics` must outlive the server.
  static Result<std::unique_ptr<Server>> Create(HttpConfig config, Router router, MetricsRegistry* metrics);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds config.listen ("HOST:PORT"; port 0 picks a free one), starts the workers.
  Status Start();
  // Stops accepting, closes connections, joins the workers. Idempotent.
  void Stop();
  // The bound port (after Start).
  uint16_t port() const;
  // With http.tls: re-reads the certificate, key and client CA from the configured paths.
  // New connections use them; open connections keep the ones they started with. On error
  // nothing changes and the error is returned. Without TLS: OK, nothing to do.
  // Thread-safe (SIGHUP, POST /-/reload).
  Status ReloadTls();
  // The checks Create applies to the limits below (a reload runs them before changing
  // anything).
  static Status CheckLimits(const HttpConfig& config);
  // Swaps the reloadable keys: max_body_bytes, max_header_bytes, max_connections,
  // max_connections_per_ip, the four timeouts and trusted_proxies (the max_inflight_* keys
  // belong to the AdmissionGuard). listen, threads, tls and web_dir keep their values from
  // Create. Connections accepted from now on, and each open connection from its next
  // request, use the new values; the request in progress keeps its own, connections
  // already open stay open (a lowered max_connections refuses new ones until enough
  // close). On error (CheckLimits) nothing changes. Thread-safe.
  Status SetLimits(const HttpConfig& config);

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace perfwatch::http
