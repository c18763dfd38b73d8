#pragma once
// Which rule group this thread is evaluating, if any: set by RuleGroup::Eval for the
// duration of an evaluation so the append observer (rule_manager.cc) can tell a rule's
// own output from new data. Thread safety: thread-local.
#include <cstddef>

namespace perfwatch::alert {

class RuleGroup;

struct EvalScope {
  const RuleGroup* group = nullptr;  // null: not evaluating
  size_t rule_index = 0;             // the rule being evaluated
  bool all = false;                  // an interval evaluation (every rule, in order)
};

const EvalScope& CurrentEvalScope();

}  // namespace perfwatch::alert
