#pragma once
// Errors for YAML sections read outside config.cc (`synthetic:`, `remote_write:`) that name
// the key path and its line: "remote_write[0].queue_config.capcity (line 7): unknown key".
// Thread safety: pure functions.
#include <yaml-cpp/yaml.h>

#include <set>
#include <string>

#include "common/status.h"

namespace perfwatch::yaml_where {

// "where (line N)" (yaml-cpp's marks are 0-based; a node without a mark: just `where`).
inline std::string At(const YAML::Node& node, const std::string& where) {
  const YAML::Mark m = node.Mark();
  if (m.line < 0) return where;
  return where + " (line " + std::to_string(m.line + 1) + ")";
}

// InvalidArgument "where (line N): what".
inline Status Bad(const YAML::Node& node, const std::string& where, const std::string& what) {
  return InvalidArgument(At(node, where) + ": " + what);
}

// `node` must be a mapping whose keys are all in `known`; an unknown key is named with
// its own line ("where.key (line N): unknown key").
inline Status Keys(const YAML::Node& node, const std::string& where, const std::set<std::string>& known) {
  if (!node.IsMap()) return Bad(node, where, "expected a mapping");
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (!known.count(key)) return Bad(kv.first, where + "." + key, "unknown key");
  }
  return Status::Ok();
}

// The optional string `parent[key]` into `out` (left as it is when absent); not a scalar:
// "where.key (line N): expected a string".
inline Status Str(const YAML::Node& parent, const char* key, const std::string& where, std::string* out) {
  const YAML::Node node = parent[key];
  if (!node) return Status::Ok();
  if (!node.IsScalar()) return Bad(node, where + "." + key, "expected a string");
  *out = node.as<std::string>();
  return Status::Ok();
}

}  // namespace perfwatch::yaml_where
