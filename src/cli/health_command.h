#pragma once
// `perfwatch health --server URL --app shop [--min 70]`: asks GET /api/v1/health for the
// app's health score and prints it with each part and the verdict (< 50 critical, < 70
// warning, < 90 minor, else healthy; docs/score.md "Health score").
// Exit codes: 0; 1 when the score is below --min; 2 on bad flags, an unreachable server or
// an error answer.
// Thread safety: RunHealth is called once from main.
#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "common/status.h"

namespace perfwatch::cli {

struct HealthFlags {
  std::string server = "http://127.0.0.1:9797";
  std::string app;
  std::optional<std::string> min;    // checked by RunHealth (so a bad value exits 2)
  std::optional<std::string> token;  // bearer token with the read scope (default: $PERFWATCH_TOKEN)
  CLI::App* command = nullptr;       // set by AddHealthCommand: unknown arguments exit 2
};

CLI::App* AddHealthCommand(CLI::App& app, HealthFlags& flags);
int RunHealth(const HealthFlags& flags);

struct HealthAnswer {
  std::optional<double> score;
  std::string text;  // the printed report
};
// Renders GET /api/v1/health's body; an error answer becomes a Status.
Result<HealthAnswer> FormatHealthAnswer(std::string_view json_body);

}  // namespace perfwatch::cli
