// Prometheus' template functions (template/template.go, Prometheus 2.42) on queries,
// samples, strings and regular expressions, with Go's regexp error texts.
#include <arpa/inet.h>
#include <re2/re2.h>

#include <algorithm>
#include <string>
#include <vector>

#include "alert/template_funcs_internal.h"

namespace perfwatch::alert::tmpl {
namespace {

// ---------------------------------------------------------------------------------------
// Prometheus: queries and samples

Value SampleValue(SamplePtr p) {
  Value v;
  v.type = Type::kSample;
  v.sample = std::move(p);
  return v;
}

Value FnQuery(FuncEnv& env, const Value&, std::vector<Value>& a) {
  if (!env.data.query) Fail("query is not available here");
  Result<std::vector<QuerySample>> r = env.data.query(a[0].s);
  if (!r.ok()) Fail(r.status().message());
  Value out;
  out.type = Type::kQueryResult;
  out.list = std::make_shared<SampleList>();
  out.list->reserve(r->size());
  for (QuerySample& s : *r) out.list->push_back(std::make_shared<const QuerySample>(std::move(s)));
  return out;
}

Value FnFirst(FuncEnv&, const Value&, std::vector<Value>& a) {
  if (!a[0].list || a[0].list->empty()) Fail("first() called on vector with no elements");
  return SampleValue(a[0].list->front());
}

const QuerySample& Deref(const Value& s) {
  if (!s.sample) Fail(kNilDeref);
  return *s.sample;
}

Value FnLabel(FuncEnv&, const Value&, std::vector<Value>& a) {
  return Value::String(std::string(GetLabel(Deref(a[1]).labels, a[0].s)));
}
Value FnValue(FuncEnv&, const Value&, std::vector<Value>& a) {
  return Value::Float(Deref(a[0]).value);
}
Value FnStrvalue(FuncEnv&, const Value&, std::vector<Value>& a) {
  return Value::String(std::string(GetLabel(Deref(a[0]).labels, "__value__")));
}

Value FnArgs(FuncEnv&, const Value&, std::vector<Value>& a) {
  auto m = std::make_shared<AnyMap>();
  for (size_t i = 0; i < a.size(); ++i) m->emplace_back("arg" + std::to_string(i), a[i]);
  std::sort(m->begin(), m->end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  Value v;
  v.type = Type::kAnyMap;
  v.any = std::move(m);
  return v;
}

Value FnSortByLabel(FuncEnv&, const Value&, std::vector<Value>& a) {
  Value v = a[1];
  if (v.list) {
    const std::string& by = a[0].s;
    for (const auto& s : *v.list) {
      if (!s) Fail(kNilDeref);
    }
    std::stable_sort(v.list->begin(), v.list->end(), [&](const SamplePtr& x, const SamplePtr& y) {
      return GetLabel(x->labels, by) < GetLabel(y->labels, by);
    });
  }
  return v;
}

// ---------------------------------------------------------------------------------------
// Prometheus: strings and regular expressions

// regexp's error text for an RE2 compile error.
std::string RegexpError(const re2::RE2& re) {
  const char* code = "invalid regexp";
  switch (re.error_code()) {
    case re2::RE2::ErrorBadEscape:
      code = "invalid escape sequence";
      break;
    case re2::RE2::ErrorBadCharClass:
      code = "invalid character class";
      break;
    case re2::RE2::ErrorBadCharRange:
      code = "invalid character class range";
      break;
    case re2::RE2::ErrorMissingBracket:
      code = "missing closing ]";
      break;
    case re2::RE2::ErrorMissingParen:
      code = "missing closing )";
      break;
    case re2::RE2::ErrorTrailingBackslash:
      code = "trailing backslash at end of expression";
      break;
    case re2::RE2::ErrorRepeatArgument:
      code = "missing argument to repetition operator";
      break;
    case re2::RE2::ErrorRepeatSize:
      code = "invalid repeat count";
      break;
    case re2::RE2::ErrorRepeatOp:
      code = "invalid nested repetition operator";
      break;
    case re2::RE2::ErrorBadPerlOp:
      code = "invalid or unsupported Perl syntax";
      break;
    case re2::RE2::ErrorBadUTF8:
      code = "invalid UTF-8";
      break;
    case re2::RE2::ErrorBadNamedCapture:
      code = "invalid named capture";
      break;
    case re2::RE2::ErrorPatternTooLarge:
      code = "expression too large";
      break;
    default:
      break;
  }
  std::string arg = re.error_arg();
  if (re.error_code() == re2::RE2::ErrorMissingParen && arg.empty()) arg = re.pattern();
  return "error parsing regexp: " + std::string(code) + ": `" + arg + "`";
}

// The compiled pattern, or null with `err` set.
const re2::RE2* Compile(FuncEnv& env, const std::string& pattern, std::string* err) {
  auto it = env.regexes.find(pattern);
  if (it == env.regexes.end()) {
    re2::RE2::Options opts;
    opts.set_log_errors(false);
    auto re = std::make_unique<re2::RE2>(pattern, opts);
    it = env.regexes.emplace(pattern, std::move(re)).first;
  }
  if (!it->second->ok()) {
    *err = RegexpError(*it->second);
    return nullptr;
  }
  return it->second.get();
}

// regexp's quote(): backquoted when possible.
std::string RegexpQuote(const std::string& s) {
  bool backquote = true;
  for (size_t i = 0; i < s.size();) {
    int w = 1;
    int32_t r = DecodeRune(s, i, &w);
    if (r == '`' || r == 0xFEFF || (r < ' ' && r != '\t') || r == 0x7f || (r == 0xFFFD && w == 1)) {
      backquote = false;
    }
    i += static_cast<size_t>(w);
  }
  return backquote ? "`" + s + "`" : GoQuote(s);
}

// Go's Regexp.expand for one match of ReplaceAllString.
void Expand(std::string& dst, std::string_view tmpl, const re2::RE2& re, std::string_view src,
            const std::vector<re2::StringPiece>& groups) {
  const auto& names = re.NamedCapturingGroups();
  auto group_text = [&](int i) -> std::string_view {
    if (i < 0 || static_cast<size_t>(i) >= groups.size() || groups[i].data() == nullptr) return {};
    return std::string_view(groups[i].data(), groups[i].size());
  };
  while (!tmpl.empty()) {
    size_t d = tmpl.find('$');
    if (d == std::string_view::npos) break;
    dst.append(tmpl.substr(0, d));
    tmpl.remove_prefix(d + 1);
    if (!tmpl.empty() && tmpl[0] == '$') {
      dst.push_back('$');
      tmpl.remove_prefix(1);
      continue;
    }
    // extract(): a name of letters, digits and underscores, optionally in braces.
    std::string_view str = tmpl;
    bool brace = false;
    if (!str.empty() && str[0] == '{') {
      brace = true;
      str.remove_prefix(1);
    }
    size_t i = 0;
    while (i < str.size()) {
      int w = 1;
      int32_t r = DecodeRune(str, i, &w);
      if (!(r == '_' || IsLetterRune(r))) break;
      i += static_cast<size_t>(w);
    }
    bool ok = i > 0;
    std::string_view name = str.substr(0, i);
    if (ok && brace) {
      if (i >= str.size() || str[i] != '}') {
        ok = false;
      } else {
        ++i;
      }
    }
    if (!ok) {
      dst.push_back('$');
      continue;
    }
    tmpl = str.substr(i);
    int num = 0;
    for (char c : name) {
      if (c < '0' || c > '9' || num >= 100000000) {
        num = -1;
        break;
      }
      num = num * 10 + (c - '0');
    }
    if (name[0] == '0' && name.size() > 1) num = -1;
    if (num >= 0) {
      dst.append(group_text(num));
    } else {
      auto it = names.find(std::string(name));
      if (it != names.end()) dst.append(group_text(it->second));
    }
  }
  dst.append(tmpl);
}

Value FnReReplaceAll(FuncEnv& env, const Value&, std::vector<Value>& a) {
  const std::string& pattern = a[0].s;
  std::string err;
  const re2::RE2* re = Compile(env, pattern, &err);
  if (re == nullptr) Fail("regexp: Compile(" + RegexpQuote(pattern) + "): " + err);
  const std::string& src = a[2].s;
  const std::string_view repl = a[1].s;
  const int n = 1 + re->NumberOfCapturingGroups();
  std::vector<re2::StringPiece> groups(static_cast<size_t>(n));
  std::string out;
  size_t last_end = 0, search = 0;
  while (search <= src.size()) {
    if (!re->Match(src, search, src.size(), re2::RE2::UNANCHORED, groups.data(), n)) break;
    size_t m0 = static_cast<size_t>(groups[0].data() - src.data());
    size_t m1 = m0 + groups[0].size();
    out.append(src, last_end, m0 - last_end);
    if (m1 > last_end || m0 == 0) Expand(out, repl, *re, src, groups);
    CheckLen(env, out);
    last_end = m1;
    int w = 1;
    if (search < src.size()) {
      DecodeRune(src, search, &w);
    } else {
      w = 0;
    }
    if (search + static_cast<size_t>(w) > m1) {
      search += static_cast<size_t>(w);
    } else if (search + 1 > m1) {
      ++search;
    } else {
      search = m1;
    }
  }
  out.append(src, last_end, std::string::npos);
  CheckLen(env, out);
  return Value::String(std::move(out));
}

Value FnMatch(FuncEnv& env, const Value&, std::vector<Value>& a) {
  std::string err;
  const re2::RE2* re = Compile(env, a[0].s, &err);
  if (re == nullptr) Fail(err);
  return Value::Bool(re2::RE2::PartialMatch(a[1].s, *re));
}

template <typename F>
std::string MapRunes(std::string_view s, F f) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    int w = 1;
    int32_t r = DecodeRune(s, i, &w);
    AppendRune(out, f(r));
    i += static_cast<size_t>(w);
  }
  return out;
}

Value FnToUpper(FuncEnv&, const Value&, std::vector<Value>& a) {
  return Value::String(MapRunes(a[0].s, ToUpperRune));
}
Value FnToLower(FuncEnv&, const Value&, std::vector<Value>& a) {
  return Value::String(MapRunes(a[0].s, ToLowerRune));
}

bool IsSeparator(int32_t r) {
  if (r < 0x80) {
    return !((r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') ||
             r == '_');
  }
  if (IsLetterRune(r)) return false;
  return r == 0x85 || r == 0xA0 || r == 0x1680 || (r >= 0x2000 && r <= 0x200A) || r == 0x2028 ||
         r == 0x2029 || r == 0x202F || r == 0x205F || r == 0x3000;
}

Value FnTitle(FuncEnv&, const Value&, std::vector<Value>& a) {
  int32_t prev = ' ';
  return Value::String(MapRunes(a[0].s, [&](int32_t r) {
    bool sep = IsSeparator(prev);
    prev = r;
    return sep ? ToUpperRune(r) : r;
  }));
}

Value FnGraphLink(FuncEnv&, const Value&, std::vector<Value>& a) {
  return Value::String("/graph?g0.expr=" + QueryEscape(a[0].s) + "&g0.tab=0");
}
Value FnTableLink(FuncEnv&, const Value&, std::vector<Value>& a) {
  return Value::String("/graph?g0.expr=" + QueryEscape(a[0].s) + "&g0.tab=1");
}
Value FnSafeHtml(FuncEnv&, const Value&, std::vector<Value>& a) {
  return Value::String(a[0].s, Type::kHtml);
}

// net.SplitHostPort; false on any error.
bool SplitHostPort(std::string_view hp, std::string_view* host, std::string_view* port) {
  size_t i = hp.rfind(':');
  if (i == std::string_view::npos) return false;
  size_t j = 0, k = 0;
  if (!hp.empty() && hp[0] == '[') {
    size_t end = hp.find(']');
    if (end == std::string_view::npos) return false;
    if (end + 1 == hp.size() || end + 1 != i) return false;
    *host = hp.substr(1, end - 1);
    j = 1;
    k = end + 1;
  } else {
    *host = hp.substr(0, i);
    if (host->find(':') != std::string_view::npos) return false;
  }
  if (hp.find('[', j) != std::string_view::npos) return false;
  if (hp.find(']', k) != std::string_view::npos) return false;
  *port = hp.substr(i + 1);
  return true;
}

bool IsIP(std::string_view s) {
  std::string h(s);
  unsigned char buf[16];
  return inet_pton(AF_INET, h.c_str(), buf) == 1 || inet_pton(AF_INET6, h.c_str(), buf) == 1;
}

Value FnStripPort(FuncEnv&, const Value&, std::vector<Value>& a) {
  std::string_view host, port;
  if (!SplitHostPort(a[0].s, &host, &port)) return a[0];
  return Value::String(std::string(host));
}

Value FnStripDomain(FuncEnv&, const Value&, std::vector<Value>& a) {
  std::string_view host, port;
  if (!SplitHostPort(a[0].s, &host, &port)) {
    host = a[0].s;
    port = {};
  }
  if (IsIP(host)) return a[0];
  host = host.substr(0, host.find('.'));
  if (!port.empty()) {
    std::string h(host);
    if (h.find(':') != std::string::npos) h = "[" + h + "]";
    return Value::String(h + ":" + std::string(port));
  }
  return Value::String(std::string(host));
}

}  // namespace

// Prometheus: queries, samples, strings, regular expressions.
const std::vector<FuncDef>& PrometheusStringFunctions() {
  using P = Param;
  static const std::vector<FuncDef> kFuncs = {
      {"query", {P::kString}, false, false, FnQuery},
      {"first", {P::kQueryResult}, false, false, FnFirst},
      {"label", {P::kString, P::kSample}, false, false, FnLabel},
      {"value", {P::kSample}, false, false, FnValue},
      {"strvalue", {P::kSample}, false, false, FnStrvalue},
      {"args", {P::kAny}, true, false, FnArgs},
      {"reReplaceAll", {P::kString, P::kString, P::kString}, false, false, FnReReplaceAll},
      {"safeHtml", {P::kString}, false, false, FnSafeHtml},
      {"match", {P::kString, P::kString}, false, false, FnMatch},
      {"title", {P::kString}, false, false, FnTitle},
      {"toUpper", {P::kString}, false, false, FnToUpper},
      {"toLower", {P::kString}, false, false, FnToLower},
      {"graphLink", {P::kString}, false, false, FnGraphLink},
      {"tableLink", {P::kString}, false, false, FnTableLink},
      {"sortByLabel", {P::kString, P::kQueryResult}, false, false, FnSortByLabel},
      {"stripPort", {P::kString}, false, false, FnStripPort},
      {"stripDomain", {P::kString}, false, false, FnStripDomain},
  };
  return kFuncs;
}

}  // namespace perfwatch::alert::tmpl
