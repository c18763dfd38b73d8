#include "ingest/scrape/scrape_metrics.h"

namespace perfwatch::ingest {

ScrapeJobMetrics ScrapeJobMetrics::Register(MetricsRegistry* r, const std::string& job) {
  ScrapeJobMetrics m;
  m.registry = r;
  m.job = job;
  MetricLabels labels = {{"job", job}};
  m.attempts = r->GetCounter("perfwatch_scrape_attempts_total", "Scrapes started, by job.", labels);
  m.samples = r->GetCounter("perfwatch_scrape_samples_total", "Samples appended from scrape bodies, by job.", labels);
  m.rejected = r->GetCounter("perfwatch_scrape_samples_rejected_total",
                             "Scraped samples the time-series store refused (out of order, limits), by job.", labels);
  m.stale_markers =
      r->GetCounter("perfwatch_scrape_stale_markers_total", "Staleness markers written by scrapes, by job.", labels);
  m.duration = r->GetHistogram("perfwatch_scrape_duration_seconds", "Time to fetch a scrape target's body, by job.",
                               DefaultLatencyBuckets(), labels);
  m.targets = r->GetGauge("perfwatch_scrape_targets", "Targets being scraped, by job.", labels);
  return m;
}

void ScrapeJobMetrics::Failure(std::string_view reason) const {
  if (!registry) return;
  registry
      ->GetCounter("perfwatch_scrape_failures_total", "Failed scrapes (up=0), by job and reason.",
                   {{"job", job}, {"reason", std::string(reason)}})
      ->Inc();
}

}  // namespace perfwatch::ingest
