// Rule files: a strict decoder over yaml-cpp's node tree that reports what Prometheus'
// yaml.v3 decoder (KnownFields) reports, then rulefmt's semantic validation.
#include "alert/rule_file.h"

#include <glob.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <sstream>
#include <string>
#include <unordered_set>
#include <utility>

#include "alert/am_format.h"
#include "alert/template.h"
#include "common/label_validation.h"
#include "query/promql_parser.h"

namespace perfwatch::alert {
namespace {

// Go types as yaml.v3 names them in Prometheus 2.42's rulefmt.
constexpr std::string_view kGroupsType = "rulefmt.RuleGroups";
constexpr std::string_view kGroupListType = "[]rulefmt.RuleGroup";
constexpr std::string_view kGroupType = "rulefmt.RuleGroup";
constexpr std::string_view kRuleListType = "[]rulefmt.RuleNode";
constexpr std::string_view kRuleType = "rulefmt.RuleNode";
constexpr std::string_view kStringMapType = "map[string]string";

// 1-based; line 0 means unknown.
struct Pos {
  int line = 0;
  int col = 0;
};

Pos PosOf(const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  if (m.is_null() || m.line < 0) return {};
  return {m.line + 1, m.column + 1};
}

struct Problem {
  Pos pos;
  std::string msg;
};

// A scalar as yaml.v3 sees it for "cannot unmarshal" messages: its resolved tag and,
// for scalars, the value (cut as yaml.v3 cuts it).
std::string DescribeNode(const YAML::Node& n) {
  if (n.IsSequence()) return "!!seq";
  if (n.IsMap()) return "!!map";
  if (n.IsNull()) return "!!null";
  const std::string& v = n.Scalar();
  std::string tag = "!!str";
  if (n.Tag() == "?") {
    static const std::unordered_set<std::string> kBools = {"true",  "True",  "TRUE",
                                                           "false", "False", "FALSE"};
    if (kBools.count(v)) {
      tag = "!!bool";
    } else if (!v.empty()) {
      char* end = nullptr;
      errno = 0;
      std::strtod(v.c_str(), &end);
      if (end && *end == '\0' &&
          (v[0] == '-' || v[0] == '+' || v[0] == '.' || (v[0] >= '0' && v[0] <= '9'))) {
        bool integral = v.find_first_of(".eE") == std::string::npos || v.rfind("0x", 0) == 0;
        tag = integral ? "!!int" : "!!float";
      }
    }
  }
  std::string shown = v.size() > 10 ? v.substr(0, 7) + "..." : v;
  return tag + " `" + shown + "`";
}

struct ParsedRule {
  RuleSpec spec;
  YAML::Node node, record_node, alert_node, expr_node;
  std::vector<std::pair<YAML::Node, YAML::Node>> label_nodes, annotation_nodes;
};

struct ParsedGroup {
  RuleGroupSpec spec;
  YAML::Node node;
  std::vector<ParsedRule> rules;
};

class AliasBudgetExceeded : public std::exception {};

// Decodes the node tree into groups, recording every decoding problem the way yaml.v3
// records type errors (and continuing, so all of them are reported).
class Decoder {
 public:
  explicit Decoder(size_t content_size) : budget_(content_size * 16 + 65536) {}

  std::vector<ParsedGroup> DecodeFile(const YAML::Node& root) {
    std::vector<ParsedGroup> groups;
    if (!Charge(root)) return groups;
    if (root.IsNull() || !root.IsDefined()) return groups;
    if (!root.IsMap()) {
      TypeError(root, kGroupsType);
      return groups;
    }
    ForEachField(root, kGroupsType, [&](const std::string& key, const YAML::Node& value) {
      if (key != "groups") return false;
      if (value.IsNull()) return true;
      if (!value.IsSequence()) {
        TypeError(value, kGroupListType);
        return true;
      }
      for (const YAML::Node& g : value) {
        if (!Charge(g)) break;
        groups.push_back(DecodeGroup(g));
      }
      return true;
    });
    return groups;
  }

  std::vector<Problem>& problems() { return problems_; }

 private:
  // Counts the work a node costs, so that aliases can't make a small file expensive
  // (yaml.v3's "excessive aliasing" check has the same aim).
  bool Charge(const YAML::Node& n) {
    size_t cost = 1 + (n.IsScalar() ? n.Scalar().size() : 0);
    if (cost > budget_) throw AliasBudgetExceeded();
    budget_ -= cost;
    return true;
  }

