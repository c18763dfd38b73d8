#include "budget/lighthouse_report.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>

#include "budget/budget_file.h"

namespace perfwatch::budget {
namespace {

// Lighthouse metric id -> the key of the `metrics` audit's item (TimingSummary).
constexpr std::pair<std::string_view, std::string_view> kTimingKeys[] = {
    {"first-contentful-paint", "firstContentfulPaint"},
    {"interactive", "interactive"},
    {"first-meaningful-paint", "firstMeaningfulPaint"},
    {"max-potential-fid", "maxPotentialFID"},
    {"total-blocking-time", "totalBlockingTime"},
    {"speed-index", "speedIndex"},
    {"largest-contentful-paint", "largestContentfulPaint"},
    {"cumulative-layout-shift", "cumulativeLayoutShift"},
};

bool GetNumber(simdjson::dom::element e, double& out) {
  if (e.is_double() || e.is_int64() || e.is_uint64()) {
    double v = 0;
    if (e.get_double().get(v) == simdjson::SUCCESS && std::isfinite(v)) {
      out = v;
      return true;
    }
  }
  return false;
}

}  // namespace

bool LooksLikeLighthouseReport(std::string_view json) {
  return json.find("\"lighthouseVersion\"") != std::string_view::npos &&
         json.find("\"audits\"") != std::string_view::npos;
}

Result<LighthouseRun> ParseLighthouseReport(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element root;
  if (auto err = parser.parse(padded).get(root); err) {
    return InvalidArgument(std::string("not valid JSON: ") + simdjson::error_message(err));
  }
  if (!root.is_object()) return InvalidArgument("not a Lighthouse report (expected a JSON object)");
  std::string_view version;
  if (root["lighthouseVersion"].get(version) != simdjson::SUCCESS) {
    return InvalidArgument("not a Lighthouse report (no \"lighthouseVersion\")");
  }
  simdjson::dom::object audits;
  if (root["audits"].get(audits) != simdjson::SUCCESS) {
    return InvalidArgument("not a Lighthouse report (no \"audits\" object)");
  }
  simdjson::dom::object runtime_error;
  if (root["runtimeError"].get(runtime_error) == simdjson::SUCCESS) {
    std::string_view code, message;  // empty when absent or not strings
    if (runtime_error["code"].get(code) != simdjson::SUCCESS) code = "";
    if (runtime_error["message"].get(message) != simdjson::SUCCESS) message = "";
    return InvalidArgument("Lighthouse could not measure the page: " + std::string(code) +
                           (message.empty() ? "" : ": " + std::string(message)));
  }
  LighthouseRun run;
  for (const char* key : {"mainDocumentUrl", "finalDisplayedUrl", "finalUrl", "requestedUrl"}) {
    std::string_view url;
    if (root[key].get(url) == simdjson::SUCCESS && !url.empty()) {
      run.url = std::string(url);
      break;
    }
  }
  if (run.url.empty()) return InvalidArgument("Lighthouse report without a URL (mainDocumentUrl, finalDisplayedUrl)");

  // Timings: the metrics audit (what timing-budget used), else each audit's numericValue.
  simdjson::dom::object metrics_item;
  bool have_metrics = root["audits"]["metrics"]["details"]["items"].at(0).get(metrics_item) == simdjson::SUCCESS;
  for (const auto& [id, key] : kTimingKeys) {
    double v = 0;
    simdjson::dom::element e;
    if (have_metrics && metrics_item[key].get(e) == simdjson::SUCCESS && GetNumber(e, v)) {
      run.timings[std::string(id)] = v;
    } else if (audits[id]["numericValue"].get(e) == simdjson::SUCCESS && GetNumber(e, v)) {
      run.timings[std::string(id)] = v;
    }
  }

  simdjson::dom::array items;
  if (audits["resource-summary"]["details"]["items"].get(items) == simdjson::SUCCESS) {
    for (simdjson::dom::element item : items) {
      std::string_view type;
      if (item["resourceType"].get(type) != simdjson::SUCCESS) continue;
      double v = 0;
      simdjson::dom::element e;
      if (item["transferSize"].get(e) == simdjson::SUCCESS && GetNumber(e, v)) run.transfer_bytes[std::string(type)] = v;
      if (item["requestCount"].get(e) == simdjson::SUCCESS && GetNumber(e, v)) run.request_counts[std::string(type)] = v;
    }
  }

  simdjson::dom::element score;
  double s = 0;
  if (root["categories"]["performance"]["score"].get(score) == simdjson::SUCCESS && GetNumber(score, s)) {
    run.score = s * 100;
  }
  return run;
}

double LhciMedian(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t mid = (values.size() - 1) / 2;
  if (values.size() % 2 == 1) return values[mid];
  return (values[mid] + values[mid + 1]) / 2;
}

namespace {

double AuditValue(const LighthouseRun& r, const char* id) {
  auto it = r.timings.find(id);
  return it == r.timings.end() ? 0 : it->second;
}

// lighthouse-ci computeRepresentativeRuns for one URL: the index of the run closest to
// the median FCP and median TTI (medians taken as sorted[floor(n / 2)]).
size_t RepresentativeRun(const std::vector<const LighthouseRun*>& runs) {
  auto median_of = [&](const char* id) {
    std::vector<double> v;
    for (const auto* r : runs) v.push_back(AuditValue(*r, id));
    std::stable_sort(v.begin(), v.end());
    return v[runs.size() / 2];
  };
  const double fcp = median_of("first-contentful-paint");
  const double tti = median_of("interactive");
  size_t best = 0;
  double best_d = 0;
  for (size_t i = 0; i < runs.size(); ++i) {
    double a = fcp - AuditValue(*runs[i], "first-contentful-paint");
    double b = tti - AuditValue(*runs[i], "interactive");
    double d = a * a + b * b;
    if (i == 0 || d < best_d) {
      best = i;
      best_d = d;
    }
  }
  return best;
}

void Aggregate(const std::vector<const LighthouseRun*>& runs, const std::map<std::string, double> LighthouseRun::*field,
               Aggregation how, size_t representative, std::map<std::string, AggregatedValue>& out) {
  for (const auto* r : runs) {
    for (const auto& kv : r->*field) out[kv.first].runs.push_back(kv.second);
  }
  for (auto& kv : out) {
    if (how == Aggregation::kMedian) {
      kv.second.value = LhciMedian(kv.second.runs);
    } else {
      const auto& m = runs[representative]->*field;
      auto it = m.find(kv.first);
      kv.second.value = it == m.end() ? LhciMedian(kv.second.runs) : it->second;
    }
  }
}

}  // namespace

std::vector<AggregatedPage> AggregateRuns(const std::vector<LighthouseRun>& runs, Aggregation how) {
  std::vector<AggregatedPage> pages;
  std::vector<std::vector<const LighthouseRun*>> groups;
  for (const auto& r : runs) {
    size_t i = 0;
    while (i < pages.size() && pages[i].url != r.url) ++i;
    if (i == pages.size()) {
      pages.emplace_back();
      pages.back().url = r.url;
      pages.back().path = UrlPathAndQuery(r.url);
      groups.emplace_back();
    }
    groups[i].push_back(&r);
  }
  for (size_t i = 0; i < pages.size(); ++i) {
    const auto& g = groups[i];
    AggregatedPage& p = pages[i];
    p.runs = g.size();
    size_t rep = how == Aggregation::kMedianRun ? RepresentativeRun(g) : 0;
    Aggregate(g, &LighthouseRun::timings, how, rep, p.timings);
    Aggregate(g, &LighthouseRun::transfer_bytes, how, rep, p.transfer_bytes);
    Aggregate(g, &LighthouseRun::request_counts, how, rep, p.request_counts);
    AggregatedValue score;
    for (const auto* r : g) {
      if (r->score) score.runs.push_back(*r->score);
    }
    if (!score.runs.empty()) {
      score.value = LhciMedian(score.runs);
      if (how == Aggregation::kMedianRun && g[rep]->score) score.value = *g[rep]->score;
      p.score = std::move(score);
    }
  }
  return pages;
}

}  // namespace perfwatch::budget
