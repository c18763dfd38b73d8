// libFuzzer target for the performance score: FindPageViewId over arbitrary attrs_json
// bytes (the result must be a piece of the input, never a nested key), and the scoring
// of arbitrary vital values (every score within [0, 100], opportunities adding up to
// 100 − score).
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "analysis/score.h"

using namespace perfwatch::analysis;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string_view id = FindPageViewId(text);
  if (!id.empty() && (id.data() < text.data() || id.data() + id.size() > text.data() + text.size())) std::abort();

  // Bytes as (view, page, device, vital, value) records of 11 bytes.
  ScoreAccumulator acc;
  const std::string pages[3] = {"/", "/a", "/b"};
  for (size_t i = 0; i + 11 <= size; i += 11) {
    const uint8_t* p = data + i;
    double value;
    std::memcpy(&value, p + 3, 8);
    const std::string key(1, static_cast<char>(p[0] % 8));  // "\0" ... "\7"; "\0" is a real key
    acc.Add(p[0] % 9 == 8 ? std::string_view() : std::string_view(key), pages[p[1] % 3],
            p[2] & 1 ? "mobile" : "desktop", static_cast<perfwatch::events::Vital>((p[2] >> 1) % 8), value);
  }
  const ScoreReport r = acc.Finish();
  if (r.score) {
    if (!(*r.score >= 0 && *r.score <= 100)) std::abort();
    double sum = 0;
    int64_t views = 0;
    for (const PageScore& ps : r.pages) {
      if (!(ps.score >= 0 && ps.score <= 100) || ps.views <= 0) std::abort();
      sum += ps.opportunity;
      views += ps.views;
    }
    if (views != r.views || std::fabs(sum - (100 - *r.score)) > 1e-6) std::abort();
  }
  return 0;
}
