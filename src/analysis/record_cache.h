#pragma once
// An incremental cache of parsed event records for the analysis APIs that read attrs_json
// (network, attribution, journeys; docs/analysis.md "Caches of parsed events").
//
// The event store's partitions are append-only: a row, once written, never changes except
// that it may become dead (replaced by a later event with the same (session, id)). So the
// cache keeps, per partition, one compact Entry per row it was asked for (parsed once by
// `parse`) and a row -> entry map. A query
//   1. selects the matching live rows exactly as EventStore::ScanRecords does
//      (EventStore::SelectRows: time range, type, vital, dimension filters, dead rows),
//   2. parses the selected rows it has no entry for yet (EventStore::ReadRows: rows
//      appended since the last request, or rows no request asked for before),
//   3. hands the consumer the entries of the selected rows, in row (= log) order,
// so answers equal an uncached scan's (exact percentiles, events accepted a moment ago
// count), and a first request costs what an uncached one does (it parses only what it
// selected).
//
// Invalidation: entries are keyed by the partition's identity (a weak reference): a
// partition dropped by retention is forgotten at the next query. Memory: 4 bytes per row
// of a partition touched (the row map) plus the entries and strings; after each query,
// least recently used partitions are evicted until the total is within `max_bytes` (they
// are re-parsed, cold, when asked for again). Entries of rows that die later stay until
// their partition is evicted or dropped (they are never selected again).
//
// Thread safety: Scan may run on several threads at once. A mutex guards the partition
// map; each cached partition has a shared mutex: catching up holds it exclusively, the
// consumer's callback runs under it shared (so callbacks of concurrent queries over the
// same partition run in parallel, and a catch-up waits for them); a multi-pass Scan's
// `finish` holds every partition it read shared at once, taken in address order (a thread
// holding a partition exclusively never waits for another partition). Lock order: cache
// map -> partition -> the store's own locks.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "events/event_store.h"

namespace perfwatch::analysis {

// The strings of one cached partition, interned (id -> string, stable).
// Thread safety: none (guarded by its partition's lock).
class StringTable {
 public:
  static constexpr uint32_t kNoTag = UINT32_MAX;
  uint32_t Intern(std::string_view s);
  std::string_view Get(uint32_t id) const { return strings_[id]; }
  uint32_t size() const { return static_cast<uint32_t>(strings_.size()); }
  size_t MemoryBytes() const { return bytes_ + tags_.capacity() * sizeof(uint32_t); }
  // A number a parser attaches to a string (e.g. the id of a URL's template); kNoTag unset.
  uint32_t Tag(uint32_t id) const { return tags_[id]; }
  void SetTag(uint32_t id, uint32_t tag) { tags_[id] = tag; }

 private:
  std::vector<uint32_t> tags_;
  std::deque<std::string> strings_;  // stable addresses: ids_ holds views of them
  std::unordered_map<std::string_view, uint32_t> ids_;
  size_t bytes_ = 0;
};

// One partition's cached entries (in the order they were parsed) and their strings.
template <class Entry>
struct CachedRows {
  // Unique per cached partition over the cache's life (never reused, even after an
  // eviction re-creates the partition's entries): (id, entry index) names one parsed
  // entry, which never changes.
  uint64_t id = 0;
  StringTable strings;
  std::vector<Entry> entries;
  size_t entry_heap_bytes = 0;  // heap held by entries themselves (what `parse` reported)
  size_t MemoryBytes() const {
    return strings.MemoryBytes() + entries.capacity() * sizeof(Entry) + entry_heap_bytes;
  }
};

struct RecordCacheOptions {
  size_t max_bytes = size_t{256} << 20;
};

struct RecordCacheStats {
  uint64_t partitions = 0, entries = 0, bytes = 0;
  uint64_t parsed = 0;      // records parsed into the cache since it was made
  uint64_t evictions = 0;   // partitions evicted for the memory bound
};

template <class Entry>
class RecordCache {
 public:
  // Parses one record into `out` (strings interned into `strings`); returns the heap bytes
  // the entry holds beyond sizeof(Entry) (0 for flat entries).
  using ParseFn = std::function<size_t(const events::EventRecord&, StringTable& strings, Entry& out)>;
  // Gets the selected entries of one partition: `rows.entries[i]` for i in `index`, in row
  // order. Runs under the partition's shared lock; must not call into the cache.
  using ConsumeFn = std::function<void(const CachedRows<Entry>& rows, std::span<const uint32_t> index)>;

