// libFuzzer target for alert::CompileAlertForms (the `alerts:` section: threshold,
// vitals_budget, slo, defaults). Any input must give rule groups or an InvalidArgument
// naming where the problem is ("line N: alerts..." or "alerts...") — never a crash or an
// escaped exception. Whatever compiles must be loadable as it is: every group builds
// (RuleGroup::Create parses each generated expression and template), group names are the
// four fixed ones, the file is "<file>#alerts", every SLO has its recording rules.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>

#include "alert/rule_forms.h"
#include "alert/rule_group.h"

using namespace perfwatch;
using namespace perfwatch::alert;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  std::string input(reinterpret_cast<const char*>(data), size);
  Result<AlertForms> r = CompileAlertForms(input, "fuzz.yml");
  if (!r.ok()) {
    Check(r.status().code() == StatusCode::kInvalidArgument);
    const std::string& m = r.status().message();
    Check(m.rfind("line ", 0) == 0 || m.rfind("alerts", 0) == 0);
    return 0;
  }
  const std::set<std::string> names = {std::string(kThresholdGroup), std::string(kVitalsBudgetGroup),
                                       std::string(kSloGroup), std::string(kDefaultsGroup)};
  std::set<std::string> seen;
  size_t records = 0;
  for (const RuleGroupSpec& g : r->groups) {
    Check(names.count(g.name) == 1 && seen.insert(g.name).second);
    Check(g.file == "fuzz.yml#alerts");
    Check(!g.rules.empty());
    Check(RuleGroup::Create(g, 60'000, 0).ok());
    for (const RuleSpec& rule : g.rules) records += !rule.is_alerting();
  }
  Check(records >= r->slos.size() * 8);  // seven burn windows and the budget, at least
  Check(seen.count(std::string(kDefaultsGroup)) == (r->defaults ? 1u : 0u));
  return 0;
}
