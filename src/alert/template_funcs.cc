// The table of functions a rule template can call (Go's text/template builtins and
// Prometheus' template functions, defined in template_builtins.cc and
// template_funcs_*.cc), their parameter types, and the per-execution environment.
#include "alert/template_funcs.h"

#include <re2/re2.h>

#include <string>

#include "alert/template_funcs_internal.h"

namespace perfwatch::alert::tmpl {

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
    case Param::kStringSlice:
      return "[]string";
  }
  return "?";
}

bool ParamCanBeNil(Param p) { return p != Param::kString; }

FuncEnv::FuncEnv(const TemplateData& d) : data(d), max_len(d.max_output_bytes) {}
FuncEnv::~FuncEnv() = default;

const FuncDef* FindTemplateFunction(std::string_view name, bool notification) {
  if (notification) {
    for (const auto* table : {&GoBuiltinFunctions(), &AlertmanagerFunctions()}) {
      for (const FuncDef& f : *table) {
        if (f.name == name) return &f;
      }
    }
    return nullptr;
  }
  for (const auto* table :
       {&GoBuiltinFunctions(), &PrometheusStringFunctions(), &PrometheusNumberFunctions()}) {
    for (const FuncDef& f : *table) {
      if (f.name == name) return &f;
    }
  }
  return nullptr;
}

const FuncDef* FindPrometheusFunction(std::string_view name) {
  for (const auto* table : {&PrometheusStringFunctions(), &PrometheusNumberFunctions()}) {
    for (const FuncDef& f : *table) {
      if (f.name == name) return &f;
    }
  }
  return nullptr;
}

bool HasTemplateFunction(std::string_view name, bool notification) {
  return FindTemplateFunction(name, notification) != nullptr;
}

const FuncDef* FindTimeMethod(std::string_view name) {
  for (const FuncDef& f : TimeMethods()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace perfwatch::alert::tmpl
