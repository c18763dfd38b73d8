#include "http/event_stream.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <chrono>
#include <functional>

#include "common/thread_name.h"
#include "common/time.h"

namespace perfwatch::http {

// One stream's buffer: frames waiting for the connection, and how to wake it.
class EventHub::Subscriber final : public LiveBody {
 public:
  Subscriber(std::string client, std::set<std::string> types, size_t max_bytes)
      : client_(std::move(client)), types_(std::move(types)), max_bytes_(max_bytes) {}
  // A subscriber dropped without Cancel (its response never written) still leaves the hub.
  ~Subscriber() override { Cancel(); }

  // Counted in the hub from now on: Cancel (once) takes it out again.
  void Attach(EventHub* hub) {
    std::lock_guard lock(mu_);
    hub_ = hub;
  }

  bool Wants(const std::string& type) const { return types_.empty() || types_.count(type) > 0; }

  // Queues `frame`; false when the subscriber has ended (gone or overflowing).
  bool Push(std::string_view frame) {
    std::function<void()> wake;
    {
      std::lock_guard lock(mu_);
      if (ended_) return false;
      if (buffer_.size() + frame.size() > max_bytes_) {
        ended_ = true;  // the client reconnects and catches up from the ring
      } else {
        buffer_.append(frame);
      }
      wake = std::move(wake_);
      wake_ = nullptr;
    }
    if (wake) wake();
    return true;
  }

  // Ends the stream once what is buffered has been read.
  void End() {
    std::function<void()> wake;
    {
      std::lock_guard lock(mu_);
      ended_ = true;
      wake = std::move(wake_);
      wake_ = nullptr;
    }
    if (wake) wake();
  }

  bool Read(std::string& out) override {
    std::lock_guard lock(mu_);
    out.append(buffer_);
    buffer_.clear();
    return !ended_;
  }

  void Wait(std::function<void()> wake) override {
    {
      std::lock_guard lock(mu_);
      if (buffer_.empty() && !ended_) {
        wake_ = std::move(wake);
        return;
      }
    }
    wake();  // something arrived between Read and Wait
  }

  void Cancel() override {
    EventHub* hub = nullptr;
    {
      std::lock_guard lock(mu_);
      ended_ = true;
      wake_ = nullptr;
      hub = std::exchange(hub_, nullptr);
    }
    if (hub) hub->Unsubscribe(this);
  }

  const std::string& client() const { return client_; }

  // Watched queries: set before the subscriber is listed in the hub, then touched only by
  // the hub's watch thread.
  struct Watch {
    std::string expr;
    std::string last_key;
    bool sent = false;
  };
  std::vector<Watch> watches;
  int64_t watch_interval_ms = 0;
  int64_t next_watch_ms = 0;  // steady-clock milliseconds; 0: at once

 private:
  std::mutex mu_;
  EventHub* hub_ = nullptr;  // guarded by mu_; set by Attach, null again once cancelled
  const std::string client_;
  const std::set<std::string> types_;
  const size_t max_bytes_;
  std::string buffer_;           // guarded by mu_
  std::function<void()> wake_;   // guarded by mu_
  bool ended_ = false;           // guarded by mu_
};

namespace {

// An event; without an id line when `id` is 0 (the client's last id then stays as it was).
std::string Frame(uint64_t id, std::string_view type, std::string_view data) {
  std::string f;
  f.reserve(type.size() + data.size() + 40);
  if (id != 0) f += "id: " + std::to_string(id) + "\n";
  f += "event: ";
  f += type;
  f += "\ndata: ";
  f += data;
  f += "\n\n";
  return f;
}

// A watch interval: seconds ("5", "2.5") or a duration ("10s", "1m"); at least 1 s.
Result<int64_t> ParseWatchInterval(std::string_view text) {
  int64_t ms = 0;
  double seconds = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec == std::errc() && p == text.data() + text.size() && std::isfinite(seconds) && seconds < 1e9) {
    ms = static_cast<int64_t>(seconds * 1000);
  } else {
    auto d = ParseDurationMs(text);
    if (!d.ok()) return InvalidArgument("cannot parse \"" + std::string(text) + "\" to a valid duration");
    ms = *d;
  }
  if (ms < WatchSpec::kMinIntervalMs) return InvalidArgument("must be at least 1s");
  return ms;
}

}  // namespace