  void TypeError(const YAML::Node& n, std::string_view into) {
    problems_.push_back(
        {PosOf(n), "cannot unmarshal " + DescribeNode(n) + " into " + std::string(into)});
  }

  // Calls `fn(key, value)` for each entry of a struct mapping; `fn` returns false for an
  // unknown field. Repeated fields are reported as yaml.v3 reports them.
  template <typename Fn>
  void ForEachField(const YAML::Node& map, std::string_view type, Fn&& fn) {
    std::unordered_set<std::string> seen;
    for (const auto& kv : map) {
      Charge(kv.first);
      Charge(kv.second);
      std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
      if (!kv.first.IsScalar() && !kv.first.IsNull()) {
        TypeError(kv.first, "string");
        continue;
      }
      if (seen.count(key)) {
        // Only known fields are tracked by yaml.v3; unknown ones are reported below anyway.
        problems_.push_back(
            {PosOf(kv.first), "field " + key + " already set in type " + std::string(type)});
        continue;
      }
      if (!fn(key, kv.second)) {
        problems_.push_back(
            {PosOf(kv.first), "field " + key + " not found in type " + std::string(type)});
        continue;
      }
      seen.insert(key);
    }
  }

  bool DecodeString(const YAML::Node& n, std::string& out) {
    if (n.IsNull()) {
      out.clear();
      return true;
    }
    if (!n.IsScalar()) {
      TypeError(n, "string");
      return false;
    }
    out = n.Scalar();
    return true;
  }

  void DecodeDuration(const YAML::Node& n, int64_t& out_ms) {
    if (n.IsNull()) return;
    std::string text;
    if (!DecodeString(n, text)) return;
    Result<int64_t> d = ParsePromDuration(text);
    if (!d.ok()) {
      problems_.push_back({PosOf(n), d.status().message()});
      return;
    }
    out_ms = *d;
  }

  void DecodeInt(const YAML::Node& n, int64_t& out) {
    if (n.IsNull()) return;
    if (!n.IsScalar() || n.Tag() != "?") {
      TypeError(n, "int");
      return;
    }
    const std::string& v = n.Scalar();
    errno = 0;
    char* end = nullptr;
    long long i = std::strtoll(v.c_str(), &end, 0);
    if (!v.empty() && end && *end == '\0' && errno == 0) {
      out = i;
      return;
    }
    errno = 0;
    double d = std::strtod(v.c_str(), &end);
    if (!v.empty() && end && *end == '\0' && errno == 0 && d >= -9.2e18 && d <= 9.2e18 &&
        v.find_first_of("xXnN") == std::string::npos) {
      out = static_cast<int64_t>(d);  // yaml.v3 truncates a float into an int field
      return;
    }
    TypeError(n, "int");
  }

  void DecodeStringMap(const YAML::Node& n, std::vector<std::pair<std::string, std::string>>& out,
                       std::vector<std::pair<YAML::Node, YAML::Node>>& nodes) {
    if (n.IsNull()) return;
    if (!n.IsMap()) {
      TypeError(n, kStringMapType);
      return;
    }
    std::vector<std::pair<std::string, Pos>> keys;
    for (const auto& kv : n) {
      Charge(kv.first);
      Charge(kv.second);
      std::string key, value;
      bool ok = DecodeString(kv.first, key);
      ok = DecodeString(kv.second, value) && ok;
      if (!ok) continue;
      Pos kp = PosOf(kv.first);
      auto dup =
          std::find_if(keys.begin(), keys.end(), [&](const auto& k) { return k.first == key; });
      if (dup != keys.end()) {
        problems_.push_back({kp, "mapping key " + GoQuote(key) + " already defined at line " +
                                     std::to_string(dup->second.line)});
        continue;
      }
      keys.emplace_back(key, kp);
      out.emplace_back(std::move(key), std::move(value));
      nodes.emplace_back(kv.first, kv.second);
    }
  }

  ParsedGroup DecodeGroup(const YAML::Node& n) {
    ParsedGroup g;
    g.node = n;
    g.spec.line = PosOf(n).line;
    if (n.IsNull()) return g;
    if (!n.IsMap()) {
      TypeError(n, kGroupType);
      return g;
    }
    ForEachField(n, kGroupType, [&](const std::string& key, const YAML::Node& v) {
      if (key == "name") {
        DecodeString(v, g.spec.name);
      } else if (key == "interval") {
        DecodeDuration(v, g.spec.interval_ms);
      } else if (key == "query_offset") {
        if (!v.IsNull()) {
          int64_t ms = 0;
          size_t before = problems_.size();
          DecodeDuration(v, ms);
          if (problems_.size() == before) g.spec.query_offset_ms = ms;
        }
      } else if (key == "limit") {
        DecodeInt(v, g.spec.limit);
      } else if (key == "rules") {
        if (v.IsNull()) return true;
        if (!v.IsSequence()) {
          TypeError(v, kRuleListType);
          return true;
        }
        for (const YAML::Node& r : v) {
          Charge(r);
          g.rules.push_back(DecodeRule(r));
        }
      } else {
        return false;
      }
      return true;
    });
    return g;
  }

