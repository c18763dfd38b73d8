#include "analysis/journeys_api.h"

#include <cmath>

#include "analysis/get_api.h"
#include "analysis/time_window.h"
#include "common/json_writer.h"
#include "common/time.h"

namespace perfwatch::analysis {
namespace {


void AppendRounded(std::string& out, const std::optional<double>& v, double scale) {
  if (!v || !std::isfinite(*v)) {
    out += "null";
    return;
  }
  AppendJsonNumber(out, std::round(*v * scale) / scale);
}

void AppendStringOrNull(std::string& out, const std::optional<std::string>& s) {
  if (s) AppendJsonString(out, *s);
  else out += "null";
}

}  // namespace

Result<JourneysRequest> ParseJourneysRequest(const http::Request& req, int64_t now_ms) {
  JourneysRequest out;
  if (auto app = req.Param("app"); app && !app->empty()) out.app = *app;
  if (auto name = req.Param("name"); name && !name->empty()) out.name = *name;
  auto window = ParseTimeWindow(req, now_ms);
  if (!window.ok()) return window.status();
  out.from_ms = window->from_ms;
  out.to_ms = window->to_ms;
  return out;
}

Result<std::vector<JourneyReport>> ComputeJourneys(const events::EventStore& store, const JourneysRequest& request,
                                                   int64_t now_ms, int64_t timeout_ms) {
  events::RecordScan scan;
  scan.from_ms = request.from_ms;
  scan.to_ms = request.to_ms;
  scan.type = events::EventType::kJourney;
  if (request.app) scan.filters[events::kApp] = *request.app;
  JourneyAccumulator acc(now_ms, timeout_ms);
  PW_RETURN_IF_ERROR(store.ScanRecords(scan, [&](const events::EventRecord& e) {
    if (request.name && e.name != *request.name) return;
    acc.Add(e.dims[events::kApp], e.name, e.time_ms, e.value, e.attrs_json);
  }));
  return acc.Finish();
}

std::string RenderJourneysJson(const std::vector<JourneyReport>& journeys) {
  std::string out = R"({"status":"success","data":[)";
  for (size_t i = 0; i < journeys.size(); ++i) {
    const JourneyReport& j = journeys[i];
    if (i) out += ',';
    out += R"({"app":)";
    AppendJsonString(out, j.app);
    out += R"(,"name":)";
    AppendJsonString(out, j.name);
    for (auto [key, n] : {std::pair{"started", j.started}, {"completed", j.completed}, {"failed", j.failed},
                          {"abandoned", j.abandoned}, {"in_progress", j.in_progress}}) {
      out += ",\"";
      out += key;
      out += "\":";
      AppendJsonInt(out, static_cast<long long>(n));
    }
    out += R"(,"completion_rate":)";
    AppendRounded(out, j.completion_rate, 1e4);
    out += R"(,"p50":)";
    AppendRounded(out, j.p50, 100);
    out += R"(,"p75":)";
    AppendRounded(out, j.p75, 100);
    out += R"(,"target":)";
    AppendRounded(out, j.target, 100);
    out += R"(,"over_target_ratio":)";
    AppendRounded(out, j.over_target_ratio, 1e4);
    out += R"(,"steps":[)";
    for (size_t s = 0; s < j.steps.size(); ++s) {
      const JourneyStepReport& st = j.steps[s];
      if (s) out += ',';
      out += R"({"name":)";
      AppendJsonString(out, st.name);
      out += R"(,"p75":)";
      AppendRounded(out, st.p75, 100);
      out += R"(,"reached":)";
      AppendJsonInt(out, static_cast<long long>(st.reached));
      out += R"(,"drop_off":)";
      AppendRounded(out, st.drop_off, 1e4);
      out += '}';
    }
    out += R"(],"bottleneck":{"slowest_step":)";
    AppendStringOrNull(out, j.slowest_step);
    out += R"(,"largest_drop_off":)";
    AppendStringOrNull(out, j.largest_drop_off);
    out += "}}";
  }
  out += "]}";
  return out;
}

void RegisterJourneysHandler(http::Router& router, const events::EventStore* store, int64_t timeout_ms) {
  RegisterAnalysisGet(router, "/api/v1/journeys", ParseJourneysRequest,
                      [store, timeout_ms](const JourneysRequest& request, int64_t now) -> Result<std::string> {
                        PW_ASSIGN_OR_RETURN(auto journeys, ComputeJourneys(*store, request, now, timeout_ms));
                        return RenderJourneysJson(journeys);
                      });
}

}  // namespace perfwatch::analysis
