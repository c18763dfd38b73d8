#pragma once
// perfwatch's own counters about scraping (in GET /metrics), per job:
//   perfwatch_scrape_attempts_total{job}            scrapes started
//   perfwatch_scrape_failures_total{job,reason}     scrapes with up=0, by reason (connect,
//       timeout, http_status, body_limit, decompress, io, parse, sample_limit, append)
//   perfwatch_scrape_samples_total{job}             samples appended from scrape bodies
//   perfwatch_scrape_samples_rejected_total{job}    samples the TSDB refused (out of order, limits)
//   perfwatch_scrape_stale_markers_total{job}       staleness markers written
//   perfwatch_scrape_duration_seconds{job}          histogram of fetch time
//   perfwatch_scrape_targets{job}                   targets being scraped
// Thread safety: the pointers are the registry's thread-safe metrics; Failure() takes the
// registry lock (once per failed scrape).
#include <string>
#include <string_view>

#include "common/metrics.h"

namespace perfwatch::ingest {

struct ScrapeJobMetrics {
  MetricsRegistry* registry = nullptr;
  std::string job;
  Counter* attempts = nullptr;
  Counter* samples = nullptr;
  Counter* rejected = nullptr;
  Counter* stale_markers = nullptr;
  Histogram* duration = nullptr;
  Gauge* targets = nullptr;

  // `registry` must outlive the returned value.
  static ScrapeJobMetrics Register(MetricsRegistry* registry, const std::string& job);
  void Failure(std::string_view reason) const;
};

}  // namespace perfwatch::ingest
