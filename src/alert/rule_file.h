#pragma once
// Prometheus rule files as they are (rulefmt in Prometheus 2.42, plus `query_offset` from
// later versions): `groups` with `name`, `interval`, `limit`, `query_offset`, and rules that
// are either alerting (`alert`, `expr`, `for`, `keep_firing_for`, `labels`, `annotations`)
// or recording (`record`, `expr`, `labels`). Validation is promtool's: group names unique
// per file, each rule exactly one of alert/record, `expr` parses as PromQL, recording rule
// names are valid metric names, label names valid, `for`/`annotations`/`keep_firing_for`
// only on alerting rules, label and annotation templates parse (template.h).
// Errors carry "FILE:LINE:COL: reason" (or "FILE: reason" when no position is known).
//
// Thread safety: pure functions.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "alert/alert.h"
#include "common/status.h"

namespace perfwatch::alert {

struct RuleSpec {
  std::string alert;   // alerting rule name; empty for a recording rule
  std::string record;  // recording rule's metric name; empty for an alerting rule
  std::string expr;
  int64_t for_ms = 0;
  int64_t keep_firing_for_ms = 0;
  // In file order (templates; not yet expanded). Label values may be templates too.
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<std::pair<std::string, std::string>> annotations;
  int line = 0;  // 1-based line of the rule's first key

  bool is_alerting() const { return !alert.empty(); }
  const std::string& name() const { return is_alerting() ? alert : record; }
};

struct RuleGroupSpec {
  std::string file;  // the path as given
  std::string name;
  int64_t interval_ms = 0;      // 0: the global evaluation_interval
  int64_t limit = 0;            // 0: no limit on alerts / series a rule may produce
  int64_t query_offset_ms = -1;  // -1: not set (the global rule_query_offset, default 0)
  std::vector<RuleSpec> rules;
  int line = 0;
};

// Parses and validates one rule file's text. Every problem found is reported (not only
// the first), one per line of the error message, each "FILE:LINE:COL: ..." or "FILE: ...".
Result<std::vector<RuleGroupSpec>> ParseRuleFile(std::string_view content, const std::string& filename);

// Reads and parses a file (errors as above; an unreadable file: "FILE: open: reason").
Result<std::vector<RuleGroupSpec>> LoadRuleFile(const std::string& path);

// Loads every file; the groups of all of them in order, or every file's errors together.
Result<std::vector<RuleGroupSpec>> LoadRuleFiles(const std::vector<std::string>& paths);

// Prometheus' model.Duration syntax as rule files use it: units y w d h m s ms, each at
// most once and in that order ("1h30m", "90s", "0" alone without a unit; no fractions,
// no sign). Errors are Prometheus' messages: `not a valid duration string: "1.5m"`,
// "empty duration string", "duration out of range" (beyond Go's int64 nanoseconds).
Result<int64_t> ParsePromDuration(std::string_view text);

// Expands `rule_files` globs (relative patterns resolved against `base_dir`) into the
// sorted list of matching files; a pattern that matches nothing is not an error
// (Prometheus' behaviour), a malformed pattern is.
Result<std::vector<std::string>> ExpandRuleFileGlobs(const std::vector<std::string>& patterns,
                                                     const std::string& base_dir);

}  // namespace perfwatch::alert
