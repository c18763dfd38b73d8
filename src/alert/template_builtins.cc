// Go's text/template builtins (text/template/funcs.go, Go 1.19) over the template value
// model: comparisons, len / index / slice, print*, html / js / urlquery, call.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "alert/template_funcs_internal.h"

namespace perfwatch::alert::tmpl {
namespace {

// ---------------------------------------------------------------------------------------
// Comparison (funcs.go: eq, lt and the functions built from them)

bool Comparable(const Value& v) {
  switch (v.type) {
    case Type::kStringMap:
    case Type::kAnyMap:
    case Type::kQueryResult:
    case Type::kData:
    case Type::kAlerts:
    case Type::kAlertSlice:
    case Type::kKV:
    case Type::kPairs:
    case Type::kStringSlice:
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
    case Type::kAlerts:
    case Type::kAlertSlice:
      return v.alerts ? v.alerts->size() : 0;
    case Type::kKV:
    case Type::kPairs:
      return v.labels ? v.labels->size() : 0;
    case Type::kStringSlice:
      return v.strs ? v.strs->size() : 0;
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
    case Type::kAlerts:
    case Type::kAlertSlice:
    case Type::kKV:
    case Type::kPairs:
    case Type::kStringSlice:
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
      case Type::kKV: {
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
      case Type::kAlerts:
      case Type::kAlertSlice:
      case Type::kPairs:
      case Type::kStringSlice: {
        std::vector<std::pair<Value, Value>> elems;
        NotifyElements(item, &elems);
        int64_t x = IndexArg(index, elems.size());
        if (static_cast<size_t>(x) == elems.size()) Fail("reflect: slice index out of range");
        item = std::move(elems[static_cast<size_t>(x)].second);
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

Value FnUrlquery(FuncEnv&, const Value&, std::vector<Value>& a) {
  return Value::String(QueryEscape(EvalArgsText(a)));
}

Value FnCall(FuncEnv&, const Value&, std::vector<Value>& a) {
  if (!a[0].valid()) Fail("call of nil");
  Fail("non-function of type " + GoTypeName(a[0]));
}

}  // namespace

void CheckLen(const FuncEnv& env, const std::string& s) {
  if (s.size() > env.max_len) Fail("output exceeds " + std::to_string(env.max_len) + " bytes");
}

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

// Go's builtins; "and" and "or" short-circuit in the executor, never called here.
const std::vector<FuncDef>& GoBuiltinFunctions() {
  using P = Param;
  static const std::vector<FuncDef> kFuncs = {
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
  };
  return kFuncs;
}

bool GoEq(const Value& a, const Value& b) { return Eq(a, {b}); }

}  // namespace perfwatch::alert::tmpl
