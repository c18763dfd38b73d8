#include "synthetic/json_path.h"

#include <simdjson.h>

#include <charconv>
#include <cstdio>
#include <limits>

namespace perfwatch::synthetic {
namespace {

bool SimpleKeyChar(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         (!first && ((c >= '0' && c <= '9') || c == '-'));
}

bool IsSimpleKey(std::string_view key) {
  if (key.empty()) return false;
  for (size_t i = 0; i < key.size(); ++i) {
    if (!SimpleKeyChar(key[i], i == 0)) return false;
  }
  return true;
}

Status PathError(std::string_view path, std::string_view what, size_t offset) {
  std::string shown(path.substr(0, 200));
  return InvalidArgument("json_path \"" + shown + "\": " + std::string(what) + " at offset " + std::to_string(offset));
}

std::string NumberText(double d) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), d);
  return std::string(buf, r.ptr);
}

JsonValue ToValue(simdjson::dom::element e) {
  JsonValue v;
  switch (e.type()) {
    case simdjson::dom::element_type::STRING:
      v.kind = JsonValue::Kind::kString;
      v.text = std::string(e.get_string().value_unsafe());
      break;
    case simdjson::dom::element_type::INT64:
      v.kind = JsonValue::Kind::kNumber;
      v.text = std::to_string(e.get_int64().value_unsafe());
      break;
    case simdjson::dom::element_type::UINT64:
      v.kind = JsonValue::Kind::kNumber;
      v.text = std::to_string(e.get_uint64().value_unsafe());
      break;
    case simdjson::dom::element_type::DOUBLE:
      v.kind = JsonValue::Kind::kNumber;
      v.text = NumberText(e.get_double().value_unsafe());
      break;
    case simdjson::dom::element_type::BOOL:
      v.kind = JsonValue::Kind::kBool;
      v.text = e.get_bool().value_unsafe() ? "true" : "false";
      break;
    case simdjson::dom::element_type::NULL_VALUE:
      v.kind = JsonValue::Kind::kNull;
      v.text = "null";
      break;
    case simdjson::dom::element_type::OBJECT:
      v.kind = JsonValue::Kind::kObject;
      v.text = simdjson::minify(e);
      break;
    case simdjson::dom::element_type::ARRAY:
      v.kind = JsonValue::Kind::kArray;
      v.text = simdjson::minify(e);
      break;
  }
  return v;
}

}  // namespace

std::string JsonPath::ToString() const {
  std::string out = "$";
  for (const JsonPathSegment& s : segments) {
    if (s.is_index) {
      out += "[" + std::to_string(s.index) + "]";
    } else if (IsSimpleKey(s.key)) {
      out += "." + s.key;
    } else {
      out += "['";
      for (char c : s.key) {
        if (c == '\'' || c == '\\') out += '\\';
        out += c;
      }
      out += "']";
    }
  }
  return out;
}

Result<JsonPath> ParseJsonPath(std::string_view path) {
  JsonPath out;
  if (path.empty() || path[0] != '$') return PathError(path, "must start with $", 0);
  size_t i = 1;
  while (i < path.size()) {
    const char c = path[i];
    if (c == '.') {
      size_t start = ++i;
      while (i < path.size() && path[i] != '.' && path[i] != '[') ++i;
      if (i == start) return PathError(path, "expected a key after '.'", start);
      JsonPathSegment seg;
      seg.key = std::string(path.substr(start, i - start));
      out.segments.push_back(std::move(seg));
    } else if (c == '[') {
      ++i;
      if (i < path.size() && (path[i] == '\'' || path[i] == '"')) {
        const char quote = path[i++];
        JsonPathSegment seg;
        bool closed = false;
        while (i < path.size()) {
          char k = path[i++];
          if (k == quote) {
            closed = true;
            break;
          }
          if (k == '\\') {
            if (i >= path.size()) break;
            k = path[i++];
          }
          seg.key += k;
        }
        if (!closed) return PathError(path, "unterminated quoted key", i);
        if (i >= path.size() || path[i] != ']') return PathError(path, "expected ']'", i);
        ++i;
        out.segments.push_back(std::move(seg));
      } else {
        size_t start = i;
        if (i < path.size() && path[i] == '-') ++i;
        size_t digits = i;
        while (i < path.size() && path[i] >= '0' && path[i] <= '9') ++i;
        if (i == digits) return PathError(path, "expected an index or a quoted key", start);
        JsonPathSegment seg;
        seg.is_index = true;
        auto r = std::from_chars(path.data() + start, path.data() + i, seg.index);
        if (r.ec != std::errc()) return PathError(path, "index out of range", start);
        if (i >= path.size() || path[i] != ']') return PathError(path, "expected ']'", i);
        ++i;
        out.segments.push_back(std::move(seg));
      }
    } else {
      return PathError(path, std::string("unexpected '") + c + "'", i);
    }
  }
  return out;
}

Result<std::optional<JsonValue>> EvalJsonPath(const JsonPath& path, std::string_view document) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(document);
  simdjson::dom::element e;
  if (auto err = parser.parse(padded).get(e)) {
    return InvalidArgument(std::string("body is not JSON: ") + simdjson::error_message(err));
  }
  for (const JsonPathSegment& s : path.segments) {
    if (s.is_index) {
      simdjson::dom::array arr;
      if (e.get_array().get(arr)) return std::optional<JsonValue>();
      const int64_t n = static_cast<int64_t>(arr.size());
      int64_t idx = s.index < 0 ? n + s.index : s.index;
      if (idx < 0 || idx >= n) return std::optional<JsonValue>();
      if (arr.at(static_cast<size_t>(idx)).get(e)) return std::optional<JsonValue>();
    } else {
      simdjson::dom::object obj;
      if (e.get_object().get(obj)) return std::optional<JsonValue>();
      if (obj.at_key(s.key).get(e)) return std::optional<JsonValue>();
    }
  }
  return std::optional<JsonValue>(ToValue(e));
}

}  // namespace perfwatch::synthetic
