#pragma once
// The OTLP/HTTP receiver: POST /v1/traces, /v1/metrics and /v1/logs as the OTLP
// specification (opentelemetry-proto docs/specification.md, "OTLP/HTTP") says. Decodes
// the request (otlp_proto.h / otlp_json.h) and hands the model to the caller's sink for
// its signal; the sink stores it (durably) before the request is acknowledged.
// Description of the answers: docs/otlp.md "Receiver".
//
// Contract:
// - Content-Type application/x-protobuf or application/json (parameters ignored, case-
//   insensitive); the answer has the request's Content-Type: the Export*ServiceResponse
//   message (binary or its JSON mapping) on 200, a google.rpc.Status on 4xx/5xx.
//   Another Content-Type -> 415 with a JSON Status.
// - Content-Encoding gzip (or identity / none); another -> 415. The body limit
//   (OtlpConfig::max_body_bytes) applies after decompression -> 413.
// - Undecodable data -> 400 (Status code 3 INVALID_ARGUMENT); the sink is not called,
//   nothing is written.
// - A request with no span / data point / log record -> 200 without calling the sink.
// - The sink's answer: OK -> 200 (partial success when OtlpPartial has a rejected count or
//   a message); kInvalidArgument -> 400; kResourceExhausted -> 429 + Retry-After;
//   kUnavailable, kIo, kDataLoss -> 503 + Retry-After (nothing acknowledged, retrying
//   helps); anything else -> 500. A sink must not acknowledge (return OK for) data it did
//   not keep; what it rejected it counts in OtlpPartial.
// - Routes have scope ingest and route class ingest (authentication, admission: the
//   router's guards); a signal whose sink is empty gets no route (404).
// - Counts perfwatch_otlp_requests_total{signal,encoding,code} and the received and
//   rejected spans, data points and log records (docs/api.md).
//
// Thread safety: the handlers run concurrently on any number of HTTP worker threads (each
// thread decodes with its own JSON decoder and buffers); sinks are called concurrently
// and must be thread-safe. Register() is called while building a router; the receiver
// must outlive every server whose router it registered on.
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/config.h"
#include "common/metrics.h"
#include "common/status.h"
#include "http/router.h"
#include "ingest/otlp/otlp_model.h"

namespace perfwatch::ingest::otlp {

// What a sink did not accept of an otherwise successful request (OTLP partial success):
// the number of spans / data points / log records it rejected and why (English, for the
// sender's logs). Left at {0, ""} for a full success; a message with 0 rejected is a warning.
struct OtlpPartial {
  int64_t rejected = 0;
  std::string message;
};

// Where decoded requests go. Empty function: that signal is not served.
struct OtlpSinks {
  std::function<Status(const TracesRequest&, OtlpPartial*)> traces;
  std::function<Status(const MetricsRequest&, OtlpPartial*)> metrics;
  std::function<Status(const LogsRequest&, OtlpPartial*)> logs;
};

enum class OtlpSignal : uint8_t { kTraces, kMetrics, kLogs };

class OtlpReceiver {
 public:
  // `metrics` must outlive the receiver.
  OtlpReceiver(const OtlpConfig& config, OtlpSinks sinks, MetricsRegistry* metrics);
  OtlpReceiver(const OtlpReceiver&) = delete;
  OtlpReceiver& operator=(const OtlpReceiver&) = delete;

  // Adds POST /v1/traces, /v1/metrics, /v1/logs for the signals that have a sink.
  void Register(http::Router& router);
  // True when at least one signal has a sink (Register adds a route).
  bool serves_any() const;

  void Handle(OtlpSignal signal, const http::Request& req, http::Response& res);
  // otlp.max_body_bytes at run time (a configuration reload): requests whose handler starts
  // from now on. (On otlp.listen's own server it is also the wire limit: Server::SetLimits.)
  void SetMaxBodyBytes(size_t max_body_bytes) { max_body_bytes_.store(max_body_bytes, std::memory_order_relaxed); }
  size_t max_body_bytes() const { return max_body_bytes_.load(std::memory_order_relaxed); }

 private:
  struct SignalMetrics {
    Counter* items_received = nullptr;
    Counter* items_rejected = nullptr;
  };
  template <typename Traits>
  void HandleSignal(const http::Request& req, http::Response& res);
  void CountRequest(OtlpSignal signal, int encoding, int status);

  // The HTTP status codes the handler answers with (index of perfwatch_otlp_requests_total).
  static constexpr std::array<int, 7> kAnsweredCodes = {200, 400, 413, 415, 429, 503, 500};

  std::atomic<size_t> max_body_bytes_;
  const OtlpSinks sinks_;
  MetricsRegistry* const metrics_;
  std::array<SignalMetrics, 3> signal_metrics_;
  // By (signal * 3 + encoding) * kAnsweredCodes.size() + code index; null for the
  // combinations that cannot happen.
  std::array<Counter*, 3 * 3 * kAnsweredCodes.size()> request_counters_{};
};

// ---- Wire helpers (exposed for tests) ----

// The binary Export{Trace,Metrics,Logs}ServiceResponse: empty for {0, ""}; otherwise
// field 1 (partial_success) holding field 1 (rejected_*, int64) and field 2
// (error_message), each only when not zero / empty, as protobuf writes proto3 fields.
std::string EncodeExportResponseProto(const OtlpPartial& partial);
// Its JSON mapping: {} or {"partialSuccess":{"rejectedSpans":"2","errorMessage":"..."}}
// (int64 as a decimal string; zero and empty fields left out). `rejected_field` is
// "rejectedSpans", "rejectedDataPoints" or "rejectedLogRecords".
std::string EncodeExportResponseJson(const OtlpPartial& partial, std::string_view rejected_field);
// google.rpc.Status{code, message}: binary (field 1 int32, field 2 string) or JSON
// {"code":3,"message":"..."}.
std::string EncodeStatusProto(int32_t code, std::string_view message);
std::string EncodeStatusJson(int32_t code, std::string_view message);

}  // namespace perfwatch::ingest::otlp
