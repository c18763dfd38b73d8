#include "cli/api_handlers.h"

#include <fstream>
#include <sstream>

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
    // format: JSON lines (the default; "ndjson" names it) or CSV (RFC 4180, header first).
    res.content_type = "application/x-ndjson";
    if (auto f = req.Param("format")) {
      if (*f == "csv") {
        q.format = events::ExportFormat::kCsv;
        res.content_type = "text/csv; charset=utf-8; header=present";
      } else if (*f != "ndjson") {
        return http::WriteApiError(res, 400, "bad_data", "unknown format \"" + *f + "\" (ndjson or csv)");
      }
    }
    if (q.from_ms > q.to_ms) return http::WriteApiError(res, 400, "bad_data", "start must not be after end");
    res.stream = http::MakePullStream([store, q](const http::ChunkSink& sink) {
      (void)store->Export(q, sink);  // an error mid-stream can only end the stream early
    });
  }, {.scope = http::Scope::kRead, .route_class = http::RouteClass::kQuery});
}

namespace {

// The dashboard's page paths (web/src/routes.ts): each serves index.html, whose script
// reads the path and the query string (the page's state) itself.
constexpr std::string_view kDashboardPages[] = {"/", "/overview", "/vitals", "/alerts", "/explore", "/server",
                                                "/services", "/route", "/trace", "/db", "/errors",
                                                "/regressions", "/deploy", "/memory", "/network",
                                                "/journeys", "/budgets", "/checks"};

std::string_view ContentTypeOf(std::string_view path) {
  auto ends = [&](std::string_view ext) { return path.ends_with(ext); };
  if (ends(".js") || ends(".mjs")) return "application/javascript; charset=utf-8";
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".json") || ends(".map")) return "application/json";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".ico")) return "image/x-icon";
  if (ends(".woff2")) return "font/woff2";
  return "application/octet-stream";
}

// From `web_dir` on disk (dashboard development): any path with a ".." segment or a
// missing file is a 404.
bool ServeFromDir(const std::string& web_dir, std::string_view path, http::Response& res) {
  if (path.find("..") != std::string_view::npos) return false;
  std::string file = web_dir + std::string(path);
  if (file.back() == '/') file += "index.html";
  std::ifstream in(file, std::ios::binary);
  if (!in) return false;
  std::ostringstream body;
  body << in.rdbuf();
  res.content_type = std::string(ContentTypeOf(file));
  res.body = std::move(body).str();
  res.headers.emplace_back("Cache-Control", "no-cache");
  return true;
}

}  // namespace

void RegisterStaticAssets(http::Router& router, const std::string& web_dir) {
  // `cache`: the Cache-Control of an embedded file; `file`: what to serve, or empty for
  // the request's own path.
  auto serve = [web_dir](std::string_view file, std::string cache) {
    return [web_dir, file, cache](const http::Request& req, http::Response& res) {
      std::string_view path = file.empty() ? std::string_view(req.path) : file;
      if (!web_dir.empty()) {
        if (!ServeFromDir(web_dir, path, res)) http::WriteApiError(res, 404, "not_found", "no such file in --web-dir");
        return;
      }
      const frontend::Asset* asset = frontend::FindAsset(path);
      if (!asset) return http::WriteApiError(res, 404, "not_found", "asset not built into this binary");
      if (!asset->etag.empty() && req.Header("If-None-Match") == asset->etag) {
        res.status = 304;
        return;
      }
      res.content_type = std::string(asset->content_type);
      res.body.assign(asset->body);
      res.headers.emplace_back("Cache-Control", cache);
      if (!asset->etag.empty()) res.headers.emplace_back("ETag", std::string(asset->etag));
      res.headers.emplace_back("Access-Control-Allow-Origin", "*");
    };
  };
  router.Handle("GET", "/rum.js", serve("/rum.js", "public, max-age=300"), {.scope = http::Scope::kPublic});
  // The same SDK plus W3C trace propagation (opt-in, over the 5 KB budget of rum.js).
  router.Handle("GET", "/rum-trace.js", serve("/rum-trace.js", "public, max-age=300"),
                {.scope = http::Scope::kPublic});
  // The extended SDK (issue 16): resource summary, LCP / INP subparts, journeys (8 KB budget).
  router.Handle("GET", "/rum.full.js", serve("/rum.full.js", "public, max-age=300"),
                {.scope = http::Scope::kPublic});
  // The dashboard: its pages need `read` (they show data); its script and style files are
  // code without data, named by content hash (Vite), so public and cached for good.
  for (std::string_view page : kDashboardPages) {
    router.Handle("GET", std::string(page), serve("/index.html", "no-cache"), {.scope = http::Scope::kRead});
  }
  router.HandlePrefix("GET", "/assets/", serve("", "public, max-age=31536000, immutable"),
                      {.scope = http::Scope::kPublic});
}

}  // namespace perfwatch::cli
