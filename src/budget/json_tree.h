#pragma once
// A small JSON (RFC 8259) reader that keeps where every value starts (line and column,
// both 1-based), for files people write by hand where an error must point at the line:
// the budget file (budget/budget_file.h). Strict: no comments, no trailing commas, UTF-8
// checked, nesting limited to 64 levels, duplicate object keys rejected. Errors read
// "line L, column C: what was wrong". Large machine-written documents (Lighthouse
// reports) use simdjson instead.
//
// Thread safety: ParseJsonTree is a pure function; a JsonNode is a plain value.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace perfwatch::budget {

struct JsonMember;

struct JsonNode {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  int line = 1, column = 1;
  bool boolean = false;
  double number = 0;
  std::string string;                                  // kString
  std::vector<JsonNode> items;                         // kArray
  std::vector<JsonMember> members;                     // kObject, in file order

  // The member named `key`, or nullptr.
  const JsonNode* Find(std::string_view key) const;
  bool is_object() const { return type == Type::kObject; }
  bool is_array() const { return type == Type::kArray; }
  bool is_number() const { return type == Type::kNumber; }
  bool is_string() const { return type == Type::kString; }
  std::string Where() const;  // "line L, column C"
};

struct JsonMember {
  std::string key;
  JsonNode value;
  int line = 1, column = 1;  // where the key starts
};

// The JSON type as people say it ("an object", "a number", ...).
std::string_view JsonTypeName(JsonNode::Type type);

Result<JsonNode> ParseJsonTree(std::string_view text);

}  // namespace perfwatch::budget
