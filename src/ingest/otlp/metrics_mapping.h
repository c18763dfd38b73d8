#pragma once
// OTLP metrics into the time-series store, following the OpenTelemetry-to-Prometheus
// mapping (opentelemetry-specification compatibility/prometheus_and_openmetrics.md, as the
// Collector's pkg/translator/prometheus{,remotewrite} and Prometheus' OTLP receiver apply
// it). Rules, names and the Node.js runtime series: docs/otlp.md "Metrics".
//
// Contract:
// - Names: sanitized, unit suffix from the UCUM unit (`s` -> `_seconds`, `By/s` ->
//   `_bytes_per_second`, `{...}` annotations dropped), `_total` for monotonic sums, `_ratio`
//   for gauges of unit `1`. Labels: attributes sanitized (`key_` before a leading digit,
//   `key` before a single leading `_`; keys colliding after sanitizing join their values
//   with `;` in key order), `job` = service.namespace/service.name, `instance` =
//   service.instance.id, `otel_scope_name`/`otel_scope_version`. The other resource
//   attributes go to one `target_info` series (value 1) per resource.
// - Gauges, sums and summaries: one sample per series per data point at its time (ms).
//   Histograms: classic `_bucket{le}` (cumulative, `+Inf`), `_sum`, `_count`; exponential
//   histograms are converted to classic buckets at scale min(scale, max_exponential_scale).
//   A point flagged "no recorded value" writes Prometheus stale markers (tsdb/stale.h).
// - Delta temporality (monotonic sums, histograms, exponential histograms) is converted to
//   cumulative: running totals per series in memory, as the Collector's deltatocumulative
//   processor does. A restart (or a stream idle for delta_stale_ms) starts from zero,
//   which queries see as a counter reset. Delta non-monotonic sums are refused (the spec:
//   "MUST be dropped").
// - Bad data points (no time, no value, unspecified temporality, inconsistent buckets,
//   a name or label that sanitizes to nothing, a delta point not after the previous one,
//   a point the store refuses) are rejected one by one, counted with the first reason in
//   the result; the rest of the request is written with one AppendBatch.
// - Metadata (TYPE, HELP = description, UNIT = the unit suffix) goes to the metadata
//   store under the source "otlp".
//
// Thread safety: Write is thread-safe (the running totals and the metadata set each have
// a mutex; the store is thread-safe).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "ingest/metadata_store.h"
#include "ingest/otlp/otlp_model.h"
#include "tsdb/tsdb.h"

namespace perfwatch::ingest::otlp {

struct OtlpMetricsOptions {
  // Exponential histograms finer than this are downscaled to it before becoming classic
  // buckets (3: 8 buckets per power of two, bounds 2^(k/8), at most ~9% relative error).
  int32_t max_exponential_scale = 3;
  // Delta streams whose running totals are kept; points of further new streams are
  // rejected ("delta stream limit").
  size_t max_delta_streams = 100'000;
  // A delta stream not updated for this long (wall clock) is forgotten: its next point
  // starts from zero (a counter reset).
  std::chrono::milliseconds delta_stale{5 * 60 * 1000};
  // Distinct (family, type, help, unit) entries recorded in the metadata store.
  size_t max_metadata_entries = 10'000;
};

// What one Write did, for the receiver's OTLP partial-success answer
// (`rejectedDataPoints` + `errorMessage`).
struct MetricsWriteResult {
  uint64_t data_points_accepted = 0;
  uint64_t data_points_rejected = 0;
  uint64_t samples_appended = 0;  // new samples in the store (duplicates of resent data not counted)
  // "" when nothing was rejected; else the count and the first reason, e.g.
  // "2 data points rejected; first: metric \"x\": time_unix_nano is 0".
  std::string message;
};

// Prometheus names as the translator builds them (exposed for tests and docs).
enum class PromKind { kGauge, kCounter, kNonMonotonicSum, kHistogram, kSummary };
// "" when nothing valid is left (the metric's points are then rejected).
std::string PrometheusMetricName(std::string_view name, std::string_view unit, PromKind kind);
// "" when nothing valid is left.
std::string PrometheusLabelName(std::string_view key);
// The unit suffix: "seconds", "bytes_per_second", "" for `1` and annotations.
std::string PrometheusUnit(std::string_view unit);
// A bucket bound or quantile as a label value (Go's FormatFloat(v, 'f', -1, 64); "+Inf").
std::string FormatLabelFloat(double v);

class OtlpMetricsWriter {
 public:
  // `tsdb` must outlive the writer; `metadata` may be null (no metadata recorded).
  OtlpMetricsWriter(tsdb::Tsdb* tsdb, MetadataStore* metadata, OtlpMetricsOptions options = {});
  OtlpMetricsWriter(const OtlpMetricsWriter&) = delete;
  OtlpMetricsWriter& operator=(const OtlpMetricsWriter&) = delete;

  // Maps and appends `request`; `out` gets the counts. Returns:
  //   OK                 everything not rejected is stored and durable (rejections, if
  //                      any, are in `out`: answer 200 with partialSuccess);
  //   ResourceExhausted  the store's series-creation rate limit refused series (429; a
  //                      retry helps: stored samples come back as duplicates);
  //   Unavailable/other  the store could not write (503): nothing acknowledged.
  // On a non-OK status the running delta totals are rolled back, so a retry counts once.
  Status Write(const MetricsRequest& request, MetricsWriteResult* out);

  // Delta streams with running totals (for tests and the status page).
  size_t delta_streams() const;

  // Running totals of one delta stream (public for the implementation's helpers).
  struct DeltaState {
    uint64_t start_ns = 0;       // start of the first point accumulated
    uint64_t last_time_ns = 0;   // time of the last point accumulated
    double value = 0;            // sums
    uint64_t count = 0;          // histograms
    double sum = 0;
    bool has_sum = false;
    std::map<double, uint64_t> buckets;  // upper bound -> count (not cumulative)
    std::chrono::steady_clock::time_point touched;
  };

 private:
  friend class MetricsRequestMapper;
  // Adds `entries` (sorted, unique) to the "otlp" metadata source when any is new.
  void RecordMetadata(const std::vector<FamilyMetadata>& entries);

  tsdb::Tsdb* const tsdb_;
  MetadataStore* const metadata_;
  const OtlpMetricsOptions options_;

  mutable std::mutex delta_mu_;
  std::unordered_map<std::string, DeltaState> delta_;  // guarded by delta_mu_
  std::chrono::steady_clock::time_point last_sweep_;   // guarded by delta_mu_

  std::mutex meta_mu_;
  std::vector<FamilyMetadata> meta_entries_;  // guarded by meta_mu_, sorted, unique
};

}  // namespace perfwatch::ingest::otlp
