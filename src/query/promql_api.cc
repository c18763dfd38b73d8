#include "query/promql_api.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "common/json_writer.h"
#include "common/time.h"
#include "query/promql_parser.h"
#include "tsdb/labels_json.h"

namespace perfwatch::query {
namespace {

using promql::QueryErrorType;

constexpr int64_t kMaxPointsPerSeries = 11'000;
// Prometheus' minTime/maxTime for a missing start/end.
constexpr int64_t kMinApiTime = -62135596801000;  // 0000-12-31T23:59:59Z
constexpr int64_t kMaxApiTime = 253402300799000;  // 9999-12-31T23:59:59Z

int HttpStatusFor(QueryErrorType t) {
  switch (t) {
    case QueryErrorType::kBadData: return 400;
    case QueryErrorType::kExecution: return 422;
    case QueryErrorType::kTimeout: return 503;
    case QueryErrorType::kCanceled: return 499;  // Prometheus' statusClientClosedConnection
    default: return 500;
  }
}

void WriteQueryError(http::Response& res, const Status& st) {
  QueryErrorType t = promql::ErrorTypeFor(st);
  http::WriteApiError(res, HttpStatusFor(t), promql::QueryErrorTypeName(t), st.message());
}

void BadParam(http::Response& res, std::string_view param, std::string_view message) {
  http::WriteApiError(res, 400, "bad_data", "invalid parameter \"" + std::string(param) + "\": " + std::string(message));
}

void AppendPoint(std::string& out, int64_t t, double v) {
  out.push_back('[');
  AppendPromTimestamp(out, t);
  out.append(",\"");
  AppendPromValue(out, v);
  out.append("\"]");
}

// A time parameter, or `fallback` when absent. Prometheus: `cannot parse "x" to a valid timestamp`.
Result<int64_t> TimeParam(const http::Request& req, std::string_view name, std::optional<int64_t> fallback) {
  std::optional<std::string> text = req.Param(name);
  if (!text || text->empty()) {
    if (fallback) return *fallback;
    return InvalidArgument("invalid parameter \"" + std::string(name) + "\": cannot parse \"\" to a valid timestamp");
  }
  auto t = ParseTimeMs(*text);
  if (!t.ok()) {
    return InvalidArgument("invalid parameter \"" + std::string(name) + "\": cannot parse \"" + *text +
                           "\" to a valid timestamp");
  }
  return *t;
}

// The per-query timeout: the `timeout` parameter when given (a duration), else the engine's.
// The query stops (499, "canceled") when the client closes its connection meanwhile.
Result<promql::QueryOptions> QueryOptionsFrom(const http::Request& req) {
  promql::QueryOptions opts;
  opts.cancelled = [&req] { return req.ClientGone(); };
  if (auto text = req.Param("timeout"); text && !text->empty()) {
    auto ms = ParseDurationParam(*text);
    if (!ms.ok()) return InvalidArgument("invalid parameter \"timeout\": " + ms.status().message());
    opts.timeout = std::chrono::milliseconds(std::max<int64_t>(*ms, 1));
  }
  return opts;
}

Result<promql::ExprPtr> ParseQueryParam(const http::Request& req) {
  std::string text = req.Param("query").value_or("");
  auto expr = promql::ParseExpr(text);
  if (!expr.ok()) return InvalidArgument("invalid parameter \"query\": " + expr.status().message());
  return expr;
}

void Success(http::Response& res, std::string body) {
  res.status = 200;
  res.content_type = "application/json";
  res.body = std::move(body);
}

// The cache key of a query: kind, the canonical expression, times.
std::string CacheKey(char kind, const promql::Expr& expr, std::initializer_list<int64_t> times) {
  std::string key(1, kind);
  key += expr.ToString();
  for (int64_t t : times) {
    key.push_back('\x1f');
    key += std::to_string(t);
  }
  return key;
}

// Answers from `cache` (may be null) when it holds a valid answer for `key`; otherwise
// evaluates, answers and keeps a successful answer of a cacheable expression.
template <typename MakeKey, typename Evaluate>
void Answer(QueryCache* cache, MakeKey&& make_key, const promql::Expr& expr, int64_t end_ms, http::Response& res,
            Evaluate&& evaluate) {
  const bool cached = cache != nullptr && QueryCache::Cacheable(expr);
  uint64_t epoch = 0;
  std::string key;
  if (cached) {
    key = make_key();
    if (auto hit = cache->Get(key, end_ms)) return Success(res, std::move(*hit));
    epoch = cache->epoch();  // before reading the store
  }
  Result<promql::Value> value = evaluate();
  if (!value.ok()) return WriteQueryError(res, value.status());
  std::string body = R"({"status":"success","data":)";
  AppendQueryData(body, *value);
  body.push_back('}');
  if (cached) cache->Put(key, end_ms, epoch, body);
  Success(res, std::move(body));
}

void HandleQuery(const promql::Engine* engine, QueryCache* cache, const http::Request& req, http::Response& res) {
  auto t = TimeParam(req, "time", NowMs());
  if (!t.ok()) return http::WriteApiError(res, 400, "bad_data", t.status().message());
  auto opts = QueryOptionsFrom(req);
  if (!opts.ok()) return http::WriteApiError(res, 400, "bad_data", opts.status().message());
  auto expr = ParseQueryParam(req);
  if (!expr.ok()) return http::WriteApiError(res, 400, "bad_data", expr.status().message());
  Answer(cache, [&] { return CacheKey('i', **expr, {*t}); }, **expr, *t, res,
         [&]() -> Result<promql::Value> { return engine->InstantQuery(**expr, *t, *opts); });
}

void HandleQueryRange(const promql::Engine* engine, QueryCache* cache, const http::Request& req,
                      http::Response& res) {
  auto start = TimeParam(req, "start", std::nullopt);
  if (!start.ok()) return http::WriteApiError(res, 400, "bad_data", start.status().message());
  auto end = TimeParam(req, "end", std::nullopt);
  if (!end.ok()) return http::WriteApiError(res, 400, "bad_data", end.status().message());
  if (*end < *start) return BadParam(res, "end", "end timestamp must not be before start time");
  std::string step_text = req.Param("step").value_or("");
  auto step = ParseDurationParam(step_text);
  if (!step.ok()) return BadParam(res, "step", step.status().message());
  if (*step <= 0) {
    return BadParam(res, "step", "zero or negative query resolution step widths are not accepted. Try a positive integer");
  }
  if ((*end - *start) / *step > kMaxPointsPerSeries) {
    return http::WriteApiError(
        res, 400, "bad_data",
        "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)");
  }
  auto opts = QueryOptionsFrom(req);
  if (!opts.ok()) return http::WriteApiError(res, 400, "bad_data", opts.status().message());
  auto expr = ParseQueryParam(req);
  if (!expr.ok()) return http::WriteApiError(res, 400, "bad_data", expr.status().message());
  Answer(cache, [&] { return CacheKey('r', **expr, {*start, *end, *step}); }, **expr, *end, res,
         [&]() -> Result<promql::Value> {
    PW_ASSIGN_OR_RETURN(promql::Matrix m, engine->RangeQuery(**expr, *start, *end, *step, *opts));
    return promql::Value(std::move(m));
  });
}

void HandleBuildInfo(const BuildInfo& info, http::Response& res) {
  // `version` is the Prometheus API level perfwatch answers like, so clients that switch
  // features on Prometheus' version (Grafana) see a modern server; perfwatch's own version
  // is in `perfwatchVersion` (docs/api.md).
  std::string body = R"({"status":"success","data":{"version":"2.42.0","revision":)";
  AppendJsonString(body, info.revision);
  body += R"(,"branch":"","buildUser":"perfwatch","buildDate":)";
  AppendJsonString(body, info.build_date);
  body += R"(,"goVersion":"","application":"perfwatch","perfwatchVersion":)";
  AppendJsonString(body, info.version);
  body += "}}";
  Success(res, std::move(body));
}

// Validates like Prometheus (query required and parsed, start <= end) and answers [].
void HandleExemplars(const http::Request& req, http::Response& res) {
  auto start = TimeParam(req, "start", kMinApiTime);
  if (!start.ok()) return http::WriteApiError(res, 400, "bad_data", start.status().message());
  auto end = TimeParam(req, "end", kMaxApiTime);
  if (!end.ok()) return http::WriteApiError(res, 400, "bad_data", end.status().message());
  // Prometheus words these two without the `invalid parameter` prefix.
  if (*end < *start) return http::WriteApiError(res, 400, "bad_data", "end timestamp must not be before start timestamp");
  auto expr = promql::ParseExpr(req.Param("query").value_or(""));
  if (!expr.ok()) return http::WriteApiError(res, 400, "bad_data", expr.status().message());
  Success(res, R"({"status":"success","data":[]})");
}

}  // namespace

void AppendPromValue(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  // Go's strconv.FormatFloat(v, 'f', -1, 64), or 'e' for |v| < 1e-6 or >= 1e21.
  double a = std::fabs(v);
  auto fmt = (a != 0 && (a < 1e-6 || a >= 1e21)) ? std::chars_format::scientific : std::chars_format::fixed;
  char buf[400];
  auto r = std::to_chars(buf, buf + sizeof(buf), v, fmt);
  out.append(buf, r.ptr);
}

void AppendPromTimestamp(std::string& out, int64_t ms) {
  if (ms < 0) {
    out.push_back('-');
    ms = -ms;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof(buf), ms / 1000);
  out.append(buf, r.ptr);
  int64_t frac = ms % 1000;
  if (frac != 0) {
    out.push_back('.');
    out.push_back(static_cast<char>('0' + frac / 100));
    out.push_back(static_cast<char>('0' + frac / 10 % 10));
    out.push_back(static_cast<char>('0' + frac % 10));
  }
}

void AppendQueryData(std::string& out, const promql::Value& value) {
  if (const auto* s = std::get_if<promql::Scalar>(&value)) {
    out += R"({"resultType":"scalar","result":)";
    AppendPoint(out, s->t, s->v);
  } else if (const auto* str = std::get_if<promql::String>(&value)) {
    out += R"({"resultType":"string","result":[)";
    AppendPromTimestamp(out, str->t);
    out.push_back(',');
    AppendJsonString(out, str->v);
    out.push_back(']');
  } else if (const auto* vec = std::get_if<promql::Vector>(&value)) {
    out += R"({"resultType":"vector","result":[)";
    for (size_t i = 0; i < vec->size(); ++i) {
      if (i) out.push_back(',');
      out += R"({"metric":)";
      tsdb::AppendJsonLabels(out, (*vec)[i].metric);
      out += R"(,"value":)";
      AppendPoint(out, (*vec)[i].t, (*vec)[i].v);
      out.push_back('}');
    }
    out.push_back(']');
  } else {
    const auto& m = std::get<promql::Matrix>(value);
    out += R"({"resultType":"matrix","result":[)";
    for (size_t i = 0; i < m.size(); ++i) {
      if (i) out.push_back(',');
      out += R"({"metric":)";
      tsdb::AppendJsonLabels(out, m[i].metric);
      out += R"(,"values":[)";
      for (size_t j = 0; j < m[i].points.size(); ++j) {
        if (j) out.push_back(',');
        AppendPoint(out, m[i].points[j].t, m[i].points[j].v);
      }
      out += "]}";
    }
    out.push_back(']');
  }
  out.push_back('}');
}

Result<int64_t> ParseDurationParam(std::string_view text) {
  // Float seconds first (as Prometheus' parseDuration), then a Prometheus duration.
  double seconds = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec == std::errc() && p == text.data() + text.size()) {
    double ms = std::round(seconds * 1000);
    if (!std::isfinite(ms) || ms > 9.2e18 || ms < -9.2e18) {
      return InvalidArgument("cannot parse \"" + std::string(text) + "\" to a valid duration. It overflows int64");
    }
    return static_cast<int64_t>(ms);
  }
  if (!text.empty() && text.find_first_not_of("0123456789smhdwy") == std::string_view::npos) {
    auto ms = ParseDurationMs(text);
    if (ms.ok()) return *ms;
  }
  return InvalidArgument("cannot parse \"" + std::string(text) + "\" to a valid duration");
}

void RegisterPromqlApi(http::Router& router, const promql::Engine* engine, BuildInfo build_info, QueryCache* cache) {
  const http::RouteOptions kQueryClass{.scope = http::Scope::kRead, .route_class = http::RouteClass::kQuery};
  for (const char* method : {"GET", "POST"}) {
    router.Handle(method, "/api/v1/query", [engine, cache](const http::Request& req, http::Response& res) {
      HandleQuery(engine, cache, req, res);
    }, kQueryClass);
    router.Handle(method, "/api/v1/query_range", [engine, cache](const http::Request& req, http::Response& res) {
      HandleQueryRange(engine, cache, req, res);
    }, kQueryClass);
    router.Handle(method, "/api/v1/query_exemplars", HandleExemplars, kQueryClass);
  }
  router.Handle("GET", "/api/v1/status/buildinfo",
                [info = std::move(build_info)](const http::Request&, http::Response& res) { HandleBuildInfo(info, res); },
                {.scope = http::Scope::kRead});
}

}  // namespace perfwatch::query
