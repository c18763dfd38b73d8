#pragma once
// MetadataStore: metric family metadata (type, help, unit) for GET /api/v1/metadata.
// Two kinds of source feed it:
//  - scrape targets replace their whole set after every successful scrape
//    (ReplaceSource) and drop it when they stop (RemoveSource), like Prometheus' per-target
//    metadata cache;
//  - providers are called at query time for metadata that lives elsewhere (perfwatch's
//    own registry, the rum_* histograms).
// Query merges every source: one list per family of the distinct (type, help, unit)
// triples, families in name order.
// Thread safety: thread-safe; one mutex guards the scraped sources and the providers.
// Providers are called under no lock of this class and must be thread-safe themselves.
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/metrics.h"

namespace perfwatch::ingest {

struct MetricMetadata {
  std::string type;  // Prometheus' names: counter, gauge, histogram, summary, unknown, ...
  std::string help;
  std::string unit;
  friend bool operator==(const MetricMetadata&, const MetricMetadata&) = default;
  friend auto operator<=>(const MetricMetadata&, const MetricMetadata&) = default;
};

struct FamilyMetadata {
  std::string family;
  MetricMetadata metadata;
  friend bool operator==(const FamilyMetadata&, const FamilyMetadata&) = default;
};

using MetadataProvider = std::function<void(std::vector<FamilyMetadata>& out)>;

struct MetadataQuery {
  std::string metric;           // only this family; empty = all
  size_t limit = 0;             // at most this many families; 0 = no limit
  size_t limit_per_metric = 0;  // at most this many entries per family; 0 = no limit
};

class MetadataStore {
 public:
  MetadataStore() = default;
  MetadataStore(const MetadataStore&) = delete;
  MetadataStore& operator=(const MetadataStore&) = delete;

  // Replaces everything `source` reported before.
  void ReplaceSource(const std::string& source, std::vector<FamilyMetadata> entries);
  void RemoveSource(const std::string& source);
  void AddProvider(MetadataProvider provider);

  std::map<std::string, std::vector<MetricMetadata>> Query(const MetadataQuery& query) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::vector<FamilyMetadata>> sources_;  // guarded by mu_
  std::vector<MetadataProvider> providers_;                    // guarded by mu_
};

// A provider listing the families of perfwatch's own registry (MetricsRegistry::ListFamilies).
MetadataProvider RegistryMetadataProvider(const MetricsRegistry* registry);

// A provider listing the rum_* histograms (DESIGN.md "RUM aggregates").
MetadataProvider RumMetadataProvider();

}  // namespace perfwatch::ingest
