#pragma once
// RUM aggregates (DESIGN.md "RUM aggregates are histogram series in the TSDB"): every
// accepted, first-seen Core Web Vital updates a classic Prometheus histogram in the TSDB:
//   rum_lcp_seconds, rum_inp_seconds, rum_fcp_seconds, rum_ttfb_seconds (ms -> s), rum_cls
//   with _bucket{le=...}, _sum and _count, labelled app, page, device, connection.
// Bucket bounds (RumBucketBounds) include each metric's good/poor thresholds and are fine
// enough for histogram_quantile(0.75, ...) to land within 5% of the exact p75 on
// log-normal data; the tables and the accuracy test are in docs/rum-aggregates.md.
//
// Rules:
//  - Counted: type "vital" with LCP, INP, FCP, TTFB or CLS and a finite value >= 0. FID,
//    other types, missing/negative values are not aggregated (they stay in the event store).
//  - An event that replaced a stored one (same sessionId, id) is not counted again.
//  - The series are ordinary cumulative counters. The current cumulative values of every
//    label set that changed (all buckets, _sum, _count) are appended together (AppendBatch
//    calls of at most kWriteBatchSeries series; a label set is never split across two),
//    stamped max(latest receive time counted, last stamp of that label set + 1) so two
//    writes in the same millisecond (or a clock step back) never collide. With
//    flush_interval_ms = 0 each Record() writes what it touched; otherwise Record() only
//    counts and a background thread (Start/Stop) writes the changed label sets every
//    interval, so a single-beacon request does not pay for ~35 series appends and a WAL
//    write of its own. Stop() writes what is pending.
//  - Restart: Create() loads the last stored value of every rum_* series (looking back
//    `state_lookback_ms`) and continues from it, so the series never decrease. A label set
//    whose stored series are incomplete (e.g. bucket bounds changed) starts from zero: a
//    Prometheus counter reset, which rate()/increase() handle.
//  - Cardinality: at most `max_pages_per_app` distinct pages per app; events of further
//    pages are counted under page="other" (which does not count toward the cap), and in
//    perfwatch_rum_pages_overflow_total. At most `max_apps` distinct apps (`app` is free-form
//    in a beacon): events of further apps count under app="other" (not counted toward the
//    cap) and in perfwatch_rum_apps_overflow_total. `connection` keeps the Network
//    Information API's effectiveType values (slow-2g, 2g, 3g, 4g), "unknown" and absent;
//    any other value counts as connection="other" (perfwatch_rum_connections_overflow_total).
//    Devices are classified from the User-Agent (a fixed set).
//    SetCaps (a reload of rum.max_apps / max_pages_per_app) applies from the next Record():
//    a raised cap admits new apps and pages; a lowered one keeps every app and page already
//    admitted (their series go on) and admits no new one until fewer than the cap remain.
//  - Failure: the in-memory state is kept even when the TSDB append fails, and the next
//    successful Record() writes the cumulative values that include it (nothing is lost
//    unless the process stops before then). The error is returned and counted in
//    perfwatch_rum_aggregate_append_failures_total.
//
// Thread safety: Record() is thread-safe; it serialises on one mutex held across the
// TSDB append, so a label set's samples reach the TSDB in timestamp order.
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/metrics.h"
#include "common/periodic_thread.h"
#include "common/status.h"
#include "events/event.h"
#include "tsdb/tsdb.h"

namespace perfwatch::ingest {

// The aggregated metrics, in a fixed order.
enum class RumMetric : uint8_t { kLCP = 0, kINP, kFCP, kTTFB, kCLS };
inline constexpr int kRumMetricCount = 5;

// "rum_lcp_seconds", ... "rum_cls" (without _bucket/_sum/_count).
std::string_view RumMetricName(RumMetric m);
// The metric a vital aggregates into; nullopt for FID and kNone.
std::optional<RumMetric> RumMetricFor(events::Vital vital);
// Finite upper bounds, ascending, in the metric's unit (seconds; CLS unitless). The +Inf
// bucket is implicit.
std::span<const double> RumBucketBounds(RumMetric m);
// Beacon value (ms for timings, unitless CLS) -> the metric's unit.
double RumMetricValue(RumMetric m, double beacon_value);

// A float as Prometheus writes it in `le` (Go's strconv.FormatFloat(v, 'g', -1, 64) plus
// "+Inf", "-Inf", "NaN"): "0.1", "2.5", "1e-05", "1e+06".
std::string FormatPrometheusFloat(double v);

struct RumAggregatorOptions {
  size_t max_pages_per_app = 500;  // distinct pages per app before page="other"; 0 = no cap
  std::string overflow_page = "other";
  size_t max_apps = 0;  // distinct apps before app="other"; 0 = no cap (serve: rum.max_apps)
  std::string overflow_app = "other";
  // How far back Create() looks for the last stored values (the TSDB retention by default).
  int64_t state_lookback_ms = 30LL * 24 * 3600 * 1000;
  // 0: Record() writes to the TSDB itself; > 0: a background thread writes every interval.
  int64_t flush_interval_ms = 0;
};

class RumAggregator {
 public:
  // Loads the stored state (see above) as of `now_ms` and returns the aggregator.
  // `tsdb` must outlive it; `metrics` may be null (no counters).
  static Result<std::unique_ptr<RumAggregator>> Create(RumAggregatorOptions options, tsdb::Tsdb* tsdb,
                                                       MetricsRegistry* metrics, int64_t now_ms);