  RecordCache(RecordCacheOptions options, ParseFn parse) : options_(options), parse_(std::move(parse)) {}
  RecordCache(const RecordCache&) = delete;
  RecordCache& operator=(const RecordCache&) = delete;

  // Every scan given to one cache must select events `parse` understands.
  Status Scan(const events::EventStore& store, const events::RecordScan& scan, const ConsumeFn& fn);

  // Several selections in one call, one after the other (each over every partition, in
  // partition order). The partitions read stay pinned for the whole call, so `part` (a
  // number unique within the call, one per cached partition or fresh parse) names the
  // same StringTable in every pass.
  using MultiConsumeFn = std::function<void(size_t pass, size_t part, const CachedRows<Entry>& rows,
                                            std::span<const uint32_t> index)>;
  // `finish`, when given, runs after the last pass while every partition read stays held
  // shared: it may read the entries whose indices `fn` was given (entries are only ever
  // appended, so an index stays valid; keep `&rows` from `fn`, not element pointers).
  Status Scan(const events::EventStore& store, std::span<const events::RecordScan> scans, const MultiConsumeFn& fn,
              const std::function<void()>& finish = {});

  RecordCacheStats Stats() const;

 private:
  static constexpr uint32_t kNoEntry = UINT32_MAX;
  struct Part {
    std::weak_ptr<const void> partition;
    std::shared_mutex mu;
    std::vector<uint32_t> entry_of_row;  // guarded by mu: store row -> index in data.entries
    CachedRows<Entry> data;              // guarded by mu
    std::atomic<size_t> bytes{0};
    uint64_t last_used = 0;  // guarded by the cache's mu_
    size_t MemoryBytes() const { return data.MemoryBytes() + entry_of_row.capacity() * sizeof(uint32_t); }
  };
  using PartMap = std::map<std::weak_ptr<const void>, std::shared_ptr<Part>, std::owner_less<>>;

  std::shared_ptr<Part> GetPart(const std::shared_ptr<const void>& partition);
  void ParseInto(const events::EventRecord& r, CachedRows<Entry>& out);
  void Evict();

  const RecordCacheOptions options_;
  const ParseFn parse_;
  std::atomic<uint64_t> parsed_{0}, evictions_{0};
  uint64_t next_id_ = 0;  // guarded by mu_