EventHub::EventHub(EventStreamOptions options, MetricsRegistry* metrics)
    : options_(options), next_id_(static_cast<uint64_t>(NowMs()) * 1000) {
  if (metrics) {
    published_ = metrics->GetCounter("perfwatch_stream_events_total", "Events published to GET /api/v1/stream.");
    dropped_ = metrics->GetCounter("perfwatch_stream_subscribers_dropped_total",
                                   "Streams ended because their client did not keep up.");
    metrics->AddCollector([this](std::string& out) {
      out += "# HELP perfwatch_stream_subscribers Open GET /api/v1/stream responses.\n"
             "# TYPE perfwatch_stream_subscribers gauge\nperfwatch_stream_subscribers " +
             std::to_string(subscribers()) + "\n";
    });
  }
}

EventHub::~EventHub() { Stop(); }

void EventHub::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = NamedThread("pw-live", [this] { Run(); });
  if (watcher_.evaluate) {
    watch_thread_ = NamedThread("pw-live-watch", [this] { RunWatches(); });
  }
}

void EventHub::SetQueryWatcher(QueryWatcher watcher) {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;  // too late: Start has run
  watcher_ = std::move(watcher);
}

void EventHub::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (watch_thread_.joinable()) watch_thread_.join();
  for (auto& s : Snapshot()) s->End();
}

std::vector<std::shared_ptr<EventHub::Subscriber>> EventHub::Snapshot() {
  std::vector<std::shared_ptr<Subscriber>> out;
  std::lock_guard lock(mu_);
  out.reserve(subs_.size());
  for (const Entry& e : subs_) {
    if (auto s = e.weak.lock()) out.push_back(std::move(s));
  }
  return out;
}

void EventHub::Run() {
  using namespace std::chrono;
  auto next_beat = steady_clock::now() + milliseconds(options_.heartbeat_ms);
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, milliseconds(std::max<int64_t>(options_.coalesce_ms, 10)));
    if (stopping_) break;
    lock.unlock();
    FlushCoalesced();
    if (steady_clock::now() >= next_beat) {
      next_beat = steady_clock::now() + milliseconds(options_.heartbeat_ms);
      for (auto& s : Snapshot()) s->Push(": ping\n\n");
    }
    lock.lock();
  }
}

void EventHub::RunWatches() {
  using namespace std::chrono;
  auto now_ms = [] { return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count(); };
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, milliseconds(100));
    if (stopping_) break;
    lock.unlock();
    for (auto& s : Snapshot()) {
      if (s->watches.empty()) continue;
      const int64_t now = now_ms();
      if (now < s->next_watch_ms) continue;
      s->next_watch_ms = now + s->watch_interval_ms;
      for (Subscriber::Watch& w : s->watches) {
        QueryWatcher::Answer a = watcher_.evaluate(w.expr);
        if (w.sent && a.key == w.last_key) continue;
        w.sent = true;
        w.last_key = std::move(a.key);
        if (published_) published_->Inc();
        if (!s->Push(Frame(0, "query", a.data))) break;  // the stream has ended
      }
    }
    lock.lock();
  }
}

uint64_t EventHub::Publish(std::string_view type, std::string_view data) {
  std::string frame;
  uint64_t id;
  {
    std::lock_guard lock(mu_);
    id = ++next_id_;
    frame = Frame(id, type, data);
    ring_.push_back(Event{id, std::string(type), frame});
    while (ring_.size() > options_.retained) ring_.pop_front();
  }
  if (published_) published_->Inc();
  const std::string type_name(type);
  for (auto& s : Snapshot()) {
    if (s->Wants(type_name) && !s->Push(frame) && dropped_) dropped_->Inc();
  }
  return id;
}

void EventHub::PublishCoalesced(std::string_view type, std::string_view key, std::string data) {
  std::lock_guard lock(mu_);
  coalesced_[{std::string(type), std::string(key)}] = std::move(data);
}

void EventHub::FlushCoalesced() {
  std::map<std::pair<std::string, std::string>, std::string> pending;
  {
    std::lock_guard lock(mu_);
    pending.swap(coalesced_);
  }
  for (const auto& [key, data] : pending) Publish(key.first, data);
}

