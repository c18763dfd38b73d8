// Go's text/template builtins (funcs.go, Go 1.19) and Prometheus' template functions
// (template/template.go, Prometheus 2.42) over the template value model. Errors are the
// texts Go's functions return, or the text of the panic Go's safeCall recovers.
#include "alert/template_funcs.h"

#include <arpa/inet.h>
#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace perfwatch::alert::tmpl {
namespace {

[[noreturn]] void Fail(std::string msg) { throw FuncError{std::move(msg)}; }

constexpr const char* kNilDeref =
    "runtime error: invalid memory address or nil pointer dereference";

// ---------------------------------------------------------------------------------------
// Comparison (funcs.go: eq, lt and the functions built from them)

bool Comparable(const Value& v) {
  switch (v.type) {
    case Type::kStringMap:
    case Type::kAnyMap:
    case Type::kQueryResult:
    case Type::kData:
      return false;
    default:
      return true;
  }
}

// Go's basicKind, where anything that is not a basic type is invalidKind.
Kind CmpKind(const Value& v) {
  Kind k = BasicKind(v);
  return k == Kind::kOther ? Kind::kInvalid : k;
}

std::string Uncomparable(const Value& v) {
  return "uncomparable type " + GoTypeName(v) + ": " + GoSprint({v});
}

bool Eq(const Value& a, const std::vector<Value>& others) {
  if (a.valid() && !Comparable(a)) Fail(Uncomparable(a));
  if (others.empty()) Fail("missing argument for comparison");
  const Kind k1 = CmpKind(a);
  for (const Value& b : others) {
    const Kind k2 = CmpKind(b);
    bool truth = false;
    if (k1 != k2) {
      if (k1 == Kind::kInt && k2 == Kind::kUint) {
        truth = a.i >= 0 && a.i == b.i;
      } else if (k1 == Kind::kUint && k2 == Kind::kInt) {
        truth = b.i >= 0 && a.i == b.i;
      } else {
        Fail("incompatible types for comparison");
      }
    } else {
      switch (k1) {
        case Kind::kBool:
          truth = a.b == b.b;
          break;
        case Kind::kFloat:
          truth = a.f == b.f;
          break;
        case Kind::kInt:
        case Kind::kUint:
          truth = a.i == b.i;
          break;
        case Kind::kString:
          truth = a.s == b.s;
          break;
        default:
          if (!b.valid()) {
            truth = !a.valid();
          } else {
            if (!Comparable(b)) Fail(Uncomparable(b));
            if (!a.valid()) Fail("reflect: call of reflect.Value.Interface on zero Value");
            if (a.type != b.type) {
              truth = false;
            } else if (a.type == Type::kSample) {
              truth = a.sample == b.sample;
            } else {
              truth = a.i == b.i;  // time.Time
            }
          }
      }
    }
    if (truth) return true;
  }
  return false;
}

bool Lt(const Value& a, const Value& b) {
  const Kind k1 = CmpKind(a);
  if (k1 == Kind::kInvalid) Fail("invalid type for comparison");
  const Kind k2 = CmpKind(b);
  if (k2 == Kind::kInvalid) Fail("invalid type for comparison");
  if (k1 != k2) {
    if (k1 == Kind::kInt && k2 == Kind::kUint) return a.i < 0 || a.i < b.i;
    if (k1 == Kind::kUint && k2 == Kind::kInt) return b.i >= 0 && a.i < b.i;
    Fail("incompatible types for comparison");
  }
  switch (k1) {
    case Kind::kFloat:
      return a.f < b.f;
    case Kind::kInt:
    case Kind::kUint:
      return a.i < b.i;
    case Kind::kString:
      return a.s < b.s;
    default:
      Fail("invalid type for comparison");
  }
}

Value FnEq(FuncEnv&, const Value&, std::vector<Value>& a) {
  std::vector<Value> rest(a.begin() + 1, a.end());
  return Value::Bool(Eq(a[0], rest));
}
Value FnNe(FuncEnv&, const Value&, std::vector<Value>& a) { return Value::Bool(!Eq(a[0], {a[1]})); }
Value FnLt(FuncEnv&, const Value&, std::vector<Value>& a) { return Value::Bool(Lt(a[0], a[1])); }
Value FnLe(FuncEnv&, const Value&, std::vector<Value>& a) {
  return Value::Bool(Lt(a[0], a[1]) || Eq(a[0], {a[1]}));
}
Value FnGt(FuncEnv&, const Value&, std::vector<Value>& a) {
  return Value::Bool(!(Lt(a[0], a[1]) || Eq(a[0], {a[1]})));
}
Value FnGe(FuncEnv&, const Value&, std::vector<Value>& a) { return Value::Bool(!Lt(a[0], a[1])); }

// ---------------------------------------------------------------------------------------
// Other builtins

Value FnUnreachable(FuncEnv&, const Value&, std::vector<Value>&) { Fail("unreachable"); }

Value FnNot(FuncEnv&, const Value&, std::vector<Value>& a) { return Value::Bool(!IsTrue(a[0])); }

size_t LenOf(const Value& v) {
  switch (v.type) {
    case Type::kString:
    case Type::kHtml:
      return v.s.size();
    case Type::kStringMap:
      return v.labels ? v.labels->size() : 0;
    case Type::kAnyMap:
      return v.any ? v.any->size() : 0;
    case Type::kQueryResult:
      return v.list ? v.list->size() : 0;
    default:
      return 0;
  }
}

// The type after Go's indirect(): pointers are followed.
std::string IndirectTypeName(const Value& v) {
  if (v.type == Type::kSample) return "template.sample";
  if (v.type == Type::kTimePtr) return "time.Time";
  return GoTypeName(v);
}

Value FnLen(FuncEnv&, const Value&, std::vector<Value>& a) {
  const Value& v = a[0];
  if (!v.valid()) Fail("reflect: call of reflect.Value.Type on zero Value");
  if (v.type == Type::kSample && !v.sample) Fail("len of nil pointer");
  switch (v.type) {
    case Type::kString:
    case Type::kHtml:
    case Type::kStringMap:
    case Type::kAnyMap:
    case Type::kQueryResult:
      return Value::Int(static_cast<int64_t>(LenOf(v)));
    default:
      Fail("len of type " + IndirectTypeName(v));
  }
}

// Go's indexArg: an int or uint index no larger than cap.
int64_t IndexArg(const Value& index, size_t cap) {
  int64_t x = 0;
  switch (index.type) {
    case Type::kInt:
    case Type::kInt64:
    case Type::kUint8:
      x = index.i;
      break;
    case Type::kInvalid:
      Fail("cannot index slice/array with nil");
    default:
      Fail("cannot index slice/array with type " + GoTypeName(index));
  }
  if (x < 0 || static_cast<uint64_t>(x) > cap) Fail("index out of range: " + std::to_string(x));
  return x;
}

std::string MapKey(const Value& index) {
  if (!index.valid()) Fail("value is nil; should be of type string");
  if (index.type != Type::kString)
    Fail("value has type " + GoTypeName(index) + "; should be string");
  return index.s;
}

Value FnIndex(FuncEnv&, const Value&, std::vector<Value>& a) {
  Value item = a[0];
  if (!item.valid()) Fail("index of untyped nil");
  for (size_t k = 1; k < a.size(); ++k) {
    const Value& index = a[k];
    if (item.type == Type::kSample && !item.sample) Fail("index of nil pointer");
    switch (item.type) {
      case Type::kString:
      case Type::kHtml: {
        int64_t x = IndexArg(index, item.s.size());
        if (static_cast<size_t>(x) == item.s.size()) Fail("reflect: string index out of range");
        item = Value::Int(static_cast<unsigned char>(item.s[static_cast<size_t>(x)]), Type::kUint8);
        break;
      }
      case Type::kQueryResult: {
        size_t n = item.list ? item.list->size() : 0;
        int64_t x = IndexArg(index, n);
        if (static_cast<size_t>(x) == n) Fail("reflect: slice index out of range");
        Value e;
        e.type = Type::kSample;
        e.sample = (*item.list)[static_cast<size_t>(x)];
        item = std::move(e);
        break;
      }
      case Type::kStringMap: {
        std::string key = MapKey(index);
        std::string found;
        if (item.labels) {
          for (const auto& [n, v] : *item.labels) {
            if (n == key) {
              found = v;
              break;
            }
          }
        }
        item = Value::String(std::move(found));
        break;
      }
      case Type::kAnyMap: {
        std::string key = MapKey(index);
        Value found;
        if (item.any) {
          for (const auto& [n, v] : *item.any) {
            if (n == key) {
              found = v;
              break;
            }
          }
        }
        item = std::move(found);
        if (!item.valid() && k + 1 < a.size()) Fail("index of untyped nil");
        break;
      }
      default:
        Fail("can't index item of type " + IndirectTypeName(item));
    }
  }
  return item;
}

Value FnSlice(FuncEnv&, const Value&, std::vector<Value>& a) {
  const Value& item = a[0];
  if (!item.valid()) Fail("slice of untyped nil");
  if (item.type == Type::kSample && !item.sample) Fail("slice of nil pointer");
  const size_t n_idx = a.size() - 1;
  if (n_idx > 3) Fail("too many slice indexes: " + std::to_string(n_idx));
  size_t cap = 0;
  if (item.type == Type::kString || item.type == Type::kHtml) {
    if (n_idx == 3) Fail("cannot 3-index slice a string");
    cap = item.s.size();
  } else if (item.type == Type::kQueryResult) {
    cap = item.list ? item.list->size() : 0;
  } else {
    Fail("can't slice item of type " + IndirectTypeName(item));
  }
  int64_t idx[3] = {0, static_cast<int64_t>(cap), 0};
  for (size_t i = 0; i < n_idx; ++i) idx[i] = IndexArg(a[i + 1], cap);
  if (idx[0] > idx[1])
    Fail("invalid slice index: " + std::to_string(idx[0]) + " > " + std::to_string(idx[1]));
  if (n_idx == 3 && idx[1] > idx[2]) {
    Fail("invalid slice index: " + std::to_string(idx[1]) + " > " + std::to_string(idx[2]));
  }
  if (item.type != Type::kQueryResult) {
    return Value::String(
        item.s.substr(static_cast<size_t>(idx[0]), static_cast<size_t>(idx[1] - idx[0])),
        item.type);
  }
  Value out;
  out.type = Type::kQueryResult;
  if (item.list) {
    out.list =
        std::make_shared<SampleList>(item.list->begin() + idx[0], item.list->begin() + idx[1]);
  }
  return out;
}

void CheckLen(const FuncEnv& env, const std::string& s) {
  if (s.size() > env.max_len) Fail("output exceeds " + std::to_string(env.max_len) + " bytes");
}

Value FnPrint(FuncEnv& env, const Value&, std::vector<Value>& a) {
  std::string s = GoSprint(a);
  CheckLen(env, s);
  return Value::String(std::move(s));
}
Value FnPrintln(FuncEnv& env, const Value&, std::vector<Value>& a) {
  std::string s = GoSprintln(a);
  CheckLen(env, s);
  return Value::String(std::move(s));
}
Value FnPrintf(FuncEnv& env, const Value&, std::vector<Value>& a) {
  std::vector<Value> rest(a.begin() + 1, a.end());
  return Value::String(GoSprintf(a[0].s, rest, env.max_len));
}

// Go's evalArgs: one string as is, else fmt.Sprint of the values with pointers followed
// and a missing value replaced by the string "<no value>".
std::string EvalArgsText(const std::vector<Value>& a) {
  if (a.size() == 1 && a[0].type == Type::kString) return a[0].s;
  std::string out;
  bool prev_string = false;
  for (size_t i = 0; i < a.size(); ++i) {
    const bool missing = !a[i].valid();
    const bool is_string = missing || a[i].type == Type::kString || a[i].type == Type::kHtml;
    if (i > 0 && !is_string && !prev_string) out.push_back(' ');
    out += missing ? "<no value>" : GoPrintIndirect(a[i]);
    prev_string = is_string;
  }
  return out;
}

Value FnHtml(FuncEnv&, const Value&, std::vector<Value>& a) {
  std::string s = EvalArgsText(a), out;
  for (char c : s) {
    switch (c) {
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '\0':
        out += "\xEF\xBF\xBD";
        break;
      default:
        out.push_back(c);
    }
  }
  return Value::String(std::move(out));
}

Value FnJs(FuncEnv&, const Value&, std::vector<Value>& a) {
  std::string s = EvalArgsText(a), out;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '\\':
          out += "\\\\";
          break;
        case '\'':
          out += "\\'";
          break;
        case '"':
          out += "\\\"";
          break;
        case '<':
          out += "\\u003C";
          break;
        case '>':
          out += "\\u003E";
          break;
        case '&':
          out += "\\u0026";
          break;
        case '=':
          out += "\\u003D";
          break;
        default:
          if (c < ' ') {
            char b[8];
            std::snprintf(b, sizeof b, "\\u%04X", c);
            out += b;
          } else {
            out.push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    int w = 1;
    int32_t r = DecodeRune(s, i, &w);
    if (IsPrintRune(r)) {
      out.append(s, i, static_cast<size_t>(w));
    } else {
      char b[16];
      std::snprintf(b, sizeof b, "\\u%04X", static_cast<unsigned>(r));
      out += b;
    }
    i += static_cast<size_t>(w);
  }
  return Value::String(std::move(out));
}

// url.QueryEscape.
std::string QueryEscape(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Value FnUrlquery(FuncEnv&, const Value&, std::vector<Value>& a) {
  return Value::String(QueryEscape(EvalArgsText(a)));
}

Value FnCall(FuncEnv&, const Value&, std::vector<Value>& a) {
  if (!a[0].valid()) Fail("call of nil");
  Fail("non-function of type " + GoTypeName(a[0]));
}

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

// ---------------------------------------------------------------------------------------
// Prometheus: numbers and times

double ConvertToFloat(const Value& v) {
  switch (v.type) {
    case Type::kFloat64:
      return v.f;
    case Type::kString: {
      double f = 0;
      std::string err;
      if (!GoParseFloat(v.s, &f, &err)) Fail(err);
      return f;
    }
    case Type::kInt:
    case Type::kInt64:
      return static_cast<double>(v.i);
    default:
      Fail("can't convert " + GoTypeName(v) + " to float");
  }
}

std::string G4(double v) { return GoSprintf("%.4g", {Value::Float(v)}, SIZE_MAX); }

Value FnHumanize(FuncEnv&, const Value&, std::vector<Value>& a) {
  double v = ConvertToFloat(a[0]);
  if (v == 0 || std::isnan(v) || std::isinf(v)) return Value::String(G4(v));
  const char* prefix = "";
  if (std::fabs(v) >= 1) {
    for (const char* p : {"k", "M", "G", "T", "P", "E", "Z", "Y"}) {
      if (std::fabs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return Value::String(G4(v) + prefix);
  }
  for (const char* p : {"m", "u", "n", "p", "f", "a", "z", "y"}) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return Value::String(G4(v) + prefix);
}

Value FnHumanize1024(FuncEnv&, const Value&, std::vector<Value>& a) {
  double v = ConvertToFloat(a[0]);
  if (std::fabs(v) <= 1 || std::isnan(v) || std::isinf(v)) return Value::String(G4(v));
  const char* prefix = "";
  for (const char* p : {"ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"}) {
    if (std::fabs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return Value::String(G4(v) + prefix);
}

// Go's int64(f) on amd64 (out-of-range values become math.MinInt64).
int64_t GoFloatToInt64(double f) {
  if (std::isnan(f) || f >= 9.2233720368547758e18 || f < -9.2233720368547758e18) return INT64_MIN;
  return static_cast<int64_t>(f);
}

Value FnHumanizeDuration(FuncEnv&, const Value&, std::vector<Value>& a) {
  double v = ConvertToFloat(a[0]);
  if (std::isnan(v) || std::isinf(v)) return Value::String(G4(v));
  if (v == 0) return Value::String(G4(v) + "s");
  if (std::fabs(v) >= 1) {
    std::string sign;
    if (v < 0) {
      sign = "-";
      v = -v;
    }
    int64_t d = GoFloatToInt64(v);
    int64_t seconds = d % 60, minutes = (d / 60) % 60, hours = (d / 60 / 60) % 24,
            days = d / 60 / 60 / 24;
    auto s = [](int64_t x) { return std::to_string(x); };
    if (days != 0) {
      return Value::String(sign + s(days) + "d " + s(hours) + "h " + s(minutes) + "m " +
                           s(seconds) + "s");
    }
    if (hours != 0)
      return Value::String(sign + s(hours) + "h " + s(minutes) + "m " + s(seconds) + "s");
    if (minutes != 0) return Value::String(sign + s(minutes) + "m " + s(seconds) + "s");
    return Value::String(sign + G4(v) + "s");
  }
  const char* prefix = "";
  for (const char* p : {"m", "u", "n", "p", "f", "a", "z", "y"}) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return Value::String(G4(v) + prefix + "s");
}

Value FnHumanizePercentage(FuncEnv&, const Value&, std::vector<Value>& a) {
  return Value::String(G4(ConvertToFloat(a[0]) * 100) + "%");
}

// Prometheus' floatToTime: seconds to a UTC time with millisecond precision. False for
// NaN and infinities.
bool FloatToTime(double v, int64_t* ns) {
  if (std::isnan(v) || std::isinf(v)) return false;
  double ts = v * 1e9;
  if (ts > 9.2233720368547758e18 || ts < -9.2233720368547758e18) {
    Fail(FormatGoFloat(v) +
         " cannot be represented as a nanoseconds timestamp since it overflows int64");
  }
  int64_t n = GoFloatToInt64(ts);
  *ns = (n / 1'000'000) * 1'000'000;  // model.TimeFromUnixNano keeps milliseconds
  return true;
}

Value FnHumanizeTimestamp(FuncEnv&, const Value&, std::vector<Value>& a) {
  double v = ConvertToFloat(a[0]);
  int64_t ns = 0;
  if (!FloatToTime(v, &ns)) return Value::String(G4(v));
  return Value::String(GoTimeString(ns));
}

Value FnToTime(FuncEnv&, const Value&, std::vector<Value>& a) {
  double v = ConvertToFloat(a[0]);
  int64_t ns = 0;
  if (!FloatToTime(v, &ns)) Fail("value is NaN or Inf");
  return Value::Time(ns, true);
}

// url.Parse(external_url).Path, percent-decoded.
std::string UrlPath(std::string_view u) {
  size_t scheme = u.find("://");
  size_t colon = u.find(':');
  size_t slash = u.find('/');
  if (scheme != std::string_view::npos && (slash == std::string_view::npos || scheme < slash)) {
    u.remove_prefix(scheme + 3);
    size_t p = u.find_first_of("/?#");
    u = p == std::string_view::npos ? std::string_view() : u.substr(p);
  } else if (colon != std::string_view::npos &&
             (slash == std::string_view::npos || colon < slash)) {
    u = {};  // opaque URL such as mailto:x
  } else if (u.starts_with("//")) {
    u.remove_prefix(2);
    size_t p = u.find_first_of("/?#");
    u = p == std::string_view::npos ? std::string_view() : u.substr(p);
  }
  u = u.substr(0, u.find_first_of("?#"));
  std::string out;
  for (size_t i = 0; i < u.size(); ++i) {
    auto hex = [](char c) {
      return c >= '0' && c <= '9'                     ? c - '0'
             : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
                                                      : -1;
    };
    if (u[i] == '%' && i + 2 < u.size() + 0 && hex(u[i + 1]) >= 0 && hex(u[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(u[i + 1]) * 16 + hex(u[i + 2])));
      i += 2;
    } else {
      out.push_back(u[i]);
    }
  }
  return out;
}

Value FnPathPrefix(FuncEnv& env, const Value&, std::vector<Value>&) {
  return Value::String(UrlPath(env.data.external_url));
}
Value FnExternalURL(FuncEnv& env, const Value&, std::vector<Value>&) {
  return Value::String(std::string(env.data.external_url));
}

Value FnParseDuration(FuncEnv&, const Value&, std::vector<Value>& a) {
  const std::string& d = a[0].s;
  if (d == "0") return Value::Float(0);
  if (d.empty()) Fail("empty duration string");
  // ^(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$
  static const std::pair<std::string_view, int64_t> kUnits[] = {
      {"y", 1000LL * 60 * 60 * 24 * 365},
      {"w", 1000LL * 60 * 60 * 24 * 7},
      {"d", 1000LL * 60 * 60 * 24},
      {"h", 1000LL * 60 * 60},
      {"m", 1000LL * 60},
      {"s", 1000},
      {"ms", 1},
  };
  size_t pos = 0, unit = 0;
  uint64_t dur = 0;
  bool overflow = false;
  while (pos < d.size()) {
    size_t start = pos;
    while (pos < d.size() && d[pos] >= '0' && d[pos] <= '9') ++pos;
    if (pos == start) Fail("not a valid duration string: " + GoQuote(d));
    std::string_view digits(d.data() + start, pos - start);
    bool matched = false;
    for (; unit < std::size(kUnits); ++unit) {
      std::string_view u = kUnits[unit].first;
      if (d.compare(pos, u.size(), u) != 0) continue;
      // "m" must not swallow the "m" of "ms".
      if (u == "m" && d.compare(pos, 2, "ms") == 0) continue;
      matched = true;
      pos += u.size();
      int64_t mult = kUnits[unit].second;
      int64_t n = 0;
      for (char c : digits) {
        if (n > (INT64_MAX - 9) / 10) {
          n = INT64_MAX;
          break;
        }
        n = n * 10 + (c - '0');
      }
      if (n > INT64_MAX / mult / 1'000'000) overflow = true;
      dur += static_cast<uint64_t>(n) * 1'000'000u * static_cast<uint64_t>(mult);
      if (static_cast<int64_t>(dur) < 0) overflow = true;
      ++unit;
      break;
    }
    if (!matched) Fail("not a valid duration string: " + GoQuote(d));
  }
  if (overflow) Fail("duration out of range");
  return Value::Float(static_cast<double>(static_cast<int64_t>(dur)) / 1e9);
}

// ---------------------------------------------------------------------------------------
// time.Time methods

Value TmFormat(FuncEnv&, const Value& r, std::vector<Value>& a) {
  return Value::String(GoTimeFormat(r.i, a[0].s));
}
Value TmString(FuncEnv&, const Value& r, std::vector<Value>&) {
  return Value::String(GoTimeString(r.i));
}
int64_t FloorDivNs(int64_t ns, int64_t d) { return ns / d - ((ns % d != 0) && (ns < 0)); }
Value TmUnix(FuncEnv&, const Value& r, std::vector<Value>&) {
  return Value::Int(FloorDivNs(r.i, 1'000'000'000), Type::kInt64);
}
Value TmUnixMilli(FuncEnv&, const Value& r, std::vector<Value>&) {
  return Value::Int(FloorDivNs(r.i, 1'000'000), Type::kInt64);
}
Value TmUnixNano(FuncEnv&, const Value& r, std::vector<Value>&) {
  return Value::Int(r.i, Type::kInt64);
}
Value TmUTC(FuncEnv&, const Value& r, std::vector<Value>&) { return Value::Time(r.i, false); }
Value TmField(const Value& r, std::string_view layout) {
  return Value::Int(std::stoll(GoTimeFormat(r.i, layout)));
}
Value TmYear(FuncEnv&, const Value& r, std::vector<Value>&) { return TmField(r, "2006"); }
Value TmYearDay(FuncEnv&, const Value& r, std::vector<Value>&) { return TmField(r, "002"); }
Value TmDay(FuncEnv&, const Value& r, std::vector<Value>&) { return TmField(r, "2"); }
Value TmHour(FuncEnv&, const Value& r, std::vector<Value>&) { return TmField(r, "15"); }
Value TmMinute(FuncEnv&, const Value& r, std::vector<Value>&) { return TmField(r, "4"); }
Value TmSecond(FuncEnv&, const Value& r, std::vector<Value>&) { return TmField(r, "5"); }

using P = Param;

const std::vector<FuncDef>& Functions() {
  static const std::vector<FuncDef> kFuncs = {
      // Go builtins.
      {"and", {P::kValue, P::kValue}, true, true, FnUnreachable},
      {"call", {P::kValue, P::kValue}, true, true, FnCall},
      {"eq", {P::kValue, P::kValue}, true, true, FnEq},
      {"ge", {P::kValue, P::kValue}, false, true, FnGe},
      {"gt", {P::kValue, P::kValue}, false, true, FnGt},
      {"html", {P::kAny}, true, true, FnHtml},
      {"index", {P::kValue, P::kValue}, true, true, FnIndex},
      {"js", {P::kAny}, true, true, FnJs},
      {"le", {P::kValue, P::kValue}, false, true, FnLe},
      {"len", {P::kValue}, false, true, FnLen},
      {"lt", {P::kValue, P::kValue}, false, true, FnLt},
      {"ne", {P::kValue, P::kValue}, false, true, FnNe},
      {"not", {P::kValue}, false, true, FnNot},
      {"or", {P::kValue, P::kValue}, true, true, FnUnreachable},
      {"print", {P::kAny}, true, true, FnPrint},
      {"printf", {P::kString, P::kAny}, true, true, FnPrintf},
      {"println", {P::kAny}, true, true, FnPrintln},
      {"slice", {P::kValue, P::kValue}, true, true, FnSlice},
      {"urlquery", {P::kAny}, true, true, FnUrlquery},
      // Prometheus.
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
      {"humanize", {P::kAny}, false, false, FnHumanize},
      {"humanize1024", {P::kAny}, false, false, FnHumanize1024},
      {"humanizeDuration", {P::kAny}, false, false, FnHumanizeDuration},
      {"humanizePercentage", {P::kAny}, false, false, FnHumanizePercentage},
      {"humanizeTimestamp", {P::kAny}, false, false, FnHumanizeTimestamp},
      {"toTime", {P::kAny}, false, false, FnToTime},
      {"pathPrefix", {}, false, false, FnPathPrefix},
      {"externalURL", {}, false, false, FnExternalURL},
      {"parseDuration", {P::kString}, false, false, FnParseDuration},
  };
  return kFuncs;
}

const std::vector<FuncDef>& TimeMethods() {
  static const std::vector<FuncDef> kMethods = {
      {"Format", {P::kString}, false, false, TmFormat},
      {"String", {}, false, false, TmString},
      {"Unix", {}, false, false, TmUnix},
      {"UnixMilli", {}, false, false, TmUnixMilli},
      {"UnixNano", {}, false, false, TmUnixNano},
      {"UTC", {}, false, false, TmUTC},
      {"Year", {}, false, false, TmYear},
      {"YearDay", {}, false, false, TmYearDay},
      {"Day", {}, false, false, TmDay},
      {"Hour", {}, false, false, TmHour},
      {"Minute", {}, false, false, TmMinute},
      {"Second", {}, false, false, TmSecond},
  };
  return kMethods;
}

}  // namespace

std::string ParamTypeName(Param p) {
  switch (p) {
    case Param::kNone:
      return "<nil>";
    case Param::kAny:
      return "interface {}";
    case Param::kValue:
      return "reflect.Value";
    case Param::kString:
      return "string";
    case Param::kSample:
      return "*template.sample";
    case Param::kQueryResult:
      return "template.queryResult";
  }
  return "?";
}

bool ParamCanBeNil(Param p) { return p != Param::kString; }

FuncEnv::FuncEnv(const TemplateData& d) : data(d), max_len(d.max_output_bytes) {}
FuncEnv::~FuncEnv() = default;

const FuncDef* FindTemplateFunction(std::string_view name) {
  for (const FuncDef& f : Functions()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

bool HasTemplateFunction(std::string_view name) { return FindTemplateFunction(name) != nullptr; }

const FuncDef* FindTimeMethod(std::string_view name) {
  for (const FuncDef& f : TimeMethods()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

bool GoEq(const Value& a, const Value& b) { return Eq(a, {b}); }

}  // namespace perfwatch::alert::tmpl
