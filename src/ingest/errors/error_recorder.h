#pragma once
// Turns errors arriving at ingest into error-store occurrences and the
// perfwatch_error_events_total series (tracker issue 14 item 5; docs/errors.md):
//  - RUM beacons of type error and unhandled-rejection (RecordBeacons): message from the
//    beacon's `message` (else `name`), stack from `stack`, type from the message or the
//    stack's first line ("TypeError: ..."; else "Error", "UnhandledRejection" for a
//    rejection without one); app, page, browser and session from the beacon, user from
//    `userId` / `user_id` / `user.id`; a beacon without a stack but with `source`, `line`,
//    `col` gets that one frame.
//  - span events named "exception" (RecordTraces): exception.type, exception.message,
//    exception.stacktrace; service.name, the span's http.route, trace and span id,
//    enduser.id / user.id, session.id.
//  - log records (RecordLogs) with severity_number >= 17 (ERROR, FATAL) or an exception.*
//    attribute; other records are counted in perfwatch_otlp_log_records_not_stored_total.
// Series: perfwatch_error_events_total{app,source="browser",new} and
// {service,source="backend",new}, cumulative, written to the TSDB after each stored batch
// (new="true" for the first occurrence of a group). app and service beyond
// max_apps / max_services distinct values are "other" in the series (the store keeps the
// real name). Create() continues from the stored values (restart).
// Failure: a store error is returned (nothing of the batch kept); a TSDB error is logged and
// counted, the counts reach the TSDB with the next successful write.
//
// Thread safety: the Record* methods are thread-safe.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <tuple>

#include "common/metrics.h"
#include "common/status.h"
#include "events/error_store.h"
#include "events/event.h"
#include "ingest/otlp/otlp_model.h"
#include "tsdb/tsdb.h"

namespace perfwatch::ingest::errors {

inline constexpr std::string_view kErrorEventsMetric = "perfwatch_error_events_total";

struct ErrorRecorderOptions {
  size_t max_apps = 20;      // 0 = no cap (rum.max_apps)
  size_t max_services = 100; // 0 = no cap (otlp.max_services)
  int64_t state_lookback_ms = 30LL * 24 * 3600 * 1000;
};

struct LogsResult {
  uint64_t stored = 0;      // error records stored as occurrences
  uint64_t not_stored = 0;  // accepted, counted, not kept
};

class ErrorRecorder {
 public:
  static Result<std::unique_ptr<ErrorRecorder>> Create(ErrorRecorderOptions options, events::ErrorStore* store,
                                                       tsdb::Tsdb* tsdb, MetricsRegistry* metrics, int64_t now_ms);
  ErrorRecorder(ErrorRecorderOptions options, events::ErrorStore* store, tsdb::Tsdb* tsdb, MetricsRegistry* metrics);

  Status RecordBeacons(std::span<const events::EventInput> events, int64_t receive_ms);
  Status RecordTraces(const otlp::TracesRequest& request, int64_t receive_ms);
  Status RecordLogs(const otlp::LogsRequest& request, int64_t receive_ms, LogsResult* result = nullptr);

  Status LoadState(int64_t now_ms);

  // rum.max_apps reloaded (0 = no cap): from the next beacon on; apps already admitted keep
  // their series, new ones beyond the cap count as "other". Thread-safe.
  void SetMaxApps(size_t max_apps);
  // otlp.max_services likewise, for the OTLP services (from the next request on).
  void SetMaxServices(size_t max_services);

  struct Pending;  // one batch being assembled (implementation detail)

 private:
  Status Commit(Pending& batch, int64_t receive_ms);
  // Requires mu_.
  std::string Admit(events::ErrorSource source, std::string_view scope);

  ErrorRecorderOptions options_;  // max_apps, max_services guarded by mu_ (SetMaxApps, SetMaxServices)
  events::ErrorStore* const store_;
  tsdb::Tsdb* const tsdb_;
  Counter* logs_not_stored_ = nullptr;
  Counter* append_failures_ = nullptr;

  std::mutex mu_;
  // (source, scope label value, new) -> cumulative count.
  std::map<std::tuple<int, std::string, bool>, double> counts_;  // mu_
  std::set<std::tuple<int, std::string, bool>> dirty_;           // mu_
  std::set<std::string> apps_, services_;                        // mu_: admitted values
  int64_t last_ts_ = INT64_MIN;                                  // mu_
};

}  // namespace perfwatch::ingest::errors
