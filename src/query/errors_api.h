#pragma once
// GET /api/v1/errors and GET /api/v1/errors/{fingerprint} (tracker issue 14 item 5): the
// error groups of the error store, aggregated over a window, in the shapes of
// /work/notes/apm-contracts.md and docs/api.md (Prometheus envelope; 400 bad_data for a bad
// parameter, 404 not_found for an unknown fingerprint). Grouping rules: docs/errors.md.
//
// Thread safety: the handlers run on any worker thread; the store is thread-safe.
#include "events/error_store.h"
#include "http/router.h"

namespace perfwatch::query {

// `store` must outlive the router. Scope read, route class query.
void RegisterErrorsApi(http::Router& router, const events::ErrorStore* store);

}  // namespace perfwatch::query
