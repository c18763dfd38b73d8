#pragma once
// `perfwatch check run TARGET` (docs/synthetic.md "From the command line"): runs synthetic
// checks once, for CI pipelines.
//   TARGET a file (YAML or JSON: one check, a list of checks, or a perfwatch config with
//          `synthetic.checks`): every check in it runs here, one after another (--only NAME
//          picks one), with the same retry as scheduled runs (--no-retry to turn it off).
//   TARGET a check name: the server runs it (POST /api/v1/checks/NAME/run; --server,
//          --token or $PERFWATCH_TOKEN with the admin scope).
// Prints one line per check (PASS/FAIL, status, duration by phase or step, the error), or
// the results as JSON with --format json. Exit 0 when every check passed, 1 when one
// failed or the server refused, 2 on bad input.
// Thread safety: runs on the main thread only.
#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace perfwatch::cli {

struct CheckRunFlags {
  std::string target;
  std::string only;
  std::string format = "text";
  std::string server = "http://127.0.0.1:9797";
  std::optional<std::string> token;
  std::string chromium = "chromium";
  bool no_retry = false;
};

// Adds `check` with its `run` subcommand; returns `run`.
CLI::App* AddCheckCommand(CLI::App& app, CheckRunFlags& flags);
int RunCheckCommand(const CheckRunFlags& flags);

}  // namespace perfwatch::cli
