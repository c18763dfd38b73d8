// libFuzzer target for json_path assertions (synthetic/json_path.h): byte 0 is the path's
// length (clamped to what is left), then the path, then the JSON document. Beyond "no
// crash": a path that parses has a canonical spelling that parses to the same segments and
// finds the same value; a found object or array's text is itself JSON that `$` reads back
// unchanged; a document simdjson refuses is an error for every path, never "not found".
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "synthetic/json_path.h"

using namespace perfwatch::synthetic;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t path_len = data[0] < size - 1 ? data[0] : size - 1;
  std::string_view path_text(reinterpret_cast<const char*>(data + 1), path_len);
  std::string_view doc(reinterpret_cast<const char*>(data + 1 + path_len), size - 1 - path_len);

  auto path = ParseJsonPath(path_text);
  if (!path.ok()) {
    if (path.status().message().empty()) std::abort();
    path = ParseJsonPath("$");
  }
  const std::string canonical = path->ToString();
  auto again = ParseJsonPath(canonical);
  if (!again.ok() || again->segments != path->segments) std::abort();

  auto value = EvalJsonPath(*path, doc);
  auto value2 = EvalJsonPath(*again, doc);
  auto root = EvalJsonPath(JsonPath{}, doc);
  if (value.ok() != root.ok() || value2.ok() != value.ok()) std::abort();
  if (!value.ok()) return 0;
  if (value->has_value() != value2->has_value()) std::abort();
  if (!value->has_value()) return 0;
  const JsonValue& v = **value;
  if (v.text != (*value2)->text || v.kind != (*value2)->kind) std::abort();
  if (v.kind == JsonValue::Kind::kObject || v.kind == JsonValue::Kind::kArray) {
    auto reread = EvalJsonPath(JsonPath{}, v.text);
    if (!reread.ok() || !reread->has_value() || (*reread)->text != v.text || (*reread)->kind != v.kind) std::abort();
  }
  return 0;
}
