#pragma once
// What makes rum_journeys_total{outcome="abandoned"} survive a restart (issue 16;
// docs/rum-aggregates.md "Abandoned journeys across restarts").
//
// The journeys RumExtraAggregator holds (last reported "abandoned", waiting for
// rum.journey_timeout) are not written anywhere themselves: the event store already keeps
// every journey's latest beacon. What is persisted is the sweep mark: the time of the
// latest sweep that counted a journey as abandoned, in `data_dir/rum-journeys.json`
// ({"swept_ms":N}, written with WriteFileAtomically before the counts go to the TSDB).
// At start the held set is rebuilt from the store: every live journey event whose latest
// beacon's outcome is "abandoned", with an id, and whose timeout ends after the mark
// (received_ms + timeout > swept_ms): no sweep had counted those when the process stopped,
// whatever the reason (Stop or kill -9), since a sweep at the mark would have.
//  - A crash between writing the mark and the TSDB append loses that sweep's counts
//    (under-counts, never twice).
//  - No mark file (first start with this version): the mark is the start time, so only
//    journeys whose timeout had not passed yet are held again.
//
// Thread safety: stateless functions.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string_view>

#include "common/status.h"
#include "events/event_store.h"

namespace perfwatch::ingest {

// The sweep mark in `path`; NotFound when there is none; InvalidArgument when unreadable.
Result<int64_t> ReadJourneySweepMark(const std::filesystem::path& path);
// The mark in a file's text: InvalidArgument unless it is {"swept_ms":<integer>}.
Result<int64_t> ParseJourneySweepMark(std::string_view text);
Status WriteJourneySweepMark(const std::filesystem::path& path, int64_t swept_ms);

// One journey to hold again: identity (session_id, id), app, name, and its latest beacon's
// receive time.
struct PendingJourney {
  std::string_view session_id, id, app, name;
  int64_t received_ms = 0;
};

// Calls `fn` for every live journey event whose latest beacon is "abandoned", with an id,
// received after `swept_ms - timeout_ms` (in store order). Views are valid
// only during the call, which runs under the store's shared lock.
Status ScanPendingJourneys(const events::EventStore& store, int64_t swept_ms, int64_t timeout_ms,
                           const std::function<void(const PendingJourney&)>& fn);

}  // namespace perfwatch::ingest
