#include "analysis/vital_recorder.h"

#include <algorithm>
#include <chrono>

#include "analysis/percentile.h"
#include "common/log.h"
#include "common/thread_name.h"
#include "common/time.h"
#include "tsdb/stale.h"

namespace perfwatch::analysis {
namespace {

// Beacon units (ms for timings, unitless CLS) -> the series' unit (as the rum_* series).
double SeriesValue(events::Vital vital, double v) { return vital == events::Vital::kCLS ? v : v / 1000.0; }

}  // namespace

VitalRecorder::VitalRecorder(VitalRecorderOptions options, const events::EventStore* store, tsdb::Tsdb* tsdb,
                             MetricsRegistry* metrics)
    : options_(options), store_(store), tsdb_(tsdb) {
  if (metrics) {
    runs_ = metrics->GetCounter("perfwatch_vital_percentile_evaluations_total",
                                "Evaluations of the exact Web Vitals percentiles written as rum_vital_percentile.");
    failures_ = metrics->GetCounter("perfwatch_vital_percentile_failures_total",
                                    "Evaluations of rum_vital_percentile that failed (scan or TSDB append).");
    duration_ = metrics->GetGauge("perfwatch_vital_percentile_last_duration_seconds",
                                  "How long the last evaluation of rum_vital_percentile took.");
    series_ = metrics->GetGauge("perfwatch_vital_percentile_series",
                                "Series (rum_vital_percentile and rum_vital_samples) written by the last evaluation.");
  }
}

VitalRecorder::~VitalRecorder() { Stop(); }

Result<std::vector<VitalPercentiles>> VitalRecorder::Compute(const events::EventStore& store, int64_t ts_ms,
                                                             int64_t window_ms, size_t max_pages_per_app) {
  // (app, page) -> values; page "" is never a page of its own (it counts app-wide only).
  struct AppValues {
    std::map<std::string, std::vector<double>> pages;
  };
  std::vector<VitalPercentiles> out;
  static constexpr double kPs[3] = {50, 75, 95};
  for (events::Vital vital : kRecordedVitals) {
    events::VitalScan scan;
    scan.vital = vital;
    scan.from_ms = ts_ms - window_ms;
    scan.to_ms = ts_ms;
    scan.group_by[events::kApp] = true;
    scan.group_by[events::kPage] = true;
    std::map<std::string, AppValues, std::less<>> apps;
    PW_RETURN_IF_ERROR(store.ScanVitals(
        scan, [&](const std::array<std::string_view, events::kDimCount>& key, std::span<const double> values) {
          auto it = apps.find(key[events::kApp]);
          if (it == apps.end()) it = apps.emplace(std::string(key[events::kApp]), AppValues{}).first;
          auto& dst = it->second.pages[std::string(key[events::kPage])];
          dst.insert(dst.end(), values.begin(), values.end());
        }));
    for (auto& entry : apps) {
      const std::string& app = entry.first;  // not a structured binding: clang 14 cannot capture those
      AppValues& av = entry.second;
      auto emit = [&](const std::string& page, std::span<double> values) {
        if (values.empty()) return;
        VitalPercentiles p;
        p.app = app;
        p.page = page;
        p.vital = vital;
        p.count = values.size();
        auto q = ExactPercentiles(values, kPs);  // the same function ComputeVitals uses
        p.p50 = SeriesValue(vital, q[0]);
        p.p75 = SeriesValue(vital, q[1]);
        p.p95 = SeriesValue(vital, q[2]);
        out.push_back(std::move(p));
      };
      // App-wide first (before the per-page computations reorder the page vectors).
      size_t total = 0;
      for (const auto& [page, values] : av.pages) total += values.size();
      std::vector<double> all;
      all.reserve(total);
      for (const auto& [page, values] : av.pages) all.insert(all.end(), values.begin(), values.end());
      emit("", all);
      // The pages to write: all of them, or the max_pages_per_app with the most events.
      std::vector<std::pair<const std::string*, std::vector<double>*>> pages;
      for (auto& [page, values] : av.pages) {
        if (!page.empty()) pages.emplace_back(&page, &values);
      }
      if (max_pages_per_app > 0 && pages.size() > max_pages_per_app) {
        std::partial_sort(pages.begin(), pages.begin() + static_cast<ptrdiff_t>(max_pages_per_app), pages.end(),
                          [](const auto& a, const auto& b) {
                            if (a.second->size() != b.second->size()) return a.second->size() > b.second->size();
                            return *a.first < *b.first;
                          });
        pages.resize(max_pages_per_app);
        std::sort(pages.begin(), pages.end(), [](const auto& a, const auto& b) { return *a.first < *b.first; });
      }
      for (auto& [page, values] : pages) emit(*page, *values);
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const VitalPercentiles& a, const VitalPercentiles& b) {
    if (a.app != b.app) return a.app < b.app;
    if (a.page != b.page) return a.page < b.page;
    return events::VitalName(a.vital) < events::VitalName(b.vital);
  });
  return out;
}

Result<size_t> VitalRecorder::RecordAt(int64_t ts_ms) {
  std::lock_guard lock(mu_);
  const auto start = std::chrono::steady_clock::now();
  if (runs_) runs_->Inc();
  auto computed = Compute(*store_, ts_ms, options_.window_ms, options_.max_pages_per_app);
  if (!computed.ok()) {
    if (failures_) failures_->Inc();
    PW_LOG_WARN("vital percentiles failed", "error={}", LogQuote(computed.status().message()));
    return computed.status().WithContext("rum_vital_percentile");
  }
  // Owned labels and values first, then views into them (no reallocation after this).
  std::map<std::string, tsdb::Labels> current;
  std::vector<std::pair<tsdb::Labels, double>> rows;
  rows.reserve(computed->size() * 4);
  static constexpr std::string_view kPercentiles[3] = {"50", "75", "95"};
  for (const VitalPercentiles& p : *computed) {
    const std::string_view metric = events::VitalName(p.vital);
    const double values[3] = {p.p50, p.p75, p.p95};
    for (int i = 0; i < 3; ++i) {
      // FromViews sorts and drops the empty page label of the app-wide series.
      const tsdb::LabelView views[] = {{tsdb::kMetricNameLabel, kVitalPercentileMetric},
                                       {"app", p.app},
                                       {"metric", metric},
                                       {"page", p.page},
                                       {"percentile", kPercentiles[i]}};
      rows.emplace_back(tsdb::Labels::FromViews(views), values[i]);
    }
    const tsdb::LabelView views[] = {
        {tsdb::kMetricNameLabel, kVitalSamplesMetric}, {"app", p.app}, {"metric", metric}, {"page", p.page}};
    rows.emplace_back(tsdb::Labels::FromViews(views), static_cast<double>(p.count));
  }
  for (const auto& [labels, v] : rows) current.emplace(labels.ToString(), labels);
  for (const auto& [key, labels] : previous_) {
    if (!current.count(key)) rows.emplace_back(labels, tsdb::StaleNaN());
  }
  std::vector<std::vector<tsdb::LabelView>> views;
  views.reserve(rows.size());
  std::vector<tsdb::Sample> samples;
  samples.reserve(rows.size());
  std::vector<tsdb::SeriesSamples> batch;
  batch.reserve(rows.size());
  for (const auto& [labels, v] : rows) {
    views.push_back(labels.Views());
    samples.push_back({ts_ms, v});
    batch.push_back({views.back(), std::span(&samples.back(), 1)});
  }
  Status st = Status::Ok();
  if (!batch.empty()) {
    tsdb::AppendResult result;
    st = tsdb_->AppendBatch(batch, &result);
  }
  // The next evaluation marks stale what this one wrote, even after a partial failure.
  previous_ = std::move(current);
  if (duration_) duration_->Set(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  if (series_) series_->Set(static_cast<double>(previous_.size()));
  if (!st.ok()) {
    if (failures_) failures_->Inc();
    PW_LOG_WARN("vital percentiles append failed", "error={}", LogQuote(st.message()));
    return st.WithContext("rum_vital_percentile");
  }
  return rows.size();
}

void VitalRecorder::Start() {
  std::lock_guard lock(thread_mu_);
  started_ = true;
  stopping_ = false;
  if (options_.interval_ms <= 0 || thread_.joinable()) return;
  thread_ = NamedThread("pw-vitals", [this] { Run(); });
}

void VitalRecorder::Stop() {
  {
    std::lock_guard lock(thread_mu_);
    stopping_ = true;
    started_ = false;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status VitalRecorder::SetOptions(VitalRecorderOptions options) {
  if (options.window_ms <= 0) return InvalidArgument("vital recorder: the window must be positive");
  if (options.interval_ms < 0) return InvalidArgument("vital recorder: the interval must be >= 0");
  {
    std::lock_guard lock(mu_);
    options_.window_ms = options.window_ms;
    options_.max_pages_per_app = options.max_pages_per_app;
  }
  {
    std::lock_guard lock(thread_mu_);
    options_.interval_ms = options.interval_ms;
    // A recorder started with interval 0 has no thread yet.
    if (started_ && !stopping_ && options_.interval_ms > 0 && !thread_.joinable()) {
      thread_ = NamedThread("pw-vitals", [this] { Run(); });
    }
  }
  cv_.notify_all();  // the thread waits for the new interval
  return Status::Ok();
}

void VitalRecorder::Run() {
  std::unique_lock lock(thread_mu_);
  // Aligned to multiples of the interval, like a rule group without an offset.
  while (!stopping_) {
    const int64_t interval = options_.interval_ms;
    if (interval <= 0) {  // paused by SetOptions
      cv_.wait(lock, [this] { return stopping_ || options_.interval_ms > 0; });
      continue;
    }
    const int64_t now = NowMs();
    const int64_t next = (now / interval + 1) * interval;
    if (cv_.wait_for(lock, std::chrono::milliseconds(next - now),
                     [this, interval] { return stopping_ || options_.interval_ms != interval; })) {
      continue;  // stopping, or a new interval: aligned afresh
    }
    lock.unlock();
    (void)RecordAt(std::max(next, NowMs()));
    lock.lock();
  }
}

}  // namespace perfwatch::analysis
