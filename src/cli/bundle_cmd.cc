#include "cli/bundle_cmd.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "budget/bundle_report.h"
#include "cli/server_address.h"
#include "http/blocking_client.h"

namespace perfwatch::cli {
namespace {

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

}  // namespace

CLI::App* AddBundleCommand(CLI::App& app, BundleFlags& flags) {
  CLI::App* bundle = app.add_subcommand("bundle", "bundle analysis of a build folder (docs/bundles.md)");
  bundle->require_subcommand(1);
  CLI::App* cmd = bundle->add_subcommand(
      "report", "raw, gzip and brotli sizes per file and chunk, largest modules, duplicates, growth against a baseline");
  cmd->add_option("DIR", flags.dir, "the build folder (dist/)")->required();
  cmd->add_option("--stats", flags.stats,
                  "stats file: rollup-plugin-visualizer raw-data JSON, Vite manifest or webpack --json (repeatable)");
  cmd->add_option("--baseline", flags.baseline, "a previous `bundle report --format json` output");
  cmd->add_option("--server", flags.server, "perfwatch server: the baseline is the newest budget run of --app");
  cmd->add_option("--app", flags.app, "the app whose budget runs hold the baseline (with --server)");
  cmd->add_option("--token", flags.token, "bearer token for --server (default: $PERFWATCH_TOKEN)");
  cmd->add_option("--format", flags.format, "table, json or markdown")
      ->check(CLI::IsMember({"table", "json", "markdown"}))
      ->capture_default_str();
  cmd->add_option("--max-growth", flags.max_growth, "fail (exit 1) when a file or the total grew by more (0.2 = 20 %)")
      ->capture_default_str();
  cmd->add_option("--compression", flags.compression, "the size growth is judged on: raw, gzip or brotli")
      ->check(CLI::IsMember({"raw", "gzip", "brotli"}))
      ->capture_default_str();
  cmd->add_option("--top", flags.top, "largest modules listed")->capture_default_str();
  cmd->add_option("--out", flags.out, "write the report to this file instead of stdout");
  return cmd;
}

int RunBundleReport(const BundleFlags& flags, std::FILE* out, std::FILE* err) {
  auto fail = [err](const std::string& message) {
    std::fprintf(err, "perfwatch bundle report: %s\n", message.c_str());
    return 2;
  };
  if (!std::isfinite(flags.max_growth) || flags.max_growth < 0) return fail("--max-growth must be >= 0");
  if (flags.baseline && flags.server) return fail("give --baseline or --server, not both");
  if (flags.server && flags.app.empty()) return fail("--server needs --app");
  budget::BundleReportOptions options;
  options.max_growth = flags.max_growth;
  options.compression = budget::ParseCompression(flags.compression).value_or(budget::Compression::kGzip);
  options.top_modules = flags.top;

  budget::BundleStats stats;
  for (const std::string& path : flags.stats) {
    std::string text;
    if (!ReadFile(path, &text)) return fail("cannot read " + path);
    if (Status s = budget::ParseBundleStats(text, stats); !s.ok()) return fail(path + ": " + s.message());
  }

  std::optional<budget::BundleBaseline> baseline;
  if (flags.baseline) {
    std::string text;
    if (!ReadFile(*flags.baseline, &text)) return fail("cannot read " + *flags.baseline);
    auto b = budget::ParseReportBaseline(text);
    if (!b.ok()) return fail(*flags.baseline + ": " + b.status().message());
    baseline = std::move(*b);
    baseline->source = *flags.baseline;
  } else if (flags.server) {
    auto server = ParseServer(*flags.server);
    if (!server.ok()) return fail(server.status().message());
    http::BlockingClient client(server->port, server->host);
    const auto headers = BearerHeaders(flags.token);
    http::ClientResponse res = client.Get("/api/v1/budget-runs?app=" + http::UrlEncode(flags.app) + "&limit=1", headers);
    if (res.status == 0) return fail("cannot reach " + *flags.server);
    if (res.status != 200) return fail(ServerAnswerError(res.status, res.body));
    auto b = budget::ParseRunsBaseline(res.body);
    if (!b.ok()) return fail(*flags.server + " app " + flags.app + ": " + b.status().message());
    baseline = std::move(*b);
    baseline->source = *flags.server + " app " + flags.app + " " + baseline->source;
  }

  budget::BundleReport report;
  try {
    report = budget::BuildBundleReport(flags.dir, flags.stats.empty() ? nullptr : &stats,
                                       baseline ? &*baseline : nullptr, options);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  std::string text = flags.format == "json"       ? budget::RenderBundleReportJson(report)
                     : flags.format == "markdown" ? budget::RenderBundleReportMarkdown(report)
                                                  : budget::RenderBundleReportTable(report);
  if (flags.out) {
    std::ofstream file(*flags.out, std::ios::binary);
    if (!(file << text)) return fail("cannot write " + *flags.out);
  } else {
    std::fwrite(text.data(), 1, text.size(), out);
  }
  if (!report.passed) {
    std::fprintf(err, "perfwatch bundle report: growth beyond %g %% against %s\n", flags.max_growth * 100,
                 report.baseline_source->c_str());
    return 1;
  }
  return 0;
}

}  // namespace perfwatch::cli
