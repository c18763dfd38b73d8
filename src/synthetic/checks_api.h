#pragma once
// Synthetic checks over HTTP (docs/api.md "Synthetic checks", docs/synthetic.md):
//   GET    /api/v1/checks                       (read)  every check with its state and last run
//   POST   /api/v1/checks                       (admin) create or replace an API check (JSON body
//          in the YAML's shape) -> 200 {"name"}; 400 bad_data; 409 conflict for a YAML check
//   GET    /api/v1/checks/{name}                (read)  the check with history and failures; 404
//   DELETE /api/v1/checks/{name}                (admin) 200; 404; 409 for a YAML check
//   POST   /api/v1/checks/{name}/run            (admin) runs it now (with the retry) -> the result
//   GET    /api/v1/checks/{name}/screenshot?time=T (read) image/png of a failure; 404
//   GET    /api/v1/status-page/{page}           (public) the status page as JSON; 404
//   GET    /status, /status/{page}              (public) the status page as HTML
// Thread safety: handlers keep no state; the scheduler is thread-safe.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "http/router.h"
#include "synthetic/scheduler.h"
#include "synthetic/status_page.h"

namespace perfwatch::synthetic {

struct ChecksApiSources {
  Scheduler* scheduler = nullptr;
  std::function<std::vector<Incident>()> firing;  // firing alerts (may be empty)
};

void RegisterChecksApi(http::Router& router, ChecksApiSources src);

// One check as the list and detail answers render it (`details`: history and failures).
std::string CheckViewJson(const CheckView& v, int64_t now_ms, bool details);

}  // namespace perfwatch::synthetic
