#pragma once
// A small JSONPath subset for `{json_path: "$.status", equals: "ok"}` assertions
// (docs/synthetic.md "HTTP checks"): `$` (the whole document), `.key`, `['key']` or
// `["key"]` (any key, with \\ \' \" escapes), `[index]` (arrays; negative counts from the
// end: [-1] is the last element), nested in any order: `$.items[0].name`,
// `$['a.b'][2]`. No wildcards, slices, filters or recursive descent.
//
// A found value is returned as its text: strings as they are (unescaped), numbers in their
// shortest round-trip spelling ("200", "1.5"), "true", "false", "null", objects and arrays
// as minified JSON.
// Thread safety: pure functions.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace perfwatch::synthetic {

struct JsonPathSegment {
  bool is_index = false;
  std::string key;    // !is_index
  int64_t index = 0;  // is_index
  bool operator==(const JsonPathSegment&) const = default;
};

struct JsonPath {
  std::vector<JsonPathSegment> segments;  // empty: `$`
  // The canonical spelling: `$`, `.key` for simple keys ([A-Za-z_][A-Za-z0-9_-]*),
  // `['key']` otherwise, `[n]`. Parses back to the same segments.
  std::string ToString() const;
};

// Parses a path; the error says what is wrong and where, e.g.
// `json_path "$.a[": expected an index or a quoted key at offset 4`.
Result<JsonPath> ParseJsonPath(std::string_view path);

struct JsonValue {
  enum class Kind { kString, kNumber, kBool, kNull, kObject, kArray };
  Kind kind = Kind::kNull;
  std::string text;
};

// The value at `path` in `document`, nullopt when the path leads nowhere (missing key,
// index out of range, a key looked up in a non-object). InvalidArgument when the document
// is not JSON ("body is not JSON: ...").
Result<std::optional<JsonValue>> EvalJsonPath(const JsonPath& path, std::string_view document);

}  // namespace perfwatch::synthetic
