#pragma once
// The scraping part of the YAML configuration: the top-level `scrape:` section, Prometheus'
// `global:` spelling of its defaults, and the `scrape_configs:` list (static targets only).
// Internal to config.cc (with the YAML helpers both use); keys and rules are documented in
// docs/configuration.md.
// Thread safety: pure functions.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <set>
#include <string>

#include "common/config.h"
#include "common/status.h"

namespace perfwatch::config_internal {

// Shared by config.cc and the config_*.cc section parsers: `key` of `node`, when present, into `out`
// (durations as ParseDurationMs accepts them).
Status ReadDuration(const YAML::Node& node, const std::string& key, int64_t* out);

// An error naming `where` when `node` is not a mapping or has a key outside `known`.
Status CheckKeys(const YAML::Node& node, const std::string& where, const std::set<std::string>& known);
template <typename T>
void ReadScalar(const YAML::Node& node, const std::string& key, T* out) {
  if (node[key]) *out = node[key].as<T>();
}

// Reads `scrape:`, `global:` and `scrape_configs:` from the root mapping into `c`, then
// fills every job's unset interval and timeout from the global defaults (a timeout
// defaults to min(scrape.timeout, job interval), as in Prometheus).
Status ParseScrapeSections(const YAML::Node& root, Config* c);

// Ranges and consistency of c.scrape and c.scrape_configs.
Status ValidateScrapeConfig(const Config& c);

// "host:port" with a non-empty host and a port 1..65535; no scheme, no path.
Status ValidateTargetAddress(const std::string& target);

}  // namespace perfwatch::config_internal
