#include "ingest/scrape_loop.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstring>

#include "common/log.h"
#include "common/time.h"
#include "tsdb/stale.h"

namespace perfwatch::ingest {
namespace {

namespace net = boost::asio;
using SteadyClock = std::chrono::steady_clock;

constexpr std::string_view kReportNames[] = {"up", "scrape_duration_seconds", "scrape_samples_scraped",
                                             "scrape_samples_post_metric_relabeling", "scrape_series_added"};

void AppendEncoded(std::string& out, std::string_view s) {
  uint32_t n = static_cast<uint32_t>(s.size());
  out.append(reinterpret_cast<const char*>(&n), 4);
  out.append(s);
}

std::string EncodeLabels(std::span<const tsdb::LabelView> labels) {
  std::string out;
  for (const auto& l : labels) {
    AppendEncoded(out, l.name);
    AppendEncoded(out, l.value);
  }
  return out;
}

void DecodeLabels(std::string_view in, std::vector<tsdb::LabelView>& out) {
  auto next = [&]() {
    uint32_t n;
    std::memcpy(&n, in.data(), 4);
    std::string_view s = in.substr(4, n);
    in.remove_prefix(4 + n);
    return s;
  };
  while (in.size() >= 4) {
    std::string_view name = next();
    std::string_view value = next();
    out.push_back({name, value});
  }
}

MetricsRegistry* OrOwn(MetricsRegistry* given, std::unique_ptr<MetricsRegistry>& own) {
  if (given) return given;
  own = std::make_unique<MetricsRegistry>();
  return own.get();
}

}  // namespace

struct ScrapeLoop::Schedule {
  explicit Schedule(net::io_context& io) : io(io), timer(io) {}
  net::io_context& io;
  net::steady_timer timer;
  SteadyClock::time_point next;
};

ScrapeLoop::ScrapeLoop(ScrapeTarget target, tsdb::Tsdb* tsdb, MetadataStore* metadata, MetricsRegistry* metrics,
                       std::string user_agent)
    : target_(std::move(target)),
      tsdb_(tsdb),
      metadata_(metadata),
      user_agent_(std::move(user_agent)),
      metrics_(ScrapeJobMetrics::Register(OrOwn(metrics, own_metrics_), target_.job)) {
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
  return r;
}

void ScrapeLoop::Start(net::io_context& io, uint64_t seed) {
  schedule_ = std::make_unique<Schedule>(io);
  int64_t delay = FirstScrapeDelayMs(target_.Hash(), seed, target_.interval_ms, NowMs());
  schedule_->next = SteadyClock::now() + std::chrono::milliseconds(delay);
  schedule_->timer.expires_at(schedule_->next);
  schedule_->timer.async_wait([this](boost::system::error_code ec) {
    if (!ec) RunScheduled();
  });
}

void ScrapeLoop::RunScheduled() {
  const int64_t start_ms = NowMs();
  const auto started = SteadyClock::now();
  metrics_.attempts->Inc();
  AsyncFetch(schedule_->io, MakeRequest(), [this, start_ms, started](FetchResult fetched) {
    Complete(std::move(fetched), start_ms, started);
    ScheduleNext();
  });
}

void ScrapeLoop::ScheduleNext() {
  const auto interval = std::chrono::milliseconds(target_.interval_ms);
  const auto now = SteadyClock::now();
  do {
    schedule_->next += interval;
  } while (schedule_->next <= now);
  schedule_->timer.expires_at(schedule_->next);
  schedule_->timer.async_wait([this](boost::system::error_code ec) {
    if (!ec) RunScheduled();
  });
}

ScrapeReport ScrapeLoop::ScrapeOnce(int64_t start_ms) {
  metrics_.attempts->Inc();
  const auto started = SteadyClock::now();
  FetchResult fetched = FetchBlocking(MakeRequest());
  return Complete(std::move(fetched), start_ms, started);
}

void ScrapeLoop::CollectStale(int64_t t_ms, bool all) {
  stale_strings_.clear();
  for (auto it = tracked_.begin(); it != tracked_.end();) {
    if (all || it->second.generation != generation_) {
      stale_strings_.push_back(std::move(it->second.labels));
      it = tracked_.erase(it);
    } else {
      ++it;
    }
  }
  stale_labels_.clear();
  std::vector<uint32_t> ends;
  for (const std::string& s : stale_strings_) {
    DecodeLabels(s, stale_labels_);
    ends.push_back(static_cast<uint32_t>(stale_labels_.size()));
  }
  stale_samples_.assign(stale_strings_.size(), tsdb::Sample{t_ms, tsdb::StaleNaN()});
  uint32_t begin = 0;
  for (size_t i = 0; i < ends.size(); ++i) {
    combined_.push_back({std::span<const tsdb::LabelView>(stale_labels_.data() + begin, ends[i] - begin),
                         std::span<const tsdb::Sample>(&stale_samples_[i], 1)});
    begin = ends[i];
  }
}

ScrapeReport ScrapeLoop::Complete(FetchResult fetched, int64_t start_ms, SteadyClock::time_point started) {
  ScrapeReport report;
  report.time_ms = start_ms;
  std::string_view failure;
  Status status = fetched.status;
  if (!status.ok()) {
    failure = FetchFailureName(fetched.failure);
  } else {
    buffer_.Reset(&target_, start_ms);
    status = parser_.Parse(fetched.body, ExpositionFormatFromContentType(fetched.content_type), buffer_);
    if (!status.ok()) {
      failure = status.code() == StatusCode::kResourceExhausted ? "sample_limit" : "parse";
      status = status.WithContext("parse " + std::string(ExpositionFormatName(
                                                 ExpositionFormatFromContentType(fetched.content_type))));
    }
  }
  combined_.clear();
  if (status.ok()) {
    std::span<const tsdb::SeriesSamples> batch = buffer_.Batch();
    ++generation_;
    size_t seen = 0;  // tracked series present in this scrape (each counted once)
    for (size_t i = 0; i < batch.size(); ++i) {
      if (buffer_.HasExplicitTimestamp(i)) continue;
      uint64_t h = tsdb::HashLabels(batch[i].labels);
      auto [it, inserted] = tracked_.try_emplace(h);
      if (inserted) it->second.labels = EncodeLabels(batch[i].labels);
      if (it->second.generation != generation_) ++seen;
      it->second.generation = generation_;
    }
    combined_.assign(batch.begin(), batch.end());
    if (seen == tracked_.size()) {
      stale_strings_.clear();  // every tracked series is still there: skip the scan
    } else {
      CollectStale(start_ms, /*all=*/false);
    }
    report.samples_scraped = batch.size();
  } else {
    CollectStale(start_ms, /*all=*/true);
  }
  report.stale_markers = stale_strings_.size();

  if (!combined_.empty()) {
    tsdb::AppendResult res;
    Status appended = tsdb_->AppendBatch(combined_, &res);
    report.rejected = res.rejected;
    report.series_added = res.series_created;
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
  combined_.clear();
  CollectStale(t_ms, /*all=*/true);
  std::vector<std::vector<tsdb::LabelView>> report_views;
  report_views.reserve(report_labels_.size());
  const tsdb::Sample stale{t_ms, tsdb::StaleNaN()};
  for (const tsdb::Labels& l : report_labels_) {
    report_views.push_back(l.Views());
    combined_.push_back({report_views.back(), {&stale, 1}});
  }
  Status s = tsdb_->AppendBatch(combined_);
  if (!s.ok()) PW_LOG_DEBUG("scrape stale markers rejected", "target={} detail={}", LogQuote(target_.Key()), LogQuote(s.message()));
  size_t n = combined_.size();
  metrics_.stale_markers->Inc(n);
  combined_.clear();
  last_time_ms_ = INT64_MIN;
  if (metadata_) metadata_->RemoveSource(target_.Key());
  return n;
}

ScrapeReport ScrapeLoop::last_report() const {
  std::lock_guard lock(report_mu_);
  return last_report_;
}

}  // namespace perfwatch::ingest
