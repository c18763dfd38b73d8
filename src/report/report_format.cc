// Shared formats of the renderers (report_render.h).
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "common/time.h"
#include "report/report_render.h"

namespace perfwatch::report {

std::optional<ReportFormat> ParseReportFormat(std::string_view s) {
  if (s == "html") return ReportFormat::kHtml;
  if (s == "md" || s == "markdown") return ReportFormat::kMarkdown;
  if (s == "json") return ReportFormat::kJson;
  return std::nullopt;
}

std::string_view ReportContentType(ReportFormat f) {
  switch (f) {
    case ReportFormat::kHtml: return "text/html; charset=utf-8";
    case ReportFormat::kMarkdown: return "text/markdown; charset=utf-8";
    case ReportFormat::kJson: return "application/json";
  }
  return "application/octet-stream";
}

std::string RenderReport(const Report& report, ReportFormat format) {
  switch (format) {
    case ReportFormat::kHtml: return RenderReportHtml(report);
    case ReportFormat::kMarkdown: return RenderReportMarkdown(report);
    case ReportFormat::kJson: return RenderReportJson(report);
  }
  return "";
}

namespace {
std::string WithThousands(long long v) {
  std::string digits = std::to_string(v < 0 ? -v : v);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return v < 0 ? "-" + out : out;
}
}  // namespace

std::string FormatVitalValue(std::optional<double> v, std::string_view unit) {
  if (!v || !std::isfinite(*v)) return "n/a";
  char buf[64];
  if (unit.empty()) {
    std::snprintf(buf, sizeof buf, "%.2f", *v);
    return buf;
  }
  return WithThousands(std::llround(*v)) + " " + std::string(unit);
}

std::string FormatChange(std::optional<double> ratio) {
  if (!ratio || !std::isfinite(*ratio)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.1f%%", *ratio * 100);
  return buf;
}

std::string FormatDurationMs(std::optional<int64_t> ms) {
  if (!ms) return "n/a";
  const int64_t s = *ms / 1000;
  char buf[64];
  if (s < 60) std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(s));
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%lldm %llds", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
  else if (s < 86400) std::snprintf(buf, sizeof buf, "%lldh %lldm", static_cast<long long>(s / 3600), static_cast<long long>(s % 3600 / 60));
  else std::snprintf(buf, sizeof buf, "%lldd %lldh", static_cast<long long>(s / 86400), static_cast<long long>(s % 86400 / 3600));
  return buf;
}

std::string FormatScore(std::optional<double> score) {
  if (!score || !std::isfinite(*score)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", *score);
  return buf;
}

std::string FormatDay(int64_t ms) { return FormatRfc3339Ms(ms).substr(0, 10); }

std::string FormatWindow(int64_t ms) {
  if (ms > 0 && ms % 86'400'000 == 0) return std::to_string(ms / 86'400'000) + "d";
  if (ms > 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  return FormatPromDuration(ms);
}

std::string ReportTitle(const Report& r) {
  return "Performance report: " + r.app + ", " + FormatDay(r.from_ms) + " to " + FormatDay(r.to_ms) + " (" +
         FormatWindow(r.window_ms) + ")";
}

std::string SparklineSvg(const std::vector<DailyPoint>& points, int width, int height) {
  if (points.size() < 2) return "";
  double lo = points[0].value, hi = points[0].value;
  for (const DailyPoint& p : points) {
    lo = std::min(lo, p.value);
    hi = std::max(hi, p.value);
  }
  const double span = hi > lo ? hi - lo : 1;
  const double pad = 3;
  auto x = [&](size_t i) { return pad + (width - 2 * pad) * static_cast<double>(i) / static_cast<double>(points.size() - 1); };
  auto y = [&](double v) { return height - pad - (height - 2 * pad) * (hi > lo ? (v - lo) / span : 0.5); };
  char buf[96];
  std::string out = "<svg class=\"spark\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(width) +
                    "\" height=\"" + std::to_string(height) + "\" viewBox=\"0 0 " + std::to_string(width) + " " +
                    std::to_string(height) + "\" role=\"img\"><polyline fill=\"none\" stroke=\"currentColor\" "
                    "stroke-width=\"1.5\" points=\"";
  for (size_t i = 0; i < points.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%s%.1f,%.1f", i ? " " : "", x(i), y(points[i].value));
    out += buf;
  }
  std::snprintf(buf, sizeof buf, "\"/><circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\" fill=\"currentColor\"/></svg>",
                x(points.size() - 1), y(points.back().value));
  out += buf;
  return out;
}

std::string ComparisonBarsSvg(const Trend& trend, int width, int height) {
  if (!trend.current || !trend.previous || !std::isfinite(*trend.current) || !std::isfinite(*trend.previous)) return "";
  const double top = std::max({*trend.current, *trend.previous, 1e-12});
  const double bar = (height - 4) / 2.0;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "<svg class=\"bars\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                "viewBox=\"0 0 %d %d\" role=\"img\"><rect x=\"0\" y=\"1\" width=\"%.1f\" height=\"%.1f\" "
                "fill=\"#b8bec9\"/><rect x=\"0\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                "fill=\"currentColor\"/></svg>",
                width, height, width, height, std::max(1.0, width * *trend.previous / top), bar, bar + 3,
                std::max(1.0, width * *trend.current / top), bar);
  return buf;
}

}  // namespace perfwatch::report
