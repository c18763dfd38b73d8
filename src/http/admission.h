#pragma once
// Admission control: a RequestGuard that caps the requests in flight per route class
// (RouteOptions::route_class: ingest, query, other). A request counts from the moment its
// header is complete (the guard runs then, before the body is read) until Done, i.e.
// until its response is written or its connection died. Beyond a class's limit the
// request is refused at once with 503, `Retry-After: 1` and Prometheus' error shape
// (errorType "unavailable"); the body is never read. Because every admitted request holds
// at most http.max_body_bytes of body, limit x max_body_bytes bounds the memory held by
// request bodies of a class. Register it after authentication and rate limits, so that a
// refused client does not take an admission slot.
//
// Metrics:
//   perfwatch_http_admission_rejected_total{class}  counter: requests refused (503)
//   perfwatch_http_inflight_requests{class}          gauge: requests admitted, not yet done
//   perfwatch_http_inflight_limit{class}             gauge: the configured limit
// with class "ingest", "query" or "other".
// SetLimits (a reload) changes the limits for requests admitted from then on; requests in
// flight stay admitted (a lowered limit refuses new ones until enough are done).
// Thread safety: Admit, Done and SetLimits are called concurrently from any thread; the
// limits and counters are atomics, no lock is taken.
#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

#include "common/metrics.h"
#include "common/status.h"
#include "http/router.h"

namespace perfwatch::http {

struct AdmissionLimits {
  int64_t max_inflight_ingest = 256;
  int64_t max_inflight_query = 32;
  int64_t max_inflight_other = 64;
};

// "ingest", "query" or "other".
std::string_view RouteClassName(RouteClass c);

class AdmissionGuard : public RequestGuard {
 public:
  // `metrics` may be null (no metrics); otherwise it must outlive the guard.
  AdmissionGuard(const AdmissionLimits& limits, MetricsRegistry* metrics);

  bool Admit(const Request& req, const RouteOptions& options, Response& res) override;
  void Done(const RouteOptions& options) override;

  // Limits below 1 are refused (InvalidArgument) and nothing changes.
  static Status CheckLimits(const AdmissionLimits& limits);
  Status SetLimits(const AdmissionLimits& limits);
  int64_t limit(RouteClass c) const;
  // Requests of class `c` admitted and not yet done.
  int64_t inflight(RouteClass c) const;
  uint64_t rejected(RouteClass c) const;

 private:
  static constexpr size_t kClasses = 3;
  struct PerClass {
    std::atomic<int64_t> limit{0};
    std::atomic<int64_t> inflight{0};
    std::atomic<uint64_t> rejected{0};
    Counter* rejected_counter = nullptr;
    Gauge* inflight_gauge = nullptr;
    Gauge* limit_gauge = nullptr;
  };
  static size_t Index(RouteClass c);
  std::array<PerClass, kClasses> classes_;
};

}  // namespace perfwatch::http