  ParsedRule DecodeRule(const YAML::Node& n) {
    ParsedRule r;
    r.node = n;
    r.spec.line = PosOf(n).line;
    if (n.IsNull()) return r;
    if (!n.IsMap()) {
      TypeError(n, kRuleType);
      return r;
    }
    ForEachField(n, kRuleType, [&](const std::string& key, const YAML::Node& v) {
      if (key == "record") {
        r.record_node = v;
        DecodeString(v, r.spec.record);
      } else if (key == "alert") {
        r.alert_node = v;
        DecodeString(v, r.spec.alert);
      } else if (key == "expr") {
        r.expr_node = v;
        DecodeString(v, r.spec.expr);
      } else if (key == "for") {
        DecodeDuration(v, r.spec.for_ms);
      } else if (key == "keep_firing_for") {
        DecodeDuration(v, r.spec.keep_firing_for_ms);
      } else if (key == "labels") {
        DecodeStringMap(v, r.spec.labels, r.label_nodes);
      } else if (key == "annotations") {
        DecodeStringMap(v, r.spec.annotations, r.annotation_nodes);
      } else {
        return false;
      }
      return true;
    });
    return r;
  }

  size_t budget_;
  std::vector<Problem> problems_;
};

// The first known position among `nodes`, else `fallback`'s.
Pos FirstPos(std::initializer_list<const YAML::Node*> nodes, const YAML::Node& fallback) {
  for (const YAML::Node* n : nodes) {
    if (n->IsDefined() && n->Mark().line >= 0 && !n->Mark().is_null()) return PosOf(*n);
  }
  return PosOf(fallback);
}

// rulefmt's RuleNode.Validate plus testTemplateParsing, in the same order.
void ValidateRule(const ParsedRule& r, std::vector<Problem>& out) {
  const RuleSpec& s = r.spec;
  auto add = [&](Pos p, std::string msg) { out.push_back({p, std::move(msg)}); };
  if (!s.record.empty() && !s.alert.empty()) {
    add(FirstPos({&r.record_node}, r.node), "only one of 'record' and 'alert' must be set");
  }
  if (s.record.empty() && s.alert.empty()) {
    add(FirstPos({&r.record_node, &r.alert_node}, r.node),
        "one of 'record' or 'alert' must be set");
  }
  if (s.expr.empty()) {
    add(FirstPos({&r.expr_node}, r.node), "field 'expr' must be set in rule");
  } else if (auto e = query::promql::ParseExpr(s.expr); !e.ok()) {
    add(FirstPos({&r.expr_node}, r.node), "could not parse expression: " + e.status().message());
  }
  if (!s.record.empty()) {
    Pos rp = FirstPos({&r.record_node}, r.node);
    if (!s.annotations.empty()) add(rp, "invalid field 'annotations' in recording rule");
    if (s.for_ms != 0) add(rp, "invalid field 'for' in recording rule");
    if (s.keep_firing_for_ms != 0) add(rp, "invalid field 'keep_firing_for' in recording rule");
    if (!IsValidMetricName(s.record)) add(rp, "invalid recording rule name: " + s.record);
  }
  for (size_t i = 0; i < s.labels.size(); ++i) {
    const auto& [k, v] = s.labels[i];
    if (!IsValidLabelName(k) || k == "__name__") {
      add(PosOf(r.label_nodes[i].first), "invalid label name: " + k);
    }
    if (!IsValidUtf8(v)) add(PosOf(r.label_nodes[i].second), "invalid label value: " + v);
  }
  for (size_t i = 0; i < s.annotations.size(); ++i) {
    const std::string& k = s.annotations[i].first;
    if (!IsValidLabelName(k)) {
      add(PosOf(r.annotation_nodes[i].first), "invalid annotation name: " + k);
    }
  }
  if (s.alert.empty()) return;  // templates are checked on alerting rules only
  const std::string name = "__alert_" + s.alert;
  auto check = [&](std::string_view what, const std::pair<std::string, std::string>& kv,
                   const YAML::Node& value_node) {
    Result<Template> t =
        Template::Parse(name, kv.second);  // Parse adds Prometheus' variable definitions
    if (!t.ok()) {
      add(PosOf(value_node),
          std::string(what) + " " + GoQuote(kv.first) + ": " + t.status().message());
    }
  };
  for (size_t i = 0; i < s.labels.size(); ++i) check("label", s.labels[i], r.label_nodes[i].second);
  for (size_t i = 0; i < s.annotations.size(); ++i) {
    check("annotation", s.annotations[i], r.annotation_nodes[i].second);
  }
}

std::string FormatProblem(const std::string& file, const Problem& p) {
  std::string line = file + ":";
  if (p.pos.line > 0) line += std::to_string(p.pos.line) + ":" + std::to_string(p.pos.col) + ":";
  line += " ";
  for (char c : p.msg) line += (c == '\n' || c == '\r') ? ' ' : c;  // one problem per line
  return line;
}

Status ProblemsToStatus(const std::string& file, const std::vector<Problem>& problems) {
  std::string msg;
  for (const Problem& p : problems) {
    if (!msg.empty()) msg += '\n';
    msg += FormatProblem(file, p);
  }
  return InvalidArgument(std::move(msg));
}

Result<std::vector<RuleGroupSpec>> ParseRuleFileOrThrow(std::string_view content,
                                                        const std::string& filename) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(content));
  } catch (const YAML::DeepRecursion& e) {
    Problem p;
    if (!e.mark.is_null() && e.mark.line >= 0) p.pos = {e.mark.line + 1, e.mark.column + 1};
    p.msg = "yaml: document nested too deeply";
    return ProblemsToStatus(filename, {p});
  } catch (const YAML::Exception& e) {
    Problem p;
    if (!e.mark.is_null() && e.mark.line >= 0) p.pos = {e.mark.line + 1, e.mark.column + 1};
    p.msg = "yaml: " + e.msg;
    return ProblemsToStatus(filename, {p});
  }
  Decoder decoder(content.size());
  std::vector<ParsedGroup> groups;
  try {
    groups = decoder.DecodeFile(root);
  } catch (const AliasBudgetExceeded&) {
    return ProblemsToStatus(filename, {{{}, "yaml: document contains excessive aliasing"}});
  }
  // As in Prometheus, a file that does not decode is not validated further.
  if (!decoder.problems().empty()) return ProblemsToStatus(filename, decoder.problems());

  std::vector<Problem> problems;
  std::unordered_set<std::string> names;
  for (const ParsedGroup& g : groups) {
    Pos gp = PosOf(g.node);
    if (g.spec.name.empty()) problems.push_back({gp, "Groupname must not be empty"});
    if (!names.insert(g.spec.name).second) {
      problems.push_back({gp, "groupname: \"" + g.spec.name + "\" is repeated in the same file"});
    }
    for (size_t i = 0; i < g.rules.size(); ++i) {
      const ParsedRule& r = g.rules[i];
      std::vector<Problem> rule_problems;
      ValidateRule(r, rule_problems);
      const std::string& rule_name = r.spec.alert.empty() ? r.spec.record : r.spec.alert;
      for (Problem& p : rule_problems) {
        p.msg = "group " + GoQuote(g.spec.name) + ", rule " + std::to_string(i + 1) + ", " +
                GoQuote(rule_name) + ": " + p.msg;
        problems.push_back(std::move(p));
      }
    }
  }
  if (!problems.empty()) return ProblemsToStatus(filename, problems);

  std::vector<RuleGroupSpec> out;
  out.reserve(groups.size());
  for (ParsedGroup& g : groups) {
    g.spec.file = filename;
    for (ParsedRule& r : g.rules) g.spec.rules.push_back(std::move(r.spec));
    out.push_back(std::move(g.spec));
  }
  return out;
}

