#pragma once
// `perfwatch budget check`: checks perfwatch-budget.json (budget/budget_file.h) against
// Lighthouse reports (--lighthouse DIR|FILE..., runs of a URL aggregated by the median as
// Lighthouse CI does), a build folder (--bundles DIR) and a server's field data and score
// (--server URL --app NAME); compares with a stored baseline run (--baseline REF) and
// uploads the run (--upload) through /api/v1/budget-runs. Prints a table or the result
// JSON, writes JUnit XML and Markdown on request. Exit 0 within budget (skipped results
// allowed), 1 over budget, 2 bad input or an unusable server, each with a one-line reason.
// docs/budgets.md has the whole contract.
// Thread safety: runs on the main thread only.
#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

namespace perfwatch::cli {

struct BudgetCheckFlags {
  std::string budget = "perfwatch-budget.json";
  std::vector<std::string> lighthouse;
  std::string aggregate = "median";  // median, median-run
  std::string bundles;
  std::string server, app;
  std::optional<std::string> token;  // default $PERFWATCH_TOKEN
  std::string format = "table";      // table, json
  std::string junit, markdown;
  std::string baseline;
  bool upload = false;
  std::optional<std::string> commit, branch, build_id;  // default: CI env vars, then git
};

// Adds `budget` with its `check` subcommand; returns `check`.
CLI::App* AddBudgetCommand(CLI::App& app, BudgetCheckFlags& flags);
int RunBudgetCheck(const BudgetCheckFlags& flags);

}  // namespace perfwatch::cli
