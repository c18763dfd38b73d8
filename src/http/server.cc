#include "http/server.h"

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <thread>
#include <vector>

#include "common/log.h"
#include "http/client_ip.h"
#include "http/connection.h"
#include "http/tls_context.h"
#include "http/wire.h"
#include "http/worker.h"

namespace perfwatch::http {

namespace net = boost::asio;
using boost::system::error_code;
using net::ip::tcp;

namespace {

// The socket's peer as an IpAddress; nullopt when it is gone already.
std::optional<IpAddress> PeerAddress(const Socket& socket) {
  error_code ec;
  tcp::endpoint peer = socket.remote_endpoint(ec);
  if (ec) return std::nullopt;
  IpAddress a;
  const net::ip::address addr = peer.address();
  if (addr.is_v4()) {
    a.bytes = net::ip::make_address_v6(net::ip::v4_mapped, addr.to_v4()).to_bytes();
  } else {
    a.bytes = addr.to_v6().to_bytes();
  }
  return a;
}

// Splits "HOST:PORT" ("[::1]:80", ":0" = every interface) and resolves HOST.
Result<tcp::endpoint> ResolveListen(const std::string& listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos)
    return InvalidArgument("listen address must be HOST:PORT: " + listen);
  std::string host = listen.substr(0, colon);
  std::string port_text = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  char* end = nullptr;
  long port = std::strtol(port_text.c_str(), &end, 10);
  if (port_text.empty() || *end != '\0' || port < 0 || port > 65535) {
    return InvalidArgument("bad port in listen address: " + listen);
  }
  if (host.empty()) host = "0.0.0.0";
  error_code ec;
  net::ip::address addr = net::ip::make_address(host, ec);
  if (!ec) return tcp::endpoint(addr, static_cast<uint16_t>(port));
  net::io_context ioc;
  tcp::resolver resolver(ioc);
  auto results = resolver.resolve(host, port_text, ec);
  if (ec || results.empty()) {
    return InvalidArgument("cannot resolve listen host " + host + ": " + ec.message());
  }
  return results.begin()->endpoint();
}

// How often workers look for connections past their deadline: the shortest timeout / 10,
// clamped to 5..250 ms.
int64_t SweepIntervalMs(const HttpConfig& cfg) {
  int64_t shortest = std::min(
      {cfg.header_timeout_ms, cfg.body_timeout_ms, cfg.idle_timeout_ms, cfg.write_timeout_ms});
  return std::clamp<int64_t>(shortest / 10, 5, 250);
}

}  // namespace

struct Server::Impl {
  Impl(HttpConfig config, Router router, MetricsRegistry* metrics)
      : state(std::move(config), std::move(router), metrics) {}

  Status Start();
  void Stop();
  void Accept();
  void OnAccept(Worker* target, error_code ec, Socket socket);

  // Immutable after Start.
  ServerState state;
  std::vector<std::unique_ptr<Worker>> workers;
  uint16_t port = 0;
  // Used on workers[0]'s thread (the acceptor runs there) once started.
  std::unique_ptr<net::basic_socket_acceptor<tcp, net::io_context::executor_type>> acceptor;
  std::unique_ptr<net::steady_timer> accept_retry;
  size_t next_worker = 0;
  // Used by the controlling thread only.
  bool started = false;
  bool stopped = false;
};

Status Server::Impl::Start() {
  if (started) return Internal("http server already started");
  const HttpConfig& cfg = state.config;
  PW_ASSIGN_OR_RETURN(tcp::endpoint endpoint, ResolveListen(cfg.listen));

  state.sweep_interval_ms.store(SweepIntervalMs(cfg), std::memory_order_relaxed);

  workers.clear();
  int threads =
      cfg.threads > 0 ? cfg.threads : static_cast<int>(std::thread::hardware_concurrency());
  threads = std::max(threads, 1);
  for (int i = 0; i < threads; ++i) workers.push_back(std::make_unique<Worker>(&state));

  acceptor = std::make_unique<net::basic_socket_acceptor<tcp, net::io_context::executor_type>>(
      workers[0]->io_context());
  accept_retry = std::make_unique<net::steady_timer>(workers[0]->io_context());
  error_code ec;
  auto fail = [&](const char* step) {
    acceptor.reset();
    accept_retry.reset();
    workers.clear();
    return IoError("listen on " + cfg.listen + ": " + step, ec.value());
  };
  acceptor->open(endpoint.protocol(), ec);
  if (ec) return fail("open");
  acceptor->set_option(net::socket_base::reuse_address(true), ec);
  acceptor->bind(endpoint, ec);
  if (ec) return fail("bind");
  acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen");
  port = acceptor->local_endpoint(ec).port();

  started = true;
  Accept();
  for (auto& w : workers) w->Start();
  PW_LOG_INFO("http server listening", "addr={} port={} threads={}", cfg.listen, port, threads);
  return Status::Ok();
}

void Server::Impl::Accept() {
  Worker* target = workers[next_worker++ % workers.size()].get();
  acceptor->async_accept(target->io_context(), [this, target](error_code ec, Socket socket) {
    OnAccept(target, ec, std::move(socket));
  });
}

