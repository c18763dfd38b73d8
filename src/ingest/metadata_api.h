#pragma once
// GET /api/v1/metadata in Prometheus' shape:
//   {"status":"success","data":{"<family>":[{"type":"counter","help":"...","unit":""}]}}
// Parameters: metric (one family), limit (families), limit_per_metric (entries per family);
// limits of 0 or below mean no limit (as in Prometheus 3); a non-integer is 400 bad_data.
// Families are listed in name order.
// Thread safety: the handler only uses MetadataStore's thread-safe Query.
#include "http/router.h"
#include "ingest/metadata_store.h"

namespace perfwatch::ingest {

// `store` must outlive the router.
void RegisterMetadataApi(http::Router& router, const MetadataStore* store);

// The response body for `query` (exposed for tests).
std::string RenderMetadataJson(const std::map<std::string, std::vector<MetricMetadata>>& data);

}  // namespace perfwatch::ingest
