#pragma once
// ScrapeLoop: scrapes one target on its schedule and writes what it finds into the TSDB.
// A scrape:
//  1. fetches the body (scrape_client.h), stamped with the scrape's start time;
//  2. parses all of it into a ScrapeBuffer; a parse error or the sample limit fails the
//     whole scrape and nothing of the body is appended (all-or-nothing);
//  3. appends the samples in one AppendBatch, together with staleness markers
//     (tsdb/stale.h) for every series the previous scrape had and this one has not;
//  4. appends the report series, labelled with the target labels: up,
//     scrape_duration_seconds, scrape_samples_scraped, scrape_samples_post_metric_relabeling
//     (equal to scraped: there is no relabeling) and scrape_series_added (series the
//     TSDB created for this scrape);
//  5. replaces the target's metadata in the MetadataStore.
// A failed scrape writes up=0 and marks every series of the previous successful scrape
// stale. Series whose samples carry their own timestamps are not tracked for staleness
// (as in Prometheus). MarkStale() ends every tracked series and the report series: used
// when the loop stops (server shutdown, target removed).
//
// Scheduling (Start): the first scrape waits FirstScrapeDelayMs (a phase from the target's
// hash), then one scrape per interval on that phase; a scrape that overruns skips the
// slots it missed.
//
// Thread safety: Start(), ScrapeOnce(), Complete() and MarkStale() touch the loop's scrape
// state without a lock: the scheduled chain runs one step at a time, and ScrapeManager
// only calls MarkStale() after the threads running that chain have been joined. Tests call
// ScrapeOnce()/MarkStale() on a loop that was never started. last_report() is
// thread-safe (report_mu_).
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/metrics.h"
#include "ingest/metadata_store.h"
#include "ingest/scrape/exposition_parser.h"
#include "ingest/scrape/scrape_buffer.h"
#include "ingest/scrape/scrape_client.h"
#include "ingest/scrape/scrape_metrics.h"
#include "ingest/scrape/scrape_target.h"
#include "tsdb/tsdb.h"

namespace perfwatch::ingest {

struct ScrapeReport {
  int64_t time_ms = 0;          // scrape start (the samples' default timestamp)
  bool up = false;
  std::string error;            // why the scrape failed ("" when up)
  double duration_seconds = 0;  // fetch time
  size_t samples_scraped = 0;
  size_t series_added = 0;
  size_t stale_markers = 0;
  size_t rejected = 0;          // samples the TSDB refused (out of order, limits); up stays 1
};

class ScrapeLoop {
 public:
  // `tsdb` must outlive the loop; `metadata` and `metrics` may be null.
  ScrapeLoop(ScrapeTarget target, tsdb::Tsdb* tsdb, MetadataStore* metadata, MetricsRegistry* metrics,
             std::string user_agent);
  ~ScrapeLoop();
  ScrapeLoop(const ScrapeLoop&) = delete;
  ScrapeLoop& operator=(const ScrapeLoop&) = delete;

  const ScrapeTarget& target() const { return target_; }
  FetchRequest MakeRequest() const;

  // Schedules scrapes on `io` (see above); `seed` varies the phase per server.
  void Start(boost::asio::io_context& io, uint64_t seed);
  // Ends the schedule Start() began, from any thread (a reload removing the target): no
  // scrape starts after it, a scrape in progress completes, and then `done` runs once on
  // an io thread (at once on the calling thread when the loop was never started). When
  // the io_context stops first, `done` never runs. The loop must outlive `done`'s call.
  void RequestStop(std::function<void()> done);

  // One whole scrape, blocking, started at `start_ms`.
  ScrapeReport ScrapeOnce(int64_t start_ms);
  // Steps 2-5 for a fetched response; `started` is when the fetch began (the reported
  // duration runs from it to the end of the append, as Prometheus measures it).
  ScrapeReport Complete(FetchResult fetched, int64_t start_ms, std::chrono::steady_clock::time_point started);
  // Writes staleness markers at `t_ms` (raised past the last scrape) for every tracked
  // series and the report series, forgets them and drops the target's metadata.
  // Returns the number of markers written.
  size_t MarkStale(int64_t t_ms);

  ScrapeReport last_report() const;

 private:
  struct Schedule;
  void ScheduleNext();  // under Schedule::mu
  void RunScheduled();
  void OnTimer(const boost::system::error_code& ec);
  // After a scrape: the next wait, or `done` when a stop was requested.
  void AfterScrape();
  // The series cache (see CachedSeries) against the TSDB's current head: refs of a head a
  // flush replaced are forgotten.
  void SyncCacheWithHead();
  // Plans `sample` for a cached series: by ref when it has one, else by its labels.
  void AddCached(CachedSeries* entry, tsdb::Sample sample);
  // Plans stale markers at `t_ms` for tracked series not seen in generation_ (every
  // tracked series when `all`); they are forgotten once appended.
  void AddStale(int64_t t_ms, bool all);
  struct Appended {
    Status status;
    uint64_t appended = 0;
    uint64_t rejected = 0;
    uint64_t series_created = 0;
  };
  // Appends what was planned (by ref, then by labels: `misses` first, of which the first
  // `learn_misses` enter the cache, then planned series without a ref, then `extra`),
  // learns the refs the TSDB reports and forgets series that ended.
  Appended AppendPlanned(std::span<const tsdb::SeriesSamples> misses, size_t learn_misses,
                         std::span<const tsdb::SeriesSamples> extra);
  Status AppendReport(const ScrapeReport& r);

  const ScrapeTarget target_;
  tsdb::Tsdb* const tsdb_;
  MetadataStore* const metadata_;
  const std::string user_agent_;
  std::shared_ptr<boost::asio::ssl::context> tls_context_;  // scheme https
  std::string tls_error_;                                    // why tls_context_ could not be built
  std::unique_ptr<MetricsRegistry> own_metrics_;  // when none was given
  const ScrapeJobMetrics metrics_;
  std::vector<tsdb::Labels> report_labels_;  // up, scrape_duration_seconds, ... (fixed order)

  // Scrape state: see the thread-safety note.
  std::unique_ptr<Schedule> schedule_;
  ExpositionParser parser_;
  ScrapeBuffer buffer_;
  SeriesCache cache_;  // by series text as the target writes it
  uint64_t cache_head_generation_ = 0;  // the TSDB head the cached refs belong to
  uint64_t generation_ = 0;              // scrapes so far
  int64_t last_time_ms_ = INT64_MIN;
  bool was_up_ = true;  // for logging transitions
  // Reused per scrape by AddCached/AddStale/AppendPlanned.
  struct Fallback {
    CachedSeries* entry;
    tsdb::Sample sample;
  };
  std::vector<tsdb::RefSample> ref_batch_;
  std::vector<CachedSeries*> ref_owners_;  // entry of ref_batch_[i]
  std::vector<Fallback> fallback_;
  std::vector<SeriesCache::iterator> stale_;
  std::vector<uint32_t> unknown_;
  std::vector<tsdb::LabelView> fallback_views_;
  std::vector<tsdb::SeriesSamples> label_batch_;
  std::vector<tsdb::SeriesRef> refs_;

  mutable std::mutex report_mu_;
  ScrapeReport last_report_;  // guarded by report_mu_
};

}  // namespace perfwatch::ingest
