// libFuzzer target for the CSV input of `perfwatch changepoints`: arbitrary bytes with
// each column choice must parse or fail cleanly; a parsed series has only finite values,
// as many times as values (or none), and the detector runs on it without a crash.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "analysis/changepoint.h"
#include "analysis/changepoint_csv.h"

using namespace perfwatch::analysis;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  static constexpr std::string_view kColumns[][2] = {{"", ""}, {"2", "1"}, {"value", "time"}, {"1", "none"}};
  for (const auto& cols : kColumns) {
    auto r = ParseSeriesCsv(text, cols[0], cols[1]);
    if (!r.ok()) continue;
    if (r->values.empty()) std::abort();
    if (!r->times.empty() && r->times.size() != r->values.size()) std::abort();
    for (double v : r->values) {
      if (!std::isfinite(v)) std::abort();
    }
    if (r->values.size() <= 2000) {
      ChangepointOptions o;
      o.min_segment = 3;
      o.window = 12;
      for (const Changepoint& c : DetectChangepoints(r->values, o)) {
        if (c.index == 0 || c.index >= r->values.size()) std::abort();
      }
    }
  }
  return 0;
}
