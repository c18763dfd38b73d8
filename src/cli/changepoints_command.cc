#include "cli/changepoints_command.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "analysis/changepoint_api.h"
#include "analysis/changepoint_csv.h"
#include "common/json_writer.h"

namespace perfwatch::cli {

CLI::App* AddChangepointsCommand(CLI::App& app, ChangepointsFlags& flags) {
  CLI::App* cmd = app.add_subcommand(
      "changepoints",
      "find the change points of a series in a CSV file (E-Divisive means with a t-test, as "
      "POST /api/v1/analysis/changepoints; docs/analysis.md)");
  cmd->add_option("FILE", flags.file, "CSV file with a value per row (and optionally a time column); - for stdin")
      ->required();
  cmd->add_option("--column", flags.value_column,
                  "the value column: a header name or a 1-based position (default: the second of two or more "
                  "columns, else the first)");
  cmd->add_option("--time-column", flags.time_column,
                  "the time column: a header name, a 1-based position, or none (default: the first when there are "
                  "two or more)");
  cmd->add_option("--min-segment", flags.options.min_segment, "points on each side of a change")
      ->capture_default_str();
  cmd->add_option("--window", flags.options.window, "E-Divisive window in points")->capture_default_str();
  cmd->add_option("--max-p-value", flags.options.max_p_value, "significance threshold of the t-test")
      ->capture_default_str();
  cmd->add_option("--min-magnitude", flags.options.min_magnitude,
                  "minimum relative change of the mean (0.05 = 5 %)")
      ->capture_default_str();
  cmd->add_option("--format", flags.format, "text or json")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  return cmd;
}

int RunChangepoints(const ChangepointsFlags& flags, std::FILE* out, std::FILE* err) {
  if (Status s = analysis::ValidateChangepointOptions(flags.options); !s.ok()) {
    std::fprintf(err, "perfwatch changepoints: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  std::string text;
  if (flags.file == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream in(flags.file, std::ios::binary);
    if (!in) {
      std::fprintf(err, "perfwatch changepoints: cannot read %s\n", flags.file.c_str());
      return 2;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  auto series = analysis::ParseSeriesCsv(text, flags.value_column, flags.time_column);
  if (!series.ok()) {
    std::fprintf(err, "perfwatch changepoints: %s: %s\n", flags.file.c_str(), std::string(series.status().message()).c_str());
    return 2;
  }
  auto cps = analysis::DetectChangepoints(series->values, flags.options);
  if (flags.format == "json") {
    std::vector<std::string> times;
    for (const std::string& t : series->times) {
      std::string quoted;
      AppendJsonString(quoted, t);
      times.push_back(std::move(quoted));
    }
    std::fprintf(out, "{\"changepoints\":%s}\n", analysis::RenderChangepointList(cps, times).c_str());
    return 0;
  }
  const auto& o = flags.options;
  std::fprintf(out, "%s: %zu points of %s, %zu change point%s (min_segment %d, window %d, max_p_value %g, min_magnitude %g)\n",
               flags.file.c_str(), series->values.size(), series->value_column.c_str(), cps.size(),
               cps.size() == 1 ? "" : "s", o.min_segment, o.window, o.max_p_value, o.min_magnitude);
  if (cps.empty()) return 0;
  std::fprintf(out, "%8s  %-24s %14s %14s %9s %10s\n", "index", "time", "before", "after", "change", "p_value");
  for (const auto& c : cps) {
    std::string time = c.index < series->times.size() ? series->times[c.index] : "-";
    std::string change = std::isfinite(c.change) ? fmt::format("{:+.1f}%", 100 * c.change) : "from 0";
    std::fprintf(out, "%8zu  %-24s %14.6g %14.6g %9s %10.2g\n", c.index, time.c_str(), c.before_mean, c.after_mean,
                 change.c_str(), c.p_value);
  }
  return 0;
}

}  // namespace perfwatch::cli
