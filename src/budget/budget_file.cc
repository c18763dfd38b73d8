#include "budget/budget_file.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

#include "budget/json_tree.h"
#include "common/time.h"

namespace perfwatch::budget {
namespace {

std::string Join(const std::vector<std::string_view>& v) {
  std::string out;
  for (auto s : v) out += (out.empty() ? "" : ", ") + std::string(s);
  return out;
}

// An error about the value at JSON path `where` (with its position).
Status At(const std::string& where, const JsonNode& node, const std::string& what) {
  return InvalidArgument(where + " (" + node.Where() + "): " + what);
}

Status CheckKeys(const std::string& where, const JsonNode& obj, std::initializer_list<std::string_view> allowed,
                 std::string_view extra_hint = "") {
  for (size_t i = 0; i < obj.members.size(); ++i) {
    const std::string& k = obj.members[i].key;
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      std::string keys;
      for (auto a : allowed) keys += (keys.empty() ? "" : ", ") + std::string(a);
      return InvalidArgument(where + " (line " + std::to_string(obj.members[i].line) + ", column " +
                             std::to_string(obj.members[i].column) + "): unknown key \"" + k +
                             "\" (allowed: " + keys + ")" + std::string(extra_hint));
    }
  }
  return Status::Ok();
}

Result<double> Number(const std::string& where, const JsonNode& node, bool non_negative = true) {
  if (!node.is_number()) return At(where, node, "expected a number, found " + std::string(JsonTypeName(node.type)));
  if (non_negative && node.number < 0) return At(where, node, "must not be negative");
  return node.number;
}

Status PathError(const std::string& where, const JsonNode& node, const std::string& what) {
  return At(where, node,
            "invalid path \"" + node.string + "\": " + what +
                " (robots.txt form: a prefix such as \"/products\", one '*' wildcard, '$' only at the end)");
}

// Lighthouse's Budget.validatePath.
Status ValidatePath(const std::string& where, const JsonNode& node) {
  if (!node.is_string()) return At(where, node, "path should be a string");
  const std::string& p = node.string;
  if (p.empty() || p[0] != '/') return PathError(where, node, "path should start with '/'");
  if (std::count(p.begin(), p.end(), '*') > 1) return PathError(where, node, "path should only contain one '*'");
  auto dollars = std::count(p.begin(), p.end(), '$');
  if (dollars > 1) return PathError(where, node, "path should only contain one '$' character");
  if (dollars == 1 && p.back() != '$') return PathError(where, node, "'$' character should only occur at end of path");
  return Status::Ok();
}

// Lighthouse's Budget.validateHostname.
bool ValidHostname(const std::string& h) {
  if (h.empty() || h.find('/') != std::string::npos || h.find(':') != std::string::npos) return false;
  if (h.find('*') != std::string::npos && (h.rfind("*.", 0) != 0 || h.rfind('*') > 0)) return false;
  return true;
}

// A list of {<name_key>, budget, tolerance} objects.
Status MetricList(const std::string& where, const JsonNode& node, std::string_view name_key,
                  const std::vector<std::string_view>& valid, std::string_view what, bool upper,
                  std::vector<MetricBudget>& out) {
  if (!node.is_array()) return At(where, node, "expected an array, found " + std::string(JsonTypeName(node.type)));
  std::set<std::string> seen;
  for (size_t i = 0; i < node.items.size(); ++i) {
    const JsonNode& item = node.items[i];
    const std::string w = where + "[" + std::to_string(i) + "]";
    if (!item.is_object()) return At(w, item, "expected an object, found " + std::string(JsonTypeName(item.type)));
    PW_RETURN_IF_ERROR(CheckKeys(w, item, {name_key, "budget", "tolerance"}));
    const JsonNode* name = item.Find(name_key);
    const std::string wn = w + "." + std::string(name_key);
    if (name == nullptr) return At(w, item, "missing \"" + std::string(name_key) + "\"");
    if (!name->is_string()) return At(wn, *name, "expected a string, found " + std::string(JsonTypeName(name->type)));
    std::string n = name->string;
    if (upper) std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::toupper(c); });
    if (std::find(valid.begin(), valid.end(), n) == valid.end()) {
      return At(wn, *name, "unknown " + std::string(what) + " \"" + name->string + "\" (valid: " + Join(valid) + ")");
    }
    if (!seen.insert(n).second) return At(wn, *name, "duplicate entry of type '" + n + "'");
    MetricBudget mb;
    mb.name = n;
    const JsonNode* b = item.Find("budget");
    if (b == nullptr) return At(w, item, "missing \"budget\"");
    PW_ASSIGN_OR_RETURN(mb.budget, Number(w + ".budget", *b));
    if (const JsonNode* t = item.Find("tolerance")) {
      PW_ASSIGN_OR_RETURN(mb.tolerance, Number(w + ".tolerance", *t));
    }
    out.push_back(std::move(mb));
  }
  return Status::Ok();
}

