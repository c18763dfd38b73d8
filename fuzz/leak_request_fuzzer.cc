// libFuzzer target for the body of POST /api/v1/analysis/leak: arbitrary bytes must parse
// or fail cleanly; a parsed request has as many ascending timestamps as finite values and
// valid options, and the detector runs on it without a crash, reporting a known severity.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "analysis/leak.h"
#include "analysis/leak_api.h"

using namespace perfwatch::analysis;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto r = ParseLeakRequest(body);
  if (!r.ok()) return 0;
  if (r->t_ms.size() != r->values.size()) std::abort();
  for (size_t i = 0; i < r->values.size(); ++i) {
    if (!std::isfinite(r->values[i])) std::abort();
    if (i && r->t_ms[i] <= r->t_ms[i - 1]) std::abort();
  }
  if (!ValidateLeakOptions(r->options).ok()) std::abort();
  if (r->values.size() <= 5000) {
    LeakResult res = DetectLeak(r->t_ms, r->values, r->options);
    if (res.samples != r->values.size()) std::abort();
    if (res.leaking != (res.severity != LeakSeverity::kNone)) std::abort();
    (void)RenderLeakFields(res);
  }
  return 0;
}
