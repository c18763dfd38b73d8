#pragma once
// `perfwatch bundle report DIR [--stats FILE]... [--baseline FILE | --server URL --app NAME]
// [--format table|json|markdown] [--max-growth 0.2] [--compression gzip] [--top 20]`:
// the sizes of a build folder (docs/bundles.md). Exit 0, 1 when a file or the total grew
// beyond --max-growth against the baseline, 2 for bad input (one line on stderr).
// Thread safety: runs on the main thread only.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace perfwatch::cli {

struct BundleFlags {
  std::string dir;
  std::vector<std::string> stats;
  std::optional<std::string> baseline;  // a previous --format json output
  std::optional<std::string> server;    // with app: the newest budget run's bundle results
  std::string app;
  std::optional<std::string> token;     // default $PERFWATCH_TOKEN
  std::string format = "table";
  double max_growth = 0.2;
  std::string compression = "gzip";
  size_t top = 20;
  std::optional<std::string> out;       // write the report here instead of stdout
};

// Adds `bundle` with its `report` subcommand; returns `report`.
CLI::App* AddBundleCommand(CLI::App& app, BundleFlags& flags);
int RunBundleReport(const BundleFlags& flags, std::FILE* out = stdout, std::FILE* err = stderr);

}  // namespace perfwatch::cli
