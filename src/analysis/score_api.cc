#include "analysis/score_api.h"

#include <cmath>

#include "analysis/get_api.h"
#include "analysis/time_window.h"
#include "common/json_writer.h"
#include "common/time.h"

namespace perfwatch::analysis {
namespace {


}  // namespace

Result<ScoreRequest> ParseScoreRequest(const http::Request& req, int64_t now_ms) {
  ScoreRequest out;
  if (auto app = req.Param("app"); app && !app->empty()) out.app = *app;
  auto window = ParseTimeWindow(req, now_ms);
  if (!window.ok()) return window.status();
  out.from_ms = window->from_ms;
  out.to_ms = window->to_ms;
  if (auto by = req.Param("by"); by && !by->empty()) {
    if (*by != "page") return InvalidArgument("invalid \"by\" \"" + *by + "\": expected page");
    out.by_page = true;
  }
  return out;
}

Result<ScoreReport> ComputeScore(const events::EventReader& store, const std::optional<std::string>& app,
                                 int64_t from_ms, int64_t to_ms) {
  events::RecordScan scan;
  scan.from_ms = from_ms;
  scan.to_ms = to_ms;
  scan.type = events::EventType::kVital;
  if (app) scan.filters[events::kApp] = *app;
  ScoreAccumulator acc;
  std::string key;
  PW_RETURN_IF_ERROR(store.ScanRecords(scan, [&](const events::EventRecord& e) {
    const std::string_view id = FindPageViewId(e.attrs_json);
    key.clear();
    if (!id.empty()) {
      // The app keeps views of different apps apart when every app is scored.
      key.append(e.dims[events::kApp]);
      key.push_back('\0');
      key.append(id);
    }
    acc.Add(key, e.dims[events::kPage], e.dims[events::kDevice], e.vital, e.value);
  }));
  return acc.Finish();
}

double RoundScore(double v) { return std::round(v * 100) / 100; }

std::string RenderScoreJson(const ScoreReport& report, bool by_page) {
  std::string out = R"({"status":"success","data":{"score":)";
  if (report.score) AppendJsonNumber(out, RoundScore(*report.score));
  else out += "null";
  out += R"(,"views":)";
  AppendJsonInt(out, report.views);
  out += R"(,"pages":[)";
  if (by_page) {
    for (size_t i = 0; i < report.pages.size(); ++i) {
      const PageScore& p = report.pages[i];
      if (i) out += ',';
      out += R"({"page":)";
      AppendJsonString(out, p.page);
      out += R"(,"score":)";
      AppendJsonNumber(out, RoundScore(p.score));
      out += R"(,"views":)";
      AppendJsonInt(out, p.views);
      out += R"(,"opportunity":)";
      AppendJsonNumber(out, RoundScore(p.opportunity));
      out += '}';
    }
  }
  out += "]}}";
  return out;
}

void RegisterScoreHandler(http::Router& router, const events::EventReader* store) {
  RegisterAnalysisGet(router, "/api/v1/score", ParseScoreRequest,
                      [store](const ScoreRequest& request, int64_t) -> Result<std::string> {
                        PW_ASSIGN_OR_RETURN(auto report, ComputeScore(*store, request.app, request.from_ms, request.to_ms));
                        return RenderScoreJson(report, request.by_page);
                      });
}

}  // namespace perfwatch::analysis
