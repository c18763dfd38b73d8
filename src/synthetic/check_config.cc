#include "synthetic/check_config.h"

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <set>

#include "common/json_writer.h"
#include "common/time.h"
#include "common/yaml_where.h"
#include "synthetic/json_path.h"

namespace perfwatch::synthetic {
namespace {

constexpr int64_t kMinIntervalMs = 10'000;

using yaml_where::At;
using yaml_where::Bad;
using yaml_where::Keys;

Result<std::string> Str(const YAML::Node& node, const std::string& where) {
  if (!node.IsScalar()) return Bad(node, where, "expected a string");
  return node.as<std::string>();
}

Result<int64_t> Duration(const YAML::Node& node, const std::string& where) {
  if (!node.IsScalar()) return Bad(node, where, "expected a duration such as 10s");
  auto ms = ParseDurationMs(node.as<std::string>());
  if (!ms.ok()) return Bad(node, where, ms.status().message());
  return *ms;
}

Result<bool> Bool(const YAML::Node& node, const std::string& where) {
  bool v = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, v)) return Bad(node, where, "expected true or false");
  return v;
}

Result<int64_t> Int(const YAML::Node& node, const std::string& where, int64_t lo, int64_t hi) {
  int64_t v = 0;
  if (!node.IsScalar() || !YAML::convert<int64_t>::decode(node, v)) return Bad(node, where, "expected an integer");
  if (v < lo || v > hi) {
    return Bad(node, where, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  }
  return v;
}

Status CheckUrl(const YAML::Node& node, const std::string& where, const std::string& url) {
  const bool http = url.rfind("http://", 0) == 0, https = url.rfind("https://", 0) == 0;
  if (!http && !https) return Bad(node, where, "\"" + url + "\" is not an http:// or https:// URL");
  const std::string rest = url.substr(https ? 8 : 7);
  if (rest.empty() || rest[0] == '/' || rest[0] == ':') return Bad(node, where, "\"" + url + "\" has no host");
  return Status::Ok();
}

Status CheckRegex(const YAML::Node& node, const std::string& where, const std::string& pattern) {
  RE2 re(pattern, RE2::Quiet);
  if (!re.ok()) return Bad(node, where, "invalid regular expression: " + re.error());
  return Status::Ok();
}

#define PW_ASSIGN(lhs, expr)                       \
  do {                                             \
    auto pw_r = (expr);                            \
    if (!pw_r.ok()) return pw_r.status();          \
    lhs = std::move(pw_r).value();                 \
  } while (0)

Result<Assertion> ParseAssertion(const YAML::Node& n, const std::string& where, bool browser) {
  if (!n.IsMap() || n.size() == 0) return Bad(n, where, "expected a mapping such as {status: 200}");
  Assertion a;
  if (n["status"]) {
    PW_RETURN_IF_ERROR(Keys(n, where, {"status"}));
    a.kind = Assertion::Kind::kStatus;
    int64_t v = 0;
    PW_ASSIGN(v, Int(n["status"], where + ".status", 100, 599));
    a.status = static_cast<int>(v);
  } else if (n["max_duration"]) {
    PW_RETURN_IF_ERROR(Keys(n, where, {"max_duration"}));
    a.kind = Assertion::Kind::kMaxDuration;
    PW_ASSIGN(a.max_duration_ms, Duration(n["max_duration"], where + ".max_duration"));
  } else if (n["body_contains"]) {
    PW_RETURN_IF_ERROR(Keys(n, where, {"body_contains"}));
    a.kind = Assertion::Kind::kBodyContains;
    PW_ASSIGN(a.text, Str(n["body_contains"], where + ".body_contains"));
  } else if (n["body_regex"]) {
    PW_RETURN_IF_ERROR(Keys(n, where, {"body_regex"}));
    a.kind = Assertion::Kind::kBodyRegex;
    PW_ASSIGN(a.text, Str(n["body_regex"], where + ".body_regex"));
    PW_RETURN_IF_ERROR(CheckRegex(n["body_regex"], where + ".body_regex", a.text));
  } else if (n["json_path"]) {
    PW_RETURN_IF_ERROR(Keys(n, where, {"json_path", "equals"}));
    a.kind = Assertion::Kind::kJsonPath;
    PW_ASSIGN(a.text, Str(n["json_path"], where + ".json_path"));
    if (auto path = ParseJsonPath(a.text); !path.ok()) {
      return Bad(n["json_path"], where + ".json_path", path.status().message());
    }
    if (n["equals"]) {
      const YAML::Node e = n["equals"];
      if (e.IsNull()) a.equals = "null";
      else if (e.IsScalar()) a.equals = e.as<std::string>();
      else return Bad(e, where + ".equals", "expected a string, number or boolean");
    }
  } else if (n["header"]) {
    PW_RETURN_IF_ERROR(Keys(n, where, {"header", "matches"}));
    a.kind = Assertion::Kind::kHeader;
    PW_ASSIGN(a.text, Str(n["header"], where + ".header"));
    if (a.text.empty()) return Bad(n["header"], where + ".header", "must not be empty");
    if (!n["matches"]) return Bad(n, where, "header needs matches: REGEX");
    PW_ASSIGN(a.matches, Str(n["matches"], where + ".matches"));
    PW_RETURN_IF_ERROR(CheckRegex(n["matches"], where + ".matches", a.matches));
  } else if (n["cert_days_left"]) {
    PW_RETURN_IF_ERROR(Keys(n, where, {"cert_days_left"}));
    a.kind = Assertion::Kind::kCertDaysLeft;
    int64_t v = 0;
    PW_ASSIGN(v, Int(n["cert_days_left"], where + ".cert_days_left", 0, 36500));
    a.cert_days_left = static_cast<int>(v);
  } else {
    return Bad(n, where,
               "unknown assertion; expected one of status, max_duration, body_contains, body_regex, json_path, "
               "header, cert_days_left");
  }
  if (browser && a.kind != Assertion::Kind::kMaxDuration) {
    return Bad(n, where, "browser checks support max_duration here; check page text with an assert_text step");
  }
  return a;
}

Status ParseHttp(const YAML::Node& n, const std::string& where, HttpSpec* h) {
  PW_RETURN_IF_ERROR(Keys(n, where, {"url", "method", "headers", "body", "timeout", "follow_redirects", "tls_verify"}));
  if (!n["url"]) return Bad(n, where, "url is required");
  PW_ASSIGN(h->url, Str(n["url"], where + ".url"));
  PW_RETURN_IF_ERROR(CheckUrl(n["url"], where + ".url", h->url));
  if (n["method"]) {
    PW_ASSIGN(h->method, Str(n["method"], where + ".method"));
    static const std::set<std::string> kMethods = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
    if (!kMethods.count(h->method)) return Bad(n["method"], where + ".method", "unknown method \"" + h->method + "\"");
  }
  if (const YAML::Node hs = n["headers"]) {
    if (!hs.IsMap()) return Bad(hs, where + ".headers", "expected a mapping of header names to values");
    for (const auto& kv : hs) {
      const std::string name = kv.first.as<std::string>();
      std::string value;
      PW_ASSIGN(value, Str(kv.second, where + ".headers." + name));
      if (name.find_first_of(" :\r\n") != std::string::npos || value.find_first_of("\r\n") != std::string::npos) {
        return Bad(kv.first, where + ".headers." + name, "invalid header");
      }
      h->headers.emplace_back(name, value);
    }
  }
  if (n["body"]) PW_ASSIGN(h->body, Str(n["body"], where + ".body"));
  if (n["timeout"]) {
    PW_ASSIGN(h->timeout_ms, Duration(n["timeout"], where + ".timeout"));
    if (h->timeout_ms <= 0) return Bad(n["timeout"], where + ".timeout", "must be positive");
  }
  if (n["follow_redirects"]) PW_ASSIGN(h->follow_redirects, Bool(n["follow_redirects"], where + ".follow_redirects"));
  if (n["tls_verify"]) PW_ASSIGN(h->tls_verify, Bool(n["tls_verify"], where + ".tls_verify"));
  return Status::Ok();
}

struct StepKind {
  const char* key;
  BrowserStep::Kind kind;
};
constexpr StepKind kStepKinds[] = {{"goto", BrowserStep::Kind::kGoto},       {"click", BrowserStep::Kind::kClick},
                                   {"fill", BrowserStep::Kind::kFill},       {"wait_for", BrowserStep::Kind::kWaitFor},
                                   {"wait_for_text", BrowserStep::Kind::kWaitFor},
                                   {"assert_text", BrowserStep::Kind::kAssert}, {"measure", BrowserStep::Kind::kMeasure}};

Result<BrowserStep> ParseStep(const YAML::Node& n, const std::string& where) {
  if (!n.IsMap()) return Bad(n, where, "expected a mapping such as {click: \"#buy\"}");
  BrowserStep s;
  const char* found = nullptr;
  for (const StepKind& k : kStepKinds) {
    if (!n[k.key]) continue;
    if (found) return Bad(n, where, std::string("both ") + found + " and " + k.key + " in one step");
    found = k.key;
    s.kind = k.kind;
    s.by_text = std::string_view(k.key) == "wait_for_text";
    PW_ASSIGN(s.target, Str(n[k.key], where + "." + k.key));
    if (s.target.empty()) return Bad(n[k.key], where + "." + k.key, "must not be empty");
  }
  if (!found) return Bad(n, where, "expected one of goto, click, fill, wait_for, wait_for_text, assert_text, measure");
  std::set<std::string> known = {found, "name", "timeout"};
  if (s.kind == BrowserStep::Kind::kFill) known.insert("value");
  if (s.kind == BrowserStep::Kind::kMeasure) known.insert({"from", "to"});
  PW_RETURN_IF_ERROR(Keys(n, where, known));
  if (n["name"]) PW_ASSIGN(s.name, Str(n["name"], where + ".name"));
  if (n["timeout"]) PW_ASSIGN(s.timeout_ms, Duration(n["timeout"], where + ".timeout"));
  if (s.kind == BrowserStep::Kind::kFill) {
    if (!n["value"]) return Bad(n, where, "fill needs value: TEXT");
    PW_ASSIGN(s.value, Str(n["value"], where + ".value"));
  }
  if (s.kind == BrowserStep::Kind::kMeasure) {
    if (!n["from"] || !n["to"]) return Bad(n, where, "measure needs from: STEP and to: STEP");
    PW_ASSIGN(s.from, Str(n["from"], where + ".from"));
    PW_ASSIGN(s.to, Str(n["to"], where + ".to"));
    s.name = s.target;  // the measure's name
  }
  if (s.name.empty()) s.name = std::string(found) + " " + s.target;
  return s;
}

Status ParseBrowser(const YAML::Node& n, const std::string& where, BrowserSpec* b) {
  PW_RETURN_IF_ERROR(Keys(n, where, {"url", "device", "throttling", "steps", "timeout", "app"}));
  if (!n["url"]) return Bad(n, where, "url is required");
  PW_ASSIGN(b->url, Str(n["url"], where + ".url"));
  PW_RETURN_IF_ERROR(CheckUrl(n["url"], where + ".url", b->url));
  if (n["device"]) {
    PW_ASSIGN(b->device, Str(n["device"], where + ".device"));
    if (b->device != "desktop" && b->device != "mobile") return Bad(n["device"], where + ".device", "expected desktop or mobile");
  }
  if (n["throttling"]) {
    PW_ASSIGN(b->throttling, Str(n["throttling"], where + ".throttling"));
    static const std::set<std::string> kThrottling = {"none", "4g", "fast3g", "slow3g"};
    if (!kThrottling.count(b->throttling)) {
      return Bad(n["throttling"], where + ".throttling", "expected none, 4g, fast3g or slow3g");
    }
  }
  if (n["timeout"]) {
    PW_ASSIGN(b->timeout_ms, Duration(n["timeout"], where + ".timeout"));
    if (b->timeout_ms <= 0) return Bad(n["timeout"], where + ".timeout", "must be positive");
  }
  if (n["app"]) PW_ASSIGN(b->app, Str(n["app"], where + ".app"));
  if (const YAML::Node steps = n["steps"]) {
    if (!steps.IsSequence()) return Bad(steps, where + ".steps", "expected a list of steps");
    std::set<std::string> names;
    for (size_t i = 0; i < steps.size(); ++i) {
      const std::string w = where + ".steps[" + std::to_string(i) + "]";
      BrowserStep s;
      PW_ASSIGN(s, ParseStep(steps[i], w));
      if (s.kind == BrowserStep::Kind::kMeasure) {
        if (!names.count(s.from)) return Bad(steps[i], w + ".from", "no earlier step is named \"" + s.from + "\"");
        if (!names.count(s.to)) return Bad(steps[i], w + ".to", "no earlier step is named \"" + s.to + "\"");
      } else if (!names.insert(s.name).second) {
        return Bad(steps[i], w + ".name", "two steps are named \"" + s.name + "\"; give one a name:");
      }
      b->steps.push_back(std::move(s));
    }
  }
  return Status::Ok();
}

#undef PW_ASSIGN

}  // namespace

