#pragma once
// Reads Lighthouse JSON reports (LHR, Lighthouse 9-12) for `perfwatch budget check
// --lighthouse` (docs/budgets.md): the page's URL, the timings Lighthouse's budgets use
// (its TimingSummary: the `metrics` audit's first item, else each metric audit's
// numericValue), the `resource-summary` audit (transfer bytes and request count per
// resource type, as Lighthouse's performance-budget audit compares them) and the
// performance category score. Several runs of a URL are aggregated as Lighthouse CI's
// assertions do: `median` takes each value's median (the mean of the middle two for an
// even count: lighthouse-ci packages/utils/src/assertions.js getValueForAggregationMethod);
// `median-run` takes every value from the one representative run closest to the median
// FCP and TTI (packages/utils/src/representative-runs.js).
//
// Thread safety: pure functions over plain values.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace perfwatch::budget {

struct LighthouseRun {
  std::string url;  // mainDocumentUrl, else finalDisplayedUrl / finalUrl / requestedUrl
  std::string source;  // file name, for messages
  std::map<std::string, double> timings;  // Lighthouse metric id -> ms (CLS unitless)
  std::map<std::string, double> transfer_bytes;  // resource type -> bytes
  std::map<std::string, double> request_counts;  // resource type -> requests
  std::optional<double> score;  // performance category, 0-100
};

// Parses one report. InvalidArgument when the text is not a Lighthouse report (no
// "lighthouseVersion"/"audits") or Lighthouse recorded a runtimeError for the page.
Result<LighthouseRun> ParseLighthouseReport(std::string_view json);

// True when `json` looks like a Lighthouse report (cheap check for files in a folder that
// also holds other JSON, as .lighthouseci/ does).
bool LooksLikeLighthouseReport(std::string_view json);

// The runs of one URL after aggregation; values keep every run's value for the
// significance test against a baseline.
struct AggregatedValue {
  double value = 0;
  std::vector<double> runs;
};
struct AggregatedPage {
  std::string url;
  std::string path;  // UrlPathAndQuery(url)
  std::map<std::string, AggregatedValue> timings, transfer_bytes, request_counts;
  std::optional<AggregatedValue> score;
  size_t runs = 0;
};

enum class Aggregation { kMedian, kMedianRun };

// Median as Lighthouse CI computes it (sorted; odd: middle; even: mean of the middle two).
double LhciMedian(std::vector<double> values);

// Groups `runs` by URL (in first-seen order) and aggregates each group.
std::vector<AggregatedPage> AggregateRuns(const std::vector<LighthouseRun>& runs, Aggregation how);

}  // namespace perfwatch::budget
