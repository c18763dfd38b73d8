#include "report/report_api.h"

#include "common/time.h"

namespace perfwatch::report {

Result<ReportQuery> ParseReportQuery(const http::Request& req, int64_t now_ms) {
  ReportQuery q;
  q.request.app = req.Param("app").value_or("");
  if (q.request.app.empty()) return InvalidArgument("app is required");
  if (auto w = req.Param("window"); w && !w->empty()) {
    auto ms = ParseDurationMs(*w);
    if (!ms.ok() || *ms <= 0 || *ms > kMaxReportWindowMs) {
      return InvalidArgument("invalid window \"" + *w + "\": expected a duration such as 7d, at most 400d");
    }
    q.request.window_ms = *ms;
  }
  if (auto f = req.Param("format"); f && !f->empty()) {
    auto format = ParseReportFormat(*f);
    if (!format) return InvalidArgument("invalid format \"" + *f + "\": expected html, md or json");
    q.format = *format;
  }
  q.request.to_ms = now_ms;
  if (auto t = req.Param("to"); t && !t->empty()) {
    auto ms = ParseTimeMs(*t);
    if (!ms.ok()) return InvalidArgument("invalid \"to\": " + ms.status().message());
    q.request.to_ms = *ms;
  }
  return q;
}

std::string RenderReportAnswer(const Report& report, ReportFormat format) {
  if (format != ReportFormat::kJson) return RenderReport(report, format);
  return R"({"status":"success","data":)" + RenderReportJson(report) + "}";
}

void RegisterReportHandler(http::Router& router, ReportSources sources) {
  router.Handle(
      "GET", "/api/v1/report",
      [sources = std::move(sources)](const http::Request& req, http::Response& res) {
        auto q = ParseReportQuery(req, NowMs());
        if (!q.ok()) return http::WriteApiError(res, 400, "bad_data", q.status().message());
        auto report = BuildReport(sources, q->request);
        if (!report.ok()) {
          const bool bad = report.status().code() == StatusCode::kInvalidArgument;
          return http::WriteApiError(res, bad ? 400 : 500, bad ? "bad_data" : "internal", report.status().message());
        }
        res.status = 200;
        res.content_type = std::string(ReportContentType(q->format));
        res.body = RenderReportAnswer(*report, q->format);
      },
      {.scope = http::Scope::kRead, .route_class = http::RouteClass::kQuery});
}

}  // namespace perfwatch::report
