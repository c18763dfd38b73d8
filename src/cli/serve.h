#pragma once
// `perfwatch serve`: flags, config file merge, and running until SIGINT/SIGTERM.
#include <CLI/CLI.hpp>

#include <functional>

#include <optional>
#include <string>

#include "common/config.h"

namespace perfwatch::cli {

struct ServeFlags {
  std::string config_path;
  std::optional<std::string> listen;
  std::optional<std::string> data_dir;
  std::optional<std::string> log_level;
  std::optional<std::string> web_dir;
};

// Adds --listen, --data-dir, --config, --log-level, --web-dir to `cmd`; `default_data_dir` is what
// --help says the data directory defaults to.
void AddServeFlags(CLI::App& cmd, ServeFlags& flags, const std::string& default_data_dir = "./data");

// Loads the config file (if any) and applies flags over it.
Result<Config> BuildConfig(const ServeFlags& flags);

// Blocks SIGINT, SIGTERM and SIGHUP for every thread created after this call (call it first).
void BlockTerminationSignals();

// Waits for SIGINT or SIGTERM (blocked by BlockTerminationSignals) and returns it; each
// SIGHUP meanwhile calls `on_hangup` (configuration reload).
int WaitForTerminationSignal(const std::function<void()>& on_hangup = {});

// Runs the server until a termination signal; returns the process exit code.
int RunServe(const ServeFlags& flags);

struct DemoFlags {
  double rate = 5;               // simulated page views per second
  std::string backfill = "1h";   // past page views generated at start
};

// Adds the demo's own flags (the serve flags are added separately).
void AddDemoFlags(CLI::App& cmd, DemoFlags& flags);

// `perfwatch demo`: the server plus simulated visitors posting through the real HTTP path.
int RunDemo(const ServeFlags& flags, const DemoFlags& demo);

}  // namespace perfwatch::cli
