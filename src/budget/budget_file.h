#pragma once
// perfwatch-budget.json (docs/budgets.md; schema docs/perfwatch-budget.schema.json): a
// superset of Lighthouse's budget.json. The file is a JSON array of budgets; each has an
// optional robots.txt-style `path` ("/", "/products*", "/about$"), Lighthouse's `options`,
// `resourceSizes` / `resourceCounts` ([{resourceType, budget}] in KB / requests) and
// `timings` ([{metric, budget}] in ms, CLS unitless), validated as Lighthouse's
// core/config/budget.js does (same key names, resource types, metrics, path rules,
// duplicate and unknown-key errors), plus perfwatch's `tolerance` on each of those and
// the keys `field` (production p75 per page), `bundles` (build file sizes) and `score`
// (minimum performance score, 0-100). For a page the budget that applies is the LAST one
// whose path matches (Lighthouse's Budget.getMatchingBudget); `bundles` do not depend on
// the path and are taken from every budget.
//
// Errors name the JSON path and where it is: `budgets[1].timings[0].metric (line 9,
// column 17): unknown timing metric "lcp" (valid: ...)`.
//
// Thread safety: pure functions over plain values.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace perfwatch::budget {

// One {resourceType|metric, budget, tolerance} entry.
struct MetricBudget {
  std::string name;  // resource type, Lighthouse metric id, or vital (upper case)
  double budget = 0;
  double tolerance = 0;
};

struct FieldBudget {
  std::string window = "28d";  // as written (Prometheus duration)
  int64_t window_ms = 28LL * 24 * 3600 * 1000;
  int64_t min_samples = 100;  // page views per page and vital; fewer: "skipped"
  std::vector<MetricBudget> vitals;  // LCP, INP, CLS, FCP, TTFB at p75
};

struct BundleBudget {
  std::string path;  // file path or glob relative to --bundles ('*', '?', '**')
  std::optional<double> raw_kb, gzip_kb, brotli_kb;
  double max_growth = 0.2;  // against the baseline's size of the same bundle
};

struct Budget {
  std::optional<std::string> path;  // absent: every page
  std::vector<std::string> first_party_hostnames;  // Lighthouse's options (kept, informational)
  std::vector<MetricBudget> resource_sizes;   // KB
  std::vector<MetricBudget> resource_counts;  // requests
  std::vector<MetricBudget> timings;          // ms (CLS unitless)
  std::optional<FieldBudget> field;
  std::vector<BundleBudget> bundles;
  std::optional<double> score;  // minimum performance score 0-100 (lab and field)
};

struct BudgetFile {
  std::vector<Budget> budgets;
};

// Parses and validates a budget file's text.
Result<BudgetFile> ParseBudgetFile(std::string_view text);

// Lighthouse's Budget.urlMatchesPattern on a URL's path and query ("/a/b?x=1"): no
// special characters: prefix; "$" at the end: exact; one "*": prefix before it and the
// rest contained after it (ends with it when "$" also ends the pattern). Absent = "/".
bool PathMatchesPattern(std::string_view url_path, std::string_view pattern);

// The path and query of an absolute URL ("https://x.org/a?b#c" -> "/a?b"); a string that
// already starts with '/' is returned without its fragment.
std::string UrlPathAndQuery(std::string_view url);

// The last budget whose path matches `url_path` (Lighthouse's getMatchingBudget), or null.
const Budget* MatchingBudget(const BudgetFile& file, std::string_view url_path);

// Glob match of a '/'-separated relative file path: '*' and '?' stay inside one segment,
// '**' as a whole segment matches zero or more segments; other characters literally.
bool BundleGlobMatch(std::string_view glob, std::string_view path);

// Valid names, for messages and the schema.
const std::vector<std::string_view>& LighthouseResourceTypes();
const std::vector<std::string_view>& LighthouseTimingMetrics();
const std::vector<std::string_view>& FieldVitals();

}  // namespace perfwatch::budget
