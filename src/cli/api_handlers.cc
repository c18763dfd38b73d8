#include "cli/api_handlers.h"

#include "common/time.h"
#include "frontend/assets.h"
#include "http/push_stream.h"

namespace perfwatch::cli {

void RegisterOperationalHandlers(http::Router& router, MetricsRegistry* metrics, const std::atomic<bool>* ready) {
  router.Handle("GET", "/healthz", [](const http::Request&, http::Response& res) {
    res.content_type = "text/plain; charset=utf-8";
    res.body = "ok\n";
  }, {.scope = http::Scope::kPublic});
  router.Handle("GET", "/readyz", [ready](const http::Request&, http::Response& res) {
    res.content_type = "text/plain; charset=utf-8";
    if (ready->load()) {
      res.body = "ready\n";
    } else {
      res.status = 503;
      res.body = "not ready\n";
    }
  }, {.scope = http::Scope::kPublic});
  router.Handle("GET", "/metrics", [metrics](const http::Request&, http::Response& res) {
    res.content_type = "text/plain; version=0.0.4; charset=utf-8";
    res.body = metrics->Render();
  }, {.scope = http::Scope::kRead});
}

void RegisterEventExport(http::Router& router, const events::EventStore* store) {
  router.Handle("GET", "/api/v1/events/export", [store](const http::Request& req, http::Response& res) {
    events::ExportQuery q;
    for (const char* name : {"start", "from"}) {
      if (auto v = req.Param(name)) {
        auto t = ParseTimeMs(*v);
        if (!t.ok()) return http::WriteApiError(res, 400, "bad_data", "invalid \"" + std::string(name) + "\": " + t.status().message());
        q.from_ms = *t;
      }
    }
    for (const char* name : {"end", "to"}) {
      if (auto v = req.Param(name)) {
        auto t = ParseTimeMs(*v);
        if (!t.ok()) return http::WriteApiError(res, 400, "bad_data", "invalid \"" + std::string(name) + "\": " + t.status().message());
        q.to_ms = *t;
      }
    }
    if (auto t = req.Param("type")) {
      auto type = events::ParseEventType(*t);
      if (!type) return http::WriteApiError(res, 400, "bad_data", "unknown event type \"" + *t + "\"");
      q.type = *type;
    }
    if (q.from_ms > q.to_ms) return http::WriteApiError(res, 400, "bad_data", "start must not be after end");
    res.content_type = "application/x-ndjson";
    res.stream = http::MakePullStream([store, q](const http::ChunkSink& sink) {
      (void)store->Export(q, sink);  // an error mid-stream can only end the stream early
    });
  }, {.scope = http::Scope::kRead, .route_class = http::RouteClass::kQuery});
}

void RegisterStaticAssets(http::Router& router) {
  auto serve = [](std::string_view path) {
    return [path](const http::Request& req, http::Response& res) {
      const frontend::Asset* asset = frontend::FindAsset(path);
      if (!asset) return http::WriteApiError(res, 404, "not_found", "asset not built into this binary");
      if (!asset->etag.empty() && req.Header("If-None-Match") == asset->etag) {
        res.status = 304;
        return;
      }
      res.content_type = std::string(asset->content_type);
      res.body.assign(asset->body);
      res.headers.emplace_back("Cache-Control", "public, max-age=300");
      if (!asset->etag.empty()) res.headers.emplace_back("ETag", std::string(asset->etag));
      res.headers.emplace_back("Access-Control-Allow-Origin", "*");
    };
  };
  router.Handle("GET", "/rum.js", serve("/rum.js"), {.scope = http::Scope::kPublic});
  router.Handle("GET", "/", serve("/index.html"), {.scope = http::Scope::kRead});  // the dashboard
}

}  // namespace perfwatch::cli
