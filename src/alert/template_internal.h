#pragma once
// Internals shared by the template*.cc files (parsing: template_lex / template_literals /
// template_parse / template_node_string; execution: template_exec; functions:
// template_funcs*, template_builtins; Go's fmt and strconv: template_fmt /
// template_strconv; time and values: template.cc): the parse tree (Go's
// text/template/parse nodes), the dynamic value that stands in for Go's reflect.Value,
// Go's fmt verbs, and the function table.
// Not part of the public API; include template.h instead.
// Thread safety: a parse tree is immutable after parsing; Values and formatters belong to
// one execution.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alert/template.h"

namespace perfwatch::alert::tmpl {

// Internal control flow. These never leave template*.cc: Template::Parse and
// Template::Execute catch them and return a Status.
struct ParseError {
  std::string message;  // Go's full message: "template: NAME:LINE: ..."
};
struct ExecError {
  std::string message;  // Go's full message: "template: NAME:L:C: executing ..."
};
struct FuncError {
  std::string message;  // the error a template function returned ("first() called on ...")
};
struct BreakSignal {};
struct ContinueSignal {};

// Limits that Go does not have, so that no template can exhaust the stack.
inline constexpr int kMaxParseDepth = 1000;    // nested ( ) and control structures
inline constexpr int kMaxTemplateDepth = 100;  // {{template}} invocations (Go: 100000)
inline constexpr int kMaxExecNesting = 3000;   // nested walks and pipelines
// Stack the parser or the executor may use below its entry point; deeper nesting is an
// error ("... nesting too deep") rather than a stack overflow. Callers need this much
// stack plus a little (threads get 8 MiB). A nesting level takes about 1 KiB at -O2 and
// 2.5 KiB at -O1 (frames of EvalArg + EvalPipeline + ...), so 2 MiB runs the 500 levels
// tests/alert/template_test.cc expects in either build.
inline constexpr size_t kMaxStackBytes = 2 * 1024 * 1024;

// Bytes of stack used since `base` (a __builtin_frame_address(0) taken higher up).
inline size_t StackUsed(const void* base) {
  auto b = reinterpret_cast<uintptr_t>(base);
  auto here = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  return b > here ? b - here : here - b;
}

// ---------------------------------------------------------------------------------------
// Values: the Go types a Prometheus rule template can see.
enum class Type : uint8_t {
  kInvalid,      // reflect.Value{} (untyped nil, missing value)
  kBool,         // bool
  kInt,          // int
  kInt64,        // int64
  kUint8,        // uint8 (index of a string)
  kFloat64,      // float64
  kString,       // string
  kHtml,         // html/template.HTML (safeHtml)
  kStringMap,    // map[string]string (.Labels, $labels, sample.Labels)
  kAnyMap,       // map[string]interface {} (args)
  kSample,       // *template.sample
  kQueryResult,  // template.queryResult ([]*sample)
  kTimePtr,      // *time.Time (toTime)
  kTime,         // time.Time
  kData,         // the struct Prometheus passes as dot
  // Alertmanager's notification data model (template_notify.cc):
  kNotifyData,   // *template.Data (notify)
  kAlerts,       // template.Alerts (alerts)
  kAlertSlice,   // []template.Alert, what Alerts.Firing / Resolved return (alerts)
  kAlert,        // template.Alert (alert)
  kKV,           // template.KV (labels; sorted by name)
  kPairs,        // template.Pairs (labels, in SortedPairs order)
  kPair,         // template.Pair (s: Name, s2: Value)
  kStringSlice,  // []string (strs)
};

struct Value;
using AnyMap = std::vector<std::pair<std::string, Value>>;  // sorted by key
using SamplePtr = std::shared_ptr<const QuerySample>;
using SampleList = std::vector<SamplePtr>;

struct Value {
  Type type = Type::kInvalid;
  bool b = false;
  int64_t i = 0;  // kInt, kInt64, kUint8; kTime and kTimePtr: ns since the epoch (UTC)
  double f = 0;   // kFloat64
  std::string s;  // kString, kHtml
  std::shared_ptr<const LabelSet> labels;  // kStringMap; null = nil map
  std::shared_ptr<const AnyMap> any;       // kAnyMap
  SamplePtr sample;                        // kSample; null = nil pointer
  // kQueryResult; null = nil slice. Mutable because Go's sortByLabel sorts in place.
  std::shared_ptr<SampleList> list;
  const TemplateData* data = nullptr;  // kData
  const NotificationData* notify = nullptr;                             // kNotifyData
  std::shared_ptr<const std::vector<const NotificationAlert*>> alerts;  // kAlerts, kAlertSlice
  const NotificationAlert* alert = nullptr;                             // kAlert
  std::shared_ptr<const std::vector<std::string>> strs;                 // kStringSlice
  std::string s2;                                                       // kPair's Value