bool ValidCheckName(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) return false;
  }
  return true;
}

Result<CheckSpec> ParseCheck(const YAML::Node& n, const std::string& where) {
  PW_RETURN_IF_ERROR(Keys(n, where, {"name", "interval", "http", "browser", "assert", "labels"}));
  CheckSpec c;
  if (!n["name"]) return Bad(n, where, "name is required");
  auto name = Str(n["name"], where + ".name");
  if (!name.ok()) return name.status();
  c.name = *name;
  if (!ValidCheckName(c.name)) {
    return Bad(n["name"], where + ".name", "\"" + c.name + "\" is not a valid name (letters, digits, _ . -; at most 128)");
  }
  if (n["interval"]) {
    auto ms = Duration(n["interval"], where + ".interval");
    if (!ms.ok()) return ms.status();
    if (*ms < kMinIntervalMs) return Bad(n["interval"], where + ".interval", "must be at least 10s");
    c.interval_ms = *ms;
  }
  const bool has_http = n["http"] && !n["http"].IsNull(), has_browser = n["browser"] && !n["browser"].IsNull();
  if (has_http == has_browser) return Bad(n, where, "a check has exactly one of http: or browser:");
  if (has_http) {
    c.kind = CheckSpec::Kind::kHttp;
    PW_RETURN_IF_ERROR(ParseHttp(n["http"], where + ".http", &c.http));
  } else {
    c.kind = CheckSpec::Kind::kBrowser;
    PW_RETURN_IF_ERROR(ParseBrowser(n["browser"], where + ".browser", &c.browser));
  }
  if (const YAML::Node as = n["assert"]) {
    if (!as.IsSequence()) return Bad(as, where + ".assert", "expected a list of assertions");
    for (size_t i = 0; i < as.size(); ++i) {
      auto a = ParseAssertion(as[i], where + ".assert[" + std::to_string(i) + "]", has_browser);
      if (!a.ok()) return a.status();
      c.asserts.push_back(std::move(a).value());
    }
  }
  if (const YAML::Node ls = n["labels"]) {
    if (!ls.IsMap()) return Bad(ls, where + ".labels", "expected a mapping of label names to values");
    static const RE2 kLabelName("[a-zA-Z_][a-zA-Z0-9_]*");
    for (const auto& kv : ls) {
      const std::string key = kv.first.as<std::string>();
      if (!RE2::FullMatch(key, kLabelName) || key.rfind("__", 0) == 0 || key == "check" || key == "instance" ||
          key == "phase" || key == "step" || key == "vital") {
        return Bad(kv.first, where + ".labels." + key, "not a usable label name (check, instance, phase, step and vital are perfwatch's)");
      }
      auto v = Str(kv.second, where + ".labels." + key);
      if (!v.ok()) return v.status();
      c.labels[key] = *v;
    }
  }
  return c;
}

