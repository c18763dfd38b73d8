#pragma once
// `perfwatch deploy --app shop --version 1.4.2 [--commit SHA] [--environment prod]
// [--time T] [--server URL] [--token T]`: records a deploy marker for CI pipelines through
// POST /api/v1/deploys (docs/analysis.md "Deploys and release impact"). Exactly one of
// --app and --service. The token defaults to $PERFWATCH_TOKEN. Prints the stored deploy;
// exit 0 on success, 1 when the server refuses or cannot be reached, 2 on bad flags.
// Thread safety: runs on the main thread only.
#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "common/status.h"

namespace perfwatch::cli {

struct DeployFlags {
  std::string server = "http://127.0.0.1:9797";
  std::string app, service, version, commit, environment;
  std::optional<std::string> time;   // unix seconds or RFC 3339 (default: now, by the server)
  std::optional<std::string> token;  // Authorization: Bearer (default: $PERFWATCH_TOKEN)
};

CLI::App* AddDeployCommand(CLI::App& app, DeployFlags& flags);
int RunDeploy(const DeployFlags& flags);

// The POST body for `flags` (after validation); InvalidArgument names the flag.
Result<std::string> DeployRequestBody(const DeployFlags& flags);

}  // namespace perfwatch::cli
