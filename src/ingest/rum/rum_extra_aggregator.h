#pragma once
// Custom measures, journeys and resource summaries as series (issue 16 item 2;
// docs/rum-aggregates.md "Measures, journeys and resources"), written like RumAggregator's
// vitals histograms (cumulative values, restart from the stored values, dirty label sets
// written in batches, optionally by a background thread):
//   rum_measure_seconds{app,page,name}            histogram, "measure" beacons (ms -> s)
//   rum_journey_duration_seconds{app,name,outcome} histogram of final journeys (completed|failed)
//   rum_journeys_total{app,name,outcome}           counter: completed, failed, abandoned
//   rum_resource_transfer_bytes_total{app,page,type,party}, rum_resources_total{...}
//                                                  counters from the full SDK's resource summary
//
// Rules:
//  - Measures: counted once (a replacing event is not counted again); negative, NaN or
//    infinite values are stored but not counted. At most `max_names_per_app` names per
//    app, then name="other" (perfwatch_rum_measure_names_overflow_total).
//  - Journeys (identity: sessionId + id): a "completed"/"failed" beacon is counted
//    (counter + duration histogram) when it is the first beacon of its identity, or when it
//    replaces an "abandoned" one this aggregator holds. An "abandoned" beacon is held
//    (identity, app, name, time of its latest beacon) and counted as abandoned once
//    `journey_timeout_ms` passes without a final beacon (Sweep). At most `max_tracked`
//    journeys are held; beyond that the oldest is counted as abandoned early. Across
//    restarts (with `event_store` and `sweep_mark_path` set): the held journeys are rebuilt
//    at start from the event store and the persisted sweep mark (ingest/rum/journey_state.h),
//    so a journey abandoned before a restart is counted once its timeout passes, and a final
//    beacon replacing it after the restart is counted as final.
//    Journey names share the name cap (separately counted: perfwatch_rum_journey_names_overflow_total).
//  - Resource summaries ("slow-resources" beacons with a "summary" object): the summary's
//    running totals count once per page view. The aggregator remembers the last totals of at
//    most `max_tracked` summaries (identity sessionId + id, oldest forgotten first) and counts
//    the growth when a summary replaces an earlier one (a total that shrinks counts 0). A
//    replacing summary it does not remember only sets the baseline (under-counts, never
//    twice). The summary does not cross type with party, so each summary counts under
//    {type=<script|css|img|font|fetch|other>, party="all"} (byType) and
//    {type="all", party="first"|"third"} (firstParty/thirdParty). Beacons without a summary
//    (the core SDK) are not counted.
//  - Caps (apps, pages per app) and overflow counters are RumAggregator's (same option
//    values, their own admission sets).
//  - SetLimits (a reload of rum.max_apps / max_pages_per_app / max_measure_names /
//    journey_timeout) applies from the next Record()/Sweep(): a lowered cap keeps what is
//    admitted and admits nothing new beyond it; a new timeout counts the held journeys
//    against it at the next sweep.
//  - Failure: as RumAggregator (state kept, next write carries it, perfwatch_rum_aggregate_append_failures_total).
//
// Thread safety: Record(), Sweep(), Flush(), SetLimits() are thread-safe (one mutex, held
// across the TSDB append); journey_timeout_ms() is lock-free.
#include <atomic>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
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
#include "events/event_store.h"
#include "tsdb/tsdb.h"

namespace simdjson::dom {
class parser;
}

namespace perfwatch::ingest {

// Bucket bounds (seconds, ascending; +Inf implicit) of rum_measure_seconds and
// rum_journey_duration_seconds.
std::span<const double> RumMeasureBucketBounds();
std::span<const double> RumJourneyBucketBounds();

struct RumExtraAggregatorOptions {
  size_t max_apps = 0;                // 0 = no cap (serve: rum.max_apps)
  size_t max_pages_per_app = 500;     // 0 = no cap (serve: rum.max_pages_per_app)
  size_t max_names_per_app = 100;     // measure names, journey names; 0 = no cap (rum.max_measure_names)
  std::string overflow = "other";     // the app, page and name label of what is over a cap
  int64_t journey_timeout_ms = 30LL * 60 * 1000;  // rum.journey_timeout
  size_t max_tracked = 100'000;       // held abandoned journeys; remembered resource summaries
  int64_t state_lookback_ms = 30LL * 24 * 3600 * 1000;
  int64_t flush_interval_ms = 0;      // 0: Record()/Sweep() write; > 0: a thread sweeps and writes
  // Held journeys across restarts (both set, or neither: held journeys are then lost on restart).
  const events::EventStore* event_store = nullptr;
  std::filesystem::path sweep_mark_path{};  // serve: data_dir/rum-journeys.json
};

class RumExtraAggregator {
 public:
  // Loads the last stored values (as RumAggregator::Create). `tsdb` must outlive it;
  // `metrics` may be null.
  static Result<std::unique_ptr<RumExtraAggregator>> Create(RumExtraAggregatorOptions options, tsdb::Tsdb* tsdb,
                                                            MetricsRegistry* metrics, int64_t now_ms);
  RumExtraAggregator(RumExtraAggregatorOptions options, tsdb::Tsdb* tsdb, MetricsRegistry* metrics);
  ~RumExtraAggregator();
  RumExtraAggregator(const RumExtraAggregator&) = delete;
  RumExtraAggregator& operator=(const RumExtraAggregator&) = delete;

