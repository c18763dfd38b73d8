#include "cli/stream_watch.h"

#include <algorithm>
#include <chrono>

#include "common/json_writer.h"
#include "common/time.h"
#include "query/promql_api.h"
#include "query/promql_parser.h"

namespace perfwatch::cli {
namespace {

constexpr std::chrono::milliseconds kMaxWatchEvaluation{10'000};

// The value with its evaluation times cleared: what must change for an event to be sent.
query::promql::Value WithoutEvalTimes(query::promql::Value v) {
  namespace pq = query::promql;
  if (auto* s = std::get_if<pq::Scalar>(&v)) s->t = 0;
  if (auto* s = std::get_if<pq::String>(&v)) s->t = 0;
  if (auto* vec = std::get_if<pq::Vector>(&v)) {
    for (pq::Sample& s : *vec) s.t = 0;
  }
  return v;
}

}  // namespace

http::QueryWatcher MakeQueryWatcher(const query::promql::Engine* engine) {
  http::QueryWatcher w;
  w.check = [](std::string_view expr) -> Status {
    auto parsed = query::promql::ParseExpr(expr);
    return parsed.ok() ? Status::Ok() : parsed.status();
  };
  w.evaluate = [engine](std::string_view expr) {
    http::QueryWatcher::Answer a;
    a.data = R"({"query":)";
    AppendJsonString(a.data, expr);
    Result<query::promql::Value> value = [&]() -> Result<query::promql::Value> {
      PW_ASSIGN_OR_RETURN(query::promql::ExprPtr parsed, query::promql::ParseExpr(expr));
      // At most 10 s (or the engine's timeout when shorter): the hub's watch thread waits.
      query::promql::QueryOptions opts;
      const std::chrono::milliseconds engine_timeout = engine->options().timeout;
      opts.timeout = engine_timeout.count() > 0 ? std::min(engine_timeout, kMaxWatchEvaluation)
                                                : kMaxWatchEvaluation;
      return engine->InstantQuery(*parsed, NowMs(), opts);
    }();
    if (!value.ok()) {
      a.data += R"(,"error":)";
      AppendJsonString(a.data, value.status().message());
      a.data += R"(,"errorType":)";
      AppendJsonString(
          a.data, query::promql::QueryErrorTypeName(query::promql::ErrorTypeFor(value.status())));
      a.data += '}';
      a.key = a.data;
      return a;
    }
    a.data += R"(,"result":)";
    query::AppendQueryData(a.data, *value);
    a.data += '}';
    query::AppendQueryData(a.key, WithoutEvalTimes(std::move(value).value()));
    return a;
  };
  return w;
}

}  // namespace perfwatch::cli
