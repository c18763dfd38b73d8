#pragma once
// Server internals: the state shared by all connections, and a Worker — one io_context
// run by exactly one thread, which owns the connections handed to it by the acceptor and
// enforces their deadlines with a single periodic sweep timer (no timer operation per
// request: connections only store their current deadline).
// Thread safety: ServerState is immutable while the server runs, except its atomics, the
// TLS context and the reloadable limits (each behind a mutex).
// A Worker's fields are used only on its own thread once started; other threads reach it
// through boost::asio::post.
#include <atomic>
#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>

#include "common/config.h"
#include "common/metrics.h"
#include "http/http_metrics.h"
#include "http/client_connections.h"
#include "http/router.h"

namespace boost::asio::ssl {
class context;
}

namespace perfwatch::http {

class Connection;

using Socket =
    boost::asio::basic_stream_socket<boost::asio::ip::tcp, boost::asio::io_context::executor_type>;

struct ServerState {
  // config.trusted_proxies must parse (Server::Create checks it first).
  ServerState(HttpConfig c, Router r, MetricsRegistry* registry)
      : config(std::move(c)),
        router(std::move(r)),
        metrics(registry, router, config.tls.enabled()),
        per_client(config.max_connections_per_ip, TrustedOrEmpty(config.trusted_proxies)),
        limits_(std::make_shared<const HttpConfig>(config)) {}

  static TrustedProxies TrustedOrEmpty(const std::vector<std::string>& entries) {
    auto t = TrustedProxies::Create(entries);
    return t.ok() ? std::move(*t) : TrustedProxies();
  }

  // As at Create: listen, threads and tls (restart-only) are read from here.
  const HttpConfig config;
  const Router router;
  HttpMetrics metrics;
  // How often workers look for connections past their deadline (milliseconds).
  std::atomic<int64_t> sweep_interval_ms{100};
  // Accepted and not yet closed, across all workers (the max_connections cap).
  std::atomic<int> open_connections{0};
  // Open connections per client (the max_connections_per_ip cap).
  ClientConnections per_client;

  // With config.tls: the TLS context new connections take (each keeps its own reference).
  std::shared_ptr<boost::asio::ssl::context> tls_context() const {
    std::lock_guard lock(tls_mu_);
    return tls_context_;
  }
  void set_tls_context(std::shared_ptr<boost::asio::ssl::context> ctx) {
    std::lock_guard lock(tls_mu_);
    tls_context_.swap(ctx);
  }  // the old context is released here, outside no lock that matters

  // The limits and timeouts in force (Server::SetLimits swaps them): a connection takes
  // them at accept and again at the start of each request.
  std::shared_ptr<const HttpConfig> limits() const {
    std::lock_guard lock(limits_mu_);
    return limits_;
  }
  void set_limits(std::shared_ptr<const HttpConfig> l) {
    std::lock_guard lock(limits_mu_);
    limits_.swap(l);
  }

 private:
  mutable std::mutex limits_mu_;
  std::shared_ptr<const HttpConfig> limits_;  // guarded by limits_mu_
  mutable std::mutex tls_mu_;
  std::shared_ptr<boost::asio::ssl::context> tls_context_;  // guarded by tls_mu_
};

class Worker {
 public:
  explicit Worker(ServerState* state) : state_(state) {}
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  ServerState& state() { return *state_; }
  boost::asio::io_context& io_context() { return ioc_; }
  bool stopping() const { return stopping_; }

  // Starts the thread that runs the io_context (and the sweep timer).
  void Start();
  // Posts a request to close every connection; the thread ends once they are gone.
  void RequestStop();
  void Join();

  // On the worker thread: takes over an accepted socket (already counted in
  // open_connections) and starts serving it.
  void Adopt(Socket socket, ClientConnections::Slot slot);

  // Called by Connection's constructor/destructor (worker thread only).
  void Link(Connection* c);
  void Unlink(Connection* c);

 private:
  void ArmSweep();
  void Run();

  ServerState* const state_;
  // Declared before ioc_ so that it outlives the handlers destroyed with the io_context.
  Connection* connections_ = nullptr;  // intrusive list via Connection::prev_/next_
  bool stopping_ = false;
  boost::asio::io_context ioc_{1};
  boost::asio::steady_timer sweep_timer_{ioc_};
  std::thread thread_;
};

}  // namespace perfwatch::http
