#include "ingest/scrape/scrape_manager.h"

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "common/log.h"
#include "common/thread_name.h"
#include "common/time.h"

namespace perfwatch::ingest {

ScrapeManager::ScrapeManager(std::vector<ScrapeTarget> targets, ScrapeManagerOptions options,
                             tsdb::Tsdb* tsdb, MetadataStore* metadata, MetricsRegistry* metrics)
    : options_(std::move(options)),
      tsdb_(tsdb),
      metadata_(metadata),
      metrics_(metrics),
      io_(std::make_unique<boost::asio::io_context>()) {
  for (ScrapeTarget& t : targets) {
    if (metrics) ScrapeJobMetrics::Register(metrics, t.job).targets->Add(1);
    loops_.push_back(std::make_unique<ScrapeLoop>(std::move(t), tsdb, metadata, metrics, options_.user_agent));
  }
}

ScrapeManager::~ScrapeManager() { Stop(); }

Status ScrapeManager::Start() {
  if (started_) return Status::Ok();
  started_ = true;
  std::lock_guard lock(loops_mu_);
  if (loops_.empty()) return Status::Ok();
  for (auto& loop : loops_) loop->Start(*io_, options_.jitter_seed);
  StartThreads();
  PW_LOG_INFO("scraping started", "targets={} threads={}", loops_.size(), threads_.size());
  return Status::Ok();
}

void ScrapeManager::StartThreads() {
  if (!threads_.empty()) return;
  int n = std::max(1, options_.threads);
  for (int i = 0; i < n; ++i) {
    threads_.push_back(NamedThread("pw-scrape", [this] {
      // Timers keep the io_context busy; it returns when Stop() stops it.
      auto work = boost::asio::make_work_guard(*io_);
      io_->run();
    }));
  }
}

void ScrapeManager::ApplyTargets(std::vector<ScrapeTarget> targets) {
  if (stopped_) return;
  CollectRetired();
  std::lock_guard lock(loops_mu_);
  std::vector<ScrapeTarget> old_targets;
  old_targets.reserve(loops_.size());
  for (const auto& loop : loops_) old_targets.push_back(loop->target());
  const TargetDiff diff = DiffTargets(old_targets, targets);
  std::vector<std::unique_ptr<ScrapeLoop>> next(targets.size());
  std::vector<ScrapeLoop*> fresh;
  for (size_t i = 0; i < targets.size(); ++i) {
    if (diff.keep[i] != SIZE_MAX) {
      next[i] = std::move(loops_[diff.keep[i]]);
      continue;
    }
    if (metrics_) ScrapeJobMetrics::Register(metrics_, targets[i].job).targets->Add(1);
    next[i] = std::make_unique<ScrapeLoop>(std::move(targets[i]), tsdb_, metadata_, metrics_,
                                           options_.user_agent);
    fresh.push_back(next[i].get());
  }
  for (size_t k = 0; k < diff.stop.size(); ++k) {
    std::unique_ptr<ScrapeLoop> loop = std::move(loops_[diff.stop[k]]);
    if (metrics_) ScrapeJobMetrics::Register(metrics_, loop->target().job).targets->Add(-1);
    ScrapeLoop* raw = loop.get();
    auto finished = std::make_shared<std::atomic<bool>>(false);
    const bool stale = diff.stale[k];
    retired_.push_back({std::move(loop), finished, stale});
    // Ends on an io thread once a scrape in progress has been appended (or at once when
    // the loop never started); a loop still running at Stop is marked stale there.
    raw->RequestStop([raw, finished, stale] {
      if (stale) raw->MarkStale(NowMs());
      finished->store(true, std::memory_order_release);
    });
  }
  loops_ = std::move(next);
  if (started_) {
    for (ScrapeLoop* loop : fresh) loop->Start(*io_, options_.jitter_seed);
    if (!fresh.empty()) StartThreads();
  }
  PW_LOG_INFO("scrape targets applied", "targets={} started={} stopped={}", loops_.size(),
              fresh.size(), diff.stop.size());
}

void ScrapeManager::CollectRetired() {
  std::erase_if(retired_,
                [](const Retired& r) { return r.finished->load(std::memory_order_acquire); });
}

size_t ScrapeManager::size() const {
  std::lock_guard lock(loops_mu_);
  return loops_.size();
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
  for (auto& r : retired_) {
    if (r.stale && !r.finished->load(std::memory_order_acquire)) markers += r.loop->MarkStale(now);
  }
  std::lock_guard lock(loops_mu_);
  for (auto& loop : loops_) markers += loop->MarkStale(now);
  PW_LOG_DEBUG("scraping stopped", "stale_markers={}", markers);
}

std::vector<std::pair<ScrapeTarget, ScrapeReport>> ScrapeManager::Reports() const {
  std::vector<std::pair<ScrapeTarget, ScrapeReport>> out;
  std::lock_guard lock(loops_mu_);
  for (const auto& loop : loops_) out.emplace_back(loop->target(), loop->last_report());
  return out;
}

}  // namespace perfwatch::ingest
