#include "ingest/metadata_store.h"

#include <algorithm>
#include <array>

#include "ingest/rum/rum_aggregator.h"

namespace perfwatch::ingest {

void MetadataStore::ReplaceSource(const std::string& source, std::vector<FamilyMetadata> entries) {
  std::lock_guard lock(mu_);
  auto it = sources_.find(source);
  if (it != sources_.end() && it->second == entries) return;
  sources_[source] = std::move(entries);
}

void MetadataStore::RemoveSource(const std::string& source) {
  std::lock_guard lock(mu_);
  sources_.erase(source);
}

void MetadataStore::AddProvider(MetadataProvider provider) {
  std::lock_guard lock(mu_);
  providers_.push_back(std::move(provider));
}

std::map<std::string, std::vector<MetricMetadata>> MetadataStore::Query(const MetadataQuery& query) const {
  std::map<std::string, std::vector<MetricMetadata>> all;
  auto add = [&](const FamilyMetadata& e) {
    if (!query.metric.empty() && e.family != query.metric) return;
    all[e.family].push_back(e.metadata);
  };
  std::vector<MetadataProvider> providers;
  {
    std::lock_guard lock(mu_);
    for (const auto& [source, entries] : sources_) {
      for (const FamilyMetadata& e : entries) add(e);
    }
    providers = providers_;
  }
  std::vector<FamilyMetadata> provided;
  for (const MetadataProvider& p : providers) p(provided);
  for (const FamilyMetadata& e : provided) add(e);

  std::map<std::string, std::vector<MetricMetadata>> out;
  for (auto& [family, list] : all) {
    if (query.limit > 0 && out.size() >= query.limit) break;
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
    if (query.limit_per_metric > 0 && list.size() > query.limit_per_metric) list.resize(query.limit_per_metric);
    out.emplace(family, std::move(list));
  }
  return out;
}

MetadataProvider RegistryMetadataProvider(const MetricsRegistry* registry) {
  return [registry](std::vector<FamilyMetadata>& out) {
    for (MetricFamilyInfo& f : registry->ListFamilies()) {
      out.push_back({std::move(f.name), {std::move(f.type), std::move(f.help), ""}});
    }
  };
}

MetadataProvider RumMetadataProvider() {
  return [](std::vector<FamilyMetadata>& out) {
    static constexpr std::pair<RumMetric, std::string_view> kHelp[] = {
        {RumMetric::kLCP, "Largest Contentful Paint of real-user page views (RUM beacons), in seconds."},
        {RumMetric::kINP, "Interaction to Next Paint of real-user page views (RUM beacons), in seconds."},
        {RumMetric::kFCP, "First Contentful Paint of real-user page views (RUM beacons), in seconds."},
        {RumMetric::kTTFB, "Time to First Byte of real-user page views (RUM beacons), in seconds."},
        {RumMetric::kCLS, "Cumulative Layout Shift of real-user page views (RUM beacons), unitless."},
    };
    for (const auto& [metric, help] : kHelp) {
      out.push_back({std::string(RumMetricName(metric)), {"histogram", std::string(help), ""}});
    }
    // Measures, journeys and resource summaries (rum_extra_aggregator.h).
    static constexpr std::array<std::array<std::string_view, 3>, 5> kExtra = {{
        {"rum_measure_seconds", "histogram", "Custom measures (performance.measure, perfwatch.measure) of real users, in seconds."},
        {"rum_journey_duration_seconds", "histogram", "Duration of completed and failed user journeys (RUM), in seconds."},
        {"rum_journeys_total", "counter", "User journeys (RUM) by outcome: completed, failed, abandoned."},
        {"rum_resource_transfer_bytes_total", "counter", "Bytes transferred for resources of RUM page views (resource summaries)."},
        {"rum_resources_total", "counter", "Resources loaded by RUM page views (resource summaries)."},
    }};
    for (const auto& [name, type, help] : kExtra) {
      out.push_back({std::string(name), {std::string(type), std::string(help), ""}});
    }
  };
}

}  // namespace perfwatch::ingest
