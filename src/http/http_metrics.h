#pragma once
// The perfwatch_http_* metrics of the server, with the registry's counters cached per
// (route, method, status code) so the request hot path takes no lock:
//   perfwatch_http_requests_total{route,method,code}      counter
//   perfwatch_http_request_duration_seconds{route}         histogram
//   perfwatch_http_connections                             gauge (open now)
//   perfwatch_http_connections_rejected_total              counter (over max_connections)
//   perfwatch_http_client_connections_rejected_total       counter (over max_connections_per_ip)
//   perfwatch_http_tls_handshake_failures_total            counter (only with http.tls)
// Methods other than GET/HEAD/POST/PUT/DELETE/PATCH/OPTIONS are labelled "other".
// Thread safety: every method is thread-safe; the cache fills lazily with atomics (the
// registry returns the same object to racing creators).
#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/metrics.h"
#include "http/router.h"

namespace perfwatch::http {

class HttpMetrics {
 public:
  // `registry` must outlive this object; `router` only supplies route labels here.
  // `tls`: register perfwatch_http_tls_handshake_failures_total.
  HttpMetrics(MetricsRegistry* registry, const Router& router, bool tls = false);
  HttpMetrics(const HttpMetrics&) = delete;
  HttpMetrics& operator=(const HttpMetrics&) = delete;

  // Counts one finished request. `route_index` is Router::Match::route_index (-1: no route).
  void RecordRequest(int route_index, std::string_view method, int status, double seconds);

  void ConnectionOpened() { connections_->Add(1); }
  void ConnectionClosed() { connections_->Add(-1); }
  void ConnectionRejected() { rejected_->Inc(); }
  void ConnectionRejectedPerClient() { rejected_per_client_->Inc(); }
  void TlsHandshakeFailed() {
    if (tls_failures_) tls_failures_->Inc();
  }

 private:
  static constexpr size_t kMethods = 8;     // see MethodIndex
  static constexpr size_t kCodeSlots = 40;  // common status codes, see CodeSlot
  struct RouteMetrics {
    std::string label;
    std::atomic<Histogram*> duration{nullptr};
    std::array<std::array<std::atomic<Counter*>, kCodeSlots>, kMethods> requests{};
  };

  Counter* SlowCounter(RouteMetrics& route, std::string_view method, int status);

  MetricsRegistry* const registry_;
  Gauge* const connections_;
  Counter* const rejected_;
  Counter* const rejected_per_client_;
  Counter* const tls_failures_;  // null without TLS
  // One per route plus a last one for requests that matched no route ("other").
  std::vector<std::unique_ptr<RouteMetrics>> routes_;
};

}  // namespace perfwatch::http
