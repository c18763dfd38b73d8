#pragma once
// perfwatch's own rule forms: the top-level `alerts:` section of the configuration
// (docs/alert-forms.md), compiled into ordinary Prometheus rule groups that load beside
// `rule_files` and show as ordinary rules in /api/v1/rules:
//   threshold:      metric or PromQL, operator, severity levels, `resolve_threshold`
//                   (hysteresis written as a plain rule that reads its own ALERTS series)
//   vitals_budget:  p75 (or another percentile) of a Web Vital per app / page over the
//                   exact-percentile series rum_vital_percentile, gated by min_samples
//   slo:            an objective compiled into SLI recording rules and the SRE workbook's
//                   multi-window, multi-burn-rate alerts
//   defaults:       perfwatch's default rules (Core Web Vitals per app, own health), on
//                   unless `defaults: false`
// Each form that produces rules becomes one group (`perfwatch:threshold`,
// `perfwatch:vitals_budget`, `perfwatch:slo`, `perfwatch:defaults`) whose `file` is
// "<config file>#alerts". Errors are InvalidArgument, one per problem found first, worded
// "line N: alerts.threshold[2]: op must be one of >, >=, <, <=".
//
// Thread safety: pure functions.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "alert/rule_file.h"
#include "common/config.h"
#include "common/status.h"

namespace perfwatch::alert {

inline constexpr std::string_view kThresholdGroup = "perfwatch:threshold";
inline constexpr std::string_view kVitalsBudgetGroup = "perfwatch:vitals_budget";
inline constexpr std::string_view kSloGroup = "perfwatch:slo";
inline constexpr std::string_view kDefaultsGroup = "perfwatch:defaults";

// One compiled `slo` entry, for GET /api/v1/slos.
struct SloDefinition {
  std::string name;        // also the `slo` label of its series and its alerts' alertname
  double objective = 0;    // percent, 0 < objective < 100
  std::string window;      // as written ("30d")
  int64_t window_ms = 0;
  std::string window_record;  // "slo:sli_error:ratio_rate30d": the error ratio over the window
};

struct AlertForms {
  std::vector<RuleGroupSpec> groups;  // in the order threshold, vitals_budget, slo, defaults; empty ones left out
  std::vector<SloDefinition> slos;
  bool defaults = true;
};

// Compiles the `alerts:` key of a whole configuration text (absent or null: the default
// rules only). `file` names the generated groups' file ("<file>#alerts").
Result<AlertForms> CompileAlertForms(std::string_view config_text, const std::string& file);

// The same for a loaded configuration (its source_text; file: its path, or "perfwatch"
// without a file).
Result<AlertForms> AlertFormsFrom(const Config& config);

// The default rules (group perfwatch:defaults), as documented in docs/alert-forms.md.
std::vector<RuleSpec> DefaultAlertRules();

// Shortest text that reads back as the same double ("4", "0.0144", "1e+100"); non-finite
// values as PromQL spells them (Inf, -Inf, NaN).
std::string FormatPromNumber(double v);

// A PromQL double-quoted string literal with \ " and control characters escaped.
std::string QuotePromString(std::string_view s);

}  // namespace perfwatch::alert
