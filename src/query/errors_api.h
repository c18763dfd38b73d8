#pragma once
// GET /api/v1/errors and GET /api/v1/errors/{fingerprint} (tracker issue 14 item 5): the
// error groups of an error store (events::ErrorReader), aggregated over a window, in the shapes of
// /work/notes/apm-contracts.md and docs/api.md (Prometheus envelope; 400 bad_data for a bad
// parameter, 404 not_found for an unknown fingerprint). Grouping rules: docs/errors.md.
//
// Thread safety: the handlers run on any worker thread; the store is thread-safe.
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "events/error_reader.h"
#include "http/router.h"

namespace perfwatch::query {

// One row of the list, for reports (report/): the groups of [from_ms, to_ms] as GET
// /api/v1/errors?start=&end=&app=&limit= lists them (sort=count).
struct ErrorGroupSummary {
  uint64_t fingerprint = 0;
  std::string type, message, scope;  // scope: the app (browser) or service (backend)
  events::ErrorSource source = events::ErrorSource::kBrowser;
  uint64_t count = 0, sessions = 0;
  int64_t first_seen_ms = 0, last_seen_ms = 0;
  bool is_new = false;  // first seen within the window
};
Result<std::vector<ErrorGroupSummary>> TopErrorGroups(const events::ErrorReader& store, int64_t from_ms,
                                                      int64_t to_ms, const std::optional<std::string>& app,
                                                      size_t limit);

// `store` (the local error store, or ClickHouse with events.backend: clickhouse) must
// outlive the router. Scope read, route class query. A store that fails: 503 when it is
// unreachable, else 500.
void RegisterErrorsApi(http::Router& router, const events::ErrorReader* store);

}  // namespace perfwatch::query
