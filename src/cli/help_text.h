// Man-page-style --help: a footer (what it does in more detail, exit status, signals,
// files, where the documentation is) for perfwatch and the subcommands whose own
// definition has none. Called once in main() after every subcommand is added; a
// subcommand that already sets a footer keeps it, one that does not exist is skipped.
// The program is named "perfwatch" in the usage lines whatever argv[0] is.
// Thread-safety: call before parsing, from main's thread.
#pragma once

#include <CLI/CLI.hpp>

namespace perfwatch::cli {

void AddHelpFooters(CLI::App& app);

}  // namespace perfwatch::cli
