#include "ingest/scrape/scrape_loop.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstring>

#include "common/log.h"
#include "common/time.h"
#include "http/tls_context.h"
#include "tsdb/stale.h"

namespace perfwatch::ingest {
namespace {

namespace net = boost::asio;
using SteadyClock = std::chrono::steady_clock;

constexpr std::string_view kReportNames[] = {"up", "scrape_duration_seconds", "scrape_samples_scraped",
                                             "scrape_samples_post_metric_relabeling", "scrape_series_added"};

MetricsRegistry* OrOwn(MetricsRegistry* given, std::unique_ptr<MetricsRegistry>& own) {
  if (given) return given;
  own = std::make_unique<MetricsRegistry>();
  return own.get();
}

}  // namespace

struct ScrapeLoop::Schedule {
  explicit Schedule(net::io_context& io) : io(io), timer(io) {}
  net::io_context& io;
  net::steady_timer timer;  // touched under mu only
  SteadyClock::time_point next;
  std::mutex mu;               // guards the fields below and the timer
  bool waiting = false;        // a timer wait is pending
  bool busy = false;           // a scrape is in progress
  bool stop = false;           // RequestStop was called
  std::function<void()> done;  // RequestStop's callback, until it runs
};

ScrapeLoop::ScrapeLoop(ScrapeTarget target, tsdb::Tsdb* tsdb, MetadataStore* metadata, MetricsRegistry* metrics,
                       std::string user_agent)
    : target_(std::move(target)),
      tsdb_(tsdb),
      metadata_(metadata),
      user_agent_(std::move(user_agent)),
      metrics_(ScrapeJobMetrics::Register(OrOwn(metrics, own_metrics_), target_.job)) {
  if (target_.scheme == "https") {
    http::ClientTlsOptions o;
    o.ca_file = target_.tls.ca_file;
    o.cert_file = target_.tls.cert_file;
    o.key_file = target_.tls.key_file;
    o.insecure_skip_verify = target_.tls.insecure_skip_verify;
    o.where = "scrape_configs (" + target_.job + ").tls_config";
    auto ctx = http::MakeClientTlsContext(o);
    if (ctx.ok()) {
      tls_context_ = std::move(ctx).value();
    } else {
      tls_error_ = ctx.status().message();
      PW_LOG_WARN("scrape target cannot use TLS", "target={} err={}", target_.Key(), LogQuote(tls_error_));
    }
  }
  for (std::string_view name : kReportNames) {
    std::vector<tsdb::LabelView> views = target_.labels.Views();
    views.push_back({tsdb::kMetricNameLabel, name});
    report_labels_.push_back(tsdb::Labels::FromViews(views));
  }
}

ScrapeLoop::~ScrapeLoop() = default;

FetchRequest ScrapeLoop::MakeRequest() const {
  FetchRequest r;
  r.address = target_.address;
  r.target = target_.path_and_query;
  r.timeout_ms = target_.timeout_ms;
  r.max_body_bytes = target_.max_body_bytes;
  r.user_agent = user_agent_;
  r.https = target_.scheme == "https";
  r.tls_context = tls_context_;
  r.server_name = target_.tls.server_name;
  r.tls_setup_error = tls_error_;
  r.authorization = target_.authorization;
  return r;
}

void ScrapeLoop::Start(net::io_context& io, uint64_t seed) {
  schedule_ = std::make_unique<Schedule>(io);
  int64_t delay = FirstScrapeDelayMs(target_.Hash(), seed, target_.interval_ms, NowMs());
  std::lock_guard lock(schedule_->mu);
  schedule_->next = SteadyClock::now() + std::chrono::milliseconds(delay);
  schedule_->timer.expires_at(schedule_->next);
  schedule_->waiting = true;
  schedule_->timer.async_wait([this](boost::system::error_code ec) { OnTimer(ec); });
}

void ScrapeLoop::RequestStop(std::function<void()> done) {
  if (!schedule_) {
    if (done) done();
    return;
  }
  {
    std::lock_guard lock(schedule_->mu);
    schedule_->stop = true;
    if (schedule_->waiting || schedule_->busy) {
      schedule_->done = std::move(done);
      if (schedule_->waiting) schedule_->timer.cancel();  // OnTimer runs with operation_aborted
      return;
    }
  }
  if (done) done();  // the chain has already ended
}

void ScrapeLoop::OnTimer(const boost::system::error_code& ec) {
  std::function<void()> done;
  bool stopping = false;
  {
    std::lock_guard lock(schedule_->mu);
    schedule_->waiting = false;
    stopping = schedule_->stop;
    if (stopping) {
      done = std::move(schedule_->done);
    } else if (ec) {
      return;  // cancelled without a stop request: nothing to do
    } else {
      schedule_->busy = true;
    }
  }
  if (stopping) {
    if (done) done();
    return;
  }
  RunScheduled();
}

void ScrapeLoop::RunScheduled() {
  const int64_t start_ms = NowMs();
  const auto started = SteadyClock::now();
  metrics_.attempts->Inc();
  AsyncFetch(schedule_->io, MakeRequest(), [this, start_ms, started](FetchResult fetched) {
    Complete(std::move(fetched), start_ms, started);
    AfterScrape();
  });
}

void ScrapeLoop::AfterScrape() {
  std::function<void()> done;
  {
    std::lock_guard lock(schedule_->mu);
    schedule_->busy = false;
    if (!schedule_->stop) {
      ScheduleNext();
      return;
    }
    done = std::move(schedule_->done);
  }
  if (done) done();
}

void ScrapeLoop::ScheduleNext() {
  const auto interval = std::chrono::milliseconds(target_.interval_ms);
  const auto now = SteadyClock::now();
  do {
    schedule_->next += interval;
  } while (schedule_->next <= now);
  schedule_->timer.expires_at(schedule_->next);
  schedule_->waiting = true;
  schedule_->timer.async_wait([this](boost::system::error_code ec) { OnTimer(ec); });
}

ScrapeReport ScrapeLoop::ScrapeOnce(int64_t start_ms) {
  metrics_.attempts->Inc();
  const auto started = SteadyClock::now();
  FetchResult fetched = FetchBlocking(MakeRequest());
  return Complete(std::move(fetched), start_ms, started);
}

void ScrapeLoop::SyncCacheWithHead() {
  const uint64_t gen = tsdb_->head_generation();
  if (gen == cache_head_generation_) return;
  for (auto& [text, entry] : cache_) entry.ref = 0;  // that head's refs are gone
  cache_head_generation_ = gen;
}

void ScrapeLoop::AddCached(CachedSeries* entry, tsdb::Sample sample) {
  if (entry->ref != 0) {
    ref_batch_.push_back(tsdb::RefSample{entry->ref, sample});
    ref_owners_.push_back(entry);
  } else {
    fallback_.push_back(Fallback{entry, sample});
  }
}

void ScrapeLoop::AddStale(int64_t t_ms, bool all) {
  stale_.clear();
  for (auto it = cache_.begin(); it != cache_.end(); ++it) {
    CachedSeries& e = it->second;
    if (!e.tracked || (!all && e.seen == generation_)) continue;
    stale_.push_back(it);
    AddCached(&e, tsdb::Sample{t_ms, tsdb::StaleNaN()});
  }
}

ScrapeLoop::Appended ScrapeLoop::AppendPlanned(std::span<const tsdb::SeriesSamples> misses, size_t learn_misses,
                                               std::span<const tsdb::SeriesSamples> extra) {
  Appended out;
  // 1. Known series by ref; refs the head no longer has go the labels way.
  unknown_.clear();
  if (!ref_batch_.empty()) {
    tsdb::AppendResult r;
    out.status = tsdb_->AppendRefs(ref_batch_, &r, &unknown_);
    out.appended += r.appended;
    out.rejected += r.rejected;
  }
  for (uint32_t i : unknown_) {
    ref_owners_[i]->ref = 0;
    fallback_.push_back(Fallback{ref_owners_[i], ref_batch_[i].sample});
  }
  // 2. Everything else by labels: new series, cached ones without a ref, `extra`.
  label_batch_.assign(misses.begin(), misses.end());
  fallback_views_.clear();
  std::vector<size_t> ends;
  ends.reserve(fallback_.size());
  for (const Fallback& f : fallback_) {
    f.entry->labels.AppendTo(&fallback_views_);
    ends.push_back(fallback_views_.size());
  }
  for (size_t i = 0, begin = 0; i < fallback_.size(); begin = ends[i], ++i) {
    label_batch_.push_back({std::span<const tsdb::LabelView>(fallback_views_.data() + begin, ends[i] - begin),
                            std::span<const tsdb::Sample>(&fallback_[i].sample, 1)});
  }
  label_batch_.insert(label_batch_.end(), extra.begin(), extra.end());
  if (!label_batch_.empty()) {
    refs_.assign(label_batch_.size(), 0);
    tsdb::AppendResult r;
    Status st = tsdb_->AppendBatch(label_batch_, &r, refs_);
    out.appended += r.appended;
    out.rejected += r.rejected;
    out.series_created += r.series_created;
    if (out.status.ok()) out.status = st;
    // 3. Learn the refs: new series enter the cache, cached ones get their ref back.
    for (size_t i = 0; i < learn_misses; ++i) {
      if (refs_[i] == 0) continue;  // rejected: resolved again next time
      auto [it, inserted] = cache_.try_emplace(std::string(buffer_.SeriesText(i)));
      if (!inserted) continue;
      it->second.labels = tsdb::PackedLabels(misses[i].labels);
      it->second.ref = refs_[i];
      it->second.seen = generation_;
      it->second.tracked = !buffer_.HasExplicitTimestamp(i);
    }
    for (size_t j = 0; j < fallback_.size(); ++j) fallback_[j].entry->ref = refs_[misses.size() + j];
  }
  // 4. Series that ended are forgotten (after the append: their labels were in the batch).
  for (auto it : stale_) cache_.erase(it);
  stale_.clear();
  ref_batch_.clear();
  ref_owners_.clear();
  fallback_.clear();
  return out;
}

ScrapeReport ScrapeLoop::Complete(FetchResult fetched, int64_t start_ms, SteadyClock::time_point started) {
  ScrapeReport report;
  report.time_ms = start_ms;
  std::string_view failure;
  Status status = fetched.status;
  SyncCacheWithHead();
  if (!status.ok()) {
    failure = FetchFailureName(fetched.failure);
  } else {
    buffer_.Reset(&target_, start_ms, &cache_);
    status = parser_.Parse(fetched.body, ExpositionFormatFromContentType(fetched.content_type), buffer_);
    if (!status.ok()) {
      failure = status.code() == StatusCode::kResourceExhausted ? "sample_limit" : "parse";
      status = status.WithContext("parse " + std::string(ExpositionFormatName(
                                                 ExpositionFormatFromContentType(fetched.content_type))));
    }
  }
  ++generation_;
  std::span<const tsdb::SeriesSamples> misses;
  if (status.ok()) {
    for (const ScrapeBuffer::Hit& h : buffer_.hits()) {
      if (h.own_timestamp) {
        h.series->tracked = false;
      } else {
        h.series->seen = generation_;
      }
      AddCached(h.series, h.sample);
    }
    misses = buffer_.Batch();
    report.samples_scraped = buffer_.size();
  }
  // Stale markers for tracked series this scrape did not have (all of them if it failed).
  AddStale(start_ms, /*all=*/!status.ok());
  report.stale_markers = stale_.size();

  if (!ref_batch_.empty() || !fallback_.empty() || !misses.empty()) {
    Appended res = AppendPlanned(misses, misses.size(), {});
    report.rejected = res.rejected;
    report.series_added = res.series_created;
    const Status& appended = res.status;
    if (!appended.ok() && appended.code() != StatusCode::kInvalidArgument &&
        appended.code() != StatusCode::kResourceExhausted && status.ok()) {
      status = appended.WithContext("append");
      failure = "append";
    } else if (!appended.ok()) {
      PW_LOG_DEBUG("scrape samples rejected", "target={} detail={}", LogQuote(target_.Key()),
                   LogQuote(appended.message()));
    }
    if (status.ok()) metrics_.samples->Inc(res.appended > report.stale_markers ? res.appended - report.stale_markers : 0);
    metrics_.rejected->Inc(res.rejected);
  }
  metrics_.stale_markers->Inc(report.stale_markers);
  report.up = status.ok();
  if (!report.up) {
    report.error = status.message();
    report.samples_scraped = 0;
    report.series_added = 0;
    metrics_.Failure(failure);
    if (was_up_) {
      PW_LOG_WARN("scrape failed", "target={} error={}", LogQuote(target_.Key()), LogQuote(report.error));
    }
  } else {
    if (!was_up_) PW_LOG_INFO("scrape recovered", "target={}", LogQuote(target_.Key()));
    if (metadata_) metadata_->ReplaceSource(target_.Key(), std::move(buffer_.metadata()));
  }
  was_up_ = report.up;
  // As Prometheus: the fetch, the parse and the append, up to the report itself.
  report.duration_seconds = std::chrono::duration<double>(SteadyClock::now() - started).count();
  metrics_.duration->Observe(report.duration_seconds);
  Status rs = AppendReport(report);
  if (!rs.ok()) PW_LOG_DEBUG("scrape report append failed", "target={} detail={}", LogQuote(target_.Key()), LogQuote(rs.message()));
  last_time_ms_ = std::max(last_time_ms_, start_ms);
  {
    std::lock_guard lock(report_mu_);
    last_report_ = report;
  }
  return report;
}

Status ScrapeLoop::AppendReport(const ScrapeReport& r) {
  const double values[] = {r.up ? 1.0 : 0.0, r.duration_seconds, static_cast<double>(r.samples_scraped),
                           static_cast<double>(r.samples_scraped), static_cast<double>(r.series_added)};
  std::vector<std::vector<tsdb::LabelView>> views;
  std::vector<tsdb::Sample> samples;
  std::vector<tsdb::SeriesSamples> batch;
  views.reserve(report_labels_.size());
  samples.reserve(report_labels_.size());
  for (size_t i = 0; i < report_labels_.size(); ++i) {
    views.push_back(report_labels_[i].Views());
    samples.push_back({r.time_ms, values[i]});
  }
  for (size_t i = 0; i < report_labels_.size(); ++i) batch.push_back({views[i], {&samples[i], 1}});
  return tsdb_->AppendBatch(batch);
}

size_t ScrapeLoop::MarkStale(int64_t t_ms) {
  if (last_time_ms_ == INT64_MIN) return 0;  // never scraped: nothing to end
  t_ms = std::max(t_ms, last_time_ms_ + 1);
  SyncCacheWithHead();
  AddStale(t_ms, /*all=*/true);
  size_t n = stale_.size();
  std::vector<std::vector<tsdb::LabelView>> report_views;
  std::vector<tsdb::SeriesSamples> report_batch;
  report_views.reserve(report_labels_.size());
  const tsdb::Sample stale{t_ms, tsdb::StaleNaN()};
  for (const tsdb::Labels& l : report_labels_) {
    report_views.push_back(l.Views());
    report_batch.push_back({report_views.back(), {&stale, 1}});
  }
  n += report_batch.size();
  Appended res = AppendPlanned({}, 0, report_batch);
  if (!res.status.ok()) {
    PW_LOG_DEBUG("scrape stale markers rejected", "target={} detail={}", LogQuote(target_.Key()),
                 LogQuote(res.status.message()));
  }
  metrics_.stale_markers->Inc(n);
  cache_.clear();
  last_time_ms_ = INT64_MIN;
  if (metadata_) metadata_->RemoveSource(target_.Key());
  return n;
}

ScrapeReport ScrapeLoop::last_report() const {
  std::lock_guard lock(report_mu_);
  return last_report_;
}

}  // namespace perfwatch::ingest
