// libFuzzer target for alert::ParseRuleFile. Any input must give groups or an
// InvalidArgument whose every line starts with the file name (never a crash, an escaped
// exception, unbounded recursion or alias blow-up). Accepted groups must satisfy what the
// validation promises: each rule exactly one of alert/record, a non-empty expr, recording
// rules without `for`, `keep_firing_for` or annotations, group names unique and non-empty.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "alert/rule_file.h"

using namespace perfwatch;
using namespace perfwatch::alert;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

constexpr std::string_view kFile = "fuzz.yml";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  std::string input(reinterpret_cast<const char*>(data), size);
  Result<std::vector<RuleGroupSpec>> r = ParseRuleFile(input, std::string(kFile));
  if (!r.ok()) {
    Check(r.status().code() == StatusCode::kInvalidArgument);
    const std::string& m = r.status().message();
    size_t start = 0;
    while (start <= m.size()) {
      size_t end = m.find('\n', start);
      if (end == std::string::npos) end = m.size();
      Check(m.compare(start, kFile.size() + 1, std::string(kFile) + ":") == 0);
      start = end + 1;
    }
    return 0;
  }
  std::set<std::string> names;
  for (const RuleGroupSpec& g : *r) {
    Check(!g.name.empty() && names.insert(g.name).second);
    Check(g.file == kFile);
    Check(g.interval_ms >= 0 && g.query_offset_ms >= -1);
    for (const RuleSpec& rule : g.rules) {
      Check(rule.alert.empty() != rule.record.empty());
      Check(!rule.expr.empty());
      Check(rule.for_ms >= 0 && rule.keep_firing_for_ms >= 0);
      if (!rule.is_alerting()) {
        Check(rule.for_ms == 0 && rule.keep_firing_for_ms == 0 && rule.annotations.empty());
      }
    }
  }
  return 0;
}
