#pragma once
// Go text/template, the subset Prometheus alert and recording rules use, with Prometheus'
// template functions (template/template.go in Prometheus 2.42). Rule labels and
// annotations are expanded with these variables defined first, as Prometheus does:
//   $labels / .Labels, $externalLabels / .ExternalLabels, $externalURL / .ExternalURL,
//   $value / .Value
// Supported syntax: text and {{ }} actions with trim markers ({{- -}}), comments,
// pipelines with |, variables ($x := ..., $x = ...), field and map access (.Labels.job,
// $labels.job), if / else if / else / end, range (over query results and maps, with
// $i, $e :=), with / else, and / or / not, comparisons eq ne lt le gt ge, len, index,
// print / printf / println, string, number, bool and nil literals.
// Functions: humanize, humanize1024, humanizeDuration, humanizePercentage,
// humanizeTimestamp, printf, query, first, label, value, sortByLabel, strvalue, args,
// reReplaceAll, match, title, toUpper, toLower, stripPort, stripDomain, safeHtml,
// graphLink, tableLink, pathPrefix (externalURL's path), externalURL, parseDuration,
// toTime; Go's builtins and, or, not, len, index, slice, print, printf, println, html,
// js, urlquery, call, eq, ne, lt, le, gt, ge; {{define}}, {{template}}, {{block}},
// {{break}} and {{continue}}. Parse prepends the variable definitions above to `text`,
// so error columns on line 1 match Prometheus'. Details: docs/alerting-templates.md.
// Any other function is an error at Parse naming it: `function "foo" not defined`
// (the message Go gives), so rule files using it are refused when loaded.
// Values print as Go's fmt %v prints them (floats: strconv 'g' with the shortest
// digits, exponent form when the decimal exponent is < -4 or >= 6: 100000, 1e+06,
// 123456.7, 1.234567e+06, 0.0001, 1e-05, NaN, +Inf; maps map[a:b c:d]).
//
// Thread safety: a parsed Template is immutable; Execute may run on many threads at once.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "alert/alert.h"
#include "common/status.h"

namespace perfwatch::alert {

class Template;

// One sample of a `query` result: what the template sees as .Labels and .Value.
struct QuerySample {
  LabelSet labels;  // including __name__ when the query result has it
  double value = 0;
};
// Runs an instant PromQL query at the rule's evaluation time for the `query` function.
// A scalar result should come back as one sample with no labels (as Prometheus'
// EngineQueryFunc does). An error becomes the template's error, Go-style:
// `... at <query "x">: error calling query: MESSAGE`.
using TemplateQueryFn = std::function<Result<std::vector<QuerySample>>(std::string_view expr)>;

// Alertmanager's notification data model (template/template.go: Data, Alert, KV), the dot
// of a notification template (see notify_template.h).
struct NotificationAlert {
  std::string status;  // "firing" or "resolved"
  LabelSet labels;       // sorted by name
  LabelSet annotations;  // sorted by name
  int64_t starts_at_ms = 0;
  int64_t ends_at_ms = 0;  // 0: Go's zero time
  std::string generator_url;
  std::string fingerprint;  // 16 hex digits
};
struct NotificationData {
  std::string receiver;  // regexp.QuoteMeta(receiver name), as Alertmanager sets it
  std::string status;    // "firing" when any alert fires, else "resolved"
  std::vector<NotificationAlert> alerts;
  LabelSet group_labels, common_labels, common_annotations;  // sorted by name
  std::string external_url;
};

struct TemplateData {
  // Notification mode: when set, dot is this (Alertmanager's *template.Data) instead of the
  // rule fields below, the functions are Go's builtins plus Alertmanager's (toUpper,
  // toLower, title, join, match, safeHtml, reReplaceAll, stringSlice), and {{template}}
  // finds the definitions of `library` too.
  const NotificationData* notification = nullptr;
  const Template* library = nullptr;
  // html/template-like output: every action's value is HTML-escaped unless it is
  // safeHtml's template.HTML (text context only; see docs/notifications.md).
  bool html_escape = false;
  const LabelSet* labels = nullptr;           // the alert's labels (may be null: empty)
  const LabelSet* external_labels = nullptr;  // may be null: empty
  std::string_view external_url;
  double value = 0;
  int64_t eval_time_ms = 0;  // for humanizeTimestamp-free helpers that need "now"
  TemplateQueryFn query;     // may be empty: `query` then fails with an error
  // Guards Go does not have, so that no rule can make an expansion run away. Exceeding
  // one ends the expansion with an InvalidArgument naming the limit.
  size_t max_output_bytes = 16 << 20;  // expanded text, and any one function's result
  uint64_t max_steps = 10'000'000;     // actions, commands and range iterations
};

class Template {
 public:
  // Parses `text`. `name` appears in errors as Go prints them:
  // `template: NAME:LINE: function "foo" not defined`. InvalidArgument on errors.
  static Result<Template> Parse(std::string_view name, std::string_view text);
  // Parses `text` as Alertmanager parses a notification template: no variable prefix,
  // Alertmanager's function set.
  static Result<Template> ParseNotification(std::string_view name, std::string_view text);
  // The templates {{define}}d in this set (not the main one).
  std::vector<std::string> DefinedNames() const;
  // Adds (or replaces, as a later Go Parse does) the definitions of `other`.
  void MergeDefinitions(const Template& other);

  // Expands the template. Errors (a failing query, a bad argument, an index out of range)
  // are InvalidArgument with Go's message; Prometheus then uses
  // "<error expanding template: MESSAGE>" as the value (see ExpandOrError).
  Result<std::string> Execute(const TemplateData& data) const;

  // Execute, or on error the text Prometheus' rule evaluation uses instead:
  // "<error expanding template: error executing template NAME: MESSAGE>".
  std::string ExecuteOrError(const TemplateData& data) const;

  Template(Template&&) noexcept;
  Template& operator=(Template&&) noexcept;
  ~Template();

  struct Node;  // the parse tree (template.cc)
  const Node* node() const { return root_.get(); }

 private:
  Template();
  std::shared_ptr<const Node> root_;
  // Sets merged in by MergeDefinitions, later ones first in lookups after root_'s own.
  std::vector<std::shared_ptr<const Node>> extra_;
  std::string name_;
 public:
  // The tree {{template NAME}} finds: root_'s definitions, then the merged sets (the most
  // recently merged first). `owner` receives the set holding it (for error positions).
  const void* FindDefinition(std::string_view name, const Node** owner) const;
};

// Parses and executes in one step the way Prometheus' rule evaluation does: any parse
// or execution error gives the text Prometheus gives, "<error expanding template: error
// parsing template NAME: MESSAGE>" or "<error expanding template: error executing
// template NAME: MESSAGE>".
std::string ExpandOrError(std::string_view name, std::string_view text, const TemplateData& data);

// Go's fmt %v of a float64 (as {{ $value }} prints it).
std::string FormatGoFloat(double v);

}  // namespace perfwatch::alert
