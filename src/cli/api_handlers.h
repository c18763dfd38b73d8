#pragma once
// Small HTTP handlers the server wires in directly: health, readiness, /metrics, the raw
// event export and the embedded front-end assets.
// Thread safety: handlers only read shared state through thread-safe interfaces.
#include <atomic>
#include <string>

#include "common/metrics.h"
#include "events/event_store.h"
#include "http/router.h"

namespace perfwatch::cli {

// GET /healthz (always 200 while the process serves), GET /readyz (200 once `ready`),
// GET /metrics (perfwatch_* and process_* in text format 0.0.4).
void RegisterOperationalHandlers(http::Router& router, MetricsRegistry* metrics, const std::atomic<bool>* ready);

// GET /api/v1/events/export?start=&end=&type=&format=ndjson|csv: stored events as JSON lines
// (default) or CSV, streamed.
void RegisterEventExport(http::Router& router, const events::EventStore* store);

// GET /rum.js and the dashboard files embedded at build time: the dashboard's pages
// ("/", "/vitals", ...: index.html) and its "/assets/..." files. A non-empty `web_dir`
// serves the dashboard's files from that directory instead (a web/dist being developed).
void RegisterStaticAssets(http::Router& router, const std::string& web_dir = "");

}  // namespace perfwatch::cli