Result<std::shared_ptr<LiveBody>> EventHub::Subscribe(const std::string& client, std::optional<uint64_t> last_event_id,
                                                      std::set<std::string> types, WatchSpec watch) {
  if (!watch.queries.empty() && !watcher_.evaluate) {
    return Unavailable("this server does not evaluate watched queries");
  }
  if (watch.queries.size() > WatchSpec::kMaxWatches) {
    return InvalidArgument("at most " + std::to_string(WatchSpec::kMaxWatches) + " watched queries per stream");
  }
  auto sub = std::make_shared<Subscriber>(client, std::move(types), options_.max_buffered_bytes);
  for (std::string& q : watch.queries) sub->watches.push_back({std::move(q), {}, false});
  sub->watch_interval_ms = std::max(watch.interval_ms, WatchSpec::kMinIntervalMs);
  std::string first = "retry: " + std::to_string(options_.retry_ms) + "\n: connected\n\n";
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Unavailable("the server is stopping");
    size_t& open = per_client_[client];
    if (open >= options_.max_per_client) {
      if (open == 0) per_client_.erase(client);
      return ResourceExhausted("too many open streams from this client (limit " +
                               std::to_string(options_.max_per_client) + ")");
    }
    ++open;
    if (last_event_id) {
      // Catch up: the retained events after the client's last one, or a reset when the
      // ring no longer reaches back that far.
      const bool lost = ring_.empty() ? *last_event_id < next_id_ : *last_event_id + 1 < ring_.front().id;
      if (lost) first += Frame(0, "reset", R"({"reason":"events were missed; reload"})");
      for (const Event& e : ring_) {
        if (e.id > *last_event_id && sub->Wants(e.type)) first += e.frame;
      }
    }
    sub->Push(first);  // before it can receive newer events
    subs_.push_back(Entry{sub.get(), sub});
    sub->Attach(this);
  }
  return std::shared_ptr<LiveBody>(std::move(sub));
}

void EventHub::Unsubscribe(Subscriber* s) {
  std::lock_guard lock(mu_);
  auto it = per_client_.find(s->client());
  if (it != per_client_.end() && --it->second == 0) per_client_.erase(it);
  std::erase_if(subs_, [s](const Entry& e) { return e.raw == s || e.weak.expired(); });
}

size_t EventHub::subscribers() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const Entry& e : subs_) n += !e.weak.expired();
  return n;
}

void RegisterEventStream(Router& router, EventHub* hub) {
  router.Handle("GET", "/api/v1/stream", [hub](const Request& req, Response& res) {
    std::optional<uint64_t> last;
    std::string_view last_text = req.Header("Last-Event-ID");
    std::string param;
    if (last_text.empty()) {
      param = req.Param("lastEventId").value_or("");
      last_text = param;
    }
    if (!last_text.empty()) {
      uint64_t v = 0;
      auto [end, ec] = std::from_chars(last_text.data(), last_text.data() + last_text.size(), v);
      if (ec == std::errc() && end == last_text.data() + last_text.size()) last = v;  // else: not one of ours, ignored
    }
    std::set<std::string> types;
    if (auto t = req.Param("types"); t && !t->empty()) {
      std::string_view rest = *t;
      while (!rest.empty()) {
        size_t comma = rest.find(',');
        if (std::string_view name = rest.substr(0, comma); !name.empty()) types.emplace(name);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
    }
    auto bad = [&res](std::string_view param, const std::string& message) {
      WriteApiError(res, 400, "bad_data", "invalid parameter \"" + std::string(param) + "\": " + message);
    };
    WatchSpec watch;
    for (std::string& q : req.Params("watch")) {
      if (q.empty()) continue;
      const QueryWatcher* watcher = hub->query_watcher();
      if (!watcher) return bad("watch", "this server does not evaluate watched queries");
      if (Status st = watcher->check(q); !st.ok()) return bad("watch", st.message());
      watch.queries.push_back(std::move(q));
    }
    if (watch.queries.size() > WatchSpec::kMaxWatches) {
      return bad("watch", "at most " + std::to_string(WatchSpec::kMaxWatches) + " watched queries per stream");
    }
    if (auto t = req.Param("watch_interval"); t && !t->empty()) {
      auto ms = ParseWatchInterval(*t);
      if (!ms.ok()) return bad("watch_interval", ms.status().message());
      watch.interval_ms = *ms;
    }
    auto sub = hub->Subscribe(std::string(req.remote_address), last, std::move(types), std::move(watch));
    if (!sub.ok()) {
      const bool busy = sub.status().code() == StatusCode::kResourceExhausted;
      WriteApiError(res, busy ? 429 : 503, busy ? "too_many_requests" : "unavailable", sub.status().message());
      return;
    }
    res.status = 200;
    res.content_type = "text/event-stream";
    res.headers.emplace_back("Cache-Control", "no-cache");
    res.headers.emplace_back("X-Accel-Buffering", "no");  // nginx: do not buffer the stream
    res.live = std::move(sub).value();
  }, {.scope = Scope::kRead, .route_class = RouteClass::kOther});
}

}  // namespace perfwatch::http
