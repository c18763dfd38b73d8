#include "common/config_reload.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <utility>

namespace perfwatch {
namespace {

// Whole top-level sections a reload never changes.
// (log_level, external_url, reports, and global, rules, query, rum and analysis but the
// keys below are reloaded: ServerApp::ReloadLocked.)
// (tsdb and events are reloaded: limits and policies of the stores data_dir opened.)
// (http and otlp too, but the keys below: limits, timeouts, caps and retention.)
constexpr const char* kRestartSections[] = {"listen", "data_dir"};

// Keys inside a section that is otherwise reloaded.
constexpr std::pair<const char*, const char*> kRestartKeys[] = {
    // rules: the size of the evaluation thread pool (the rest of `rules:` is reloaded).
    {"rules", "eval_threads"},
    {"auth", "disabled"},
    // http: the listening socket, the worker pool, TLS (its certificate files are re-read,
    // their paths are not) and the dashboard directory; otlp: its listening socket.
    {"http", "listen"},
    {"http", "threads"},
    {"http", "tls"},
    {"http", "web_dir"},
    {"otlp", "listen"},
    // query: the backend the PromQL API and the rules read from (docs/scale-out.md).
    {"query", "backend"},
    // events: the ClickHouse backend (src/clickhouse/) is wired at start.
    {"events", "backend"},
    {"events", "clickhouse"},
};

std::string Text(const YAML::Node& n) {
  if (!n || n.IsNull()) return "";
  YAML::Emitter out;
  out << n;
  return out.c_str();
}

// map[key], or an undefined node (never an invalid one, which throws when asked its type).
YAML::Node Child(const YAML::Node& map, const char* key) {
  if (!map || !map.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  const YAML::Node child = map[key];
  if (!child) return YAML::Node(YAML::NodeType::Undefined);
  return child;
}

Result<YAML::Node> LoadRoot(const std::string& text, const char* what) {
  try {
    YAML::Node root = text.empty() ? YAML::Node() : YAML::Load(text);
    if (!root || root.IsNull()) return YAML::Node(YAML::NodeType::Map);
    if (!root.IsMap())
      return InvalidArgument(std::string(what) + ": the configuration is not a mapping");
    return root;
  } catch (const YAML::Exception& e) {
    return InvalidArgument(std::string(what) + ": " + e.what());
  }
}

}  // namespace

Result<ReloadPlan> PlanReload(const std::string& running_yaml, const std::string& fresh_yaml) {
  PW_ASSIGN_OR_RETURN(YAML::Node running, LoadRoot(running_yaml, "running configuration"));
  PW_ASSIGN_OR_RETURN(YAML::Node fresh, LoadRoot(fresh_yaml, "configuration file"));
  ReloadPlan plan;
  YAML::Node applied = YAML::Clone(fresh);
  for (const char* key : kRestartSections) {
    const YAML::Node before = Child(running, key);
    const YAML::Node after = Child(fresh, key);
    if (Text(before) == Text(after)) continue;
    plan.restart_needed.push_back(key);
    if (before) {
      applied[key] = YAML::Clone(before);
    } else {
      applied.remove(key);
    }
  }
  for (const auto& [section, key] : kRestartKeys) {
    const YAML::Node before = Child(Child(running, section), key);
    const YAML::Node after = Child(Child(fresh, section), key);
    if (Text(before) == Text(after)) continue;
    plan.restart_needed.push_back(std::string(section) + "." + key);
    // Indexed afresh each time: assigning one YAML::Node variable to another rebinds the
    // node it refers to, not the variable.
    if (before) {
      if (!Child(applied, section)) applied[section] = YAML::Node(YAML::NodeType::Map);
      if (!applied[section].IsMap()) applied[section] = YAML::Node(YAML::NodeType::Map);
      applied[section][key] = YAML::Clone(before);
    } else if (Child(applied, section)) {
      applied[section].remove(key);
      if (applied[section].size() == 0 && !Child(running, section)) applied.remove(section);
    }
  }
  std::sort(plan.restart_needed.begin(), plan.restart_needed.end());
  YAML::Emitter out;
  out << applied;
  plan.applied_yaml = out.c_str();
  if (!plan.applied_yaml.empty() && plan.applied_yaml.back() != '\n') plan.applied_yaml += '\n';
  return plan;
}

}  // namespace perfwatch
