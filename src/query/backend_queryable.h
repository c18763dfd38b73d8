#pragma once
// The PromQL engine's storage (promql::Queryable) read from `query.backend`
// (docs/scale-out.md): with it, what evaluates PromQL inside perfwatch — the analysis'
// watches and leak detection, reports, live query watches — reads the backend's samples
// instead of the local TSDB's. Raw samples are fetched as Prometheus-compatible stores
// serve them: Select over [mint, maxt] is the instant query `{matchers}[<maxt-mint+1>ms]`
// at `time=maxt` (a matrix of the raw samples in that range); label names and values come
// from /api/v1/labels and /api/v1/label/<name>/values with match[], start and end.
// Backend errors become the series set's status (the query's error: "query backend: ...").
// Thread safety: thread-safe; `call` must be.
#include <cstdint>
#include <memory>

#include "query/backend_proxy.h"
#include "query/promql_engine.h"

namespace perfwatch::query {

class BackendQueryable final : public promql::Queryable {
 public:
  explicit BackendQueryable(BackendCall call)
      : call_(std::make_shared<const BackendCall>(std::move(call))) {}
  std::unique_ptr<tsdb::Querier> NewQuerier(int64_t mint, int64_t maxt) const override;

 private:
  std::shared_ptr<const BackendCall> call_;
};

// `{a="x",b=~"y"}` for the matchers (shared with tests).
std::string SelectorText(std::span<const tsdb::Matcher> matchers);

}  // namespace perfwatch::query
