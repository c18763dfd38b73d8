#pragma once
// The common shape of the analysis GET endpoints (score, network, journeys, attribution,
// regressions, leaks): parameters parsed into a request (InvalidArgument → 400
// bad_data), an answer computed as a JSON body (Unavailable, such as ClickHouse down → 503
// unavailable; another error → 500 internal), 200
// application/json otherwise; scope read, route class query. Also the true/false
// filter parameters of the list endpoints.
// Thread safety: stateless; what `parse` and `answer` capture must be thread-safe.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "common/status.h"
#include "common/time.h"
#include "http/router.h"

namespace perfwatch::analysis {

// Registers GET `path`: parse(req, now_ms) -> Result<Request>, then
// answer(request, now_ms) -> Result<std::string> (the JSON body).
template <typename Parse, typename Answer>
void RegisterAnalysisGet(http::Router& router, std::string path, Parse parse, Answer answer) {
  router.Handle(
      "GET", std::move(path),
      [parse = std::move(parse), answer = std::move(answer)](const http::Request& req, http::Response& res) {
        const int64_t now = NowMs();
        auto request = parse(req, now);
        if (!request.ok()) return http::WriteApiError(res, 400, "bad_data", request.status().message());
        Result<std::string> body = answer(*request, now);
        if (!body.ok() && body.status().code() == StatusCode::kUnavailable) {
          return http::WriteApiError(res, 503, "unavailable", body.status().message());
        }
        if (!body.ok()) return http::WriteApiError(res, 500, "internal", body.status().message());
        res.status = 200;
        res.content_type = "application/json";
        res.body = std::move(body).value();
      },
      {.scope = http::Scope::kRead, .route_class = http::RouteClass::kQuery});
}

// The parameter `name` as a filter: absent or empty → nullopt; "true"/"1", "false"/"0";
// anything else InvalidArgument "invalid <name> \"x\": expected true or false".
inline Result<std::optional<bool>> ParseBoolParam(const http::Request& req, const std::string& name) {
  auto v = req.Param(name);
  if (!v || v->empty()) return std::optional<bool>();
  if (*v == "true" || *v == "1") return std::optional<bool>(true);
  if (*v == "false" || *v == "0") return std::optional<bool>(false);
  return InvalidArgument("invalid " + name + " \"" + *v + "\": expected true or false");
}

}  // namespace perfwatch::analysis