Result<CheckSpec> ParseCheckText(std::string_view text) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return InvalidArgument("check: not valid JSON or YAML: " + e.msg + " (line " + std::to_string(e.mark.line + 1) + ")");
  }
  try {
    return ParseCheck(root, "check");
  } catch (const YAML::Exception& e) {
    return InvalidArgument("check: " + e.msg);
  }
}

Result<SyntheticConfig> ParseSyntheticConfig(const std::string& yaml_text) {
  SyntheticConfig out;
  try {
    const YAML::Node root = YAML::Load(yaml_text);
    if (!root.IsMap() || !root["synthetic"] || root["synthetic"].IsNull()) return out;
    const YAML::Node s = root["synthetic"];
    PW_RETURN_IF_ERROR(Keys(s, "synthetic", {"checks", "max_browsers", "max_concurrent_http", "chromium", "history",
                                              "status_pages"}));
    if (s["max_browsers"]) {
      auto v = Int(s["max_browsers"], "synthetic.max_browsers", 1, 16);
      if (!v.ok()) return v.status();
      out.max_browsers = static_cast<int>(*v);
    }
    if (s["max_concurrent_http"]) {
      auto v = Int(s["max_concurrent_http"], "synthetic.max_concurrent_http", 1, 4096);
      if (!v.ok()) return v.status();
      out.max_concurrent_http = static_cast<int>(*v);
    }
    if (s["history"]) {
      auto v = Int(s["history"], "synthetic.history", 10, 100000);
      if (!v.ok()) return v.status();
      out.history = static_cast<size_t>(*v);
    }
    if (s["chromium"]) {
      auto v = Str(s["chromium"], "synthetic.chromium");
      if (!v.ok()) return v.status();
      out.chromium = *v;
    }
    std::set<std::string> names;
    if (const YAML::Node cs = s["checks"]) {
      if (!cs.IsSequence()) return Bad(cs, "synthetic.checks", "expected a list of checks");
      for (size_t i = 0; i < cs.size(); ++i) {
        const std::string where = "synthetic.checks[" + std::to_string(i) + "]";
        auto c = ParseCheck(cs[i], where);
        if (!c.ok()) return c.status();
        if (!names.insert(c->name).second) return Bad(cs[i], where + ".name", "two checks are named \"" + c->name + "\"");
        out.checks.push_back(std::move(c).value());
      }
    }
    if (const YAML::Node ps = s["status_pages"]) {
      if (!ps.IsSequence()) return Bad(ps, "synthetic.status_pages", "expected a list of pages");
      std::set<std::string> pages;
      for (size_t i = 0; i < ps.size(); ++i) {
        const std::string where = "synthetic.status_pages[" + std::to_string(i) + "]";
        PW_RETURN_IF_ERROR(Keys(ps[i], where, {"name", "title", "checks"}));
        StatusPageSpec p;
        if (ps[i]["name"]) p.name = ps[i]["name"].as<std::string>();
        if (!ValidCheckName(p.name)) return Bad(ps[i], where + ".name", "\"" + p.name + "\" is not a valid page name");
        if (!pages.insert(p.name).second) return Bad(ps[i], where + ".name", "two pages are named \"" + p.name + "\"");
        if (ps[i]["title"]) p.title = ps[i]["title"].as<std::string>();
        if (const YAML::Node pc = ps[i]["checks"]) {
          if (!pc.IsSequence()) return Bad(pc, where + ".checks", "expected a list of check names");
          for (const auto& c : pc) p.checks.push_back(c.as<std::string>());
        }
        out.status_pages.push_back(std::move(p));
      }
    }
  } catch (const YAML::Exception& e) {
    return InvalidArgument("synthetic: " + e.msg + " (line " + std::to_string(e.mark.line + 1) + ")");
  }
  return out;
}

