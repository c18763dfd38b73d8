#include "analysis/deploys_api.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "analysis/json_body.h"
#include "analysis/release_impact.h"
#include "common/json_writer.h"
#include "common/log.h"
#include "common/time.h"
#include "tsdb/tsdb.h"

namespace perfwatch::analysis {
namespace {

namespace dom = simdjson::dom;

void WriteJson(http::Response& res, const std::string& data) {
  res.status = 200;
  res.content_type = "application/json";
  res.body = "{\"status\":\"success\",\"data\":" + data + "}";
}

Result<int64_t> ParseTimeParam(const http::Request& req, std::string_view name, int64_t fallback) {
  auto v = req.Param(name);
  if (!v || v->empty()) return fallback;
  auto t = ParseTimeMs(*v);
  if (!t.ok()) return InvalidArgument("invalid parameter \"" + std::string(name) + "\": " + t.status().message());
  return t;
}

}  // namespace

Result<events::Deploy> ParseDeployRequest(std::string_view body, int64_t now_ms) {
  dom::parser parser;
  auto root = ParseObjectBody(parser, body, "{\"app\": \"shop\", \"version\": \"1.4.2\"}");
  if (!root.ok()) return root.status();
  events::Deploy d;
  d.time_ms = now_ms;
  for (auto [key, value] : *root) {
    std::string* field = key == "app"           ? &d.app
                         : key == "service"     ? &d.service
                         : key == "version"     ? &d.version
                         : key == "commit"      ? &d.commit
                         : key == "environment" ? &d.environment
                                                : nullptr;
    if (field != nullptr) {
      if (value.is_null()) continue;
      if (!value.is_string()) return InvalidArgument("\"" + std::string(key) + "\" must be a string");
      *field = std::string(std::string_view(value));
      if (field->size() > events::DeployStore::kMaxFieldBytes) {
        return InvalidArgument("\"" + std::string(key) + "\" is longer than " +
                               std::to_string(events::DeployStore::kMaxFieldBytes) + " bytes");
      }
      continue;
    }
    if (key == "time") {
      if (value.is_null()) continue;
      auto t = JsonTimeMs(value, "time");
      if (!t.ok()) return t.status();
      d.time_ms = *t;
    }  // other keys are ignored
  }
  if (d.app.empty() && d.service.empty()) return InvalidArgument("\"app\" or \"service\" is required");
  if (!d.app.empty() && !d.service.empty()) return InvalidArgument("\"app\" and \"service\" are exclusive: send one");
  if (d.version.empty()) return InvalidArgument("\"version\" is required");
  return d;
}

std::string RenderDeployJson(const events::Deploy& d) {
  std::string out = "{\"id\":";
  AppendJsonString(out, d.id);
  if (!d.app.empty()) {
    out += ",\"app\":";
    AppendJsonString(out, d.app);
  } else {
    out += ",\"service\":";
    AppendJsonString(out, d.service);
  }
  out += ",\"version\":";
  AppendJsonString(out, d.version);
  out += ",\"commit\":";
  AppendJsonString(out, d.commit);
  out += ",\"environment\":";
  AppendJsonString(out, d.environment);
  out += ",\"time\":\"" + FormatRfc3339Ms(d.time_ms) + "\"}";
  return out;
}

Status WriteDeploySeries(tsdb::Tsdb* tsdb, const events::Deploy& d) {
  if (tsdb == nullptr) return Status::Ok();
  // Sorted by name; empty values are dropped by the head.
  std::vector<tsdb::LabelView> labels = {{tsdb::kMetricNameLabel, kDeployInfoMetric}};
  if (!d.app.empty()) labels.push_back({"app", d.app});
  labels.push_back({"commit", d.commit});
  labels.push_back({"environment", d.environment});
  if (!d.service.empty()) labels.push_back({"service", d.service});
  labels.push_back({"version", d.version});
  const tsdb::Sample sample{d.time_ms, 1};
  const tsdb::SeriesSamples series{std::span<const tsdb::LabelView>(labels), std::span<const tsdb::Sample>(&sample, 1)};
  return tsdb->AppendBatch(std::span<const tsdb::SeriesSamples>(&series, 1));
}

void RegisterDeploysApi(http::Router& router, DeploysApiSources src) {
  router.Handle(
      "POST", "/api/v1/deploys",
      [src](const http::Request& req, http::Response& res) {
        auto d = ParseDeployRequest(req.body, NowMs());
        if (!d.ok()) return http::WriteApiError(res, 400, "bad_data", d.status().message());
        auto stored = src.deploys->Add(std::move(d).value());
        if (!stored.ok()) {
          const bool bad = stored.status().code() == StatusCode::kInvalidArgument;
          return http::WriteApiError(res, bad ? 400 : 503, bad ? "bad_data" : "unavailable", stored.status().message());
        }
        if (Status st = WriteDeploySeries(src.tsdb, *stored); !st.ok()) {
          // The deploy is stored (the source of truth); only its marker series is missing.
          PW_LOG_WARN("deploy info series not written", "id={} error={}", stored->id, LogQuote(st.message()));
        }
        WriteJson(res, RenderDeployJson(*stored));
      },
      {.scope = http::Scope::kIngest, .route_class = http::RouteClass::kIngest});

  router.Handle(
      "GET", "/api/v1/deploys",
      [src](const http::Request& req, http::Response& res) {
        events::DeployFilter f;
        f.app = req.Param("app").value_or("");
        f.service = req.Param("service").value_or("");
        f.environment = req.Param("environment").value_or("");
        auto start = ParseTimeParam(req, "start", INT64_MIN);
        auto end = ParseTimeParam(req, "end", INT64_MAX);
        if (!start.ok()) return http::WriteApiError(res, 400, "bad_data", start.status().message());
        if (!end.ok()) return http::WriteApiError(res, 400, "bad_data", end.status().message());
        if (*start > *end) return http::WriteApiError(res, 400, "bad_data", "end timestamp must not be before start time");
        f.start_ms = *start;
        f.end_ms = *end;
        if (auto limit = req.Param("limit"); limit && !limit->empty()) {
          char* endp = nullptr;
          long long n = std::strtoll(limit->c_str(), &endp, 10);
          if (*endp != '\0' || n < 0) {
            return http::WriteApiError(res, 400, "bad_data", "invalid parameter \"limit\": want a non-negative integer");
          }
          f.limit = static_cast<size_t>(n);
        }
        std::string data = "[";
        for (const events::Deploy& d : src.deploys->List(f)) {
          if (data.size() > 1) data += ',';
          data += RenderDeployJson(d);
        }
        data += ']';
        WriteJson(res, data);
      },
      {.scope = http::Scope::kRead, .route_class = http::RouteClass::kQuery});

  http::RouteOptions detail{.scope = http::Scope::kRead, .route_class = http::RouteClass::kQuery};
  detail.metric_label = "/api/v1/deploys/{id}";
  router.HandlePrefix(
      "GET", "/api/v1/deploys/",
      [src](const http::Request& req, http::Response& res) {
        std::string_view rest = req.path.substr(std::string_view("/api/v1/deploys/").size());
        bool impact = false;
        if (rest.ends_with("/impact")) {
          rest.remove_suffix(std::string_view("/impact").size());
          impact = true;
        }
        if (rest.empty() || rest.find('/') != std::string_view::npos) {
          return http::WriteApiError(res, 404, "not_found", "unknown path " + std::string(req.path));
        }
        auto d = src.deploys->Get(rest);
        if (!d) return http::WriteApiError(res, 404, "not_found", "no deploy with id " + std::string(rest));
        if (!impact) return WriteJson(res, RenderDeployJson(*d));
        ImpactOptions options;
        if (auto w = req.Param("window"); w && !w->empty()) {
          auto ms = ParseDurationMs(*w);
          if (!ms.ok() || *ms <= 0 || *ms > kMaxImpactWindowMs) {
            return http::WriteApiError(res, 400, "bad_data",
                                       "invalid parameter \"window\": want a duration from 1ms to 7d such as 1h");
          }
          options.window_ms = *ms;
        }
        if (auto a = req.Param("alpha"); a && !a->empty()) {
          char* endp = nullptr;
          double v = std::strtod(a->c_str(), &endp);
          if (*endp != '\0' || !(v > 0 && v < 1)) {
            return http::WriteApiError(res, 400, "bad_data", "invalid parameter \"alpha\": want a number in (0, 1)");
          }
          options.alpha = v;
        }
        if (auto m = req.Param("min_samples"); m && !m->empty()) {
          char* endp = nullptr;
          long long v = std::strtoll(m->c_str(), &endp, 10);
          if (*endp != '\0' || v < 1) {
            return http::WriteApiError(res, 400, "bad_data", "invalid parameter \"min_samples\": want a positive integer");
          }
          options.min_samples = static_cast<uint64_t>(v);
        }
        auto report = ComputeReleaseImpact(*d, options, NowMs(), src.events, src.spans, src.errors);
        if (!report.ok()) return http::WriteApiError(res, 503, "unavailable", report.status().message());
        WriteJson(res, RenderImpactJson(*report));
      },
      detail);
}

}  // namespace perfwatch::analysis
