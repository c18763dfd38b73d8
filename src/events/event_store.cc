#include "events/event_store.h"

#include <algorithm>
#include <cmath>
#include <system_error>

#include "common/file_util.h"
#include "common/log.h"
#include "common/thread_name.h"
#include "common/time.h"
#include "events/event_store_impl.h"
#include "events/partition_retention.h"

namespace perfwatch::events {

std::string PartitionDirName(int64_t start_ms) { return "part-" + std::to_string(start_ms); }

namespace {

constexpr int64_t kRetentionCheckMs = 60'000;

}  // namespace

EventStore::EventStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

EventStore::~EventStore() { Stop(); }

Result<std::unique_ptr<EventStore>> EventStore::Open(std::filesystem::path dir, EventsConfig config,
                                                     MetricsRegistry* metrics) {
  if (config.partition_ms <= 0 || config.partition_ms > int64_t{UINT32_MAX}) {
    return InvalidArgument("events: partition_ms must be in (0, 2^32) ms");
  }
  if (config.fsync_interval_ms < 0) return InvalidArgument("events: fsync_interval_ms must be >= 0");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return IoError("create " + dir.string(), ec.value());

  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->config = config;
  impl->retention_ms.store(config.retention_ms, std::memory_order_relaxed);
  impl->fsync_interval_ms.store(config.fsync_interval_ms, std::memory_order_relaxed);
  if (!metrics) {
    impl->own_metrics = std::make_unique<MetricsRegistry>();
    metrics = impl->own_metrics.get();
  }
  impl->appended = metrics->GetCounter("perfwatch_events_appended_total", "Events appended to the event store.");
  impl->replaced = metrics->GetCounter("perfwatch_events_replaced_total",
                                       "Appended events that replaced a stored one with the same (sessionId, id).");
  impl->fsyncs = metrics->GetCounter("perfwatch_events_log_fsyncs_total", "fsync calls on event logs.");
  impl->replay_truncations = metrics->GetCounter("perfwatch_events_replay_truncations_total",
                                                 "Event logs truncated at a bad record during replay.");
  impl->stored_gauge = metrics->GetGauge("perfwatch_events_stored", "Events stored (after replace-on-repeat).");
  impl->partitions_gauge = metrics->GetGauge("perfwatch_events_partitions", "Live event store partitions.");
  impl->disk_bytes_gauge = metrics->GetGauge("perfwatch_events_disk_bytes", "Bytes of event logs on disk.");

  PW_RETURN_IF_ERROR(impl->Replay().WithContext("open event store " + dir.string()));
  impl->UpdateGauges();
  return std::unique_ptr<EventStore>(new EventStore(std::move(impl)));
}

void EventStore::Impl::UpdateGauges() {
  stored_gauge->Set(static_cast<double>(stored_events.load(std::memory_order_relaxed)));
  disk_bytes_gauge->Set(static_cast<double>(disk_bytes.load(std::memory_order_relaxed)));
  std::shared_lock lock(state_mu);
  partitions_gauge->Set(static_cast<double>(partitions.size()));
}

Result<Partition*> EventStore::Impl::PartitionFor(int64_t t) {
  // Reading the map under append_mu alone is fine: only append_mu holders change it.
  auto next = partitions.upper_bound(t);
  int64_t prev_end = INT64_MIN;
  if (next != partitions.begin()) {
    auto prev = std::prev(next);
    if (prev->second->Contains(t)) return prev->second.get();
    prev_end = prev->second->end_ms();
  }
  // New partition: the aligned slot for t, clipped to the gap between its neighbours
  // (they only differ from the grid if partition_ms changed between runs).
  int64_t start = FloorDiv(t, config.partition_ms) * config.partition_ms;
  int64_t end = start + config.partition_ms;
  start = std::max(start, prev_end);
  if (next != partitions.end()) end = std::min(end, next->first);
  std::filesystem::path pdir = dir / PartitionDirName(start);
  std::error_code ec;
  std::filesystem::create_directory(pdir, ec);
  if (ec) return IoError("create " + pdir.string(), ec.value());
  PW_RETURN_IF_ERROR(SyncDirectory(dir));
  LogHeader header{start, end - start};
  auto part = std::make_shared<Partition>(pdir, header);
  PW_ASSIGN_OR_RETURN(auto writer, LogWriter::Open(part->log_path(), header, std::nullopt));
  disk_bytes.fetch_add(writer->size(), std::memory_order_relaxed);
  part->AttachWriter(std::move(writer));
  Partition* raw = part.get();
  {
    std::unique_lock lock(state_mu);
    partitions.emplace(start, std::move(part));
  }
  PW_LOG_INFO("event partition created", "dir={} start_ms={} length_ms={}", pdir.string(), start, end - start);
  return raw;
}

bool EventStore::Impl::ApplyPair(Partition* p, uint32_t row, std::string_view session_id, std::string_view id) {
  uint32_t h = PairHash(session_id, id);
  for (auto& [start, q] : partitions) q->pairs().Prefetch(h);
  auto find_in = [&](Partition* q) {
    return q->pairs().Find(h, [&](uint32_t r) { return !q->RowDead(r) && q->RowHasPair(r, session_id, id); });
  };
  Partition* owner = p;
  std::optional<uint32_t> old = find_in(p);
  if (!old) {
    for (auto& [start, q] : partitions) {
      if (q.get() == p) continue;
      if ((old = find_in(q.get()))) {
        owner = q.get();
        break;
      }
    }
  }
  if (!old) {
    p->pairs().Insert(h, row);
    return false;
  }
  // Beacons may arrive out of order (two sendBeacon requests race): a repeat older than
  // the stored event is kept dead and leaves the stored one and the index as they are.
  if (p->RowTimeMs(row) < owner->RowTimeMs(*old)) {
    p->MarkDead(row);
    return true;
  }
  owner->MarkDead(*old);
  if (owner == p) {
    p->pairs().Replace(h, *old, row);
  } else {
    owner->pairs().Erase(h, *old);
    p->pairs().Insert(h, row);
  }
  return true;
}

Status EventStore::Append(std::span<const EventInput> events, std::span<bool> replaced_out) {
  if (events.empty()) return Status::Ok();
  if (!replaced_out.empty() && replaced_out.size() != events.size()) {
    return InvalidArgument("append: replaced has " + std::to_string(replaced_out.size()) + " elements for " +
                           std::to_string(events.size()) + " events");
  }
  Impl& m = *impl_;
  std::lock_guard append_lock(m.append_mu);
  size_t n = events.size();
  m.ev_touched.resize(n);
  m.ev_offset.resize(n);
  m.ev_combo.resize(n);
  size_t touched = 0;  // m.touched[0, touched) are in use; their buffers keep capacity

  // 1. Route every event to its partition (creating partitions does I/O: no state lock).
  for (size_t i = 0; i < n; ++i) {
    const EventInput& e = events[i];
    if (static_cast<int>(e.type) <= 0 || static_cast<int>(e.type) >= kEventTypeCount ||
        static_cast<int>(e.vital) >= kVitalCount) {
      return InvalidArgument("event " + std::to_string(i) + ": bad type or vital");
    }
    PW_ASSIGN_OR_RETURN(Partition * p, m.PartitionFor(e.time_ms));
    size_t t = 0;
    while (t < touched && m.touched[t].partition != p) ++t;
    if (t == touched) {
      if (m.touched.size() == touched) m.touched.emplace_back();
      m.touched[t].partition = p;
      m.touched[t].buf.clear();
      ++touched;
    }
    m.ev_touched[i] = static_cast<uint32_t>(t);
  }

  // 2. Encode (defines dictionary strings and combos: readers must not see them change).
  uint64_t first_seq = m.next_seq;
  {
    std::unique_lock lock(m.state_mu);
    for (size_t t = 0; t < touched; ++t) {
      m.touched[t].mark = m.touched[t].partition->GetMark();
      m.touched[t].log_size_before = m.touched[t].partition->writer()->size();
    }
    for (size_t i = 0; i < n; ++i) {
      Impl::Touched& t = m.touched[m.ev_touched[i]];
      m.ev_offset[i] = static_cast<uint32_t>(t.buf.size());
      m.ev_combo[i] = t.partition->EncodeEvent(events[i], m.next_seq++, m.scratch, t.buf);
    }
  }

  // 3. One write(2) per partition touched (and fdatasync when fsync_interval_ms == 0).
  Status status;
  size_t written = 0;
  for (; written < touched && status.ok(); ++written) {
    status = m.touched[written].partition->writer()->Write(m.touched[written].buf);
  }
  if (status.ok() && m.fsync_interval_ms.load(std::memory_order_relaxed) == 0) {
    for (size_t t = 0; t < touched && status.ok(); ++t) {
      bool synced = false;
      status = m.touched[t].partition->writer()->Sync(&synced);
      if (synced) m.fsyncs->Inc();
    }
  }
  if (!status.ok()) {
    // Nothing of the batch is acknowledged: cut the logs back and forget the definitions.
    for (size_t t = 0; t < written; ++t) {
      (void)m.touched[t].partition->writer()->Truncate(m.touched[t].log_size_before);
    }
    std::unique_lock lock(m.state_mu);
    for (size_t t = 0; t < touched; ++t) m.touched[t].partition->Rollback(m.touched[t].mark);
    m.next_seq = first_seq;
    PW_LOG_ERROR("event append failed", "error={}", LogQuote(status.ToString()));
    return status.WithContext("append events");
  }

  // 4. Publish the rows and apply replace-on-repeat.
  uint64_t replaced = 0;
  uint64_t bytes = 0;
  {
    std::unique_lock lock(m.state_mu);
    for (size_t i = 0; i < n; ++i) {
      const EventInput& e = events[i];
      Impl::Touched& t = m.touched[m.ev_touched[i]];
      Partition* p = t.partition;
      uint32_t row = p->AddRow(t.log_size_before + m.ev_offset[i], static_cast<uint32_t>(e.time_ms - p->start_ms()),
                               RowKind(e.type, e.vital), m.ev_combo[i], e.value);
      const bool was_replaced =
          !e.session_id.empty() && !e.id.empty() && m.ApplyPair(p, row, e.session_id, e.id);
      if (was_replaced) ++replaced;
      if (!replaced_out.empty()) replaced_out[i] = was_replaced;
    }
  }
  for (size_t t = 0; t < touched; ++t) bytes += m.touched[t].buf.size();
  m.stored_events.fetch_add(n - replaced, std::memory_order_relaxed);
  m.disk_bytes.fetch_add(bytes, std::memory_order_relaxed);
  m.replaced_since_start.fetch_add(replaced, std::memory_order_relaxed);
  m.appended->Inc(n);
  if (replaced) m.replaced->Inc(replaced);
  m.stored_gauge->Set(static_cast<double>(m.stored_events.load(std::memory_order_relaxed)));
  m.disk_bytes_gauge->Set(static_cast<double>(m.disk_bytes.load(std::memory_order_relaxed)));
  return Status::Ok();
}

Status EventStore::Impl::SyncAll() {
  std::vector<std::shared_ptr<Partition>> parts;
  {
    std::shared_lock lock(state_mu);
    for (auto& [start, p] : partitions) parts.push_back(p);
  }
  Status first;
  for (auto& p : parts) {
    bool synced = false;
    Status s = p->writer()->Sync(&synced);
    if (synced) fsyncs->Inc();
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

Status EventStore::Sync() { return impl_->SyncAll(); }

Result<std::vector<PinnedFile>> EventStore::PinForSnapshot(const std::filesystem::path& dest) const {
  std::lock_guard lock(impl_->append_mu);  // the partition map changes only under it too
  std::vector<PinnedFile> pins;
  for (const auto& entry : impl_->partitions) {
    const LogWriter* w = entry.second->writer();
    if (w == nullptr) continue;
    PW_ASSIGN_OR_RETURN(PinnedFile pin, PinLog(*w, impl_->dir, dest));
    pins.push_back(std::move(pin));
  }
  return pins;
}

Status EventStore::EnforceRetention(int64_t now_ms) {
  Impl& m = *impl_;
  const int64_t retention_ms = m.retention_ms.load(std::memory_order_relaxed);
  if (retention_ms <= 0) return Status::Ok();
  int64_t cutoff = now_ms - retention_ms;
  std::lock_guard append_lock(m.append_mu);
  Status first = DropPartitionsBefore(m.partitions, m.state_mu, cutoff, m.dir, [&m](Partition& p) {
    m.stored_events.fetch_sub(p.live_rows(), std::memory_order_relaxed);
    m.disk_bytes.fetch_sub(p.writer()->size(), std::memory_order_relaxed);
    PW_LOG_INFO("event partition dropped by retention", "dir={} events={}", p.dir().string(), p.live_rows());
    return p.dir();
  });
  m.UpdateGauges();
  return first;
}

EventStoreStats EventStore::Stats() const {
  EventStoreStats s;
  std::shared_lock lock(impl_->state_mu);
  for (auto& [start, p] : impl_->partitions) {
    s.events += p->live_rows();
    s.disk_bytes += p->writer()->size();
    s.memory_bytes += p->MemoryBytes();
  }
  s.partitions = impl_->partitions.size();
  s.replaced = impl_->replaced_since_start.load(std::memory_order_relaxed);
  return s;
}

void EventStore::Impl::BackgroundLoop() {
  int64_t next_retention = 0;  // check at once
  std::unique_lock lock(bg_mu);
  while (!bg_stop) {
    if (bg_policies_changed) {
      bg_policies_changed = false;
      next_retention = 0;  // a new retention applies at once
    }
    lock.unlock();
    Status s = SyncAll();
    if (!s.ok()) PW_LOG_ERROR("event log fsync failed", "error={}", LogQuote(s.ToString()));
    int64_t now = NowMs();
    if (now >= next_retention) {
      next_retention = now + kRetentionCheckMs;
      // EnforceRetention lives on EventStore; the loop only needs the Impl, so inline it.
      Status r = retention_fn ? retention_fn(now) : Status::Ok();
      if (!r.ok()) PW_LOG_ERROR("event retention failed", "error={}", LogQuote(r.ToString()));
    }
    lock.lock();
    const int64_t fsync_ms = fsync_interval_ms.load(std::memory_order_relaxed);
    const int64_t interval = fsync_ms > 0 ? fsync_ms : 1000;
    bg_cv.wait_for(lock, std::chrono::milliseconds(interval), [&] { return bg_stop || bg_policies_changed; });
  }
}

Status EventStore::CheckPolicies(int64_t retention_ms, int64_t fsync_interval_ms) {
  if (retention_ms < 0) return InvalidArgument("events.retention must not be negative");
  if (fsync_interval_ms < 0) return InvalidArgument("events.fsync_interval must not be negative");
  return Status::Ok();
}

Status EventStore::SetPolicies(int64_t retention_ms, int64_t fsync_interval_ms) {
  PW_RETURN_IF_ERROR(CheckPolicies(retention_ms, fsync_interval_ms));
  Impl& m = *impl_;
  m.retention_ms.store(retention_ms, std::memory_order_relaxed);
  m.fsync_interval_ms.store(fsync_interval_ms, std::memory_order_relaxed);
  {
    std::lock_guard lock(m.bg_mu);
    m.bg_policies_changed = true;
  }
  m.bg_cv.notify_all();
  return Status::Ok();
}

int64_t EventStore::retention_ms() const { return impl_->retention_ms.load(std::memory_order_relaxed); }
int64_t EventStore::fsync_interval_ms() const { return impl_->fsync_interval_ms.load(std::memory_order_relaxed); }

Status EventStore::Start() {
  Impl& m = *impl_;
  std::lock_guard lifecycle(m.lifecycle_mu);
  if (m.bg.joinable()) return Status::Ok();
  {
    std::lock_guard lock(m.bg_mu);
    m.bg_stop = false;
  }
  m.retention_fn = [this](int64_t now) { return EnforceRetention(now); };
  m.bg = NamedThread("pw-events", [&m] { m.BackgroundLoop(); });
  return Status::Ok();
}

void EventStore::Stop() {
  Impl& m = *impl_;
  std::lock_guard lifecycle(m.lifecycle_mu);
  if (m.bg.joinable()) {
    {
      std::lock_guard lock(m.bg_mu);
      m.bg_stop = true;
    }
    m.bg_cv.notify_all();
    m.bg.join();
  }
  Status s = m.SyncAll();
  if (!s.ok()) PW_LOG_ERROR("event log fsync failed", "error={}", LogQuote(s.ToString()));
}

}  // namespace perfwatch::events