Status ParseField(const std::string& where, const JsonNode& node, FieldBudget& out) {
  if (!node.is_object()) return At(where, node, "expected an object, found " + std::string(JsonTypeName(node.type)));
  PW_RETURN_IF_ERROR(CheckKeys(where, node, {"window", "min_samples", "vitals"}));
  if (const JsonNode* w = node.Find("window")) {
    if (!w->is_string()) return At(where + ".window", *w, "expected a duration string such as \"28d\"");
    auto ms = ParseDurationMs(w->string);
    if (!ms.ok() || *ms <= 0) {
      return At(where + ".window", *w, "invalid duration \"" + w->string + "\" (e.g. \"7d\", \"28d\", \"24h\")");
    }
    out.window = w->string;
    out.window_ms = *ms;
  }
  if (const JsonNode* m = node.Find("min_samples")) {
    PW_ASSIGN_OR_RETURN(double v, Number(where + ".min_samples", *m));
    // Range first: converting a double outside int64's range is undefined behaviour.
    if (!(std::abs(v) <= 1e12) || v != std::trunc(v)) {
      return At(where + ".min_samples", *m, "expected a whole number");
    }
    out.min_samples = static_cast<int64_t>(v);
  }
  if (const JsonNode* v = node.Find("vitals")) {
    PW_RETURN_IF_ERROR(MetricList(where + ".vitals", *v, "metric", FieldVitals(), "vital", true, out.vitals));
  }
  return Status::Ok();
}

Status ParseBundles(const std::string& where, const JsonNode& node, std::vector<BundleBudget>& out) {
  if (!node.is_array()) return At(where, node, "expected an array, found " + std::string(JsonTypeName(node.type)));
  std::set<std::string> seen;
  for (size_t i = 0; i < node.items.size(); ++i) {
    const JsonNode& item = node.items[i];
    const std::string w = where + "[" + std::to_string(i) + "]";
    if (!item.is_object()) return At(w, item, "expected an object, found " + std::string(JsonTypeName(item.type)));
    PW_RETURN_IF_ERROR(CheckKeys(w, item, {"path", "raw", "gzip", "brotli", "max_growth"}));
    BundleBudget b;
    const JsonNode* p = item.Find("path");
    if (p == nullptr) return At(w, item, "missing \"path\" (a file or glob relative to --bundles)");
    if (!p->is_string() || p->string.empty()) return At(w + ".path", *p, "expected a non-empty string");
    if (p->string[0] == '/' || p->string.find("..") != std::string::npos) {
      return At(w + ".path", *p, "must be relative to the --bundles folder, without '..'");
    }
    b.path = p->string;
    if (!seen.insert(b.path).second) return At(w + ".path", *p, "duplicate bundle \"" + b.path + "\"");
    auto limit = [&](const char* key, std::optional<double>& dst) -> Status {
      if (const JsonNode* n = item.Find(key)) {
        PW_ASSIGN_OR_RETURN(double v, Number(w + "." + key, *n));
        dst = v;
      }
      return Status::Ok();
    };
    PW_RETURN_IF_ERROR(limit("raw", b.raw_kb));
    PW_RETURN_IF_ERROR(limit("gzip", b.gzip_kb));
    PW_RETURN_IF_ERROR(limit("brotli", b.brotli_kb));
    if (const JsonNode* g = item.Find("max_growth")) {
      PW_ASSIGN_OR_RETURN(b.max_growth, Number(w + ".max_growth", *g));
    }
    out.push_back(std::move(b));
  }
  return Status::Ok();
}