  static Value Bool(bool v) {
    Value r;
    r.type = Type::kBool;
    r.b = v;
    return r;
  }
  static Value Int(int64_t v, Type t = Type::kInt) {
    Value r;
    r.type = t;
    r.i = v;
    return r;
  }
  static Value Float(double v) {
    Value r;
    r.type = Type::kFloat64;
    r.f = v;
    return r;
  }
  static Value String(std::string v, Type t = Type::kString) {
    Value r;
    r.type = t;
    r.s = std::move(v);
    return r;
  }
  static Value Time(int64_t ns, bool pointer) {
    Value r;
    r.type = pointer ? Type::kTimePtr : Type::kTime;
    r.i = ns;
    return r;
  }
  bool valid() const { return type != Type::kInvalid; }
};

// Go's reflect type string: "float64", "map[string]string", "*template.sample", ...
std::string GoTypeName(const Value& v);
// Go's basic kinds as text/template's comparison functions see them.
enum class Kind : uint8_t { kInvalid, kBool, kInt, kUint, kFloat, kString, kOther };
Kind BasicKind(const Value& v);
// text/template's isTrue (every type here has a truth value).
bool IsTrue(const Value& v);

// Fields of the data struct, as values.
Value DataField(const TemplateData& d, std::string_view name, bool* found);
// A borrowed map view of a LabelSet that outlives the execution.
std::shared_ptr<const LabelSet> BorrowLabels(const LabelSet* labels);

// Notification values (template_notify.cc).
Value NotifyDot(const NotificationData* d);
Value MakeKV(const LabelSet& kv);  // copies
Value MakeStringSlice(std::vector<std::string> v);
// Elements of a notification slice or map for range, len and index: (index/key, element).
// False when `v` is not a notification type.
bool NotifyElements(const Value& v, std::vector<std::pair<Value, Value>>* out);
// Go's fmt %v of a notification value (false when `v` is not one).
bool NotifyPrint(const Value& v, std::string* out);

// ---------------------------------------------------------------------------------------
// Go's fmt (template_fmt.cc), strconv (template_strconv.cc), time (template.cc).

// fmt.Sprint(args...): spaces between operands when neither is a string.
std::string GoSprint(const std::vector<Value>& args);
// What text/template prints for a value: pointers followed (a *sample prints as its
// struct, a *time.Time through String()), then fmt's %v.
std::string GoPrintIndirect(const Value& v);
// fmt.Sprintln(args...).
std::string GoSprintln(const std::vector<Value>& args);
// fmt.Sprintf(format, args...). Throws FuncError when the result would exceed `max_len`.
std::string GoSprintf(std::string_view format, const std::vector<Value>& args, size_t max_len);
// strconv.Quote.
std::string GoQuote(std::string_view s);
// time.Time.String() of a UTC time, e.g. "2015-06-23 13:19:44.128 +0000 UTC".
std::string GoTimeString(int64_t ns);
// time.Time.Format(layout) in UTC.
std::string GoTimeFormat(int64_t ns, std::string_view layout);
// strconv.FormatFloat(v, 'g', -1, 64) and friends; fmt 'g', 'e', 'f' with a precision.
std::string GoFormatFloat(double v, char verb, int prec);
// strconv.ParseFloat(s, 64). False and the Go error text on failure.
bool GoParseFloat(std::string_view s, double* out, std::string* err);

// UTF-8 helpers with Go's semantics (invalid bytes decode to U+FFFD, width 1).
int32_t DecodeRune(std::string_view s, size_t i, int* width);
void AppendRune(std::string& out, int32_t r);
size_t RuneCount(std::string_view s);
bool IsPrintRune(int32_t r);   // unicode.IsPrint (approximate outside Latin/Greek/Cyrillic)
bool IsLetterRune(int32_t r);  // unicode.IsLetter || unicode.IsDigit (approximate)
int32_t ToUpperRune(int32_t r);
int32_t ToLowerRune(int32_t r);

// ---------------------------------------------------------------------------------------
// Parse tree (template_parse.cc; String() in template_node_string.cc).

enum class NodeType : uint8_t {
  kText,
  kAction,
  kBreak,
  kContinue,
  kIf,
  kRange,
  kWith,
  kTemplate,
  kList,
  kPipe,
  kCommand,
  kIdentifier,
  kField,
  kVariable,
  kChain,
  kDot,
  kNil,
  kBool,
  kNumber,
  kString,
  kElse,  // transient, never in a finished tree
  kEnd,   // transient, never in a finished tree
};

struct PNode {
  NodeType type = NodeType::kList;
  int pos = 0;   // byte offset in the template text
  int line = 0;  // 1-based
  // kText: the bytes; kIdentifier: the function name; kNumber: the literal; kString: the
  // quoted literal; kTemplate: the template name.
  std::string text;
  std::string str;                  // kString: the unquoted value
  std::vector<std::string> idents;  // kField: "A","B" for .A.B; kVariable: "$x","A"; kChain
  std::vector<std::unique_ptr<PNode>> children;  // kList: nodes; kPipe: commands; kCommand: args
  std::vector<std::unique_ptr<PNode>> decl;      // kPipe: declared / assigned variables
  bool is_assign = false;                        // kPipe: $x = ... rather than $x := ...
  std::unique_ptr<PNode>
      pipe;  // kAction, kIf, kRange, kWith, kTemplate (may be null); kChain: operand
  std::unique_ptr<PNode> list, else_list;  // kIf, kRange, kWith
  bool boolean = false;                    // kBool
  bool is_int = false, is_uint = false, is_float = false, is_rune = false, is_hex_int = false;
  int64_t int_val = 0;
  uint64_t uint_val = 0;
  double float_val = 0;

  // Go's Node.String(), used in error messages ("at <...>").
  std::string String() const;
};

}  // namespace perfwatch::alert::tmpl

namespace perfwatch::alert {

// A parsed template set: the main template and every {{define}}d one, sharing one text.
struct Template::Node {
  std::string name;  // the main template's (and the parse's) name
  std::string text;  // the full text, including the Prometheus variable prefix
  std::map<std::string, std::unique_ptr<tmpl::PNode>, std::less<>> trees;
};

namespace tmpl {
// Parses `text` (already including any prefix) as Go's template.New(name).Parse(text).
// Throws ParseError.
// `notification`: Alertmanager's function set (see FindTemplateFunction).
std::shared_ptr<const Template::Node> ParseSet(std::string_view name, std::string_view text,
                                               bool notification = false);
// Executes the main template of `set`. Throws ExecError.
std::string ExecuteSet(const Template::Node& set, const TemplateData& data);
}  // namespace tmpl

}  // namespace perfwatch::alert
