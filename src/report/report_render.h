#pragma once
// Renderers of a Report (report.h; docs/reports.md "Formats"):
//   html  one self-contained page: inline CSS and inline SVG charts, no script, no
//         external asset or link that a browser would fetch; prints on A4 with a page
//         break between sections (@media print)
//   md    GitHub-flavoured Markdown for a chat message or a pull-request comment
//   json  the model itself (field names: docs/reports.md "JSON")
// Thread safety: pure functions.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "report/report.h"

namespace perfwatch::report {

enum class ReportFormat { kHtml, kMarkdown, kJson };

// "html", "md" (or "markdown"), "json"; nullopt otherwise.
std::optional<ReportFormat> ParseReportFormat(std::string_view s);
// text/html; charset=utf-8, text/markdown; charset=utf-8, application/json.
std::string_view ReportContentType(ReportFormat f);

std::string RenderReport(const Report& report, ReportFormat format);
std::string RenderReportHtml(const Report& report);
std::string RenderReportMarkdown(const Report& report);
std::string RenderReportJson(const Report& report);  // the model, without an envelope

// An inline <svg> sparkline of the points (a polyline over their index, with a dot on the
// last point); an empty string for fewer than 2 points.
std::string SparklineSvg(const std::vector<DailyPoint>& points, int width = 120, int height = 28);
// An inline <svg> of two horizontal bars, the previous period's value (grey) above this
// period's (coloured), scaled to the larger; an empty string unless both are set.
std::string ComparisonBarsSvg(const Trend& trend, int width = 120, int height = 22);

// Shared text formats (also used by the tests): a vital value in its unit ("2,480 ms",
// "0.12"), a relative change ("+12.5%", "−3.0%", "n/a"), a duration ("4m 10s", "2h 5m",
// "3d 4h", "n/a"), a day "2026-12-04".
std::string FormatVitalValue(std::optional<double> v, std::string_view unit);
std::string FormatChange(std::optional<double> ratio);
std::string FormatDurationMs(std::optional<int64_t> ms);
std::string FormatDay(int64_t ms);
std::string FormatScore(std::optional<double> score);  // "87.3" or "n/a"
std::string FormatWindow(int64_t ms);  // "7d", "12h", else Prometheus' form
// The title line: "Performance report: shop, 2026-11-27 to 2026-12-04 (7d)".
std::string ReportTitle(const Report& report);

}  // namespace perfwatch::report
