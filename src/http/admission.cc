#include "http/admission.h"

#include <string>
#include <utility>

namespace perfwatch::http {

std::string_view RouteClassName(RouteClass c) {
  switch (c) {
    case RouteClass::kIngest:
      return "ingest";
    case RouteClass::kQuery:
      return "query";
    case RouteClass::kOther:
      break;
  }
  return "other";
}

size_t AdmissionGuard::Index(RouteClass c) {
  size_t i = static_cast<size_t>(c);
  return i < kClasses ? i : kClasses - 1;
}

AdmissionGuard::AdmissionGuard(const AdmissionLimits& limits, MetricsRegistry* metrics) {
  classes_[Index(RouteClass::kIngest)].limit = limits.max_inflight_ingest;
  classes_[Index(RouteClass::kQuery)].limit = limits.max_inflight_query;
  classes_[Index(RouteClass::kOther)].limit = limits.max_inflight_other;
  if (metrics == nullptr) return;
  for (RouteClass c : {RouteClass::kIngest, RouteClass::kQuery, RouteClass::kOther}) {
    PerClass& pc = classes_[Index(c)];
    MetricLabels labels = {{"class", std::string(RouteClassName(c))}};
    pc.rejected_counter = metrics->GetCounter(
        "perfwatch_http_admission_rejected_total",
        "Requests refused with 503 because their class had http.max_inflight_* requests in flight.", labels);
    pc.inflight_gauge = metrics->GetGauge("perfwatch_http_inflight_requests",
                                          "Requests admitted and not yet answered, by admission class.", labels);
    pc.limit_gauge = metrics->GetGauge("perfwatch_http_inflight_limit",
                                       "The admission limit (http.max_inflight_*) of each class.", labels);
    pc.limit_gauge->Set(static_cast<double>(pc.limit.load(std::memory_order_relaxed)));
  }
}

bool AdmissionGuard::Admit(const Request&, const RouteOptions& options, Response& res) {
  PerClass& pc = classes_[Index(options.route_class)];
  const int64_t limit = pc.limit.load(std::memory_order_relaxed);
  int64_t now = pc.inflight.fetch_add(1, std::memory_order_acq_rel) + 1;
  if (now > limit) {
    pc.inflight.fetch_sub(1, std::memory_order_acq_rel);
    pc.rejected.fetch_add(1, std::memory_order_relaxed);
    if (pc.rejected_counter) pc.rejected_counter->Inc();
    std::string_view name = RouteClassName(options.route_class);
    WriteApiError(res, 503, "unavailable",
                  "server overloaded: " + std::to_string(limit) + " " + std::string(name) +
                      " requests in flight (http.max_inflight_" + std::string(name) + "); retry later");
    res.headers.emplace_back("Retry-After", "1");
    return false;
  }
  if (pc.inflight_gauge) pc.inflight_gauge->Add(1);
  return true;
}

void AdmissionGuard::Done(const RouteOptions& options) {
  PerClass& pc = classes_[Index(options.route_class)];
  pc.inflight.fetch_sub(1, std::memory_order_acq_rel);
  if (pc.inflight_gauge) pc.inflight_gauge->Add(-1);
}

Status AdmissionGuard::CheckLimits(const AdmissionLimits& limits) {
  if (limits.max_inflight_ingest < 1 || limits.max_inflight_query < 1 || limits.max_inflight_other < 1) {
    return InvalidArgument("http.max_inflight_ingest, _query and _other must be at least 1");
  }
  return Status::Ok();
}

Status AdmissionGuard::SetLimits(const AdmissionLimits& limits) {
  PW_RETURN_IF_ERROR(CheckLimits(limits));
  const std::pair<RouteClass, int64_t> values[] = {{RouteClass::kIngest, limits.max_inflight_ingest},
                                                   {RouteClass::kQuery, limits.max_inflight_query},
                                                   {RouteClass::kOther, limits.max_inflight_other}};
  for (const auto& v : values) {
    PerClass& pc = classes_[Index(v.first)];
    pc.limit.store(v.second, std::memory_order_relaxed);
    if (pc.limit_gauge) pc.limit_gauge->Set(static_cast<double>(v.second));
  }
  return Status::Ok();
}

int64_t AdmissionGuard::limit(RouteClass c) const { return classes_[Index(c)].limit.load(std::memory_order_relaxed); }

int64_t AdmissionGuard::inflight(RouteClass c) const {
  return classes_[Index(c)].inflight.load(std::memory_order_acquire);
}

uint64_t AdmissionGuard::rejected(RouteClass c) const {
  return classes_[Index(c)].rejected.load(std::memory_order_relaxed);
}

}  // namespace perfwatch::http
