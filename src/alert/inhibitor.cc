#include "alert/inhibitor.h"

namespace perfwatch::alert {

std::optional<uint64_t> Inhibitor::InhibitedBy(const LabelSet& labels, const AlertStore& store,
                                               int64_t now_ms) const {
  for (const InhibitRule& rule : rules_) {
    if (!MatchesAll(rule.target_matchers, labels)) continue;
    const bool exclude_two_sided = MatchesAll(rule.source_matchers, labels);
    for (const auto& [fp, source] : store.alerts()) {
      if (source.ResolvedAt(now_ms)) continue;
      if (!MatchesAll(rule.source_matchers, source.labels)) continue;
      bool equal = true;
      for (const std::string& name : rule.equal) {
        if (GetLabel(source.labels, name) != GetLabel(labels, name)) {
          equal = false;
          break;
        }
      }
      if (!equal) continue;
      if (exclude_two_sided && MatchesAll(rule.target_matchers, source.labels)) continue;
      return fp;
    }
  }
  return std::nullopt;
}

}  // namespace perfwatch::alert