  // Starts empty (no load). Prefer Create().
  RumAggregator(RumAggregatorOptions options, tsdb::Tsdb* tsdb, MetricsRegistry* metrics);
  ~RumAggregator();
  RumAggregator(const RumAggregator&) = delete;
  RumAggregator& operator=(const RumAggregator&) = delete;

  // Loads the last stored value of every rum_* series in [now - lookback, now]. Call once,
  // before the first Record().
  Status LoadState(int64_t now_ms);

  // Counts the accepted events (as appended to the event store) and, with
  // flush_interval_ms = 0, appends the touched label sets to the TSDB. `replaced` is EventStore::Append's out-parameter: empty (none
  // replaced) or one element per event.
  Status Record(std::span<const events::EventInput> accepted, std::span<const bool> replaced, int64_t received_ms);

  // Writes the label sets changed since the last write. Thread-safe.
  Status Flush();
  // Starts the background writer when flush_interval_ms > 0. Stop() joins it and flushes.
  void Start();
  void Stop();

  // The caps (0 = no cap) from the next Record() on (see Cardinality above). Thread-safe.
  void SetCaps(size_t max_apps, size_t max_pages_per_app);

  // Label sets held in memory.
  size_t num_label_sets() const;

 private:
  struct Group {
    RumMetric metric = RumMetric::kLCP;
    std::string app, page, device, connection;
    std::vector<double> cumulative;  // bounds + 1 (+Inf last)
    double sum = 0;
    double count = 0;
    int64_t last_ts = INT64_MIN;  // last stamp written (or loaded)
    int64_t pending_received_ms = INT64_MIN;  // latest receive time counted, not yet written
    bool dirty = false;           // counted since the last write (in dirty_)
  };
  // Appends the cumulative values of `groups` and clears their dirty marks. Requires mu_.
  Status WriteGroups();
  // Requires mu_. Appends the current values of `groups` (`nseries` series) in one batch.
  Status WriteGroupRange(std::span<Group* const> groups, size_t nseries);
  static constexpr size_t kWriteBatchSeries = 2048;

  static std::string Key(RumMetric m, std::string_view app, std::string_view page, std::string_view device,
                         std::string_view connection);
  // The page to count under (admitting it when under the cap). Requires mu_.
  std::string_view AdmitPage(std::string_view app, std::string_view page, bool* overflow);
  // The app to count under (admitting it when under the cap). Requires mu_.
  std::string_view AdmitApp(std::string_view app, bool* overflow);
  Group& GetGroup(RumMetric m, std::string_view app, std::string_view page, std::string_view device,
                  std::string_view connection);

  RumAggregatorOptions options_;  // max_apps and max_pages_per_app guarded by mu_ (SetCaps)
  tsdb::Tsdb* const tsdb_;
  Counter* overflow_ = nullptr;
  Counter* apps_overflow_ = nullptr;
  Counter* connections_overflow_ = nullptr;
  Counter* observations_ = nullptr;
  Counter* append_failures_ = nullptr;
  Gauge* label_sets_gauge_ = nullptr;

  mutable std::mutex mu_;
  std::unordered_map<std::string, std::unique_ptr<Group>> groups_;        // guarded by mu_
  std::vector<Group*> dirty_;                                             // guarded by mu_
  // Reused by WriteGroupRange (guarded by mu_).
  std::vector<tsdb::LabelView> write_labels_;
  std::vector<tsdb::Sample> write_samples_;
  std::vector<tsdb::SeriesSamples> write_batch_;
  PeriodicThread writer_;  // calls Flush every flush_interval_ms (Start/Stop)
  std::unordered_map<std::string, std::unordered_set<std::string>> pages_;  // app -> pages; mu_
  std::unordered_set<std::string> apps_;                                    // admitted apps; mu_
  std::vector<std::string> le_strings_[kRumMetricCount];                  // immutable
};

}  // namespace perfwatch::ingest
