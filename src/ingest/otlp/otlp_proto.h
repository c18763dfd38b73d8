#pragma once
// Decodes OTLP protobuf request bodies (Content-Type application/x-protobuf, already
// decompressed) into the model of otlp_model.h: ExportTraceServiceRequest,
// ExportMetricsServiceRequest and ExportLogsServiceRequest of opentelemetry-proto v1.x.
// The wire format is decoded by hand; details and limits: docs/otlp.md.
//
// Contract:
// - Unknown fields of every wire type (groups included, nested at most 32 deep) are
//   skipped; repeated scalars are accepted packed and unpacked; a message field that
//   appears twice is merged and a repeated one appended, as protobuf parsers do.
// - Errors are kInvalidArgument "otlp protobuf: <what> at byte N" (N counted from the
//   start of `body`): truncated or malformed wire data, a known field with the wrong wire
//   type, a string that is not UTF-8, an id of the wrong length, or a DecodeLimits limit.
//   No input makes these functions read outside `body` or crash.
// - `*out` is replaced: on success it holds the request, on error it is empty.
//
// Thread safety: free functions without shared state; call from any number of threads.
#include <string_view>

#include "common/status.h"
#include "ingest/otlp/otlp_model.h"

namespace perfwatch::ingest::otlp {

Status DecodeTracesProto(std::string_view body, TracesRequest* out,
                         const DecodeLimits& limits = {});
Status DecodeMetricsProto(std::string_view body, MetricsRequest* out,
                          const DecodeLimits& limits = {});
Status DecodeLogsProto(std::string_view body, LogsRequest* out, const DecodeLimits& limits = {});

}  // namespace perfwatch::ingest::otlp
