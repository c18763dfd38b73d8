#include "alert/rule_forms.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>

#include "alert/rules.h"
#include "common/label_validation.h"
#include "query/promql_parser.h"
#include "tsdb/matcher.h"

namespace perfwatch::alert {
namespace {

namespace promql = query::promql;

// ------------------------------------------------------------------ YAML reading

Status Err(const YAML::Mark& mark, const std::string& path, std::string_view msg) {
  std::string prefix = mark.line < 0 ? "" : "line " + std::to_string(mark.line + 1) + ": ";
  return InvalidArgument(prefix + path + ": " + std::string(msg));
}
Status Err(const YAML::Node& n, const std::string& path, std::string_view msg) { return Err(n.Mark(), path, msg); }

Status CheckKeys(const YAML::Node& n, const std::string& path, std::initializer_list<std::string_view> known) {
  if (!n.IsMap()) return Err(n, path, "expected a mapping");
  for (const auto& kv : n) {
    if (!kv.first.IsScalar()) return Err(kv.first, path, "keys must be strings");
    const std::string& key = kv.first.Scalar();
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return Err(kv.first, path, "unknown key \"" + key + "\"");
    }
  }
  return Status::Ok();
}

bool Has(const YAML::Node& map, const char* key) {
  YAML::Node v = map[key];
  return v.IsDefined() && !v.IsNull();
}

Status ReadString(const YAML::Node& map, const char* key, const std::string& path, std::string* out) {
  YAML::Node v = map[key];
  if (!v.IsDefined() || v.IsNull()) return Status::Ok();
  if (!v.IsScalar()) return Err(v, path + "." + key, "expected a string");
  *out = v.Scalar();
  return Status::Ok();
}

Status ReadNumber(const YAML::Node& v, const std::string& path, double* out) {
  if (!v.IsScalar()) return Err(v, path, "expected a number");
  const std::string& s = v.Scalar();
  const char* begin = s.c_str();
  char* end = nullptr;
  double d = std::strtod(begin, &end);
  if (s.empty() || end != begin + s.size() || !std::isfinite(d)) {
    return Err(v, path, "expected a finite number, got \"" + s + "\"");
  }
  *out = d;
  return Status::Ok();
}

Status ReadBool(const YAML::Node& v, const std::string& path, bool* out) {
  if (v.IsScalar()) {
    const std::string& s = v.Scalar();
    if (s == "true" || s == "True" || s == "TRUE" || s == "yes" || s == "on") return *out = true, Status::Ok();
    if (s == "false" || s == "False" || s == "FALSE" || s == "no" || s == "off") return *out = false, Status::Ok();
  }
  return Err(v, path, "expected true or false");
}

Status ReadDuration(const YAML::Node& map, const char* key, const std::string& path, int64_t* ms) {
  YAML::Node v = map[key];
  if (!v.IsDefined() || v.IsNull()) return Status::Ok();
  if (!v.IsScalar()) return Err(v, path + "." + key, "expected a duration");
  auto d = ParsePromDuration(v.Scalar());
  if (!d.ok()) return Err(v, path + "." + key, d.status().message());
  *ms = *d;
  return Status::Ok();
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

Status ReadStringMap(const YAML::Node& map, const char* key, const std::string& path, Pairs* out) {
  YAML::Node v = map[key];
  if (!v.IsDefined() || v.IsNull()) return Status::Ok();
  const std::string where = path + "." + key;
  if (!v.IsMap()) return Err(v, where, "expected a mapping of names to strings");
  std::set<std::string> seen;
  for (const auto& kv : v) {
    if (!kv.first.IsScalar() || !(kv.second.IsScalar() || kv.second.IsNull())) {
      return Err(kv.first, where, "expected a mapping of names to strings");
    }
    const std::string& name = kv.first.Scalar();
    if (!seen.insert(name).second) return Err(kv.first, where, "repeated name \"" + name + "\"");
    out->emplace_back(name, kv.second.IsNull() ? std::string() : kv.second.Scalar());
  }
  return Status::Ok();
}

// ------------------------------------------------------------------ PromQL text

std::string Ignoring(const std::vector<std::string>& names) {
  std::string out = "ignoring(";
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out + ")";
}

std::string RegexEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::string_view("\\.+*?()|[]{}^$").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

// "%.12g" then the shortest form: 1 - 0.999 prints "0.001", not "0.0010000000000000009".
double Round12(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.12g", v);
  return std::strtod(buf, nullptr);
}

// ------------------------------------------------------------------ severity levels

struct Level {
  std::string severity;
  double threshold = 0;
  double resolve = 0;
  bool has_threshold = false;
  std::optional<int64_t> for_ms;  // the level's own `for` (else the entry's)
};

enum class Op { kGt, kGe, kLt, kLe };
std::string_view OpText(Op op) {
  switch (op) {
    case Op::kGt: return ">";
    case Op::kGe: return ">=";
    case Op::kLt: return "<";
    case Op::kLe: return "<=";
  }
  return ">";
}
bool Upward(Op op) { return op == Op::kGt || op == Op::kGe; }

// `levels:` or `threshold`/`resolve_threshold`/`severity`. With `optional_threshold`, a level
// may leave its threshold out (the caller fills it in); without levels or threshold, one
// level of severity "warning" with no threshold.
Status ReadLevels(const YAML::Node& entry, const std::string& path, bool optional_threshold, std::vector<Level>* out) {
  auto read_one = [&](const YAML::Node& n, const std::string& where, Level* lv) -> Status {
    if (Has(n, "threshold")) {
      PW_RETURN_IF_ERROR(ReadNumber(n["threshold"], where + ".threshold", &lv->threshold));
      lv->has_threshold = true;
    }
    lv->resolve = lv->threshold;
    if (Has(n, "resolve_threshold")) {
      if (!lv->has_threshold) return Err(n, where, "resolve_threshold needs threshold");
      PW_RETURN_IF_ERROR(ReadNumber(n["resolve_threshold"], where + ".resolve_threshold", &lv->resolve));
    }
    return Status::Ok();
  };
  const bool has_levels = Has(entry, "levels");
  if (has_levels && (Has(entry, "threshold") || Has(entry, "resolve_threshold") || Has(entry, "severity"))) {
    return Err(entry, path, "use either levels or threshold/resolve_threshold/severity, not both");
  }
  if (has_levels) {
    YAML::Node levels = entry["levels"];
    if (!levels.IsSequence() || levels.size() == 0) return Err(levels, path + ".levels", "expected a non-empty list");
    std::set<std::string> seen;
    for (size_t i = 0; i < levels.size(); ++i) {
      const std::string where = path + ".levels[" + std::to_string(i) + "]";
      YAML::Node n = levels[i];
      PW_RETURN_IF_ERROR(CheckKeys(n, where, {"severity", "threshold", "resolve_threshold", "for"}));
      Level lv;
      PW_RETURN_IF_ERROR(ReadString(n, "severity", where, &lv.severity));
      if (Has(n, "for")) {
        int64_t ms = 0;
        PW_RETURN_IF_ERROR(ReadDuration(n, "for", where, &ms));
        lv.for_ms = ms;
      }
      if (lv.severity.empty()) return Err(n, where, "severity is required");
      if (!seen.insert(lv.severity).second) return Err(n, where, "severity \"" + lv.severity + "\" appears twice");
      PW_RETURN_IF_ERROR(read_one(n, where, &lv));
      if (!lv.has_threshold && !optional_threshold) return Err(n, where, "threshold is required");
      out->push_back(std::move(lv));
    }
    return Status::Ok();
  }
  Level lv;
  lv.severity = "warning";
  PW_RETURN_IF_ERROR(ReadString(entry, "severity", path, &lv.severity));
  if (lv.severity.empty()) return Err(entry, path, "severity must not be empty");
  PW_RETURN_IF_ERROR(read_one(entry, path, &lv));
  if (!lv.has_threshold && !optional_threshold) return Err(entry, path, "needs threshold or levels");
  out->push_back(std::move(lv));
  return Status::Ok();
}

Status CheckResolve(const YAML::Node& entry, const std::string& path, Op op, const Level& lv) {
  if (Upward(op) && lv.resolve > lv.threshold) {
    return Err(entry, path, "resolve_threshold (" + FormatPromNumber(lv.resolve) + ") must not be above threshold (" +
                                FormatPromNumber(lv.threshold) + ") for op " + std::string(OpText(op)));
  }
  if (!Upward(op) && lv.resolve < lv.threshold) {
    return Err(entry, path, "resolve_threshold (" + FormatPromNumber(lv.resolve) + ") must not be below threshold (" +
                                FormatPromNumber(lv.threshold) + ") for op " + std::string(OpText(op)));
  }
  return Status::Ok();
}

// `e op T`, or with hysteresis (R != T): the alert starts when `e op T` and stays while
// `e op R`, reading the rule's own ALERTS series:
//   (e op R) and ignoring(L) ((e op T) or ignoring(L) ALERTS{alertname="N",alertstate="firing",severity="S"})
// Only a firing alert is held: while pending (`for`) the value must stay beyond T itself,
// as with a plain rule, so short excursions past T never fire.
// L: the labels ALERTS has beyond the alert's own series (alertname, alertstate,
// severity, flapping, and the rule's label names); __name__ is never matched by ignoring.
std::string HysteresisExpr(const std::string& e, Op op, const Level& lv, const std::string& alertname,
                           const Pairs& labels) {
  const std::string o(OpText(op));
  if (lv.resolve == lv.threshold) return e + " " + o + " " + FormatPromNumber(lv.threshold);
  std::set<std::string> names = {"alertname", "alertstate", "flapping", "severity"};
  for (const auto& [n, v] : labels) names.insert(n);
  const std::string ign = Ignoring(std::vector<std::string>(names.begin(), names.end()));
  return "(" + e + " " + o + " " + FormatPromNumber(lv.resolve) + ") and " + ign + " ((" + e + " " + o + " " +
         FormatPromNumber(lv.threshold) + ") or " + ign + " ALERTS{alertname=" + QuotePromString(alertname) +
         ",alertstate=\"firing\",severity=" + QuotePromString(lv.severity) + "})";
}

// ------------------------------------------------------------------ entries

struct Compiler {
  std::set<std::string> alertnames;  // across every form: ALERTS{alertname} must not mix rules

  // name, labels, annotations and for, shared by every form.
  struct Common {
    std::string name;
    Pairs labels;
    Pairs annotations;
    int64_t for_ms = 0;
    int line = 0;
  };

  Status ReadCommon(const YAML::Node& entry, const std::string& path, Common* c) {
    c->line = entry.Mark().line + 1;
    PW_RETURN_IF_ERROR(ReadString(entry, "name", path, &c->name));
    if (c->name.empty()) return Err(entry, path, "name is required");
    if (!IsValidUtf8(c->name)) return Err(entry, path, "name must be valid UTF-8");
    if (!alertnames.insert(c->name).second) {
      return Err(entry, path, "name \"" + c->name + "\" is used by another entry of alerts (or a default rule)");
    }
    PW_RETURN_IF_ERROR(ReadStringMap(entry, "labels", path, &c->labels));
    for (const auto& [n, v] : c->labels) {
      if (!IsValidLabelName(n)) return Err(entry, path + ".labels", "invalid label name \"" + n + "\"");
      if (n == "severity" || n == "alertname" || n == "__name__") {
        return Err(entry, path + ".labels", "label \"" + n + "\" is set by perfwatch (use severity or levels)");
      }
    }
    PW_RETURN_IF_ERROR(ReadStringMap(entry, "annotations", path, &c->annotations));
    for (const auto& [n, v] : c->annotations) {
      if (!IsValidLabelName(n)) return Err(entry, path + ".annotations", "invalid annotation name \"" + n + "\"");
    }
    return ReadDuration(entry, "for", path, &c->for_ms);
  }

  // Builds one alerting rule and checks it as a rule file's would be (expression,
  // templates); an error names the entry.
  Status AddAlert(const YAML::Node& entry, const std::string& path, const Common& c, const std::string& severity,
                  std::string expr, Pairs default_annotations, RuleGroupSpec* group,
                  std::optional<int64_t> for_ms = std::nullopt) {
    RuleSpec r;
    r.alert = c.name;
    r.expr = std::move(expr);
    r.for_ms = for_ms.value_or(c.for_ms);
    r.labels = c.labels;
    r.labels.emplace_back("severity", severity);
    r.annotations = c.annotations.empty() ? std::move(default_annotations) : c.annotations;
    r.line = c.line;
    auto rule = Rule::Create(r);
    if (!rule.ok()) return Err(entry, path, rule.status().message());
    group->rules.push_back(std::move(r));
    return Status::Ok();
  }

  // ---------------------------------------------------------------- threshold

  Status Threshold(const YAML::Node& entry, const std::string& path, RuleGroupSpec* group) {
    PW_RETURN_IF_ERROR(CheckKeys(entry, path, {"name", "metric", "expr", "op", "threshold", "resolve_threshold",
                                               "severity", "levels", "for", "labels", "annotations"}));
    Common c;
    PW_RETURN_IF_ERROR(ReadCommon(entry, path, &c));
    std::string metric, expr_text, op_text = ">";
    PW_RETURN_IF_ERROR(ReadString(entry, "metric", path, &metric));
    PW_RETURN_IF_ERROR(ReadString(entry, "expr", path, &expr_text));
    if (metric.empty() == expr_text.empty()) return Err(entry, path, "needs exactly one of metric or expr");
    PW_RETURN_IF_ERROR(ReadString(entry, "op", path, &op_text));
    Op op;
    if (op_text == ">") {
      op = Op::kGt;
    } else if (op_text == ">=") {
      op = Op::kGe;
    } else if (op_text == "<") {
      op = Op::kLt;
    } else if (op_text == "<=") {
      op = Op::kLe;
    } else {
      return Err(entry, path, "op must be one of >, >=, <, <=");
    }
    std::string e;
    if (!metric.empty()) {
      auto parsed = promql::ParseExpr(metric);
      if (!parsed.ok()) return Err(entry, path + ".metric", parsed.status().message());
      if (!std::holds_alternative<promql::VectorSelector>(parsed.value()->node)) {
        return Err(entry, path + ".metric", "must be a metric selector such as http_errors{job=\"api\"} (use expr for PromQL)");
      }
      e = parsed.value()->ToString();
    } else {
      auto parsed = promql::ParseExpr(expr_text);
      if (!parsed.ok()) return Err(entry, path + ".expr", parsed.status().message());
      if (parsed.value()->type() != promql::ValueType::kVector) {
        return Err(entry, path + ".expr", "must be an instant vector expression");
      }
      e = "(" + parsed.value()->ToString() + ")";
    }
    std::vector<Level> levels;
    PW_RETURN_IF_ERROR(ReadLevels(entry, path, /*optional_threshold=*/false, &levels));
    for (const Level& lv : levels) {
      PW_RETURN_IF_ERROR(CheckResolve(entry, path, op, lv));
      Pairs ann = {{"summary", c.name + " is {{ $value }} (threshold: " + std::string(OpText(op)) + " " +
                                   FormatPromNumber(lv.threshold) + ")"}};
      PW_RETURN_IF_ERROR(AddAlert(entry, path, c, lv.severity, HysteresisExpr(e, op, lv, c.name, c.labels),
                                  std::move(ann), group, lv.for_ms));
    }
    return Status::Ok();
  }

  // ---------------------------------------------------------------- vitals_budget

  struct VitalInfo {
    std::string_view name;
    double good;  // seconds (CLS: unitless); web_vitals.h's thresholds
    double poor;
  };
  static const VitalInfo* FindVital(std::string_view upper) {
    static constexpr VitalInfo kVitals[] = {
        {"LCP", 2.5, 4}, {"INP", 0.2, 0.5}, {"CLS", 0.1, 0.25}, {"FCP", 1.8, 3}, {"TTFB", 0.8, 1.8}};
    for (const VitalInfo& v : kVitals) {
      if (v.name == upper) return &v;
    }
    return nullptr;
  }

  Status VitalsBudget(const YAML::Node& entry, const std::string& path, RuleGroupSpec* group) {
    PW_RETURN_IF_ERROR(CheckKeys(entry, path, {"name", "app", "page", "pages", "page_regex", "metric", "percentile",
                                               "threshold", "resolve_threshold", "severity", "levels", "min_samples",
                                               "for", "labels", "annotations"}));
    Common c;
    PW_RETURN_IF_ERROR(ReadCommon(entry, path, &c));
    std::string app, page, page_regex, metric;
    PW_RETURN_IF_ERROR(ReadString(entry, "app", path, &app));
    if (app.empty()) return Err(entry, path, "app is required");
    PW_RETURN_IF_ERROR(ReadString(entry, "metric", path, &metric));
    std::string upper = metric;
    for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    const VitalInfo* vital = FindVital(upper);
    if (!vital) return Err(entry, path, "metric must be one of LCP, INP, CLS, FCP, TTFB");
    PW_RETURN_IF_ERROR(ReadString(entry, "page", path, &page));
    PW_RETURN_IF_ERROR(ReadString(entry, "page_regex", path, &page_regex));
    std::vector<std::string> pages;
    if (Has(entry, "pages")) {
      YAML::Node list = entry["pages"];
      if (!list.IsSequence() || list.size() == 0) return Err(list, path + ".pages", "expected a non-empty list of pages");
      for (const auto& p : list) {
        if (!p.IsScalar() || p.Scalar().empty()) return Err(p, path + ".pages", "expected a non-empty list of pages");
        pages.push_back(p.Scalar());
      }
    }
    if ((!page.empty()) + (!pages.empty()) + (!page_regex.empty()) > 1) {
      return Err(entry, path, "use at most one of page, pages, page_regex");
    }
    std::string page_matcher = "page=\"\"";  // the app-wide series carry no page label
    if (!page.empty()) page_matcher = "page=" + QuotePromString(page);
    if (!pages.empty()) {
      std::string re;
      for (size_t i = 0; i < pages.size(); ++i) re += (i ? "|" : "") + RegexEscape(pages[i]);
      page_matcher = "page=~" + QuotePromString(re);
    }
    if (!page_regex.empty()) {
      auto m = tsdb::Matcher::Make(tsdb::MatchType::kRegexMatch, "page", page_regex);
      if (!m.ok()) return Err(entry, path + ".page_regex", m.status().message());
      page_matcher = "page=~" + QuotePromString(page_regex);
    }
    double percentile = 75;
    if (Has(entry, "percentile")) {
      PW_RETURN_IF_ERROR(ReadNumber(entry["percentile"], path + ".percentile", &percentile));
      if (percentile != 50 && percentile != 75 && percentile != 95) {
        return Err(entry, path, "percentile must be 50, 75 or 95 (the percentiles rum_vital_percentile records)");
      }
    }
    double min_samples = 100;
    if (Has(entry, "min_samples")) {
      PW_RETURN_IF_ERROR(ReadNumber(entry["min_samples"], path + ".min_samples", &min_samples));
      if (min_samples < 0 || min_samples != std::floor(min_samples)) {
        return Err(entry, path, "min_samples must be a whole number >= 0");
      }
    }
    std::vector<Level> levels;
    PW_RETURN_IF_ERROR(ReadLevels(entry, path, /*optional_threshold=*/true, &levels));
    for (Level& lv : levels) {
      if (!lv.has_threshold) {
        if (Has(entry, "levels") && lv.severity != "warning" && lv.severity != "critical") {
          return Err(entry, path, "level \"" + lv.severity + "\" needs a threshold (only warning and critical have defaults)");
        }
        // warning: beyond "good" (needs improvement); critical and the single-level default: beyond "poor".
        lv.threshold = lv.resolve = (Has(entry, "levels") && lv.severity == "warning") ? vital->good : vital->poor;
      }
      PW_RETURN_IF_ERROR(CheckResolve(entry, path, Op::kGt, lv));
    }
    const std::string app_m = "app=" + QuotePromString(app);
    const std::string metric_m = "metric=" + QuotePromString(vital->name);
    const std::string e = "rum_vital_percentile{" + app_m + "," + page_matcher + "," + metric_m +
                          ",percentile=" + QuotePromString(FormatPromNumber(percentile)) + "}";
    const std::string samples = "rum_vital_samples{" + app_m + "," + page_matcher + "," + metric_m + "}";
    for (const Level& lv : levels) {
      std::string expr = "(" + HysteresisExpr(e, Op::kGt, lv, c.name, c.labels) + ") and on(app, page, metric) (" +
                         samples + " >= " + FormatPromNumber(min_samples) + ")";
      Pairs ann = {{"summary", "p" + FormatPromNumber(percentile) + " " + std::string(vital->name) +
                                   " of {{ $labels.app }} {{ $labels.page }} is {{ $value }} (budget " +
                                   FormatPromNumber(lv.threshold) + ")"}};
      PW_RETURN_IF_ERROR(AddAlert(entry, path, c, lv.severity, std::move(expr), std::move(ann), group, lv.for_ms));
    }
    return Status::Ok();
  }

  // ---------------------------------------------------------------- slo

  // A ratio part: a counter selector (rate() and sum() are applied) or an expression that
  // uses $window where the rate window goes.
  Status RatioPart(const YAML::Node& node, const std::string& path, bool numerator,
                   std::function<std::string(const std::string&)>* out) {
    if (!node.IsScalar() || node.Scalar().empty()) return Err(node, path, "expected a selector or an expression");
    std::string text = node.Scalar();
    if (text.find("$window") != std::string::npos) {
      auto subst = [text](const std::string& w) {
        std::string s = text;
        for (size_t at; (at = s.find("$window")) != std::string::npos;) s.replace(at, 7, w);
        return s;
      };
      auto parsed = promql::ParseExpr(subst("5m"));
      if (!parsed.ok()) return Err(node, path, parsed.status().message());
      if (parsed.value()->type() != promql::ValueType::kVector) return Err(node, path, "must be an instant vector expression");
      *out = [subst](const std::string& w) {
        auto p = promql::ParseExpr(subst(w));
        return "(" + (p.ok() ? p.value()->ToString() : subst(w)) + ")";
      };
      return Status::Ok();
    }
    auto parsed = promql::ParseExpr(text);
    if (!parsed.ok()) return Err(node, path, parsed.status().message());
    if (!std::holds_alternative<promql::VectorSelector>(parsed.value()->node)) {
      return Err(node, path, "must be a counter selector, or an expression using $window (such as sum(rate(x[$window])))");
    }
    std::string sel = parsed.value()->ToString();
    *out = [sel, numerator](const std::string& w) {
      std::string s = "sum(rate(" + sel + "[" + w + "]))";
      return numerator ? "(" + s + " or vector(0))" : s;
    };
    return Status::Ok();
  }

  Status Slo(const YAML::Node& entry, const std::string& path, RuleGroupSpec* group, std::vector<SloDefinition>* slos) {
    PW_RETURN_IF_ERROR(CheckKeys(entry, path, {"name", "objective", "window", "ratio", "latency", "labels", "annotations"}));
    Common c;
    PW_RETURN_IF_ERROR(ReadCommon(entry, path, &c));
    SloDefinition def;
    def.name = c.name;
    if (!Has(entry, "objective")) return Err(entry, path, "objective is required (a percentage such as 99.9)");
    PW_RETURN_IF_ERROR(ReadNumber(entry["objective"], path + ".objective", &def.objective));
    if (!(def.objective > 0 && def.objective < 100)) return Err(entry, path, "objective must be above 0 and below 100");
    def.window = "30d";
    PW_RETURN_IF_ERROR(ReadString(entry, "window", path, &def.window));
    auto window_ms = ParsePromDuration(def.window);
    if (!window_ms.ok()) return Err(entry, path + ".window", window_ms.status().message());
    if (*window_ms <= 0) return Err(entry, path + ".window", "must be positive");
    def.window_ms = *window_ms;

    std::function<std::string(const std::string&)> error_ratio;
    const bool has_ratio = Has(entry, "ratio"), has_latency = Has(entry, "latency");
    if (has_ratio == has_latency) return Err(entry, path, "needs exactly one of ratio or latency");
    if (has_ratio) {
      YAML::Node r = entry["ratio"];
      const std::string where = path + ".ratio";
      PW_RETURN_IF_ERROR(CheckKeys(r, where, {"good", "errors", "total"}));
      if (Has(r, "good") == Has(r, "errors")) return Err(r, where, "needs exactly one of good or errors");
      if (!Has(r, "total")) return Err(r, where, "total is required");
      std::function<std::string(const std::string&)> num, total;
      const bool good = Has(r, "good");
      PW_RETURN_IF_ERROR(RatioPart(r[good ? "good" : "errors"], where + (good ? ".good" : ".errors"), true, &num));
      PW_RETURN_IF_ERROR(RatioPart(r["total"], where + ".total", false, &total));
      if (good) {
        error_ratio = [num, total](const std::string& w) { return "1 - (" + num(w) + " / " + total(w) + ")"; };
      } else {
        error_ratio = [num, total](const std::string& w) { return num(w) + " / " + total(w); };
      }
    } else {
      YAML::Node l = entry["latency"];
      const std::string where = path + ".latency";
      PW_RETURN_IF_ERROR(CheckKeys(l, where, {"histogram", "threshold"}));
      std::string histogram;
      PW_RETURN_IF_ERROR(ReadString(l, "histogram", where, &histogram));
      if (histogram.empty()) return Err(l, where, "histogram is required");
      if (!Has(l, "threshold")) return Err(l, where, "threshold is required (the bucket bound, in the histogram's unit)");
      double threshold;
      PW_RETURN_IF_ERROR(ReadNumber(l["threshold"], where + ".threshold", &threshold));
      auto parsed = promql::ParseExpr(histogram);
      if (!parsed.ok()) return Err(l, where + ".histogram", parsed.status().message());
      auto* sel = std::get_if<promql::VectorSelector>(&parsed.value()->node);
      if (!sel || sel->name.empty() || sel->offset_ms != 0 || sel->at != promql::AtKind::kNone) {
        return Err(l, where + ".histogram", "must be a histogram's name or selector, such as http_request_duration_seconds_bucket{job=\"api\"}");
      }
      std::string base = sel->name;
      if (base.ends_with("_bucket")) base.resize(base.size() - 7);
      std::string matchers;
      for (const tsdb::Matcher& m : sel->matchers) {
        if (m.name() == "__name__" || m.name() == "le") continue;
        matchers += m.ToString() + ",";
      }
      // le as written in the YAML ("0.5", "1.0"): bucket bounds are matched as text.
      const std::string le = "le=" + QuotePromString(l["threshold"].Scalar());
      const std::string bucket = base + "_bucket{" + matchers + le + "}";
      const std::string count = base + "_count" + (matchers.empty() ? "" : "{" + matchers.substr(0, matchers.size() - 1) + "}");
      error_ratio = [bucket, count](const std::string& w) {
        return "1 - ((sum(rate(" + bucket + "[" + w + "])) or vector(0)) / sum(rate(" + count + "[" + w + "])))";
      };
    }

    const std::string slo_label = QuotePromString(def.name);
    auto record = [&](const std::string& name, const std::string& expr) -> Status {
      RuleSpec r;
      r.record = name;
      r.expr = expr;
      r.labels = {{"slo", def.name}};
      r.line = c.line;
      auto rule = Rule::Create(r);
      if (!rule.ok()) return Err(entry, path, rule.status().message());
      group->rules.push_back(std::move(r));
      return Status::Ok();
    };
    static constexpr std::string_view kWindows[] = {"5m", "30m", "1h", "2h", "6h", "1d", "3d"};
    for (std::string_view w : kWindows) {
      PW_RETURN_IF_ERROR(record("slo:sli_error:ratio_rate" + std::string(w), error_ratio(std::string(w))));
    }
    def.window_record = "slo:sli_error:ratio_rate" + def.window;
    if (std::find(std::begin(kWindows), std::end(kWindows), def.window) == std::end(kWindows)) {
      PW_RETURN_IF_ERROR(record(def.window_record, error_ratio(def.window)));
    }
    const double budget = Round12(1 - def.objective / 100);
    PW_RETURN_IF_ERROR(record("slo:error_budget_remaining:ratio",
                              "1 - " + def.window_record + "{slo=" + slo_label + "} / " + FormatPromNumber(budget)));

    auto pair = [&](std::string_view long_w, std::string_view short_w, double factor) {
      const std::string t = FormatPromNumber(Round12(factor * budget));
      return "(slo:sli_error:ratio_rate" + std::string(long_w) + "{slo=" + slo_label + "} > " + t +
             " and slo:sli_error:ratio_rate" + std::string(short_w) + "{slo=" + slo_label + "} > " + t + ")";
    };
    Common alert_common = c;
    alert_common.for_ms = 0;
    PW_RETURN_IF_ERROR(AddAlert(entry, path, alert_common, "critical",
                                pair("1h", "5m", 14.4) + " or " + pair("6h", "30m", 6),
                                {{"summary", "SLO " + def.name + " is burning its error budget fast (14.4x over 1h or 6x over 6h)"}},
                                group));
    PW_RETURN_IF_ERROR(AddAlert(entry, path, alert_common, "warning",
                                pair("1d", "2h", 3) + " or " + pair("3d", "6h", 1),
                                {{"summary", "SLO " + def.name + " is burning its error budget (3x over 1d or 1x over 3d)"}},
                                group));
    slos->push_back(std::move(def));
    return Status::Ok();
  }
};

using EntryFn = std::function<Status(const YAML::Node&, const std::string&)>;

Status ForEachEntry(const YAML::Node& alerts, const char* key, const EntryFn& fn) {
  YAML::Node list = alerts[key];
  if (!list.IsDefined() || list.IsNull()) return Status::Ok();
  if (!list.IsSequence()) return Err(list, std::string("alerts.") + key, "expected a list");
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string path = std::string("alerts.") + key + "[" + std::to_string(i) + "]";
    YAML::Node entry = list[i];
    if (!entry.IsMap()) return Err(entry, path, "expected a mapping");
    PW_RETURN_IF_ERROR(fn(entry, path));
  }
  return Status::Ok();
}

Result<AlertForms> Compile(const YAML::Node& root, const std::string& file) {
  AlertForms forms;
  Compiler compiler;
  const YAML::Node alerts = root.IsMap() ? root["alerts"] : YAML::Node();
  const bool present = alerts.IsDefined() && !alerts.IsNull();
  int64_t interval_ms = 0;
  if (present) {
    PW_RETURN_IF_ERROR(CheckKeys(alerts, "alerts", {"defaults", "interval", "threshold", "vitals_budget", "slo"}));
    if (Has(alerts, "defaults")) PW_RETURN_IF_ERROR(ReadBool(alerts["defaults"], "alerts.defaults", &forms.defaults));
    PW_RETURN_IF_ERROR(ReadDuration(alerts, "interval", "alerts", &interval_ms));
  }
  std::vector<RuleSpec> defaults;
  if (forms.defaults) {
    defaults = DefaultAlertRules();
    for (const RuleSpec& r : defaults) {
      if (r.is_alerting()) compiler.alertnames.insert(r.alert);
    }
  }
  auto group = [&](std::string_view name) {
    RuleGroupSpec g;
    g.file = file + "#alerts";
    g.name = std::string(name);
    g.interval_ms = interval_ms;
    return g;
  };
  RuleGroupSpec threshold = group(kThresholdGroup), vitals = group(kVitalsBudgetGroup), slo = group(kSloGroup);
  if (present) {
    PW_RETURN_IF_ERROR(ForEachEntry(alerts, "threshold", [&](const YAML::Node& e, const std::string& p) {
      return compiler.Threshold(e, p, &threshold);
    }));
    PW_RETURN_IF_ERROR(ForEachEntry(alerts, "vitals_budget", [&](const YAML::Node& e, const std::string& p) {
      return compiler.VitalsBudget(e, p, &vitals);
    }));
    PW_RETURN_IF_ERROR(ForEachEntry(alerts, "slo", [&](const YAML::Node& e, const std::string& p) {
      return compiler.Slo(e, p, &slo, &forms.slos);
    }));
  }
  for (RuleGroupSpec* g : {&threshold, &vitals, &slo}) {
    if (!g->rules.empty()) forms.groups.push_back(std::move(*g));
  }
  if (!defaults.empty()) {
    RuleGroupSpec d = group(kDefaultsGroup);
    d.rules = std::move(defaults);
    forms.groups.push_back(std::move(d));
  }
  return forms;
}

}  // namespace

std::string FormatPromNumber(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Inf" : "-Inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

std::string QuotePromString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

Result<AlertForms> CompileAlertForms(std::string_view config_text, const std::string& file) {
  try {
    YAML::Node root = YAML::Load(std::string(config_text));
    return Compile(root, file);
  } catch (const YAML::Exception& e) {
    return InvalidArgument(std::string("alerts: invalid YAML: ") + e.what());
  }
}

Result<AlertForms> AlertFormsFrom(const Config& config) {
  return CompileAlertForms(config.source_text, config.source_path.empty() ? std::string("perfwatch")
                                                                           : config.source_path.string());
}

}  // namespace perfwatch::alert
