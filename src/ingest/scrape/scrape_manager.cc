#include "ingest/scrape/scrape_manager.h"

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "common/log.h"
#include "common/time.h"

namespace perfwatch::ingest {

ScrapeManager::ScrapeManager(std::vector<ScrapeTarget> targets, ScrapeManagerOptions options, tsdb::Tsdb* tsdb,
                             MetadataStore* metadata, MetricsRegistry* metrics)
    : options_(std::move(options)), io_(std::make_unique<boost::asio::io_context>()) {
  for (ScrapeTarget& t : targets) {
    if (metrics) ScrapeJobMetrics::Register(metrics, t.job).targets->Add(1);
    loops_.push_back(std::make_unique<ScrapeLoop>(std::move(t), tsdb, metadata, metrics, options_.user_agent));
  }
}

ScrapeManager::~ScrapeManager() { Stop(); }

Status ScrapeManager::Start() {
  if (started_) return Status::Ok();
  started_ = true;
  if (loops_.empty()) return Status::Ok();
  for (auto& loop : loops_) loop->Start(*io_, options_.jitter_seed);
  int n = std::max(1, options_.threads);
  for (int i = 0; i < n; ++i) {
    threads_.emplace_back([this] {
      // Timers keep the io_context busy; it returns when Stop() stops it.
      auto work = boost::asio::make_work_guard(*io_);
      io_->run();
    });
  }
  PW_LOG_INFO("scraping started", "targets={} threads={}", loops_.size(), n);
  return Status::Ok();
}

void ScrapeManager::Stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  io_->stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  if (!options_.stale_markers_on_stop) return;
  const int64_t now = NowMs();
  size_t markers = 0;
  for (auto& loop : loops_) markers += loop->MarkStale(now);
  PW_LOG_DEBUG("scraping stopped", "stale_markers={}", markers);
}

std::vector<std::pair<ScrapeTarget, ScrapeReport>> ScrapeManager::Reports() const {
  std::vector<std::pair<ScrapeTarget, ScrapeReport>> out;
  for (const auto& loop : loops_) out.emplace_back(loop->target(), loop->last_report());
  return out;
}

}  // namespace perfwatch::ingest
