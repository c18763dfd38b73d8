#pragma once
// Which parts of the configuration file a reload (SIGHUP, POST /-/reload) applies and which
// need a restart (docs/operations.md "Reloading"), decided on the YAML text so the rule is
// one table for the server's reload, its warning and GET /api/v1/status/config.
//  - Restart-only keys: those that open storage or sockets or size thread pools (listen,
//    data_dir, http.listen, http.threads, http.tls, http.web_dir, otlp.listen,
//    rules.eval_threads, auth.disabled, query.backend). A reload that changes one keeps the running value, applies
//    the rest and names the key in its warning.
//  - Everything else (scrape_configs, scrape, global (scrape_*, evaluation_interval,
//    rule_query_offset, external_labels), rule_files, the rest of rules, alerting, alerts,
//    synthetic (max_browsers too: the browser pool grows or shrinks), remote_write,
//    auth.tokens, log_level, external_url, reports, query (cache_max_bytes too: the cache
//    is resized), rum (the series caps, rate limit, percentile writer and journey_timeout
//    too), analysis (watches, changepoint, leak, health), tsdb (limits for appends from
//    then on, retention at the next maintenance flush), events (retention, fsync_interval),
//    http (limits, timeouts, max_inflight_*, trusted_proxies: new connections and requests)
//    and otlp (max_body_bytes, the RED caps, span_retention)) is applied.
// Keys are compared as parsed YAML (emitted back to text), so formatting and comments do
// not count as changes.
// Thread safety: pure functions.
#include <string>
#include <vector>

#include "common/status.h"

namespace perfwatch {

struct ReloadPlan {
  // Restart-only keys whose value differs, as "section" or "section.key", sorted.
  std::vector<std::string> restart_needed;
  // The configuration the server runs with after the reload, as YAML: the new file with
  // every restart-only key as it was in `running_yaml` (what GET /api/v1/status/config
  // shows and the next reload compares against).
  std::string applied_yaml;
};

// `running_yaml`: the text the server runs with (the file at start, then each reload's
// applied_yaml); `fresh_yaml`: the file as it is now (already parsed by ParseConfig).
Result<ReloadPlan> PlanReload(const std::string& running_yaml, const std::string& fresh_yaml);

}  // namespace perfwatch