void Server::Impl::OnAccept(Worker* target, error_code ec, Socket socket) {
  if (ec == net::error::operation_aborted || !acceptor->is_open()) return;
  if (ec) {
    // Typically EMFILE/ENFILE: back off briefly instead of spinning.
    PW_LOG_WARN("http accept failed", "error={}", LogQuote(ec.message()));
    accept_retry->expires_after(std::chrono::milliseconds(50));
    accept_retry->async_wait([this](error_code e) {
      if (!e && acceptor->is_open()) Accept();
    });
    return;
  }
  const std::shared_ptr<const HttpConfig> limits = state.limits();
  std::optional<ClientConnections::Slot> slot = ClientConnections::Slot();
  if (limits->max_connections_per_ip > 0) {
    if (std::optional<IpAddress> peer = PeerAddress(socket)) slot = state.per_client.Acquire(*peer);
  }
  int open = state.open_connections.fetch_add(1, std::memory_order_relaxed);
  if (open >= limits->max_connections || !slot) {
    state.open_connections.fetch_sub(1, std::memory_order_relaxed);
    if (slot) {
      state.metrics.ConnectionRejected();
    } else {
      state.metrics.ConnectionRejectedPerClient();
    }
    // Best effort 503 without reading the request: one non-blocking write into the
    // fresh socket's empty send buffer, then close.
    error_code ignored;
    socket.non_blocking(true, ignored);
    std::string_view msg = ServiceUnavailableResponse();
    socket.write_some(net::buffer(msg.data(), msg.size()), ignored);
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    socket.close(ignored);
  } else {
    net::post(target->io_context(),
              [target, s = std::move(socket), c = std::move(*slot)]() mutable {
                target->Adopt(std::move(s), std::move(c));
              });
  }
  Accept();
}

void Server::Impl::Stop() {
  if (!started || stopped) return;
  stopped = true;
  net::post(workers[0]->io_context(), [this] {
    error_code ec;
    acceptor->close(ec);
    accept_retry->cancel();
  });
  for (auto& w : workers) w->RequestStop();
  for (auto& w : workers) w->Join();
  PW_LOG_INFO("http server stopped", "port={}", port);
}

Status Server::CheckLimits(const HttpConfig& config) {
  if (config.max_connections <= 0) return InvalidArgument("http max_connections must be positive");
  if (config.max_connections_per_ip < 0) return InvalidArgument("http max_connections_per_ip must not be negative");
  PW_RETURN_IF_ERROR(TrustedProxies::Create(config.trusted_proxies).status());
  if (config.header_timeout_ms <= 0 || config.body_timeout_ms <= 0 || config.idle_timeout_ms <= 0 ||
      config.write_timeout_ms <= 0) {
    return InvalidArgument("http timeouts must be positive");
  }
  return Status::Ok();
}

Result<std::unique_ptr<Server>> Server::Create(HttpConfig config, Router router,
                                               MetricsRegistry* metrics) {
  if (metrics == nullptr) return InvalidArgument("http server needs a metrics registry");
  PW_RETURN_IF_ERROR(CheckLimits(config));
  std::shared_ptr<TlsContext> tls;
  if (config.tls.enabled()) {
    PW_ASSIGN_OR_RETURN(tls, MakeServerTlsContext(config.tls));
    PW_LOG_INFO("tls certificate loaded", "{} client_ca={}", DescribeCertificate(*tls),
                config.tls.client_ca_file.empty() ? "none" : LogQuote(config.tls.client_ca_file));
  }
  auto impl = std::make_unique<Impl>(std::move(config), std::move(router), metrics);
  impl->state.set_tls_context(std::move(tls));
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  Stop();
  // Destroy the acceptor before the worker whose io_context it uses.
  impl_->accept_retry.reset();
  impl_->acceptor.reset();
  impl_->workers.clear();  // destroys connections left in the io_contexts
}

Status Server::Start() { return impl_->Start(); }

void Server::Stop() { impl_->Stop(); }

uint16_t Server::port() const { return impl_->port; }

Status Server::SetLimits(const HttpConfig& config) {
  PW_RETURN_IF_ERROR(CheckLimits(config));
  ServerState& state = impl_->state;
  auto limits = std::make_shared<HttpConfig>(config);
  limits->listen = state.config.listen;  // restart-only: kept as at Create
  limits->threads = state.config.threads;
  limits->tls = state.config.tls;
  limits->web_dir = state.config.web_dir;
  state.per_client.SetLimits(limits->max_connections_per_ip, ServerState::TrustedOrEmpty(limits->trusted_proxies));
  state.sweep_interval_ms.store(SweepIntervalMs(*limits), std::memory_order_relaxed);
  state.set_limits(std::move(limits));
  return Status::Ok();
}

Status Server::ReloadTls() {
  const TlsServerConfig& tls = impl_->state.config.tls;
  if (!tls.enabled()) return Status::Ok();
  PW_ASSIGN_OR_RETURN(std::shared_ptr<TlsContext> ctx, MakeServerTlsContext(tls));
  PW_LOG_INFO("tls certificate reloaded", "{}", DescribeCertificate(*ctx));
  impl_->state.set_tls_context(std::move(ctx));
  return Status::Ok();
}

}  // namespace perfwatch::http