// Go's filepath.Match syntax check: a '[' must be closed, a '\' must escape something.
bool IsWellFormedPattern(std::string_view p) {
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '\\') {
      if (++i >= p.size()) return false;
    } else if (p[i] == '[') {
      size_t j = i + 1;
      if (j < p.size() && p[j] == '^') ++j;
      if (j < p.size() && p[j] == ']') return false;  // empty class: Go's ErrBadPattern
      bool closed = false;
      for (; j < p.size(); ++j) {
        if (p[j] == '\\') {
          ++j;
        } else if (p[j] == ']') {
          closed = true;
          break;
        }
      }
      if (!closed) return false;
      i = j;
    } else if (p[i] == ']') {
      return false;
    }
  }
  return true;
}

// Prometheus' config check for rule_files entries: at most one '*', in the last element.
bool IsValidRulePath(std::string_view p) {
  size_t star = p.find('*');
  if (star == std::string_view::npos) return true;
  return p.find('/', star) == std::string_view::npos;
}

}  // namespace

Result<int64_t> ParsePromDuration(std::string_view text) {
  if (text == "0") return int64_t{0};
  if (text.empty()) return InvalidArgument("empty duration string");
  static constexpr struct {
    std::string_view unit;
    int64_t ms;
  } kUnits[] = {{"y", 365LL * 24 * 3600 * 1000},
                {"w", 7LL * 24 * 3600 * 1000},
                {"d", 24LL * 3600 * 1000},
                {"h", 3600LL * 1000},
                {"m", 60LL * 1000},
                {"s", 1000},
                {"ms", 1}};
  const Status invalid = InvalidArgument("not a valid duration string: " + GoQuote(text));
  // Go's time.Duration is int64 nanoseconds; Prometheus refuses anything larger.
  constexpr int64_t kMaxMs = INT64_MAX / 1'000'000;
  size_t next_unit = 0, i = 0;
  int64_t total = 0;
  bool overflow = false;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    if (i == start) return invalid;
    std::string_view digits = text.substr(start, i - start);
    size_t u = next_unit;
    for (; u < std::size(kUnits); ++u) {
      std::string_view unit = kUnits[u].unit;
      if (text.substr(i, unit.size()) != unit) continue;
      // "m" must not take the "m" of "ms".
      if (unit == "m" && text.substr(i, 2) == "ms") continue;
      break;
    }
    if (u == std::size(kUnits)) return invalid;
    i += kUnits[u].unit.size();
    next_unit = u + 1;
    int64_t n = 0;
    for (char c : digits) {
      if (n > (INT64_MAX - 9) / 10) {
        overflow = true;
        break;
      }
      n = n * 10 + (c - '0');
    }
    if (overflow || n > kMaxMs / kUnits[u].ms) {
      overflow = true;
      continue;
    }
    total += n * kUnits[u].ms;
    if (total > kMaxMs) overflow = true;
  }
  if (overflow) return InvalidArgument("duration out of range");
  return total;
}