namespace {

void Field(std::string& out, std::string_view key, std::string_view value) {
  if (out.back() != '{') out += ',';
  AppendJsonString(out, key);
  out += ':';
  AppendJsonString(out, value);
}

void Raw(std::string& out, std::string_view key, std::string_view json) {
  if (out.back() != '{') out += ',';
  AppendJsonString(out, key);
  out += ':';
  out += json;
}

std::string AssertionJson(const Assertion& a) {
  std::string o = "{";
  switch (a.kind) {
    case Assertion::Kind::kStatus: Raw(o, "status", std::to_string(a.status)); break;
    case Assertion::Kind::kMaxDuration: Field(o, "max_duration", FormatPromDuration(a.max_duration_ms)); break;
    case Assertion::Kind::kBodyContains: Field(o, "body_contains", a.text); break;
    case Assertion::Kind::kBodyRegex: Field(o, "body_regex", a.text); break;
    case Assertion::Kind::kJsonPath:
      Field(o, "json_path", a.text);
      if (a.equals) Field(o, "equals", *a.equals);
      break;
    case Assertion::Kind::kHeader:
      Field(o, "header", a.text);
      Field(o, "matches", a.matches);
      break;
    case Assertion::Kind::kCertDaysLeft: Raw(o, "cert_days_left", std::to_string(a.cert_days_left)); break;
  }
  return o + "}";
}

const char* StepKey(const BrowserStep& s) {
  switch (s.kind) {
    case BrowserStep::Kind::kGoto: return "goto";
    case BrowserStep::Kind::kClick: return "click";
    case BrowserStep::Kind::kFill: return "fill";
    case BrowserStep::Kind::kWaitFor: return s.by_text ? "wait_for_text" : "wait_for";
    case BrowserStep::Kind::kAssert: return "assert_text";
    case BrowserStep::Kind::kMeasure: return "measure";
  }
  return "goto";
}

}  // namespace

