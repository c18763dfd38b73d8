// libFuzzer target for alert::ParseMatchers (Alertmanager's matcher syntax). Any input
// must give matchers or kInvalidArgument, never a crash or an exception. Accepted
// matchers must print (MatchersToString) to text that parses again to the same matchers,
// and matching must work on any label value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "alert/am_config.h"

using namespace perfwatch;
using namespace perfwatch::alert;

namespace {
void Check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;  // regex compilation cost grows with the input
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = ParseMatchers(text);
  if (!parsed.ok()) {
    Check(parsed.status().code() == StatusCode::kInvalidArgument);
    return 0;
  }
  const std::string printed = MatchersToString(*parsed);
  auto again = ParseMatchers(printed);
  // A value that is not valid UTF-8 after printing cannot exist (parsing checks it), so
  // the printed form must parse back to the same matchers.
  Check(again.ok());
  Check(again->size() == parsed->size());
  for (size_t i = 0; i < parsed->size(); ++i) {
    const Matcher& a = (*parsed)[i];
    const Matcher& b = (*again)[i];
    Check(a.name == b.name && a.type == b.type && a.value == b.value);
    (void)a.Matches(text);
    (void)a.Matches("");
  }
  Matchers sorted = *parsed;
  SortMatchers(sorted);
  LabelSet labels;
  for (const auto& m : sorted) labels.emplace_back(m.name, m.value);
  NormalizeLabelSet(labels);
  (void)MatchesAll(sorted, labels);
  return 0;
}
