#pragma once
// The functions a rule template can call: Go's text/template builtins and Prometheus'
// template functions (template/template.go in Prometheus 2.42), each with its Go
// signature so that argument checking and error messages follow Go's evalCall.
// Internal to template*.cc.
// Thread safety: the table is immutable; a FuncEnv belongs to one execution.
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "alert/template_internal.h"

namespace re2 {
class RE2;
}

namespace perfwatch::alert::tmpl {

// A parameter's Go type.
enum class Param : uint8_t {
  kNone,         // untyped (evalArg with a nil type)
  kAny,          // interface {}
  kValue,        // reflect.Value (Go 1.18+ builtins: and, or, not, len, index, eq, ...)
  kString,       // string
  kSample,       // *template.sample
  kQueryResult,  // template.queryResult
  kStringSlice,  // []string (Alertmanager's join, KV.Remove)
};
// Go's name of a parameter type, as errors print it.
std::string ParamTypeName(Param p);
// Whether Go's canBeNil holds for the type.
bool ParamCanBeNil(Param p);

// State the functions share during one execution.
struct FuncEnv {
  explicit FuncEnv(const TemplateData& d);
  ~FuncEnv();
  const TemplateData& data;
  size_t max_len;  // no single function result may exceed this many bytes
  std::map<std::string, std::unique_ptr<re2::RE2>, std::less<>> regexes;  // compiled once
};

// Throws FuncError for an error Go's function would return (or panic with).
using FuncImpl = Value (*)(FuncEnv& env, const Value& receiver, std::vector<Value>& args);

struct FuncDef {
  std::string_view name;
  std::vector<Param> params;  // Go's In(i); when variadic the last is the element type
  bool variadic = false;
  bool builtin = false;  // Go's builtins (and / or short-circuit)
  FuncImpl impl = nullptr;
};

// The function called `name`, or null. `notification`: Alertmanager's function set (Go's
// builtins plus toUpper, toLower, title, join, match, safeHtml, reReplaceAll, stringSlice)
// instead of Prometheus' rule functions.
const FuncDef* FindTemplateFunction(std::string_view name, bool notification = false);
bool HasTemplateFunction(std::string_view name, bool notification = false);
// A method of a notification value (KV.SortedPairs, Alerts.Firing, ...), or null.
const FuncDef* FindNotifyMethod(const Value& receiver, std::string_view name);
// A field of a notification struct (Data, Alert, Pair); false when there is none.
bool NotifyField(const Value& receiver, std::string_view name, Value* out);
// The method `name` of time.Time / *time.Time, or null.
const FuncDef* FindTimeMethod(std::string_view name);

// text/template's comparison builtins; exported for tests of the value model.
bool GoEq(const Value& a, const Value& b);

}  // namespace perfwatch::alert::tmpl
