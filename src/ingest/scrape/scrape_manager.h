#pragma once
// ScrapeManager: owns one ScrapeLoop per target and the threads that run them: one
// io_context served by `threads` threads, on which every loop's timer, HTTP exchange,
// parse and append run (each loop is one chain of steps, never two at once). Stop() stops
// the io_context (pending waits and fetches are abandoned at once; a parse in progress
// finishes), joins the threads and then writes staleness markers for every loop's series,
// as Prometheus does when a target goes away.
// ApplyTargets (a configuration reload) changes the set while running, as Prometheus'
// scrape manager does: unchanged targets keep their loop (state, phase, series cache),
// removed ones end (after a scrape in progress) and mark their series stale, new ones start.
// Thread safety: Start/Stop/ApplyTargets from one controlling thread; Reports() and size()
// from any thread.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/metrics.h"
#include "common/status.h"
#include "ingest/metadata_store.h"
#include "ingest/scrape/scrape_loop.h"
#include "ingest/scrape/scrape_target.h"
#include "tsdb/tsdb.h"

namespace boost::asio {
class io_context;
}

namespace perfwatch::ingest {

struct ScrapeManagerOptions {
  int threads = 2;
  uint64_t jitter_seed = 0;         // varies every target's phase (e.g. a hash of the listen address)
  std::string user_agent = "perfwatch";
  bool stale_markers_on_stop = true;
};

class ScrapeManager {
 public:
  // `tsdb` (and `metadata`, `metrics` when not null) must outlive the manager.
  ScrapeManager(std::vector<ScrapeTarget> targets, ScrapeManagerOptions options, tsdb::Tsdb* tsdb,
                MetadataStore* metadata, MetricsRegistry* metrics);
  ~ScrapeManager();  // Stop()
  ScrapeManager(const ScrapeManager&) = delete;
  ScrapeManager& operator=(const ScrapeManager&) = delete;

  Status Start();
  // Prompt: returns once the threads are joined and stale markers written. Idempotent.
  void Stop();

  // Replaces the target set (DiffTargets, scrape_target.h): a target equal in every field
  // to a running one keeps that loop; the others start new loops (at their hash's phase);
  // running loops without an equal target stop once their scrape in progress ends and
  // then write stale markers for their series, except when a new target with the same
  // labels (a changed target) takes those series over. Works before Start too.
  void ApplyTargets(std::vector<ScrapeTarget> targets);

  size_t size() const;
  // The last scrape of each target, in target order.
  std::vector<std::pair<ScrapeTarget, ScrapeReport>> Reports() const;

 private:
  void StartThreads();
  void CollectRetired();  // frees the retired loops whose stop completed

  // A loop removed by ApplyTargets, kept until its stop completes on an io thread.
  struct Retired {
    std::unique_ptr<ScrapeLoop> loop;
    std::shared_ptr<std::atomic<bool>> finished;
    bool stale = true;
  };

  const ScrapeManagerOptions options_;
  tsdb::Tsdb* const tsdb_;
  MetadataStore* const metadata_;
  MetricsRegistry* const metrics_;
  std::unique_ptr<boost::asio::io_context> io_;  // declared before the loops: outlives their timers
  mutable std::mutex loops_mu_;  // guards loops_ (ApplyTargets writes, Reports reads)
  std::vector<std::unique_ptr<ScrapeLoop>> loops_;
  std::vector<Retired> retired_;      // controlling thread only
  std::vector<std::thread> threads_;  // started by Start, joined by Stop (controlling thread only)
  bool started_ = false;              // controlling thread only
  bool stopped_ = false;              // controlling thread only
};

}  // namespace perfwatch::ingest
