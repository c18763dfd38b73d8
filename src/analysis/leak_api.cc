#include "analysis/leak_api.h"

#include <simdjson.h>

#include <cmath>
#include <string>

#include "analysis/json_body.h"
#include "common/json_writer.h"
#include "common/time.h"

namespace perfwatch::analysis {
namespace {

namespace dom = simdjson::dom;

Result<int64_t> TimeOf(dom::element e, const std::string& what) {
  if (e.is_string()) {
    auto t = ParseTimeMs(std::string_view(e));
    if (!t.ok()) return InvalidArgument(what + ": " + t.status().message());
    return *t;
  }
  auto v = JsonNumber(e, what);
  if (!v.ok()) return InvalidArgument(what + " must be unix seconds or an RFC 3339 string");
  if (std::abs(*v) > 1e14) return InvalidArgument(what + " is out of range");
  return static_cast<int64_t>(std::llround(*v * 1000));
}

Result<int64_t> DurationOf(dom::element e, const std::string& what) {
  if (e.is_string()) {
    auto d = ParseDurationMs(std::string_view(e));
    if (!d.ok()) return InvalidArgument(what + ": " + d.status().message());
    return *d;
  }
  auto v = JsonNumber(e, what);
  if (!v.ok()) return InvalidArgument(what + " must be a duration (\"5m\") or seconds");
  if (*v < 0 || *v > 1e9) return InvalidArgument(what + " is out of range");
  return static_cast<int64_t>(std::llround(*v * 1000));
}

}  // namespace

Result<LeakRequest> ParseLeakRequest(std::string_view body) {
  dom::parser parser;
  auto root = ParseObjectBody(parser, body, "{\"timestamps\": [...], \"values\": [...]}");
  if (!root.ok()) return root.status();
  LeakRequest r;
  bool have_values = false, have_timestamps = false;
  for (auto [key, value] : *root) {
    if (key == "values") {
      auto v = JsonValuesArray(value, kMaxLeakPoints, " (bytes)");
      if (!v.ok()) return v.status();
      r.values = std::move(v).value();
      have_values = true;
    } else if (key == "timestamps") {
      if (!value.is_array()) return InvalidArgument("\"timestamps\" must be an array of unix seconds");
      dom::array a = value;
      if (a.size() > kMaxLeakPoints) {
        return InvalidArgument("\"timestamps\" has more than " + std::to_string(kMaxLeakPoints) + " points");
      }
      r.t_ms.reserve(a.size());
      for (dom::element e : a) {
        const std::string what = "timestamps[" + std::to_string(r.t_ms.size()) + "]";
        auto t = TimeOf(e, what);
        if (!t.ok()) return t.status();
        if (!r.t_ms.empty() && *t <= r.t_ms.back()) {
          return InvalidArgument(what + " is not after the previous timestamp (they must ascend)");
        }
        r.t_ms.push_back(*t);
      }
      have_timestamps = true;
    } else if (key == "threshold" || key == "threshold_ratio_per_min") {
      auto v = JsonNumber(value, "\"threshold\"");
      if (!v.ok()) return v.status();
      r.options.threshold_ratio_per_min = *v;
    } else if (key == "max_p_value" || key == "p_value") {
      auto v = JsonNumber(value, "\"max_p_value\"");
      if (!v.ok()) return v.status();
      r.options.max_p_value = *v;
    } else if (key == "window") {
      auto v = DurationOf(value, "\"window\"");
      if (!v.ok()) return v.status();
      r.options.window_ms = *v;
    } else if (key == "long_window") {
      auto v = DurationOf(value, "\"long_window\"");
      if (!v.ok()) return v.status();
      r.options.long_window_ms = *v;
    }  // other keys are ignored, as Prometheus ignores unknown parameters
  }
  if (!have_values) return InvalidArgument("\"values\" is required: {\"timestamps\": [...], \"values\": [bytes]}");
  if (!have_timestamps) {
    return InvalidArgument("\"timestamps\" is required (unix seconds, one per value): growth is per minute");
  }
  if (r.t_ms.size() != r.values.size()) {
    return InvalidArgument("\"timestamps\" has " + std::to_string(r.t_ms.size()) + " entries for " +
                           std::to_string(r.values.size()) + " values");
  }
  if (Status st = ValidateLeakOptions(r.options); !st.ok()) {
    std::string m(st.message());
    if (m.rfind("threshold_ratio_per_min", 0) == 0) m = "\"threshold\"" + m.substr(23);
    return InvalidArgument(m);
  }
  return r;
}

std::string RenderLeakFields(const LeakResult& r) {
  std::string out = "\"leaking\":";
  out += r.leaking ? "true" : "false";
  out += ",\"growth_bytes_per_min\":";
  AppendJsonNumber(out, r.growth_bytes_per_min);
  out += ",\"growth_ratio_per_min\":";
  AppendJsonNumber(out, r.growth_ratio_per_min);
  out += ",\"severity\":\"";
  out += LeakSeverityName(r.severity);
  out += "\",\"since\":";
  if (r.since_ms) {
    AppendJsonString(out, FormatRfc3339Ms(*r.since_ms));
  } else {
    out += "null";
  }
  out += ",\"p_value\":";
  AppendJsonNumber(out, r.p_value);
  out += ",\"samples\":" + std::to_string(r.samples) + ",\"minima\":" + std::to_string(r.minima);
  return out;
}

void RegisterLeakHandler(http::Router& router) {
  router.Handle(
      "POST", "/api/v1/analysis/leak",
      [](const http::Request& req, http::Response& res) {
        auto request = ParseLeakRequest(req.body);
        if (!request.ok()) {
          http::WriteApiError(res, 400, "bad_data", request.status().message());
          return;
        }
        const std::string fields = RenderLeakFields(DetectLeak(request->t_ms, request->values, request->options));
        res.status = 200;
        res.content_type = "application/json";
        res.body = "{\"status\":\"success\",\"data\":{" + fields + "}," + fields + "}";
      },
      {.scope = http::Scope::kRead, .route_class = http::RouteClass::kQuery});
}

}  // namespace perfwatch::analysis
