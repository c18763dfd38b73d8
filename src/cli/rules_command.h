#pragma once
// `perfwatch rules check FILE...`: validates Prometheus rule files as `promtool check rules`
// (Prometheus 2.42) does and prints the same report: per file "Checking FILE", then
// "  SUCCESS: N rules found" or "  FAILED:" and one error per line ("FILE:LINE:COL: ..."),
// then a blank line. Checking and SUCCESS lines go to stdout, FAILED and errors to stderr.
// The duplicate-rules lint (same alert/record name and labels twice) fails a file with
// promtool's message but exits 0 unless --lint-fatal (exit 3). Exit 1 when any file is
// invalid or missing.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "alert/rule_file.h"

namespace perfwatch::cli {

struct RulesCheckFlags {
  std::vector<std::string> files;
  std::string lint = "duplicate-rules";  // all, duplicate-rules, none (comma separated)
  bool lint_fatal = false;
};

// Adds `rules` (with its `check` subcommand) to `app`; returns the `check` subcommand.
CLI::App* AddRulesCommand(CLI::App& app, RulesCheckFlags& flags);

// Runs the check, writing the report to `out` / `err`. Returns the exit code.
int RunRulesCheck(const RulesCheckFlags& flags, std::FILE* out = stdout, std::FILE* err = stderr);

// A rule that appears more than once across the groups of one file: promtool's
// checkDuplicates (same alert or record name and the same labels, label order ignored).
struct DuplicateRule {
  std::string metric;
  std::vector<std::pair<std::string, std::string>> labels;  // sorted by name
};
std::vector<DuplicateRule> FindDuplicateRules(const std::vector<alert::RuleGroupSpec>& groups);

// promtool's lint message for `dups` (non-empty), several lines:
// "lint error N duplicate rule(s) found.\nMetric: ...\nLabel(s):\n\tname: value\n...".
std::string FormatDuplicateRules(const std::vector<DuplicateRule>& dups);

}  // namespace perfwatch::cli
