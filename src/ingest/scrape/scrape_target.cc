#include "ingest/scrape/scrape_target.h"

#include <cstdint>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "common/hash.h"
#include "http/blocking_client.h"

namespace perfwatch::ingest {
namespace {

// Target labels as Prometheus builds them: the static labels first, then job and instance
// unless a static label already set them.
tsdb::Labels TargetLabels(const std::string& job, const std::string& address,
                          const std::vector<std::pair<std::string, std::string>>& static_labels) {
  std::vector<tsdb::LabelView> views;
  bool has_job = false, has_instance = false;
  for (const auto& [name, value] : static_labels) {
    if (value.empty()) continue;
    views.push_back({name, value});
    has_job |= name == "job";
    has_instance |= name == "instance";
  }
  if (!has_job) views.push_back({"job", job});
  if (!has_instance) views.push_back({"instance", address});
  return tsdb::Labels::FromViews(views);
}

}  // namespace

uint64_t ScrapeTarget::Hash() const {
  std::vector<tsdb::LabelView> views = labels.Views();
  return HashMix(tsdb::HashLabels(views), HashBytes(address + path_and_query));
}

std::string ScrapeTarget::Key() const { return job + "/" + std::string(instance()); }

bool SameScrape(const ScrapeTarget& a, const ScrapeTarget& b) {
  const auto tls = [](const ScrapeTlsConfig& t) {
    return std::tie(t.ca_file, t.cert_file, t.key_file, t.server_name, t.insecure_skip_verify);
  };
  return a.job == b.job && a.address == b.address && a.path_and_query == b.path_and_query &&
         a.labels == b.labels && a.interval_ms == b.interval_ms && a.timeout_ms == b.timeout_ms &&
         a.honor_labels == b.honor_labels && a.honor_timestamps == b.honor_timestamps &&
         a.max_body_bytes == b.max_body_bytes && a.max_samples == b.max_samples &&
         a.scheme == b.scheme && tls(a.tls) == tls(b.tls) && a.authorization == b.authorization;
}

TargetDiff DiffTargets(const std::vector<ScrapeTarget>& old_targets,
                       const std::vector<ScrapeTarget>& new_targets) {
  TargetDiff d;
  d.keep.assign(new_targets.size(), SIZE_MAX);
  std::unordered_map<uint64_t, std::vector<size_t>> old_by_hash;  // unmatched old targets, in order
  for (size_t j = 0; j < old_targets.size(); ++j) old_by_hash[old_targets[j].Hash()].push_back(j);
  for (size_t i = 0; i < new_targets.size(); ++i) {
    auto it = old_by_hash.find(new_targets[i].Hash());
    if (it == old_by_hash.end()) continue;
    std::vector<size_t>& candidates = it->second;
    for (size_t k = 0; k < candidates.size(); ++k) {
      if (SameScrape(old_targets[candidates[k]], new_targets[i])) {
        d.keep[i] = candidates[k];
        candidates.erase(candidates.begin() + static_cast<std::ptrdiff_t>(k));
        break;
      }
    }
  }
  std::vector<bool> used(old_targets.size(), false);
  for (size_t j : d.keep) {
    if (j != SIZE_MAX) used[j] = true;
  }
  std::unordered_set<std::string> new_labels;  // series some new target goes on writing
  for (const ScrapeTarget& t : new_targets) new_labels.insert(t.labels.ToString());
  for (size_t j = 0; j < old_targets.size(); ++j) {
    if (used[j]) continue;
    d.stop.push_back(j);
    d.stale.push_back(!new_labels.count(old_targets[j].labels.ToString()));
  }
  return d;
}

std::string BuildScrapePath(const std::string& metrics_path,
                            const std::vector<std::pair<std::string, std::vector<std::string>>>& params) {
  std::string out = metrics_path;
  char sep = out.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [name, values] : params) {
    for (const std::string& v : values) {
      out += sep;
      sep = '&';
      out += http::UrlEncode(name);
      out += '=';
      out += http::UrlEncode(v);
    }
  }
  return out;
}

std::vector<ScrapeTarget> TargetsFromConfig(const Config& config) {
  std::vector<ScrapeTarget> out;
  for (const ScrapeConfig& job : config.scrape_configs) {
    for (const StaticTargetsConfig& group : job.static_configs) {
      for (const std::string& address : group.targets) {
        ScrapeTarget t;
        t.job = job.job_name;
        t.address = address;
        t.path_and_query = BuildScrapePath(job.metrics_path, job.params);
        t.labels = TargetLabels(job.job_name, address, group.labels);
        t.interval_ms = job.interval_ms;
        t.timeout_ms = job.timeout_ms;
        t.honor_labels = job.honor_labels;
        t.honor_timestamps = job.honor_timestamps;
        t.max_body_bytes = config.scrape.max_body_bytes;
        t.max_samples = config.scrape.max_samples_per_scrape;
        t.scheme = job.scheme;
        t.tls = job.tls_config;
        out.push_back(std::move(t));
      }
    }
  }
  return out;
}

ScrapeTarget SelfScrapeTarget(const Config& config, const std::string& address, const std::string& instance) {
  ScrapeTarget t;
  t.job = std::string(kSelfScrapeJob);
  t.address = address;
  t.path_and_query = "/metrics";
  t.labels = TargetLabels(t.job, instance, {});
  t.interval_ms = config.scrape.self_scrape_interval_ms > 0 ? config.scrape.self_scrape_interval_ms
                                                             : config.scrape.interval_ms;
  t.timeout_ms = std::min(config.scrape.timeout_ms, t.interval_ms);
  t.max_body_bytes = config.scrape.max_body_bytes;
  t.max_samples = config.scrape.max_samples_per_scrape;
  if (config.http.tls.enabled()) {
    t.scheme = "https";
    t.tls.insecure_skip_verify = true;
    if (!config.http.tls.client_ca_file.empty()) {
      t.tls.cert_file = config.http.tls.cert_file;
      t.tls.key_file = config.http.tls.key_file;
    }
  }
  return t;
}

int64_t FirstScrapeDelayMs(uint64_t target_hash, uint64_t seed, int64_t interval_ms, int64_t now_ms) {
  if (interval_ms <= 0) return 0;
  const uint64_t interval = static_cast<uint64_t>(interval_ms);
  int64_t phase = static_cast<int64_t>((target_hash ^ seed) % interval);
  int64_t now_phase = ((now_ms % interval_ms) + interval_ms) % interval_ms;
  int64_t delay = phase - now_phase;
  if (delay < 0) delay += interval_ms;
  return delay;
}

}  // namespace perfwatch::ingest
