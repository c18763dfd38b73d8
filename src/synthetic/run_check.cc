#include "synthetic/run_check.h"

#include "synthetic/browser/browser_check.h"
#include "synthetic/http_probe.h"

namespace perfwatch::synthetic {

CheckResult RunCheck(const CheckSpec& spec, const RunOptions& options) {
  auto once = [&] {
    CheckResult r;  // both runners set time_ms to their start
    if (spec.kind == CheckSpec::Kind::kHttp) {
      r = RunHttpProbe(spec.http, spec.asserts);
    } else {
      BrowserOptions bo;
      bo.chromium = options.chromium;
      bo.rum_js = options.rum_js;
      bo.work_dir = options.work_dir.empty() ? std::filesystem::temp_directory_path() : options.work_dir;
      r = RunBrowserCheck(spec.browser, spec.asserts, bo);
    }
    return r;
  };
  CheckResult r = once();
  if (!r.success && options.retry) {
    r = once();
    r.retried = true;
  }
  return r;
}

}  // namespace perfwatch::synthetic
