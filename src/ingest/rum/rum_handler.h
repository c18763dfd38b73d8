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
// Thread safety: Handle() may run on many threads at once; each thread uses its own
// BeaconParser (thread-local). Register() is called once while building the router.
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
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

  // Adds POST /api/rum (metric label "/api/rum", CORS for `cors_origins`).
  void Register(http::Router& router, const std::vector<std::string>& cors_origins);

  void Handle(const http::Request& req, http::Response& res);

 private:
  const RumConfig config_;
  const uint64_t id_;  // tells this handler's thread-local parsers from other handlers'
  std::shared_ptr<const RouteTemplater> templater_;
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
