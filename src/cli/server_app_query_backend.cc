// query.backend wiring of ServerApp (docs/scale-out.md "Queries from an external store").
#include "cli/server_app.h"
#include "common/log.h"

namespace perfwatch::cli {

Status ServerApp::StartQueryBackend() {
  if (!config_.query.backend.enabled()) return Status::Ok();
  auto client = alert::QueryBackendClient::Create(config_.query.backend, &metrics_);
  if (!client.ok()) return client.status();
  query_backend_ = std::move(client).value();
  // What still reads the local TSDB (only what this instance ingested and still holds):
  // docs/scale-out.md's "Local-only features".
  PW_LOG_WARN(
      "query.backend is set: the PromQL API, rules and analysis read from the backend",
      "backend={} local_only={}", LogQuote(config_.query.backend.url),
      LogQuote(
          "/api/v1/export, /api/v1/status/tsdb, /api/v1/admin/flush, snapshots, /api/v1/targets "
          "and /api/v1/metadata read this instance's own store"));
  return Status::Ok();
}

}  // namespace perfwatch::cli
