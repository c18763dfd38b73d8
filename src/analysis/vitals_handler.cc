#include "analysis/vitals_handler.h"

#include <charconv>
#include <cmath>

#include "common/json_writer.h"
#include "common/time.h"
#include "analysis/vitals_series.h"

namespace perfwatch::analysis {
namespace {

constexpr int64_t kDefaultWindowMs = 24LL * 3600 * 1000;

}  // namespace

Result<double> ParseNumberParam(std::string_view s) {
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) {
    return InvalidArgument("\"" + std::string(s) + "\" is not a number");
  }
  return v;
}

Result<VitalsRequest> ParseVitalsRequest(const http::Request& req, int64_t now_ms) {
  VitalsRequest out;
  auto metric = req.Param("metric");
  if (!metric || metric->empty()) {
    return InvalidArgument("missing parameter \"metric\" (one of LCP, INP, CLS, FCP, TTFB)");
  }
  std::string upper = *metric;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto vital = events::ParseVital(upper);
  if (!vital || *vital == events::Vital::kFID) {
    return InvalidArgument("invalid metric \"" + *metric + "\": expected one of LCP, INP, CLS, FCP, TTFB");
  }
  out.scan.vital = *vital;

  if (auto p = req.Param("percentile")) {
    auto v = ParseNumberParam(*p);
    if (!v.ok() || *v < 0 || *v > 100) {
      return InvalidArgument("invalid percentile \"" + *p + "\": expected a number from 0 to 100");
    }
    out.percentile = *v;
  }

  int64_t window_ms = kDefaultWindowMs;
  if (auto w = req.Param("window")) {
    auto d = ParseDurationMs(*w);
    if (!d.ok() || *d <= 0) return InvalidArgument("invalid window \"" + *w + "\": expected a duration such as 24h");
    window_ms = *d;
  }
  auto from = req.Param("from");
  auto to = req.Param("to");
  int64_t to_ms = now_ms;
  if (to) {
    auto t = ParseTimeMs(*to);
    if (!t.ok()) return InvalidArgument("invalid \"to\": " + t.status().message());
    to_ms = *t;
  }
  int64_t from_ms = to_ms - window_ms;
  if (from) {
    auto f = ParseTimeMs(*from);
    if (!f.ok()) return InvalidArgument("invalid \"from\": " + f.status().message());
    from_ms = *f;
  }
  if (from_ms > to_ms) return InvalidArgument("\"from\" must not be after \"to\"");
  out.scan.from_ms = from_ms;
  out.scan.to_ms = to_ms;

  if (auto by = req.Param("by"); by && !by->empty()) {
    std::string_view rest = *by;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view name = rest.substr(0, comma);
      while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
      while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
      auto dim = events::ParseDim(name);
      if (!dim) {
        return InvalidArgument("invalid \"by\" label \"" + std::string(name) +
                               "\": expected app, page, device, connection or browser");
      }
      out.scan.group_by[*dim] = true;
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  for (int d = 0; d < events::kDimCount; ++d) {
    if (auto v = req.Param(events::DimName(d))) out.scan.filters[d] = *v;
  }
  return out;
}

void AppendVitalsLabels(std::string& out, const VitalsRequest& request,
                        const std::array<std::string, events::kDimCount>& key) {
  out += R"({"labels":{)";
  bool first = true;
  for (int d = 0; d < events::kDimCount; ++d) {
    if (!request.scan.group_by[d]) continue;
    if (!first) out += ',';
    first = false;
    AppendJsonString(out, events::DimName(d));
    out += ':';
    AppendJsonString(out, key[d]);
  }
  out += '}';
}

std::string RenderVitalsJson(const VitalsRequest& request, const std::vector<VitalsGroup>& groups) {
  std::string out;
  out.reserve(256 + groups.size() * 200);
  out += R"({"status":"success","data":{"metric":)";
  AppendJsonString(out, events::VitalName(request.scan.vital));
  out += R"(,"percentile":)";
  AppendJsonNumber(out, request.percentile);
  out += R"(,"from":)";
  AppendJsonNumber(out, static_cast<double>(request.scan.from_ms) / 1000.0);
  out += R"(,"to":)";
  AppendJsonNumber(out, static_cast<double>(request.scan.to_ms) / 1000.0);
  out += R"(,"groups":[)";
  for (size_t i = 0; i < groups.size(); ++i) {
    const VitalsGroup& g = groups[i];
    if (i) out += ',';
    AppendVitalsLabels(out, request, g.key);
    out += R"(,"count":)";
    AppendJsonInt(out, static_cast<long long>(g.count));
    const std::pair<const char*, double> fields[] = {
        {"value", g.value}, {"p50", g.p50}, {"p75", g.p75}, {"p95", g.p95},
        {"good", g.good},   {"needs_improvement", g.needs_improvement}, {"poor", g.poor}};
    for (const auto& [name, v] : fields) {
      out += ",\"";
      out += name;
      out += "\":";
      AppendJsonNumber(out, v);
    }
    out += '}';
  }
  out += "]}}";
  return out;
}

void RegisterVitalsHandler(http::Router& router, const events::EventStore* store) {
  auto handler = [store](const http::Request& req, http::Response& res) {
    auto request = ParseVitalsRequest(req, NowMs());
    if (!request.ok()) {
      http::WriteApiError(res, 400, "bad_data", request.status().message());
      return;
    }
    auto groups = ComputeVitals(*store, *request);
    if (!groups.ok()) {
      http::WriteApiError(res, groups.status().code() == StatusCode::kInvalidArgument ? 400 : 503,
                          groups.status().code() == StatusCode::kInvalidArgument ? "bad_data" : "unavailable",
                          groups.status().message());
      return;
    }
    res.status = 200;
    res.content_type = "application/json";
    res.body = RenderVitalsJson(*request, *groups);
  };
  router.Handle("GET", "/api/v1/vitals", handler, {.scope = http::Scope::kRead, .route_class = http::RouteClass::kQuery});
  router.Handle("POST", "/api/v1/vitals", handler, {.scope = http::Scope::kRead, .route_class = http::RouteClass::kQuery});
  RegisterVitalsSeriesHandlers(router, store);
}

}  // namespace perfwatch::analysis
