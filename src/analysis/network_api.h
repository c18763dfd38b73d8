#pragma once
// GET /api/v1/network?app=&page=&window= (also from/to) (issue 16 item 3; docs/api.md,
// rules: docs/analysis.md "Network: waterfall, critical path, findings"): per app × page,
// the median page view's waterfall, the resource table, the critical path, a summary and
// findings, from the "slow-resources", LCP and navigation events of the event store over a
// window ending now (default 24h) or [from, to].
// Answer: {"status":"success","data":{"pages":[{"app","page","views","waterfall",
// "resources","critical_path","summary","findings"}]}}; 400 bad_data for bad parameters.
// The handler answers from a NetworkCache (parsed events kept between requests).
// Thread safety: reads the store only; safe on any worker thread.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "analysis/network.h"
#include "common/status.h"
#include "events/event_store.h"
#include "http/router.h"

namespace perfwatch::analysis {

struct NetworkRequest {
  std::optional<std::string> app;   // absent: every app
  std::optional<std::string> page;  // absent: every page (a route template, as stored)
  int64_t from_ms = 0;
  int64_t to_ms = 0;
};

Result<NetworkRequest> ParseNetworkRequest(const http::Request& req, int64_t now_ms);

// Parsed resource, LCP and navigation events kept between requests
// (analysis/record_cache.h: exact and fresh; memory per cached page view: docs/analysis.md),
// and the answers of pages whose events did not change since they were last analysed
// (NetworkPageMemo, analysis/network.h: exact) with each page's analysis state. Bounded by
// `max_bytes` together: 5/8 for the parsed events, 3/8 for the page answers and states.
// Thread-safe.
class NetworkCache {
 public:
  // `page_memo` false: every page is analysed at every request (the parsed events are still
  // kept; the benchmark's baseline). `threads`: NetworkAccumulator::Finish's (0: the cores).
  explicit NetworkCache(size_t max_bytes = size_t{512} << 20, bool page_memo = true, int threads = 0);
  ~NetworkCache();
  NetworkCache(const NetworkCache&) = delete;
  NetworkCache& operator=(const NetworkCache&) = delete;
  RecordCacheStats Stats() const;  // bytes: both parts
  size_t MemoBytes() const;         // the page answers and states alone

 private:
  friend Result<NetworkReport> ComputeNetwork(const events::EventStore&, const NetworkRequest&, NetworkCache&,
                                              const NetworkRules&);
  struct Cache;
  std::unique_ptr<Cache> cache_;
};

// Reads the matching events (one record scan: resources, LCP vitals, navigations), parsing
// each, and analyses them (no cache).
Result<NetworkReport> ComputeNetwork(const events::EventReader& store, const NetworkRequest& request,
                                     const NetworkRules& rules = {});
// The same answer from `cache` (parsing only the events appended since the last request).
Result<NetworkReport> ComputeNetwork(const events::EventStore& store, const NetworkRequest& request,
                                     NetworkCache& cache, const NetworkRules& rules = {});

std::string RenderNetworkJson(const NetworkReport& report);

// Registers GET /api/v1/network (scope read, query class). With `backend` (events.backend:
// clickhouse) the answer is computed from it, without the cache.
void RegisterNetworkHandler(http::Router& router, const events::EventStore* store,
                            const events::EventReader* backend = nullptr);

}  // namespace perfwatch::analysis
