#pragma once
// Runs the built perfwatch binary (PERFWATCH_BINARY) once with a command line and
// captures what it prints, for tests of the command-line interface.
// Thread safety: stateless; safe to call from several threads (each call forks a shell).
#include <string>

namespace perfwatch::testing {

struct CommandResult {
  int exit_code;       // the process' exit status (WEXITSTATUS)
  std::string output;  // stdout and stderr together, in the order written
};

// Runs `perfwatch <args> 2>&1` through the shell (so `args` may quote) and waits for it.
CommandResult RunPerfwatch(const std::string& args);

}  // namespace perfwatch::testing
