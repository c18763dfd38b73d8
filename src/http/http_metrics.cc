#include "http/http_metrics.h"

namespace perfwatch::http {
namespace {

constexpr std::string_view kMethodNames[] = {"GET",    "HEAD",  "POST",    "PUT",
                                             "DELETE", "PATCH", "OPTIONS", "other"};

size_t MethodIndex(std::string_view m) {
  for (size_t i = 0; i + 1 < std::size(kMethodNames); ++i) {
    if (kMethodNames[i] == m) return i;
  }
  return std::size(kMethodNames) - 1;
}

constexpr int kCommonCodes[] = {100, 101, 200, 201, 202, 204, 206, 301, 302, 303, 304, 307,
                                308, 400, 401, 403, 404, 405, 406, 408, 409, 410, 411, 412,
                                413, 414, 415, 416, 422, 429, 431, 500, 501, 502, 503, 504};

// Slot of a status code in RouteMetrics::requests, or -1 for an uncommon code.
int CodeSlot(int status) {
  static const auto kTable = [] {
    std::array<int8_t, 600> t{};
    t.fill(-1);
    for (size_t i = 0; i < std::size(kCommonCodes); ++i)
      t[kCommonCodes[i]] = static_cast<int8_t>(i);
    return t;
  }();
  if (status < 0 || status >= 600) return -1;
  return kTable[status];
}

constexpr char kRequestsName[] = "perfwatch_http_requests_total";
constexpr char kRequestsHelp[] = "HTTP requests served, by route, method and status code.";

}  // namespace

HttpMetrics::HttpMetrics(MetricsRegistry* registry, const Router& router, bool tls)
    : registry_(registry),
      connections_(registry->GetGauge("perfwatch_http_connections", "Open HTTP connections.")),
      rejected_(
          registry->GetCounter("perfwatch_http_connections_rejected_total",
                               "HTTP connections closed at accept because of max_connections.")),
      rejected_per_client_(registry->GetCounter(
          "perfwatch_http_client_connections_rejected_total",
          "HTTP connections closed at accept because their client held max_connections_per_ip.")),
      tls_failures_(tls ? registry->GetCounter("perfwatch_http_tls_handshake_failures_total",
                                               "TLS handshakes that failed or timed out.")
                        : nullptr) {
  static_assert(std::size(kCommonCodes) <= kCodeSlots);
  static_assert(std::size(kMethodNames) == kMethods);
  for (size_t i = 0; i <= router.route_count(); ++i) {
    auto r = std::make_unique<RouteMetrics>();
    r->label = std::string(router.RouteLabel(i));
    routes_.push_back(std::move(r));
  }
}

Counter* HttpMetrics::SlowCounter(RouteMetrics& route, std::string_view method, int status) {
  return registry_->GetCounter(kRequestsName, kRequestsHelp,
                               {{"route", route.label},
                                {"method", std::string(kMethodNames[MethodIndex(method)])},
                                {"code", std::to_string(status)}});
}

void HttpMetrics::RecordRequest(int route_index, std::string_view method, int status,
                                double seconds) {
  size_t ri = route_index < 0 || static_cast<size_t>(route_index) + 1 >= routes_.size()
                  ? routes_.size() - 1
                  : static_cast<size_t>(route_index);
  RouteMetrics& route = *routes_[ri];

  Histogram* h = route.duration.load(std::memory_order_acquire);
  if (!h) {
    h = registry_->GetHistogram("perfwatch_http_request_duration_seconds",
                                "Time from a complete request to its response being written.",
                                DefaultLatencyBuckets(), {{"route", route.label}});
    route.duration.store(h, std::memory_order_release);
  }
  h->Observe(seconds);

  int slot = CodeSlot(status);
  if (slot < 0) {
    SlowCounter(route, method, status)->Inc();
    return;
  }
  std::atomic<Counter*>& cached = route.requests[MethodIndex(method)][static_cast<size_t>(slot)];
  Counter* c = cached.load(std::memory_order_acquire);
  if (!c) {
    c = SlowCounter(route, method, status);
    cached.store(c, std::memory_order_release);
  }
  c->Inc();
}

}  // namespace perfwatch::http
