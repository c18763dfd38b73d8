#pragma once
// The persisted state of alerting rules: every alert (pending, firing, and resolved ones
// still retained) and the flap histories of every alerting rule, written to one JSON file atomically, read on
// start so alerts survive a restart with their original activeAt / startsAt.
// Format: docs/format/rule-state.md. Thread safety: pure functions over their arguments.
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "alert/rule_group.h"
#include "common/status.h"

namespace perfwatch::alert {

// Identifies a rule across restarts and reloads: group file and name, rule name and its
// configured labels. Rules sharing a key are told apart by their order in the group.
std::string RuleStateKey(const RuleGroup& group, const Rule& rule);

// One rule's saved state: its alerts and its flap histories.
struct SavedRule {
  std::vector<RuleAlert> alerts;
  std::vector<FlapRecord> flaps;
};
// key -> one entry per rule with that key, in group order.
using SavedRuleState = std::map<std::string, std::vector<SavedRule>>;

Status WriteRuleState(const std::filesystem::path& path, const std::vector<std::shared_ptr<RuleGroup>>& groups);
// NotFound when the file does not exist; InvalidArgument when it cannot be parsed.
Result<SavedRuleState> ReadRuleState(const std::filesystem::path& path);

}  // namespace perfwatch::alert
