// libFuzzer target for the OTLP JSON decoder (ingest/otlp/otlp_json.h). The first input
// byte picks the request type (mod 3: traces, metrics, logs), the rest is the body. Any
// input must give OK or kInvalidArgument "otlp json: ..." and an empty model; an accepted
// request must satisfy otlp_fuzz_check.h. Limits are lowered so that the fuzzer reaches
// them. One decoder serves all inputs, as one serves all requests of an HTTP worker.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ingest/otlp/otlp_json.h"
#include "otlp_fuzz_check.h"

using namespace perfwatch;
using namespace perfwatch::ingest::otlp;
using fuzzing::Check;

namespace {

template <typename Request, typename Fn>
void Run(std::string_view body, Fn decode) {
  Request out;
  Status s = decode(body, &out);
  if (!s.ok()) {
    Check(s.code() == StatusCode::kInvalidArgument);
    Check(s.message().rfind("otlp json: ", 0) == 0);
    Check(out == Request{});
    return;
  }
  fuzzing::CheckModel(out);
}

JsonDecoder& Decoder() {
  static JsonDecoder* decoder = [] {
    DecodeLimits limits;
    limits.max_items = 4096;
    limits.max_any_value_depth = 8;
    return new JsonDecoder(limits);
  }();
  return *decoder;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  JsonDecoder& d = Decoder();
  switch (data[0] % 3) {
    case 0:
      Run<TracesRequest>(body, [&](std::string_view b, TracesRequest* o) { return d.DecodeTraces(b, o); });
      break;
    case 1:
      Run<MetricsRequest>(body, [&](std::string_view b, MetricsRequest* o) { return d.DecodeMetrics(b, o); });
      break;
    default:
      Run<LogsRequest>(body, [&](std::string_view b, LogsRequest* o) { return d.DecodeLogs(b, o); });
      break;
  }
  return 0;
}
