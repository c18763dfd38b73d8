#pragma once
// Deploy markers over HTTP (tracker issue 15 items 1 and 2; docs/api.md "Deploys",
// docs/analysis.md "Deploys and release impact"):
//   POST /api/v1/deploys (scope ingest): body {"app" | "service", "version", "commit",
//     "environment", "time" (unix seconds or RFC 3339; default now)} -> 200 {"status":
//     "success","data":<deploy>}; 400 bad_data naming the field. The deploy is stored
//     durably (events/deploy_store.h) and written to the TSDB as
//     perfwatch_deploy_info{app|service,version,commit,environment} 1 at its time.
//   GET /api/v1/deploys?app=&service=&environment=&start=&end=&limit= (scope read):
//     data: [<deploy>...], newest first.
//   GET /api/v1/deploys/{id} (scope read): data: <deploy>; 404 not_found.
//   GET /api/v1/deploys/{id}/impact?window=1h&alpha=0.05&min_samples=10 (scope read):
//     data: the release impact (analysis/release_impact.h).
// <deploy> is {"id","app" (or "service"),"version","commit","environment","time"}, time
// RFC 3339 with milliseconds.
// Thread safety: the handlers keep no state; the stores are thread-safe.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "events/deploy_store.h"
#include "http/router.h"

namespace perfwatch::events {
class EventReader;
class SpanReader;
class ErrorReader;
}  // namespace perfwatch::events
namespace perfwatch::tsdb {
class Tsdb;
}  // namespace perfwatch::tsdb

namespace perfwatch::analysis {

inline constexpr std::string_view kDeployInfoMetric = "perfwatch_deploy_info";
inline constexpr int64_t kMaxImpactWindowMs = 7LL * 24 * 3600 * 1000;

// Parses a POST /api/v1/deploys body; `now_ms` is the default time. InvalidArgument names
// the field ("\"version\" is required").
Result<events::Deploy> ParseDeployRequest(std::string_view body, int64_t now_ms);

// The deploy JSON object (shape above).
std::string RenderDeployJson(const events::Deploy& deploy);

// Appends perfwatch_deploy_info{...} 1 at deploy.time_ms.
Status WriteDeploySeries(tsdb::Tsdb* tsdb, const events::Deploy& deploy);

struct DeploysApiSources {
  events::DeployStore* deploys = nullptr;     // required
  tsdb::Tsdb* tsdb = nullptr;                 // the info series (skipped when null)
  // The impact's readers: the local stores, or ClickHouse with events.backend: clickhouse.
  const events::EventReader* events = nullptr;  // vitals per page
  const events::SpanReader* spans = nullptr;    // routes
  const events::ErrorReader* errors = nullptr;  // new error groups
};

void RegisterDeploysApi(http::Router& router, DeploysApiSources sources);

}  // namespace perfwatch::analysis
