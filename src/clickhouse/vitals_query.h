#pragma once
// GET /api/v1/vitals answered from ClickHouse (events.backend: clickhouse): the same
// parameters, JSON and numbers as the local store (analysis/vitals_handler.h). The SQL
// resolves replace-on-repeat as the store does (of the events sharing a (session_id, id)
// pair, the one with the latest (time, log position) counts), groups, and returns per
// group the count, the good and poor counts (web-vitals thresholds) and, per percentile,
// the two order statistics around its rank (arraySort(groupArray(value))); perfwatch
// interpolates them with analysis/percentile.h's definition (linear, numpy's default), so
// the answer is bit for bit the local store's. 18.16's quantileExact is nearest-rank, not
// interpolated: not used. Doubles travel as IEEE bit patterns (see tsv.h).
// Thread safety: thread-safe (the client is).
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/vitals_report.h"
#include "clickhouse/client.h"
#include "common/status.h"
#include "http/router.h"

namespace perfwatch::clickhouse {

// The SELECT for `request` against `database`.events (database: a valid name).
std::string BuildVitalsSql(const analysis::VitalsRequest& request, std::string_view database);

// Groups from BuildVitalsSql's TabSeparated answer, sorted by label values as
// ComputeVitals sorts them. InvalidArgument for an answer of the wrong shape.
Result<std::vector<analysis::VitalsGroup>> ParseVitalsAnswer(std::string_view answer,
                                                             const analysis::VitalsRequest& request);

Result<std::vector<analysis::VitalsGroup>> QueryVitals(const Client& client, const analysis::VitalsRequest& request);

// Registers GET and POST /api/v1/vitals answering from ClickHouse. Register it before
// analysis::RegisterVitalsHandler: the router takes the first exact match. ClickHouse
// unreachable: 503 in Prometheus' error shape.
void RegisterClickHouseVitals(http::Router& router, std::shared_ptr<const Client> client);

}  // namespace perfwatch::clickhouse
