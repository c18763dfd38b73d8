#include "analysis/json_body.h"

#include <cmath>
#include <string>

#include "common/time.h"

namespace perfwatch::analysis {

namespace dom = simdjson::dom;

Result<dom::object> ParseObjectBody(dom::parser& parser, std::string_view body, std::string_view example) {
  simdjson::padded_string padded(body);
  dom::element root;
  if (auto err = parser.parse(padded).get(root); err) {
    return InvalidArgument(std::string("invalid JSON body: ") + simdjson::error_message(err));
  }
  if (!root.is_object()) return InvalidArgument("the body must be a JSON object: " + std::string(example));
  return dom::object(root);
}

Result<double> JsonNumber(dom::element e, std::string_view what) {
  double v;
  if (e.is_double()) {
    v = double(e);
  } else if (e.is_int64()) {
    v = static_cast<double>(int64_t(e));
  } else if (e.is_uint64()) {
    v = static_cast<double>(uint64_t(e));
  } else {
    return InvalidArgument(std::string(what) + " must be a number");
  }
  if (!std::isfinite(v)) return InvalidArgument(std::string(what) + " must be finite");
  return v;
}

Result<int64_t> JsonTimeMs(dom::element e, std::string_view key) {
  const std::string quoted = "\"" + std::string(key) + "\"";
  Result<int64_t> t = InvalidArgument("");
  if (e.is_string()) {
    t = ParseTimeMs(std::string_view(e));
  } else if (e.is_number()) {
    t = ParseTimeMs(simdjson::minify(e));
  } else {
    return InvalidArgument(quoted + " must be unix seconds or an RFC 3339 string");
  }
  if (!t.ok()) return InvalidArgument("invalid " + quoted + ": " + t.status().message());
  if (*t < 0) return InvalidArgument("invalid " + quoted + ": before 1970");
  return t;
}

Result<std::vector<double>> JsonValuesArray(dom::element e, size_t max, std::string_view unit) {
  if (!e.is_array()) return InvalidArgument("\"values\" must be an array of numbers" + std::string(unit));
  dom::array a = e;
  if (a.size() > max) return InvalidArgument("\"values\" has more than " + std::to_string(max) + " points");
  std::vector<double> out;
  out.reserve(a.size());
  for (dom::element x : a) {
    auto v = JsonNumber(x, "values[" + std::to_string(out.size()) + "]");
    if (!v.ok()) return v.status();
    out.push_back(*v);
  }
  return out;
}

}  // namespace perfwatch::analysis
