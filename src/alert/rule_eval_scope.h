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
  // An event-driven evaluation that only other rules' output caused: what it writes does
  // not trigger further groups, so groups reading each other's output (two groups
  // alerting on ALERTS) cannot keep each other busy; interval evaluations pass it on.
  bool derived = false;
};

const EvalScope& CurrentEvalScope();

}  // namespace perfwatch::alert
