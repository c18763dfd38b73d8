#pragma once
// Decodes OTLP JSON request bodies (Content-Type application/json, already
// decompressed) into the model of otlp_model.h, following the OTLP/HTTP JSON mapping:
// the protobuf JSON mapping with trace and span ids as hex strings. Details and
// deviations: docs/otlp.md.
//
// Contract:
// - Field names in lowerCamelCase or in the proto's snake_case; unknown fields and
//   fields whose value is null are ignored.
// - Ids: hex (either case) of exactly 32 (trace) or 16 (span) digits, or "" (all zeros).
// - Enums as integers or as their names ("SPAN_KIND_SERVER"); 64-bit integers as JSON
//   numbers or decimal strings; doubles as numbers, numeric strings, "NaN", "Infinity",
//   "-Infinity"; bytes as base64 (standard or URL-safe alphabet, padding optional).
// - The same content decodes to the same model as the protobuf decoder, within the
//   same DecodeLimits (items counted the same way).
// - Errors are kInvalidArgument "otlp json: <path>: <what>", e.g.
//   "otlp json: resourceSpans[0].scopeSpans[0].spans[3].traceId: want 32 hex digits,
//   got 31 characters"; for malformed JSON, simdjson's description of the error.
// - `*out` is replaced: on success it holds the request, on error it is empty.
//
// Thread safety: a JsonDecoder is not thread-safe (it reuses its simdjson parser and
// buffers); use one per thread. Different decoders may be used concurrently.
#include <memory>
#include <string_view>

#include "common/status.h"
#include "ingest/otlp/otlp_model.h"

namespace perfwatch::ingest::otlp {

class JsonDecoder {
 public:
  explicit JsonDecoder(DecodeLimits limits = {});
  ~JsonDecoder();
  JsonDecoder(const JsonDecoder&) = delete;
  JsonDecoder& operator=(const JsonDecoder&) = delete;

  // `body` need not outlive the call; nothing in the result points into it.
  Status DecodeTraces(std::string_view body, TracesRequest* out);
  Status DecodeMetrics(std::string_view body, MetricsRequest* out);
  Status DecodeLogs(std::string_view body, LogsRequest* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace perfwatch::ingest::otlp
