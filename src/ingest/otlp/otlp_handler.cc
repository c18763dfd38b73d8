#include "ingest/otlp/otlp_handler.h"

#include <algorithm>
#include <memory>

#include "common/json_writer.h"
#include "ingest/otlp/otlp_json.h"
#include "ingest/otlp/otlp_proto.h"
#include "ingest/scrape/scrape_gzip.h"

namespace perfwatch::ingest::otlp {
namespace {

constexpr std::string_view kProtobufType = "application/x-protobuf";
constexpr std::string_view kJsonType = "application/json";

// google.rpc.Code values (the specification leaves Status.code to the server; these are
// the gRPC codes the Collector's receiver would use for the same HTTP status).
constexpr int32_t kCodeInvalidArgument = 3;
constexpr int32_t kCodeResourceExhausted = 8;
constexpr int32_t kCodeInternal = 13;
constexpr int32_t kCodeUnavailable = 14;

enum Encoding { kProtobuf = 0, kJson = 1, kUnknownEncoding = 2 };
constexpr std::array<std::string_view, 3> kEncodingNames = {"protobuf", "json", "unknown"};
constexpr std::array<std::string_view, 3> kSignalNames = {"traces", "metrics", "logs"};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The media type of a Content-Type header: before any ';', trimmed.
Encoding EncodingOf(std::string_view content_type) {
  std::string_view media = Trim(content_type.substr(0, content_type.find(';')));
  if (EqualsIgnoreCase(media, kProtobufType)) return kProtobuf;
  if (EqualsIgnoreCase(media, kJsonType)) return kJson;
  return kUnknownEncoding;
}

// Messages go into a proto3 string (must be UTF-8) and JSON: keep printable ASCII, so a
// header echoed in a message cannot make the answer invalid.
std::string SafeMessage(std::string_view message) {
  std::string out(message);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  return out;
}

void AppendVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void AppendTag(std::string& out, uint32_t field, uint32_t wire_type) { AppendVarint(out, (field << 3) | wire_type); }

void AppendLengthDelimited(std::string& out, uint32_t field, std::string_view bytes) {
  AppendTag(out, field, 2);
  AppendVarint(out, bytes.size());
  out.append(bytes);
}

// The per-signal parts of the handler.
struct TracesTraits {
  using Request = TracesRequest;
  static constexpr OtlpSignal kSignal = OtlpSignal::kTraces;
  static constexpr std::string_view kRejectedField = "rejectedSpans";
  static constexpr std::string_view kItems = "spans";
  static const auto& Sink(const OtlpSinks& s) { return s.traces; }
  static size_t Count(const Request& r) { return r.span_count(); }
  static Status DecodeProto(std::string_view body, Request* out) { return DecodeTracesProto(body, out); }
  static Status DecodeJson(JsonDecoder& d, std::string_view body, Request* out) { return d.DecodeTraces(body, out); }
};
struct MetricsTraits {
  using Request = MetricsRequest;
  static constexpr OtlpSignal kSignal = OtlpSignal::kMetrics;
  static constexpr std::string_view kRejectedField = "rejectedDataPoints";
  static constexpr std::string_view kItems = "data points";
  static const auto& Sink(const OtlpSinks& s) { return s.metrics; }
  static size_t Count(const Request& r) { return r.data_point_count(); }
  static Status DecodeProto(std::string_view body, Request* out) { return DecodeMetricsProto(body, out); }
  static Status DecodeJson(JsonDecoder& d, std::string_view body, Request* out) { return d.DecodeMetrics(body, out); }
};
struct LogsTraits {
  using Request = LogsRequest;
  static constexpr OtlpSignal kSignal = OtlpSignal::kLogs;
  static constexpr std::string_view kRejectedField = "rejectedLogRecords";
  static constexpr std::string_view kItems = "log records";
  static const auto& Sink(const OtlpSinks& s) { return s.logs; }
  static size_t Count(const Request& r) { return r.log_record_count(); }
  static Status DecodeProto(std::string_view body, Request* out) { return DecodeLogsProto(body, out); }
  static Status DecodeJson(JsonDecoder& d, std::string_view body, Request* out) { return d.DecodeLogs(body, out); }
};

// Per-thread scratch: the JSON decoder (not thread-safe, reuses its buffers) and the
// buffer gzip bodies are inflated into.
struct Scratch {
  JsonDecoder json;
  std::string inflated;
};
Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

// A 4xx/5xx answer: google.rpc.Status in the request's encoding (JSON when unknown).
void WriteStatus(http::Response& res, Encoding encoding, int http_status, int32_t code, std::string_view message) {
  res.status = http_status;
  if (encoding == kProtobuf) {
    res.content_type = std::string(kProtobufType);
    res.body = EncodeStatusProto(code, message);
  } else {
    res.content_type = std::string(kJsonType);
    res.body = EncodeStatusJson(code, message);
  }
  if (http_status == 429 || http_status == 503) res.headers.emplace_back("Retry-After", "1");
}

}  // namespace

std::string EncodeExportResponseProto(const OtlpPartial& partial) {
  if (partial.rejected == 0 && partial.message.empty()) return {};
  std::string inner;
  if (partial.rejected != 0) {
    AppendTag(inner, 1, 0);
    AppendVarint(inner, static_cast<uint64_t>(partial.rejected));  // int64: two's complement
  }
  if (!partial.message.empty()) AppendLengthDelimited(inner, 2, SafeMessage(partial.message));
  std::string out;
  AppendLengthDelimited(out, 1, inner);
  return out;
}

std::string EncodeExportResponseJson(const OtlpPartial& partial, std::string_view rejected_field) {
  if (partial.rejected == 0 && partial.message.empty()) return "{}";
  std::string out = R"({"partialSuccess":{)";
  if (partial.rejected != 0) {
    out += '"';
    out += rejected_field;
    out += R"(":")";
    out += std::to_string(partial.rejected);
    out += '"';
  }
  if (!partial.message.empty()) {
    if (partial.rejected != 0) out += ',';
    out += R"("errorMessage":)";
    AppendJsonString(out, SafeMessage(partial.message));
  }
  out += "}}";
  return out;
}

std::string EncodeStatusProto(int32_t code, std::string_view message) {
  std::string out;
  if (code != 0) {
    AppendTag(out, 1, 0);
    AppendVarint(out, static_cast<uint64_t>(static_cast<int64_t>(code)));  // int32: sign-extended
  }
  if (!message.empty()) AppendLengthDelimited(out, 2, SafeMessage(message));
  return out;
}

std::string EncodeStatusJson(int32_t code, std::string_view message) {
  std::string out = R"({"code":)";
  out += std::to_string(code);
  out += R"(,"message":)";
  AppendJsonString(out, SafeMessage(message));
  out += '}';
  return out;
}

OtlpReceiver::OtlpReceiver(const OtlpConfig& config, OtlpSinks sinks, MetricsRegistry* metrics)
    : max_body_bytes_(config.max_body_bytes), sinks_(std::move(sinks)), metrics_(metrics) {
  constexpr std::array<std::string_view, 3> kItemNames = {"spans", "data_points", "log_records"};
  constexpr std::array<std::string_view, 3> kItemHelp = {"spans", "data points", "log records"};
  for (size_t i = 0; i < 3; ++i) {
    const std::string items(kItemNames[i]);
    signal_metrics_[i].items_received = metrics_->GetCounter(
        "perfwatch_otlp_" + items + "_received_total",
        "OTLP " + std::string(kItemHelp[i]) + " in requests that decoded, handed to storage.");
    signal_metrics_[i].items_rejected = metrics_->GetCounter(
        "perfwatch_otlp_" + items + "_rejected_total",
        "OTLP " + std::string(kItemHelp[i]) +
            " decoded but not accepted: rejected in a partial success, or all of a request storage failed.");
  }
  // Every (signal, encoding, code) the handler can answer exists from the start (at 0), so
  // rate() sees the first request of each.
  for (size_t sig = 0; sig < 3; ++sig) {
    for (size_t enc = 0; enc < 3; ++enc) {
      for (size_t c = 0; c < kAnsweredCodes.size(); ++c) {
        if (enc == kUnknownEncoding && kAnsweredCodes[c] != 415) continue;  // only 415 has no encoding
        request_counters_[(sig * 3 + enc) * kAnsweredCodes.size() + c] = metrics_->GetCounter(
            "perfwatch_otlp_requests_total",
            "OTLP/HTTP export requests answered by the receiver, by signal, encoding (protobuf, json, "
            "unknown) and HTTP status code.",
            {{"signal", std::string(kSignalNames[sig])},
             {"encoding", std::string(kEncodingNames[enc])},
             {"code", std::to_string(kAnsweredCodes[c])}});
      }
    }
  }
}

bool OtlpReceiver::serves_any() const {
  return static_cast<bool>(sinks_.traces) || static_cast<bool>(sinks_.metrics) || static_cast<bool>(sinks_.logs);
}

void OtlpReceiver::Register(http::Router& router) {
  auto add = [&](std::string path, OtlpSignal signal) {
    router.Handle(
        "POST", std::move(path),
        [this, signal](const http::Request& req, http::Response& res) { Handle(signal, req, res); },
        http::RouteOptions{.scope = http::Scope::kIngest, .route_class = http::RouteClass::kIngest});
  };
  if (sinks_.traces) add("/v1/traces", OtlpSignal::kTraces);
  if (sinks_.metrics) add("/v1/metrics", OtlpSignal::kMetrics);
  if (sinks_.logs) add("/v1/logs", OtlpSignal::kLogs);
}

void OtlpReceiver::Handle(OtlpSignal signal, const http::Request& req, http::Response& res) {
  switch (signal) {
    case OtlpSignal::kTraces:
      return HandleSignal<TracesTraits>(req, res);
    case OtlpSignal::kMetrics:
      return HandleSignal<MetricsTraits>(req, res);
    case OtlpSignal::kLogs:
      return HandleSignal<LogsTraits>(req, res);
  }
}

void OtlpReceiver::CountRequest(OtlpSignal signal, int encoding, int status) {
  size_t code_index = 0;
  while (code_index < kAnsweredCodes.size() && kAnsweredCodes[code_index] != status) ++code_index;
  if (code_index == kAnsweredCodes.size()) code_index = kAnsweredCodes.size() - 1;  // not reached: 500
  Counter* c = request_counters_[(static_cast<size_t>(signal) * 3 + encoding) * kAnsweredCodes.size() + code_index];
  if (c != nullptr) c->Inc();
}

template <typename Traits>
void OtlpReceiver::HandleSignal(const http::Request& req, http::Response& res) {
  const OtlpSignal signal = Traits::kSignal;
  const SignalMetrics& counters = signal_metrics_[static_cast<size_t>(signal)];
  const Encoding encoding = EncodingOf(req.Header("Content-Type"));
  auto fail = [&](int http_status, int32_t code, std::string_view message) {
    WriteStatus(res, encoding, http_status, code, message);
    CountRequest(signal, encoding, http_status);
  };
  if (encoding == kUnknownEncoding) {
    return fail(415, kCodeInvalidArgument,
                "unsupported Content-Type \"" + std::string(req.Header("Content-Type")) +
                    "\": OTLP/HTTP takes application/x-protobuf or application/json");
  }
  Scratch& scratch = ThreadScratch();
  const size_t max_body_bytes = max_body_bytes_.load(std::memory_order_relaxed);
  std::string_view body = req.body;
  const std::string_view content_encoding = Trim(req.Header("Content-Encoding"));
  if (EqualsIgnoreCase(content_encoding, "gzip")) {
    Status s = Gunzip(req.body, max_body_bytes, &scratch.inflated);
    if (!s.ok()) {
      scratch.inflated.clear();
      if (s.code() == StatusCode::kResourceExhausted) {
        return fail(413, kCodeResourceExhausted,
                    "request body exceeds otlp.max_body_bytes (" + std::to_string(max_body_bytes) +
                        " bytes) after gzip decompression");
      }
      return fail(400, kCodeInvalidArgument, "bad gzip body: " + s.message());
    }
    body = scratch.inflated;
  } else if (!content_encoding.empty() && !EqualsIgnoreCase(content_encoding, "identity")) {
    return fail(415, kCodeInvalidArgument,
                "unsupported Content-Encoding \"" + std::string(content_encoding) + "\": OTLP/HTTP takes gzip or none");
  }
  if (body.size() > max_body_bytes) {
    return fail(413, kCodeResourceExhausted,
                "request body exceeds otlp.max_body_bytes (" + std::to_string(max_body_bytes) + " bytes)");
  }

  typename Traits::Request request;
  Status decoded = encoding == kProtobuf ? Traits::DecodeProto(body, &request)
                                         : Traits::DecodeJson(scratch.json, body, &request);
  if (scratch.inflated.capacity() > (size_t{4} << 20)) {
    std::string().swap(scratch.inflated);  // do not keep a huge buffer per thread
  } else {
    scratch.inflated.clear();
  }
  if (!decoded.ok()) return fail(400, kCodeInvalidArgument, decoded.message());

  const size_t items = Traits::Count(request);
  OtlpPartial partial;
  Status stored = Status::Ok();
  if (items > 0) {
    counters.items_received->Inc(items);
    stored = Traits::Sink(sinks_)(request, &partial);
  }
  if (!stored.ok()) {
    counters.items_rejected->Inc(items);
    const std::string message = "storing " + std::string(Traits::kItems) + " failed: " + stored.message();
    switch (stored.code()) {
      case StatusCode::kInvalidArgument:
        return fail(400, kCodeInvalidArgument, message);
      case StatusCode::kResourceExhausted:
        return fail(429, kCodeResourceExhausted, message);
      case StatusCode::kUnavailable:
      case StatusCode::kIo:
      case StatusCode::kDataLoss:
        return fail(503, kCodeUnavailable, message);
      default:
        return fail(500, kCodeInternal, message);
    }
  }
  if (partial.rejected < 0) partial.rejected = 0;
  if (partial.rejected > 0) {
    counters.items_rejected->Inc(static_cast<uint64_t>(std::min<int64_t>(partial.rejected, static_cast<int64_t>(items))));
  }
  res.status = 200;
  if (encoding == kProtobuf) {
    res.content_type = std::string(kProtobufType);
    res.body = EncodeExportResponseProto(partial);
  } else {
    res.content_type = std::string(kJsonType);
    res.body = EncodeExportResponseJson(partial, Traits::kRejectedField);
  }
  CountRequest(signal, encoding, 200);
}

}  // namespace perfwatch::ingest::otlp
