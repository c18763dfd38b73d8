#pragma once
// `perfwatch changepoints FILE.csv`: the change points of a series read from a CSV file
// (analysis/changepoint_csv.h for the format), with the same detector and options as
// POST /api/v1/analysis/changepoints. Prints a text report (or the API's JSON with
// --format json). Exit 0 on success (with or without change points), 2 for bad input or
// options with a one-line reason on stderr.
// Thread safety: runs on the main thread.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "analysis/changepoint.h"

namespace perfwatch::cli {

struct ChangepointsFlags {
  std::string file;  // "-" reads stdin
  std::string value_column;
  std::string time_column;
  std::string format = "text";  // text, json
  analysis::ChangepointOptions options;
};

CLI::App* AddChangepointsCommand(CLI::App& app, ChangepointsFlags& flags);
int RunChangepoints(const ChangepointsFlags& flags, std::FILE* out = stdout, std::FILE* err = stderr);

}  // namespace perfwatch::cli
