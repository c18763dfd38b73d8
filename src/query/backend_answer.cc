#include "query/backend_answer.h"

#include <simdjson.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <vector>

namespace perfwatch::query {
namespace {

namespace dom = simdjson::dom;

Status Malformed(std::string_view what) {
  return Unavailable("malformed query answer: " + std::string(what));
}

// A timestamp (Unix seconds, a JSON number) -> ms.
bool ReadTimestamp(dom::element e, int64_t* t_ms) {
  double ts = 0;
  if (e.is_double()) {
    ts = e.get_double().value_unsafe();
  } else if (e.is_int64()) {
    ts = static_cast<double>(e.get_int64().value_unsafe());
  } else if (e.is_uint64()) {
    ts = static_cast<double>(e.get_uint64().value_unsafe());
  } else {
    return false;
  }
  const double ms = std::round(ts * 1000);
  if (!std::isfinite(ms) || std::fabs(ms) > 9.2e18) return false;
  *t_ms = static_cast<int64_t>(ms);
  return true;
}

// [ts, "value"] -> (ms, value).
bool ReadPoint(dom::element e, int64_t* t_ms, double* v) {
  dom::array a;
  if (e.get_array().get(a) != simdjson::SUCCESS || a.size() != 2) return false;
  if (!ReadTimestamp(a.at(0).value_unsafe(), t_ms)) return false;
  std::string_view s;
  if (a.at(1).get_string().get(s) != simdjson::SUCCESS) return false;
  return ParsePromValue(s, v);
}

bool ReadMetric(dom::element e, tsdb::Labels* out) {
  dom::object o;
  if (e.get_object().get(o) != simdjson::SUCCESS) return false;
  std::vector<tsdb::LabelView> views;
  for (auto field : o) {
    std::string_view v;
    if (field.value.get_string().get(v) != simdjson::SUCCESS) return false;
    views.push_back({field.key, v});
  }
  *out = tsdb::Labels::FromViews(views);
  for (size_t i = 1; i < out->size(); ++i) {
    if ((*out)[i - 1].name == (*out)[i].name) return false;  // a name given twice
  }
  return true;
}

}  // namespace

bool ParsePromValue(std::string_view text, double* out) {
  if (text == "+Inf" || text == "Inf" || text == "+inf" || text == "inf") {
    *out = std::numeric_limits<double>::infinity();
    return true;
  }
  if (text == "-Inf" || text == "-inf") {
    *out = -std::numeric_limits<double>::infinity();
    return true;
  }
  if (text == "NaN" || text == "nan") {
    *out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (text.empty() || text.size() > 64) return false;
  // strtod needs a terminated string; digits, sign, '.', 'e' only (no hex, no spaces).
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'))
      return false;
  }
  std::string copy(text);
  char* end = nullptr;
  const double v = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size()) return false;
  *out = v;
  return true;
}

namespace {

// The answer's object after its status was checked: success, or the error answer's error.
Result<dom::object> SuccessObject(dom::parser& parser, const simdjson::padded_string& padded) {
  dom::element root;
  if (auto err = parser.parse(padded).get(root); err != simdjson::SUCCESS) {
    return Malformed(simdjson::error_message(err));
  }
  dom::object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS) return Malformed("not a JSON object");
  std::string_view status;
  if (obj["status"].get_string().get(status) != simdjson::SUCCESS)
    return Malformed("no \"status\"");
  if (status == "error") {
    std::string_view type = "unknown", error;
    if (obj["errorType"].get_string().get(type) != simdjson::SUCCESS) type = "unknown";
    if (obj["error"].get_string().get(error) != simdjson::SUCCESS) error = "";
    std::string msg = std::string(type) + ": " + std::string(error);
    if (type == "bad_data") return InvalidArgument(std::move(msg));
    return Unavailable(std::move(msg));
  }
  if (status != "success") return Malformed("status is neither \"success\" nor \"error\"");
  return obj;
}

}  // namespace

Result<std::vector<std::string>> ParseStringListAnswer(std::string_view body) {
  dom::parser parser;
  simdjson::padded_string padded(body);
  PW_ASSIGN_OR_RETURN(dom::object obj, SuccessObject(parser, padded));
  dom::array data;
  if (obj["data"].get_array().get(data) != simdjson::SUCCESS)
    return Malformed("\"data\" is not a list");
  std::vector<std::string> out;
  out.reserve(data.size());
  for (dom::element e : data) {
    std::string_view s;
    if (e.get_string().get(s) != simdjson::SUCCESS) return Malformed("\"data\" holds a non-string");
    out.emplace_back(s);
  }
  return out;
}

Result<promql::Value> ParseQueryAnswer(std::string_view body) {
  dom::parser parser;
  simdjson::padded_string padded(body);
  PW_ASSIGN_OR_RETURN(dom::object obj, SuccessObject(parser, padded));
  dom::object data;
  if (obj["data"].get_object().get(data) != simdjson::SUCCESS)
    return Malformed("no \"data\" object");
  std::string_view type;
  if (data["resultType"].get_string().get(type) != simdjson::SUCCESS)
    return Malformed("no \"resultType\"");
  dom::element result;
  if (data["result"].get(result) != simdjson::SUCCESS) return Malformed("no \"result\"");

  if (type == "scalar") {
    promql::Scalar s;
    if (!ReadPoint(result, &s.t, &s.v)) return Malformed("bad scalar result");
    return promql::Value(s);
  }
  if (type == "string") {
    dom::array a;
    std::string_view text;
    promql::String s;
    if (result.get_array().get(a) != simdjson::SUCCESS || a.size() != 2 ||
        a.at(1).get_string().get(text) != simdjson::SUCCESS ||
        !ReadTimestamp(a.at(0).value_unsafe(), &s.t)) {
      return Malformed("bad string result");
    }
    s.v = std::string(text);
    return promql::Value(std::move(s));
  }
  dom::array items;
  if (result.get_array().get(items) != simdjson::SUCCESS)
    return Malformed("\"result\" is not a list");
  if (type == "vector") {
    promql::Vector vec;
    vec.reserve(items.size());
    for (dom::element item : items) {
      promql::Sample s;
      dom::element metric, value;
      if (item["metric"].get(metric) != simdjson::SUCCESS || !ReadMetric(metric, &s.metric) ||
          item["value"].get(value) != simdjson::SUCCESS || !ReadPoint(value, &s.t, &s.v)) {
        return Malformed("bad vector sample");
      }
      vec.push_back(std::move(s));
    }
    return promql::Value(std::move(vec));
  }
  if (type == "matrix") {
    promql::Matrix m;
    m.reserve(items.size());
    for (dom::element item : items) {
      promql::Series series;
      dom::element metric;
      dom::array values;
      if (item["metric"].get(metric) != simdjson::SUCCESS || !ReadMetric(metric, &series.metric)) {
        return Malformed("bad matrix series");
      }
      // Native histograms ("histograms") are not read; a series without "values" is empty.
      if (item["values"].get_array().get(values) == simdjson::SUCCESS) {
        for (dom::element p : values) {
          promql::Point pt;
          if (!ReadPoint(p, &pt.t, &pt.v)) return Malformed("bad matrix point");
          series.points.push_back(pt);
        }
      }
      m.push_back(std::move(series));
    }
    return promql::Value(std::move(m));
  }
  return Malformed("unknown resultType \"" + std::string(type) + "\"");
}

}  // namespace perfwatch::query
