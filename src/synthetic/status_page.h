#pragma once
// The public status page (docs/synthetic.md "Status page"): for each check listed on a
// page its state, uptime per day over 90 days, response times over 24 h (5-minute means)
// and the ongoing incidents (firing alerts marked public="true" or naming a listed
// check in their `check` label). As JSON for GET /api/v1/status-page/{page} and as a
// self-contained HTML page (no script, inline SVG) for GET /status[/{page}].
// Thread safety: pure functions over a snapshot.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "synthetic/check_config.h"
#include "synthetic/scheduler.h"

namespace perfwatch::synthetic {

struct Incident {
  std::string alertname, summary, severity, check;
  int64_t since_ms = 0;
};

struct StatusCheck {
  std::string name;
  std::string state;                          // up | down | pending
  double uptime_90d = 0;                      // NaN: no runs
  std::vector<std::pair<int64_t, double>> days;  // (day start ms, up ratio or NaN), 90 entries, oldest first
  std::vector<std::pair<int64_t, double>> response_times;  // (bucket start ms, mean seconds), last 24 h
};

struct StatusPageData {
  std::string name, title;
  int64_t now_ms = 0;
  std::vector<StatusCheck> checks;
  std::vector<Incident> incidents;
};

// `views` from Scheduler::List(); checks of the page missing from it are left out.
StatusPageData BuildStatusPage(const StatusPageSpec& page, const std::vector<CheckView>& views,
                               const std::vector<Incident>& firing, int64_t now_ms);
std::string StatusPageJson(const StatusPageData& data);
std::string StatusPageHtml(const StatusPageData& data);

}  // namespace perfwatch::synthetic
