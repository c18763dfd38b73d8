#include "analysis/network_api.h"

#include <simdjson.h>

#include <array>
#include <cmath>
#include <memory>

#include "analysis/get_api.h"
#include "analysis/time_window.h"
#include "common/json_writer.h"
#include "common/time.h"

namespace perfwatch::analysis {
namespace {


void Num(std::string& out, double v) {
  if (std::isfinite(v)) AppendJsonNumber(out, std::round(v * 1000) / 1000);
  else out += "null";
}

void Flag(std::string& out, int8_t f) { out += f < 0 ? "null" : f ? "true" : "false"; }

void Key(std::string& out, std::string_view k) {
  out += ',';
  AppendJsonString(out, k);
  out += ':';
}

}  // namespace

Result<NetworkRequest> ParseNetworkRequest(const http::Request& req, int64_t now_ms) {
  NetworkRequest out;
  if (auto app = req.Param("app"); app && !app->empty()) out.app = *app;
  if (auto page = req.Param("page"); page && !page->empty()) out.page = *page;
  auto window = ParseTimeWindow(req, now_ms);
  if (!window.ok()) return window.status();
  out.from_ms = window->from_ms;
  out.to_ms = window->to_ms;
  return out;
}

Result<NetworkReport> ComputeNetwork(const events::EventReader& store, const NetworkRequest& request,
                                     const NetworkRules& rules) {
  events::RecordScan scan;
  scan.from_ms = request.from_ms;
  scan.to_ms = request.to_ms;
  if (request.app) scan.filters[events::kApp] = *request.app;
  if (request.page) scan.filters[events::kPage] = *request.page;
  NetworkAccumulator acc(rules);
  // One scan of every type (the row filters do the narrowing; other types are skipped
  // before their attrs are read).
  PW_RETURN_IF_ERROR(store.ScanRecords(scan, [&](const events::EventRecord& e) {
    switch (e.type) {
      case events::EventType::kResource:
        acc.AddResources(e.dims[events::kApp], e.dims[events::kPage], e.session_id, e.id, e.attrs_json);
        break;
      case events::EventType::kVital:
        if (e.vital == events::Vital::kLCP) acc.AddLcp(e.dims[events::kApp], e.value, e.attrs_json);
        break;
      case events::EventType::kNavigation:
        acc.AddNavigation(e.dims[events::kApp], e.value, e.attrs_json);
        break;
      default:
        break;
    }
  }));
  return acc.Finish();
}

namespace {

events::RecordScan BaseScan(const NetworkRequest& request) {
  events::RecordScan scan;
  scan.from_ms = request.from_ms;
  scan.to_ms = request.to_ms;
  if (request.app) scan.filters[events::kApp] = *request.app;
  if (request.page) scan.filters[events::kPage] = *request.page;
  return scan;
}

size_t ParseCachedNetworkEvent(const events::EventRecord& e, StringTable& strings, CachedNetworkEvent& out) {
  thread_local simdjson::dom::parser parser;
  const EventKindForNetwork kind = e.type == events::EventType::kResource ? EventKindForNetwork::kResources
                                   : e.type == events::EventType::kNavigation ? EventKindForNetwork::kNavigation
                                                                               : EventKindForNetwork::kLcp;
  return ParseNetworkEvent(parser, kind, e.dims[events::kApp], e.dims[events::kPage], e.session_id, e.id, e.value,
                           e.attrs_json, strings, out);
}

}  // namespace

struct NetworkCache::Cache : RecordCache<CachedNetworkEvent> {
  Cache(size_t max_bytes, bool page_memo, int analysis_threads)
      : RecordCache(RecordCacheOptions{.max_bytes = max_bytes - max_bytes / 8 * 3}, ParseCachedNetworkEvent),
        memo(max_bytes / 8 * 3),
        use_memo(page_memo),
        threads(analysis_threads) {}
  NetworkPageMemo memo;  // the answers of pages whose events did not change
  const bool use_memo;
  const int threads;
};

NetworkCache::NetworkCache(size_t max_bytes, bool page_memo, int threads)
    : cache_(std::make_unique<Cache>(max_bytes, page_memo, threads)) {}
NetworkCache::~NetworkCache() = default;
size_t NetworkCache::MemoBytes() const { return cache_->memo.MemoryBytes(); }
RecordCacheStats NetworkCache::Stats() const {
  RecordCacheStats s = cache_->Stats();
  s.bytes += cache_->memo.MemoryBytes();
  return s;
}

Result<NetworkReport> ComputeNetwork(const events::EventStore& store, const NetworkRequest& request,
                                     NetworkCache& cache, const NetworkRules& rules) {
  // Every partition's resource events first, then the LCP vitals and navigations that join them.
  std::array<events::RecordScan, 3> scans;
  scans.fill(BaseScan(request));
  scans[0].type = events::EventType::kResource;
  scans[1].type = events::EventType::kVital;
  scans[1].vital = events::Vital::kLCP;
  scans[2].type = events::EventType::kNavigation;
  NetworkAccumulator acc(rules);
  NetworkReport report;
  NetworkPageMemo* memo = cache.cache_->use_memo ? &cache.cache_->memo : nullptr;
  PW_RETURN_IF_ERROR(cache.cache_->Scan(
      store, scans,
      [&](size_t pass, size_t part, const CachedRows<CachedNetworkEvent>& rows, std::span<const uint32_t> index) {
        if (pass == 0) acc.AddCachedResources(part, rows, index);
        else acc.AddCachedJoins(part, rows, index);
      },
      // Under the partitions' shared locks (the analysis reads the cached entries
      // themselves): pages whose events did not change come from the memo, the others are
      // analysed.
      [&] {
        acc.ResolveCached(memo);
        report = acc.Finish(memo, cache.cache_->threads);
      }));
  return report;
}

std::string RenderNetworkJson(const NetworkReport& report) {
  std::string out = R"({"status":"success","data":{"pages":[)";
  for (size_t p = 0; p < report.pages.size(); ++p) {
    const PageNetwork& pg = report.pages[p];
    if (p) out += ',';
    out += R"({"app":)";
    AppendJsonString(out, pg.app);
    Key(out, "page");
    AppendJsonString(out, pg.page);
    Key(out, "views");
    AppendJsonInt(out, pg.views);
    Key(out, "waterfall");
    out += '[';
    for (size_t i = 0; i < pg.waterfall.size(); ++i) {
      const WaterfallEntry& w = pg.waterfall[i];
      if (i) out += ',';
      out += R"({"url":)";
      AppendJsonString(out, w.url);
      Key(out, "type");
      AppendJsonString(out, w.type);
      Key(out, "start"), Num(out, w.start);
      Key(out, "duration"), Num(out, w.duration);
      Key(out, "dns"), Num(out, w.dns);
      Key(out, "connect"), Num(out, w.connect);
      Key(out, "tls"), Num(out, w.tls);
      Key(out, "request"), Num(out, w.request);
      Key(out, "response"), Num(out, w.response);
      Key(out, "transfer"), Num(out, w.transfer);
      Key(out, "render_blocking"), Flag(out, w.render_blocking);
      Key(out, "lcp"), Flag(out, w.lcp ? 1 : 0);
      Key(out, "third_party"), Flag(out, w.third_party);
      out += '}';
    }
    out += ']';
    Key(out, "resources");
    out += '[';
    for (size_t i = 0; i < pg.resources.size(); ++i) {
      const ResourceRow& r = pg.resources[i];
      if (i) out += ',';
      out += R"({"url":)";
      AppendJsonString(out, r.url);
      Key(out, "type");
      AppendJsonString(out, r.type);
      Key(out, "count"), AppendJsonInt(out, r.count);
      Key(out, "p75_duration"), Num(out, r.p75_duration);
      Key(out, "p75_transfer"), Num(out, r.p75_transfer);
      Key(out, "cache_hit_rate"), Num(out, r.cache_hit_rate);
      Key(out, "compression"), Num(out, r.compression);
      Key(out, "third_party"), Flag(out, r.third_party);
      Key(out, "render_blocking"), Flag(out, r.render_blocking);
      out += '}';
    }
    out += ']';
    Key(out, "critical_path");
    out += R"({"resources":[)";
    for (size_t i = 0; i < pg.critical_path.resources.size(); ++i) {
      const CriticalPathEntry& c = pg.critical_path.resources[i];
      if (i) out += ',';
      out += R"({"url":)";
      AppendJsonString(out, c.url);
      Key(out, "type");
      AppendJsonString(out, c.type);
      Key(out, "duration"), Num(out, c.duration);
      Key(out, "share_of_lcp"), Num(out, c.share_of_lcp);
      out += '}';
    }
    out += ']';
    Key(out, "duration"), Num(out, pg.critical_path.duration);
    Key(out, "lcp"), Num(out, pg.critical_path.lcp);
    out += '}';
    Key(out, "summary");
    out += R"({"resources":)";
    Num(out, pg.summary.resources);
    Key(out, "transfer_bytes"), Num(out, pg.summary.transfer_bytes);
    Key(out, "p75_resources"), Num(out, pg.summary.p75_resources);
    Key(out, "p75_transfer_bytes"), Num(out, pg.summary.p75_transfer_bytes);
    out += '}';
    Key(out, "findings");
    out += '[';
    for (size_t i = 0; i < pg.findings.size(); ++i) {
      const NetworkFinding& f = pg.findings[i];
      if (i) out += ',';
      out += R"({"kind":)";
      AppendJsonString(out, f.kind);
      Key(out, "severity");
      AppendJsonString(out, f.severity);
      Key(out, "message");
      AppendJsonString(out, f.message);
      Key(out, "evidence");
      out += f.evidence_json;
      out += '}';
    }
    out += "]}";
  }
  out += "]}}";
  return out;
}

void RegisterNetworkHandler(http::Router& router, const events::EventStore* store,
                            const events::EventReader* backend) {
  auto cache = std::make_shared<NetworkCache>();
  RegisterAnalysisGet(router, "/api/v1/network", ParseNetworkRequest,
                      [store, backend, cache](const NetworkRequest& request, int64_t) -> Result<std::string> {
                        PW_ASSIGN_OR_RETURN(NetworkReport report, backend ? ComputeNetwork(*backend, request)
                                                                          : ComputeNetwork(*store, request, *cache));
                        return RenderNetworkJson(report);
                      });
}

}  // namespace perfwatch::analysis
