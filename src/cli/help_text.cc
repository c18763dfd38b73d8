#include "cli/help_text.h"

#include <string>
#include <utility>

namespace perfwatch::cli {

namespace {

constexpr const char* kServeFooter =
    "Flags override the same keys of the --config file (listen, data_dir, log_level,\n"
    "http.web_dir); every other setting is in that file (docs/configuration.md).\n"
    "Signals: SIGHUP re-reads the --config file, as POST /-/reload does (what a reload\n"
    "applies: docs/operations.md); SIGINT and SIGTERM stop it cleanly.\n"
    "Exit status: 0 after a clean stop, 1 start-up failed (data directory, port, TLS),\n"
    "2 the configuration or a flag value is invalid.\n"
    "Installed by the Debian package as perfwatch.service, with --config\n"
    "/etc/perfwatch/perfwatch.yml and data in /var/lib/perfwatch (docs/operations.md).";

// Footers by subcommand path ("serve", "bundle report").
const std::pair<const char*, const char*> kFooters[] = {
    {"serve", kServeFooter},
    {"demo",
     "Starts the server as `serve` does and simulated visitors that post RUM beacons to it,\n"
     "with --backfill of past page views, so the dashboard has data to show.\n"
     "Exit status: 0 after SIGINT/SIGTERM, 1 start-up failed, 2 invalid configuration or flags."},
    {"query",
     "Sends the expression to the server's /api/v1/query (or /api/v1/query_range with\n"
     "--start) and prints the answer as a table.\n"
     "Exit status: 0 answered, 1 the server cannot be reached or answered an error,\n"
     "2 invalid --server, --time, --start or --end.\n"
     "PromQL: docs/promql.md."},
    {"health",
     "Reads GET /api/v1/health?app=APP and prints the score, its parts and the verdict.\n"
     "Exit status: 0 printed (and at least --min), 1 the score is below --min,\n"
     "2 bad flags, the server cannot be reached or answered an error.\n"
     "The score: docs/score.md."},
    {"deploy",
     "Posts a deploy marker to /api/v1/deploys; the dashboard and the regression analysis\n"
     "show it. Exit status: 0 recorded, 1 the server cannot be reached or refused it,\n"
     "2 bad flags (--version and one of --app or --service are required).\n"
     "docs/analysis.md."},
    {"report",
     "Fetches GET /api/v1/report for the app and the period and writes it.\n"
     "Exit status: 0 written, 2 bad flags, the server cannot be reached or answered an\n"
     "error, or --out cannot be written. Reports: docs/reports.md."},
    {"changepoints",
     "Exit status: 0 the analysis ran (whether or not it found change points), 2 the file\n"
     "cannot be read or parsed, or an option is out of range."},
    {"bundle report",
     "Exit status: 0 within --max-growth of the baseline (or no baseline), 1 a file or the\n"
     "total grew by more, 2 bad input. docs/bundles.md."},
    {"version", "Prints \"perfwatch VERSION\" (as --version does) and exits 0."},
};

CLI::App* Find(CLI::App& app, const std::string& path) {
  CLI::App* at = &app;
  size_t start = 0;
  while (at && start <= path.size()) {
    size_t end = path.find(' ', start);
    if (end == std::string::npos) end = path.size();
    const std::string name = path.substr(start, end - start);
    CLI::App* next = nullptr;
    for (CLI::App* sub : at->get_subcommands([](CLI::App*) { return true; })) {
      if (sub->get_name() == name) next = sub;
    }
    at = next;
    start = end + 1;
  }
  return at;
}

}  // namespace

void AddHelpFooters(CLI::App& app) {
  app.name("perfwatch");
  if (app.get_footer().empty()) {
    app.footer(
        "`perfwatch SUBCOMMAND --help` describes a subcommand and its options.\n"
        "Documentation: README.md and docs/ (configuration: docs/configuration.md; the\n"
        "Debian package, the service and its files: docs/operations.md).");
  }
  for (const auto& [path, footer] : kFooters) {
    CLI::App* sub = Find(app, path);
    if (sub && sub->get_footer().empty()) sub->footer(footer);
  }
}

}  // namespace perfwatch::cli
