#include "cli/rules_command.h"

#include <sys/stat.h>

#include <algorithm>
#include <sstream>

namespace perfwatch::cli {
namespace {

constexpr int kExitSuccess = 0;
constexpr int kExitFailure = 1;
constexpr int kExitLintError = 3;

struct LintSettings {
  bool duplicate_rules = false;
};

LintSettings ParseLintSettings(const std::string& text, std::FILE* out) {
  LintSettings s;
  std::stringstream in(text);
  std::string item;
  // As promtool: split on ',' (an empty option list is one empty, unknown item).
  do {
    item.clear();
    std::getline(in, item, ',');
    if (item == "all" || item == "duplicate-rules") {
      s.duplicate_rules = true;
    } else if (item != "none") {
      std::fprintf(out, "WARNING: unknown lint option %s\n", item.c_str());
    }
  } while (in.good());
  return s;
}

void PrintLines(std::FILE* f, const std::string& text) {
  std::fputs(text.c_str(), f);
  if (text.empty() || text.back() != '\n') std::fputc('\n', f);
}

}  // namespace

CLI::App* AddRulesCommand(CLI::App& app, RulesCheckFlags& flags) {
  CLI::App* rules =
      app.add_subcommand("rules", "work with Prometheus alerting and recording rule files");
  rules->require_subcommand(1);
  CLI::App* check = rules->add_subcommand(
      "check", "check that Prometheus rule files are valid (as `promtool check rules` does)");
  check->add_option("files", flags.files, "the rule files to check")->required();
  check->add_option(
      "--lint", flags.lint,
      "linting checks to apply: all, duplicate-rules, none (default duplicate-rules)");
  check->add_flag("--lint-fatal", flags.lint_fatal, "make lint errors exit with exit code 3");
  check->footer(
      "Each file is reported as \"Checking FILE\" followed by \"  SUCCESS: N rules found\" or\n"
      "\"  FAILED:\" and one error per line (FILE:LINE:COL: reason).\n"
      "Exit status: 0 all files valid (lint findings only warn unless --lint-fatal),\n"
      "1 a file is invalid or missing, 3 lint findings with --lint-fatal.\n"
      "File format and checks: docs/rules.md.");
  return check;
}

std::vector<DuplicateRule> FindDuplicateRules(const std::vector<alert::RuleGroupSpec>& groups) {
  std::vector<DuplicateRule> rules;
  for (const auto& g : groups) {
    for (const auto& r : g.rules) {
      DuplicateRule d{r.name(), r.labels};
      // labels.FromMap: one value per name (the file's last), sorted by name.
      std::stable_sort(d.labels.begin(), d.labels.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      for (size_t i = 0; i + 1 < d.labels.size();) {
        if (d.labels[i].first == d.labels[i + 1].first) {
          d.labels.erase(d.labels.begin() + i);
        } else {
          ++i;
        }
      }
      rules.push_back(std::move(d));
    }
  }
  auto less = [](const DuplicateRule& a, const DuplicateRule& b) {
    if (a.metric != b.metric) return a.metric < b.metric;
    return a.labels < b.labels;
  };
  auto same = [](const DuplicateRule& a, const DuplicateRule& b) {
    return a.metric == b.metric && a.labels == b.labels;
  };
  std::sort(rules.begin(), rules.end(), less);
  std::vector<DuplicateRule> dups;
  for (size_t i = 1; i < rules.size(); ++i) {
    if (same(rules[i - 1], rules[i]) && (dups.empty() || !same(dups.back(), rules[i]))) {
      dups.push_back(rules[i]);
    }
  }
  return dups;
}

std::string FormatDuplicateRules(const std::vector<DuplicateRule>& dups) {
  std::string msg = "lint error " + std::to_string(dups.size()) + " duplicate rule(s) found.\n";
  for (const DuplicateRule& d : dups) {
    msg += "Metric: " + d.metric + "\nLabel(s):\n";
    for (const auto& [name, value] : d.labels) msg += "\t" + name + ": " + value + "\n";
  }
  msg += "Might cause inconsistency while recording expressions";
  return msg;
}

int RunRulesCheck(const RulesCheckFlags& flags, std::FILE* out, std::FILE* err) {
  // promtool refuses missing paths before checking anything.
  for (const std::string& f : flags.files) {
    struct stat st;
    if (::stat(f.c_str(), &st) != 0) {
      std::fprintf(err, "perfwatch: error: path '%s' does not exist, try --help\n", f.c_str());
      return kExitFailure;
    }
    if (S_ISDIR(st.st_mode)) {
      std::fprintf(err, "perfwatch: error: '%s' is a directory, try --help\n", f.c_str());
      return kExitFailure;
    }
  }
  const LintSettings lint = ParseLintSettings(flags.lint, out);
  bool failed = false, has_errors = false;
  for (const std::string& f : flags.files) {
    std::fprintf(out, "Checking %s\n", f.c_str());
    std::fflush(out);
    auto groups = alert::LoadRuleFile(f);
    std::string failure;
    if (!groups.ok()) {
      failure = groups.status().message();
      has_errors = true;
    } else if (lint.duplicate_rules) {
      auto dups = FindDuplicateRules(*groups);
      if (!dups.empty()) failure = FormatDuplicateRules(dups);
    }
    if (!failure.empty()) {
      failed = true;
      std::fputs("  FAILED:\n", err);
      PrintLines(err, failure);
      std::fflush(err);
    } else {
      size_t n = 0;
      for (const auto& g : *groups) n += g.rules.size();
      std::fprintf(out, "  SUCCESS: %zu rules found\n", n);
    }
    std::fputc('\n', out);
    std::fflush(out);
  }
  if (failed && has_errors) return kExitFailure;
  if (failed && flags.lint_fatal) return kExitLintError;
  return kExitSuccess;
}

}  // namespace perfwatch::cli
