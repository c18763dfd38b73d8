#include "analysis/leaks_api.h"

#include <optional>

#include "analysis/get_api.h"
#include "analysis/leak_api.h"  // RenderLeakFields
#include "common/json_writer.h"
#include "common/time.h"
#include "tsdb/labels_json.h"

namespace perfwatch::analysis {
namespace {

void AppendStringField(std::string& out, std::string_view name, std::string_view value) {
  out += ",\"";
  out += name;
  out += "\":";
  AppendJsonString(out, value);
}

void AppendPoints(std::string& out, const std::vector<std::pair<int64_t, double>>& points) {
  out += ",\"points\":[";
  for (size_t i = 0; i < points.size(); ++i) {
    if (i) out += ',';
    out += '[';
    AppendJsonNumber(out, static_cast<double>(points[i].first) / 1000.0);
    out += ',';
    AppendJsonNumber(out, points[i].second);
    out += ']';
  }
  out += ']';
}

}  // namespace

std::string RenderLeaks(const std::vector<LeakFinding>& findings) {
  std::string out = R"({"status":"success","data":[)";
  for (size_t i = 0; i < findings.size(); ++i) {
    const LeakFinding& f = findings[i];
    if (i) out += ',';
    out += "{\"source\":";
    AppendJsonString(out, f.source);
    AppendStringField(out, "metric", f.metric);
    out += ',';
    out += RenderLeakFields(f.result);
    out += ",\"last_bytes\":";
    AppendJsonNumber(out, f.last_bytes);
    AppendStringField(out, "evaluated_at", FormatRfc3339Ms(f.evaluated_ms));
    if (f.source == "rum") {
      AppendStringField(out, "app", f.app);
      AppendStringField(out, "page", f.page);
      out += ",\"sessions\":" + std::to_string(f.sessions) + ",\"sessions_leaking\":" +
             std::to_string(f.sessions_leaking) + ",\"sessions_leaking_ratio\":";
      AppendJsonNumber(out, f.sessions ? static_cast<double>(f.sessions_leaking) / static_cast<double>(f.sessions) : 0);
      out += ",\"sessions_detail\":[";
      for (size_t k = 0; k < f.sessions_detail.size(); ++k) {
        const LeakSessionFinding& s = f.sessions_detail[k];
        if (k) out += ',';
        out += "{\"session\":";
        AppendJsonString(out, s.session);
        out += ',';
        out += RenderLeakFields(s.result);
        out += '}';
      }
      out += ']';
    } else {
      AppendStringField(out, "job", f.labels.Get("job"));
      AppendStringField(out, "instance", f.labels.Get("instance"));
    }
    out += ",\"labels\":";
    tsdb::AppendJsonLabels(out, f.labels);
    AppendPoints(out, f.points);
    out += '}';
  }
  out += "]}";
  return out;
}

void RegisterLeaksHandler(http::Router& router, const LeakWatcher* watcher) {
  auto handler = [watcher](const http::Request& req, http::Response& res) {
    auto leaking_param = ParseBoolParam(req, "leaking");
    if (!leaking_param.ok()) return http::WriteApiError(res, 400, "bad_data", leaking_param.status().message());
    const std::optional<bool> leaking = *leaking_param;
    const std::string source = req.Param("source").value_or("");
    if (!source.empty() && source != "rum" && source != "tsdb") {
      return http::WriteApiError(res, 400, "bad_data", "invalid source \"" + source + "\": expected rum or tsdb");
    }
    const std::string app = req.Param("app").value_or("");
    std::vector<LeakFinding> out;
    if (watcher) {
      for (LeakFinding& f : watcher->Findings()) {
        if (!app.empty() && f.app != app && f.labels.Get("app") != app) continue;
        if (!source.empty() && f.source != source) continue;
        if (leaking && f.result.leaking != *leaking) continue;
        out.push_back(std::move(f));
      }
    }
    res.status = 200;
    res.content_type = "application/json";
    res.body = RenderLeaks(out);
  };
  const http::RouteOptions options{.scope = http::Scope::kRead, .route_class = http::RouteClass::kQuery};
  router.Handle("GET", "/api/v1/leaks", handler, options);
  router.Handle("POST", "/api/v1/leaks", handler, options);
}

}  // namespace perfwatch::analysis
