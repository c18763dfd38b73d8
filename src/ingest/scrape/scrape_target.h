#pragma once
// What one scrape loop scrapes: a target address of a job with its URL, its target labels
// (job, instance and the static_configs labels) and its limits, built from the config.
// Also the schedule rule: like Prometheus, each target scrapes at a fixed phase within
// its interval, derived from a hash of the target, so many targets spread over the
// interval instead of all firing at once, and a restart keeps each target's phase.
// Thread safety: plain values and pure functions.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/config.h"
#include "tsdb/labels.h"

namespace perfwatch::ingest {

inline constexpr std::string_view kSelfScrapeJob = "perfwatch";

struct ScrapeTarget {
  std::string job;
  std::string address;         // host:port to connect to
  std::string path_and_query;  // metrics_path plus the params, URL-encoded
  tsdb::Labels labels;         // target labels: job, instance, static labels (sorted)
  int64_t interval_ms = 15'000;
  int64_t timeout_ms = 10'000;
  bool honor_labels = false;
  bool honor_timestamps = true;
  size_t max_body_bytes = 16 << 20;
  size_t max_samples = 0;      // 0 = unlimited
  std::string scheme = "http"; // or "https" (with `tls`)
  ScrapeTlsConfig tls;
  std::string authorization;   // Authorization header value to send ("" = none)

  // The instance label ("" when absent).
  std::string_view instance() const { return labels.Get("instance"); }
  // Identity of the target (job + labels + URL): stable across restarts.
  uint64_t Hash() const;
  // "job/instance" for logs and metadata sources.
  std::string Key() const;
};

// Whether `a` and `b` scrape the same way (every field: URL, labels, interval, timeout,
// limits, TLS, credentials). A reload keeps a target's loop running only when this holds.
bool SameScrape(const ScrapeTarget& a, const ScrapeTarget& b);

// What a reload does to the running targets (`old_targets`) to reach `new_targets`:
// `keep[i]` is the index in old_targets of new_targets[i]'s unchanged loop (SIZE_MAX: start
// a new loop); `stop` lists the old indices whose loops end, with `stale[j]` false when a
// new target with the same labels goes on writing their series (a changed target, or a
// duplicate of a kept one: no stale markers in the middle of a live series). Duplicates
// are matched in order.
struct TargetDiff {
  std::vector<size_t> keep;
  std::vector<size_t> stop;
  std::vector<bool> stale;
};
TargetDiff DiffTargets(const std::vector<ScrapeTarget>& old_targets,
                       const std::vector<ScrapeTarget>& new_targets);

// Every static target of every job in `config`, in file order.
std::vector<ScrapeTarget> TargetsFromConfig(const Config& config);

// The self-scrape target: job "perfwatch", connecting to `address` (the bound listen
// address, with a wildcard host replaced by loopback), instance `instance`. With http.tls
// it scrapes over HTTPS without verifying (it connects to itself) and, with mTLS,
// presents the server's own certificate as its client certificate.
ScrapeTarget SelfScrapeTarget(const Config& config, const std::string& address, const std::string& instance);

// metrics_path with `params` appended as a query string (names and values percent-encoded,
// repeated names kept in order): ("/probe", {module: [a, b]}) -> "/probe?module=a&module=b".
std::string BuildScrapePath(const std::string& metrics_path,
                            const std::vector<std::pair<std::string, std::vector<std::string>>>& params);

// Milliseconds from `now_ms` until the target's first scrape: the target scrapes whenever
// (t mod interval) == ((target_hash ^ seed) mod interval), so the delay is in [0, interval).
int64_t FirstScrapeDelayMs(uint64_t target_hash, uint64_t seed, int64_t interval_ms, int64_t now_ms);

}  // namespace perfwatch::ingest
