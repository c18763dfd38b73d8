#include "analysis/time_window.h"

#include <string>

#include "common/time.h"

namespace perfwatch::analysis {

Result<TimeWindow> ParseTimeWindow(const http::Request& req, int64_t now_ms, int64_t default_window_ms) {
  int64_t window_ms = default_window_ms;
  if (auto w = req.Param("window")) {
    auto d = ParseDurationMs(*w);
    if (!d.ok() || *d <= 0) return InvalidArgument("invalid window \"" + *w + "\": expected a duration such as 24h");
    window_ms = *d;
  }
  TimeWindow out;
  out.to_ms = now_ms;
  if (auto to = req.Param("to")) {
    auto t = ParseTimeMs(*to);
    if (!t.ok()) return InvalidArgument("invalid \"to\": " + t.status().message());
    out.to_ms = *t;
  }
  out.from_ms = out.to_ms - window_ms;
  if (auto from = req.Param("from")) {
    auto f = ParseTimeMs(*from);
    if (!f.ok()) return InvalidArgument("invalid \"from\": " + f.status().message());
    out.from_ms = *f;
  }
  if (out.from_ms > out.to_ms) return InvalidArgument("\"from\" must not be after \"to\"");
  return out;
}

}  // namespace perfwatch::analysis
