#pragma once
// Watched queries of GET /api/v1/stream (`watch=EXPR`) over the PromQL engine: the check
// parses an expression (the message reads like /api/v1/query's: "1:5: parse error: …"),
// the evaluation runs it as an instant query at the current time, as rule evaluation does,
// and answers `{"query":EXPR,"result":DATA}` with DATA exactly the `data` of
// GET /api/v1/query, or `{"query":EXPR,"error":…,"errorType":…}`. The change key leaves
// out evaluation times (an instant vector's sample times, a scalar's time), so an event is
// sent when a value, a series or a range vector's samples change. docs/api.md.
// Thread safety: the returned functions are thread-safe (the engine is).
#include "http/event_stream.h"
#include "query/promql_engine.h"

namespace perfwatch::cli {

// `engine` outlives the watcher (the server stops the hub before the engine).
http::QueryWatcher MakeQueryWatcher(const query::promql::Engine* engine);

}  // namespace perfwatch::cli
