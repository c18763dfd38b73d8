#pragma once
// One blocking run of a check of either kind, with the "double check": a failed run is run
// again at once and only the second outcome counts (CheckResult::retried). Used by the
// scheduler's browser workers, POST /api/v1/checks/{name}/run and `perfwatch check run`.
// Thread safety: reentrant; browser runs start their own chromium each.
#include <filesystem>
#include <string>

#include "synthetic/check.h"

namespace perfwatch::synthetic {

struct RunOptions {
  std::string chromium = "chromium";   // browser binary
  std::string rum_js;                  // the SDK injected into browser checks' pages
  std::filesystem::path work_dir;      // browser profiles (removed after each run); "" = temp dir
  bool retry = true;
};

CheckResult RunCheck(const CheckSpec& spec, const RunOptions& options);

}  // namespace perfwatch::synthetic
