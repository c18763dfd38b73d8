#pragma once
// RED metrics derived from spans at ingest (tracker issue 14 item 3; docs/otlp.md "RED
// metrics"), as the OpenTelemetry Collector's `spanmetrics` connector derives them, written
// to the TSDB as Prometheus series:
//   perfwatch_span_calls_total                 counter   \  service, span_name, span_kind,
//   perfwatch_span_duration_seconds            histogram /  status_code; server spans also
//                                                           http_route, http_method, http_status_class
//   perfwatch_db_duration_seconds              histogram    service, db_system, db_operation, db_statement
//   perfwatch_http_client_duration_seconds     histogram    service, peer, http_method, http_status_class
// Histograms are classic (_bucket{le}, _sum, _count) with SpanDurationBounds(). Values:
// span_kind "SPAN_KIND_SERVER"..., status_code "STATUS_CODE_UNSET|OK|ERROR" (as the
// connector writes them); http_* from the current and the older HTTP semantic conventions;
// db_statement is FingerprintSql() of db.query.text / db.statement. An absent attribute is
// an absent label. Every span counts in perfwatch_span_*; CLIENT spans with db.system(.name)
// also in perfwatch_db_*, other CLIENT spans with an HTTP method in perfwatch_http_client_*.
//
// Rules (the same machinery as ingest/rum/rum_aggregator.h):
//  - Duration = end - start (nanoseconds, in seconds). A span with a zero start or end time
//    or with end < start is not counted: Record() reports it (SpanMetricsResult, by reason)
//    and counts it in perfwatch_otlp_spans_invalid_total{reason}. CheckSpanTimes() gives the
//    same verdict, so the receiver can reject the span as a whole (partialSuccess).
//  - Cumulative series, written as RumAggregator writes them: the changed label sets,
//    stamped max(latest receive time counted, last stamp + 1); by Record() itself with
//    flush_interval_ms = 0, else by a background thread (Start/Stop); Stop() writes what
//    is pending. Create() continues from the stored values (restart); a label set with
//    incomplete stored series starts from zero (a counter reset).
//  - Cardinality caps (otlp.* keys): max_services distinct `service` values; per service,
//    max_routes_per_service distinct http_route values, max_span_names_per_service
//    span_name values (all kinds: middleware and database spans have names too),
//    max_db_statements_per_service db_statement values, max_peers_per_service peers.
//    Beyond a cap the value is "other" (not counted toward the cap) and the span is counted
//    in perfwatch_otlp_{services,routes,span_names,db_statements,peers}_overflow_total.
//    http_method is one of the RFC 9110 methods plus PATCH, else "_OTHER" (semconv);
//    db_system and db_operation longer than 64 bytes are "other".
//  - Failure: state is kept when the TSDB append fails; the next successful write carries
//    it. The error is returned and counted in perfwatch_otlp_red_append_failures_total.
//
// Thread safety: Record(), Flush(), SetCaps() and num_label_sets() are thread-safe; they serialise on
// one mutex held across the TSDB append (a label set's samples stay in time order).
#include <cstdint>
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
#include "ingest/otlp/otlp_model.h"
#include "ingest/otlp/sql_fingerprint.h"
#include "tsdb/tsdb.h"

namespace perfwatch::ingest::otlp {

// Finite `le` bounds of every duration histogram, in seconds, ascending (+Inf implicit).
std::span<const double> SpanDurationBounds();

enum class SpanTimeError : uint8_t { kNone = 0, kMissingTimestamp, kEndBeforeStart };
// "missing_timestamp", "end_before_start" (the `reason` label); "" for kNone.
std::string_view SpanTimeErrorName(SpanTimeError e);
SpanTimeError CheckSpanTimes(const Span& span);

// What one Record() did with the request's spans.
struct SpanMetricsResult {
  uint64_t counted = 0;
  uint64_t missing_timestamp = 0;  // start or end time 0
  uint64_t end_before_start = 0;
  uint64_t rejected() const { return missing_timestamp + end_before_start; }
  // "" when nothing was rejected, else e.g. "2 spans not counted in RED metrics: 1 with
  // end_time_unix_nano before start_time_unix_nano, 1 without start or end time".
  std::string Message() const;
};

struct SpanMetricsOptions {
  size_t max_services = 100;                   // 0 = no cap (otlp.max_services)
  size_t max_routes_per_service = 200;         // http_route (otlp.max_routes_per_service)
  size_t max_span_names_per_service = 1000;    // span_name (otlp.max_span_names_per_service)
  size_t max_db_statements_per_service = 200;  // otlp.max_db_statements_per_service
  size_t max_peers_per_service = 50;           // otlp.max_peers_per_service
  // How far back Create() looks for the last stored values (the TSDB retention by default).
  int64_t state_lookback_ms = 30LL * 24 * 3600 * 1000;
  // 0: Record() writes to the TSDB itself; > 0: a background thread writes every interval.
  int64_t flush_interval_ms = 0;
};

class SpanMetrics {
 public:
  // Loads the stored state as of `now_ms`. `tsdb` must outlive the object; `metrics` may be
  // null (no self-metrics).
  static Result<std::unique_ptr<SpanMetrics>> Create(SpanMetricsOptions options, tsdb::Tsdb* tsdb,
                                                     MetricsRegistry* metrics, int64_t now_ms);

