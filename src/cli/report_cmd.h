#pragma once
// `perfwatch report --app shop [--window 7d] [--format html|md|json] [--out FILE]
// [--server URL] [--token T]`: asks the server's GET /api/v1/report (scope read) and
// writes the answer to FILE (default: standard output). docs/reports.md.
// Exit codes: 0 written; 2 on bad flags, an unreachable server, an error answer (its
// message on stderr) or a file that cannot be written.
// Thread safety: RunReport is called once from main.
#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace perfwatch::cli {

struct ReportFlags {
  std::string server = "http://127.0.0.1:9797";
  std::string app;
  std::string window = "7d";
  std::string format = "html";
  std::string out;                   // "" or "-": standard output
  std::optional<std::string> to;     // end of the window (default now)
  std::optional<std::string> token;  // bearer token with the read scope (default: $PERFWATCH_TOKEN)
  CLI::App* command = nullptr;
};

CLI::App* AddReportCommand(CLI::App& app, ReportFlags& flags);
int RunReport(const ReportFlags& flags);

}  // namespace perfwatch::cli
