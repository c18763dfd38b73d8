// libFuzzer target for the OTLP protobuf decoders (ingest/otlp/otlp_proto.h). The first
// input byte picks the request type (mod 3: traces, metrics, logs), the rest is the body.
// Any input must give OK or kInvalidArgument "otlp protobuf: ... at byte N" with N inside
// the body and an empty model; an accepted request must satisfy otlp_fuzz_check.h (valid
// UTF-8, array/kvlist values valid JSON, one data point vector per metric). Limits are
// lowered (items, AnyValue depth) so that the fuzzer reaches them.
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ingest/otlp/otlp_proto.h"
#include "otlp_fuzz_check.h"

using namespace perfwatch;
using namespace perfwatch::ingest::otlp;
using fuzzing::Check;

namespace {

void CheckError(const Status& s, size_t body_size) {
  Check(s.code() == StatusCode::kInvalidArgument);
  const std::string& m = s.message();
  Check(m.rfind("otlp protobuf: ", 0) == 0);
  const size_t at = m.rfind(" at byte ");
  Check(at != std::string::npos);
  size_t offset = 0;
  auto [p, ec] = std::from_chars(m.data() + at + 9, m.data() + m.size(), offset);
  Check(ec == std::errc() && p == m.data() + m.size() && offset <= body_size);
}

template <typename Request, typename Fn>
void Run(std::string_view body, Fn decode) {
  DecodeLimits limits;
  limits.max_items = 4096;
  limits.max_any_value_depth = 8;
  Request out;
  Status s = decode(body, &out, limits);
  if (!s.ok()) {
    CheckError(s, body.size());
    Check(out == Request{});
    return;
  }
  fuzzing::CheckModel(out);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      Run<TracesRequest>(body, DecodeTracesProto);
      break;
    case 1:
      Run<MetricsRequest>(body, DecodeMetricsProto);
      break;
    default:
      Run<LogsRequest>(body, DecodeLogsProto);
      break;
  }
  return 0;
}
