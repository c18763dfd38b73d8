#pragma once
// POST /api/rum: receives RUM beacons, checks and normalizes them (BeaconParser), appends
// the accepted ones to the event store and answers as DESIGN.md's contract says:
//   all valid (or an empty array) -> 204; some valid -> 200; none valid -> 400, with
//   {"accepted":N,"rejected":M,"errors":[{"index":I,"reason":"..."}]};
//   a whole-body failure -> one error with index -1 (400; 413 for too many beacons);
//   an unsupported Content-Type -> 415; the store failing -> 503 (nothing acknowledged).
// Details: docs/ingest.md.
//
// Counts perfwatch_rum_beacons_accepted_total and
// perfwatch_rum_beacons_rejected_total{reason="<code>"} (a whole-body failure counts once).
//
// Reload (`rum:` changed; docs/operations.md "Reloading"): Prepare builds the settings of a
// RumConfig (max_beacons_per_request, max_json_depth, default_app, route_rules,
// max_timestamp_age, keep_query_strings, cors_allowed_origins; route rules compiled, so a
// bad one fails there), Apply swaps them in for the requests that start after it.
//
// Thread safety: Handle() may run on many threads at once; each thread uses its own
// BeaconParser (thread-local), rebuilt when Apply changed the settings (one atomic load
// per request tells). Register() is called once while building the router; Apply from
// any one thread at a time.
#include <atomic>
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/metrics.h"
#include "common/status.h"
#include "events/event_store.h"
#include "http/router.h"
#include "ingest/rum/beacon_rejection.h"
#include "ingest/rum/route_templater.h"

#include "ingest/rum/rum_aggregator.h"
#include "ingest/rum/rum_extra_aggregator.h"

namespace perfwatch::ingest {

class BeaconParser;

class RumHandler {
 public:
  // Checks the configured route rules first; prefer this over the constructor.
  static Result<std::unique_ptr<RumHandler>> Create(const RumConfig& config, events::EventStore* store,
                                                    MetricsRegistry* metrics, RumAggregator* aggregator = nullptr);

  // `store` and `metrics` must outlive the handler; `metrics` may be null (no counters).
  // `store` may be null only in tests: accepted events are then dropped. Route rules that
  // do not compile are logged and ignored (Create() reports them instead). `aggregator`,
  // when set, turns accepted vitals into the rum_* histogram series (rum_aggregator.h).
  RumHandler(const RumConfig& config, events::EventStore* store, MetricsRegistry* metrics,
             RumAggregator* aggregator = nullptr);
  ~RumHandler();
  RumHandler(const RumHandler&) = delete;
  RumHandler& operator=(const RumHandler&) = delete;

  // Called on the worker thread with each batch of events once it is stored (e.g. to tell
  // open dashboards). Set before Register; must be cheap and thread-safe.
  using StoredFn = std::function<void(std::span<const events::EventInput> events)>;
  void SetOnStored(StoredFn fn) { on_stored_ = std::move(fn); }

  // Called with each batch of accepted events before the event store append (errors
  // grouping, ingest/errors/error_recorder.h); an error answers 503 and stores nothing in
  // the event store. Set before Register; thread-safe.
  using ErrorSinkFn = std::function<Status(std::span<const events::EventInput> events, int64_t received_ms)>;
  void SetErrorSink(ErrorSinkFn fn) { error_sink_ = std::move(fn); }

  // Also counts accepted measures, journeys and resource summaries into `extra`
  // (rum_extra_aggregator.h). Set before Register; `extra` must outlive the handler.
  void SetExtraAggregator(RumExtraAggregator* extra) { extra_ = extra; }

  // Adds POST /api/rum (metric label "/api/rum", CORS for `cors_origins`, replaced by Apply).
  void Register(http::Router& router, const std::vector<std::string>& cors_origins);

  void Handle(const http::Request& req, http::Response& res);

  // What the parsers are built from (defined in the .cc file).
  struct Settings;
  // The settings of `config`; InvalidArgument when a route rule does not compile.
  static Result<std::shared_ptr<const Settings>> Prepare(const RumConfig& config);
  // Replaces the settings (from Prepare) for the requests that start from now on, the
  // route's CORS origins included.
  void Apply(std::shared_ptr<const Settings> settings);

 private:
  // The parser of the calling thread for the current settings.
  BeaconParser& ThreadParser();

  const uint64_t id_;  // tells this handler's thread-local parsers from other handlers'
  mutable std::mutex settings_mu_;
  std::shared_ptr<const Settings> settings_;  // guarded by settings_mu_; never null
  std::atomic<uint64_t> generation_{0};       // bumped (under settings_mu_) by Apply
  std::shared_ptr<http::CorsOrigins> cors_;   // set by Register (before serving), replaced by Apply
  events::EventStore* const store_;
  RumAggregator* const aggregator_;
  RumExtraAggregator* extra_ = nullptr;
  Counter* accepted_ = nullptr;
  std::array<Counter*, kRejectCodeCount> rejected_{};  // by RejectCode
  Counter* append_failures_ = nullptr;
  StoredFn on_stored_;
  ErrorSinkFn error_sink_;
};

// The response body of /api/rum: {"accepted":N,"rejected":M,"errors":[...]} with M the
// number of `errors`. Exposed for tests.
std::string RumResponseBody(size_t accepted, std::span<const BeaconRejection> errors);

// True for Content-Types /api/rum accepts: application/json, text/plain (parameters
// ignored, case-insensitive) or none.
bool IsRumContentType(std::string_view content_type);

}  // namespace perfwatch::ingest
