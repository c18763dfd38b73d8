#pragma once
// GET /api/v1/score?app=&window=&by=page (issue 15 item 4; docs/score.md): the performance
// score of an app (or of every app when `app` is absent) over a window ending now (or
// `from`/`to`), from the vital events in the event store grouped into page views by their
// `pageViewId` (kept in the beacon's attrs_json).
// Answer: {"status":"success","data":{"score":87.3,"views":N,"pages":[{"page","score",
// "views","opportunity"}]}}: scores and opportunities rounded to 2 decimals, "score" null
// without views, "pages" filled with by=page (else []), by opportunity descending.
// Thread safety: reads the store only; safe on any worker thread.
#include <cstdint>
#include <optional>
#include <string>

#include "analysis/score.h"
#include "common/status.h"
#include "events/event_store.h"
#include "http/router.h"

namespace perfwatch::analysis {

struct ScoreRequest {
  std::optional<std::string> app;  // absent: every app (views keyed by app + pageViewId)
  int64_t from_ms = 0;
  int64_t to_ms = 0;
  bool by_page = false;
};

Result<ScoreRequest> ParseScoreRequest(const http::Request& req, int64_t now_ms);

// Reads the vital events of `app` in [from_ms, to_ms] and scores them.
Result<ScoreReport> ComputeScore(const events::EventReader& store, const std::optional<std::string>& app,
                                 int64_t from_ms, int64_t to_ms);

// `v` rounded to 2 decimals (what the API shows).
double RoundScore(double v);

std::string RenderScoreJson(const ScoreReport& report, bool by_page);

// Registers GET /api/v1/score (scope read, query class).
void RegisterScoreHandler(http::Router& router, const events::EventReader* store);

}  // namespace perfwatch::analysis
