#pragma once
// `perfwatch config check FILE...`: loads each configuration file with every check the
// server makes before it opens its data directory (as `promtool check config` does for
// Prometheus): the YAML and its keys (LoadConfigFile, ValidateConfig, rum.route_rules), the
// secure default and token files (cli/security.h), `alerting:`, the rule files, `alerts:`,
// `synthetic:` (cli/config_parts.h) and `remote_write:`. Per file one line on stdout,
//   FILE: SUCCESS: 2 rule files, 3 rule groups, 7 rules, 2 receivers, ...
// or on stderr
//   FILE: FAILED: <reason>   (the parsers' key and line; a reason naming a key of the file
//                             without a line gets " (FILE:LINE)" appended)
// Reasons never carry a secret's value (tokens, passwords, credentials, webhook URLs):
// the parsers name the key only. Exit 0 when every file passes, 1 when one fails, 2 on a
// usage error (no FILE).
// Thread safety: RunConfigCheck is called once from main.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>
#include <vector>

namespace perfwatch::cli {

struct ConfigCheckFlags {
  std::vector<std::string> files;
  CLI::App* check = nullptr;  // set by AddConfigCommand: `config` alone and unknown flags exit 2
};

// Adds `config` (with its `check` subcommand) to `app`; returns `config`: run RunConfigCheck
// when it was parsed.
CLI::App* AddConfigCommand(CLI::App& app, ConfigCheckFlags& flags);

// Checks every file, writing the report to `out` / `err`. Returns the exit code.
int RunConfigCheck(const ConfigCheckFlags& flags, std::FILE* out = stdout, std::FILE* err = stderr);

}  // namespace perfwatch::cli