  Status LoadState(int64_t now_ms);
  // Rebuilds the held journeys from the event store (no-op without event_store).
  Status LoadHeldJourneys(int64_t now_ms);

  // Counts the accepted events; `replaced` as in RumAggregator::Record. Also sweeps as of
  // `received_ms`.
  Status Record(std::span<const events::EventInput> accepted, std::span<const bool> replaced, int64_t received_ms);
  // Counts the held journeys whose latest beacon is journey_timeout_ms older than `now_ms`
  // as abandoned (written now with flush_interval_ms = 0).
  Status Sweep(int64_t now_ms);
  Status Flush();
  // The background thread (flush_interval_ms > 0): Sweep(NowMs()) and write. Stop() joins
  // it and writes what is pending.
  void Start();
  void Stop();

  // The caps (0 = no cap) and the journey timeout (> 0, else InvalidArgument and nothing
  // changes), from the next Record()/Sweep() on.
  Status SetLimits(size_t max_apps, size_t max_pages_per_app, size_t max_names_per_app, int64_t journey_timeout_ms);
  int64_t journey_timeout_ms() const { return journey_timeout_ms_.load(std::memory_order_relaxed); }

  size_t num_label_sets() const;
  size_t held_journeys() const;
  size_t remembered_summaries() const;

 private:
  struct Group {
    int family = 0;
    std::vector<std::string> values;  // label values, in the family's label order
    std::vector<double> cumulative;   // histogram: buckets (+Inf last), sum, count; counter: value
    int64_t last_ts = INT64_MIN;
    int64_t pending_received_ms = INT64_MIN;
    bool dirty = false;
  };
  struct HeldJourney {
    std::string app, name;
    int64_t since_ms = 0;
  };
  struct Cell {
    std::string type, party;
    double n = 0, transfer = 0;
  };

  Group& GetGroup(int family, std::vector<std::string> values);
  void Add(int family, std::vector<std::string> values, double x, int64_t received_ms);  // requires mu_
  std::string Admit(std::unordered_map<std::string, std::unordered_set<std::string>>& sets, size_t cap,
                    const std::string& app, std::string_view value, bool* overflow);  // requires mu_
  std::string AdmitApp(std::string_view app, bool* overflow);                       // requires mu_
  void CountAbandoned(const HeldJourney& j, int64_t now_ms);                         // requires mu_
  void SweepLocked(int64_t now_ms);                                                  // requires mu_
  void HoldJourney(std::string identity, std::string_view app, std::string_view name, int64_t since_ms);  // requires mu_
  void RecordJourney(const events::EventInput& e, bool replaced, int64_t received_ms);   // requires mu_
  void RecordSummary(const events::EventInput& e, bool replaced, int64_t received_ms);   // requires mu_
  Status WriteGroups();                                                             // requires mu_
  Status WriteGroupRange(std::span<Group* const> groups, size_t nseries);           // requires mu_
  static constexpr size_t kWriteBatchSeries = 2048;

  RumExtraAggregatorOptions options_;  // the caps and journey_timeout_ms guarded by mu_ (SetLimits)
  std::atomic<int64_t> journey_timeout_ms_;  // a copy for journey_timeout_ms()
  tsdb::Tsdb* const tsdb_;
  Counter* names_overflow_ = nullptr;
  Counter* journey_names_overflow_ = nullptr;
  Counter* pages_overflow_ = nullptr;
  Counter* apps_overflow_ = nullptr;
  Counter* append_failures_ = nullptr;
  Gauge* held_gauge_ = nullptr;

  mutable std::mutex mu_;
  std::unique_ptr<simdjson::dom::parser> parser_;  // guarded by mu_
  std::unordered_map<std::string, std::unique_ptr<Group>> groups_;
  std::vector<Group*> dirty_;
  std::unordered_set<std::string> apps_;
  std::unordered_map<std::string, std::unordered_set<std::string>> pages_, measure_names_, journey_names_;
  std::unordered_map<std::string, HeldJourney> held_;           // identity -> abandoned journey
  std::deque<std::pair<int64_t, std::string>> held_order_;      // (since, identity); stale entries skipped
  int64_t counted_sweep_ms_ = INT64_MIN;   // the latest sweep that counted a journey
  int64_t persisted_sweep_ms_ = INT64_MIN; // the sweep mark last written
  std::unordered_map<std::string, std::vector<Cell>> summaries_;  // identity -> last totals
  std::deque<std::string> summary_order_;                       // insertion order (forgetting)
  std::vector<tsdb::LabelView> write_labels_;
  std::vector<tsdb::Sample> write_samples_;
  std::vector<tsdb::SeriesSamples> write_batch_;
  std::vector<std::string> le_strings_[2];  // measure, journey
  PeriodicThread writer_;
};

}  // namespace perfwatch::ingest
