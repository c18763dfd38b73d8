// The POST /api/v2/alerts body parser, the API's defaults and Alertmanager's alert
// validation (declared in am_api.h). Kept apart from the handlers so the fuzzer links
// only this and the text helpers.
#include <simdjson.h>

#include <cctype>

#include "alert/am_api.h"
#include "alert/am_format.h"
#include "common/time.h"

namespace perfwatch::alert {
namespace {

namespace dom = simdjson::dom;

std::string GoJsonTypeName(const dom::element& e) {
  switch (e.type()) {
    case dom::element_type::ARRAY:
      return "array";
    case dom::element_type::OBJECT:
      return "object";
    case dom::element_type::STRING:
      return "string";
    case dom::element_type::BOOL:
      return "bool";
    case dom::element_type::NULL_VALUE:
      return "null";
    default:
      return "number";
  }
}

bool KeyIs(std::string_view key, std::string_view lower_name) {
  if (key.size() != lower_name.size()) return false;
  for (size_t i = 0; i < key.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(key[i])) != lower_name[i]) return false;
  }
  return true;
}

std::string ParseFailure(std::string_view because) {
  return OpenApiErrorJson(400,
                          "parsing alerts body from \"\" failed, because " + std::string(because));
}

// A map[string]string field; null leaves it unset. Returns an error message or "".
std::string ParseStringMap(const dom::element& e, std::string_view field, LabelSet* out,
                           bool* present) {
  if (e.is_null()) return "";
  if (!e.is_object()) {
    return "json: cannot unmarshal " + GoJsonTypeName(e) + " into Go struct field PostableAlert." +
           std::string(field) + " of type models.LabelSet";
  }
  *present = true;
  out->clear();
  for (auto [key, value] : dom::object(e)) {
    if (!value.is_string()) {
      return "json: cannot unmarshal " + GoJsonTypeName(value) +
             " into Go struct field PostableAlert." + std::string(field) + " of type string";
    }
    out->emplace_back(std::string(key), std::string(std::string_view(value)));
  }
  NormalizeLabelSet(*out);  // sorted; the last of repeated names wins
  return "";
}

std::string ParseDateTime(const dom::element& e, int64_t* ms) {
  if (e.is_null()) return "";
  if (!e.is_string())
    return "json: cannot unmarshal " + GoJsonTypeName(e) + " into Go value of type string";
  std::string_view s = e;
  if (s.empty()) return "";
  // strfmt.DateTime: RFC 3339 with any fraction (a plain number is not a date-time).
  bool looks_like_date = s.size() >= 10 && s[4] == '-' && s[7] == '-';
  auto parsed =
      looks_like_date ? ParseTimeMs(s) : Result<int64_t>(InvalidArgument("not a date-time"));
  if (!parsed.ok())
    return "parsing time " + GoQuote(s) + " as \"2006-01-02T15:04:05.000Z07:00\": cannot parse";
  *ms = *parsed;
  return "";
}

bool ValidLabelName(std::string_view n) {
  if (n.empty()) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool ValidUtf8(std::string_view s) { return simdjson::validate_utf8(s.data(), s.size()); }

std::string ValidateLabelSet(const LabelSet& ls) {
  for (const auto& [n, v] : ls) {
    if (!ValidLabelName(n)) return "invalid name " + GoQuote(n);
    if (!ValidUtf8(v)) return "invalid value " + GoQuote(v);
  }
  return "";
}

}  // namespace

std::string OpenApiErrorJson(int code, std::string_view message) {
  std::string out = "{\"code\":" + std::to_string(code) + ",\"message\":";
  AppendGoJsonString(out, message);
  out += "}";
  return out;
}

PostableAlertsParse ParsePostableAlerts(std::string_view body) {
  PostableAlertsParse res;
  size_t first = body.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    res.error_status = 422;
    res.error_body = OpenApiErrorJson(602, "alerts in body is required");
    return res;
  }
  dom::parser parser;
  simdjson::padded_string padded(body);
  dom::element root;
  if (auto err = parser.parse(padded).get(root); err) {
    res.error_status = 400;
    res.error_body = ParseFailure(simdjson::error_message(err));
    return res;
  }
  if (root.is_null()) return res;  // Go decodes null into an empty list
  if (!root.is_array()) {
    res.error_status = 400;
    res.error_body = ParseFailure("json: cannot unmarshal " + GoJsonTypeName(root) +
                                  " into Go value of type models.PostableAlerts");
    return res;
  }
  std::vector<size_t> missing_labels;  // array indexes
  size_t index = 0;
  for (dom::element item : dom::array(root)) {
    const size_t i = index++;
    if (item.is_null()) continue;  // a null entry is skipped by validation
    if (!item.is_object()) {
      res.alerts.clear();
      res.error_status = 400;
      res.error_body = ParseFailure("json: cannot unmarshal " + GoJsonTypeName(item) +
                                    " into Go value of type models.PostableAlert");
      return res;
    }
    Alert a;
    bool labels_present = false, annotations_present = false;
    std::string err;
    for (auto [key, value] : dom::object(item)) {
      if (KeyIs(key, "labels")) {
        labels_present = false;
        err = ParseStringMap(value, "labels", &a.labels, &labels_present);
      } else if (KeyIs(key, "annotations")) {
        err = ParseStringMap(value, "annotations", &a.annotations, &annotations_present);
      } else if (KeyIs(key, "startsat")) {
        a.starts_at_ms = 0;
        err = ParseDateTime(value, &a.starts_at_ms);
      } else if (KeyIs(key, "endsat")) {
        a.ends_at_ms = 0;
        err = ParseDateTime(value, &a.ends_at_ms);
      } else if (KeyIs(key, "generatorurl")) {
        if (value.is_string()) {
          a.generator_url = std::string(std::string_view(value));
        } else if (!value.is_null()) {
          err = "json: cannot unmarshal " + GoJsonTypeName(value) + " into Go value of type string";
        }
      }
      if (!err.empty()) {
        res.error_status = 400;
        res.error_body = ParseFailure(err);
        res.alerts.clear();
        return res;
      }
    }
    if (!labels_present) missing_labels.push_back(i);
    res.alerts.push_back(std::move(a));
  }
  if (!missing_labels.empty()) {
    res.alerts.clear();
    res.error_status = 422;
    res.error_body =
        OpenApiErrorJson(602, std::to_string(missing_labels[0]) + ".labels in body is required");
  }
  return res;
}

void ApplyPostDefaults(Alert& a, int64_t now_ms, int64_t resolve_timeout_ms) {
  a.updated_at_ms = now_ms;
  if (a.starts_at_ms == 0) a.starts_at_ms = a.ends_at_ms == 0 ? now_ms : a.ends_at_ms;
  if (a.ends_at_ms == 0) {
    a.timeout = true;
    a.ends_at_ms = now_ms + resolve_timeout_ms;
  }
  std::erase_if(a.labels, [](const auto& kv) { return kv.second.empty(); });
}

std::string ValidateAlert(const Alert& a) {
  if (a.starts_at_ms == 0) return "start time missing";
  if (a.ends_at_ms != 0 && a.ends_at_ms < a.starts_at_ms)
    return "start time must be before end time";
  if (std::string e = ValidateLabelSet(a.labels); !e.empty()) return "invalid label set: " + e;
  if (a.labels.empty()) return "at least one label pair required";
  if (std::string e = ValidateLabelSet(a.annotations); !e.empty())
    return "invalid annotations: " + e;
  return "";
}

}  // namespace perfwatch::alert
