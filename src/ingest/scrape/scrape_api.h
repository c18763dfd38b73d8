#pragma once
// GET /api/v1/targets in Prometheus 2.42's shape (web/api/v1/api.go `targets`): every
// scrape target with its discovered labels (__address__, __metrics_path__, __scheme__,
// __scrape_interval__, __scrape_timeout__, __param_*, job and static labels), target
// labels, scrapePool (the job), scrapeUrl, globalUrl, lastError, lastScrape (RFC 3339,
// Go's zero time before the first scrape), lastScrapeDuration (seconds), health ("up",
// "down", "unknown" before the first scrape), scrapeInterval and scrapeTimeout. Pools in
// name order, targets in configuration order. `state` = active | dropped | any (default
// any) and `scrapePool` filter as in Prometheus; perfwatch drops no targets (no
// relabelling), so droppedTargets is always []. docs/api.md.
// Thread safety: the handler calls `reports` from worker threads; it must be thread-safe.
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "http/router.h"
#include "ingest/scrape/scrape_loop.h"
#include "ingest/scrape/scrape_target.h"

namespace perfwatch::ingest {

using TargetReports = std::function<std::vector<std::pair<ScrapeTarget, ScrapeReport>>()>;

// The JSON `data` object for `reports` ("globalUrl" replaces a loopback host by `hostname`).
std::string RenderTargets(const std::vector<std::pair<ScrapeTarget, ScrapeReport>>& reports, std::string_view state,
                          std::string_view scrape_pool, std::string_view hostname);

void RegisterTargetsApi(http::Router& router, TargetReports reports);

}  // namespace perfwatch::ingest
