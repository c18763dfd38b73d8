#pragma once
// Internal to the template functions (template_funcs*.cc, template_builtins.cc): the
// tables each file defines and the helpers they share.
// Thread safety: the tables are immutable; helpers are pure (Fail throws).
#include <string>
#include <string_view>
#include <vector>

#include "alert/template_funcs.h"

namespace perfwatch::alert::tmpl {

// Reports the error a Go function returns (or panics with) as a FuncError.
[[noreturn]] inline void Fail(std::string msg) { throw FuncError{std::move(msg)}; }

inline constexpr const char* kNilDeref =
    "runtime error: invalid memory address or nil pointer dereference";

// Go's text/template builtins (template_builtins.cc).
const std::vector<FuncDef>& GoBuiltinFunctions();
// Prometheus' query, sample, string and regexp functions (template_funcs_strings.cc).
const std::vector<FuncDef>& PrometheusStringFunctions();
// Prometheus' number, time and URL functions (template_funcs_numbers.cc).
const std::vector<FuncDef>& PrometheusNumberFunctions();
// Alertmanager 0.25's DefaultFuncs beyond Go's builtins (template_notify.cc).
const std::vector<FuncDef>& AlertmanagerFunctions();
// The Prometheus function `name` (its Go implementation is shared with Alertmanager's).
const FuncDef* FindPrometheusFunction(std::string_view name);
// time.Time's methods (template_funcs_numbers.cc).
const std::vector<FuncDef>& TimeMethods();

// Fails with "output exceeds N bytes" when `s` is longer than env.max_len.
void CheckLen(const FuncEnv& env, const std::string& s);
// url.QueryEscape.
std::string QueryEscape(std::string_view s);

}  // namespace perfwatch::alert::tmpl
