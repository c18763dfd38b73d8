#pragma once
// QueryCache: finished answers of /api/v1/query and /api/v1/query_range, so a dashboard
// refreshing the same panels (Grafana re-sends every query on each refresh) is answered
// without evaluating again. VictoriaMetrics does the same with its rollup result cache.
//
// Correctness: an answer depends only on samples at or before the query's end time when
// the expression has no `@` modifier and no negative offset (Cacheable); such an answer is
// kept with the store's change epoch noted before evaluation, and served only while the
// store's ChangeTracker reports no append at or before that end time since (new data
// arriving "now" leaves answers about the past valid; a late remote-write batch, a
// backfill or retention invalidates them). Errors are never cached.
//
// Bounded by `max_bytes` of answer bodies, least recently used first out; an answer over
// an eighth of the bound is not kept; 0 keeps nothing. SetMaxBytes (a reload of
// query.cache_max_bytes) changes the bound at once, evicting down to it. Hits, misses and bytes are in /metrics
// (perfwatch_query_cache_*).
// Thread safety: thread-safe (one mutex guards the map and the LRU list).
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/metrics.h"
#include "query/promql_ast.h"
#include "tsdb/change_tracker.h"

namespace perfwatch::query {

class QueryCache {
 public:
  // `changes` must outlive the cache; `metrics` may be null.
  QueryCache(size_t max_bytes, const tsdb::ChangeTracker* changes, MetricsRegistry* metrics);

  // Whether answers of `expr` depend only on data at or before the query's end time.
  static bool Cacheable(const promql::Expr& expr);

  // The epoch to pass to Put, read before evaluating.
  uint64_t epoch() const { return changes_->epoch(); }
  // The cached answer for `key`, if it is still valid for data up to `end_ms`.
  std::optional<std::string> Get(const std::string& key, int64_t end_ms);
  void Put(const std::string& key, int64_t end_ms, uint64_t epoch, const std::string& body);

  // Drops every answer (a `query:` reload changed how answers are computed).
  void Clear();
  // The new bound (0: no cache): least recently used answers evicted down to it.
  void SetMaxBytes(size_t max_bytes);
  size_t max_bytes() const;

  size_t bytes() const;
  size_t size() const;

 private:
  struct Entry {
    std::string key;
    std::string body;
    int64_t end_ms;
    uint64_t epoch;
  };
  void EvictLocked();

  size_t max_bytes_;  // guarded by mu_
  const tsdb::ChangeTracker* const changes_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // guarded by mu_: most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;  // guarded by mu_
  size_t bytes_ = 0;                                                  // guarded by mu_
  Counter* hits_ = nullptr;
  Counter* misses_ = nullptr;
};

}  // namespace perfwatch::query
