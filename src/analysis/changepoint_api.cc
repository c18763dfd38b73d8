#include "analysis/changepoint_api.h"

#include <simdjson.h>

#include <cmath>
#include <string>

#include "analysis/json_body.h"
#include "common/json_writer.h"

namespace perfwatch::analysis {
namespace {

namespace dom = simdjson::dom;

Result<int> IntOf(dom::element e, std::string_view what) {
  if (!e.is_int64()) return InvalidArgument(std::string(what) + " must be an integer");
  int64_t v = int64_t(e);
  if (v < 0 || v > 1'000'000) return InvalidArgument(std::string(what) + " is out of range");
  return static_cast<int>(v);
}

}  // namespace

Result<ChangepointRequest> ParseChangepointRequest(std::string_view body, const ChangepointOptions& defaults) {
  dom::parser parser;
  auto root = ParseObjectBody(parser, body, "{\"values\": [...]}");
  if (!root.ok()) return root.status();
  ChangepointRequest r;
  r.options = defaults;
  bool have_values = false;
  for (auto [key, value] : *root) {
    if (key == "values") {
      auto v = JsonValuesArray(value, kMaxChangepointPoints);
      if (!v.ok()) return v.status();
      r.values = std::move(v).value();
      have_values = true;
    } else if (key == "timestamps") {
      if (value.is_null()) continue;
      if (!value.is_array()) return InvalidArgument("\"timestamps\" must be an array of numbers or strings");
      for (dom::element e : dom::array(value)) {
        if (e.is_string()) {
          std::string s;
          AppendJsonString(s, std::string_view(e));
          r.timestamps.push_back(std::move(s));
        } else if (e.is_number()) {
          r.timestamps.push_back(simdjson::minify(e));
        } else {
          return InvalidArgument("timestamps[" + std::to_string(r.timestamps.size()) +
                                 "] must be a number or a string");
        }
      }
    } else if (key == "min_segment") {
      auto v = IntOf(value, "\"min_segment\"");
      if (!v.ok()) return v.status();
      r.options.min_segment = *v;
    } else if (key == "window") {
      auto v = IntOf(value, "\"window\"");
      if (!v.ok()) return v.status();
      r.options.window = *v;
    } else if (key == "max_p_value" || key == "p_value") {
      auto v = JsonNumber(value, "\"max_p_value\"");
      if (!v.ok()) return v.status();
      r.options.max_p_value = *v;
    } else if (key == "min_magnitude") {
      auto v = JsonNumber(value, "\"min_magnitude\"");
      if (!v.ok()) return v.status();
      r.options.min_magnitude = *v;
    }  // other keys are ignored, as Prometheus ignores unknown parameters
  }
  if (!have_values) return InvalidArgument("\"values\" is required: {\"values\": [1.0, 1.1, ...]}");
  if (!r.timestamps.empty() && r.timestamps.size() != r.values.size()) {
    return InvalidArgument("\"timestamps\" has " + std::to_string(r.timestamps.size()) + " entries for " +
                           std::to_string(r.values.size()) + " values");
  }
  PW_RETURN_IF_ERROR(ValidateChangepointOptions(r.options));
  return r;
}

std::string RenderChangepointList(const std::vector<Changepoint>& cps, const std::vector<std::string>& timestamps) {
  std::string out = "[";
  for (size_t i = 0; i < cps.size(); ++i) {
    const Changepoint& c = cps[i];
    if (i) out += ',';
    out += "{\"index\":" + std::to_string(c.index) + ",\"time\":";
    out += c.index < timestamps.size() ? timestamps[c.index] : "null";
    out += ",\"before_mean\":";
    AppendJsonNumber(out, c.before_mean);
    out += ",\"after_mean\":";
    AppendJsonNumber(out, c.after_mean);
    out += ",\"change\":";
    if (std::isfinite(c.change)) {
      AppendJsonNumber(out, c.change);
    } else {
      out += "null";  // from a mean of 0: JSON has no infinity
    }
    out += ",\"p_value\":";
    AppendJsonNumber(out, c.p_value);
    out += '}';
  }
  out += ']';
  return out;
}

namespace {

void HandleChangepoints(const http::Request& req, http::Response& res, const ChangepointOptions& defaults) {
  auto request = ParseChangepointRequest(req.body, defaults);
  if (!request.ok()) {
    http::WriteApiError(res, 400, "bad_data", request.status().message());
    return;
  }
  std::string list = RenderChangepointList(DetectChangepoints(request->values, request->options), request->timestamps);
  res.status = 200;
  res.content_type = "application/json";
  res.body = "{\"status\":\"success\",\"data\":{\"changepoints\":" + list + "},\"changepoints\":" + list + "}";
}

}  // namespace

void RegisterChangepointHandler(http::Router& router, const ChangepointDefaults* defaults) {
  router.Handle(
      "POST", "/api/v1/analysis/changepoints",
      [defaults](const http::Request& req, http::Response& res) { HandleChangepoints(req, res, defaults->Get()); },
      {.scope = http::Scope::kRead, .route_class = http::RouteClass::kQuery});
}

void RegisterChangepointHandler(http::Router& router, const ChangepointOptions& defaults) {
  router.Handle(
      "POST", "/api/v1/analysis/changepoints",
      [defaults](const http::Request& req, http::Response& res) { HandleChangepoints(req, res, defaults); },
      {.scope = http::Scope::kRead, .route_class = http::RouteClass::kQuery});
}

}  // namespace perfwatch::analysis
