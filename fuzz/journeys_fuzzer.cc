// libFuzzer target for the journeys funnel (analysis/journeys.h): arbitrary bytes as a
// journey event's attrs_json (outcome, target, steps), added a few times with times either
// side of the abandonment timeout. Checks: nothing crashes; started = completed + failed +
// abandoned + in_progress; rates and drop-offs within [0, 1]; no step reached by more
// journeys than ended; p50 <= p75.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "analysis/journeys.h"

using namespace perfwatch::analysis;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  constexpr int64_t kNow = 1'700'000'000'000, kTimeout = 1'800'000;
  JourneyAccumulator acc(kNow, kTimeout);
  acc.Add("shop", "checkout", kNow, 1000, text);
  acc.Add("shop", "checkout", kNow - 2 * kTimeout, static_cast<double>(size), text);
  acc.Add("shop", "checkout", kNow - kTimeout, -1, text);
  for (const JourneyReport& r : acc.Finish()) {
    if (r.started != r.completed + r.failed + r.abandoned + r.in_progress) std::abort();
    const uint64_t ended = r.completed + r.failed + r.abandoned;
    if (r.completion_rate && !(*r.completion_rate >= 0 && *r.completion_rate <= 1)) std::abort();
    if (r.over_target_ratio && !(*r.over_target_ratio >= 0 && *r.over_target_ratio <= 1)) std::abort();
    if (r.p50 && r.p75 && !(*r.p50 <= *r.p75)) std::abort();
    for (const JourneyStepReport& s : r.steps) {
      if (s.reached == 0 || s.reached > ended || !(s.drop_off >= 0 && s.drop_off <= 1)) std::abort();
    }
  }
  return 0;
}