std::string CheckSpecToJson(const CheckSpec& c) {
  std::string o = "{";
  Field(o, "name", c.name);
  Field(o, "interval", FormatPromDuration(c.interval_ms));
  if (c.kind == CheckSpec::Kind::kHttp) {
    const HttpSpec& h = c.http;
    std::string j = "{";
    Field(j, "url", h.url);
    Field(j, "method", h.method);
    if (!h.headers.empty()) {
      std::string hs = "{";
      for (const auto& [k, v] : h.headers) Field(hs, k, v);
      Raw(j, "headers", hs + "}");
    }
    if (!h.body.empty()) Field(j, "body", h.body);
    Field(j, "timeout", FormatPromDuration(h.timeout_ms));
    Raw(j, "follow_redirects", h.follow_redirects ? "true" : "false");
    Raw(j, "tls_verify", h.tls_verify ? "true" : "false");
    Raw(o, "http", j + "}");
  } else {
    const BrowserSpec& b = c.browser;
    std::string j = "{";
    Field(j, "url", b.url);
    Field(j, "device", b.device);
    Field(j, "throttling", b.throttling);
    Field(j, "timeout", FormatPromDuration(b.timeout_ms));
    Field(j, "app", b.app);
    std::string steps = "[";
    for (const BrowserStep& s : b.steps) {
      if (steps.size() > 1) steps += ',';
      std::string st = "{";
      Field(st, StepKey(s), s.target);
      if (s.kind != BrowserStep::Kind::kMeasure) Field(st, "name", s.name);
      if (s.kind == BrowserStep::Kind::kFill) Field(st, "value", s.value);
      if (s.kind == BrowserStep::Kind::kMeasure) {
        Field(st, "from", s.from);
        Field(st, "to", s.to);
      }
      Field(st, "timeout", FormatPromDuration(s.timeout_ms));
      steps += st + "}";
    }
    Raw(j, "steps", steps + "]");
    Raw(o, "browser", j + "}");
  }
  std::string as = "[";
  for (const Assertion& a : c.asserts) {
    if (as.size() > 1) as += ',';
    as += AssertionJson(a);
  }
  Raw(o, "assert", as + "]");
  if (!c.labels.empty()) {
    std::string ls = "{";
    for (const auto& [k, v] : c.labels) Field(ls, k, v);
    Raw(o, "labels", ls + "}");
  }
  return o + "}";
}

}  // namespace perfwatch::synthetic
