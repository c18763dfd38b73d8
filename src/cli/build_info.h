#pragma once
// What this binary knows about its own build, for perfwatch_build_info on /metrics and
// GET /api/v1/status/buildinfo (docs/operations.md "Self-monitoring").
//   version:  the CMake project version (PERFWATCH_VERSION).
//   revision, branch: `git rev-parse HEAD` / `--abbrev-ref HEAD` of the source tree when
//     CMake configured the build (-DPERFWATCH_REVISION=/-DPERFWATCH_BRANCH= override them,
//     e.g. for a tarball build); "unknown" when neither is known.
//   compiler: the C++ compiler that built it ("gcc 12.2.0", "clang 14.0.6"); it fills the
//     `goversion` label of perfwatch_build_info, where Prometheus names its toolchain.
// Thread safety: returns a reference to an immutable value.
#include <string>

namespace perfwatch::cli {

struct BuildFacts {
  std::string version;
  std::string revision;
  std::string branch;
  std::string compiler;
};

const BuildFacts& CurrentBuild();

}  // namespace perfwatch::cli
