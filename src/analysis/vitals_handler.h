#pragma once
// GET /api/v1/vitals (DESIGN.md): parameter parsing, validation and the JSON answer.
// Thread safety: the handler only reads the store; safe on any worker thread.
#include <array>
#include <string>
#include <string_view>

#include "common/status.h"
#include "events/event_store.h"
#include "http/router.h"
#include "analysis/vitals_report.h"

namespace perfwatch::analysis {

// A finite number parameter ("2.5"); InvalidArgument `"x" is not a number` otherwise.
Result<double> ParseNumberParam(std::string_view s);

// Parses the query parameters of a vitals request relative to `now_ms`.
Result<VitalsRequest> ParseVitalsRequest(const http::Request& req, int64_t now_ms);

// Appends {"labels":{...}: the grouped dims of `request` with their values in `key` (the
// opening of a group object in the vitals answers).
void AppendVitalsLabels(std::string& out, const VitalsRequest& request,
                        const std::array<std::string, events::kDimCount>& key);

// Renders the success body for `request` and `groups`.
std::string RenderVitalsJson(const VitalsRequest& request, const std::vector<VitalsGroup>& groups);

// Registers GET (and POST form) /api/v1/vitals, /api/v1/vitals/series and /api/v1/vitals/histogram.
void RegisterVitalsHandler(http::Router& router, const events::EventStore* store);

}  // namespace perfwatch::analysis
