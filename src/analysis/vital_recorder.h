#pragma once
// Exact Web Vitals percentiles written as series (issue 12, docs/rum-aggregates.md
// "Exact percentiles"). Every `interval_ms` the recorder computes, from the event store,
// over the trailing window [t - window_ms, t] (inclusive, as GET /api/v1/vitals with
// window=... and to=t), for every app and page with vital events in the window and for
// every app as a whole:
//   rum_vital_percentile{app, page, metric, percentile}  percentile in {"50","75","95"}
//   rum_vital_samples{app, page, metric}                 events in the window
// metric is LCP, INP, CLS, FCP or TTFB; values are in seconds for timings (the event
// store holds ms), unitless for CLS. The app-wide series have no page label. The values
// are exactly those of ComputeVitals (the same scan, the same ExactPercentiles).
//
// Contract:
//  - Samples are appended through Tsdb::AppendBatch at the evaluation timestamp t.
//  - A series written by the previous evaluation and not by this one (its page had no
//    events left in the window) gets a Prometheus stale marker at t, then stops.
//  - Pages per app are capped at `max_pages_per_app` (0 = no cap): the pages with the most
//    events in the window are written; the others count only in the app-wide series.
//    Events whose page is empty count only in the app-wide series.
//  - Failures are logged and counted (perfwatch_vital_percentile_failures_total); the next
//    evaluation starts afresh.
//  - SetOptions (a reload of rum.percentile_interval / percentile_window /
//    max_pages_per_app): the next evaluation uses the new window and cap; the thread
//    re-aligns to the new interval at once (0 pauses it, > 0 after 0 starts it).
// Thread safety: RecordAt, Compute and SetOptions may be called from any thread; RecordAt
// serialises on an internal mutex. Start/Stop are not to be called concurrently with each other.
#include <array>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/metrics.h"
#include "common/status.h"
#include "events/event_store.h"
#include "tsdb/tsdb.h"

namespace perfwatch::analysis {

inline constexpr std::string_view kVitalPercentileMetric = "rum_vital_percentile";
inline constexpr std::string_view kVitalSamplesMetric = "rum_vital_samples";

// HELP and TYPE of the two families, for the metadata API (both are gauges).
struct VitalSeriesHelp {
  std::string_view name;
  std::string_view help;
};
inline constexpr std::array<VitalSeriesHelp, 2> kVitalSeriesHelp = {{
    {kVitalPercentileMetric,
     "Exact percentile (50, 75, 95) of a Web Vital over the trailing rum.percentile_window, from the event store; "
     "seconds for timings, unitless for CLS."},
    {kVitalSamplesMetric, "Web Vital events in the trailing rum.percentile_window behind rum_vital_percentile."},
}};

// The metrics, in the order they are computed (and their label values).
inline constexpr std::array<events::Vital, 5> kRecordedVitals = {events::Vital::kLCP, events::Vital::kINP,
                                                                 events::Vital::kCLS, events::Vital::kFCP,
                                                                 events::Vital::kTTFB};

// One (app, page, metric) of one evaluation. page empty = the app as a whole.
struct VitalPercentiles {
  std::string app;
  std::string page;
  events::Vital vital = events::Vital::kLCP;
  uint64_t count = 0;
  double p50 = 0, p75 = 0, p95 = 0;  // in the series' unit (seconds; CLS unitless)
};

struct VitalRecorderOptions {
  int64_t interval_ms = 60'000;      // 0: Start() runs no thread
  int64_t window_ms = 3'600'000;
  size_t max_pages_per_app = 0;      // 0: no cap
};

class VitalRecorder {
 public:
  // `store` and `tsdb` must outlive the recorder; `metrics` may be null.
  VitalRecorder(VitalRecorderOptions options, const events::EventStore* store, tsdb::Tsdb* tsdb,
                MetricsRegistry* metrics);
  ~VitalRecorder();
  VitalRecorder(const VitalRecorder&) = delete;
  VitalRecorder& operator=(const VitalRecorder&) = delete;

  // The percentiles over [ts_ms - window_ms, ts_ms], sorted by (app, page, metric) with each
  // app's app-wide entries (page "") first; pages capped as described above.
  static Result<std::vector<VitalPercentiles>> Compute(const events::EventStore& store, int64_t ts_ms,
                                                       int64_t window_ms, size_t max_pages_per_app = 0);

  // Computes at `ts_ms` and appends the series (and stale markers). Returns the number of
  // samples appended.
  Result<size_t> RecordAt(int64_t ts_ms);

  // Starts the background thread (every interval_ms, on the wall clock) when
  // interval_ms > 0. Stop() joins it; idempotent.
  void Start();
  void Stop();

  // The new options (window_ms > 0 and interval_ms >= 0, else InvalidArgument and nothing
  // changes); see above.
  Status SetOptions(VitalRecorderOptions options);

 private:
  void Run();

  // interval_ms guarded by thread_mu_; window_ms and max_pages_per_app by mu_.
  VitalRecorderOptions options_;
  const events::EventStore* const store_;
  tsdb::Tsdb* const tsdb_;
  Counter* runs_ = nullptr;
  Counter* failures_ = nullptr;
  Gauge* duration_ = nullptr;
  Gauge* series_ = nullptr;

  std::mutex mu_;                                  // serialises RecordAt
  std::map<std::string, tsdb::Labels> previous_;   // guarded by mu_: series written last time

  std::mutex thread_mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by thread_mu_
  bool started_ = false;   // guarded by thread_mu_: between Start() and Stop()
  std::thread thread_;
};

}  // namespace perfwatch::analysis