  mutable std::mutex mu_;
  PartMap parts_;      // guarded by mu_
  uint64_t clock_ = 0;  // guarded by mu_
};

// ---- implementation

template <class Entry>
std::shared_ptr<typename RecordCache<Entry>::Part> RecordCache<Entry>::GetPart(
    const std::shared_ptr<const void>& partition) {
  std::lock_guard lock(mu_);
  for (auto it = parts_.begin(); it != parts_.end();) {  // partitions dropped by retention
    if (it->first.expired()) it = parts_.erase(it);
    else ++it;
  }
  std::weak_ptr<const void> key = partition;
  auto it = parts_.find(key);
  if (it == parts_.end()) {
    auto part = std::make_shared<Part>();
    part->partition = key;
    part->data.id = ++next_id_;
    it = parts_.emplace(key, std::move(part)).first;
  }
  it->second->last_used = ++clock_;
  return it->second;
}

template <class Entry>
void RecordCache<Entry>::ParseInto(const events::EventRecord& r, CachedRows<Entry>& out) {
  out.entries.emplace_back();
  out.entry_heap_bytes += parse_(r, out.strings, out.entries.back());
}

template <class Entry>
Status RecordCache<Entry>::Scan(const events::EventStore& store, const events::RecordScan& scan, const ConsumeFn& fn) {
  return Scan(store, std::span<const events::RecordScan>(&scan, 1),
              [&](size_t, size_t, const CachedRows<Entry>& rows, std::span<const uint32_t> index) { fn(rows, index); });
}

template <class Entry>
Status RecordCache<Entry>::Scan(const events::EventStore& store, std::span<const events::RecordScan> scans,
                                const MultiConsumeFn& fn, const std::function<void()>& finish) {
  std::vector<uint32_t> index, missing;
  // Partitions pinned for this call, with their numbers.
  std::map<std::weak_ptr<const void>, std::pair<std::shared_ptr<Part>, size_t>, std::owner_less<>> pinned;
  size_t next_part = 0;
  Status st;
  for (size_t pass = 0; pass < scans.size() && st.ok(); ++pass) {
    st = store.SelectRows(scans[pass], [&](const events::SelectedRows& sel) -> Status {
      auto pin = pinned.find(std::weak_ptr<const void>(sel.partition));
      if (pin == pinned.end()) {
        pin = pinned.emplace(std::weak_ptr<const void>(sel.partition), std::make_pair(GetPart(sel.partition), next_part++))
                  .first;
      }
      Part* part = pin->second.first.get();
      auto collect_missing = [&] {
        missing.clear();
        for (uint32_t row : sel.rows) {
          if (row >= part->entry_of_row.size() || part->entry_of_row[row] == kNoEntry) missing.push_back(row);
        }
      };
      std::shared_lock shared(part->mu);
      collect_missing();
      if (!missing.empty()) {
        shared.unlock();
        std::unique_lock lock(part->mu);
        collect_missing();  // another request may have parsed them meanwhile
        if (!missing.empty()) {
          if (part->entry_of_row.size() < sel.row_count) part->entry_of_row.resize(sel.row_count, kNoEntry);
          // The selected rows as selected (one that died since still reads): exact.
          PW_RETURN_IF_ERROR(store.ReadRows(sel.partition, 0, sel.row_count, nullptr, missing,
                                            [&](uint32_t row, const events::EventRecord& r) {
                                              part->entry_of_row[row] = static_cast<uint32_t>(part->data.entries.size());
                                              ParseInto(r, part->data);
                                            }));
          part->bytes.store(part->MemoryBytes(), std::memory_order_relaxed);
          parsed_.fetch_add(missing.size(), std::memory_order_relaxed);
        }
        lock.unlock();
        shared.lock();
      }
      index.clear();
      for (uint32_t row : sel.rows) index.push_back(part->entry_of_row[row]);
      fn(pass, pin->second.second, part->data, index);
      return Status::Ok();
    });
  }
  if (st.ok() && finish) {
    // Every pinned partition held shared, locked in address order (a global order: a
    // catch-up holds one partition's lock exclusively and waits for no other, so this
    // cannot deadlock with it or with another query's finish).
    std::vector<Part*> parts;
    for (auto& [key, pin] : pinned) parts.push_back(pin.first.get());
    std::sort(parts.begin(), parts.end());
    std::vector<std::shared_lock<std::shared_mutex>> locks;
    locks.reserve(parts.size());
    for (Part* p : parts) locks.emplace_back(p->mu);
    finish();
  }
  pinned.clear();
  Evict();
  return st;
}

template <class Entry>
void RecordCache<Entry>::Evict() {
  std::lock_guard lock(mu_);
  size_t total = 0;
  for (const auto& [key, part] : parts_) total += part->bytes.load(std::memory_order_relaxed);
  while (total > options_.max_bytes && !parts_.empty()) {
    auto lru = parts_.begin();
    for (auto it = parts_.begin(); it != parts_.end(); ++it) {
      if (it->second->last_used < lru->second->last_used) lru = it;
    }
    total -= lru->second->bytes.load(std::memory_order_relaxed);
    parts_.erase(lru);  // a query still reading it keeps it alive until done
    evictions_.fetch_add(1, std::memory_order_relaxed);
  }
}

template <class Entry>
RecordCacheStats RecordCache<Entry>::Stats() const {
  RecordCacheStats s;
  std::vector<std::shared_ptr<Part>> parts;
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, part] : parts_) parts.push_back(part);
  }
  for (const auto& part : parts) {
    std::shared_lock lock(part->mu);
    ++s.partitions;
    s.entries += part->data.entries.size();
    s.bytes += part->MemoryBytes();
  }
  s.parsed = parsed_.load(std::memory_order_relaxed);
  s.evictions = evictions_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace perfwatch::analysis
