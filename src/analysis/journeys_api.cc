#include "analysis/journeys_api.h"

#include <simdjson.h>

#include <cmath>
#include <memory>

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

namespace {

events::RecordScan JourneysScan(const JourneysRequest& request) {
  events::RecordScan scan;
  scan.from_ms = request.from_ms;
  scan.to_ms = request.to_ms;
  scan.type = events::EventType::kJourney;
  if (request.app) scan.filters[events::kApp] = *request.app;
  return scan;
}

size_t ParseCachedJourney(const events::EventRecord& e, StringTable& strings, JourneyEvent& out) {
  thread_local simdjson::dom::parser parser;
  ParseJourneyEvent(parser, e.attrs_json, &out,
                    [&](std::string_view s) { return strings.Get(strings.Intern(s)); });
  out.app = strings.Get(strings.Intern(e.dims[events::kApp]));
  out.name = strings.Get(strings.Intern(e.name));
  out.time_ms = e.time_ms;
  out.value_ms = e.value;
  return out.steps.capacity() * sizeof(out.steps[0]);
}

}  // namespace

struct JourneysCache::Cache : RecordCache<JourneyEvent> {
  using RecordCache::RecordCache;
};

JourneysCache::JourneysCache(size_t max_bytes)
    : cache_(std::make_unique<Cache>(RecordCacheOptions{.max_bytes = max_bytes},
                                     ParseCachedJourney)) {}
JourneysCache::~JourneysCache() = default;
RecordCacheStats JourneysCache::Stats() const { return cache_->Stats(); }

Result<std::vector<JourneyReport>> ComputeJourneys(const events::EventReader& store, const JourneysRequest& request,
                                                   int64_t now_ms, int64_t timeout_ms) {
  JourneyAccumulator acc(now_ms, timeout_ms);
  PW_RETURN_IF_ERROR(store.ScanRecords(JourneysScan(request), [&](const events::EventRecord& e) {
    if (request.name && e.name != *request.name) return;
    acc.Add(e.dims[events::kApp], e.name, e.time_ms, e.value, e.attrs_json);
  }));
  return acc.Finish();
}

Result<std::vector<JourneyReport>> ComputeJourneys(const events::EventStore& store, const JourneysRequest& request,
                                                   int64_t now_ms, int64_t timeout_ms, JourneysCache& cache) {
  JourneyAccumulator acc(now_ms, timeout_ms);
  PW_RETURN_IF_ERROR(cache.cache_->Scan(store, JourneysScan(request),
                                        [&](const CachedRows<JourneyEvent>& rows, std::span<const uint32_t> index) {
                                          for (uint32_t i : index) {
                                            const JourneyEvent& e = rows.entries[i];
                                            if (request.name && e.name != *request.name) continue;
                                            acc.Add(e);
                                          }
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
  RegisterJourneysHandler(router, store, [timeout_ms] { return timeout_ms; });
}

void RegisterJourneysHandler(http::Router& router, const events::EventStore* store,
                             std::function<int64_t()> timeout_ms, const events::EventReader* backend) {
  auto cache = std::make_shared<JourneysCache>();
  RegisterAnalysisGet(router, "/api/v1/journeys", ParseJourneysRequest,
                      [store, backend, timeout_ms = std::move(timeout_ms), cache](
                          const JourneysRequest& request, int64_t now) -> Result<std::string> {
                        PW_ASSIGN_OR_RETURN(auto journeys,
                                            backend ? ComputeJourneys(*backend, request, now, timeout_ms())
                                                    : ComputeJourneys(*store, request, now, timeout_ms(), *cache));
                        return RenderJourneysJson(journeys);
                      });
}

}  // namespace perfwatch::analysis
