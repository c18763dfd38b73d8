#pragma once
// `perfwatch query 'EXPR'`: runs a PromQL query against a perfwatch (or Prometheus) server's
// HTTP API and prints the result as a table: instant vectors as SERIES / VALUE rows, range
// queries (--start) as one block of TIME / VALUE rows per series, scalars and strings as a
// single value. Errors print `errorType: message` and exit 1; a usage error exits 2.
#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "common/status.h"

namespace perfwatch::cli {

struct QueryFlags {
  std::string expr;
  std::string server = "http://127.0.0.1:9797";
  std::optional<std::string> time;   // instant query time (default: now)
  std::optional<std::string> start;  // range query when set
  std::optional<std::string> end;    // default now
  std::optional<std::string> step;   // default: (end - start) / 100, at least 1s
  std::optional<std::string> timeout;
  std::optional<std::string> token;  // sent as Authorization: Bearer (default: $PERFWATCH_TOKEN)
};

void AddQueryFlags(CLI::App& cmd, QueryFlags& flags);
int RunQuery(const QueryFlags& flags);

// Renders a Prometheus API answer (the whole JSON body) as a table; error answers become
// a Status carrying `errorType: error`.
Result<std::string> FormatQueryAnswer(std::string_view json_body);

}  // namespace perfwatch::cli
