#pragma once
// GET /api/v1/report?app=&window=&format=[&to=] (scope read; docs/api.md, docs/reports.md):
// the report of `app` (required) over `window` (a duration, default 7d, at most 400d)
// ending at `to` (Unix seconds or RFC 3339, default now), against the previous period of
// the same length, rendered as `format`: html (default; text/html), md (text/markdown) or
// json (application/json: {"status":"success","data":<the model>}). Bad parameters: 400
// in Prometheus' error shape ("bad_data"); a failing source: 500 "internal".
// Thread safety: the handler only reads thread-safe sources; safe on any worker thread.
#include <cstdint>
#include <string>

#include "common/status.h"
#include "http/router.h"
#include "report/report.h"
#include "report/report_render.h"

namespace perfwatch::report {

inline constexpr int64_t kMaxReportWindowMs = 400LL * 86'400'000;

struct ReportQuery {
  ReportRequest request;
  ReportFormat format = ReportFormat::kHtml;
};

// Errors (InvalidArgument): "app is required", "invalid window \"x\": ...", "invalid
// format \"x\": expected html, md or json", "invalid \"to\": ...".
Result<ReportQuery> ParseReportQuery(const http::Request& req, int64_t now_ms);

// The body of a successful answer (JSON in its envelope).
std::string RenderReportAnswer(const Report& report, ReportFormat format);

void RegisterReportHandler(http::Router& router, ReportSources sources);

}  // namespace perfwatch::report
