#pragma once
// The PromQL evaluator: instant and range queries over a storage source with Prometheus
// 2.42 semantics (promql/engine.go, functions.go). Semantics, limits and known deviations:
// docs/promql.md, section "Evaluator".
//
// Errors (Status codes) and the Prometheus API errorType the HTTP layer should use:
//   kInvalidArgument   -> "bad_data"  (400)  the request cannot be evaluated as given:
//                         non-positive step, end before start, range query of a range
//                         vector or string;
//   kUnavailable       -> "timeout"   (503)  "query timed out in <stage>";
//   kCancelled         -> "canceled"  (499)  "query was canceled in <stage>": the
//                         QueryOptions::cancelled callback said the caller has gone;
//   kResourceExhausted -> "execution" (422)  "query processing would load too many samples
//                         into memory in query execution";
//   kNotFound          -> "execution" (422)  any other evaluation error (Prometheus'
//                         errors raised during evaluation): "vector cannot contain metrics
//                         with the same labelset", "found duplicate series for the match
//                         group ...", "multiple matches for labels: many-to-one matching
//                         must be explicit (group_left/group_right)", invalid regular
//                         expression or label name in label_replace/label_join/
//                         count_values, invalid holt_winters factors, int64 overflow of
//                         topk's k; (kNotFound is used because status.h has no code for
//                         "execution"; ErrorTypeFor() below is the mapping to use);
//   kInternal, kIo, kDataLoss -> "internal" (500)  storage failures while reading.
//
// Result order: instant vectors come back in evaluation order, as Prometheus returns them
// (selector results in label order, aggregations in first-seen group order, binary
// operations in left-hand-side order, topk descending, sort()/sort_desc() sorted); callers
// must not re-sort the output of sort()/sort_desc(). Matrices (range queries and range-vector
// instant queries) are sorted by labels.
//
// Thread safety: queries may run concurrently from any number of threads (each query owns
// its evaluator state); SetOptions (a reload of `query:`) may run meanwhile: each query
// reads the options once, with one atomic load, when it starts.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "common/status.h"
#include "query/promql_ast.h"
#include "query/promql_value.h"
#include "tsdb/querier.h"

namespace perfwatch::tsdb {
class Tsdb;
class Head;
}  // namespace perfwatch::tsdb

namespace perfwatch::query::promql {

// Where the engine reads series from. Implementations must be thread-safe.
class Queryable {
 public:
  virtual ~Queryable() = default;
  // A reader over [mint, maxt] (inclusive, ms).
  virtual std::unique_ptr<tsdb::Querier> NewQuerier(int64_t mint, int64_t maxt) const = 0;
};

// Adapters; the store must outlive the adapter.
class TsdbQueryable final : public Queryable {
 public:
  explicit TsdbQueryable(const tsdb::Tsdb* db) : db_(db) {}
  std::unique_ptr<tsdb::Querier> NewQuerier(int64_t mint, int64_t maxt) const override;

 private:
  const tsdb::Tsdb* db_;
};

class HeadQueryable final : public Queryable {
 public:
  explicit HeadQueryable(const tsdb::Head* head) : head_(head) {}
  std::unique_ptr<tsdb::Querier> NewQuerier(int64_t mint, int64_t maxt) const override;

 private:
  const tsdb::Head* head_;
};

struct EngineOptions {
  int64_t lookback_delta_ms = 5 * 60 * 1000;
  int64_t max_samples = 50'000'000;  // samples held in memory at once (Prometheus' max_samples)
  std::chrono::milliseconds timeout{2 * 60 * 1000};
  int64_t default_subquery_step_ms = 60 * 1000;  // `x[1h:]`
};

// Statistics of one query (Prometheus' stats.QuerySamples).
struct QueryStats {
  int64_t peak_samples = 0;
};

// Per-query overrides; zero means "the engine's option".
struct QueryOptions {
  int64_t lookback_delta_ms = 0;
  int64_t max_samples = 0;
  std::chrono::milliseconds timeout{0};
  QueryStats* stats = nullptr;  // filled when not null
  // Asked every 10 ms or so while the query runs (with the timeout check); true stops the
  // query with kCancelled, as Prometheus stops one whose client closed its connection.
  // Empty: never cancelled. Called on the querying thread only.
  std::function<bool()> cancelled;
};

enum class QueryErrorType { kNone, kBadData, kTimeout, kCanceled, kExecution, kInternal };
// The Prometheus API errorType for a Status returned by this engine (see above).
QueryErrorType ErrorTypeFor(const Status& status);
std::string_view QueryErrorTypeName(QueryErrorType t);  // "bad_data", "timeout", "canceled", ...

class Engine {
 public:
  // `storage` must outlive the engine.
  Engine(const Queryable* storage, EngineOptions opts = {});
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Evaluates `expr` at `t_ms`. Scalar expressions give Scalar, instant vectors Vector
  // (every sample stamped t_ms), range vectors Matrix, strings String.
  Result<Value> InstantQuery(const Expr& expr, int64_t t_ms, QueryOptions opts = {}) const;
  // Evaluates `expr` at start, start+step, ... <= end. Scalars become one series with no
  // labels. Range vectors and strings are InvalidArgument.
  Result<Matrix> RangeQuery(const Expr& expr, int64_t start_ms, int64_t end_ms, int64_t step_ms,
                            QueryOptions opts = {}) const;

  EngineOptions options() const { return *opts_.load(); }
  // Replaces the options for the queries that start from now on (`query:` reload).
  void SetOptions(EngineOptions opts);

 private:
  Result<Matrix> Run(const Expr& expr, int64_t start, int64_t end, int64_t interval, const QueryOptions& qo) const;

  const Queryable* storage_;
  std::atomic<std::shared_ptr<const EngineOptions>> opts_;  // never null
};

}  // namespace perfwatch::query::promql