  // Starts empty (no load). Prefer Create().
  SpanMetrics(SpanMetricsOptions options, tsdb::Tsdb* tsdb, MetricsRegistry* metrics);
  ~SpanMetrics();
  SpanMetrics(const SpanMetrics&) = delete;
  SpanMetrics& operator=(const SpanMetrics&) = delete;

  // Loads the last stored value of every series above in [now - lookback, now]. Call once,
  // before the first Record().
  Status LoadState(int64_t now_ms);

  // Counts the request's spans (received at `receive_ms`, the samples' timestamp) and, with
  // flush_interval_ms = 0, writes the touched label sets. `result` (optional) gets what was
  // counted and rejected; rejection is not an error. Errors: the TSDB append (state kept).
  Status Record(const TracesRequest& request, int64_t receive_ms, SpanMetricsResult* result = nullptr);

  // Writes the label sets changed since the last write.
  Status Flush();
  // Starts the background writer when flush_interval_ms > 0. Stop() joins it and flushes.
  void Start();
  void Stop();

  size_t num_label_sets() const;

  // The cardinality caps at run time (a configuration reload of the otlp.max_* keys): from
  // the next Record() on. Values admitted already keep their series; a raised cap admits
  // new values, a lowered one counts further new values as "other" (until a restart
  // re-admits the stored series under the caps). Thread-safe.
  void SetCaps(size_t max_services, size_t max_routes_per_service, size_t max_span_names_per_service,
               size_t max_db_statements_per_service, size_t max_peers_per_service);

 private:
  enum class Family : uint8_t { kSpan = 0, kDb, kHttpClient };
  static constexpr int kFamilies = 3;
  struct Group {
    Family family = Family::kSpan;
    std::vector<std::string> values;  // aligned with the family's label names ("" = absent)
    std::vector<double> cumulative;   // bounds + 1 (+Inf last)
    double sum = 0;
    double count = 0;
    double calls = 0;  // perfwatch_span_calls_total (kSpan)
    int64_t last_ts = INT64_MIN;
    int64_t pending_received_ms = INT64_MIN;
    bool dirty = false;
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using StringSet = std::unordered_set<std::string, StringHash, std::equal_to<>>;
  struct ServiceState {
    StringSet span_names, routes, statements, peers;
  };
  struct Overflows {
    uint64_t services = 0, span_names = 0, routes = 0, statements = 0, peers = 0;
  };

  // Requires mu_. The service to count under and its state; *overflow: it is "other"
  // because of the cap.
  ServiceState& AdmitService(std::string_view service, std::string_view* admitted, bool* overflow);
  // Requires mu_. `value`, or "other" when `set` is full (counting in *overflow).
  static std::string_view Admit(StringSet& set, size_t cap, std::string_view value, uint64_t* overflow);
  // Requires mu_. Counts one observation into the group of (family, values).
  void Observe(Family family, std::span<const std::string_view> values, double seconds, int64_t receive_ms);
  // Requires mu_. The fingerprint of a statement (memoised: ORMs repeat statements).
  const SqlFingerprint& Fingerprint(std::string_view statement, bool mysql);
  Status WriteGroups();
  Status WriteGroupRange(std::span<Group* const> groups, size_t nseries);
  static constexpr size_t kWriteBatchSeries = 2048;
  static constexpr size_t kFingerprintCacheSize = 4096;

  SpanMetricsOptions options_;  // the max_* caps guarded by mu_ (SetCaps); the rest immutable
  tsdb::Tsdb* const tsdb_;
  Counter* services_overflow_ = nullptr;
  Counter* span_names_overflow_ = nullptr;
  Counter* routes_overflow_ = nullptr;
  Counter* statements_overflow_ = nullptr;
  Counter* peers_overflow_ = nullptr;
  Counter* invalid_missing_ = nullptr;
  Counter* invalid_order_ = nullptr;
  Counter* counted_ = nullptr;
  Counter* append_failures_ = nullptr;
  Gauge* label_sets_gauge_ = nullptr;

  mutable std::mutex mu_;
  std::unordered_map<std::string, std::unique_ptr<Group>, StringHash, std::equal_to<>> groups_;  // mu_
  std::vector<Group*> dirty_;                                                                     // mu_
  std::unordered_map<std::string, ServiceState, StringHash, std::equal_to<>> services_;          // mu_
  size_t admitted_services_ = 0;                                                                  // mu_
  std::unordered_map<std::string, SqlFingerprint, StringHash, std::equal_to<>> fingerprints_;     // mu_
  std::string key_;   // scratch (mu_)
  std::string peer_;  // scratch (mu_)
  std::vector<tsdb::LabelView> write_labels_;  // reused by WriteGroupRange (mu_)
  std::vector<tsdb::Sample> write_samples_;
  std::vector<tsdb::SeriesSamples> write_batch_;
  std::vector<std::string> le_strings_;  // immutable

  PeriodicThread writer_;  // calls Flush every flush_interval_ms (Start/Stop)
};

}  // namespace perfwatch::ingest::otlp