Result<std::vector<RuleGroupSpec>> ParseRuleFile(std::string_view content,
                                                 const std::string& filename) {
  try {
    return ParseRuleFileOrThrow(content, filename);
  } catch (const std::exception& e) {
    return InvalidArgument(filename + ": " + e.what());
  } catch (...) {
    return Internal(filename + ": unexpected error while parsing rules");
  }
}

Result<std::vector<RuleGroupSpec>> LoadRuleFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError(path + ": open", errno);
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return IoError(path + ": read", errno);
  return ParseRuleFile(buf.str(), path);
}

Result<std::vector<std::string>> ExpandRuleFileGlobs(const std::vector<std::string>& patterns,
                                                     const std::string& base_dir) {
  std::vector<std::string> files;
  for (const std::string& pattern : patterns) {
    if (!IsValidRulePath(pattern)) {
      return InvalidArgument("invalid rule file path " + GoQuote(pattern));
    }
    if (!IsWellFormedPattern(pattern)) {
      return InvalidArgument("error retrieving rule files for " + pattern +
                             ": syntax error in pattern");
    }
    std::string full = pattern;
    if (!full.empty() && full[0] != '/' && !base_dir.empty()) {
      full = base_dir + (base_dir.back() == '/' ? "" : "/") + full;
    }
    glob_t g{};
    int rc = glob(full.c_str(), 0, nullptr, &g);
    if (rc == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) files.emplace_back(g.gl_pathv[i]);
    }
    globfree(&g);
    if (rc == GLOB_NOSPACE) return ResourceExhausted("glob " + full + ": out of memory");
    if (rc != 0 && rc != GLOB_NOMATCH) return IoError("glob " + full, EIO);
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  return files;
}

Result<std::vector<RuleGroupSpec>> LoadRuleFiles(const std::vector<std::string>& paths) {
  std::vector<RuleGroupSpec> specs;
  std::string errors;
  for (const std::string& path : paths) {
    auto groups = LoadRuleFile(path);
    if (!groups.ok()) {
      if (!errors.empty()) errors += "\n";
      errors += groups.status().message();
      continue;
    }
    for (RuleGroupSpec& g : groups.value()) specs.push_back(std::move(g));
  }
  if (!errors.empty()) return InvalidArgument(errors);
  return specs;
}

}  // namespace perfwatch::alert
