#pragma once
// Server-sent events (text/event-stream, the WHATWG EventSource protocol) fanned out to
// live HTTP responses: GET /api/v1/stream (docs/api.md).
//
// Publishers call Publish(type, data) from any thread; every event gets the next id and is
// kept in a ring of the last `retained` events. A subscriber (one stream response) receives
// every event published after it subscribed, and first, when it reconnects with
// Last-Event-ID, the retained events after that id (or `event: reset` when some were lost:
// the client should reload what it shows). PublishCoalesced keeps only the latest event per
// key and publishes them every `coalesce_ms`, so a burst of changes makes a few events a
// second. A comment line every `heartbeat_ms` keeps idle streams (and proxies) alive.
// A subscriber whose client does not keep up (more than `max_buffered_bytes` waiting) is
// ended; its client reconnects and catches up from the ring. At most `max_per_client`
// streams per client address (ResourceExhausted beyond).
// Event ids start at the hub's creation time in microseconds, so they keep increasing
// across restarts and an id from before a restart is simply older than the ring.
// Watched queries: a stream may ask for PromQL expressions to be evaluated every
// `interval_ms` while it is open (a QueryWatcher set on the hub does the evaluating, on
// the hub's own watch thread); it then gets `event: query` (no id, never replayed) with
// the first result at once and again each time the result changes.
//
// Thread safety: thread-safe. Start/Stop from one controlling thread.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/metrics.h"
#include "common/status.h"
#include "http/router.h"

namespace perfwatch::http {

// How a hub evaluates watched queries (the PromQL engine, set up by the server).
struct QueryWatcher {
  struct Answer {
    std::string data;  // the JSON of the event's data: {"query":…,"result":…} or {"query":…,"error":…}
    std::string key;   // equal keys: the result did not change (evaluation times left out)
  };
  // Checks an expression before its stream starts: an error answers 400 bad_data.
  std::function<Status(std::string_view expr)> check;
  // Evaluates an expression now (an instant query).
  std::function<Answer(std::string_view expr)> evaluate;
};

// What one stream watches: up to kMaxWatches expressions, every interval_ms.
struct WatchSpec {
  static constexpr size_t kMaxWatches = 5;
  static constexpr int64_t kMinIntervalMs = 1000;
  static constexpr int64_t kDefaultIntervalMs = 5000;
  std::vector<std::string> queries;
  int64_t interval_ms = kDefaultIntervalMs;
};

struct EventStreamOptions {
  size_t retained = 1024;                     // events kept for Last-Event-ID catch-up
  size_t max_per_client = 8;                  // open streams per client address
  size_t max_buffered_bytes = 1 << 20;        // per subscriber, before it is ended
  int64_t coalesce_ms = 250;                  // PublishCoalesced's flush period
  int64_t heartbeat_ms = 15'000;              // ": ping" comment on every stream
  int64_t retry_ms = 2'000;                   // the reconnection delay suggested to clients
};

class EventHub {
 public:
  // `metrics` may be null.
  explicit EventHub(EventStreamOptions options = {}, MetricsRegistry* metrics = nullptr);
  ~EventHub();  // Stop()
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // Starts the thread that flushes coalesced events and sends heartbeats; Stop ends every
  // stream and joins it. Idempotent.
  void Start();
  void Stop();

  // `data` is one line of JSON (no newline). Returns the event's id.
  uint64_t Publish(std::string_view type, std::string_view data);
  // Replaces the pending event of (type, key), published at the next flush.
  void PublishCoalesced(std::string_view type, std::string_view key, std::string data);
  // Publishes the pending coalesced events now (tests; the thread does it periodically).
  void FlushCoalesced();

  // A new stream for `client`. `types`: the event types it wants (empty: all); `watch`:
  // the queries it watches (they need a QueryWatcher; `query` events come whatever `types`).
  Result<std::shared_ptr<LiveBody>> Subscribe(const std::string& client, std::optional<uint64_t> last_event_id,
                                              std::set<std::string> types, WatchSpec watch = {});

  // Enables watched queries (before Start). Without one, Subscribe refuses `watch`.
  void SetQueryWatcher(QueryWatcher watcher);
  const QueryWatcher* query_watcher() const { return watcher_.evaluate ? &watcher_ : nullptr; }

  size_t subscribers() const;

 private:
  class Subscriber;
  struct Event {
    uint64_t id;
    std::string type;
    std::string frame;  // "id: ...\nevent: ...\ndata: ...\n\n"
  };
  struct Entry {
    Subscriber* raw;  // identity (never dereferenced without a lock of `weak`)
    std::weak_ptr<Subscriber> weak;
  };
  void Unsubscribe(Subscriber* s);
  void Run();
  void RunWatches();  // the watch thread: evaluates due watched queries
  // Every live subscriber. The shared_ptrs are released by the caller, outside mu_: the
  // last one may destroy a subscriber, which takes mu_.
  std::vector<std::shared_ptr<Subscriber>> Snapshot();

  const EventStreamOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t next_id_;                                  // guarded by mu_
  std::deque<Event> ring_;                            // guarded by mu_
  std::vector<Entry> subs_;                           // guarded by mu_
  std::map<std::string, size_t> per_client_;          // guarded by mu_
  std::map<std::pair<std::string, std::string>, std::string> coalesced_;  // guarded by mu_
  bool stopping_ = false;                             // guarded by mu_
  std::thread thread_;                                // controlling thread only
  std::thread watch_thread_;                          // controlling thread only
  QueryWatcher watcher_;                              // set before Start, then read-only
  Counter* published_ = nullptr;
  Counter* dropped_ = nullptr;
};

// GET /api/v1/stream: `types=vitals,alerts` (default all), Last-Event-ID header (or the
// `lastEventId` parameter, for clients that cannot set headers), `watch=EXPR` (repeated, up
// to WatchSpec::kMaxWatches) and `watch_interval` (a duration, default 5s, at least 1s):
// 400 bad_data for a bad expression or interval. 429 when the client has too many
// streams open.
void RegisterEventStream(Router& router, EventHub* hub);

}  // namespace perfwatch::http
