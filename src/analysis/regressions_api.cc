#include "analysis/regressions_api.h"

#include <cmath>

#include "analysis/get_api.h"
#include "common/json_writer.h"
#include "common/time.h"
#include "tsdb/labels_json.h"

namespace perfwatch::analysis {
namespace {

void AppendField(std::string& out, std::string_view name, std::string_view value) {
  out += ",\"";
  out += name;
  out += "\":";
  AppendJsonString(out, value);
}

void AppendNumberOrNull(std::string& out, double v) {
  if (std::isfinite(v)) AppendJsonNumber(out, v);
  else out += "null";
}

void AppendDeploy(std::string& out, const events::Deploy& d) {
  out += "{\"id\":";
  AppendJsonString(out, d.id);
  if (!d.app.empty()) AppendField(out, "app", d.app);
  if (!d.service.empty()) AppendField(out, "service", d.service);
  AppendField(out, "version", d.version);
  AppendField(out, "commit", d.commit);
  AppendField(out, "environment", d.environment);
  AppendField(out, "time", FormatRfc3339Ms(d.time_ms));
  out += '}';
}

}  // namespace

std::string RenderRegressions(const std::vector<Regression>& regressions) {
  std::string out = R"({"status":"success","data":[)";
  for (size_t i = 0; i < regressions.size(); ++i) {
    const Regression& r = regressions[i];
    if (i) out += ',';
    out += "{\"id\":";
    AppendJsonString(out, r.id);
    for (std::string_view name : {"app", "service", "page", "route"}) {
      if (std::string_view v = r.labels.Get(name); !v.empty()) AppendField(out, name, v);
    }
    AppendField(out, "metric", r.metric);
    out += ",\"before\":";
    AppendNumberOrNull(out, r.before);
    out += ",\"after\":";
    AppendNumberOrNull(out, r.after);
    out += ",\"change\":";
    AppendNumberOrNull(out, r.change);
    out += ",\"p_value\":";
    AppendNumberOrNull(out, r.p_value);
    AppendField(out, "time", FormatRfc3339Ms(r.time_ms));
    out += ",\"deploy\":";
    if (r.deploy) AppendDeploy(out, *r.deploy);
    else out += "null";
    out += ",\"active\":";
    out += r.active ? "true" : "false";
    out += ",\"labels\":";
    tsdb::AppendJsonLabels(out, r.labels);
    out += '}';
  }
  out += "]}";
  return out;
}

void RegisterRegressionsHandler(http::Router& router, const Watcher* watcher) {
  auto handler = [watcher](const http::Request& req, http::Response& res) {
    auto active_param = ParseBoolParam(req, "active");
    if (!active_param.ok()) return http::WriteApiError(res, 400, "bad_data", active_param.status().message());
    const std::optional<bool> active = *active_param;
    const std::string app = req.Param("app").value_or("");
    const std::string service = req.Param("service").value_or("");
    std::vector<Regression> out;
    if (watcher) {
      for (Regression& r : watcher->Regressions()) {
        if (!app.empty() && r.labels.Get("app") != app) continue;
        if (!service.empty() && r.labels.Get("service") != service) continue;
        if (active && r.active != *active) continue;
        out.push_back(std::move(r));
      }
    }
    res.status = 200;
    res.content_type = "application/json";
    res.body = RenderRegressions(out);
  };
  const http::RouteOptions options{.scope = http::Scope::kRead, .route_class = http::RouteClass::kQuery};
  router.Handle("GET", "/api/v1/regressions", handler, options);
  router.Handle("POST", "/api/v1/regressions", handler, options);
}

}  // namespace perfwatch::analysis