Result<Budget> ParseBudget(size_t index, const JsonNode& node) {
  const std::string where = "budgets[" + std::to_string(index) + "]";
  if (!node.is_object()) return At(where, node, "expected a budget object, found " + std::string(JsonTypeName(node.type)));
  PW_RETURN_IF_ERROR(CheckKeys(where, node,
                               {"path", "options", "resourceSizes", "resourceCounts", "timings", "field", "bundles",
                                "score"}));
  Budget b;
  if (const JsonNode* p = node.Find("path")) {
    PW_RETURN_IF_ERROR(ValidatePath(where + ".path", *p));
    b.path = p->string;
  }
  if (const JsonNode* o = node.Find("options")) {
    const std::string w = where + ".options";
    if (!o->is_object()) return At(w, *o, "expected an object, found " + std::string(JsonTypeName(o->type)));
    PW_RETURN_IF_ERROR(CheckKeys(w, *o, {"firstPartyHostnames"}));
    if (const JsonNode* h = o->Find("firstPartyHostnames")) {
      const std::string wh = w + ".firstPartyHostnames";
      if (!h->is_array()) return At(wh, *h, "firstPartyHostnames should be defined as an array of strings");
      for (size_t i = 0; i < h->items.size(); ++i) {
        const JsonNode& host = h->items[i];
        if (!host.is_string()) return At(wh, *h, "firstPartyHostnames should be defined as an array of strings");
        if (!ValidHostname(host.string)) {
          return At(wh + "[" + std::to_string(i) + "]", host, host.string + " is not a valid hostname");
        }
        b.first_party_hostnames.push_back(host.string);
      }
    }
  }
  if (const JsonNode* n = node.Find("resourceSizes")) {
    PW_RETURN_IF_ERROR(MetricList(where + ".resourceSizes", *n, "resourceType", LighthouseResourceTypes(),
                                  "resource type", false, b.resource_sizes));
  }
  if (const JsonNode* n = node.Find("resourceCounts")) {
    PW_RETURN_IF_ERROR(MetricList(where + ".resourceCounts", *n, "resourceType", LighthouseResourceTypes(),
                                  "resource type", false, b.resource_counts));
  }
  if (const JsonNode* n = node.Find("timings")) {
    PW_RETURN_IF_ERROR(
        MetricList(where + ".timings", *n, "metric", LighthouseTimingMetrics(), "timing metric", false, b.timings));
  }
  if (const JsonNode* n = node.Find("field")) {
    FieldBudget f;
    PW_RETURN_IF_ERROR(ParseField(where + ".field", *n, f));
    b.field = std::move(f);
  }
  if (const JsonNode* n = node.Find("bundles")) {
    PW_RETURN_IF_ERROR(ParseBundles(where + ".bundles", *n, b.bundles));
  }
  if (const JsonNode* n = node.Find("score")) {
    PW_ASSIGN_OR_RETURN(double s, Number(where + ".score", *n));
    if (s > 100) return At(where + ".score", *n, "a performance score is between 0 and 100");
    b.score = s;
  }
  return b;
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool EndsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

bool GlobSegments(const std::vector<std::string_view>& g, size_t gi, const std::vector<std::string_view>& p,
                  size_t pi);

// '*' and '?' within one path segment (iterative with one backtrack point).
bool SegmentMatch(std::string_view g, std::string_view s) {
  size_t gi = 0, si = 0, star = std::string_view::npos, mark = 0;
  while (si < s.size()) {
    if (gi < g.size() && (g[gi] == '?' || g[gi] == s[si])) {
      ++gi;
      ++si;
    } else if (gi < g.size() && g[gi] == '*') {
      star = gi++;
      mark = si;
    } else if (star != std::string_view::npos) {
      gi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (gi < g.size() && g[gi] == '*') ++gi;
  return gi == g.size();
}

bool GlobSegments(const std::vector<std::string_view>& g, size_t gi, const std::vector<std::string_view>& p,
                  size_t pi) {
  while (gi < g.size()) {
    if (g[gi] == "**") {
      // Collapse repeated "**" so the recursion stays linear in the path length.
      while (gi + 1 < g.size() && g[gi + 1] == "**") ++gi;
      for (size_t k = pi; k <= p.size(); ++k) {
        if (GlobSegments(g, gi + 1, p, k)) return true;
      }
      return false;
    }
    if (pi >= p.size() || !SegmentMatch(g[gi], p[pi])) return false;
    ++gi;
    ++pi;
  }
  return pi == p.size();
}

std::vector<std::string_view> Split(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t slash = s.find('/', start);
    out.push_back(s.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

}  // namespace

const std::vector<std::string_view>& LighthouseResourceTypes() {
  static const std::vector<std::string_view> k = {"total", "document", "script", "stylesheet", "image",
                                                  "media", "font",     "other",  "third-party"};
  return k;
}

const std::vector<std::string_view>& LighthouseTimingMetrics() {
  static const std::vector<std::string_view> k = {
      "first-contentful-paint", "interactive", "first-meaningful-paint",   "max-potential-fid",
      "total-blocking-time",    "speed-index", "largest-contentful-paint", "cumulative-layout-shift"};
  return k;
}

const std::vector<std::string_view>& FieldVitals() {
  static const std::vector<std::string_view> k = {"LCP", "INP", "CLS", "FCP", "TTFB"};
  return k;
}

Result<BudgetFile> ParseBudgetFile(std::string_view text) {
  auto tree = ParseJsonTree(text);
  if (!tree.ok()) return tree.status();
  const JsonNode& root = *tree;
  if (!root.is_array()) {
    return InvalidArgument("budgets (" + root.Where() +
                           "): Budget file is not defined as an array of budgets (found " +
                           std::string(JsonTypeName(root.type)) + ")");
  }
  BudgetFile file;
  for (size_t i = 0; i < root.items.size(); ++i) {
    PW_ASSIGN_OR_RETURN(Budget b, ParseBudget(i, root.items[i]));
    file.budgets.push_back(std::move(b));
  }
  return file;
}

bool PathMatchesPattern(std::string_view url_path, std::string_view pattern) {
  if (pattern.empty()) pattern = "/";
  const bool wildcard = pattern.find('*') != std::string_view::npos;
  const bool dollar = pattern.find('$') != std::string_view::npos;
  if (!wildcard && !dollar) return StartsWith(url_path, pattern);
  if (!wildcard && dollar) return url_path == pattern.substr(0, pattern.size() - 1);
  size_t star = pattern.find('*');
  std::string_view before = pattern.substr(0, star);
  std::string_view after = pattern.substr(star + 1);
  if (!StartsWith(url_path, before)) return false;
  std::string_view rest = url_path.substr(before.size());
  if (!dollar) return rest.find(after) != std::string_view::npos;
  return EndsWith(rest, after.substr(0, after.size() - 1));
}

std::string UrlPathAndQuery(std::string_view url) {
  std::string_view rest = url;
  if (size_t hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  if (!rest.empty() && rest[0] == '/') return std::string(rest);
  size_t scheme = rest.find("://");
  if (scheme == std::string_view::npos) return "/";
  rest = rest.substr(scheme + 3);
  size_t slash = rest.find_first_of("/?");
  if (slash == std::string_view::npos) return "/";
  if (rest[slash] == '?') return "/" + std::string(rest.substr(slash));
  return std::string(rest.substr(slash));
}

const Budget* MatchingBudget(const BudgetFile& file, std::string_view url_path) {
  for (size_t i = file.budgets.size(); i-- > 0;) {
    const Budget& b = file.budgets[i];
    if (PathMatchesPattern(url_path, b.path ? *b.path : "/")) return &b;
  }
  return nullptr;
}

bool BundleGlobMatch(std::string_view glob, std::string_view path) {
  return GlobSegments(Split(glob), 0, Split(path), 0);
}

}  // namespace perfwatch::budget
